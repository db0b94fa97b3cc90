//! Whose shape a draft is checked against, and its amoCRM ids checked to be that account's.
//!
//! A draft carries ids of one account: the lead's pipeline, stage and responsible user, a
//! task's type and doer, an existing contact or company. Typed in a form that still showed
//! another account's choices (after Disconnect, or with another account connected since), they
//! would reach the account the entry is queued for as its ids — at best refused by amoCRM days
//! later, at worst someone else's stage or colleague. So `check` is given the account's shape
//! (`ReferenceData`) only when it is the connected account's (it says whose it is), and an id
//! that is not that account's is refused at once, named on its field.

use crate::domain::account::AccountRef;
use crate::domain::draft::{ContactDraft, Draft, LeadDraft};
use crate::domain::reference::ReferenceData;
use crate::domain::task::TaskDraft;
use crate::error::{FieldCode, FieldError};

/// What a draft's ids can be checked against.
#[derive(Debug, Clone, Copy)]
pub(super) enum Shape<'a> {
    /// The connected account's pipelines, users and fields as last read.
    Known(&'a ReferenceData),
    /// An account is connected but its shape was never read (a command line's `--pipeline`
    /// right after connecting): the ids are sent as given, and amoCRM refuses a wrong one (the
    /// entry then needs attention). The window always has the shape before it offers a choice.
    NotRead,
    /// No account is connected (the entry would belong to whichever is connected next), or the
    /// shape at hand is another account's: no id can be known to be the right account's.
    Unbound,
}

impl<'a> Shape<'a> {
    /// `reference` as the shape of `current` — only if it is that account's.
    pub fn of(reference: Option<&'a ReferenceData>, current: Option<&AccountRef>) -> Shape<'a> {
        let Some(current) = current else { return Shape::Unbound };
        let Some(r) = reference else { return Shape::NotRead };
        match &r.account_domain {
            Some(domain) if AccountRef { account_id: r.account_id, domain: domain.clone() }.same_as(current) => {
                Shape::Known(r)
            }
            whose => {
                tracing::warn!(
                    shape = whose.as_deref().unwrap_or("-"),
                    connected = current.domain.as_str(),
                    "another account's shape was given to check a draft: not used"
                );
                Shape::Unbound
            }
        }
    }

    /// What `check` is given: the shape only when it is the connected account's.
    pub fn reference(self) -> Option<&'a ReferenceData> {
        match self {
            Shape::Known(r) => Some(r),
            Shape::NotRead | Shape::Unbound => None,
        }
    }

    /// The draft's ids that are not the connected account's, each on its field. The ones
    /// `check` already holds against a known shape (a task's type and doer, a call's
    /// responsible user, custom fields) are left to it.
    pub fn foreign_ids(self, draft: &Draft) -> Vec<FieldError> {
        let mut errors = Vec::new();
        match self {
            Shape::NotRead => {}
            Shape::Known(r) => match draft {
                Draft::Lead(l) => known_lead(l, r, &mut errors),
                Draft::Contact(c) => user(c.responsible_user_id, "responsible_user_id", r, &mut errors),
                Draft::Followup(_) | Draft::Call(_) | Draft::TaskChange(_) => {}
                Draft::LeadChange(l) => known_lead_change(l, r, &mut errors),
            },
            Shape::Unbound => {
                let mut any = |id: Option<i64>, field: &str| {
                    if id.is_some() {
                        errors.push(FieldError::new(field, FieldCode::NotInAccount));
                    }
                };
                match draft {
                    Draft::Lead(l) => {
                        any(l.pipeline_id, "pipeline");
                        any(l.status_id.filter(|_| !l.unsorted), "status");
                        any(l.responsible_user_id, "responsible_user_id");
                        any(l.existing_contact_id, "existing_contact_id");
                        any(l.existing_company_id, "existing_company_id");
                        unbound_task(l.task.as_ref(), &mut any);
                    }
                    Draft::Contact(ContactDraft { responsible_user_id, existing_company_id, .. }) => {
                        any(*responsible_user_id, "responsible_user_id");
                        any(*existing_company_id, "existing_company_id");
                    }
                    Draft::Followup(f) => {
                        any(Some(f.lead_id).filter(|id| *id > 0), "lead_id");
                        any(f.responsible_user_id, "responsible_user_id");
                        unbound_task(f.task.as_ref(), &mut any);
                    }
                    Draft::Call(c) => any(c.responsible_user_id, "responsible_user_id"),
                    // A record of an account, with none connected: whichever is connected next
                    // would get the change, for its own record with that id.
                    Draft::TaskChange(t) => any(Some(t.task_id).filter(|id| *id > 0), "task_id"),
                    Draft::LeadChange(l) => any(Some(l.lead_id).filter(|id| *id > 0), "lead_id"),
                }
            }
        }
        errors
    }
}

fn unbound_task(task: Option<&TaskDraft>, any: &mut impl FnMut(Option<i64>, &str)) {
    if let Some(t) = task.filter(|t| !t.is_empty()) {
        any(t.task_type_id, "task.task_type_id");
        any(t.responsible_user_id, "task.responsible_user_id");
    }
}

/// The lead's pipeline is one of the account's, its stage one of that pipeline's (the main
/// pipeline's when none is chosen; none is sent to Incoming leads), its responsible user one of
/// the account's users.
fn known_lead(l: &LeadDraft, r: &ReferenceData, errors: &mut Vec<FieldError>) {
    // An empty list is one that was not read (an older cache): nothing to hold the ids to.
    let pipeline = match l.pipeline_id {
        Some(id) if !r.pipelines.is_empty() => match r.pipelines.iter().find(|p| p.id == id) {
            Some(p) => Some(p),
            None => {
                errors.push(FieldError::new("pipeline", FieldCode::NotInAccount));
                None
            }
        },
        Some(_) => None,
        None => r.pipelines.iter().find(|p| p.is_main).or(r.pipelines.first()),
    };
    if let (Some(status), Some(p), false) = (l.status_id, pipeline, l.unsorted) {
        if !p.statuses.iter().any(|s| s.id == status) {
            errors.push(FieldError::new("status", FieldCode::NotInAccount));
        }
    }
    user(l.responsible_user_id, "responsible_user_id", r, errors);
}

/// A lead's change: the pipeline it moves to is the account's, the stage one of that pipeline's
/// (won and lost are in every pipeline), the new responsible user one of the account's users.
fn known_lead_change(l: &crate::domain::change::LeadChangeDraft, r: &ReferenceData, errors: &mut Vec<FieldError>) {
    if !r.pipelines.is_empty() {
        let pipeline = r.pipelines.iter().find(|p| p.id == l.target_pipeline());
        if l.pipeline_id.is_some() && pipeline.is_none() {
            errors.push(FieldError::new("pipeline", FieldCode::NotInAccount));
        }
        if let (Some(status), Some(p)) = (l.status_id, pipeline) {
            if !l.closes() && !p.statuses.iter().any(|s| s.id == status) {
                errors.push(FieldError::new("status", FieldCode::NotInAccount));
            }
        }
    }
    user(l.responsible_user_id, "responsible_user_id", r, errors);
}

/// A user of the account, when its users are known (a user who may not list them sees only
/// themselves: any other id is left to amoCRM).
fn user(id: Option<i64>, field: &str, r: &ReferenceData, errors: &mut Vec<FieldError>) {
    if let Some(id) = id {
        if !r.users_restricted && !r.users.is_empty() && !r.users.iter().any(|u| u.id == id) {
            errors.push(FieldError::new(field, FieldCode::NotInAccount));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::draft::FollowupDraft;

    /// Acme: pipeline 10 (stages 11, 12), pipeline 20 (stage 21); users 7 and 8.
    fn acme() -> ReferenceData {
        serde_json::from_value(serde_json::json!({
            "pipelines": [
                {"id": 10, "name": "Sales", "sort": 1, "is_main": true, "is_unsorted_on": true, "statuses": [
                    {"id": 11, "name": "New", "sort": 1, "color": "", "kind": "open"},
                    {"id": 12, "name": "Talks", "sort": 2, "color": "", "kind": "open"}]},
                {"id": 20, "name": "Repairs", "sort": 2, "is_main": false, "is_unsorted_on": false, "statuses": [
                    {"id": 21, "name": "In work", "sort": 1, "color": "", "kind": "open"}]}],
            "users": [{"id": 7, "name": "Anna", "email": null}, {"id": 8, "name": "Boris", "email": null}],
            "users_restricted": false, "current_user_id": 7, "lead_fields": [],
            "timezone_offset_secs": 10800, "fetched_at": "", "stale": false,
            "account_domain": "acme.amocrm.ru", "account_id": 1
        }))
        .expect("acme's shape")
    }

    fn at(id: Option<i64>, domain: &str) -> AccountRef {
        AccountRef { account_id: id, domain: domain.into() }
    }

    fn fields(errors: &[FieldError]) -> Vec<(&str, FieldCode)> {
        errors.iter().map(|e| (e.field.as_str(), e.code)).collect()
    }

    fn lead(pipeline: Option<i64>, status: Option<i64>, responsible: Option<i64>) -> Draft {
        Draft::Lead(LeadDraft {
            name: "Sofa".into(),
            pipeline_id: pipeline,
            status_id: status,
            responsible_user_id: responsible,
            ..LeadDraft::default()
        })
    }

    #[test]
    fn a_shape_is_used_only_for_the_account_it_is_of() {
        let r = acme();
        assert!(matches!(Shape::of(Some(&r), Some(&at(Some(1), "acme.amocrm.ru"))), Shape::Known(_)));
        // Renamed subdomain: the id says it is acme; before ids are known, the host (any case).
        assert!(matches!(Shape::of(Some(&r), Some(&at(Some(1), "new.amocrm.ru"))), Shape::Known(_)));
        assert!(matches!(Shape::of(Some(&r), Some(&at(None, "ACME.amocrm.ru"))), Shape::Known(_)));
        // Another account connected since: its entries are not checked against acme's shape.
        let beta = at(Some(2), "beta.amocrm.ru");
        assert!(Shape::of(Some(&r), Some(&beta)).reference().is_none());
        assert!(matches!(Shape::of(Some(&r), Some(&at(Some(2), "acme.amocrm.ru"))), Shape::Unbound));
        // A shape that does not say whose it is, is nobody's.
        let anonymous = ReferenceData { account_domain: None, ..acme() };
        assert!(matches!(Shape::of(Some(&anonymous), Some(&beta)), Shape::Unbound));
        assert!(matches!(Shape::of(Some(&r), None), Shape::Unbound), "none connected");
        assert!(matches!(Shape::of(None, Some(&beta)), Shape::NotRead));
    }

    #[test]
    fn ids_not_in_the_connected_accounts_shape_are_refused_by_name() {
        let r = acme();
        let known = Shape::Known(&r);
        assert!(known.foreign_ids(&lead(Some(20), Some(21), Some(8))).is_empty());
        assert!(known.foreign_ids(&lead(None, Some(12), None)).is_empty(), "a stage of the main pipeline");
        // Beta's pipeline, stage and colleague typed in a form still showing them.
        assert_eq!(
            fields(&known.foreign_ids(&lead(Some(3383152), Some(142), Some(1414213)))),
            [("pipeline", FieldCode::NotInAccount), ("responsible_user_id", FieldCode::NotInAccount)],
        );
        assert_eq!(fields(&known.foreign_ids(&lead(Some(20), Some(11), None))), [("status", FieldCode::NotInAccount)]);
        assert_eq!(fields(&known.foreign_ids(&lead(None, Some(21), None))), [("status", FieldCode::NotInAccount)]);
        // Incoming leads: the stage is not sent.
        let incoming = Draft::Lead(LeadDraft {
            pipeline_id: Some(10),
            status_id: Some(99),
            unsorted: true,
            ..LeadDraft::default()
        });
        assert!(known.foreign_ids(&incoming).is_empty());
        let contact = Draft::Contact(ContactDraft { responsible_user_id: Some(9), ..ContactDraft::default() });
        assert_eq!(fields(&known.foreign_ids(&contact)), [("responsible_user_id", FieldCode::NotInAccount)]);
        // Users the token may not list: only amoCRM knows.
        let restricted = ReferenceData { users_restricted: true, ..acme() };
        assert!(Shape::Known(&restricted).foreign_ids(&lead(None, None, Some(9))).is_empty());
        // Not read yet: as given.
        assert!(Shape::NotRead.foreign_ids(&lead(Some(3383152), Some(142), Some(1414213))).is_empty());
    }

    #[test]
    fn with_no_account_to_hold_them_to_every_id_is_refused_and_plain_text_is_kept() {
        let task =
            TaskDraft { text: "Call".into(), due: "+1h".into(), task_type_id: Some(1), responsible_user_id: Some(7) };
        let d = Draft::Lead(LeadDraft {
            name: "Sofa".into(),
            pipeline_id: Some(10),
            status_id: Some(11),
            responsible_user_id: Some(7),
            existing_contact_id: Some(5),
            existing_company_id: Some(6),
            task: Some(task),
            ..LeadDraft::default()
        });
        let refused = Shape::Unbound.foreign_ids(&d);
        assert!(refused.iter().all(|e| e.code == FieldCode::NotInAccount));
        assert_eq!(
            refused.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            [
                "pipeline",
                "status",
                "responsible_user_id",
                "existing_contact_id",
                "existing_company_id",
                "task.task_type_id",
                "task.responsible_user_id"
            ]
        );
        assert!(
            Shape::Unbound.foreign_ids(&lead(None, None, None)).is_empty(),
            "a lead with no ids waits for the next account"
        );
        let followup = Draft::Followup(FollowupDraft { lead_id: 42, note: "x".into(), ..FollowupDraft::default() });
        assert_eq!(fields(&Shape::Unbound.foreign_ids(&followup)), [("lead_id", FieldCode::NotInAccount)]);
    }
}
