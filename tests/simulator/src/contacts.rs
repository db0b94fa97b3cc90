//! Contacts (docs/amocrm-api.md §8.5): `GET /api/v4/contacts` — the full-text, fuzzy `query` (a
//! phone by its last seven digits, §11.8), `with=leads`, `filter[created_at]`, paging — and the
//! batch add `POST /api/v4/contacts`; the contact model of a request, with phones and e-mails as
//! the account's multitext fields, which a complex or unsorted add reads too.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::hal::{entity_ref, hal, hal_page, ListQuery};
use crate::oauth::{api_gate, token_user};
use crate::problem::{check_created_at, check_name, check_user, parse_array, validation_failed, ItemErrors};
use crate::search::{digits, phone_tail, value_texts};
use crate::state::{now, Crm, Shared};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SimContact {
    pub id: i64,
    pub name: String,
    pub first_name: String,
    pub last_name: String,
    pub responsible_user_id: i64,
    /// The user whose token created it.
    pub created_by: i64,
    pub created_at: i64,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    /// The `enum_code` of each phone (WORK, WORKDD, MOB, FAX, HOME, OTHER), parallel to `phones`.
    #[serde(default)]
    pub phone_types: Vec<String>,
    /// The `enum_code` of each e-mail (WORK, PRIV, OTHER), parallel to `emails`.
    #[serde(default)]
    pub email_types: Vec<String>,
    /// The other custom fields, as amoCRM returns them (`[{field_id, field_name, field_code,
    /// field_type, values}]`); phones and e-mails are in `phones` / `emails`.
    #[serde(default)]
    pub custom_fields_values: Vec<Value>,
    /// The company the contact belongs to (a new contact and a new company of one complex or
    /// unsorted add are linked to each other).
    #[serde(default)]
    pub company_id: Option<i64>,
    /// Created with an incoming (unsorted) lead not accepted yet (`is_unsorted` in its JSON).
    #[serde(default)]
    pub is_unsorted: bool,
}

impl Crm {
    /// Adds a contact directly (tests seed existing customers this way).
    pub fn seed_contact(&mut self, first: &str, last: &str, phone: Option<&str>, email: Option<&str>) -> i64 {
        let id = self.id();
        self.contacts.push(SimContact {
            id,
            name: format!("{first} {last}").trim().to_string(),
            first_name: first.into(),
            last_name: last.into(),
            responsible_user_id: self.users[0].id,
            created_by: self.users[0].id,
            created_at: now(),
            phones: phone.map(|p| vec![p.to_string()]).unwrap_or_default(),
            emails: email.map(|e| vec![e.to_string()]).unwrap_or_default(),
            phone_types: phone.map(|_| vec!["WORK".to_string()]).unwrap_or_default(),
            email_types: email.map(|_| vec!["WORK".to_string()]).unwrap_or_default(),
            custom_fields_values: Vec::new(),
            company_id: None,
            is_unsorted: false,
        });
        id
    }
}

/// A contact model from a request (docs/amocrm-api.md §8.5), or the errors that stop it. Its
/// custom fields are checked against the account's contact fields; phones and e-mails (by
/// `field_code` or `field_id`) go to `phones` / `emails` with their types, the rest to
/// `custom_fields_values`.
pub(crate) fn parse_contact(crm: &Crm, c: &Value, prefix: &str, e: &mut ItemErrors) -> SimContact {
    let first = check_name(c, "first_name", prefix, e);
    let last = check_name(c, "last_name", prefix, e);
    let mut name = check_name(c, "name", prefix, e);
    if name.is_empty() {
        name = format!("{first} {last}").trim().to_string();
    }
    let values = crate::fields::check_values(
        &crm.contact_fields,
        c.get("custom_fields_values"),
        prefix,
        crm.timezone.2,
        &mut |code, path, detail| e.push(code, path, detail),
    );
    let (mut phones, mut phone_types, mut emails, mut email_types, mut others) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for v in values {
        let (texts, types) = match v["field_code"].as_str() {
            Some("PHONE") => (&mut phones, &mut phone_types),
            Some("EMAIL") => (&mut emails, &mut email_types),
            _ => {
                others.push(v);
                continue;
            }
        };
        for x in v["values"].as_array().into_iter().flatten() {
            texts.push(x["value"].as_str().unwrap_or_default().to_string());
            types.push(x["enum_code"].as_str().unwrap_or("WORK").to_string());
        }
    }
    let responsible = check_user(&crm.users, c, prefix, e, crm.users[0].id);
    let created_at = check_created_at(c, prefix, e);
    SimContact {
        id: 0,
        name,
        first_name: first,
        last_name: last,
        responsible_user_id: responsible,
        created_by: 0,
        created_at,
        phones,
        emails,
        phone_types,
        email_types,
        custom_fields_values: others,
        company_id: None,
        is_unsorted: false,
    }
}

/// A contact of a complex or unsorted add (`_embedded.contacts`, at most one): `{id}` of an
/// existing contact, or a new one.
pub(crate) enum ContactRef {
    None,
    Existing(i64),
    New(Box<SimContact>),
}

pub(crate) fn embedded_contact(crm: &Crm, item: &Value, e: &mut ItemErrors) -> ContactRef {
    let contacts = item.pointer("/_embedded/contacts").and_then(Value::as_array).cloned().unwrap_or_default();
    if contacts.len() > 1 {
        e.push("Count", "_embedded.contacts", "This collection should contain 1 element or less.");
    }
    match contacts.first() {
        None => ContactRef::None,
        Some(c) => match c.get("id").and_then(Value::as_i64) {
            Some(id) if crm.contacts.iter().any(|x| x.id == id) => ContactRef::Existing(id),
            Some(_) => {
                e.push("NotFound", "_embedded.contacts.0.id", "Contact not found.");
                ContactRef::None
            }
            None => ContactRef::New(Box::new(parse_contact(crm, c, "_embedded.contacts.0.", e))),
        },
    }
}

/// A phone or e-mail field as amoCRM returns it, named and numbered as the account's field with
/// that code (`fields`) has it.
pub(crate) fn multitext_json(
    fields: &[crate::fields::SimField],
    code: &str,
    texts: &[String],
    types: &[String],
) -> Option<Value> {
    if texts.is_empty() {
        return None;
    }
    let f = fields.iter().find(|f| f.code.as_deref() == Some(code));
    let values: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let kind = types.get(i).map(String::as_str).unwrap_or("WORK");
            let enum_id = f.and_then(|f| f.enums.iter().find(|e| e.2.as_deref() == Some(kind))).map(|e| e.0);
            json!({"value": t, "enum_id": enum_id, "enum_code": kind})
        })
        .collect();
    Some(json!({"field_id": f.map(|f| f.id), "field_name": f.map_or(code, |f| f.name.as_str()), "field_code": code,
        "field_type": "multitext", "values": values}))
}

/// A contact as amoCRM lists it; with `with_leads` (`with=leads`), the ids of its leads embedded.
fn contact_json(host: &str, account_id: i64, crm: &Crm, c: &SimContact, with_leads: bool) -> Value {
    let mut fields: Vec<Value> = [
        multitext_json(&crm.contact_fields, "PHONE", &c.phones, &c.phone_types),
        multitext_json(&crm.contact_fields, "EMAIL", &c.emails, &c.email_types),
    ]
    .into_iter()
    .flatten()
    .collect();
    fields.extend(c.custom_fields_values.iter().cloned());
    let mut embedded = json!({"tags": [], "companies": c.company_id.map(|id| vec![entity_ref(host, "companies", id)]).unwrap_or_default()});
    if with_leads {
        embedded["leads"] = crm
            .leads
            .iter()
            .filter(|l| l.contact_ids.contains(&c.id))
            .map(|l| entity_ref(host, "leads", l.id))
            .collect();
    }
    json!({
        "id": c.id, "name": c.name, "first_name": c.first_name, "last_name": c.last_name,
        "responsible_user_id": c.responsible_user_id, "group_id": 0, "created_by": c.created_by,
        "updated_by": c.responsible_user_id, "created_at": c.created_at, "updated_at": c.created_at,
        "closest_task_at": null, "is_deleted": false, "is_unsorted": c.is_unsorted,
        "custom_fields_values": if fields.is_empty() { Value::Null } else { Value::Array(fields) },
        "account_id": account_id,
        "_links": {"self": {"href": format!("https://{host}/api/v4/contacts/{}", c.id)}},
        "_embedded": embedded,
    })
}

/// amoCRM's `query` is full-text and fuzzy (docs/amocrm-api.md §8.5, §11.8): text matches anywhere in the name or
/// emails, and a number matches any phone that ends in the same last seven digits — so
/// `+7 912 123-45-67` also finds `+1 912 123 4567`, and the client must re-check.
fn contact_matches(c: &SimContact, q: &str) -> bool {
    let q = q.trim().to_lowercase();
    if q.is_empty() {
        return true;
    }
    if let Some(tail) = phone_tail(&q) {
        return c.phones.iter().any(|p| digits(p).contains(&tail));
    }
    c.name.to_lowercase().contains(&q)
        || c.emails.iter().any(|m| m.to_lowercase().contains(&q))
        || value_texts(&c.custom_fields_values).any(|t| t.to_lowercase().contains(&q))
}

pub(crate) async fn list_contacts(State(s): State<Shared>, headers: HeaderMap, Query(q): Query<ListQuery>) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    let host = inner.cfg.account_host();
    let with_leads = q.with.as_deref().is_some_and(|w| w.split(',').any(|x| x == "leads"));
    let mut found: Vec<SimContact> = inner
        .crm
        .contacts
        .iter()
        .filter(|c| contact_matches(c, q.query.as_deref().unwrap_or("")) && q.created_in_range(c.created_at))
        .cloned()
        .collect();
    if q.order_id.as_deref() == Some("desc") || q.order_created_at.as_deref() == Some("desc") {
        found.reverse();
    }
    hal_page(&host, "/api/v4/contacts", "contacts", &found, &q, |c| {
        contact_json(&host, inner.cfg.account_id, &inner.crm, c, with_leads)
    })
}

pub(crate) async fn add_contacts(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    let items = match parse_array(&body) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let mut parsed = Vec::new();
    let mut failed = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let mut e = ItemErrors::new(item, i);
        let c = parse_contact(&inner.crm, item, "", &mut e);
        if e.errors.is_empty() {
            parsed.push((e.request_id, c));
        } else {
            failed.push(e);
        }
    }
    if !failed.is_empty() {
        return validation_failed(failed);
    }
    let host = inner.cfg.account_host();
    let me = token_user(inner, &headers);
    let mut out = Vec::new();
    for (rid, mut c) in parsed {
        c.id = inner.crm.id();
        c.created_by = me;
        out.push(json!({"id": c.id, "request_id": rid, "is_deleted": false, "is_unsorted": false,
            "_links": {"self": {"href": format!("https://{host}/api/v4/contacts/{}", c.id)}}}));
        inner.crm.contacts.push(c);
        inner.stats.contacts_created += 1;
    }
    hal(
        json!({"_links": {"self": {"href": format!("https://{host}/api/v4/contacts")}}, "_embedded": {"contacts": out}}),
    )
}
