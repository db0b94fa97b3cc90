//! An entry as a plan of steps: the writes to amoCRM that carry out what the user typed, in
//! order, each with what it needs from the ones before it (the note needs the lead's id).
//!
//! A lead is `lead` (or `incoming_lead`), then `note`, then `task`; a contact alone is `contact`,
//! then `company` (a new one), then `link` (the contact put in the company); a note and/or task
//! for an existing lead is `note`, `task`. The plan is made once, when the entry is queued (and
//! again when it is edited: the steps already done must come out the same). How each kind of
//! step is sent and found again after a lost answer is the outbox's business
//! (`outbox/steps/`); this file only says what the steps are.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::draft::{CompanyDraft, ContactDraft, Draft, LeadDraft};
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

    pub fn parse(s: &str) -> StepState {
        match s {
            "maybe_sent" => StepState::MaybeSent,
            "done" => StepState::Done,
            "refused" => StepState::Refused,
            _ => StepState::Pending,
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
    /// The record the step made (none for a link).
    pub id: Option<i64>,
    /// The lead a note or task went on.
    pub lead_id: Option<i64>,
    /// The contact and the company amoCRM made with a lead.
    pub contact_id: Option<i64>,
    pub company_id: Option<i64>,
    /// amoCRM's duplicate control merged the lead into an existing one.
    pub merged: bool,
}

impl Made {
    pub fn record(id: i64) -> Made {
        Made { id: Some(id), ..Made::default() }
    }

    /// A note or task `id` on lead `lead_id`.
    pub fn on_lead(id: i64, lead_id: i64) -> Made {
        Made { id: Some(id), lead_id: Some(lead_id), ..Made::default() }
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
/// of them; an empty plan (a follow-up with nothing in it) is refused before it is queued.
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
    fn bodies_are_stored_as_kind_and_body() {
        let step = StepBody::Note(NoteStep { lead: Target::Step(StepKind::Lead), text: "hi".into() });
        let json = serde_json::to_value(&step).expect("json");
        assert_eq!(json, serde_json::json!({"kind": "note", "body": {"lead": {"step": "lead"}, "text": "hi"}}));
        assert_eq!(serde_json::from_value::<StepBody>(json).expect("back"), step);
        for k in ["lead", "incoming_lead", "contact", "company", "link", "note", "task"] {
            assert_eq!(StepKind::parse(k).map(StepKind::as_str), Some(k));
        }
    }
}
