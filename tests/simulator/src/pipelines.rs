//! Pipelines and their statuses: `GET /api/v4/leads/pipelines`, HAL with each pipeline's
//! `is_unsorted_on` and `_embedded.statuses` (docs/amocrm-api.md §7–8; amo-docs
//! `crm_platform/leads_pipelines.md`).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::hal::hal;
use crate::oauth::api_gate;
use crate::state::Shared;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SimStatus {
    pub id: i64,
    pub name: String,
    pub sort: i64,
    pub pipeline_id: i64,
    pub color: String,
    #[serde(rename = "type")]
    pub kind: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SimPipeline {
    pub id: i64,
    pub name: String,
    pub sort: i64,
    pub is_main: bool,
    pub statuses: Vec<SimStatus>,
    /// Whether the pipeline takes incoming (unsorted) leads (`is_unsorted_on` in the pipelines
    /// list; amo-docs `crm_platform/leads_pipelines.md`).
    #[serde(default = "yes")]
    pub is_unsorted_on: bool,
}

fn yes() -> bool {
    true
}

/// The account's pipelines as the simulator starts: the main "Воронка" and "Опт", each with its
/// unsorted (`type: 1`) status and the closed 142 / 143.
pub(crate) fn default_pipelines() -> Vec<SimPipeline> {
    let status = |id, name: &str, sort, pipeline_id, kind| SimStatus {
        id,
        name: name.into(),
        sort,
        pipeline_id,
        color: "#99ccff".into(),
        kind,
    };
    vec![
        SimPipeline {
            id: 3_383_152,
            name: "Воронка".into(),
            sort: 1,
            is_main: true,
            is_unsorted_on: true,
            statuses: vec![
                status(33_929_749, "Неразобранное", 10, 3_383_152, 1),
                status(33_929_752, "Первичный контакт", 20, 3_383_152, 0),
                status(33_929_755, "Переговоры", 30, 3_383_152, 0),
                status(142, "Успешно реализовано", 10000, 3_383_152, 0),
                status(143, "Закрыто и не реализовано", 11000, 3_383_152, 0),
            ],
        },
        SimPipeline {
            id: 3_383_153,
            name: "Опт".into(),
            sort: 2,
            is_main: false,
            is_unsorted_on: true,
            statuses: vec![
                status(33_929_760, "Неразобранное", 10, 3_383_153, 1),
                status(33_929_761, "Заявка", 20, 3_383_153, 0),
                status(142, "Успешно реализовано", 10000, 3_383_153, 0),
                status(143, "Закрыто и не реализовано", 11000, 3_383_153, 0),
            ],
        },
    ]
}

pub(crate) async fn pipelines(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    let host = inner.cfg.account_host();
    let list: Vec<Value> = inner
        .crm
        .pipelines
        .iter()
        .map(|p| {
            json!({
                "id": p.id, "name": p.name, "sort": p.sort, "is_main": p.is_main, "is_unsorted_on": p.is_unsorted_on,
                "is_archive": false, "account_id": inner.cfg.account_id,
                "_links": {"self": {"href": format!("https://{host}/api/v4/leads/pipelines/{}", p.id)}},
                "_embedded": {"statuses": p.statuses.iter().map(|st| json!({
                    "id": st.id, "name": st.name, "sort": st.sort, "is_editable": st.kind == 0 && st.id > 143,
                    "pipeline_id": st.pipeline_id, "color": st.color, "type": st.kind,
                    "account_id": inner.cfg.account_id,
                })).collect::<Vec<_>>()},
            })
        })
        .collect();
    hal(json!({
        "_total_items": list.len(),
        "_links": {"self": {"href": format!("https://{host}/api/v4/leads/pipelines")}},
        "_embedded": {"pipelines": list},
    }))
}
