//! What is checked before an entry is queued (or an edit saved), once: the draft's own rules
//! (`domain::draft`), and its fit with the connected account as last read from amoCRM (the
//! reference cache) — custom field values for their types and choices, the fields the lead's
//! stage requires, Incoming leads only where the pipeline takes them, a task's type and doer —
//! and what must be fixed at typing time: a task's due time, read in the account's time zone
//! *now* ("tomorrow 10:00" is the tomorrow of the call, however late the outbox sends it).
//! Every problem is named in one answer, on the form's field.

use crate::domain::change::{LeadChangeDraft, TaskChangeDraft};
use crate::domain::draft::{CompanyDraft, ContactDraft, Draft, FollowupDraft, LeadDraft};
use crate::domain::fields::{check_entries, field_key, CustomField, FieldEntry};
use crate::domain::platform::Platform;
use crate::domain::reference::ReferenceData;
use crate::domain::task::TaskDraft;
use crate::domain::zone::Zone;
use crate::error::{FieldCode, FieldError};

/// The draft as it is queued, or every field's problem. `account` is the connected account's
/// shape (none cached yet: custom field values are refused rather than sent unchecked); `now`
/// the Unix time the due times are read at.
pub fn check(
    draft: &Draft,
    account: Option<&ReferenceData>,
    platform: Platform,
    now: i64,
) -> Result<Draft, Vec<FieldError>> {
    let mut errors = match checked(draft, account, platform, now) {
        Ok((clean, objections)) if objections.is_empty() => return Ok(clean),
        Ok((_, objections)) => objections,
        Err(mut own) => {
            // The account's checks too, on what was typed, so one answer names every field.
            let mut objections = Vec::new();
            match draft {
                Draft::Lead(l) => drop(lead(l.clone(), account, now, &mut objections)),
                Draft::Contact(c) => drop(contact(c.clone(), account, &mut objections)),
                Draft::Followup(f) => drop(task(f.task.as_ref(), None, account, now, &mut objections)),
                Draft::Call(c) => responsible(c.responsible_user_id, "responsible_user_id", account, &mut objections),
                Draft::TaskChange(t) => drop(task_change(t.clone(), account, now, &mut objections)),
                Draft::LeadChange(l) => drop(lead_change(l.clone(), account, &mut objections)),
            }
            own.append(&mut objections);
            own
        }
    };
    // The draft's rules and the account's may name the same field for the same reason.
    let mut seen = Vec::new();
    errors.retain(|e| {
        !seen.contains(e) && {
            seen.push(e.clone());
            true
        }
    });
    Err(errors)
}

/// The draft's own rules (`Draft::validated`: their problems are the `Err`), then its fit with
/// the account: the cleaned draft, with the account's values filled in, and the account's
/// objections. An edit uses the two apart: an objection to a part already in amoCRM is moot.
pub(super) fn checked(
    draft: &Draft,
    account: Option<&ReferenceData>,
    platform: Platform,
    now: i64,
) -> Result<(Draft, Vec<FieldError>), Vec<FieldError>> {
    let mut objections = Vec::new();
    let clean = match draft.validated(platform)? {
        Draft::Lead(l) => Draft::Lead(lead(l, account, now, &mut objections)),
        Draft::Contact(c) => Draft::Contact(contact(c, account, &mut objections)),
        Draft::Followup(f) => {
            let task = task(f.task.as_ref(), None, account, now, &mut objections);
            Draft::Followup(FollowupDraft { task, ..f })
        }
        Draft::Call(c) => {
            responsible(c.responsible_user_id, "responsible_user_id", account, &mut objections);
            Draft::Call(c)
        }
        Draft::TaskChange(t) => Draft::TaskChange(task_change(t, account, now, &mut objections)),
        Draft::LeadChange(l) => Draft::LeadChange(lead_change(l, account, &mut objections)),
    };
    Ok((clean, objections))
}

fn lead(mut l: LeadDraft, account: Option<&ReferenceData>, now: i64, errors: &mut Vec<FieldError>) -> LeadDraft {
    if let Some(r) = account {
        if l.unsorted && !takes_incoming(&l, r) {
            errors.push(FieldError::new("unsorted", FieldCode::UnsortedOff));
        }
    }
    l.custom_fields = fields(&l.custom_fields, account, Whose::Lead(lead_stage(&l, account)), "", errors);
    if let Some(c) = l.contact.as_mut().filter(|_| l.existing_contact_id.is_none()) {
        c.custom_fields = fields(&c.custom_fields, account, Whose::Contact, "contact.", errors);
    }
    company(l.company.as_mut(), l.existing_company_id, account, errors);
    let responsible = l.task_responsible();
    l.task = task(l.task.as_ref(), responsible, account, now, errors);
    l
}

fn contact(mut c: ContactDraft, account: Option<&ReferenceData>, errors: &mut Vec<FieldError>) -> ContactDraft {
    c.custom_fields = fields(&c.custom_fields, account, Whose::Contact, "", errors);
    company(c.company.as_mut(), c.existing_company_id, account, errors);
    c
}

/// A new company's own custom fields (none when an existing one is picked).
fn company(
    company: Option<&mut CompanyDraft>,
    existing: Option<i64>,
    account: Option<&ReferenceData>,
    errors: &mut Vec<FieldError>,
) {
    if let Some(c) = company.filter(|_| existing.is_none()) {
        c.custom_fields = fields(&c.custom_fields, account, Whose::Company, "company.", errors);
    }
}

/// Whose custom fields; a lead's with the stage it enters.
enum Whose {
    Lead(Option<(i64, i64)>),
    Contact,
    Company,
}

/// Custom field values checked against the account's fields of that entity; errors named
/// `{prefix}custom_fields.<id>`. Values typed with no field list cached are refused.
fn fields(
    entries: &[FieldEntry],
    account: Option<&ReferenceData>,
    whose: Whose,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) -> Vec<FieldEntry> {
    let result = match account {
        Some(r) => {
            let (defs, stage) = match whose {
                Whose::Lead(stage) => (&r.lead_fields, stage),
                Whose::Contact => (&r.contact_fields, None),
                Whose::Company => (&r.company_fields, None),
            };
            check_entries(entries, defs, stage, r.zone())
        }
        None if entries.iter().any(|e| !e.value.trim().is_empty()) => {
            Err(vec![FieldError::new("custom_fields", FieldCode::FieldsNotLoaded)])
        }
        None => Ok(Vec::new()),
    };
    result.unwrap_or_else(|e| {
        errors.extend(e.into_iter().map(|f| FieldError { field: format!("{prefix}{}", f.field), ..f }));
        Vec::new()
    })
}

/// A task's due time fixed in the account's zone, by its summer-time rules — this computer's
/// zone while the account's is not known (none cached, or its settings not read yet:
/// `domain::zone` says why that beats refusing or assuming UTC) — its type and responsible
/// user checked against the account's. `responsible` is who does it when the task names nobody
/// (a lead's responsible user).
fn task(
    task: Option<&TaskDraft>,
    responsible: Option<i64>,
    account: Option<&ReferenceData>,
    now: i64,
    errors: &mut Vec<FieldError>,
) -> Option<TaskDraft> {
    let t = task.filter(|t| !t.is_empty())?;
    let zone = account.map_or(Zone::Local, ReferenceData::zone);
    let before = errors.len();
    let resolved = t.resolved("task.", now, zone).map_err(|mut e| errors.append(&mut e)).ok();
    if let Some(r) = account {
        if let Some(id) = t.task_type_id {
            if !r.task_types.is_empty() && !r.task_types.iter().any(|tt| tt.id == id) {
                errors.push(FieldError::new("task.task_type_id", FieldCode::NotAChoice));
            }
        }
        let who = t.responsible_user_id.or(responsible);
        if let Some(id) = who.filter(|_| !r.users_restricted && !r.users.is_empty()) {
            if t.responsible_user_id.is_some() && !r.users.iter().any(|u| u.id == id) {
                errors.push(FieldError::new("task.responsible_user_id", FieldCode::NotAChoice));
            }
        }
    }
    resolved.filter(|_| errors.len() == before)
}

/// A task's change: a new due time fixed now in the account's zone (as a new task's is), its
/// type and doer the account's.
fn task_change(
    mut t: TaskChangeDraft,
    account: Option<&ReferenceData>,
    now: i64,
    errors: &mut Vec<FieldError>,
) -> TaskChangeDraft {
    if !t.due.is_empty() {
        let zone = account.map_or(Zone::Local, ReferenceData::zone);
        // The same reading as a new task's due time (the text is not this check's business).
        let probe = TaskDraft { text: "-".into(), due: t.due.clone(), ..TaskDraft::default() };
        match probe.resolved("", now, zone) {
            Ok(fixed) => t.due = fixed.due,
            Err(e) => errors.extend(e),
        }
    }
    if let (Some(r), Some(id)) = (account, t.task_type_id) {
        if !r.task_types.is_empty() && !r.task_types.iter().any(|tt| tt.id == id) {
            errors.push(FieldError::new("task_type_id", FieldCode::NotAChoice));
        }
    }
    responsible(t.responsible_user_id, "responsible_user_id", account, errors);
    t
}

/// A lead's change: its custom field values checked as on a new lead, and — when it moves to
/// another stage — the stage's required fields, counting those the lead already had filled.
fn lead_change(
    mut l: LeadChangeDraft,
    account: Option<&ReferenceData>,
    errors: &mut Vec<FieldError>,
) -> LeadChangeDraft {
    l.custom_fields = fields(&l.custom_fields, account, Whose::Lead(None), "", errors);
    let (Some(r), Some(status)) = (account, l.status_id) else { return l };
    let pipeline = l.target_pipeline();
    if let Some(p) = r.pipelines.iter().find(|p| p.id == pipeline) {
        if p.statuses.iter().any(|s| s.id == status && s.kind == crate::domain::reference::StageKind::Unsorted) {
            // Nothing moves a lead back to Incoming leads (docs/amocrm-api.md §18.2).
            errors.push(FieldError::new("status", FieldCode::NotAChoice));
        }
    }
    let filled = |id: i64| l.filled_field_ids.contains(&id) || l.custom_fields.iter().any(|e| e.field_id == id);
    let fillable = |f: &&CustomField| f.field_type.writable() && !f.is_api_only;
    for f in r.lead_fields.iter().filter(fillable).filter(|f| f.required_for(pipeline, status)) {
        let key = field_key(f.id);
        if !filled(f.id) && !errors.iter().any(|e| e.field == key) {
            let mut e = FieldError::new(key, FieldCode::RequiredForStage);
            e.label = Some(f.name.clone());
            errors.push(e);
        }
    }
    l
}

/// Whether the lead's pipeline (the main one when none is chosen) takes incoming leads, in an
/// account that takes them.
fn takes_incoming(d: &LeadDraft, r: &ReferenceData) -> bool {
    let pipeline = match d.pipeline_id {
        Some(id) => r.pipelines.iter().find(|p| p.id == id),
        None => r.pipelines.iter().find(|p| p.is_main).or(r.pipelines.first()),
    };
    r.unsorted_on && pipeline.is_some_and(|p| p.is_unsorted_on)
}

/// The stage a lead enters: the chosen one, or what amoCRM picks — the first open stage of the
/// chosen pipeline, or of the main one.
fn lead_stage(d: &LeadDraft, r: Option<&ReferenceData>) -> Option<(i64, i64)> {
    // An incoming lead has no stage yet: nothing is required of it (docs/amocrm-api.md §8.13).
    if d.unsorted {
        return None;
    }
    let r = r?;
    let pipeline = match d.pipeline_id {
        Some(id) => r.pipelines.iter().find(|p| p.id == id)?,
        None => r.pipelines.iter().find(|p| p.is_main).or(r.pipelines.first())?,
    };
    let status = match d.status_id {
        Some(id) => id,
        None => pipeline.statuses.iter().find(|s| s.kind.takes_new_leads())?.id,
    };
    Some((pipeline.id, status))
}

/// A responsible user the account has (when its users are known).
fn responsible(id: Option<i64>, field: &str, account: Option<&ReferenceData>, errors: &mut Vec<FieldError>) {
    if let (Some(id), Some(r)) = (id, account) {
        if !r.users_restricted && !r.users.is_empty() && !r.users.iter().any(|u| u.id == id) {
            errors.push(FieldError::new(field, FieldCode::NotAChoice));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> ReferenceData {
        serde_json::from_value(serde_json::json!({
            "pipelines": [], "users": [], "users_restricted": false, "current_user_id": null,
            "lead_fields": [{"id": 7, "name": "Orders", "type": "numeric"}],
            "timezone_offset_secs": 10800, "fetched_at": "", "stale": false
        }))
        .expect("an account")
    }

    #[test]
    fn one_answer_names_the_drafts_own_fields_and_the_accounts() {
        let d = Draft::Lead(LeadDraft {
            name: " ".into(),
            custom_fields: vec![FieldEntry { field_id: 7, value: "many".into(), ..FieldEntry::default() }],
            task: Some(TaskDraft { text: "Call".into(), due: "soon".into(), ..TaskDraft::default() }),
            ..LeadDraft::default()
        });
        let e = check(&d, Some(&account()), Platform::Amocrm, 1_800_000_000).expect_err("invalid");
        let fields: Vec<&str> = e.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["name", "custom_fields.7", "task.due"]);
    }

    #[test]
    fn values_typed_before_the_accounts_fields_were_read_are_refused_not_sent_unchecked() {
        let typed = FieldEntry { field_id: 7, value: "3".into(), ..FieldEntry::default() };
        let d = Draft::Contact(ContactDraft {
            first_name: "Anna".into(),
            company: Some(CompanyDraft { name: "C".into(), custom_fields: vec![typed.clone()] }),
            ..ContactDraft::default()
        });
        let e = check(&d, None, Platform::Amocrm, 0).expect_err("not loaded");
        assert_eq!(e, [FieldError::new("company.custom_fields", FieldCode::FieldsNotLoaded)]);
        let lead = Draft::Lead(LeadDraft { name: "x".into(), custom_fields: vec![typed], ..LeadDraft::default() });
        let Draft::Lead(l) = check(&lead, Some(&account()), Platform::Amocrm, 0).expect("valid") else { panic!() };
        assert!(l.custom_fields[0].checked.is_some(), "what amoCRM gets is filled in");
    }
}
