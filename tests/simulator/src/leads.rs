//! Leads: `GET /api/v4/leads` (`query`, `with=contacts`, `filter[id]`, `filter[created_at]`,
//! `filter[updated_at]`, `order[created_at|updated_at|id]`, paging) and `GET /api/v4/leads/{id}`
//! (docs/amocrm-api.md §8.2, §17.2), and `POST /api/v4/leads/complex`
//! (docs/amocrm-api.md §8.4): ≤ 50 leads, each with at most one contact and one company, the
//! plain-array answer with `request_id` and `merged`, duplicate control, and 400 problem+json
//! `validation-errors` tied to each item's `request_id` (docs/amocrm-api.md §7.4).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::contacts::{embedded_contact, ContactRef};
use crate::hal::{entity_ref, hal, hal_page, in_range, no_content, sort_by_order, RawParams};
use crate::oauth::{api_gate, token_user};
use crate::problem::{
    bad_request, check_created_at, check_name, check_price, check_user, parse_array, validation_failed, ItemErrors,
};
use crate::search::digits;
use crate::state::{now, Crm, Inner, Shared};

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
    /// Set on create, moved when its links change (docs/amocrm-api.md §17.2).
    #[serde(default)]
    pub updated_at: i64,
    pub tags: Vec<String>,
    pub contact_ids: Vec<i64>,
    /// As amoCRM returns them: `[{field_id, field_name, field_code, field_type, values}]`.
    #[serde(default)]
    pub custom_fields_values: Vec<Value>,
    /// The lead's company (`_embedded.companies` of the lead).
    #[serde(default)]
    pub company_id: Option<i64>,
}

impl Crm {
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
                updated_at: t + i as i64,
                tags: Vec::new(),
                contact_ids: Vec::new(),
                custom_fields_values: Vec::new(),
                company_id: None,
            });
        }
    }
}

impl Crm {
    /// Adds `n` leads newer than every other (created now, or a second after the newest), as a
    /// colleague adding leads meanwhile (`leads_added_per_page`).
    pub fn add_newest_leads(&mut self, n: usize) {
        let main = self.main_pipeline().clone();
        let status_id = main.statuses.iter().find(|s| s.kind == 0 && s.id != 142 && s.id != 143).map_or(0, |s| s.id);
        for _ in 0..n {
            let newest = self.leads.iter().map(|l| l.created_at).max().unwrap_or(0);
            let (id, at) = (self.id(), now().max(newest + 1));
            self.leads.push(SimLead {
                id,
                name: format!("Added meanwhile {id}"),
                price: 0,
                pipeline_id: main.id,
                status_id,
                responsible_user_id: self.users[0].id,
                created_by: self.users[0].id,
                created_at: at,
                updated_at: at,
                tags: Vec::new(),
                contact_ids: Vec::new(),
                custom_fields_values: Vec::new(),
                company_id: None,
            });
        }
    }
}

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
        "created_at": l.created_at, "updated_at": l.updated_at, "closed_at": null, "closest_task_at": null,
        "is_deleted": false,
        "custom_fields_values": if l.custom_fields_values.is_empty() { Value::Null } else { Value::Array(l.custom_fields_values.clone()) }, "score": null, "account_id": account_id, "labor_cost": null,
        "_links": {"self": {"href": format!("https://{host}/api/v4/leads/{}", l.id)}},
        "_embedded": embedded,
    })
}

/// The names in a lead's `_embedded.tags` (`[{name}]`).
pub(crate) fn tag_names(lead: &Value) -> Vec<String> {
    lead.pointer("/_embedded/tags")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|t| t.get("name").and_then(Value::as_str).map(str::to_string)).collect())
        .unwrap_or_default()
}

// `q` arrives trimmed and lower-cased (once per request, by the list).
fn lead_matches(l: &SimLead, q: &str) -> bool {
    q.is_empty()
        || l.name.to_lowercase().contains(q)
        || l.price.to_string() == q
        || l.tags.iter().any(|t| t.to_lowercase().contains(q))
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

pub(crate) async fn list_leads(State(s): State<Shared>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
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
    let mut found: Vec<&SimLead> = inner
        .crm
        .leads
        .iter()
        .filter(|l| {
            ids.as_ref().is_none_or(|v| v.contains(&l.id))
                && q.created_in_range(l.created_at)
                && in_range(updated, l.updated_at)
                && lead_matches(l, &text)
        })
        .collect();
    sort_by_order(&mut found, p.order(&["created_at", "updated_at", "id"]), |l, field| {
        (
            match field {
                "updated_at" => l.updated_at,
                "created_at" => l.created_at,
                _ => l.id,
            },
            l.id,
        )
    });
    let host = inner.cfg.account_host();
    let with_contacts = q.with("contacts");
    let account_id = inner.cfg.account_id;
    let page =
        hal_page(&host, "/api/v4/leads", "leads", &found, &q, |l| lead_json(&host, account_id, l, with_contacts));
    // A test's hook: leads added by someone else before the next page is asked for.
    let added = inner.crm.leads_added_per_page;
    inner.crm.add_newest_leads(added);
    page
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
        let mut e = ItemErrors::new(item, i);
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
        let tags = tag_names(item);
        let contact = embedded_contact(crm, item, &mut e);
        let company = crate::companies::embedded_company(crm, item, &mut e, responsible);
        let zone = inner.crm.timezone;
        let custom_fields_values = crate::fields::check_values(
            &crm.lead_fields,
            item.get("custom_fields_values"),
            "",
            zone,
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
            updated_at: created_at.max(now()),
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
        CompanyRef::Existing(id) => {
            // A new lead linked to it is a change of the company (docs/amocrm-api.md §17.2).
            inner.crm.touch_company(id);
            Some(id)
        }
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
        ContactRef::Existing(id) => {
            inner.crm.touch_contact(id);
            Some(id)
        }
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
