//! A colleague's change (not part of amoCRM): `POST /_sim/tasks/{id}/as-colleague` and
//! `POST /_sim/leads/{id}/as-colleague` take the JSON a `PATCH` of that task or lead takes and
//! apply it as another user of the account — checked the same way, stamped with that user's id
//! in `updated_by` and a later `updated_at` — so a test can change an entity between the app's
//! read and its send and see the app notice (docs/amocrm-api.md §18.4). `?user_id=N` picks the
//! user; by default the first user who is not the account's admin. Outside the API gate: it
//! costs no request of the 7 a second and no fault applies.
//!
//! Answers: 200 `{"id", "updated_at", "updated_by"}`; 404 for an unknown id; 400 with the body
//! the `PATCH` would have answered (`validation-errors`, …); 400 for a `user_id` not in the
//! account.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::leads::patch_leads;
use crate::problem::{bad_request, not_found};
use crate::state::{Inner, Shared};
use crate::tasks::patch_tasks;

/// A colleague's change of a lead made right before the app reads it for the `reads_left`-th
/// time: a test's way to land a change between two reads of one command (the form's read and
/// the outbox's read right before its `PATCH`), which no timing could hit reliably.
pub(crate) struct OnRead {
    pub lead_id: i64,
    pub reads_left: u32,
    pub user: i64,
    pub patch: Value,
}

/// Before `GET /api/v4/leads/{id}` answers: the colleagues' changes due at this read.
pub(crate) fn before_lead_read(inner: &mut Inner, id: i64) {
    let mut due = Vec::new();
    inner.on_read.retain_mut(|c| {
        if c.lead_id != id {
            return true;
        }
        c.reads_left = c.reads_left.saturating_sub(1);
        if c.reads_left == 0 {
            due.push((c.user, c.patch.clone()));
            return false;
        }
        true
    });
    for (user, patch) in due {
        let r = change(inner, Kind::Lead, id, patch, Some(user));
        debug_assert!(r.status().is_success(), "a colleague's change on read was refused");
    }
}

/// What a colleague changes.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Task,
    Lead,
}

#[derive(Deserialize)]
pub(crate) struct AsUser {
    user_id: Option<i64>,
}

/// The user a colleague's change is made as: `user_id` when it is one of the account's, else the
/// first user who is not the admin (the admin when the account has nobody else).
fn colleague(inner: &Inner, user_id: Option<i64>) -> Option<i64> {
    let users = &inner.crm.users;
    match user_id {
        Some(id) => users.iter().any(|u| u.id == id).then_some(id),
        None => users.iter().map(|u| u.id).find(|id| *id != inner.cfg.user_id).or(Some(inner.cfg.user_id)),
    }
}

/// Applies `patch` to task or lead `id` as `user_id` (see the module's doc); the answer.
pub(crate) fn change(inner: &mut Inner, kind: Kind, id: i64, mut patch: Value, user_id: Option<i64>) -> Response {
    let Some(user) = colleague(inner, user_id) else {
        return bad_request("user_id is not a user of this account");
    };
    if !patch.is_object() {
        return bad_request("Request body must be an object");
    }
    patch["id"] = json!(id);
    let crm = &mut inner.crm;
    let done = match kind {
        Kind::Task if !crm.tasks.iter().any(|t| t.id == id) => return not_found(),
        Kind::Lead if !crm.leads.iter().any(|l| l.id == id) => return not_found(),
        Kind::Task => patch_tasks(crm, &[patch], user).map(|d| d[0].1),
        Kind::Lead => patch_leads(crm, &[patch], user).map(|d| d[0].1),
    };
    match done {
        Ok(updated_at) => {
            (StatusCode::OK, Json(json!({"id": id, "updated_at": updated_at, "updated_by": user}))).into_response()
        }
        Err(refusal) => refusal,
    }
}

/// `POST /_sim/tasks/{id}/as-colleague[?user_id=N]` with a task `PATCH`'s JSON.
pub(crate) async fn sim_task_as_colleague(
    State(s): State<Shared>,
    Path(id): Path<i64>,
    Query(q): Query<AsUser>,
    Json(patch): Json<Value>,
) -> Response {
    change(&mut s.lock(), Kind::Task, id, patch, q.user_id)
}

/// `POST /_sim/leads/{id}/as-colleague[?user_id=N]` with a lead `PATCH`'s JSON.
pub(crate) async fn sim_lead_as_colleague(
    State(s): State<Shared>,
    Path(id): Path<i64>,
    Query(q): Query<AsUser>,
    Json(patch): Json<Value>,
) -> Response {
    change(&mut s.lock(), Kind::Lead, id, patch, q.user_id)
}
