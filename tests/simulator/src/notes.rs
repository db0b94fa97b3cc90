//! Notes of leads (docs/amocrm-api.md §7–8): `POST /api/v4/leads/notes` and
//! `POST /api/v4/leads/{id}/notes` (the `common` type, a non-blank `params.text`), and
//! `GET /api/v4/leads/{id}/notes`, 404 problem+json when there is no such lead.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::hal::{hal, hal_page, ListQuery};
use crate::oauth::{api_gate, token_user};
use crate::problem::{not_found, parse_array, validation_failed, ItemErrors};
use crate::state::{now, Inner, Shared};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SimNote {
    pub id: i64,
    pub entity_id: i64,
    pub note_type: String,
    pub text: String,
    /// The user whose token created it, and when.
    #[serde(default)]
    pub created_by: i64,
    #[serde(default)]
    pub created_at: i64,
}

fn note_json(host: &str, n: &SimNote, rid: Option<&str>) -> Value {
    let mut v = json!({"id": n.id, "entity_id": n.entity_id, "note_type": n.note_type, "params": {"text": n.text},
        "created_by": n.created_by, "created_at": n.created_at, "_links": {"self": {"href": format!("https://{host}/api/v4/leads/{}/notes/{}", n.entity_id, n.id)}}});
    if let Some(rid) = rid {
        v["request_id"] = json!(rid);
    }
    v
}

fn add_notes_to(inner: &mut Inner, path_id: Option<i64>, body: &Bytes, created_by: i64) -> Response {
    let items = match parse_array(body) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let mut parsed = Vec::new();
    let mut failed = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let mut e = ItemErrors::new(item, i);
        let entity_id = path_id.or_else(|| item.get("entity_id").and_then(Value::as_i64)).unwrap_or(0);
        if !inner.crm.leads.iter().any(|l| l.id == entity_id) {
            e.push("NotFound", "entity_id", "Entity not found.");
        }
        let note_type = item.get("note_type").and_then(Value::as_str).unwrap_or_default().to_string();
        if note_type != "common" {
            e.push("NotSupportedChoice", "note_type", "The value you selected is not a valid choice.");
        }
        let text = item.pointer("/params/text").and_then(Value::as_str).unwrap_or_default().to_string();
        if text.trim().is_empty() {
            e.push("NotBlank", "params.text", "This value should not be blank.");
        }
        if e.errors.is_empty() {
            parsed.push((e.request_id, SimNote { id: 0, entity_id, note_type, text, created_by, created_at: now() }));
        } else {
            failed.push(e);
        }
    }
    if !failed.is_empty() {
        return validation_failed(failed);
    }
    let host = inner.cfg.account_host();
    let mut out = Vec::new();
    for (rid, mut n) in parsed {
        n.id = inner.crm.id();
        out.push(note_json(&host, &n, Some(&rid)));
        inner.crm.notes.push(n);
        inner.stats.notes_created += 1;
    }
    hal(
        json!({"_links": {"self": {"href": format!("https://{host}/api/v4/leads/notes")}}, "_embedded": {"notes": out}}),
    )
}

pub(crate) async fn add_lead_notes(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    {
        let me = token_user(inner, &headers);
        add_notes_to(inner, None, &body, me)
    }
}

pub(crate) async fn add_notes_for_lead(
    State(s): State<Shared>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    {
        let me = token_user(inner, &headers);
        add_notes_to(inner, Some(id), &body, me)
    }
}

pub(crate) async fn list_notes_for_lead(
    State(s): State<Shared>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    if !inner.crm.leads.iter().any(|l| l.id == id) {
        return not_found();
    }
    let host = inner.cfg.account_host();
    let notes: Vec<SimNote> = inner.crm.notes.iter().filter(|n| n.entity_id == id).cloned().collect();
    hal_page(&host, &format!("/api/v4/leads/{id}/notes"), "notes", &notes, &q, |n| note_json(&host, n, None))
}
