//! amoCRM's JSON, both ways: drafts into request bodies (docs/amocrm-api.md §8.3–8.7, §7.4), answers
//! into the app's types, and amoCRM's validation paths (`_embedded.contacts.0.custom_fields_values
//! .1.values.0.value`) back onto the form's fields, so the form marks the field whichever side
//! found the problem.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::clock::parse_rfc3339;
use crate::domain::change::{LeadChangeDraft, TaskChangeDraft, TaskNow};
use crate::domain::draft::{CallDirection, CallDraft, CompanyDraft, ContactDraft, LeadDraft};
use crate::domain::fields::{field_key, CustomField, FieldEntry, FieldEnum, FieldType, FieldValue, RequiredStatus};
use crate::domain::my_tasks::OpenTask;
use crate::domain::people::{newer, CallBrief, NoteBrief, Person, PersonKind};
use crate::domain::reference::{CompanyMatch, ContactMatch, LeadSummary, Pipeline, PipelineStatus, StageKind};
use crate::domain::task::TaskDraft;
use crate::error::{shown, Error, FieldCode, FieldError, Result};

/// The contact model for `POST /contacts` or inside `/leads/complex`: phones and e-mails as
/// `PHONE`/`EMAIL` multitext values, each with its type's enum code (`MOB`, `PRIV`, …).
pub fn contact_body(c: &ContactDraft, created_at: Option<i64>, request_id: Option<&str>) -> Value {
    let mut body = json!({
        "name": c.display_name(),
        "first_name": c.first_name,
        "last_name": c.last_name,
    });
    let mut fields = Vec::new();
    if !c.phones.is_empty() {
        let values: Vec<Value> = c
            .phones
            .iter()
            .enumerate()
            .map(|(i, p)| json!({"value": p, "enum_code": c.phone_types.get(i).copied().unwrap_or_default().code()}))
            .collect();
        fields.push(json!({"field_code": "PHONE", "values": values}));
    }
    if !c.emails.is_empty() {
        let values: Vec<Value> = c
            .emails
            .iter()
            .enumerate()
            .map(|(i, e)| json!({"value": e, "enum_code": c.email_types.get(i).copied().unwrap_or_default().code()}))
            .collect();
        fields.push(json!({"field_code": "EMAIL", "values": values}));
    }
    // The contact's own custom fields after its phones and e-mails (`contact_field` counts on
    // this order to map amoCRM's paths back).
    fields.extend(custom_fields_values(&c.custom_fields));
    if !fields.is_empty() {
        body["custom_fields_values"] = Value::Array(fields);
    }
    if let Some(id) = c.responsible_user_id {
        body["responsible_user_id"] = json!(id);
    }
    if let Some(t) = created_at {
        body["created_at"] = json!(t);
    }
    if let Some(r) = request_id {
        body["request_id"] = json!(r);
    }
    body
}

/// One item of `POST /api/v4/leads/complex`. `created_at` is the entry's marker (see `outbox`);
/// `request_id` ties amoCRM's answer and validation errors to it.
pub fn complex_lead_body(d: &LeadDraft, created_at: i64, request_id: &str) -> Value {
    let mut lead = json!({"name": d.name, "created_at": created_at, "request_id": request_id});
    if let Some(p) = d.price_value() {
        lead["price"] = json!(p);
    }
    if let Some(id) = d.pipeline_id {
        lead["pipeline_id"] = json!(id);
    }
    if let Some(id) = d.status_id {
        lead["status_id"] = json!(id);
    }
    if let Some(id) = d.responsible_user_id {
        lead["responsible_user_id"] = json!(id);
    }
    let fields = custom_fields_values(&d.custom_fields);
    if !fields.is_empty() {
        lead["custom_fields_values"] = Value::Array(fields);
    }
    let mut embedded = serde_json::Map::new();
    if !d.tags.is_empty() {
        embedded.insert("tags".into(), d.tags.iter().map(|t| json!({"name": t})).collect());
    }
    if let Some(id) = d.existing_contact_id {
        embedded.insert("contacts".into(), json!([{"id": id}]));
    } else if let Some(c) = &d.contact {
        let mut c = c.clone();
        c.responsible_user_id = c.responsible_user_id.or(d.responsible_user_id);
        embedded.insert("contacts".into(), json!([contact_body(&c, Some(created_at), None)]));
    }
    // amoCRM links a new contact and a new company created in the same item (§8.4).
    if let Some(id) = d.existing_company_id {
        embedded.insert("companies".into(), json!([{"id": id}]));
    } else if let Some(c) = &d.company {
        embedded.insert("companies".into(), json!([company_body(c, d.responsible_user_id, created_at, None)]));
    }
    if !embedded.is_empty() {
        lead["_embedded"] = Value::Object(embedded);
    }
    lead
}

/// A new company: in a lead's `_embedded.companies`, or alone for `POST /api/v4/companies`
/// (a contact's company; `request_id` then set). `created_at` is the entry's marker, as for
/// its lead or contact, so an interrupted send is found again (docs/amocrm-api.md §8.6).
pub fn company_body(c: &CompanyDraft, responsible: Option<i64>, created_at: i64, request_id: Option<&str>) -> Value {
    let mut company = json!({"name": c.name, "created_at": created_at});
    if let Some(id) = responsible {
        company["responsible_user_id"] = json!(id);
    }
    let fields = custom_fields_values(&c.custom_fields);
    if !fields.is_empty() {
        company["custom_fields_values"] = Value::Array(fields);
    }
    if let Some(r) = request_id {
        company["request_id"] = json!(r);
    }
    company
}

/// The body of `POST /api/v4/contacts/{id}/link` that puts a contact in a company (amoCRM's
/// entity links; docs/amocrm-api.md §8.14).
pub fn company_link_body(company_id: i64) -> Value {
    json!([{"to_entity_id": company_id, "to_entity_type": "companies"}])
}

/// The source the app's incoming leads are marked with (`source_name`, the form's name).
pub const UNSORTED_SOURCE: &str = "Amo Connect";

/// One item of `POST /api/v4/leads/unsorted/forms` (docs/amocrm-api.md §8.13): the lead, its
/// contact and company as in the complex add, marked as a form of this app. `source_uid` is the
/// entry's request id (unique per entry); `created_at` its marker, which the lead takes, so an
/// interrupted send is reconciled like a complex one.
pub fn unsorted_form_body(d: &LeadDraft, created_at: i64, request_id: &str) -> Value {
    let complex = complex_lead_body(d, created_at, request_id);
    let mut lead = json!({"name": d.name});
    for key in ["price", "responsible_user_id", "custom_fields_values"] {
        if let Some(v) = complex.get(key) {
            lead[key] = v.clone();
        }
    }
    let mut embedded = serde_json::Map::new();
    if let Some(tags) = complex.pointer("/_embedded/tags") {
        lead["_embedded"] = json!({"tags": tags});
    }
    embedded.insert("leads".into(), json!([lead]));
    for key in ["contacts", "companies"] {
        if let Some(v) = complex.pointer(&format!("/_embedded/{key}")) {
            embedded.insert(key.into(), v.clone());
        }
    }
    let mut body = json!({
        "source_name": UNSORTED_SOURCE,
        "source_uid": request_id,
        "created_at": created_at,
        "request_id": request_id,
        "metadata": {
            "form_id": "amo-connect-lead",
            "form_name": UNSORTED_SOURCE,
            "form_page": "amoconnect://new-lead",
            "form_sent_at": created_at,
            "ip": "127.0.0.1",
            "referer": "amoconnect://new-lead",
        },
        "_embedded": Value::Object(embedded),
    });
    if let Some(id) = d.pipeline_id {
        body["pipeline_id"] = json!(id);
    }
    body
}

/// One call for `POST /api/v4/calls` (docs/amocrm-api.md §16): optional fields left out, never
/// `null` (amoCRM refuses a null). `created_at` is when the call began.
pub fn call_body(c: &CallDraft, created_at: i64, request_id: &str) -> Value {
    let mut body = json!({
        "direction": match c.direction { CallDirection::Inbound => "inbound", CallDirection::Outbound => "outbound" },
        "duration": c.duration_secs,
        "source": UNSORTED_SOURCE,
        "phone": c.phone,
        "uniq": c.uniq,
        "created_at": c.started_at.unwrap_or(created_at),
        "request_id": request_id,
    });
    if let Some(s) = c.status {
        body["call_status"] = json!(s.code());
    }
    if !c.result.is_empty() {
        body["call_result"] = json!(c.result);
    }
    if !c.link.is_empty() {
        body["link"] = json!(c.link);
    }
    if let Some(u) = c.responsible_user_id {
        body["responsible_user_id"] = json!(u);
    }
    body
}

/// An unknown caller's inbound call as an incoming lead (`POST /api/v4/leads/unsorted/sip`,
/// docs/amocrm-api.md §16): found again by `source_uid`, the call's own id.
pub fn sip_body(c: &CallDraft, created_at: i64) -> Value {
    let called_at = c.started_at.unwrap_or(created_at);
    let mut metadata = json!({
        "is_call_event_needed": true,
        "uniq": c.uniq,
        "duration": c.duration_secs,
        "service_code": "amo_connect",
        "phone": c.phone,
        "from": c.phone,
        "called_at": called_at,
    });
    if !c.link.is_empty() {
        metadata["link"] = json!(c.link);
    }
    json!({
        "source_name": UNSORTED_SOURCE,
        "source_uid": c.uniq,
        "created_at": called_at,
        "metadata": metadata,
        "_embedded": {"contacts": [{
            "name": c.phone,
            "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": c.phone, "enum_code": "WORK"}]}],
        }]},
    })
}

/// `custom_fields_values` for checked entries (docs/amocrm-api.md §13), in the entries' order,
/// so amoCRM's `custom_fields_values.N` paths point back at entry N.
pub fn custom_fields_values(entries: &[FieldEntry]) -> Vec<Value> {
    entries
        .iter()
        .filter_map(|e| {
            let values = match e.checked.as_ref()? {
                FieldValue::Text(t) => json!([{"value": t}]),
                FieldValue::Number(n) => json!([{"value": n}]),
                FieldValue::Flag(b) => json!([{"value": b}]),
                FieldValue::Choice(id) => json!([{"enum_id": id}]),
                FieldValue::Choices(ids) => ids.iter().map(|id| json!({"enum_id": id})).collect(),
                FieldValue::Instant(t) => json!([{"value": t}]),
            };
            Some(json!({"field_id": e.field_id, "values": values}))
        })
        .collect()
}

/// A custom field as amoCRM lists it: `enums` and `required_statuses` are `null` when empty.
#[derive(Deserialize)]
pub struct RawCustomField {
    id: i64,
    name: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(rename = "type")]
    field_type: FieldType,
    #[serde(default)]
    sort: i64,
    #[serde(default)]
    is_api_only: bool,
    #[serde(default)]
    enums: Option<Vec<RawEnum>>,
    #[serde(default)]
    required_statuses: Option<Vec<RequiredStatus>>,
}

/// A choice as amoCRM lists it (`value` and `code` may be `null`).
#[derive(Deserialize)]
struct RawEnum {
    id: i64,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    sort: i64,
    #[serde(default)]
    code: Option<String>,
}

impl From<RawCustomField> for CustomField {
    fn from(r: RawCustomField) -> CustomField {
        CustomField {
            id: r.id,
            name: r.name,
            code: r.code,
            field_type: r.field_type,
            sort: r.sort,
            is_api_only: r.is_api_only,
            enums: r
                .enums
                .unwrap_or_default()
                .into_iter()
                .map(|e| FieldEnum { id: e.id, value: e.value.unwrap_or_default(), sort: e.sort, code: e.code })
                .collect(),
            required_statuses: r.required_statuses.unwrap_or_default(),
        }
    }
}

/// `datetime_settings.timezone` as kept: an IANA-shaped name ("Europe/Berlin",
/// "America/Argentina/Buenos_Aires", "Etc/GMT-3"; ASCII letters, digits, `/ _ - +`, at most 64),
/// trimmed. Anything else is no name at all: it is shown nowhere and read by nothing. Whether
/// the zone database knows it is `domain::zone`'s question (docs/amocrm-api.md §11.14).
pub fn zone_name(s: &str) -> Option<String> {
    let s = s.trim();
    let shaped = (1..=64).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'));
    shaped.then(|| s.to_string())
}

/// "+03:00" / "-04:30" / "+0300" → seconds east of UTC.
pub fn parse_utc_offset(s: &str) -> Option<i32> {
    let s = s.trim();
    let sign = match s.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let digits: String = s[1..].chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 4 || s[1..].chars().any(|c| !c.is_ascii_digit() && c != ':') {
        return None;
    }
    let (h, m): (i32, i32) = (digits[..2].parse().ok()?, digits[2..].parse().ok()?);
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

/// One task of `POST /api/v4/tasks` on lead `lead_id` (docs/amocrm-api.md §8.8): its due time
/// as Unix seconds, `request_id` tying amoCRM's answer to the entry.
pub fn task_body(t: &TaskDraft, lead_id: i64, responsible: Option<i64>, request_id: &str) -> Value {
    let mut body = json!({
        "text": t.text,
        "complete_till": t.complete_till().unwrap_or_default(),
        "entity_type": "leads",
        "entity_id": lead_id,
        "request_id": request_id,
    });
    if let Some(id) = t.task_type_id {
        body["task_type_id"] = json!(id);
    }
    if let Some(id) = t.responsible_user_id.or(responsible) {
        body["responsible_user_id"] = json!(id);
    }
    body
}

/// `POST /api/v4/leads/{id}/notes`: one text note.
pub fn note_body(text: &str) -> Value {
    json!([{"note_type": "common", "params": {"text": text}}])
}

/// Which form field a path of [`contact_body`] is; `prefix` is `contact.` inside a lead.
pub fn contact_field(c: &ContactDraft, prefix: &str, path: &str) -> String {
    let parts: Vec<&str> = path.split('.').collect();
    match parts.as_slice() {
        ["first_name", ..] | ["name", ..] => format!("{prefix}first_name"),
        ["last_name", ..] => format!("{prefix}last_name"),
        ["responsible_user_id", ..] => format!("{prefix}responsible_user_id"),
        ["custom_fields_values", i, ..] => {
            let multitext = usize::from(!c.phones.is_empty()) + usize::from(!c.emails.is_empty());
            let j = parts.get(3).copied().unwrap_or("0");
            match i.parse::<usize>() {
                Ok(0) if !c.phones.is_empty() => format!("{prefix}phones.{j}"),
                Ok(n) if n < multitext => format!("{prefix}emails.{j}"),
                // Entry N - multitext of the checked custom fields, in the body's order.
                Ok(n) => {
                    c.custom_fields.iter().filter(|e| e.checked.is_some()).nth(n - multitext).map_or_else(
                        || format!("{prefix}custom_fields"),
                        |e| format!("{prefix}{}", field_key(e.field_id)),
                    )
                }
                Err(_) => format!("{prefix}form"),
            }
        }
        _ => "form".into(),
    }
}

/// A company of amoCRM's answer: its id and name.
pub fn company_match(c: &Value) -> Option<CompanyMatch> {
    Some(CompanyMatch { id: c.get("id")?.as_i64()?, name: c.get("name")?.as_str()?.to_string() })
}

/// Which form field a path of [`company_body`] is: entry N of `custom_fields_values` is the
/// company's Nth checked field, in the body's order; its responsible user is the entry's;
/// anything else is its name.
pub fn company_field(c: &CompanyDraft, path: &str) -> String {
    if path.starts_with("responsible_user_id") {
        return "responsible_user_id".into();
    }
    path.strip_prefix("custom_fields_values.")
        .and_then(|rest| rest.split('.').next())
        .and_then(|i| i.parse::<usize>().ok())
        .and_then(|i| c.custom_fields.iter().filter(|e| e.checked.is_some()).nth(i))
        .map_or_else(|| "company.name".into(), |e| format!("company.{}", field_key(e.field_id)))
}

/// One task's change for `PATCH /api/v4/tasks` (docs/amocrm-api.md §18.1): its id and only
/// what the user changed. The due time is fixed (RFC 3339) when queued.
pub fn task_change_body(t: &TaskChangeDraft) -> Value {
    let mut body = json!({"id": t.task_id});
    if t.done {
        body["is_completed"] = json!(true);
        if !t.result.is_empty() {
            body["result"] = json!({"text": t.result});
        }
    }
    if let Some(due) = parse_rfc3339(&t.due) {
        body["complete_till"] = json!(due);
    }
    if !t.text.is_empty() {
        body["text"] = json!(t.text);
    }
    if let Some(id) = t.task_type_id {
        body["task_type_id"] = json!(id);
    }
    if let Some(id) = t.responsible_user_id {
        body["responsible_user_id"] = json!(id);
    }
    body
}

/// Which field of a task's change a path of [`task_change_body`] is.
pub fn task_change_field(path: &str) -> String {
    match path.split('.').next().unwrap_or_default() {
        "is_completed" => "done".into(),
        "result" => "result".into(),
        "complete_till" => "due".into(),
        "text" => "text".into(),
        "task_type_id" => "task_type_id".into(),
        "responsible_user_id" => "responsible_user_id".into(),
        "id" => "task_id".into(),
        _ => "form".into(),
    }
}

/// One lead's change for `PATCH /api/v4/leads` (docs/amocrm-api.md §18.2): its id and only what
/// the user changed. Tags are added (`tags_to_add`), never the whole list replaced; each custom
/// field sent replaces only that field's values.
pub fn lead_change_body(l: &LeadChangeDraft) -> Value {
    let mut body = json!({"id": l.lead_id});
    if !l.name.is_empty() {
        body["name"] = json!(l.name);
    }
    if let Some(p) = l.price_value() {
        body["price"] = json!(p);
    }
    if let Some(s) = l.status_id {
        body["status_id"] = json!(s);
        // The pipeline with its stage: amoCRM checks the stage against it (won and lost are
        // in every pipeline).
        body["pipeline_id"] = json!(l.target_pipeline());
    }
    if let Some(r) = l.loss_reason_id {
        body["loss_reason_id"] = json!(r);
    }
    if let Some(u) = l.responsible_user_id {
        body["responsible_user_id"] = json!(u);
    }
    let fields = custom_fields_values(&l.custom_fields);
    if !fields.is_empty() {
        body["custom_fields_values"] = Value::Array(fields);
    }
    if !l.tags_to_add.is_empty() {
        body["tags_to_add"] = l.tags_to_add.iter().map(|t| json!({"name": t})).collect();
    }
    body
}

/// Which field of a lead's change a path of [`lead_change_body`] is.
pub fn lead_change_field(l: &LeadChangeDraft, path: &str) -> String {
    match path.split('.').next().unwrap_or_default() {
        "name" => "name".into(),
        "price" => "price".into(),
        "status_id" => "status".into(),
        "pipeline_id" => "pipeline".into(),
        "loss_reason_id" => "loss_reason_id".into(),
        "responsible_user_id" => "responsible_user_id".into(),
        "tags_to_add" | "_embedded" => "tags".into(),
        "custom_fields_values" => path
            .split('.')
            .nth(1)
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| l.custom_fields.iter().filter(|e| e.checked.is_some()).nth(i))
            .map_or_else(|| "custom_fields".into(), |e| field_key(e.field_id)),
        "id" => "lead_id".into(),
        _ => "form".into(),
    }
}

/// `GET /api/v4/tasks/{id}` as a [`TaskNow`]. `result` is `{text}` on a done task and `[]`
/// (or absent) otherwise.
pub fn task_now(t: &Value) -> Option<TaskNow> {
    let int = |k: &str| t.get(k).and_then(Value::as_i64);
    Some(TaskNow {
        id: int("id")?,
        text: t.get("text").and_then(Value::as_str).unwrap_or_default().to_string(),
        task_type_id: int("task_type_id").unwrap_or(1),
        complete_till: int("complete_till").unwrap_or_default(),
        is_completed: t.get("is_completed").and_then(Value::as_bool).unwrap_or(false),
        result_text: t.pointer("/result/text").and_then(Value::as_str).map(str::to_string),
        responsible_user_id: int("responsible_user_id").unwrap_or_default(),
        entity_type: t.get("entity_type").and_then(Value::as_str).map(str::to_string),
        entity_id: int("entity_id"),
        updated_at: int("updated_at").unwrap_or_default(),
        updated_by: int("updated_by").unwrap_or_default(),
    })
}

/// The account's loss reasons (`_embedded.loss_reasons`), in amoCRM's `sort` order; entries
/// without an id or name are left out.
pub fn loss_reasons(v: Value) -> Vec<crate::domain::change::LossReason> {
    let mut out: Vec<(i64, crate::domain::change::LossReason)> = v
        .pointer("/_embedded/loss_reasons")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|r| {
                    let id = r.get("id")?.as_i64()?;
                    let name = crate::domain::text::clean_name(r.get("name")?.as_str()?);
                    let sort = r.get("sort").and_then(Value::as_i64).unwrap_or(id);
                    Some((sort, crate::domain::change::LossReason { id, name }))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort_by_key(|(sort, r)| (*sort, r.id));
    out.into_iter().map(|(_, r)| r).collect()
}

/// Which form field a path of [`task_body`] is (`prefix` is `task.`).
pub fn task_field(prefix: &str, path: &str) -> String {
    match path.split('.').next().unwrap_or_default() {
        "text" => format!("{prefix}text"),
        "complete_till" => format!("{prefix}due"),
        "task_type_id" => format!("{prefix}task_type_id"),
        "responsible_user_id" => format!("{prefix}responsible_user_id"),
        "entity_id" | "entity_type" => "lead_id".into(),
        _ => "form".into(),
    }
}

/// Which form field a path of [`complex_lead_body`] is.
pub fn lead_field(d: &LeadDraft, path: &str) -> String {
    match path.split('.').next().unwrap_or_default() {
        "name" => "name".into(),
        "price" => "price".into(),
        "pipeline_id" | "status_id" => "status".into(),
        "responsible_user_id" => "responsible_user_id".into(),
        // Entry N's field: the body lists the checked entries in order.
        "custom_fields_values" => path
            .split('.')
            .nth(1)
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| d.custom_fields.iter().filter(|e| e.checked.is_some()).nth(i))
            .map_or_else(|| "custom_fields".into(), |e| field_key(e.field_id)),
        // An incoming lead's own fields sit one level down (`unsorted_form_body`).
        "_embedded" if path.starts_with("_embedded.leads.0.") => {
            lead_field(d, path.trim_start_matches("_embedded.leads.0."))
        }
        "source_name" | "source_uid" | "metadata" => "unsorted".into(),
        "_embedded" => match path.strip_prefix("_embedded.contacts.0.") {
            Some(rest) => match &d.contact {
                Some(c) => contact_field(c, "contact.", rest),
                None => "contact".into(),
            },
            None if path.starts_with("_embedded.tags") => "tags".into(),
            None => match (path.strip_prefix("_embedded.companies.0."), &d.company) {
                _ if path.starts_with("_embedded.companies.0.id") => "existing_company_id".into(),
                (Some(rest), Some(c)) => company_field(c, rest),
                _ if path.starts_with("_embedded.companies") => "company.name".into(),
                _ => "contact".into(),
            },
        },
        _ => "form".into(),
    }
}

/// One problem from amoCRM's `validation-errors` (docs/amocrm-api.md §7.4), before it is mapped onto a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmoFieldProblem {
    pub path: String,
    pub code: String,
    pub detail: String,
}

/// The longest amoCRM path kept (its real paths are under 80 characters).
const MAX_PATH: usize = 200;

/// amoCRM's problems as form field errors; `map` turns a path into the form's field name. The
/// path is server text like the rest: shortened and stripped of control characters before it is
/// mapped, since an unknown path is kept (and shown) as the field's name.
pub fn field_errors(raw: &[AmoFieldProblem], map: impl Fn(&str) -> String) -> Vec<FieldError> {
    raw.iter()
        .map(|p| FieldError {
            field: map(&shown(&p.path, MAX_PATH)),
            code: match p.code.as_str() {
                "NotSupportedChoice" => FieldCode::NotAChoice,
                "FieldNotExpected" => FieldCode::NotExpected,
                _ => FieldCode::Rejected,
            },
            amo_code: Some(shown(&p.code, 60)),
            detail: Some(shown(&p.detail, 200)),
            label: None,
        })
        .collect()
}

/// Field errors amoCRM reported against raw paths, renamed to the form's fields.
pub fn remap_fields(fields: &[FieldError], map: impl Fn(&str) -> String) -> Vec<FieldError> {
    fields.iter().map(|f| FieldError { field: map(&f.field), ..f.clone() }).collect()
}

/// `validation-errors` of a 400 answer, if it has any.
pub fn validation_problems(body: &str) -> Option<Vec<AmoFieldProblem>> {
    let v: Value = serde_json::from_str(body).ok()?;
    let items = v.get("validation-errors")?.as_array()?;
    let problems: Vec<AmoFieldProblem> = items
        .iter()
        .flat_map(|i| i.get("errors").and_then(Value::as_array).cloned().unwrap_or_default())
        .map(|e| {
            let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
            AmoFieldProblem { path: s("path"), code: s("code"), detail: s("detail") }
        })
        .collect();
    (!problems.is_empty()).then_some(problems)
}

fn multitext(c: &Value, code: &str) -> Vec<String> {
    c.get("custom_fields_values")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|f| f.get("field_code").and_then(Value::as_str) == Some(code))
        .flat_map(|f| f.get("values").and_then(Value::as_array).cloned().unwrap_or_default())
        .filter_map(|v| v.get("value").and_then(Value::as_str).map(str::to_string))
        .collect()
}

pub fn contact_match(c: &Value) -> Option<ContactMatch> {
    Some(ContactMatch {
        id: c.get("id")?.as_i64()?,
        name: c.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
        phones: multitext(c, "PHONE"),
        emails: multitext(c, "EMAIL"),
        open_leads: Vec::new(),
    })
}

/// An answer's body as JSON.
pub fn parse(body: &str) -> Result<Value> {
    serde_json::from_str(body).map_err(|e| Error::unexpected(format!("the answer is not JSON ({e})")))
}

/// `v` as a `T`; anything else is an unexpected answer, naming `what`.
pub fn from_value<T: serde::de::DeserializeOwned>(v: Value, what: &str) -> Result<T> {
    serde_json::from_value(v).map_err(|e| Error::unexpected(format!("{what} is not the expected JSON ({e})")))
}

/// `_embedded.{key}` of a HAL collection.
pub fn embedded<T: serde::de::DeserializeOwned>(mut v: Value, key: &str) -> Result<Vec<T>> {
    match v.pointer_mut(&format!("/_embedded/{key}")) {
        Some(list) => from_value(list.take(), key),
        None => Err(Error::unexpected(format!("no _embedded.{key} in the answer"))),
    }
}

/// One page of contacts or companies (`with=leads`) as the copy's sync reads it
/// (`ApiClient::people_page`): those with an id, and whether there is a next page. The fuzz
/// target `sync_pages` feeds it any JSON.
pub fn people_page(v: Value, kind: PersonKind) -> Result<(Vec<Person>, bool)> {
    let has_next = v.pointer("/_links/next").is_some();
    let people = embedded::<Value>(v, kind.entity())?.iter().filter_map(|p| person(p, kind)).collect();
    Ok((people, has_next))
}

/// One page of leads (`with=contacts`, `ApiClient::leads_page`): those with an id, and whether
/// there is a next page.
pub fn leads_page(v: Value) -> Result<(Vec<LeadSummary>, bool)> {
    let has_next = v.pointer("/_links/next").is_some();
    let leads = embedded::<Value>(v, "leads")?.iter().filter_map(lead_summary).collect();
    Ok((leads, has_next))
}

/// One page of leads with each one's `updated_at` (0 when absent), as the copy's quick poll
/// reads it (`ApiClient::leads_by_update`).
pub fn leads_by_update_page(v: Value) -> Result<(Vec<(LeadSummary, i64)>, bool)> {
    let has_next = v.pointer("/_links/next").is_some();
    let leads = embedded::<Value>(v, "leads")?
        .iter()
        .filter_map(|l| Some((lead_summary(l)?, l.get("updated_at").and_then(Value::as_i64).unwrap_or(0))))
        .collect();
    Ok((leads, has_next))
}

/// One page of `GET /api/v4/tasks?filter[is_completed]=0` (docs/amocrm-api.md §8.8, §18.1), as
/// "my tasks" reads it (`ApiClient::open_tasks_page`): the tasks with an id, a due time and a
/// responsible user, and whether there is a next page. A done task is left out even if amoCRM
/// sent one (the filter is the only thing asking for open ones). A missing type is amoCRM's
/// "Call" (1), as on create.
pub fn open_tasks_page(v: Value) -> Result<(Vec<OpenTask>, bool)> {
    let has_next = v.pointer("/_links/next").is_some();
    let tasks = embedded::<Value>(v, "tasks")?
        .iter()
        .filter(|t| t.get("is_completed").and_then(Value::as_bool) != Some(true))
        .filter_map(|t| {
            Some(OpenTask {
                id: t.get("id")?.as_i64()?,
                text: t.get("text").and_then(Value::as_str).unwrap_or_default().to_string(),
                task_type_id: t.get("task_type_id").and_then(Value::as_i64).unwrap_or(1),
                complete_till: t.get("complete_till")?.as_i64()?,
                entity_type: t.get("entity_type").and_then(Value::as_str).map(str::to_string),
                entity_id: t.get("entity_id").and_then(Value::as_i64),
                responsible_user_id: t.get("responsible_user_id")?.as_i64()?,
                updated_at: t.get("updated_at").and_then(Value::as_i64).unwrap_or_default(),
            })
        })
        .collect();
    Ok((tasks, has_next))
}

/// A contact or company of a list (`with=leads`) as the copy of the account keeps it.
pub fn person(v: &Value, kind: PersonKind) -> Option<Person> {
    let int = |k: &str| v.get(k).and_then(Value::as_i64).unwrap_or(0);
    Some(Person {
        kind,
        id: v.get("id")?.as_i64()?,
        name: v.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
        responsible_user_id: int("responsible_user_id"),
        updated_at: int("updated_at"),
        company_id: v
            .pointer("/_embedded/companies")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().find_map(|c| c.get("id").and_then(Value::as_i64))),
        phones: multitext(v, "PHONE"),
        emails: multitext(v, "EMAIL"),
        lead_ids: embedded_lead_ids(v),
    })
}

/// The newest text note and the newest call note of a card's notes (any order).
pub fn latest_notes(notes: &[Value]) -> (Option<NoteBrief>, Option<CallBrief>) {
    let (mut note, mut call) = (None, None);
    for n in notes {
        let at = n.get("created_at").and_then(Value::as_i64).unwrap_or(0);
        match n.get("note_type").and_then(Value::as_str) {
            Some("common") => {
                let text = n.pointer("/params/text").and_then(Value::as_str).unwrap_or_default().to_string();
                note = newer(note, Some(NoteBrief { text, created_at: at }), |b| b.created_at);
            }
            Some(t @ ("call_in" | "call_out")) => {
                let brief = CallBrief {
                    inbound: t == "call_in",
                    created_at: at,
                    duration_secs: n.pointer("/params/duration").and_then(Value::as_i64).unwrap_or(0),
                    result: n.pointer("/params/call_result").and_then(Value::as_str).unwrap_or_default().to_string(),
                };
                call = newer(call, Some(brief), |b| b.created_at);
            }
            _ => {}
        }
    }
    (note, call)
}

/// The ids of a contact's leads (`with=leads`), newest (highest id) first.
pub fn embedded_lead_ids(c: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = c
        .pointer("/_embedded/leads")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|l| l.get("id").and_then(Value::as_i64)).collect())
        .unwrap_or_default();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids
}

pub fn lead_summary(l: &Value) -> Option<LeadSummary> {
    let int = |k: &str| l.get(k).and_then(Value::as_i64).unwrap_or(0);
    Some(LeadSummary {
        id: l.get("id")?.as_i64()?,
        name: l.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
        price: int("price"),
        pipeline_id: int("pipeline_id"),
        status_id: int("status_id"),
        responsible_user_id: int("responsible_user_id"),
        created_by: int("created_by"),
        created_at: int("created_at"),
        contact_ids: l
            .pointer("/_embedded/contacts")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|c| c.get("id").and_then(Value::as_i64)).collect())
            .unwrap_or_default(),
    })
}

/// A pipeline as `/api/v4/leads/pipelines` embeds it (statuses embedded by default, docs/amocrm-api.md §8.9).
#[derive(Deserialize)]
pub struct RawPipeline {
    id: i64,
    name: String,
    #[serde(default)]
    sort: i64,
    #[serde(default)]
    is_main: bool,
    #[serde(default)]
    pub is_archive: bool,
    #[serde(default)]
    is_unsorted_on: bool,
    #[serde(rename = "_embedded", default)]
    embedded: RawStatuses,
}

#[derive(Deserialize, Default)]
struct RawStatuses {
    #[serde(default)]
    statuses: Vec<RawStatus>,
}

#[derive(Deserialize)]
struct RawStatus {
    id: i64,
    name: String,
    #[serde(default)]
    sort: i64,
    #[serde(default)]
    color: String,
    #[serde(rename = "type", default)]
    amo_type: i64,
}

impl RawPipeline {
    /// With its stages sorted and each stage's [`StageKind`] decided.
    pub fn into_pipeline(self) -> Pipeline {
        let mut statuses: Vec<PipelineStatus> = self
            .embedded
            .statuses
            .into_iter()
            .map(|s| PipelineStatus {
                kind: StageKind::of(s.id, s.amo_type),
                id: s.id,
                name: s.name,
                sort: s.sort,
                color: s.color,
            })
            .collect();
        statuses.sort_by_key(|s| s.sort);
        Pipeline {
            id: self.id,
            name: self.name,
            sort: self.sort,
            is_main: self.is_main,
            is_unsorted_on: self.is_unsorted_on,
            statuses,
        }
    }
}

/// The lead of `GET /api/v4/leads/{id}?with=contacts,loss_reason` (docs/amocrm-api.md §8.2,
/// §18.3) as the lead card reads it: `None` without an id. Every custom field value is kept in
/// the shape it came (text, whole number, flag, choice id) for `domain::lead_card` to show;
/// `updated_by` reads `created_by` when amoCRM leaves it out.
pub fn lead_card(l: &Value) -> Option<crate::domain::lead_card::RawLead> {
    use crate::domain::lead_card::{RawFieldValues, RawLead};
    let int = |k: &str| l.get(k).and_then(Value::as_i64).unwrap_or(0);
    let names = |key: &str| -> Vec<String> {
        l.pointer(&format!("/_embedded/{key}"))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|t| t.get("name").and_then(Value::as_str).map(str::to_string)).collect())
            .unwrap_or_default()
    };
    // One reason in a one-item list (amo-docs' example); an object is read the same way.
    let reason = l.pointer("/_embedded/loss_reason").map(|r| r.get(0).unwrap_or(r));
    let fields = l
        .get("custom_fields_values")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|f| {
                    Some(RawFieldValues {
                        field_id: f.get("field_id")?.as_i64()?,
                        field_name: f.get("field_name").and_then(Value::as_str).map(str::to_string),
                        field_type: f.get("field_type").and_then(|t| serde_json::from_value(t.clone()).ok()),
                        values: f
                            .get("values")
                            .and_then(Value::as_array)
                            .map(|vs| vs.iter().map(raw_value).collect())
                            .unwrap_or_default(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Some(RawLead {
        id: l.get("id")?.as_i64()?,
        name: l.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
        price: int("price"),
        pipeline_id: int("pipeline_id"),
        status_id: int("status_id"),
        responsible_user_id: int("responsible_user_id"),
        loss_reason_id: l
            .get("loss_reason_id")
            .and_then(Value::as_i64)
            .or_else(|| reason.and_then(|r| r.get("id")).and_then(Value::as_i64)),
        loss_reason_name: reason.and_then(|r| r.get("name")).and_then(Value::as_str).map(str::to_string),
        tags: names("tags"),
        fields,
        contact_ids: l
            .pointer("/_embedded/contacts")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|c| c.get("id").and_then(Value::as_i64)).collect())
            .unwrap_or_default(),
        created_by: int("created_by"),
        created_at: int("created_at"),
        updated_by: l.get("updated_by").and_then(Value::as_i64).unwrap_or_else(|| int("created_by")),
        updated_at: int("updated_at"),
    })
}

/// One `values[]` item of a custom field: `{value}` (a string, a number, a flag, or an object
/// such as a legal entity's, whose text parts are joined), `{enum_id}` for a choice.
fn raw_value(v: &Value) -> crate::domain::lead_card::RawValue {
    use crate::domain::lead_card::RawValue;
    let enum_id = v.get("enum_id").and_then(Value::as_i64);
    let mut out = RawValue { enum_id, ..Default::default() };
    match v.get("value") {
        Some(Value::String(s)) => out.text = Some(s.clone()),
        Some(Value::Bool(b)) => out.flag = Some(*b),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) => out.number = Some(i),
            None => out.text = Some(n.to_string()),
        },
        Some(Value::Object(o)) => {
            let parts: Vec<&str> = o.values().filter_map(Value::as_str).filter(|s| !s.trim().is_empty()).collect();
            out.text = (!parts.is_empty()).then(|| parts.join(", "));
        }
        _ => {}
    }
    out
}

/// The notes of `GET /api/v4/leads/{id}/notes?order[updated_at]=desc` as the lead card shows them
/// (docs/amocrm-api.md §8.7, §16.2): each with an id and a type; the text of a common note,
/// a service message or an SMS is `params.text`, a call's is its phone and length.
pub fn card_notes(v: Value) -> Result<Vec<crate::domain::lead_card::RawNote>> {
    use crate::domain::lead_card::{call_text, RawNote};
    Ok(embedded::<Value>(v, "notes")?
        .iter()
        .filter_map(|n| {
            let note_type = n.get("note_type")?.as_str()?.to_string();
            let text = match note_type.as_str() {
                "call_in" | "call_out" => call_text(
                    n.pointer("/params/phone").and_then(Value::as_str),
                    n.pointer("/params/duration").and_then(Value::as_i64),
                ),
                _ => n.pointer("/params/text").and_then(Value::as_str).unwrap_or_default().to_string(),
            };
            Some(RawNote {
                id: n.get("id")?.as_i64()?,
                note_type,
                text,
                created_by: n.get("created_by").and_then(Value::as_i64).unwrap_or_default(),
                created_at: n.get("created_at").and_then(Value::as_i64).unwrap_or_default(),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::platform::Platform;

    #[test]
    fn a_valid_lead_becomes_one_complex_item_with_its_contact() {
        let d = LeadDraft {
            name: " Order 17 ".into(),
            price: "1500".into(),
            pipeline_id: Some(1),
            status_id: Some(2),
            tags: vec!["phone".into()],
            contact: Some(ContactDraft {
                first_name: "Ivan".into(),
                phones: vec!["8 (912) 123-45-67".into()],
                emails: vec!["Ivan@Example.COM".into()],
                ..Default::default()
            }),
            note: "call back".into(),
            ..Default::default()
        }
        .validated(Platform::Amocrm)
        .expect("valid");
        let v = complex_lead_body(&d, 1_700_000_000, "ac-1");
        assert_eq!(v["name"], "Order 17");
        assert_eq!(v["price"], 1500);
        assert_eq!(v["created_at"], 1_700_000_000);
        assert_eq!(v["request_id"], "ac-1");
        assert_eq!(v["_embedded"]["tags"][0]["name"], "phone");
        let c = &v["_embedded"]["contacts"][0];
        assert_eq!(c["custom_fields_values"][0]["values"][0]["value"], "+79121234567");
        assert_eq!(c["custom_fields_values"][1]["values"][0]["value"], "Ivan@example.com");
        assert_eq!(lead_field(&d, "_embedded.contacts.0.custom_fields_values.0.values.0.value"), "contact.phones.0");
        assert_eq!(lead_field(&d, "_embedded.contacts.0.custom_fields_values.1.values.0.value"), "contact.emails.0");
        assert_eq!(lead_field(&d, "status_id"), "status");
    }

    #[test]
    fn attaching_to_an_existing_contact_sends_only_its_id() {
        let d = LeadDraft { name: "x".into(), existing_contact_id: Some(42), ..Default::default() };
        assert_eq!(complex_lead_body(&d, 1, "r")["_embedded"]["contacts"], json!([{"id": 42}]));
    }

    #[test]
    fn amocrm_problems_become_field_errors_with_our_codes() {
        let body = r#"{"validation-errors":[{"request_id":"0","errors":[
            {"code":"NotSupportedChoice","path":"status_id","detail":"The value you selected is not a valid choice."},
            {"code":"InvalidType\u001b[31m","path":"price","detail":"Bad"}]}],"title":"Bad Request","status":400}"#;
        let raw = validation_problems(body).expect("problems");
        let d = LeadDraft::default();
        let fields = field_errors(&raw, |p| lead_field(&d, p));
        assert_eq!((fields[0].field.as_str(), fields[0].code), ("status", FieldCode::NotAChoice));
        assert_eq!((fields[1].field.as_str(), fields[1].code), ("price", FieldCode::Rejected));
        assert_eq!(fields[1].amo_code.as_deref(), Some("InvalidType[31m"), "no control characters kept");
        assert!(validation_problems(r#"{"detail":"x"}"#).is_none());
    }

    /// Found by fuzz/fuzz_targets/api_answer.rs: a path with control characters reached the
    /// message ("Check the field — …") as it came, and a path of any length was kept.
    #[test]
    fn amocrm_paths_are_cleaned_and_shortened_like_other_server_text() {
        let raw = [AmoFieldProblem {
            path: format!("e\u{7f}\u{1b}[2J{}", "x".repeat(10_000)),
            code: "NotSupportedChoice".into(),
            detail: String::new(),
        }];
        let fields = field_errors(&raw, str::to_string);
        assert!(!fields[0].field.chars().any(char::is_control), "{:?}", fields[0].field);
        assert_eq!(fields[0].field.chars().count(), MAX_PATH);
    }

    #[test]
    fn pipelines_get_their_stage_kinds_from_amocrm_numbers() {
        let raw: RawPipeline = serde_json::from_value(json!({
            "id": 1, "name": "Main", "sort": 1, "is_main": true,
            "_embedded": {"statuses": [
                {"id": 143, "name": "Lost", "sort": 20000, "color": "#ccc", "type": 0},
                {"id": 10, "name": "Incoming", "sort": 10, "color": "#ccc", "type": 1},
                {"id": 11, "name": "First", "sort": 20, "color": "#ccc", "type": 0}
            ]}
        }))
        .expect("raw");
        let p = raw.into_pipeline();
        let kinds: Vec<StageKind> = p.statuses.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, [StageKind::Unsorted, StageKind::Open, StageKind::Lost]);
    }

    #[test]
    fn an_open_tasks_page_keeps_tasks_with_an_id_a_due_time_and_a_responsible_user() {
        let page = json!({
            "_links": {"next": {"href": "https://x/api/v4/tasks?page=2"}},
            "_embedded": {"tasks": [
                {"id": 1, "text": "Call", "task_type_id": 2, "complete_till": 1_800_000_000,
                 "entity_type": "leads", "entity_id": 55, "responsible_user_id": 7, "is_completed": false},
                {"id": 2, "text": "No type, on nothing", "complete_till": 1_800_000_100, "responsible_user_id": 7,
                 "entity_type": null, "entity_id": null},
                {"id": 3, "text": "Done", "complete_till": 1_800_000_200, "responsible_user_id": 7, "is_completed": true},
                {"id": 4, "text": "No due time", "responsible_user_id": 7},
                {"text": "No id", "complete_till": 1_800_000_300, "responsible_user_id": 7}
            ]}
        });
        let (tasks, has_next) = open_tasks_page(page).expect("page");
        assert!(has_next);
        assert_eq!(
            tasks,
            [
                OpenTask {
                    id: 1,
                    text: "Call".into(),
                    task_type_id: 2,
                    complete_till: 1_800_000_000,
                    entity_type: Some("leads".into()),
                    entity_id: Some(55),
                    responsible_user_id: 7,
                    updated_at: 0,
                },
                OpenTask {
                    id: 2,
                    text: "No type, on nothing".into(),
                    task_type_id: 1,
                    complete_till: 1_800_000_100,
                    entity_type: None,
                    entity_id: None,
                    responsible_user_id: 7,
                    updated_at: 0,
                },
            ]
        );
        let (_, has_next) = open_tasks_page(json!({"_embedded": {"tasks": []}})).expect("last page");
        assert!(!has_next);
        assert!(open_tasks_page(json!({"_embedded": {}})).is_err(), "no tasks key is not an empty page");
    }

    #[test]
    fn a_lead_card_reads_every_custom_field_shape_its_loss_reason_and_tags() {
        use crate::domain::lead_card::{RawFieldValues, RawValue};
        let v = json!({
            "id": 31, "name": "Sofa", "price": 1500, "pipeline_id": 10, "status_id": 143,
            "responsible_user_id": 7, "loss_reason_id": 3, "created_by": 7, "created_at": 100,
            "updated_by": 8, "updated_at": 200,
            "custom_fields_values": [
                {"field_id": 1, "field_name": "Note", "field_type": "text", "values": [{"value": "call after 6"}]},
                {"field_id": 2, "field_type": "numeric", "values": [{"value": "12.5"}]},
                {"field_id": 3, "field_type": "checkbox", "values": [{"value": true}]},
                {"field_id": 4, "field_type": "select", "values": [{"value": "Blue", "enum_id": 22, "enum_code": null}]},
                {"field_id": 5, "field_type": "multiselect", "values": [{"value": "A", "enum_id": 31}, {"value": "B", "enum_id": 32}]},
                {"field_id": 6, "field_type": "date", "values": [{"value": 1_773_090_000}]},
                {"field_id": 7, "field_type": "date_time", "values": [{"value": "2026-03-10T09:30:00+03:00"}]},
                {"field_id": 8, "field_type": "legal_entity", "values": [{"value": {"name": "OOO Mebel", "vat_id": "7701", "kpp": null}}]},
                {"field_id": 9, "field_type": "price", "values": [{"value": 99.5}]},
                {"field_id": 10, "field_type": "something_new", "values": [{"value": null}]},
                {"field_name": "no id", "values": [{"value": "x"}]}
            ],
            "_embedded": {
                "tags": [{"id": 500, "name": "vip"}, {"id": 501, "name": "repeat"}],
                "contacts": [{"id": 40, "is_main": true}, {"id": 41, "is_main": false}],
                "loss_reason": [{"id": 3, "name": "Too expensive"}]
            }
        });
        let l = lead_card(&v).expect("lead");
        assert_eq!((l.id, l.name.as_str(), l.price, l.status_id), (31, "Sofa", 1500, 143));
        assert_eq!((l.loss_reason_id, l.loss_reason_name.as_deref()), (Some(3), Some("Too expensive")));
        assert_eq!(l.tags, ["vip", "repeat"]);
        assert_eq!(l.contact_ids, [40, 41]);
        assert_eq!((l.updated_by, l.updated_at, l.created_by), (8, 200, 7));
        let text = |s: &str| RawValue { text: Some(s.into()), ..Default::default() };
        let f = |id: i64, name: Option<&str>, t: Option<FieldType>, values: Vec<RawValue>| RawFieldValues {
            field_id: id,
            field_name: name.map(str::to_string),
            field_type: t,
            values,
        };
        assert_eq!(
            l.fields,
            [
                f(1, Some("Note"), Some(FieldType::Text), vec![text("call after 6")]),
                f(2, None, Some(FieldType::Numeric), vec![text("12.5")]),
                f(3, None, Some(FieldType::Checkbox), vec![RawValue { flag: Some(true), ..Default::default() }]),
                f(4, None, Some(FieldType::Select), vec![RawValue { enum_id: Some(22), ..text("Blue") }]),
                f(
                    5,
                    None,
                    Some(FieldType::Multiselect),
                    vec![RawValue { enum_id: Some(31), ..text("A") }, RawValue { enum_id: Some(32), ..text("B") }]
                ),
                f(6, None, Some(FieldType::Date), vec![RawValue { number: Some(1_773_090_000), ..Default::default() }]),
                f(7, None, Some(FieldType::DateTime), vec![text("2026-03-10T09:30:00+03:00")]),
                f(8, None, Some(FieldType::Other), vec![text("OOO Mebel, 7701")]),
                f(9, None, Some(FieldType::Price), vec![text("99.5")]),
                f(10, None, Some(FieldType::Other), vec![RawValue::default()]),
            ]
        );
        // A lead without a reason, tags, fields or an `updated_by`: none, and its creator.
        let bare = lead_card(&json!({"id": 2, "created_by": 5, "custom_fields_values": null})).expect("lead");
        assert_eq!((bare.loss_reason_id, bare.loss_reason_name, bare.updated_by), (None, None, 5));
        assert!(bare.tags.is_empty() && bare.fields.is_empty() && bare.contact_ids.is_empty());
        assert!(lead_card(&json!({"name": "no id"})).is_none());
    }

    #[test]
    fn card_notes_read_the_text_of_common_notes_and_the_phone_and_length_of_calls() {
        let v = json!({"_embedded": {"notes": [
            {"id": 3, "note_type": "call_in", "created_by": 7, "created_at": 30,
             "params": {"uniq": "u", "duration": 65, "source": "sip", "phone": "+79161234567"}},
            {"id": 2, "note_type": "service_message", "created_at": 20, "params": {"service": "bot", "text": "Form sent"}},
            {"id": 1, "note_type": "common", "created_by": 8, "created_at": 10, "params": {"text": "Wants blue"}},
            {"note_type": "common", "params": {"text": "no id"}}
        ]}});
        let notes: Vec<(i64, String, String, i64)> =
            card_notes(v).expect("notes").into_iter().map(|n| (n.id, n.note_type, n.text, n.created_by)).collect();
        assert_eq!(
            notes,
            [
                (3, "call_in".into(), "+79161234567, 1:05".into(), 7),
                (2, "service_message".into(), "Form sent".into(), 0),
                (1, "common".into(), "Wants blue".into(), 8),
            ]
        );
    }
}
