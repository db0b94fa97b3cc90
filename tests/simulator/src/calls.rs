//! Calls, as amo-docs `crm_platform/calls-api.md` describes them (docs/amocrm-api.md §16.1):
//! `POST /api/v4/calls`, a batch of calls that amoCRM files by phone number. It never creates a
//! contact or a lead: it looks the number up by its last 10 digits among contacts' and
//! companies' phones and writes a `call_in` / `call_out` note on
//!
//! - the found contact's (or company's) one open lead, when it has exactly one;
//! - otherwise the contact (or company) itself.
//!
//! A number nobody has is refused ("Entity not found", amocrm-api-php#52). Calls are not
//! de-duplicated by `uniq`: the same call sent twice is two notes. There is no list:
//! `GET /api/v4/calls` answers 405.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::companies::company_phones;
use crate::hal::hal;
use crate::notes::{call_params, check_user_at, int_field, present, store_note, string_field, SimNote};
use crate::oauth::{api_gate, token_user};
use crate::problem::{parse_array, problem_response, validation_failed, ItemErrors};
use crate::search::phone_key;
use crate::state::{now, Crm, Inner, Shared};

/// Where a call is filed: (`entity_type` of the notes API, id).
type Target = (&'static str, i64);

/// The open leads of a contact or company: neither won (142) nor lost (143).
fn open_leads(crm: &Crm, linked: impl Fn(&crate::leads::SimLead) -> bool) -> Vec<i64> {
    crm.leads.iter().filter(|l| l.status_id != 142 && l.status_id != 143 && linked(l)).map(|l| l.id).collect()
}

fn has_number<'a>(mut phones: impl Iterator<Item = &'a str>, key: &str) -> bool {
    phones.any(|p| phone_key(p).as_deref() == Some(key))
}

/// amoCRM's algorithm (amo-docs `calls-api.md`, "Общая информация"): the number's last 10 digits
/// find a contact, else a company; its one open lead takes the call, else the card itself.
/// Several contacts with the number: the oldest (lowest id) is taken (docs/amocrm-api.md §16.1).
fn find_target(crm: &Crm, phone: &str) -> Option<Target> {
    let key = phone_key(phone)?;
    let contact =
        crm.contacts.iter().filter(|c| has_number(c.phones.iter().map(String::as_str), &key)).min_by_key(|c| c.id);
    if let Some(c) = contact {
        return Some(match open_leads(crm, |l| l.contact_ids.contains(&c.id)).as_slice() {
            [one] => ("leads", *one),
            _ => ("contacts", c.id),
        });
    }
    let company = crm.companies.iter().filter(|c| has_number(company_phones(c), &key)).min_by_key(|c| c.id)?;
    Some(match open_leads(crm, |l| l.company_id == Some(company.id)).as_slice() {
        [one] => ("leads", *one),
        _ => ("companies", company.id),
    })
}

/// One call of the batch, checked (amo-docs `calls-api.md`, "Параметры запроса"): the note it
/// becomes, not yet filed.
fn parse_call(inner: &Inner, item: &Value, e: &mut ItemErrors, me: i64) -> SimNote {
    let note_type = match string_field(item, "direction", "direction", true, e).as_deref() {
        Some("inbound") => "call_in",
        Some("outbound") => "call_out",
        Some(_) => {
            e.push("NotSupportedChoice", "direction", "The value you selected is not a valid choice.");
            ""
        }
        None => "",
    };
    let params = call_params(item, "", false, e);
    let responsible = optional_user(inner, item, "responsible_user_id", e).unwrap_or(me);
    let created_by = optional_user(inner, item, "created_by", e).unwrap_or(responsible);
    let created_at = int_field(item, "created_at", "created_at", false, e).unwrap_or_else(now);
    let updated_at = int_field(item, "updated_at", "updated_at", false, e).unwrap_or_else(|| created_at.max(now()));
    SimNote {
        id: 0,
        entity_id: 0,
        entity_type: String::new(),
        note_type: note_type.into(),
        text: String::new(),
        params,
        created_by,
        created_at,
        updated_at,
        responsible_user_id: responsible,
    }
}

/// An optional user id (`responsible_user_id`, `created_by`): absent → `None`; `null` →
/// `NotNullable`; not one of the account's users → `NotSupportedChoice`.
fn optional_user(inner: &Inner, item: &Value, key: &str, e: &mut ItemErrors) -> Option<i64> {
    present(item, key, key, false, e)?;
    Some(check_user_at(inner, item, key, e, 0)).filter(|id| *id != 0)
}

/// The singular `entity_type` of a filed call, as calls-api.md's answer shows it (`"contact"`).
fn singular(kind: &str) -> &'static str {
    match kind {
        "leads" => "lead",
        "contacts" => "contact",
        _ => "company",
    }
}

/// `POST /api/v4/calls`. A batch with a malformed call is refused whole (400
/// `validation-errors`, docs/amocrm-api.md §7.4). Otherwise each call is filed or, when no
/// contact or company has its number, listed in `errors` ("Entity not found"): 200 when at least
/// one was filed, 400 when none was (docs/amocrm-api.md §16.1 gives both shapes).
pub(crate) async fn add_calls(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    let items = match parse_array(&body) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let me = token_user(inner, &headers);
    let mut parsed = Vec::new();
    let mut failed = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let mut e = ItemErrors::new(item, i);
        let call = parse_call(inner, item, &mut e, me);
        if e.errors.is_empty() {
            parsed.push((e.request_id, call));
        } else {
            failed.push(e);
        }
    }
    if !failed.is_empty() {
        return validation_failed(failed);
    }
    let host = inner.cfg.account_host();
    let account_id = inner.cfg.account_id;
    let (mut calls, mut errors) = (Vec::new(), Vec::new());
    for (rid, mut call) in parsed {
        let phone = call.params["phone"].as_str().unwrap_or_default().to_string();
        let Some((kind, id)) = find_target(&inner.crm, &phone) else {
            errors.push(json!({"request_id": rid, "status": 400, "title": "Entity not found",
                "detail": "No contact or company has this phone number"}));
            continue;
        };
        (call.entity_type, call.entity_id) = (kind.to_string(), id);
        let n = store_note(inner, call);
        inner.stats.calls_logged += 1;
        calls.push(json!({"id": n.id, "entity_id": id, "entity_type": singular(kind), "account_id": account_id,
            "request_id": rid, "_embedded": {"entity": {"id": id,
            "_links": {"self": {"href": format!("https://{host}/api/v4/{kind}/{id}")}}}}}));
    }
    let none_filed = calls.is_empty();
    let answer = json!({"_total_items": calls.len(), "errors": errors, "_embedded": {"calls": calls}});
    if none_filed {
        return problem_response(StatusCode::BAD_REQUEST, answer);
    }
    hal(answer)
}

/// `GET /api/v4/calls`: amoCRM has no list of calls (they are notes; read them with
/// `GET /api/v4/{entity_type}/notes?filter[note_type][]=call_in`).
pub(crate) async fn no_list(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    let mut r = problem_response(
        StatusCode::METHOD_NOT_ALLOWED,
        json!({"title": "Method Not Allowed", "type": "https://httpstatus.es/405", "status": 405,
               "detail": "Method not allowed"}),
    );
    r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
    r.into_response()
}
