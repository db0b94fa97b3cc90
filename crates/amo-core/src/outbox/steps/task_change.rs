//! A task's change — done with a result, moved, re-worded, handed over: `PATCH /api/v4/tasks`
//! (docs/amocrm-api.md §18.1) with only what the user changed.
//!
//! Right before it is sent the task is read again: if amoCRM's `updated_at` is later than the
//! version the user changed (or than this desk's own last change of it), somebody changed the
//! task meanwhile and nothing is sent — the entry waits as a [`Conflict`] with both versions.
//!
//! Sending the same change twice leaves the task the same, but it would move `updated_at` and
//! hide a colleague's change made in between; so after a lost answer the task is read and the
//! change is found there when the last change is the connected user's, after the baseline, and
//! the task has every value this change sets.

use super::{Cx, Lookup, Write};
use crate::amocrm::wire;
use crate::clock::parse_rfc3339;
use crate::domain::change::{ConflictField, TaskChangeDraft, TaskNow};
use crate::domain::steps::{Entity, Made, TaskChangeStep};
use crate::domain::tokens::Access;
use crate::error::{AmoError, Result};

impl Write for TaskChangeStep {
    async fn send(&self, cx: &Cx<'_>, at: Access) -> Result<Made> {
        let (api, t) = (cx.api(), &self.0);
        let now = api.task(at.clone(), t.task_id).await?.ok_or_else(|| gone(t.task_id))?;
        let stamp = (now.updated_at, now.updated_by);
        cx.unchanged_since_read(Entity::Tasks, t.task_id, t.seen_updated_at, stamp, || both_versions(t, &now))?;
        let updated_at = api.change_task(at, &wire::task_change_body(t)).await?;
        Ok(Made::changed(t.task_id, updated_at))
    }

    async fn find(&self, cx: &Cx<'_>) -> Result<Lookup> {
        let (api, t) = (cx.api(), &self.0);
        let Some(now) = cx.read(|a| api.task(a, t.task_id)).await? else { return Ok(Lookup::NotThere) };
        let stamp = (now.updated_at, now.updated_by);
        if cx.last_changed_by_us(Entity::Tasks, t.task_id, t.seen_updated_at, stamp).await? && has_it(t, &now) {
            return Ok(Lookup::Found(Made::changed(t.task_id, now.updated_at)));
        }
        Ok(Lookup::NotThere)
    }

    fn field(&self, path: &str) -> String {
        wire::task_change_field(path)
    }
}

/// The task is no longer in amoCRM (deleted since it was read): the entry waits for the user.
fn gone(id: i64) -> crate::error::Error {
    AmoError::AmoNotFound { hint: format!("task {id}") }.into()
}

/// Whether the task has every value the change sets.
fn has_it(t: &TaskChangeDraft, now: &TaskNow) -> bool {
    (!t.done || (now.is_completed && (t.result.is_empty() || now.result_text.as_deref() == Some(&t.result))))
        && parse_rfc3339(&t.due).is_none_or(|due| due == now.complete_till)
        && (t.text.is_empty() || t.text == now.text)
        && t.task_type_id.is_none_or(|id| id == now.task_type_id)
        && t.responsible_user_id.is_none_or(|id| id == now.responsible_user_id)
}

/// The fields the change sets: amoCRM's value now, and the user's.
fn both_versions(t: &TaskChangeDraft, now: &TaskNow) -> Vec<ConflictField> {
    let mut out = Vec::new();
    let mut push = |field: &str, theirs: String, mine: String| {
        out.push(ConflictField { field: field.into(), theirs, mine });
    };
    if t.done {
        push("done", now.is_completed.to_string(), "true".into());
        if !t.result.is_empty() {
            push("result", now.result_text.clone().unwrap_or_default(), t.result.clone());
        }
    }
    if let Some(due) = parse_rfc3339(&t.due) {
        push("due", now.complete_till.to_string(), due.to_string());
    }
    if !t.text.is_empty() {
        push("text", now.text.clone(), t.text.clone());
    }
    if let Some(id) = t.task_type_id {
        push("task_type_id", now.task_type_id.to_string(), id.to_string());
    }
    if let Some(id) = t.responsible_user_id {
        push("responsible_user_id", now.responsible_user_id.to_string(), id.to_string());
    }
    out
}
