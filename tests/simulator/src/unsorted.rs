//! Incoming ("unsorted", "Неразобранное") leads of the forms and sip categories, as amo-docs
//! `crm_platform/unsorted-api.md` describes them (docs/amocrm-api.md §8.13, §16.3):
//! `POST /api/v4/leads/unsorted/forms` and `POST /api/v4/leads/unsorted/sip` (batches; each item
//! one lead with at most one contact and one company, read by the same code, only `metadata`
//! differs), `GET /api/v4/leads/unsorted` and `GET /api/v4/leads/unsorted/{uid}`.
//!
//! A sip item is an incoming call from an unknown number: its contact gets the caller's phone
//! (a contact is made for it when none is sent), and with `metadata.is_call_event_needed` the
//! call is written on the lead as a `call_in` note.
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
use crate::notes::{int_field, store_note, string_field, SimNote};
use crate::oauth::{api_gate, token_user};
use crate::problem::{
    bad_request, check_created_at, check_name, check_price, check_user, parse_array, validation_failed, ItemErrors,
};
use crate::search::digits;
use crate::state::{now, random_hex, Crm, Inner, Shared};

/// The tag Kommo puts on both leads when an incoming lead repeats one still in unsorted.
pub const KOMMO_DUPLICATE_TAG: &str = "Duplicate";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SimUnsorted {
    pub uid: String,
    pub source_uid: String,
    pub source_name: String,
    /// `forms` or `sip` (the two categories the API can add).
    pub category: String,
    pub pipeline_id: i64,
    pub created_at: i64,
    /// Forms: `{form_id, form_name, form_page, ip, form_sent_at, referer, visitor_uid}`; sip:
    /// `{from, phone, called_at, duration, link, service_code, uniq, call_responsible}` — as sent.
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

/// The categories of incoming leads the API can add (amo-docs `unsorted-api.md`: "Через API
/// доступны для создания только 2 типа неразобранного: формы и звонки").
#[derive(Clone, Copy, PartialEq, Eq)]
enum Category {
    Forms,
    Sip,
}

impl Category {
    fn code(self) -> &'static str {
        match self {
            Category::Forms => "forms",
            Category::Sip => "sip",
        }
    }
}

/// `metadata` of the sip category (amo-docs `unsorted-api.md`, "Метаданные неразобранного в
/// категории sip"). The page calls every field of the item required but `created_at` and
/// `pipeline_id`, without saying which metadata keys are; the simulator requires the call's
/// identity and facts — `uniq`, `phone` (a string, or a number as the page's example sends),
/// `called_at`, `duration`, `service_code` — and takes `from`, `link`, `call_responsible`
/// (null allowed) and `is_call_event_needed` (a bool, not stored: "не возвращается в API")
/// when sent (docs/amocrm-api.md §16.3, [inf]). Returns the stored metadata and the flag.
fn check_sip_metadata(item: &Value, e: &mut ItemErrors) -> (Value, bool) {
    let Some(m) = item.get("metadata").filter(|v| !v.is_null()) else {
        e.push("FieldMissing", "metadata", "This field is missing.");
        return (Value::Null, false);
    };
    if !m.is_object() {
        e.push("InvalidType", "metadata", "This value should be of type object.");
        return (Value::Null, false);
    }
    let uniq = string_field(m, "uniq", "metadata.uniq", true, e);
    let phone = match m.get("phone") {
        None | Some(Value::Null) => {
            e.push("FieldMissing", "metadata.phone", "This field is missing.");
            Value::Null
        }
        Some(Value::String(s)) if digits(s).is_empty() => {
            e.push("NotBlank", "metadata.phone", "This value should not be blank.");
            Value::Null
        }
        Some(v @ (Value::String(_) | Value::Number(_))) => v.clone(),
        Some(_) => {
            e.push("InvalidType", "metadata.phone", "This value should be of type string.");
            Value::Null
        }
    };
    let called_at = int_field(m, "called_at", "metadata.called_at", true, e);
    let duration = int_field(m, "duration", "metadata.duration", true, e);
    let service_code = string_field(m, "service_code", "metadata.service_code", true, e);
    let mut optional = |key: &str| match m.get(key) {
        None | Some(Value::Null) => Value::Null,
        Some(v @ Value::String(_)) => v.clone(),
        Some(v @ Value::Number(_)) if key == "call_responsible" => v.clone(),
        Some(_) => {
            e.push("InvalidType", &format!("metadata.{key}"), "This value should be of type string.");
            Value::Null
        }
    };
    let (from, link, call_responsible) = (optional("from"), optional("link"), optional("call_responsible"));
    let event = match m.get("is_call_event_needed") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            e.push("InvalidType", "metadata.is_call_event_needed", "This value should be of type bool.");
            false
        }
    };
    let stored = json!({"from": from, "phone": phone, "called_at": called_at, "duration": duration, "link": link,
        "service_code": service_code, "uniq": uniq, "call_responsible": call_responsible});
    (stored, event)
}

/// The caller's number of a sip item's metadata, as text.
fn caller(metadata: &Value) -> String {
    match &metadata["phone"] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// A sip item's contact carries the caller's number: a new contact without phones gets it, and
/// with no contact sent one is made, named by the number ([inf]: amo-docs does not say what an
/// item without `_embedded.contacts` gets; amoCRM's card shows the caller's number).
fn with_caller(crm: &Crm, contact: ContactRef, phone: &str) -> ContactRef {
    let mut c = match contact {
        ContactRef::New(c) => c,
        ContactRef::None => {
            // An empty contact model: what a contact add defaults to (responsible user, time).
            let mut e = ItemErrors::new(&Value::Null, 0);
            let mut c = crate::contacts::parse_contact(crm, &json!({}), "", &mut e);
            c.name = phone.to_string();
            Box::new(c)
        }
        existing => return existing,
    };
    if c.phones.is_empty() {
        c.phones.push(phone.to_string());
        c.phone_types.push("WORK".into());
    }
    ContactRef::New(c)
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
    category: Category,
    /// A sip item's `is_call_event_needed`: write the call on the lead.
    call_event: bool,
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

fn parse_item(inner: &Inner, item: &Value, index: usize, category: Category) -> Result<Parsed, ItemErrors> {
    let crm = &inner.crm;
    let mut e = ItemErrors::new(item, index);
    let source_name = required_string(item, "source_name", "source_name", &mut e);
    let source_uid = required_string(item, "source_uid", "source_uid", &mut e);
    let (metadata, call_event) = match category {
        Category::Forms => (check_metadata(item, &mut e), false),
        Category::Sip => check_sip_metadata(item, &mut e),
    };
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
        crm.timezone,
        &mut |code, path, detail| e.push(code, path, detail),
    );
    let tags = tag_names(&l);
    let mut contact = embedded_contact(crm, item, &mut e);
    let company = embedded_company(crm, item, &mut e, responsible);
    let mut keys = Vec::new();
    if category == Category::Sip {
        let phone = caller(&metadata);
        if !phone.is_empty() {
            // The caller's number first: a twin call is refused at `metadata.phone`.
            keys.push((format!("tel:{}", digits(&phone)), "metadata.phone".to_string()));
            contact = with_caller(crm, contact, &phone);
        }
    }
    keys.extend(contact_keys(crm, item, &contact));
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
        updated_at: created_at.max(now()),
        tags,
        contact_ids: Vec::new(),
        custom_fields_values,
        company_id: None,
        updated_by: None,
        loss_reason_id: None,
        closed_at: None,
        api_changes: 0,
    };
    Ok(Parsed {
        request_id: e.request_id,
        category,
        call_event,
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

/// `POST /api/v4/leads/unsorted/forms`.
pub(crate) async fn add_forms(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    add(&s, &headers, &body, Category::Forms)
}

/// `POST /api/v4/leads/unsorted/sip`.
pub(crate) async fn add_sip(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    add(&s, &headers, &body, Category::Sip)
}

/// Both adds answer HAL
/// `{_total_items, _embedded.unsorted[{uid, account_id, request_id, _links, _embedded{contacts, leads, companies}}]}`,
/// or 400 `validation-errors` for the whole batch; 400 problem+json when the account has unsorted off.
fn add(s: &Shared, headers: &HeaderMap, body: &Bytes, category: Category) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, headers) {
        return r;
    }
    let items = match parse_array(body) {
        Ok(i) => i,
        Err(r) => return r,
    };
    if !inner.crm.unsorted_on {
        return bad_request("Unsorted is turned off in the account");
    }
    let mut parsed = Vec::new();
    let mut failed = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match parse_item(inner, item, i, category) {
            Ok(p) => parsed.push(p),
            Err(e) => failed.push(e),
        }
    }
    if !failed.is_empty() {
        return validation_failed(failed);
    }
    let me = token_user(inner, headers);
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
            category: p.category.code().into(),
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
        if p.call_event {
            note_call(inner, &u, me);
        }
        inner.crm.leads.push(lead);
        inner.crm.unsorted.push(u);
        inner.stats.leads_created += 1;
        match p.category {
            Category::Forms => inner.stats.unsorted_created += 1,
            Category::Sip => inner.stats.sip_created += 1,
        }
    }
    hal(json!({"_total_items": out.len(), "_embedded": {"unsorted": out}}))
}

/// The `call_in` note a sip item with `is_call_event_needed` puts on its lead: the call's
/// metadata as a call note's params, `service_code` as its `source`.
fn note_call(inner: &mut Inner, u: &SimUnsorted, me: i64) {
    let m = &u.metadata;
    let params = json!({"uniq": m["uniq"], "duration": m["duration"], "source": m["service_code"], "link": m["link"],
        "phone": caller(m), "call_responsible": m["call_responsible"], "call_status": null, "call_result": null});
    let at = m["called_at"].as_i64().unwrap_or(u.created_at);
    let note = SimNote {
        id: 0,
        entity_id: u.lead_id,
        entity_type: "leads".into(),
        note_type: "call_in".into(),
        text: String::new(),
        params,
        created_by: me,
        created_at: at,
        updated_at: at.max(now()),
        responsible_user_id: me,
    };
    store_note(inner, note);
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
