//! The CRM half of the simulator: pipelines, users, contacts, leads and notes, as
//! docs/amocrm-api.md §7–8 describes them — HAL collections, 204 on an empty list, the plain-array
//! answer of `/leads/complex` with `request_id` and `merged`, and 400 problem+json
//! `validation-errors` tied to each item's `request_id` (docs/amocrm-api.md §7.4).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::hal::{entity_ref, hal, hal_page, no_content, ListQuery};
use crate::oauth::{api_gate, token_user};
use crate::problem::{
    bad_request, check_created_at, check_name, check_price, check_user, parse_array, problem_response, request_id,
    validation_failed, ItemErrors,
};
use crate::search::{digits, phone_tail, value_texts};
use crate::state::{now, Inner, Shared};

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

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SimUser {
    pub id: i64,
    pub name: String,
    pub email: String,
}

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

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SimLead {
    pub id: i64,
    pub name: String,
    pub price: i64,
    pub pipeline_id: i64,
    pub status_id: i64,
    pub responsible_user_id: i64,
    /// The user whose token created it.
    pub created_by: i64,
    pub created_at: i64,
    pub tags: Vec<String>,
    pub contact_ids: Vec<i64>,
    /// As amoCRM returns them: `[{field_id, field_name, field_code, field_type, values}]`.
    #[serde(default)]
    pub custom_fields_values: Vec<Value>,
    /// The lead's company (`_embedded.companies` of the lead).
    #[serde(default)]
    pub company_id: Option<i64>,
}

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

pub(crate) struct Crm {
    pub pipelines: Vec<SimPipeline>,
    pub users: Vec<SimUser>,
    /// Whether the token's user is an admin: `/api/v4/users` is admin-only (docs/amocrm-api.md §8.10).
    pub users_admin: bool,
    /// amoCRM's duplicate control for `/leads/complex` (docs/amocrm-api.md §8.4): a lead whose new contact has the
    /// phone of an existing contact with an open lead is merged into that lead.
    pub duplicate_control: bool,
    pub contacts: Vec<SimContact>,
    pub companies: Vec<crate::companies::SimCompany>,
    pub leads: Vec<SimLead>,
    pub notes: Vec<SimNote>,
    pub tasks: Vec<crate::tasks::SimTask>,
    pub unsorted: Vec<crate::unsorted::SimUnsorted>,
    /// The account's "Неразобранное" switch (`is_unsorted_on` of `/api/v4/account`).
    pub unsorted_on: bool,
    /// The account's task types, as `GET /api/v4/account?with=task_types` lists them: (id, name, code).
    pub task_types: Vec<(i64, String, Option<String>)>,
    pub lead_fields: Vec<crate::fields::SimField>,
    pub contact_fields: Vec<crate::fields::SimField>,
    pub company_fields: Vec<crate::fields::SimField>,
    /// The account's time zone (`datetime_settings`): UTC+3, Europe/Moscow, as most amoCRM accounts.
    pub timezone: (&'static str, &'static str, i64),
    next_id: i64,
}

impl Crm {
    pub fn new(user_id: i64) -> Crm {
        let status = |id, name: &str, sort, pipeline_id, kind| SimStatus {
            id,
            name: name.into(),
            sort,
            pipeline_id,
            color: "#99ccff".into(),
            kind,
        };
        let pipelines = vec![
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
        ];
        let users = vec![
            SimUser { id: user_id, name: "Анна Смирнова".into(), email: "anna@example.com".into() },
            SimUser { id: user_id + 1, name: "Борис Петров".into(), email: "boris@example.com".into() },
            SimUser { id: user_id + 2, name: "Вера Иванова".into(), email: "vera@example.com".into() },
        ];
        Crm {
            pipelines,
            users,
            users_admin: true,
            duplicate_control: false,
            contacts: Vec::new(),
            companies: Vec::new(),
            leads: Vec::new(),
            notes: Vec::new(),
            tasks: Vec::new(),
            unsorted: Vec::new(),
            unsorted_on: true,
            task_types: vec![
                (1, "Связаться".into(), Some("FOLLOW_UP".into())),
                (2, "Встреча".into(), Some("MEETING".into())),
            ],
            lead_fields: crate::fields::lead_fields((3_383_152, 33_929_755)),
            contact_fields: crate::fields::contact_fields(),
            company_fields: crate::fields::company_fields(),
            timezone: ("Europe/Moscow", "+03:00", 3 * 3600),
            next_id: 20_000_000,
        }
    }

    pub(crate) fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    pub(crate) fn main_pipeline(&self) -> &SimPipeline {
        self.pipelines.iter().find(|p| p.is_main).unwrap_or(&self.pipelines[0])
    }

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

    /// The account's task types as `_embedded.task_types` of `GET /api/v4/account?with=task_types`.
    pub(crate) fn task_types_json(&self) -> Value {
        self.task_types
            .iter()
            .map(|(id, name, code)| json!({"id": id, "name": name, "color": null, "icon_id": null, "code": code}))
            .collect()
    }

    /// Adds `n` leads directly, created one second apart (tests of paging seed them this way).
    pub fn seed_leads(&mut self, n: usize, prefix: &str) {
        let main = self.main_pipeline().clone();
        let status_id = main.statuses.iter().find(|s| s.kind == 0 && s.id != 142 && s.id != 143).map_or(0, |s| s.id);
        let t = now() - n as i64;
        for i in 0..n {
            let id = self.id();
            self.leads.push(SimLead {
                id,
                name: format!("{prefix}{i}"),
                price: 0,
                pipeline_id: main.id,
                status_id,
                responsible_user_id: self.users[0].id,
                created_by: self.users[0].id,
                created_at: t + i as i64,
                tags: Vec::new(),
                contact_ids: Vec::new(),
                custom_fields_values: Vec::new(),
                company_id: None,
            });
        }
    }
}

// ---------------------------------------------------------------- the gate

// ---------------------------------------------------------------- reference data

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

pub(crate) async fn users(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    // Only admins may list users (docs/amocrm-api.md §8.10); the first user is the admin.
    if !inner.crm.users_admin || token_user(inner, &headers) != inner.cfg.user_id {
        return problem_response(
            StatusCode::FORBIDDEN,
            json!({"title": "Forbidden", "type": "https://httpstatus.es/403", "status": 403, "detail": "Access denied"}),
        );
    }
    let host = inner.cfg.account_host();
    let list: Vec<Value> = inner
        .crm
        .users
        .iter()
        .map(|u| {
            json!({"id": u.id, "name": u.name, "email": u.email, "lang": "ru",
            "rights": {"is_admin": u.id == inner.cfg.user_id, "is_free": false, "is_active": true},
            "_links": {"self": {"href": format!("https://{host}/api/v4/users/{}", u.id)}}})
        })
        .collect();
    hal(json!({
        "_total_items": list.len(), "_page": 1, "_page_count": 1,
        "_links": {"self": {"href": format!("https://{host}/api/v4/users?page=1&limit=250")}},
        "_embedded": {"users": list},
    }))
}

// ---------------------------------------------------------------- validation

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

/// Stores what a complex or unsorted add carried: the new contact and company (linked to each
/// other when both are new, amo-docs `crm_platform/leads-api.md`), and returns their ids.
pub(crate) fn store_parties(
    inner: &mut Inner,
    contact: ContactRef,
    company: crate::companies::CompanyRef,
    me: i64,
    unsorted: bool,
) -> (Option<i64>, Option<i64>) {
    use crate::companies::CompanyRef;
    let both_new = matches!((&contact, &company), (ContactRef::New(_), CompanyRef::New(_)));
    let company_id = match company {
        CompanyRef::None => None,
        CompanyRef::Existing(id) => Some(id),
        CompanyRef::New(c) => {
            let mut c = *c;
            c.id = inner.crm.id();
            c.created_by = me;
            let id = c.id;
            inner.crm.companies.push(c);
            inner.stats.companies_created += 1;
            Some(id)
        }
    };
    let contact_id = match contact {
        ContactRef::None => None,
        ContactRef::Existing(id) => Some(id),
        ContactRef::New(c) => {
            let mut c = *c;
            c.id = inner.crm.id();
            c.created_by = me;
            c.is_unsorted = unsorted;
            if both_new {
                c.company_id = company_id;
            }
            let id = c.id;
            inner.crm.contacts.push(c);
            inner.stats.contacts_created += 1;
            Some(id)
        }
    };
    (contact_id, company_id)
}

// ---------------------------------------------------------------- contacts

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
        let mut e = ItemErrors { request_id: request_id(item, i), errors: Vec::new() };
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

// ---------------------------------------------------------------- leads

pub(crate) fn lead_json(host: &str, account_id: i64, l: &SimLead, with_contacts: bool) -> Value {
    let mut embedded = json!({
        "tags": l.tags.iter().enumerate().map(|(i, t)| json!({"id": 500 + i, "name": t, "color": null})).collect::<Vec<_>>(),
        "companies": l.company_id.map(|id| vec![entity_ref(host, "companies", id)]).unwrap_or_default(),
    });
    if with_contacts {
        embedded["contacts"] = l
            .contact_ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                json!({"id": id, "is_main": i == 0,
                "_links": {"self": {"href": format!("https://{host}/api/v4/contacts/{id}")}}})
            })
            .collect();
    }
    json!({
        "id": l.id, "name": l.name, "price": l.price, "responsible_user_id": l.responsible_user_id, "group_id": 0,
        "status_id": l.status_id, "pipeline_id": l.pipeline_id, "loss_reason_id": null,
        "created_by": l.created_by, "updated_by": l.created_by,
        "created_at": l.created_at, "updated_at": l.created_at, "closed_at": null, "closest_task_at": null,
        "is_deleted": false,
        "custom_fields_values": if l.custom_fields_values.is_empty() { Value::Null } else { Value::Array(l.custom_fields_values.clone()) }, "score": null, "account_id": account_id, "labor_cost": null,
        "_links": {"self": {"href": format!("https://{host}/api/v4/leads/{}", l.id)}},
        "_embedded": embedded,
    })
}

fn lead_matches(l: &SimLead, q: &str) -> bool {
    let q = q.trim().to_lowercase();
    q.is_empty()
        || l.name.to_lowercase().contains(&q)
        || l.price.to_string() == q
        || l.tags.iter().any(|t| t.to_lowercase().contains(&q))
}

/// `GET /api/v4/leads/{id}`: one lead with its contacts; 204 when there is none (docs/amocrm-api.md §8.2).
pub(crate) async fn get_lead(State(s): State<Shared>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    let host = inner.cfg.account_host();
    match inner.crm.leads.iter().find(|l| l.id == id) {
        Some(l) => hal(lead_json(&host, inner.cfg.account_id, l, true)),
        None => no_content(),
    }
}

pub(crate) async fn list_leads(State(s): State<Shared>, headers: HeaderMap, Query(q): Query<ListQuery>) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    let host = inner.cfg.account_host();
    let mut found: Vec<SimLead> = inner
        .crm
        .leads
        .iter()
        .filter(|l| lead_matches(l, q.query.as_deref().unwrap_or("")) && q.created_in_range(l.created_at))
        .cloned()
        .collect();
    match q.order_created_at.as_deref() {
        Some("desc") => found.sort_by_key(|l| (std::cmp::Reverse(l.created_at), std::cmp::Reverse(l.id))),
        Some("asc") => found.sort_by_key(|l| (l.created_at, l.id)),
        _ if q.order_id.as_deref() == Some("desc") => found.reverse(),
        _ => {}
    }
    let with_contacts = q.with.as_deref().is_some_and(|w| w.split(',').any(|x| x == "contacts"));
    let account_id = inner.cfg.account_id;
    hal_page(&host, "/api/v4/leads", "leads", &found, &q, |l| lead_json(&host, account_id, l, with_contacts))
}

/// `POST /api/v4/leads/complex` (docs/amocrm-api.md §8.4): ≤ 50 leads, each with at most one contact (new, or an
/// existing `{id}`); answers a plain array with `request_id` lists and `merged`.
pub(crate) async fn add_complex(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    inner.stats.complex_requests += 1;
    let items = match parse_array(&body) {
        Ok(i) => i,
        Err(r) => return r,
    };
    if items.len() > 50 {
        return bad_request("No more than 50 leads per request");
    }
    let mut parsed = Vec::new();
    let mut failed = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let crm = &inner.crm;
        let mut e = ItemErrors { request_id: request_id(item, i), errors: Vec::new() };
        let name = check_name(item, "name", "", &mut e);
        let price = check_price(item, "", &mut e);
        let main = crm.main_pipeline();
        let pipeline_id = item.get("pipeline_id").and_then(Value::as_i64).unwrap_or(main.id);
        let status_id = match crm.pipelines.iter().find(|p| p.id == pipeline_id) {
            None => {
                e.push("NotSupportedChoice", "pipeline_id", "The value you selected is not a valid choice.");
                0
            }
            Some(p) => {
                let first_open = p.statuses.iter().find(|st| st.kind == 0).map(|st| st.id).unwrap_or(0);
                match item.get("status_id").and_then(Value::as_i64) {
                    None => first_open,
                    Some(id) if p.statuses.iter().any(|st| st.id == id) => id,
                    Some(_) => {
                        e.push("NotSupportedChoice", "status_id", "The value you selected is not a valid choice.");
                        0
                    }
                }
            }
        };
        let responsible = check_user(&crm.users, item, "", &mut e, inner.cfg.user_id);
        let created_at = check_created_at(item, "", &mut e);
        let tags: Vec<String> = item
            .pointer("/_embedded/tags")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|t| t.get("name").and_then(Value::as_str).map(str::to_string)).collect())
            .unwrap_or_default();
        let contact = embedded_contact(crm, item, &mut e);
        let company = crate::companies::embedded_company(crm, item, &mut e, responsible);
        let offset = inner.crm.timezone.2;
        let custom_fields_values = crate::fields::check_values(
            &crm.lead_fields,
            item.get("custom_fields_values"),
            "",
            offset,
            &mut |code, path, detail| e.push(code, path, detail),
        );
        let lead = SimLead {
            custom_fields_values,
            id: 0,
            name,
            price,
            pipeline_id,
            status_id,
            responsible_user_id: responsible,
            created_by: 0,
            created_at,
            tags,
            contact_ids: Vec::new(),
            company_id: None,
        };
        if e.errors.is_empty() {
            parsed.push((e.request_id, lead, contact, company));
        } else {
            failed.push(e);
        }
    }
    if !failed.is_empty() {
        return validation_failed(failed);
    }
    let me = token_user(inner, &headers);
    let mut out = Vec::new();
    for (rid, mut lead, contact, company) in parsed {
        lead.created_by = me;
        if inner.crm.duplicate_control {
            if let ContactRef::New(c) = &contact {
                let wanted: Vec<String> = c.phones.iter().map(|p| digits(p)).filter(|d| !d.is_empty()).collect();
                let existing = inner.crm.contacts.iter().find(|x| x.phones.iter().any(|p| wanted.contains(&digits(p))));
                if let Some(x) = existing {
                    let xid = x.id;
                    if let Some(open) =
                        inner.crm.leads.iter().find(|l| l.contact_ids.contains(&xid) && l.status_id > 143)
                    {
                        out.push(json!({"id": open.id, "contact_id": xid, "company_id": open.company_id, "request_id": [rid], "merged": true}));
                        inner.stats.merged += 1;
                        continue;
                    }
                }
            }
        }
        let (contact_id, company_id) = store_parties(inner, contact, company, me, false);
        lead.id = inner.crm.id();
        lead.contact_ids = contact_id.into_iter().collect();
        lead.company_id = company_id;
        if inner.gate.faults.bot_renames {
            lead.name = format!("{} — бот", lead.name);
        }
        out.push(
            json!({"id": lead.id, "contact_id": contact_id, "company_id": company_id, "request_id": [rid], "merged": false}),
        );
        inner.crm.leads.push(lead);
        inner.stats.leads_created += 1;
    }
    let mut r = (StatusCode::OK, Value::Array(out).to_string()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

// ---------------------------------------------------------------- notes

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
        let mut e = ItemErrors { request_id: request_id(item, i), errors: Vec::new() };
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
        return problem_response(
            StatusCode::NOT_FOUND,
            json!({"title": "Not Found", "type": "https://httpstatus.es/404", "status": 404, "detail": "Entity not found"}),
        );
    }
    let host = inner.cfg.account_host();
    let notes: Vec<SimNote> = inner.crm.notes.iter().filter(|n| n.entity_id == id).cloned().collect();
    hal_page(&host, &format!("/api/v4/leads/{id}/notes"), "notes", &notes, &q, |n| note_json(&host, n, None))
}
