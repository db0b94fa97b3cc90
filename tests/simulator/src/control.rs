//! `/_sim/*`: controls and counters for tests, over HTTP (not part of amoCRM) — the counters,
//! the authorize page's decision, expiring access tokens, a code or long-lived token as the
//! Keys tab gives them, faults, and lifting a ban; the same knobs [`crate::Simulator`] has.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::config::Decision;
use crate::gate::Faults;
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
