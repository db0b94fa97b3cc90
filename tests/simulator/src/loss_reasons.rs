//! Loss reasons ("причины отказа"): `GET /api/v4/leads/loss_reasons` and
//! `GET /api/v4/leads/loss_reasons/{id}`, the reasons a lead closed as lost (status 143) may carry
//! in `loss_reason_id` (docs/amocrm-api.md §18.3). The model is the one amo-docs
//! `crm_platform/leads-api.md` embeds with `with=loss_reason` and Kommo's "Get loss reasons"
//! lists: `{id, name, sort, created_at, updated_at, _links}`.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::hal::{hal, no_content};
use crate::oauth::api_gate;
use crate::state::Shared;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SimLossReason {
    pub id: i64,
    pub name: String,
    pub sort: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The reasons a fresh simulated account has (amo-docs' example names "Пропала потребность").
pub(crate) fn default_loss_reasons() -> Vec<SimLossReason> {
    let at = 1_582_117_280;
    ["Дорого", "Выбрал конкурента", "Пропала потребность"]
        .iter()
        .enumerate()
        .map(|(i, name)| SimLossReason {
            id: 4_203_748 + i as i64,
            name: name.to_string(),
            sort: 100_000 + 10 * i as i64,
            created_at: at,
            updated_at: at,
        })
        .collect()
}

pub(crate) fn reason_json(host: &str, r: &SimLossReason) -> Value {
    json!({"id": r.id, "name": r.name, "sort": r.sort, "created_at": r.created_at, "updated_at": r.updated_at,
           "_links": {"self": {"href": format!("https://{host}/api/v4/leads/loss_reasons/{}", r.id)}}})
}

/// `GET /api/v4/leads/loss_reasons`: every reason, by `sort`, in one HAL page; 204 when the
/// account has none (docs/amocrm-api.md §7.3).
pub(crate) async fn list(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    let host = inner.cfg.account_host();
    let mut reasons = inner.crm.loss_reasons.clone();
    if reasons.is_empty() {
        return no_content();
    }
    reasons.sort_by_key(|r| (r.sort, r.id));
    let list: Vec<Value> = reasons.iter().map(|r| reason_json(&host, r)).collect();
    hal(json!({
        "_total_items": list.len(), "_page": 1, "_page_count": 1,
        "_links": {"self": {"href": format!("https://{host}/api/v4/leads/loss_reasons?page=1&limit=250")}},
        "_embedded": {"loss_reasons": list},
    }))
}

/// `GET /api/v4/leads/loss_reasons/{id}`; 204 for an unknown id, as the other single reads.
pub(crate) async fn get_one(State(s): State<Shared>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    let host = inner.cfg.account_host();
    match inner.crm.loss_reasons.iter().find(|r| r.id == id) {
        Some(r) => hal(reason_json(&host, r)),
        None => no_content(),
    }
}
