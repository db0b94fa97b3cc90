//! Changes to what amoCRM already has (issue 21): a task marked done, moved or edited, and a
//! lead moved to another stage, won, lost, re-priced, renamed, handed over, tagged or given
//! field values. Each is typed against the version of the record the user was looking at —
//! its `updated_at` — so the outbox can tell, right before sending, whether somebody changed
//! the record since (amoCRM's `PATCH` checks no version: last write wins, docs/amocrm-api.md
//! §18.2). A change of the same record since then is a [`Conflict`]: shown with both versions,
//! never overwritten silently.
//!
//! An empty text or `None` means "leave as it is": only what the user changed is sent, so a
//! colleague's change of another field is never undone by a stale copy of it.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::fields::FieldEntry;
use crate::domain::limits::{MAX_NAME, MAX_PRICE, MAX_TAG, MAX_TAGS};
use crate::domain::reference::{LOST_STATUS_ID, WON_STATUS_ID};
use crate::domain::task::MAX_TASK_TEXT;
use crate::domain::text::{clean_name, clean_note};
use crate::error::{FieldCode, FieldError};

/// A change of one task.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
#[serde(default)]
pub struct TaskChangeDraft {
    #[ts(type = "number")]
    pub task_id: i64,
    /// The task's text as the user saw it (History's title; amoCRM is not asked again).
    pub title: String,
    /// The task's `updated_at` when the user read it: a later one in amoCRM is a conflict.
    #[ts(type = "number")]
    pub seen_updated_at: i64,
    /// Mark it done (amoCRM's `is_completed`).
    pub done: bool,
    /// What came of it (amoCRM's `result.text`; only with `done`).
    pub result: String,
    /// A new due time as typed (a preset, `+2h`, `tomorrow 10:00`, a date); fixed in the
    /// account's zone when queued, RFC 3339 after. Empty: not moved.
    pub due: String,
    /// A new text; empty: unchanged.
    pub text: String,
    #[ts(type = "number | null")]
    pub task_type_id: Option<i64>,
    #[ts(type = "number | null")]
    pub responsible_user_id: Option<i64>,
}

/// A change of one lead. Won and lost are stages (142 and 143 in every pipeline); the window and
/// the CLI name them by kind, never by these numbers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
#[serde(default)]
pub struct LeadChangeDraft {
    #[ts(type = "number")]
    pub lead_id: i64,
    /// The lead's name as the user saw it (History's title).
    pub lead_name: String,
    /// The lead's `updated_at` when the user read it: a later one in amoCRM is a conflict.
    #[ts(type = "number")]
    pub seen_updated_at: i64,
    /// The lead's pipeline when the user read it (a stage is checked against it when no
    /// `pipeline_id` is given).
    #[ts(type = "number")]
    pub seen_pipeline_id: i64,
    /// The custom fields the lead had a value in when the user read it: a stage's required
    /// fields are asked for only when neither the lead nor this change fills them.
    #[ts(type = "number[]")]
    pub filled_field_ids: Vec<i64>,
    /// A new name; empty: unchanged.
    pub name: String,
    /// A new price as typed; empty: unchanged.
    pub price: String,
    #[ts(type = "number | null")]
    pub pipeline_id: Option<i64>,
    #[ts(type = "number | null")]
    pub status_id: Option<i64>,
    /// Why it was lost (only with the lost stage).
    #[ts(type = "number | null")]
    pub loss_reason_id: Option<i64>,
    #[ts(type = "number | null")]
    pub responsible_user_id: Option<i64>,
    /// Tags added (amoCRM's `tags_to_add`: the lead's other tags stay).
    pub tags_to_add: Vec<String>,
    /// Custom field values set (each replaces that field's values; the others stay).
    pub custom_fields: Vec<FieldEntry>,
}

impl TaskChangeDraft {
    /// Something to change, trimmed; the due time is fixed later (`outbox::check`).
    pub fn validated(&self) -> Result<TaskChangeDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.task_id <= 0 {
            errors.push(FieldError::new("task_id", FieldCode::Required));
        }
        let (text, result) = (clean_note(&self.text), clean_note(&self.result));
        if text.chars().count() > MAX_TASK_TEXT {
            errors.push(FieldError::new("text", FieldCode::TooLong));
        }
        if result.chars().count() > MAX_TASK_TEXT {
            errors.push(FieldError::new("result", FieldCode::TooLong));
        }
        if !result.is_empty() && !self.done {
            // A result belongs to a task being closed; amoCRM keeps it as the closing note.
            errors.push(FieldError::new("result", FieldCode::NotExpected));
        }
        let due = self.due.trim().to_string();
        let nothing = !self.done
            && due.is_empty()
            && text.is_empty()
            && self.task_type_id.is_none()
            && self.responsible_user_id.is_none();
        if nothing {
            errors.push(FieldError::new("form", FieldCode::NothingToChange));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(TaskChangeDraft { title: clean_name(&self.title), text, result, due, ..self.clone() })
    }
}

impl LeadChangeDraft {
    /// Something to change, each part well formed; the account's rules (stages, required
    /// fields, users, custom fields) are `outbox::check`'s.
    pub fn validated(&self) -> Result<LeadChangeDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.lead_id <= 0 {
            errors.push(FieldError::new("lead_id", FieldCode::Required));
        }
        let name = clean_name(&self.name);
        if name.chars().count() > MAX_NAME {
            errors.push(FieldError::new("name", FieldCode::TooLong));
        }
        let price = self.price.trim().replace([' ', '\u{a0}'], "");
        if !price.is_empty() && !price.parse::<i64>().is_ok_and(|p| (0..=MAX_PRICE).contains(&p)) {
            errors.push(FieldError::new("price", FieldCode::InvalidPrice));
        }
        let mut tags: Vec<String> = Vec::new();
        for t in &self.tags_to_add {
            let t = clean_name(t);
            if t.is_empty() || t.chars().count() > MAX_TAG {
                errors.push(FieldError::new("tags", FieldCode::InvalidTag));
            } else if !tags.iter().any(|have| have.eq_ignore_ascii_case(&t)) {
                tags.push(t);
            }
        }
        if tags.len() > MAX_TAGS {
            errors.push(FieldError::new("tags", FieldCode::TooMany));
        }
        match (self.status_id, self.loss_reason_id) {
            (Some(s), Some(_)) if s != LOST_STATUS_ID => {
                // amoCRM refuses a reason on a lead that is not lost (docs/amocrm-api.md §18.3).
                errors.push(FieldError::new("loss_reason_id", FieldCode::NotExpected));
            }
            (None, Some(_)) => errors.push(FieldError::new("loss_reason_id", FieldCode::NotExpected)),
            _ => {}
        }
        if self.pipeline_id.is_some() && self.status_id.is_none() {
            errors.push(FieldError::new("status", FieldCode::Required));
        }
        let typed_fields = self.custom_fields.iter().any(|e| !e.value.trim().is_empty());
        let nothing = name.is_empty()
            && price.is_empty()
            && self.status_id.is_none()
            && self.responsible_user_id.is_none()
            && tags.is_empty()
            && !typed_fields;
        if nothing && errors.is_empty() {
            errors.push(FieldError::new("form", FieldCode::NothingToChange));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(LeadChangeDraft { lead_name: clean_name(&self.lead_name), name, price, tags_to_add: tags, ..self.clone() })
    }

    pub fn price_value(&self) -> Option<i64> {
        self.price.parse().ok()
    }

    /// The pipeline the lead ends in.
    pub fn target_pipeline(&self) -> i64 {
        self.pipeline_id.unwrap_or(self.seen_pipeline_id)
    }

    /// Won or lost (a closing stage).
    pub fn closes(&self) -> bool {
        matches!(self.status_id, Some(WON_STATUS_ID | LOST_STATUS_ID))
    }
}

/// A task as amoCRM has it now (`GET /api/v4/tasks/{id}`): what a change compares before it is
/// sent, and looks for after a lost answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskNow {
    pub id: i64,
    pub text: String,
    pub task_type_id: i64,
    pub complete_till: i64,
    pub is_completed: bool,
    pub result_text: Option<String>,
    pub responsible_user_id: i64,
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
    pub updated_at: i64,
    pub updated_by: i64,
}

/// One of the account's reasons a lead is lost (`GET /api/v4/leads/loss_reasons`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LossReason {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
}

// A conflict is an error's parameters (`EntryError::Conflict`), so it is declared with the errors;
// it is re-exported here beside the changes it is about.
pub use crate::error::{Conflict, ConflictField};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_that_changes_nothing_is_refused_naming_the_form() {
        let e = TaskChangeDraft { task_id: 5, ..Default::default() }.validated().expect_err("nothing");
        assert_eq!(e, [FieldError::new("form", FieldCode::NothingToChange)]);
        let e =
            LeadChangeDraft { lead_id: 5, name: "  ".into(), ..Default::default() }.validated().expect_err("nothing");
        assert_eq!(e, [FieldError::new("form", FieldCode::NothingToChange)]);
    }

    #[test]
    fn each_part_is_checked_on_its_own_field() {
        let e = TaskChangeDraft { task_id: 5, result: "ok".into(), due: "tomorrow".into(), ..Default::default() }
            .validated()
            .expect_err("a result without done");
        assert_eq!(e, [FieldError::new("result", FieldCode::NotExpected)]);
        let lead = LeadChangeDraft {
            lead_id: 5,
            price: "-3".into(),
            status_id: Some(WON_STATUS_ID),
            loss_reason_id: Some(1),
            tags_to_add: vec!["".into()],
            ..Default::default()
        };
        let fields: Vec<String> = lead.validated().expect_err("bad").into_iter().map(|f| f.field).collect();
        assert_eq!(fields, ["price", "tags", "loss_reason_id"]);
        // A pipeline without its stage is named as the form and the CLI name the stage.
        let e = LeadChangeDraft { lead_id: 5, pipeline_id: Some(7), ..Default::default() }
            .validated()
            .expect_err("no stage");
        assert_eq!(e, [FieldError::new("status", FieldCode::Required)]);
        let ok = LeadChangeDraft {
            lead_id: 5,
            price: "12 500".into(),
            tags_to_add: vec!["VIP".into(), "vip".into()],
            ..Default::default()
        }
        .validated()
        .expect("valid");
        assert_eq!((ok.price_value(), ok.tags_to_add.len()), (Some(12_500), 1));
    }
}
