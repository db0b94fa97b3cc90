//! Contacts (docs/amocrm-api.md §8.5, §17.2): `GET /api/v4/contacts` — the full-text, fuzzy
//! `query` (a phone by its last seven digits, §11.8), `with=leads`, `filter[id]`,
//! `filter[created_at]`, `filter[updated_at]` (refused on an account without API filtering),
//! `order[id|updated_at]`, paging — and the batch add `POST /api/v4/contacts`; the contact model
//! of a request, with phones and e-mails as the account's multitext fields, which a complex or
//! unsorted add reads too; and the edits tests make as a user would in amoCRM (delete, merge,
//! rename, new phones, a big seeded base), each stamping `updated_at`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::hal::{entity_ref, hal, hal_page, in_range, sort_by_order, RawParams};
use crate::leads::SimLead;
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
    /// Set on create, moved on every change (an edit, a link, a merge), never backwards and
    /// never twice to the same second (docs/amocrm-api.md §17.2). A note does not move it.
    #[serde(default)]
    pub updated_at: i64,
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
        let t = now();
        self.contacts.push(SimContact {
            id,
            name: format!("{first} {last}").trim().to_string(),
            first_name: first.into(),
            last_name: last.into(),
            responsible_user_id: self.users[0].id,
            created_by: self.users[0].id,
            created_at: t,
            updated_at: t,
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

    /// Adds `count` customers at once, a big existing base for sync tests: "Customer 00001"…,
    /// phones `+7` and ten digits counting up from `first_phone`; every 10th has an open lead in
    /// the first pipeline, every 20th a company. One pass, no lookups: 50 000 take milliseconds.
    pub fn seed_contacts(&mut self, count: usize, first_phone: u64) -> Vec<i64> {
        let admin = self.users[0].id;
        let t = now();
        let (pipeline_id, status_id) = self.first_open_status();
        let mut ids = Vec::with_capacity(count);
        self.contacts.reserve(count);
        for k in 1..=count {
            let id = self.id();
            let number = format!("{k:05}");
            let company_id = (k % 20 == 0).then(|| self.seed_company_at(&format!("Company {number}"), t));
            if k % 10 == 0 {
                let lead_id = self.id();
                self.leads.push(SimLead {
                    id: lead_id,
                    name: format!("Order of Customer {number}"),
                    price: 0,
                    pipeline_id,
                    status_id,
                    responsible_user_id: admin,
                    created_by: admin,
                    created_at: t,
                    updated_at: t,
                    tags: Vec::new(),
                    contact_ids: vec![id],
                    custom_fields_values: Vec::new(),
                    company_id,
                    updated_by: None,
                    loss_reason_id: None,
                    closed_at: None,
                    api_changes: 0,
                });
            }
            self.contacts.push(SimContact {
                id,
                name: format!("Customer {number}"),
                first_name: "Customer".into(),
                last_name: number,
                responsible_user_id: admin,
                created_by: admin,
                created_at: t,
                updated_at: t,
                phones: vec![format!("+7{:010}", first_phone + k as u64 - 1)],
                emails: Vec::new(),
                phone_types: vec!["WORK".into()],
                email_types: Vec::new(),
                custom_fields_values: Vec::new(),
                company_id,
                is_unsorted: false,
            });
            ids.push(id);
        }
        ids
    }

    /// The first pipeline and its first open stage (not the unsorted one, not 142/143).
    pub(crate) fn first_open_status(&self) -> (i64, i64) {
        let p = &self.pipelines[0];
        let open = p.statuses.iter().find(|s| s.kind == 0 && s.id != 142 && s.id != 143).map_or(0, |s| s.id);
        (p.id, open)
    }

    /// Deletes contact `id` as a user does in amoCRM: it leaves the lists, and its leads lose it
    /// (they change). Its notes stay behind, as in amoCRM's trash. Whether it existed.
    pub(crate) fn delete_contact(&mut self, id: i64) -> bool {
        let before = self.contacts.len();
        self.contacts.retain(|c| c.id != id);
        if self.contacts.len() == before {
            return false;
        }
        for l in self.leads.iter_mut().filter(|l| l.contact_ids.contains(&id)) {
            l.contact_ids.retain(|c| *c != id);
            l.updated_at = Crm::bump(l.updated_at);
        }
        for u in self.unsorted.iter_mut().filter(|u| u.contact_id == Some(id)) {
            u.contact_id = None;
        }
        true
    }

    /// Merges contact `gone` into `keep`, as amoCRM's "merge duplicates" does: `gone`
    /// disappears; its phones and e-mails (those `keep` lacks), its leads, its company (when
    /// `keep` has none), its notes and its incoming leads move to `keep`, which changes.
    pub(crate) fn merge_contacts(&mut self, keep: i64, gone: i64) -> bool {
        if keep == gone || !self.contacts.iter().any(|c| c.id == keep) {
            return false;
        }
        let Some(at) = self.contacts.iter().position(|c| c.id == gone) else { return false };
        let g = self.contacts.remove(at);
        if let Some(k) = self.contacts.iter_mut().find(|c| c.id == keep) {
            for (i, p) in g.phones.iter().enumerate() {
                if !k.phones.iter().any(|x| digits(x) == digits(p)) {
                    k.phones.push(p.clone());
                    k.phone_types.push(g.phone_types.get(i).cloned().unwrap_or_else(|| "WORK".into()));
                }
            }
            for (i, m) in g.emails.iter().enumerate() {
                if !k.emails.iter().any(|x| x.eq_ignore_ascii_case(m)) {
                    k.emails.push(m.clone());
                    k.email_types.push(g.email_types.get(i).cloned().unwrap_or_else(|| "WORK".into()));
                }
            }
            k.company_id = k.company_id.or(g.company_id);
            k.updated_at = Crm::bump(k.updated_at);
        }
        for l in self.leads.iter_mut().filter(|l| l.contact_ids.contains(&gone)) {
            let had_keep = l.contact_ids.contains(&keep);
            l.contact_ids.retain(|c| *c != gone || !had_keep);
            for c in l.contact_ids.iter_mut().filter(|c| **c == gone) {
                *c = keep;
            }
            l.updated_at = Crm::bump(l.updated_at);
        }
        for n in self.notes.iter_mut().filter(|n| n.entity_type == "contacts" && n.entity_id == gone) {
            n.entity_id = keep;
        }
        for u in self.unsorted.iter_mut().filter(|u| u.contact_id == Some(gone)) {
            u.contact_id = Some(keep);
        }
        true
    }

    /// Renames contact `id` (the full name; first and last name are cleared, as amoCRM's card
    /// keeps one name field when it is edited as a whole).
    pub(crate) fn rename_contact(&mut self, id: i64, name: &str) -> bool {
        self.edit_contact(id, |c| {
            c.name = name.to_string();
            c.first_name = name.to_string();
            c.last_name = String::new();
        })
    }

    /// Replaces contact `id`'s phones (all typed `WORK`).
    pub(crate) fn set_contact_phones(&mut self, id: i64, phones: Vec<String>) -> bool {
        self.edit_contact(id, |c| {
            c.phone_types = vec!["WORK".to_string(); phones.len()];
            c.phones = phones;
        })
    }

    fn edit_contact(&mut self, id: i64, edit: impl FnOnce(&mut SimContact)) -> bool {
        match self.contacts.iter_mut().find(|c| c.id == id) {
            Some(c) => {
                edit(c);
                c.updated_at = Crm::bump(c.updated_at);
                true
            }
            None => false,
        }
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
        crm.timezone,
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
        // A contact sent with an old `created_at` is still new to a client syncing by `updated_at`.
        updated_at: created_at.max(now()),
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

/// Each contact's leads (`with=leads`), built once per request rather than once per contact.
pub(crate) fn leads_by_contact(crm: &Crm) -> HashMap<i64, Vec<i64>> {
    let mut map: HashMap<i64, Vec<i64>> = HashMap::new();
    for l in &crm.leads {
        for c in &l.contact_ids {
            map.entry(*c).or_default().push(l.id);
        }
    }
    map
}

/// A contact as amoCRM lists it; with `leads` (`with=leads`), the ids of its leads embedded.
fn contact_json(
    host: &str,
    account_id: i64,
    crm: &Crm,
    c: &SimContact,
    leads: Option<&HashMap<i64, Vec<i64>>>,
) -> Value {
    let mut fields: Vec<Value> = [
        multitext_json(&crm.contact_fields, "PHONE", &c.phones, &c.phone_types),
        multitext_json(&crm.contact_fields, "EMAIL", &c.emails, &c.email_types),
    ]
    .into_iter()
    .flatten()
    .collect();
    fields.extend(c.custom_fields_values.iter().cloned());
    let mut embedded = json!({"tags": [], "companies": c.company_id.map(|id| vec![entity_ref(host, "companies", id)]).unwrap_or_default()});
    if let Some(map) = leads {
        let ids = map.get(&c.id).map(Vec::as_slice).unwrap_or_default();
        embedded["leads"] = ids.iter().map(|id| entity_ref(host, "leads", *id)).collect();
    }
    json!({
        "id": c.id, "name": c.name, "first_name": c.first_name, "last_name": c.last_name,
        "responsible_user_id": c.responsible_user_id, "group_id": 0, "created_by": c.created_by,
        "updated_by": c.responsible_user_id, "created_at": c.created_at, "updated_at": c.updated_at,
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
// `q` arrives trimmed and lower-cased (once per request, by the list).
fn contact_matches(c: &SimContact, q: &str) -> bool {
    if q.is_empty() {
        return true;
    }
    if let Some(tail) = phone_tail(q) {
        return c.phones.iter().any(|p| digits(p).contains(&tail));
    }
    c.name.to_lowercase().contains(q)
        || c.emails.iter().any(|m| m.to_lowercase().contains(q))
        || value_texts(&c.custom_fields_values).any(|t| t.to_lowercase().contains(q))
}

/// `GET /api/v4/contacts`: only references are filtered and sorted (by id unless
/// `order[id|updated_at|created_at]` says otherwise), and only the page is encoded, so paging
/// through 50 000 contacts costs a sort per page, not the whole base as JSON.
pub(crate) async fn list_contacts(State(s): State<Shared>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
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
    let mut found: Vec<&SimContact> = inner
        .crm
        .contacts
        .iter()
        .filter(|c| {
            ids.as_ref().is_none_or(|v| v.contains(&c.id))
                && q.created_in_range(c.created_at)
                && in_range(updated, c.updated_at)
                && contact_matches(c, &text)
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
    let leads = q.with("leads").then(|| leads_by_contact(&inner.crm));
    hal_page(&host, "/api/v4/contacts", "contacts", &found, &q, |c| {
        contact_json(&host, inner.cfg.account_id, &inner.crm, c, leads.as_ref())
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
