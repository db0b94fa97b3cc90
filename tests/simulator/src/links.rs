//! Entity links, as amo-docs `crm_platform/entity-links-api.md` describes them
//! (docs/amocrm-api.md §8.14): `GET /api/v4/{leads,contacts,companies}/{id}/links`,
//! `POST …/{id}/link` (200, HAL `_embedded.links` with `entity_id`/`entity_type`) and
//! `POST …/{id}/unlink` (204). The simulator keeps the links it models: a lead's contacts and
//! company, a contact's one company. Customers and catalog elements are valid types in amoCRM
//! but the simulator has none, so a link to one is refused as not found.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::hal::{hal, hal_page, ListQuery};
use crate::oauth::api_gate;
use crate::problem::{not_found, parse_array, validation_failed, ItemErrors};
use crate::state::{Crm, Shared};

/// The linkable types of each main entity (amo-docs, "Общая информация").
fn allowed(entity: &str) -> &'static [&'static str] {
    match entity {
        "leads" => &["contacts", "companies", "catalog_elements"],
        "contacts" => &["companies", "customers", "catalog_elements"],
        "companies" => &["contacts", "leads", "customers", "catalog_elements"],
        _ => &[],
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Link {
    to_id: i64,
    to_type: &'static str,
    metadata: Value,
}

/// What `entity` `id` is linked to, in amoCRM's order (contacts first, main contact first).
fn links_of(crm: &Crm, entity: &str, id: i64) -> Vec<Link> {
    let mut out = Vec::new();
    match entity {
        "leads" => {
            if let Some(l) = crm.leads.iter().find(|l| l.id == id) {
                for (i, c) in l.contact_ids.iter().enumerate() {
                    out.push(Link { to_id: *c, to_type: "contacts", metadata: json!({"main_contact": i == 0}) });
                }
                if let Some(c) = l.company_id {
                    out.push(Link { to_id: c, to_type: "companies", metadata: Value::Null });
                }
            }
        }
        "contacts" => {
            if let Some(c) = crm.contacts.iter().find(|c| c.id == id).and_then(|c| c.company_id) {
                out.push(Link { to_id: c, to_type: "companies", metadata: Value::Null });
            }
        }
        "companies" => {
            for c in crm.contacts.iter().filter(|c| c.company_id == Some(id)) {
                out.push(Link { to_id: c.id, to_type: "contacts", metadata: Value::Null });
            }
            for l in crm.leads.iter().filter(|l| l.company_id == Some(id)) {
                out.push(Link { to_id: l.id, to_type: "leads", metadata: Value::Null });
            }
        }
        _ => {}
    }
    out
}

/// Makes or removes one link, both ways (a contact in a company is also the company's contact);
/// whether anything changed.
fn set_link(crm: &mut Crm, entity: &str, id: i64, to_type: &str, to_id: i64, on: bool, main: bool) -> bool {
    let put = |slot: &mut Option<i64>, value: i64| {
        let before = *slot;
        if on {
            *slot = Some(value);
        } else if *slot == Some(value) {
            *slot = None;
        }
        before != *slot
    };
    match (entity, to_type) {
        ("contacts", "companies") | ("companies", "contacts") => {
            let (contact, company) = if entity == "contacts" { (id, to_id) } else { (to_id, id) };
            // A contact belongs to one company: a new link replaces the old one.
            crm.contacts.iter_mut().find(|c| c.id == contact).is_some_and(|c| put(&mut c.company_id, company))
        }
        ("leads", "companies") | ("companies", "leads") => {
            let (lead, company) = if entity == "leads" { (id, to_id) } else { (to_id, id) };
            crm.leads.iter_mut().find(|l| l.id == lead).is_some_and(|l| put(&mut l.company_id, company))
        }
        ("leads", "contacts") => match crm.leads.iter_mut().find(|l| l.id == id) {
            Some(l) => {
                let before = l.contact_ids.clone();
                l.contact_ids.retain(|c| *c != to_id);
                if on {
                    // `is_main` puts it first; otherwise it joins after the others.
                    if main {
                        l.contact_ids.insert(0, to_id);
                    } else {
                        l.contact_ids.push(to_id);
                    }
                }
                before != l.contact_ids
            }
            None => false,
        },
        _ => false,
    }
}

/// Stamps both ends of a changed link as changed (docs/amocrm-api.md §17.2).
fn touch(crm: &mut Crm, kind: &str, id: i64) {
    match kind {
        "leads" => crm.touch_lead(id),
        "contacts" => crm.touch_contact(id),
        "companies" => crm.touch_company(id),
        _ => {}
    }
}

/// Items of a link/unlink body, checked as amoCRM checks them: an id, an allowed type, and a
/// linked entity that exists. Errors name `N.to_entity_id` / `N.to_entity_type`.
#[allow(clippy::result_large_err)] // as `page_of`: the refusal is the answer itself
fn parse_items(crm: &Crm, entity: &str, items: &[Value]) -> Result<Vec<(&'static str, i64, bool)>, Response> {
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let mut e = ItemErrors::new(item, i);
        let to_type = item.get("to_entity_type").and_then(Value::as_str).unwrap_or_default();
        let to_id = item.get("to_entity_id").and_then(Value::as_i64);
        let known = allowed(entity).iter().find(|t| **t == to_type).copied();
        match (known, to_id) {
            (None, _) => e.push(
                "NotSupportedChoice",
                &format!("{i}.to_entity_type"),
                "The value you selected is not a valid choice.",
            ),
            (_, None) => e.push("NotBlank", &format!("{i}.to_entity_id"), "This value should not be blank."),
            (Some(t), Some(id)) if !crm.exists(t, id) => {
                e.push("NotFound", &format!("{i}.to_entity_id"), "Entity not found.")
            }
            (Some(t), Some(id)) => {
                let main = item.pointer("/metadata/is_main").and_then(Value::as_bool).unwrap_or(false);
                ok.push((t, id, main));
            }
        }
        if !e.errors.is_empty() {
            failed.push(e);
        }
    }
    if failed.is_empty() {
        Ok(ok)
    } else {
        Err(validation_failed(failed))
    }
}

fn link_json(entity: &str, id: i64, l: &Link) -> Value {
    json!({"entity_id": id, "entity_type": entity, "to_entity_id": l.to_id, "to_entity_type": l.to_type, "metadata": l.metadata})
}

/// `POST /api/v4/{entity}/{id}/link`.
pub(crate) async fn link(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((entity, id)): Path<(String, i64)>,
    body: Bytes,
) -> Response {
    change(s, headers, &entity, id, body, true).await
}

/// `POST /api/v4/{entity}/{id}/unlink`: 204, no body.
pub(crate) async fn unlink(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((entity, id)): Path<(String, i64)>,
    body: Bytes,
) -> Response {
    change(s, headers, &entity, id, body, false).await
}

async fn change(s: Shared, headers: HeaderMap, entity: &str, id: i64, body: Bytes, on: bool) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    if allowed(entity).is_empty() || !inner.crm.exists(entity, id) {
        return not_found();
    }
    let items = match parse_array(&body) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let parsed = match parse_items(&inner.crm, entity, &items) {
        Ok(p) => p,
        Err(r) => return r,
    };
    for (to_type, to_id, main) in &parsed {
        if set_link(&mut inner.crm, entity, id, to_type, *to_id, on, *main) {
            touch(&mut inner.crm, entity, id);
            touch(&mut inner.crm, to_type, *to_id);
        }
    }
    inner.stats.links_changed += parsed.len() as u64;
    if !on {
        return StatusCode::NO_CONTENT.into_response();
    }
    let host = inner.cfg.account_host();
    let now = links_of(&inner.crm, entity, id);
    let made: Vec<Value> = parsed
        .iter()
        .filter_map(|(t, to_id, _)| now.iter().find(|l| l.to_type == *t && l.to_id == *to_id))
        .map(|l| link_json(entity, id, l))
        .collect();
    hal(json!({
        "_total_items": made.len(),
        "_links": {"self": {"href": format!("https://{host}/api/v4/{entity}/{id}/links")}},
        "_embedded": {"links": made},
    }))
}

#[derive(Deserialize, Default)]
pub(crate) struct LinksFilter {
    #[serde(rename = "filter[to_entity_id]")]
    to_entity_id: Option<i64>,
    #[serde(rename = "filter[to_entity_type]")]
    to_entity_type: Option<String>,
    page: Option<usize>,
    limit: Option<usize>,
}

/// `GET /api/v4/{entity}/{id}/links`: the entity's links (204 when it has none, as every empty
/// list; docs/amocrm-api.md §7.3).
pub(crate) async fn list(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((entity, id)): Path<(String, i64)>,
    Query(f): Query<LinksFilter>,
) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    if allowed(&entity).is_empty() || !inner.crm.exists(&entity, id) {
        return not_found();
    }
    let found: Vec<Link> = links_of(&inner.crm, &entity, id)
        .into_iter()
        .filter(|l| f.to_entity_id.is_none_or(|x| x == l.to_id))
        .filter(|l| f.to_entity_type.as_deref().is_none_or(|t| t == l.to_type))
        .collect();
    let host = inner.cfg.account_host();
    let q = ListQuery { page: f.page, limit: f.limit, ..ListQuery::default() };
    hal_page(
        &host,
        &format!("/api/v4/{entity}/{id}/links"),
        "links",
        &found,
        &q,
        |l| json!({"to_entity_id": l.to_id, "to_entity_type": l.to_type, "metadata": l.metadata}),
    )
}
