//! `/_sim/*`: controls and counters for tests, over HTTP (not part of amoCRM) — the counters,
//! the authorize page's decision, expiring access tokens, a code or long-lived token as the
//! Keys tab gives them, faults, lifting a ban, the account's API filtering, and what a user does
//! to contacts in amoCRM meanwhile (delete, merge, rename, new phones, a big seeded base), leads
//! added while a list is paged, and the notes and calls written; the same knobs
//! [`crate::Simulator`] has.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::config::Decision;
use crate::gate::Faults;
use crate::notes::SimNote;
use crate::oauth::{expire_access_tokens, new_code, new_long_lived};
use crate::state::{Shared, Stats};

pub(crate) async fn sim_stats(State(s): State<Shared>) -> Json<Stats> {
    Json(s.lock().stats.clone())
}

#[derive(Deserialize)]
pub(crate) struct DecisionQuery {
    mode: Decision,
}

pub(crate) async fn sim_decision(State(s): State<Shared>, Query(q): Query<DecisionQuery>) -> StatusCode {
    s.lock().cfg.decision = q.mode;
    StatusCode::NO_CONTENT
}

pub(crate) async fn sim_expire_tokens(State(s): State<Shared>) -> StatusCode {
    expire_access_tokens(&mut s.lock());
    StatusCode::NO_CONTENT
}

pub(crate) async fn sim_issue_code(State(s): State<Shared>) -> Json<serde_json::Value> {
    Json(json!({ "code": new_code(&mut s.lock()) }))
}

#[derive(Deserialize)]
pub(crate) struct LongLivedQuery {
    seconds: i64,
}

pub(crate) async fn sim_issue_long_lived(
    State(s): State<Shared>,
    Query(q): Query<LongLivedQuery>,
) -> Json<serde_json::Value> {
    Json(json!({ "token": new_long_lived(&mut s.lock(), q.seconds) }))
}

pub(crate) async fn sim_faults(State(s): State<Shared>, Json(f): Json<Faults>) -> StatusCode {
    s.lock().gate.faults = f;
    StatusCode::NO_CONTENT
}

pub(crate) async fn sim_unban(State(s): State<Shared>) -> StatusCode {
    s.lock().gate.banned = false;
    StatusCode::NO_CONTENT
}

/// 204 when the entity was there, 404 when not.
fn done(found: bool) -> StatusCode {
    if found {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

/// `DELETE /_sim/contacts/{id}`.
pub(crate) async fn sim_delete_contact(State(s): State<Shared>, Path(id): Path<i64>) -> StatusCode {
    done(s.lock().crm.delete_contact(id))
}

/// `DELETE /_sim/companies/{id}`.
pub(crate) async fn sim_delete_company(State(s): State<Shared>, Path(id): Path<i64>) -> StatusCode {
    done(s.lock().crm.delete_company(id))
}

#[derive(Deserialize)]
pub(crate) struct Merge {
    keep: i64,
    gone: i64,
}

/// `POST /_sim/contacts/merge` `{"keep": ID, "gone": ID}`.
pub(crate) async fn sim_merge_contacts(State(s): State<Shared>, Json(m): Json<Merge>) -> StatusCode {
    done(s.lock().crm.merge_contacts(m.keep, m.gone))
}

#[derive(Deserialize)]
pub(crate) struct Rename {
    name: String,
}

/// `POST /_sim/contacts/{id}/name` `{"name": "…"}`.
pub(crate) async fn sim_rename_contact(
    State(s): State<Shared>,
    Path(id): Path<i64>,
    Json(r): Json<Rename>,
) -> StatusCode {
    done(s.lock().crm.rename_contact(id, &r.name))
}

#[derive(Deserialize)]
pub(crate) struct Phones {
    phones: Vec<String>,
}

/// `POST /_sim/contacts/{id}/phones` `{"phones": ["+7…", …]}` (replaces them).
pub(crate) async fn sim_set_contact_phones(
    State(s): State<Shared>,
    Path(id): Path<i64>,
    Json(p): Json<Phones>,
) -> StatusCode {
    done(s.lock().crm.set_contact_phones(id, p.phones))
}

#[derive(Deserialize)]
pub(crate) struct Seed {
    count: usize,
    first_phone: u64,
}

/// `POST /_sim/contacts/seed` `{"count": N, "first_phone": 9120000000}` → `{"ids": […]}`.
pub(crate) async fn sim_seed_contacts(State(s): State<Shared>, Json(q): Json<Seed>) -> Json<serde_json::Value> {
    Json(json!({ "ids": s.lock().crm.seed_contacts(q.count, q.first_phone) }))
}

#[derive(Deserialize)]
pub(crate) struct Filtering {
    updated_at: bool,
}

/// `POST /_sim/filtering` `{"updated_at": false}`: the account without API filtering.
pub(crate) async fn sim_filtering(State(s): State<Shared>, Json(f): Json<Filtering>) -> StatusCode {
    s.lock().crm.updated_at_filter = f.updated_at;
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
pub(crate) struct BetweenPages {
    count: usize,
}

/// `POST /_sim/leads/between-pages` `{"count": N}`: N new leads after every page of leads read
/// (0: none), as colleagues adding leads while a list is paged.
pub(crate) async fn sim_leads_between_pages(State(s): State<Shared>, Json(q): Json<BetweenPages>) -> StatusCode {
    s.lock().crm.leads_added_per_page = q.count;
    StatusCode::NO_CONTENT
}

/// `GET /_sim/notes`: every note, of every entity.
pub(crate) async fn sim_notes(State(s): State<Shared>) -> Json<Vec<SimNote>> {
    Json(s.lock().crm.notes.clone())
}

#[derive(Deserialize)]
pub(crate) struct CallsQuery {
    uniq: Option<String>,
}

/// `GET /_sim/calls[?uniq=…]`: the call notes (`call_in`, `call_out`), those of one call's `uniq`.
pub(crate) async fn sim_calls(State(s): State<Shared>, Query(q): Query<CallsQuery>) -> Json<Vec<SimNote>> {
    let inner = s.lock();
    let calls = inner.crm.notes.iter().filter(|n| n.is_call() && q.uniq.as_deref().is_none_or(|u| n.uniq() == Some(u)));
    Json(calls.cloned().collect())
}
