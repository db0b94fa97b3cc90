//! Companies, as amo-docs `crm_platform/companies-api.md` describes them (docs/amocrm-api.md §8.6,
//! §17.2): `GET /api/v4/companies` (`query`, `with=leads,contacts`, `filter[id]`,
//! `filter[updated_at]`, `order[id|updated_at]`, `page`, `limit` ≤ 250, 204 when nothing
//! matches), `GET /api/v4/companies/{id}` (204 when there is none), the batch add
//! `POST /api/v4/companies`, the `_embedded.companies` of a complex or unsorted add, and deleting
//! one (a test's control).

use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::hal::{entity_ref, hal, hal_page, in_range, no_content, sort_by_order, ListQuery, RawParams};
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
    /// Set on create, moved on every change (a link, a contact of it deleted…), never backwards
    /// (docs/amocrm-api.md §17.2).
    #[serde(default)]
    pub updated_at: i64,
    /// As amoCRM returns them: `[{field_id, field_name, field_code, field_type, values}]`
    /// (phones and e-mails included, as multitext values `{value, enum_id, enum_code}`).
    #[serde(default)]
    pub custom_fields_values: Vec<Value>,
}

impl Crm {
    /// Adds a company directly (tests seed existing companies this way; no custom fields).
    pub(crate) fn seed_company(&mut self, name: &str) -> i64 {
        self.seed_company_at(name, now())
    }

    pub(crate) fn seed_company_at(&mut self, name: &str, t: i64) -> i64 {
        let id = self.id();
        let admin = self.users[0].id;
        self.companies.push(SimCompany {
            id,
            name: name.to_string(),
            responsible_user_id: admin,
            created_by: admin,
            created_at: t,
            updated_at: t,
            custom_fields_values: Vec::new(),
        });
        id
    }

    /// Deletes company `id`: its contacts and leads lose it (and change). Whether it existed.
    pub(crate) fn delete_company(&mut self, id: i64) -> bool {
        let before = self.companies.len();
        self.companies.retain(|c| c.id != id);
        if self.companies.len() == before {
            return false;
        }
        for c in self.contacts.iter_mut().filter(|c| c.company_id == Some(id)) {
            c.company_id = None;
            c.updated_at = Crm::bump(c.updated_at);
        }
        for l in self.leads.iter_mut().filter(|l| l.company_id == Some(id)) {
            l.company_id = None;
            l.updated_at = Crm::bump(l.updated_at);
        }
        for u in self.unsorted.iter_mut().filter(|u| u.company_id == Some(id)) {
            u.company_id = None;
        }
        true
    }
}

/// A company's phones: the values of its `PHONE` field.
pub(crate) fn company_phones(c: &SimCompany) -> impl Iterator<Item = &str> {
    c.custom_fields_values
        .iter()
        .filter(|f| f["field_code"] == "PHONE")
        .flat_map(|f| f["values"].as_array().into_iter().flatten())
        .filter_map(|v| v["value"].as_str())
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
        crm.timezone,
        &mut |code, path, detail| e.push(code, path, detail),
    );
    let created_at = check_created_at(c, prefix, e);
    SimCompany {
        id: 0,
        name,
        responsible_user_id: check_user(&crm.users, c, prefix, e, responsible),
        created_by: 0,
        created_at,
        updated_at: created_at.max(now()),
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
        "created_by": c.created_by, "updated_by": c.created_by, "created_at": c.created_at, "updated_at": c.updated_at,
        "closest_task_at": null, "is_deleted": false,
        "custom_fields_values": if c.custom_fields_values.is_empty() { Value::Null } else { Value::Array(c.custom_fields_values.clone()) },
        "account_id": account_id,
        "_links": {"self": {"href": format!("https://{host}/api/v4/companies/{}", c.id)}},
        "_embedded": embedded,
    })
}

/// `query` searches the filled fields (amo-docs `companies-api.md`): the name and every custom
/// value as text, a phone-like query by the last seven digits, as contacts do (§8.5, §11.8).
// `q` arrives trimmed and lower-cased (once per request, by the list).
fn company_matches(c: &SimCompany, q: &str) -> bool {
    if q.is_empty() {
        return true;
    }
    if let Some(tail) = phone_tail(q) {
        let phones = c.custom_fields_values.iter().filter(|f| f["field_code"] == "PHONE");
        return value_texts(&phones.cloned().collect::<Vec<_>>()).any(|p| digits(&p).contains(&tail));
    }
    c.name.to_lowercase().contains(q) || value_texts(&c.custom_fields_values).any(|t| t.to_lowercase().contains(q))
}

pub(crate) async fn list_companies(State(s): State<Shared>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    let p = RawParams::parse(raw.as_deref());
    let (q, updated) = match p.entity_list(inner.crm.updated_at_filter) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let ids = p.ints("filter[id]");
    // Normalised once here, not once per entity: a 50 000-contact base is filtered per page.
    let text = q.query.as_deref().unwrap_or("").trim().to_lowercase();
    let mut found: Vec<&SimCompany> = inner
        .crm
        .companies
        .iter()
        .filter(|c| {
            ids.as_ref().is_none_or(|v| v.contains(&c.id))
                && q.created_in_range(c.created_at)
                && in_range(updated, c.updated_at)
                && company_matches(c, &text)
        })
        .collect();
    sort_by_order(&mut found, p.order(&["updated_at", "created_at", "id"]), |c, field| {
        (
            match field {
                "updated_at" => c.updated_at,
                "created_at" => c.created_at,
                _ => c.id,
            },
            c.id,
        )
    });
    let host = inner.cfg.account_host();
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
