//! An entry as a plan of steps: the writes to amoCRM that carry out what the user typed, in
//! order, each with what it needs from the ones before it (the note needs the lead's id).
//!
//! A lead is `lead` (or `incoming_lead`), then `note`, then `task`; a contact alone is `contact`,
//! then `company` (a new one), then `link` (the contact put in the company); a note and/or task
//! for an existing lead is `note`, `task`; a call is `call`; a change of a task or lead is
//! `task_change` or `lead_change`. The plan is made once, when the entry is queued (and
//! again when it is edited: the steps already done must come out the same). How each kind of
//! step is sent and found again after a lost answer is the outbox's business
//! (`outbox/steps/`); this file only says what the steps are.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::change::{LeadChangeDraft, TaskChangeDraft};
use crate::domain::draft::{CallDraft, CompanyDraft, ContactDraft, Draft, DraftKind, LeadDraft};
use crate::domain::task::TaskDraft;

/// What a step writes to amoCRM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum StepKind {
    /// A lead with its new contact and company in one `POST /api/v4/leads/complex`.
    Lead,
    /// The same, to the pipeline's Incoming leads (`POST /api/v4/leads/unsorted/forms`).
    IncomingLead,
    /// A contact entered alone (`POST /api/v4/contacts`).
    Contact,
    /// A contact's new company (`POST /api/v4/companies`).
    Company,
    /// The contact put in its company (`POST /api/v4/contacts/{id}/link`).
    Link,
    /// A text note on a lead.
    Note,
    /// A follow-up task on a lead.
    Task,
    /// A phone call logged on the customer's card (`POST /api/v4/calls`), or — an unknown
    /// caller's inbound call — an incoming lead (`POST /api/v4/leads/unsorted/sip`).
    Call,
    /// A task changed: done, moved, edited (`PATCH /api/v4/tasks`).
    TaskChange,
    /// A lead changed: stage, won, lost, price, name, … (`PATCH /api/v4/leads`).
    LeadChange,
}

impl StepKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Lead => "lead",
            StepKind::IncomingLead => "incoming_lead",
            StepKind::Contact => "contact",
            StepKind::Company => "company",
            StepKind::Link => "link",
            StepKind::Note => "note",
            StepKind::Task => "task",
            StepKind::Call => "call",
            StepKind::TaskChange => "task_change",
            StepKind::LeadChange => "lead_change",
        }
    }

    pub fn parse(s: &str) -> Option<StepKind> {
        [
            StepKind::Lead,
            StepKind::IncomingLead,
            StepKind::Contact,
            StepKind::Company,
            StepKind::Link,
            StepKind::Note,
            StepKind::Task,
            StepKind::Call,
            StepKind::TaskChange,
            StepKind::LeadChange,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// The amoCRM entity the id it is given names (`None`: a link makes no record). An entry
    /// owns what its steps made: reconciliation never takes that id for another entry.
    pub fn entity(self) -> Option<Entity> {
        match self {
            StepKind::Lead | StepKind::IncomingLead => Some(Entity::Leads),
            StepKind::Contact => Some(Entity::Contacts),
            StepKind::Company => Some(Entity::Companies),
            StepKind::Link => None,
            StepKind::Note => Some(Entity::Notes),
            StepKind::Task => Some(Entity::Tasks),
            // What amoCRM answers for a call is the id of the call note it wrote.
            StepKind::Call => Some(Entity::Notes),
            // The record changed (never the step's own: `Made::changed`).
            StepKind::TaskChange => Some(Entity::Tasks),
            StepKind::LeadChange => Some(Entity::Leads),
        }
    }
}

/// amoCRM's record types, as its API names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Entity {
    Leads,
    Contacts,
    Companies,
    Notes,
    Tasks,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Leads => "leads",
            Entity::Contacts => "contacts",
            Entity::Companies => "companies",
            Entity::Notes => "notes",
            Entity::Tasks => "tasks",
        }
    }
}

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum StepState {
    /// Not sent yet, or certainly never processed by amoCRM.
    Pending,
    /// Its request may have reached amoCRM: before it is sent again, amoCRM is asked whether it
    /// has it (or the kind repeats safely).
    MaybeSent,
    /// amoCRM has it; what it made is recorded.
    Done,
    /// amoCRM refused it; the entry needs the user (it may be edited, then it is pending again).
    Refused,
}

impl StepState {
    pub fn as_str(self) -> &'static str {
        match self {
            StepState::Pending => "pending",
            StepState::MaybeSent => "maybe_sent",
            StepState::Done => "done",
            StepState::Refused => "refused",
        }
    }

    /// A state this version does not know is read as "may have reached amoCRM": the safe
    /// reading (it is looked for before anything is sent again).
    pub fn parse(s: &str) -> StepState {
        match s {
            "pending" => StepState::Pending,
            "done" => StepState::Done,
            "refused" => StepState::Refused,
            _ => StepState::MaybeSent,
        }
    }

    /// Done, or perhaps done: what it was sent with can no longer change.
    pub fn locked(self) -> bool {
        matches!(self, StepState::MaybeSent | StepState::Done)
    }
}

/// What amoCRM made of a step, as recorded when it is done.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Made {
    /// The record the step made or went to (none for a link).
    pub id: Option<i64>,
    /// The lead a note or task went on.
    pub lead_id: Option<i64>,
    /// The contact and the company of a lead (made with it, or attached).
    pub contact_id: Option<i64>,
    pub company_id: Option<i64>,
    /// amoCRM's duplicate control merged the lead into an existing one.
    pub merged: bool,
    /// Which of them the step created.
    pub created: Created,
    /// A change: the record's `updated_at` after it (amoCRM's answer). A later change of the
    /// same record from this desk compares with it, not with what its form was drawn from, so
    /// two changes queued one after the other are not a conflict with each other.
    pub updated_at: Option<i64>,
}

/// The records a step created — its own: an entry looking for what it made after a lost answer
/// never takes them. Those it only points at are not: an existing contact, a picked company, the
/// lead amoCRM merged it into, the lead a note is on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Created {
    pub record: bool,
    pub contact: bool,
    pub company: bool,
}

impl Made {
    /// A record the step created.
    pub fn record(id: i64) -> Made {
        Made { id: Some(id), created: Created { record: true, ..Created::default() }, ..Made::default() }
    }

    /// A note or task `id` created on lead `lead_id`.
    pub fn on_lead(id: i64, lead_id: i64) -> Made {
        Made { lead_id: Some(lead_id), ..Made::record(id) }
    }

    /// A record a change step changed, as it stands after the change (created nothing).
    pub fn changed(id: i64, updated_at: i64) -> Made {
        Made { id: Some(id), updated_at: Some(updated_at), ..Made::default() }
    }

    /// A lead amoCRM made (or merged into another) with what `d` asked for: its new contact and
    /// company are the step's own unless amoCRM merged the lead into an existing one.
    pub fn lead(d: &LeadDraft, id: i64, contact_id: Option<i64>, company_id: Option<i64>, merged: bool) -> Made {
        let new_contact = d.contact.is_some() && d.existing_contact_id.is_none();
        let new_company = d.company.is_some() && d.existing_company_id.is_none();
        Made {
            id: Some(id),
            lead_id: None,
            contact_id,
            company_id,
            merged,
            updated_at: None,
            created: Created {
                record: !merged,
                contact: !merged && new_contact && contact_id.is_some(),
                company: !merged && new_company && company_id.is_some(),
            },
        }
    }
}

/// A record a step works on: one an earlier step of the entry makes, or one amoCRM already has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The record the entry's step of this kind made.
    Step(StepKind),
    /// A record of the account.
    Id(i64),
}

/// What a step sends: its part of what was typed, and the records it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "body", rename_all = "snake_case")]
// One step is handled at a time; boxing the drafts would only add noise.
#[allow(clippy::large_enum_variant)]
pub enum StepBody {
    Lead(LeadStep),
    IncomingLead(IncomingLeadStep),
    Contact(ContactStep),
    Company(CompanyStep),
    Link(LinkStep),
    Note(NoteStep),
    Task(TaskStep),
    Call(CallStep),
    TaskChange(TaskChangeStep),
    LeadChange(LeadChangeStep),
}

/// A lead without its note and task (those are steps of their own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadStep(pub LeadDraft);

/// The same, sent to the pipeline's Incoming leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingLeadStep(pub LeadDraft);

/// A contact without its company (that is a step of its own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactStep(pub ContactDraft);

/// A contact's new company; made for the contact's responsible user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyStep {
    pub company: CompanyDraft,
    pub responsible_user_id: Option<i64>,
}

/// A contact put in a company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkStep {
    pub contact: Target,
    pub company: Target,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteStep {
    pub lead: Target,
    pub text: String,
}

/// A task; done by its own responsible user, else `responsible_user_id` (the lead's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskStep {
    pub lead: Target,
    pub task: TaskDraft,
    pub responsible_user_id: Option<i64>,
}

/// A call, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallStep(pub CallDraft);

/// A task's change, as checked (its due time fixed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskChangeStep(pub TaskChangeDraft);

/// A lead's change, as checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadChangeStep(pub LeadChangeDraft);

impl StepBody {
    pub fn kind(&self) -> StepKind {
        match self {
            StepBody::Lead(_) => StepKind::Lead,
            StepBody::IncomingLead(_) => StepKind::IncomingLead,
            StepBody::Contact(_) => StepKind::Contact,
            StepBody::Company(_) => StepKind::Company,
            StepBody::Link(_) => StepKind::Link,
            StepBody::Note(_) => StepKind::Note,
            StepBody::Task(_) => StepKind::Task,
            StepBody::Call(_) => StepKind::Call,
            StepBody::TaskChange(_) => StepKind::TaskChange,
            StepBody::LeadChange(_) => StepKind::LeadChange,
        }
    }

    /// The records it works on (those of earlier steps must be done first).
    pub fn targets(&self) -> Vec<Target> {
        match self {
            StepBody::Link(l) => vec![l.contact, l.company],
            StepBody::Note(n) => vec![n.lead],
            StepBody::Task(t) => vec![t.lead],
            _ => Vec::new(),
        }
    }
}

/// The steps that carry out `draft`, in the order they are sent. Every write of an entry is one
/// of them. A checked draft always writes something (a follow-up needs a note or a task); the
/// store refuses an empty plan.
pub fn plan(draft: &Draft) -> Vec<StepBody> {
    let mut steps = Vec::new();
    match draft {
        Draft::Lead(l) => {
            let lead = LeadDraft { note: String::new(), task: None, ..l.clone() };
            steps.push(if l.unsorted {
                StepBody::IncomingLead(IncomingLeadStep(lead))
            } else {
                StepBody::Lead(LeadStep(lead))
            });
            let made = Target::Step(steps[0].kind());
            push_note_and_task(&mut steps, made, &l.note, l.task.as_ref(), l.responsible_user_id);
        }
        Draft::Followup(f) => {
            push_note_and_task(&mut steps, Target::Id(f.lead_id), &f.note, f.task.as_ref(), f.responsible_user_id);
        }
        Draft::Call(c) => steps.push(StepBody::Call(CallStep(c.clone()))),
        Draft::TaskChange(t) => steps.push(StepBody::TaskChange(TaskChangeStep(t.clone()))),
        Draft::LeadChange(l) => steps.push(StepBody::LeadChange(LeadChangeStep(l.clone()))),
        Draft::Contact(c) => {
            steps.push(StepBody::Contact(ContactStep(ContactDraft {
                company: None,
                existing_company_id: None,
                ..c.clone()
            })));
            let company = match (c.existing_company_id, &c.company) {
                (Some(id), _) => Some(Target::Id(id)),
                (None, Some(company)) => {
                    steps.push(StepBody::Company(CompanyStep {
                        company: company.clone(),
                        responsible_user_id: c.responsible_user_id,
                    }));
                    Some(Target::Step(StepKind::Company))
                }
                (None, None) => None,
            };
            if let Some(company) = company {
                steps.push(StepBody::Link(LinkStep { contact: Target::Step(StepKind::Contact), company }));
            }
        }
    }
    steps
}

/// The edited draft with the parts that `locked` steps send taken from `stored` — exactly as they
/// were queued, so the plan of the result has those steps unchanged (an edit may only change
/// what has not reached amoCRM). The window sends locked parts back as stored; this makes the
/// CLI's `outbox edit` and anything else keep the same rule. Drafts of different kinds are
/// returned as edited (the caller refuses them).
pub fn keep_locked(stored: &Draft, edited: &Draft, locked: &[StepKind]) -> Draft {
    let has = |k: StepKind| locked.contains(&k);
    match (stored, edited) {
        (Draft::Lead(s), Draft::Lead(e)) => {
            let mut out = if has(StepKind::Lead) || has(StepKind::IncomingLead) { s.clone() } else { e.clone() };
            out.note = if has(StepKind::Note) { &s.note } else { &e.note }.clone();
            out.task = if has(StepKind::Task) { &s.task } else { &e.task }.clone();
            Draft::Lead(out)
        }
        (Draft::Contact(s), Draft::Contact(e)) => {
            let mut out = if has(StepKind::Contact) { s.clone() } else { e.clone() };
            // The company is the `company` step's (a new one) and the link's (which one).
            let company = if has(StepKind::Company) || has(StepKind::Link) { s } else { e };
            (out.company, out.existing_company_id) = (company.company.clone(), company.existing_company_id);
            Draft::Contact(out)
        }
        (Draft::Followup(s), Draft::Followup(e)) => {
            let mut out = e.clone();
            if !locked.is_empty() {
                (out.lead_id, out.lead_name) = (s.lead_id, s.lead_name.clone());
            }
            if has(StepKind::Note) {
                out.note = s.note.clone();
            }
            if has(StepKind::Task) {
                (out.task, out.responsible_user_id) = (s.task.clone(), s.responsible_user_id);
            }
            Draft::Followup(out)
        }
        (_, e) => e.clone(),
    }
}

/// Whether a field of a draft of `kind` (as a field error names it: `task.due`,
/// `company.custom_fields.7`) is sent by one of the `locked` steps.
pub fn field_is_locked(kind: DraftKind, field: &str, locked: &[StepKind]) -> bool {
    let has = |k: StepKind| locked.contains(&k);
    let top = field.split('.').next().unwrap_or(field);
    match kind {
        DraftKind::Lead => match top {
            "note" => has(StepKind::Note),
            "task" => has(StepKind::Task),
            _ => has(StepKind::Lead) || has(StepKind::IncomingLead),
        },
        DraftKind::Contact => match top {
            "company" => has(StepKind::Company) || has(StepKind::Link),
            "existing_company_id" => has(StepKind::Link),
            _ => has(StepKind::Contact),
        },
        DraftKind::Followup => match top {
            "note" => has(StepKind::Note),
            "task" => has(StepKind::Task),
            _ => !locked.is_empty(),
        },
        DraftKind::Call => has(StepKind::Call),
        DraftKind::TaskChange => has(StepKind::TaskChange),
        DraftKind::LeadChange => has(StepKind::LeadChange),
    }
}

fn push_note_and_task(
    steps: &mut Vec<StepBody>,
    lead: Target,
    note: &str,
    task: Option<&TaskDraft>,
    responsible: Option<i64>,
) {
    if !note.is_empty() {
        steps.push(StepBody::Note(NoteStep { lead, text: note.to_string() }));
    }
    if let Some(t) = task {
        steps.push(StepBody::Task(TaskStep { lead, task: t.clone(), responsible_user_id: responsible }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::draft::FollowupDraft;

    fn kinds(d: &Draft) -> Vec<StepKind> {
        plan(d).iter().map(StepBody::kind).collect()
    }

    #[test]
    fn each_kind_of_entry_has_its_steps_in_order() {
        let task =
            Some(TaskDraft { text: "Call back".into(), due: "2026-12-05T10:00:00+03:00".into(), ..Default::default() });
        let lead = LeadDraft { name: "x".into(), note: "n".into(), task: task.clone(), ..Default::default() };
        assert_eq!(kinds(&Draft::Lead(lead.clone())), [StepKind::Lead, StepKind::Note, StepKind::Task]);
        let incoming = LeadDraft { unsorted: true, note: String::new(), ..lead.clone() };
        assert_eq!(kinds(&Draft::Lead(incoming)), [StepKind::IncomingLead, StepKind::Task]);
        let StepBody::Lead(LeadStep(body)) = &plan(&Draft::Lead(lead))[0] else { panic!("a lead") };
        assert_eq!((body.note.as_str(), &body.task), ("", &None), "the note and task are steps of their own");

        let follow = FollowupDraft { lead_id: 42, note: "n".into(), task, ..Default::default() };
        let steps = plan(&Draft::Followup(follow));
        assert_eq!(steps.iter().map(StepBody::targets).collect::<Vec<_>>(), [[Target::Id(42)], [Target::Id(42)]]);

        let alone = ContactDraft { first_name: "A".into(), ..Default::default() };
        assert_eq!(kinds(&Draft::Contact(alone.clone())), [StepKind::Contact]);
        let new_company =
            ContactDraft { company: Some(CompanyDraft { name: "C".into(), ..Default::default() }), ..alone.clone() };
        assert_eq!(kinds(&Draft::Contact(new_company)), [StepKind::Contact, StepKind::Company, StepKind::Link]);
        let picked = ContactDraft { existing_company_id: Some(7), ..alone };
        let steps = plan(&Draft::Contact(picked));
        assert_eq!(steps[1].targets(), [Target::Step(StepKind::Contact), Target::Id(7)]);
        let StepBody::Contact(ContactStep(c)) = &steps[0] else { panic!("a contact") };
        assert_eq!(c.existing_company_id, None, "the company is the link's business");
    }

    #[test]
    fn an_edit_keeps_what_locked_steps_send_and_changes_the_rest() {
        let task = |text: &str| {
            Some(TaskDraft { text: text.into(), due: "2026-12-05T10:00:00+03:00".into(), ..Default::default() })
        };
        let stored = Draft::Lead(LeadDraft {
            name: "Chairs".into(),
            note: "n".into(),
            task: task("Call"),
            ..Default::default()
        });
        let edited = Draft::Lead(LeadDraft {
            name: "Tables".into(),
            note: "m".into(),
            task: task("Visit"),
            ..Default::default()
        });
        let kept = keep_locked(&stored, &edited, &[StepKind::Lead, StepKind::Note]);
        let Draft::Lead(k) = &kept else { panic!("a lead") };
        assert_eq!(
            (k.name.as_str(), k.note.as_str(), k.task.as_ref().map(|t| t.text.as_str())),
            ("Chairs", "n", Some("Visit"))
        );
        let (before, after) = (plan(&stored), plan(&kept));
        assert_eq!(&before[..2], &after[..2], "the locked steps come out the same");
        assert_ne!(before[2], after[2], "the task changed");
        assert_eq!(keep_locked(&stored, &edited, &[]), edited, "nothing locked: the edit as it is");

        let contact = |name: &str, company: Option<i64>| {
            Draft::Contact(ContactDraft { first_name: name.into(), existing_company_id: company, ..Default::default() })
        };
        let kept = keep_locked(&contact("Ivan", Some(999)), &contact("Petr", Some(7)), &[StepKind::Contact]);
        assert_eq!(kept, contact("Ivan", Some(7)), "the contact stays, its company changes");
        assert!(field_is_locked(DraftKind::Contact, "first_name", &[StepKind::Contact]));
        assert!(!field_is_locked(DraftKind::Contact, "existing_company_id", &[StepKind::Contact]));
        assert!(field_is_locked(DraftKind::Lead, "custom_fields.701001", &[StepKind::IncomingLead]));
        assert!(!field_is_locked(DraftKind::Lead, "task.task_type_id", &[StepKind::Lead, StepKind::Note]));
        assert!(field_is_locked(DraftKind::Followup, "lead_id", &[StepKind::Note]));
    }

    #[test]
    fn bodies_are_stored_as_kind_and_body() {
        let step = StepBody::Note(NoteStep { lead: Target::Step(StepKind::Lead), text: "hi".into() });
        let json = serde_json::to_value(&step).expect("json");
        assert_eq!(json, serde_json::json!({"kind": "note", "body": {"lead": {"step": "lead"}, "text": "hi"}}));
        assert_eq!(serde_json::from_value::<StepBody>(json).expect("back"), step);
        for k in [
            "lead",
            "incoming_lead",
            "contact",
            "company",
            "link",
            "note",
            "task",
            "call",
            "task_change",
            "lead_change",
        ] {
            assert_eq!(StepKind::parse(k).map(StepKind::as_str), Some(k));
        }
    }
}
