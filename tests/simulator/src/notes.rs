//! Notes of leads, contacts and companies, as amo-docs `crm_platform/events-and-notes.md`
//! describes them (docs/amocrm-api.md §8.7, §16.2):
//!
//! - `GET /api/v4/{entity_type}/notes` and `GET /api/v4/{entity_type}/{id}/notes` (404
//!   problem+json when the entity does not exist) with `filter[id]`, `filter[entity_id]` (the
//!   first only), `filter[note_type]` (one or an array), `filter[updated_at]` (a timestamp or
//!   `[from]`/`[to]`), `order[updated_at|id]`, `page`, `limit` ≤ 250, 204 when empty;
//! - `POST /api/v4/{entity_type}/notes` (items carry `entity_id`) and
//!   `POST /api/v4/{entity_type}/{id}/notes`, of type `common` (a non-blank `params.text`) or
//!   `call_in` / `call_out` (`params.uniq`, `duration`, `source`, `phone` required).
//!
//! A call note is also what `POST /api/v4/calls` and a sip incoming lead write
//! ([`crate::calls`], [`crate::unsorted`]); [`call_params`] checks a call's fields for all three.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, MethodRouter};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::hal::{hal, hal_page, in_range, sort_by_order, RawParams};
use crate::oauth::{api_gate, token_user};
use crate::problem::{check_created_at, check_user, not_found, parse_array, validation_failed, ItemErrors};
use crate::state::{now, Inner, Shared};

/// The entities that have notes here (amoCRM also has customers, which the simulated account
/// has switched off: their paths are not routed, so 404).
pub(crate) const NOTE_ENTITIES: [&str; 3] = ["leads", "contacts", "companies"];

/// The note types the simulator accepts on a write (amo-docs lists ten editable types).
const NOTE_TYPES: [&str; 3] = ["common", "call_in", "call_out"];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SimNote {
    pub id: i64,
    pub entity_id: i64,
    /// `leads`, `contacts` or `companies`.
    #[serde(default = "leads")]
    pub entity_type: String,
    /// `common`, `call_in` or `call_out`.
    pub note_type: String,
    /// `params.text` of a `common` note; empty for a call.
    pub text: String,
    /// `params` as amoCRM returns them: `{text}`, or a call's `{uniq, duration, source, link,
    /// phone, call_responsible, call_status, call_result}` (absent ones `null`).
    #[serde(default)]
    pub params: Value,
    /// The user whose token created it (or `created_by` of the item), and when.
    #[serde(default)]
    pub created_by: i64,
    #[serde(default)]
    pub created_at: i64,
    #[serde(default)]
    pub updated_at: i64,
    #[serde(default)]
    pub responsible_user_id: i64,
}

fn leads() -> String {
    "leads".into()
}

impl SimNote {
    /// Whether it is a call (`call_in` or `call_out`).
    pub fn is_call(&self) -> bool {
        matches!(self.note_type.as_str(), "call_in" | "call_out")
    }

    /// `params.uniq` of a call note (tests count a call's notes by it).
    pub fn uniq(&self) -> Option<&str> {
        self.params.get("uniq").and_then(Value::as_str)
    }
}

pub(crate) fn note_json(host: &str, account_id: i64, n: &SimNote) -> Value {
    json!({"id": n.id, "entity_id": n.entity_id, "created_by": n.created_by, "updated_by": n.created_by,
        "created_at": n.created_at, "updated_at": n.updated_at, "responsible_user_id": n.responsible_user_id,
        "group_id": 0, "note_type": n.note_type, "params": n.params, "account_id": account_id,
        "_links": {"self": {"href": note_href(host, n)}}})
}

fn note_href(host: &str, n: &SimNote) -> String {
    format!("https://{host}/api/v4/{}/{}/notes/{}", n.entity_type, n.entity_id, n.id)
}

/// Whether a required field is missing, and how a present one is checked: absent → `FieldMissing`
/// (required only), `null` → `NotNullable` (amoCRM's answer for a `null` call param,
/// amocrm-api-php#383), another type → `InvalidType`.
pub(crate) fn present<'v>(
    v: &'v Value,
    key: &str,
    path: &str,
    required: bool,
    e: &mut ItemErrors,
) -> Option<&'v Value> {
    match v.get(key) {
        None => {
            if required {
                e.push("FieldMissing", path, "This field is missing.");
            }
            None
        }
        Some(Value::Null) => {
            e.push("NotNullable", path, "This value should not be null.");
            None
        }
        Some(x) => Some(x),
    }
}

/// A string field (see [`present`]); a required one must not be blank.
pub(crate) fn string_field(v: &Value, key: &str, path: &str, required: bool, e: &mut ItemErrors) -> Option<String> {
    match present(v, key, path, required, e)? {
        Value::String(s) if required && s.trim().is_empty() => {
            e.push("NotBlank", path, "This value should not be blank.");
            None
        }
        Value::String(s) => Some(s.clone()),
        _ => {
            e.push("InvalidType", path, "This value should be of type string.");
            None
        }
    }
}

/// A whole number field (see [`present`]).
pub(crate) fn int_field(v: &Value, key: &str, path: &str, required: bool, e: &mut ItemErrors) -> Option<i64> {
    let x = present(v, key, path, required, e)?;
    let n = x.as_i64();
    if n.is_none() {
        e.push("InvalidType", path, "This value should be of type int.");
    }
    n
}

/// A call's fields, read from `v` (a calls item, or a note's `params`) with errors at
/// `{prefix}{key}`: `duration` (seconds, ≥ 0), `source` and `phone` required, `uniq` too when
/// `uniq_required` (notes; optional on `POST /api/v4/calls`); `link`, `call_result` strings and
/// `call_status` 1…7 optional — `null` in any of them is `NotNullable`; `call_responsible` a
/// user id, a phone or a name, `null` allowed (amo-docs `calls-api.md`: `string|int|null`).
/// Returns the note params, every key present (`null` when not sent), as amoCRM lists them.
pub(crate) fn call_params(v: &Value, prefix: &str, uniq_required: bool, e: &mut ItemErrors) -> Value {
    let at = |k: &str| format!("{prefix}{k}");
    let uniq = string_field(v, "uniq", &at("uniq"), uniq_required, e);
    let duration = int_field(v, "duration", &at("duration"), true, e);
    if duration.is_some_and(|d| d < 0) {
        e.push("GreaterThanOrEqual", &at("duration"), "This value should be greater than or equal to 0.");
    }
    let source = string_field(v, "source", &at("source"), true, e);
    let phone = string_field(v, "phone", &at("phone"), true, e);
    let link = string_field(v, "link", &at("link"), false, e);
    let call_result = string_field(v, "call_result", &at("call_result"), false, e);
    let call_status = int_field(v, "call_status", &at("call_status"), false, e);
    if call_status.is_some_and(|s| !(1..=7).contains(&s)) {
        e.push("NotSupportedChoice", &at("call_status"), "The value you selected is not a valid choice.");
    }
    let call_responsible = match v.get("call_responsible") {
        None | Some(Value::Null) => Value::Null,
        Some(x @ (Value::String(_) | Value::Number(_))) => x.clone(),
        Some(_) => {
            e.push("InvalidType", &at("call_responsible"), "This value should be of type string or int.");
            Value::Null
        }
    };
    json!({"uniq": uniq, "duration": duration, "source": source, "link": link, "phone": phone,
        "call_responsible": call_responsible, "call_status": call_status, "call_result": call_result})
}

/// The params of a note item by its type: `common` → `{text}` (non-blank), a call → the call's
/// fields ([`call_params`] at `params.`).
fn note_params(item: &Value, note_type: &str, e: &mut ItemErrors) -> (String, Value) {
    let params = item.get("params").cloned().unwrap_or(Value::Null);
    if note_type == "common" {
        let text = params.get("text").and_then(Value::as_str).unwrap_or_default().to_string();
        if text.trim().is_empty() {
            e.push("NotBlank", "params.text", "This value should not be blank.");
        }
        let mut p = Map::new();
        p.insert("text".into(), json!(text));
        return (text, Value::Object(p));
    }
    if !params.is_object() {
        e.push("FieldMissing", "params", "This field is missing.");
        return (String::new(), Value::Null);
    }
    (String::new(), call_params(&params, "params.", true, e))
}

/// Stores a checked note (its `entity_type` and `entity_id` set) under a new id, and counts it.
pub(crate) fn store_note(inner: &mut Inner, mut n: SimNote) -> SimNote {
    n.id = inner.crm.id();
    inner.crm.notes.push(n.clone());
    inner.stats.notes_created += 1;
    n
}

/// A note for an entity that does not exist is refused item by item (`NotFound` at `entity_id`),
/// whether the id is in the path or the item — as the simulator always answered.
fn add_notes_to(inner: &mut Inner, kind: &str, path_id: Option<i64>, body: &Bytes, me: i64) -> Response {
    let items = match parse_array(body) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let mut parsed = Vec::new();
    let mut failed = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let mut e = ItemErrors::new(item, i);
        let entity_id = path_id.or_else(|| item.get("entity_id").and_then(Value::as_i64)).unwrap_or(0);
        if !inner.crm.exists(kind, entity_id) {
            e.push("NotFound", "entity_id", "Entity not found.");
        }
        let note_type = item.get("note_type").and_then(Value::as_str).unwrap_or_default().to_string();
        let (text, params) = if NOTE_TYPES.contains(&note_type.as_str()) {
            note_params(item, &note_type, &mut e)
        } else {
            e.push("NotSupportedChoice", "note_type", "The value you selected is not a valid choice.");
            (String::new(), Value::Null)
        };
        let created_by = match item.get("created_by") {
            None | Some(Value::Null) => me,
            Some(_) => check_user_at(inner, item, "created_by", &mut e, me),
        };
        let responsible_user_id = check_user(&inner.crm.users, item, "", &mut e, me);
        let created_at = check_created_at(item, "", &mut e);
        if e.errors.is_empty() {
            let n = SimNote {
                id: 0,
                entity_id,
                entity_type: kind.to_string(),
                note_type,
                text,
                params,
                created_by,
                created_at,
                updated_at: created_at.max(now()),
                responsible_user_id,
            };
            parsed.push((e.request_id, n));
        } else {
            failed.push(e);
        }
    }
    if !failed.is_empty() {
        return validation_failed(failed);
    }
    let host = inner.cfg.account_host();
    let mut out = Vec::new();
    for (rid, n) in parsed {
        let n = store_note(inner, n);
        out.push(json!({"id": n.id, "entity_id": n.entity_id, "request_id": rid,
            "_links": {"self": {"href": note_href(&host, &n)}}}));
    }
    hal(
        json!({"_links": {"self": {"href": format!("https://{host}/api/v4/{kind}/notes")}}, "_embedded": {"notes": out}}),
    )
}

/// A user id under another key than `responsible_user_id` (`created_by`): one of the account's
/// users, else `NotSupportedChoice`.
pub(crate) fn check_user_at(inner: &Inner, item: &Value, key: &str, e: &mut ItemErrors, default: i64) -> i64 {
    match item.get(key).and_then(Value::as_i64) {
        Some(id) if inner.crm.users.iter().any(|u| u.id == id) => id,
        _ => {
            e.push("NotSupportedChoice", key, "The value you selected is not a valid choice.");
            default
        }
    }
}

/// The routes of `kind`'s notes: `GET|POST /api/v4/{kind}/notes` and
/// `GET|POST /api/v4/{kind}/{id}/notes`. Each entity type gets its own static paths, because a
/// path parameter in their place would lose to the static `/api/v4/leads/{id}` and
/// `/api/v4/companies/{id}` routes.
pub(crate) fn routes(kind: &'static str) -> [(String, MethodRouter<Shared>); 2] {
    let by_type = get(move |State(s): State<Shared>, headers: HeaderMap, RawQuery(raw): RawQuery| async move {
        list_notes(&s, &headers, raw.as_deref(), kind, None)
    })
    .post(move |State(s): State<Shared>, headers: HeaderMap, body: Bytes| async move {
        add_notes(&s, &headers, &body, kind, None)
    });
    let by_entity = get(
        move |State(s): State<Shared>, Path(id): Path<i64>, headers: HeaderMap, RawQuery(raw): RawQuery| async move {
            list_notes(&s, &headers, raw.as_deref(), kind, Some(id))
        },
    )
    .post(move |State(s): State<Shared>, Path(id): Path<i64>, headers: HeaderMap, body: Bytes| async move {
        add_notes(&s, &headers, &body, kind, Some(id))
    });
    [(format!("/api/v4/{kind}/notes"), by_type), (format!("/api/v4/{kind}/{{id}}/notes"), by_entity)]
}

/// `POST /api/v4/{kind}/notes` (items carry `entity_id`) or `POST /api/v4/{kind}/{id}/notes`
/// (404 when there is no such entity).
fn add_notes(s: &Shared, headers: &HeaderMap, body: &Bytes, kind: &str, id: Option<i64>) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, headers) {
        return r;
    }
    let me = token_user(inner, headers);
    add_notes_to(inner, kind, id, body, me)
}

/// `GET /api/v4/{kind}/notes` or `GET /api/v4/{kind}/{id}/notes` (404 problem+json when there is
/// no such entity).
fn list_notes(s: &Shared, headers: &HeaderMap, raw: Option<&str>, kind: &str, id: Option<i64>) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, headers) {
        return r;
    }
    list(inner, kind, id, &RawParams::parse(raw))
}

fn list(inner: &Inner, kind: &str, entity: Option<i64>, p: &RawParams) -> Response {
    if entity.is_some_and(|id| !inner.crm.exists(kind, id)) {
        return not_found();
    }
    let (paging, updated) = match p.notes_list() {
        Ok(x) => x,
        Err(r) => return r,
    };
    let ids = p.ints("filter[id]");
    // filter[entity_id] belongs to the list by type; the path names the entity otherwise.
    let entity_ids = if entity.is_some() { None } else { p.ints("filter[entity_id]") };
    let types = p.all("filter[note_type]");
    let mut found: Vec<&SimNote> = inner
        .crm
        .notes
        .iter()
        .filter(|n| {
            n.entity_type == kind
                && entity.is_none_or(|id| n.entity_id == id)
                && ids.as_ref().is_none_or(|v| v.contains(&n.id))
                && entity_ids.as_ref().is_none_or(|v| v.contains(&n.entity_id))
                && types.as_ref().is_none_or(|v| v.contains(&n.note_type.as_str()))
                && in_range(updated, n.updated_at)
        })
        .collect();
    sort_by_order(&mut found, p.order(&["updated_at", "id"]), |n, field| {
        (if field == "updated_at" { n.updated_at } else { n.id }, n.id)
    });
    let host = inner.cfg.account_host();
    let path = match entity {
        Some(id) => format!("/api/v4/{kind}/{id}/notes"),
        None => format!("/api/v4/{kind}/notes"),
    };
    let account_id = inner.cfg.account_id;
    hal_page(&host, &path, "notes", &found, &paging, |n| note_json(&host, account_id, n))
}
