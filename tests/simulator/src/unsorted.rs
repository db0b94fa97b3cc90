//! Incoming ("unsorted", "Неразобранное") leads of the forms category, as amo-docs
//! `crm_platform/unsorted-api.md` describes them (docs/amocrm-api.md §8.13):
//! `POST /api/v4/leads/unsorted/forms` (a batch; each item one lead with at most one contact and
//! one company), `GET /api/v4/leads/unsorted` and `GET /api/v4/leads/unsorted/{uid}`.
//!
//! The lead lands in its pipeline's `type: 1` status. The switches: the account's
//! `is_unsorted_on` and each pipeline's. Duplicates: amoCRM refuses data already waiting in
//! unsorted ("в случае попытки [добавить] уже добавленных ранее данных, вы получите ошибку");
//! Kommo adds the item and tags both leads (docs/amocrm-api.md §8.13 gives the shapes chosen).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::companies::{embedded_company, CompanyRef};
use crate::config::SimPlatform;
use crate::contacts::{embedded_contact, ContactRef};
use crate::fields::field_of;
use crate::hal::{entity_ref, hal, hal_page, no_content, RawParams};
use crate::leads::{store_parties, tag_names, SimLead};
use crate::oauth::{api_gate, token_user};
use crate::problem::{
    bad_request, check_created_at, check_name, check_price, check_user, parse_array, validation_failed, ItemErrors,
};
use crate::search::digits;
use crate::state::{random_hex, Crm, Inner, Shared};

/// The tag Kommo puts on both leads when an incoming lead repeats one still in unsorted.
pub const KOMMO_DUPLICATE_TAG: &str = "Duplicate";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SimUnsorted {
    pub uid: String,
    pub source_uid: String,
    pub source_name: String,
    /// Always `forms` here (the only category the simulator adds).
    pub category: String,
    pub pipeline_id: i64,
    pub created_at: i64,
    /// `{form_id, form_name, form_page, ip, form_sent_at, referer}` as sent.
    pub metadata: Value,
    pub lead_id: i64,
    pub contact_id: Option<i64>,
    pub company_id: Option<i64>,
}

fn unsorted_json(host: &str, account_id: i64, u: &SimUnsorted) -> Value {
    json!({
        "uid": u.uid, "source_uid": u.source_uid, "source_name": u.source_name, "category": u.category,
        "pipeline_id": u.pipeline_id, "created_at": u.created_at, "metadata": u.metadata, "account_id": account_id,
        "_links": {"self": {"href": format!("https://{host}/api/v4/leads/unsorted/{}", u.uid)}},
        "_embedded": embedded_ids(host, u),
    })
}

fn embedded_ids(host: &str, u: &SimUnsorted) -> Value {
    let refs = |kind: &str, id: Option<i64>| id.map(|id| vec![entity_ref(host, kind, id)]).unwrap_or_default();
    json!({"contacts": refs("contacts", u.contact_id), "leads": refs("leads", Some(u.lead_id)),
           "companies": refs("companies", u.company_id)})
}

/// A required string of the item (`source_name`, `source_uid`, `metadata.form_name`, …).
fn required_string(v: &Value, key: &str, path: &str, e: &mut ItemErrors) -> String {
    match v.get(key) {
        None | Some(Value::Null) => {
            e.push("FieldMissing", path, "This field is missing.");
            String::new()
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            e.push("NotBlank", path, "This value should not be blank.");
            String::new()
        }
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            e.push("InvalidType", path, "This value should be of type string.");
            String::new()
        }
    }
}

/// `metadata` of the forms category (amo-docs `unsorted-api.md`, "Описание объектов metadata").
/// The page marks none of its keys optional or required; the simulator requires the form's
/// identity and time (`form_id`, `form_name`, `form_page`, `form_sent_at`) and checks the types
/// of `ip` and `referer` when present (docs/amocrm-api.md §8.13, [inf]).
fn check_metadata(item: &Value, e: &mut ItemErrors) -> Value {
    let Some(m) = item.get("metadata").filter(|v| !v.is_null()) else {
        e.push("FieldMissing", "metadata", "This field is missing.");
        return Value::Null;
    };
    let Some(obj) = m.as_object() else {
        e.push("InvalidType", "metadata", "This value should be of type object.");
        return Value::Null;
    };
    let mut out = Map::new();
    match obj.get("form_id") {
        None | Some(Value::Null) => e.push("FieldMissing", "metadata.form_id", "This field is missing."),
        Some(v @ (Value::String(_) | Value::Number(_))) => {
            out.insert("form_id".into(), v.clone());
        }
        Some(_) => e.push("InvalidType", "metadata.form_id", "This value should be of type string."),
    }
    for key in ["form_name", "form_page"] {
        out.insert(key.into(), json!(required_string(m, key, &format!("metadata.{key}"), e)));
    }
    let sent = obj.get("form_sent_at");
    match sent.and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))) {
        Some(t) => {
            out.insert("form_sent_at".into(), json!(t));
        }
        None if sent.is_none_or(Value::is_null) => {
            e.push("FieldMissing", "metadata.form_sent_at", "This field is missing.")
        }
        None => e.push("InvalidType", "metadata.form_sent_at", "This value should be of type int."),
    }
    for key in ["ip", "referer"] {
        match obj.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => {
                out.insert(key.into(), json!(s));
            }
            Some(_) => e.push("InvalidType", &format!("metadata.{key}"), "This value should be of type string."),
        }
    }
    out.insert("visitor_uid".into(), obj.get("visitor_uid").cloned().unwrap_or(Value::Null));
    Value::Object(out)
}

/// The phones (digits) and e-mails (lower case) a contact of an item carries, each with the path
/// of the value in the item, to find the same data already waiting in unsorted.
fn contact_keys(crm: &Crm, item: &Value, contact: &ContactRef) -> Vec<(String, String)> {
    let mut keys = Vec::new();
    match contact {
        ContactRef::None => {}
        ContactRef::Existing(id) => {
            if let Some(c) = crm.contacts.iter().find(|c| c.id == *id) {
                let path = "_embedded.contacts.0.id".to_string();
                keys.extend(c.phones.iter().map(|p| (format!("tel:{}", digits(p)), path.clone())));
                keys.extend(c.emails.iter().map(|m| (format!("mail:{}", m.trim().to_lowercase()), path.clone())));
            }
        }
        ContactRef::New(_) => {
            let raw = item.pointer("/_embedded/contacts/0/custom_fields_values").and_then(Value::as_array);
            for (i, cf) in raw.into_iter().flatten().enumerate() {
                let kind = match field_of(&crm.contact_fields, cf).and_then(|f| f.code.as_deref()) {
                    Some("PHONE") => "tel",
                    Some("EMAIL") => "mail",
                    _ => continue,
                };
                for (j, v) in cf.get("values").and_then(Value::as_array).into_iter().flatten().enumerate() {
                    let text = v.get("value").and_then(Value::as_str).unwrap_or_default().trim();
                    let norm = if kind == "tel" { digits(text) } else { text.to_lowercase() };
                    if !norm.is_empty() {
                        keys.push((
                            format!("{kind}:{norm}"),
                            format!("_embedded.contacts.0.custom_fields_values.{i}.values.{j}.value"),
                        ));
                    }
                }
            }
        }
    }
    keys
}

/// The incoming leads still waiting in unsorted (their lead in a `type: 1` status) whose contact
/// has one of `keys`, among the first `upto` stored.
fn waiting_with(crm: &Crm, keys: &[(String, String)], upto: usize) -> Vec<(usize, String)> {
    let unsorted_status = |l: &SimLead| {
        crm.pipelines
            .iter()
            .any(|p| p.statuses.iter().any(|s| s.id == l.status_id && s.pipeline_id == p.id && s.kind == 1))
    };
    let mut hits = Vec::new();
    for (n, u) in crm.unsorted.iter().take(upto).enumerate() {
        if !crm.leads.iter().any(|l| l.id == u.lead_id && unsorted_status(l)) {
            continue;
        }
        let Some(c) = u.contact_id.and_then(|id| crm.contacts.iter().find(|c| c.id == id)) else { continue };
        let theirs: Vec<String> = c
            .phones
            .iter()
            .map(|p| format!("tel:{}", digits(p)))
            .chain(c.emails.iter().map(|m| format!("mail:{}", m.trim().to_lowercase())))
            .collect();
        if let Some((_, path)) = keys.iter().find(|(k, _)| theirs.contains(k)) {
            hits.push((n, path.clone()));
        }
    }
    hits
}

struct Parsed {
    request_id: String,
    source_uid: String,
    source_name: String,
    pipeline_id: i64,
    status_id: i64,
    created_at: i64,
    metadata: Value,
    lead: SimLead,
    contact: ContactRef,
    company: CompanyRef,
    keys: Vec<(String, String)>,
}

fn parse_item(inner: &Inner, item: &Value, index: usize) -> Result<Parsed, ItemErrors> {
    let crm = &inner.crm;
    let mut e = ItemErrors::new(item, index);
    let source_name = required_string(item, "source_name", "source_name", &mut e);
    let source_uid = required_string(item, "source_uid", "source_uid", &mut e);
    let metadata = check_metadata(item, &mut e);
    let pipeline_id = match item.get("pipeline_id") {
        None | Some(Value::Null) => Some(crm.main_pipeline().id),
        Some(v) => v.as_i64(),
    };
    let status_id = match pipeline_id.and_then(|id| crm.pipelines.iter().find(|p| p.id == id)) {
        None => {
            e.push("NotSupportedChoice", "pipeline_id", "The value you selected is not a valid choice.");
            0
        }
        Some(p) => match p.statuses.iter().find(|s| s.kind == 1) {
            Some(s) if p.is_unsorted_on => s.id,
            _ => {
                e.push("NotSupportedChoice", "pipeline_id", "Unsorted is turned off in this pipeline.");
                0
            }
        },
    };
    let created_at = check_created_at(item, "", &mut e);
    let leads = item.pointer("/_embedded/leads").and_then(Value::as_array).cloned().unwrap_or_default();
    if leads.len() > 1 {
        e.push("Count", "_embedded.leads", "This collection should contain 1 element or less.");
    }
    let l = leads.first().cloned().unwrap_or_else(|| json!({}));
    const AT: &str = "_embedded.leads.0.";
    let name = check_name(&l, "name", AT, &mut e);
    let price = check_price(&l, AT, &mut e);
    let responsible = check_user(&crm.users, &l, AT, &mut e, inner.cfg.user_id);
    // The lead's fields are checked as any lead's; a stage's required fields do not apply, as
    // the lead enters no stage people work in.
    let custom_fields_values = crate::fields::check_values(
        &crm.lead_fields,
        l.get("custom_fields_values"),
        AT,
        crm.timezone.2,
        &mut |code, path, detail| e.push(code, path, detail),
    );
    let tags = tag_names(&l);
    let contact = embedded_contact(crm, item, &mut e);
    let company = embedded_company(crm, item, &mut e, responsible);
    let keys = contact_keys(crm, item, &contact);
    if e.errors.is_empty() && inner.cfg.platform == SimPlatform::Amocrm {
        if let Some((_, path)) = waiting_with(crm, &keys, crm.unsorted.len()).first() {
            e.push("NotUnique", path, "This value is already used by an incoming lead in unsorted.");
        }
    }
    if !e.errors.is_empty() {
        return Err(e);
    }
    let lead = SimLead {
        id: 0,
        name,
        price,
        pipeline_id: pipeline_id.unwrap_or_default(),
        status_id,
        responsible_user_id: responsible,
        created_by: 0,
        created_at,
        tags,
        contact_ids: Vec::new(),
        custom_fields_values,
        company_id: None,
    };
    Ok(Parsed {
        request_id: e.request_id,
        source_uid,
        source_name,
        pipeline_id: pipeline_id.unwrap_or_default(),
        status_id,
        created_at,
        metadata,
        lead,
        contact,
        company,
        keys,
    })
}

/// `POST /api/v4/leads/unsorted/forms`: answers HAL
/// `{_total_items, _embedded.unsorted[{uid, account_id, request_id, _links, _embedded{contacts, leads, companies}}]}`,
/// or 400 `validation-errors` for the whole batch; 400 problem+json when the account has unsorted off.
pub(crate) async fn add_forms(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    let items = match parse_array(&body) {
        Ok(i) => i,
        Err(r) => return r,
    };
    if !inner.crm.unsorted_on {
        return bad_request("Unsorted is turned off in the account");
    }
    let mut parsed = Vec::new();
    let mut failed = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match parse_item(inner, item, i) {
            Ok(p) => parsed.push(p),
            Err(e) => failed.push(e),
        }
    }
    if !failed.is_empty() {
        return validation_failed(failed);
    }
    let me = token_user(inner, &headers);
    let host = inner.cfg.account_host();
    let account_id = inner.cfg.account_id;
    let kommo = inner.cfg.platform == SimPlatform::Kommo;
    // Only what waited in unsorted before this request counts as a duplicate.
    let before = inner.crm.unsorted.len();
    let mut out = Vec::new();
    for p in parsed {
        let twins = if kommo { waiting_with(&inner.crm, &p.keys, before) } else { Vec::new() };
        let (contact_id, company_id) = store_parties(inner, p.contact, p.company, me, true);
        let mut lead = p.lead;
        lead.id = inner.crm.id();
        lead.created_by = me;
        lead.contact_ids = contact_id.into_iter().collect();
        lead.company_id = company_id;
        lead.status_id = p.status_id;
        if inner.gate.faults.bot_renames {
            lead.name = format!("{} — бот", lead.name);
        }
        if !twins.is_empty() {
            lead.tags.push(KOMMO_DUPLICATE_TAG.to_string());
            for (n, _) in &twins {
                let other = inner.crm.unsorted[*n].lead_id;
                if let Some(l) = inner.crm.leads.iter_mut().find(|l| l.id == other) {
                    if !l.tags.iter().any(|t| t == KOMMO_DUPLICATE_TAG) {
                        l.tags.push(KOMMO_DUPLICATE_TAG.to_string());
                    }
                }
            }
        }
        let u = SimUnsorted {
            uid: random_hex(30),
            source_uid: p.source_uid,
            source_name: p.source_name,
            category: "forms".into(),
            pipeline_id: p.pipeline_id,
            created_at: p.created_at,
            metadata: p.metadata,
            lead_id: lead.id,
            contact_id,
            company_id,
        };
        out.push(json!({
            "uid": u.uid, "account_id": account_id, "request_id": p.request_id,
            "_links": {"self": {"href": format!("https://{host}/api/v4/leads/unsorted/{}", u.uid)}},
            "_embedded": embedded_ids(&host, &u),
        }));
        inner.crm.leads.push(lead);
        inner.crm.unsorted.push(u);
        inner.stats.leads_created += 1;
        inner.stats.unsorted_created += 1;
    }
    hal(json!({"_total_items": out.len(), "_embedded": {"unsorted": out}}))
}

/// `GET /api/v4/leads/unsorted` with `filter[uid]` (one or an array), `filter[category][]`,
/// `filter[pipeline_id]`, `order[created_at]=asc|desc`, `page`, `limit` ≤ 250; 204 when empty.
pub(crate) async fn list_unsorted(State(s): State<Shared>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    let p = RawParams::parse(raw.as_deref());
    let paging = match p.paging() {
        Ok(q) => q,
        Err(r) => return r,
    };
    let uids = p.all("filter[uid]");
    let categories = p.all("filter[category]");
    let pipelines = p.ints("filter[pipeline_id]");
    let mut found: Vec<SimUnsorted> = inner
        .crm
        .unsorted
        .iter()
        .filter(|u| {
            uids.as_ref().is_none_or(|v| v.contains(&u.uid.as_str()))
                && categories.as_ref().is_none_or(|v| v.contains(&u.category.as_str()))
                && pipelines.as_ref().is_none_or(|v| v.contains(&u.pipeline_id))
        })
        .cloned()
        .collect();
    if let Some(dir) = p.one("order[created_at]").or(p.one("order[updated_at]")) {
        found.sort_by_key(|u| u.created_at);
        if dir.eq_ignore_ascii_case("desc") {
            found.reverse();
        }
    }
    let host = inner.cfg.account_host();
    let account_id = inner.cfg.account_id;
    hal_page(&host, "/api/v4/leads/unsorted", "unsorted", &found, &paging, |u| unsorted_json(&host, account_id, u))
}

/// `GET /api/v4/leads/unsorted/{uid}`; 204 when there is none, as the other single reads answer.
pub(crate) async fn get_unsorted(State(s): State<Shared>, headers: HeaderMap, Path(uid): Path<String>) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    let host = inner.cfg.account_host();
    match inner.crm.unsorted.iter().find(|u| u.uid == uid) {
        Some(u) => hal(unsorted_json(&host, inner.cfg.account_id, u)),
        None => no_content(),
    }
}
