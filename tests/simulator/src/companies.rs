//! Companies, as amo-docs `crm_platform/companies-api.md` describes them (docs/amocrm-api.md §8.6):
//! `GET /api/v4/companies` (`query`, `with=leads,contacts`, `page`, `limit` ≤ 250, 204 when
//! nothing matches), `GET /api/v4/companies/{id}` (204 when there is none), the batch add
//! `POST /api/v4/companies`, and the `_embedded.companies` of a complex or unsorted add.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::hal::{entity_ref, hal, hal_page, no_content, ListQuery};
use crate::oauth::{api_gate, token_user};
use crate::problem::{check_created_at, check_name, check_user, parse_array, validation_failed, ItemErrors};
use crate::search::{digits, phone_tail, value_texts};
use crate::state::{now, Crm, Shared};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SimCompany {
    pub id: i64,
    pub name: String,
    pub responsible_user_id: i64,
    /// The user whose token created it.
    pub created_by: i64,
    pub created_at: i64,
    /// As amoCRM returns them: `[{field_id, field_name, field_code, field_type, values}]`
    /// (phones and e-mails included, as multitext values `{value, enum_id, enum_code}`).
    #[serde(default)]
    pub custom_fields_values: Vec<Value>,
}

impl Crm {
    /// Adds a company directly (tests seed existing companies this way; no custom fields).
    pub(crate) fn seed_company(&mut self, name: &str) -> i64 {
        let id = self.id();
        let admin = self.users[0].id;
        self.companies.push(SimCompany {
            id,
            name: name.to_string(),
            responsible_user_id: admin,
            created_by: admin,
            created_at: now(),
            custom_fields_values: Vec::new(),
        });
        id
    }
}

/// A company model from a request (amo-docs `companies-api.md`, "Добавление компаний": no field
/// is required), checked as amoCRM checks it; `prefix` is where it sits in the item
/// (`""`, `_embedded.companies.0.`).
pub(crate) fn parse_company(crm: &Crm, c: &Value, prefix: &str, e: &mut ItemErrors, responsible: i64) -> SimCompany {
    let name = check_name(c, "name", prefix, e);
    let custom_fields_values = crate::fields::check_values(
        &crm.company_fields,
        c.get("custom_fields_values"),
        prefix,
        crm.timezone.2,
        &mut |code, path, detail| e.push(code, path, detail),
    );
    SimCompany {
        id: 0,
        name,
        responsible_user_id: check_user(&crm.users, c, prefix, e, responsible),
        created_by: 0,
        created_at: check_created_at(c, prefix, e),
        custom_fields_values,
    }
}

/// The company of a complex or unsorted add: `{id}` of an existing one, or a new one.
pub(crate) enum CompanyRef {
    None,
    Existing(i64),
    New(Box<SimCompany>),
}

/// `_embedded.companies` of a complex or unsorted add: at most one element (amo-docs
/// `leads-api.md`: "не более 1 связанного контакта и 1 связанной компании").
pub(crate) fn embedded_company(crm: &Crm, item: &Value, e: &mut ItemErrors, responsible: i64) -> CompanyRef {
    let list = item.pointer("/_embedded/companies").and_then(Value::as_array).cloned().unwrap_or_default();
    if list.len() > 1 {
        e.push("Count", "_embedded.companies", "This collection should contain 1 element or less.");
    }
    match list.first() {
        None => CompanyRef::None,
        Some(c) => match c.get("id").filter(|v| !v.is_null()) {
            None => CompanyRef::New(Box::new(parse_company(crm, c, "_embedded.companies.0.", e, responsible))),
            Some(id) => match id.as_i64() {
                Some(id) if crm.companies.iter().any(|x| x.id == id) => CompanyRef::Existing(id),
                _ => {
                    e.push("NotFound", "_embedded.companies.0.id", "Company not found.");
                    CompanyRef::None
                }
            },
        },
    }
}

fn company_json(host: &str, account_id: i64, crm: &Crm, c: &SimCompany, q: &ListQuery) -> Value {
    let mut embedded = json!({"tags": []});
    if q.with("leads") {
        embedded["leads"] =
            crm.leads.iter().filter(|l| l.company_id == Some(c.id)).map(|l| entity_ref(host, "leads", l.id)).collect();
    }
    if q.with("contacts") {
        embedded["contacts"] = crm
            .contacts
            .iter()
            .filter(|x| x.company_id == Some(c.id))
            .map(|x| entity_ref(host, "contacts", x.id))
            .collect();
    }
    json!({
        "id": c.id, "name": c.name, "responsible_user_id": c.responsible_user_id, "group_id": 0,
        "created_by": c.created_by, "updated_by": c.created_by, "created_at": c.created_at, "updated_at": c.created_at,
        "closest_task_at": null, "is_deleted": false,
        "custom_fields_values": if c.custom_fields_values.is_empty() { Value::Null } else { Value::Array(c.custom_fields_values.clone()) },
        "account_id": account_id,
        "_links": {"self": {"href": format!("https://{host}/api/v4/companies/{}", c.id)}},
        "_embedded": embedded,
    })
}

/// `query` searches the filled fields (amo-docs `companies-api.md`): the name and every custom
/// value as text, a phone-like query by the last seven digits, as contacts do (§8.5, §11.8).
fn company_matches(c: &SimCompany, q: &str) -> bool {
    let q = q.trim().to_lowercase();
    if q.is_empty() {
        return true;
    }
    if let Some(tail) = phone_tail(&q) {
        let phones = c.custom_fields_values.iter().filter(|f| f["field_code"] == "PHONE");
        return value_texts(&phones.cloned().collect::<Vec<_>>()).any(|p| digits(&p).contains(&tail));
    }
    c.name.to_lowercase().contains(&q) || value_texts(&c.custom_fields_values).any(|t| t.to_lowercase().contains(&q))
}

pub(crate) async fn list_companies(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    let host = inner.cfg.account_host();
    let mut found: Vec<SimCompany> = inner
        .crm
        .companies
        .iter()
        .filter(|c| company_matches(c, q.query.as_deref().unwrap_or("")) && q.created_in_range(c.created_at))
        .cloned()
        .collect();
    if q.order_id.as_deref() == Some("desc") {
        found.reverse();
    }
    let account_id = inner.cfg.account_id;
    hal_page(&host, "/api/v4/companies", "companies", &found, &q, |c| {
        company_json(&host, account_id, &inner.crm, c, &q)
    })
}

/// `GET /api/v4/companies/{id}`: 204 when there is no such company (amo-docs `companies-api.md`).
pub(crate) async fn get_company(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    let host = inner.cfg.account_host();
    match inner.crm.companies.iter().find(|c| c.id == id) {
        Some(c) => hal(company_json(&host, inner.cfg.account_id, &inner.crm, c, &q)),
        None => no_content(),
    }
}

/// `POST /api/v4/companies`: a batch; answers HAL `_embedded.companies[{id, request_id, _links}]`
/// or 400 `validation-errors` for the whole batch.
pub(crate) async fn add_companies(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
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
        let c = parse_company(&inner.crm, item, "", &mut e, me);
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
    let mut out = Vec::new();
    for (rid, mut c) in parsed {
        c.id = inner.crm.id();
        c.created_by = me;
        let mut r = entity_ref(&host, "companies", c.id);
        r["request_id"] = json!(rid);
        out.push(r);
        inner.crm.companies.push(c);
        inner.stats.companies_created += 1;
    }
    hal(
        json!({"_links": {"self": {"href": format!("https://{host}/api/v4/companies")}}, "_embedded": {"companies": out}}),
    )
}
