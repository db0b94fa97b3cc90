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
    /// Who changed it last (`PATCH`, a colleague); `None` until somebody does, when the answer
    /// shows `created_by` (docs/amocrm-api.md §18.2).
    #[serde(default)]
    pub updated_by: Option<i64>,
    /// One of the account's loss reasons, set with (or after) a move to lost (143).
    #[serde(default)]
    pub loss_reason_id: Option<i64>,
    /// When it was moved to won (142) or lost (143).
    #[serde(default)]
    pub closed_at: Option<i64>,
    /// How many API `PATCH`es changed it (a colleague's change through `/_sim` is not one): a
    /// test sees a change sent twice.
    #[serde(default)]
    pub api_changes: u32,
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
                updated_by: None,
                loss_reason_id: None,
                closed_at: None,
                api_changes: 0,
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
                updated_by: None,
                loss_reason_id: None,
                closed_at: None,
                api_changes: 0,
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
        "status_id": l.status_id, "pipeline_id": l.pipeline_id, "loss_reason_id": l.loss_reason_id,
        "created_by": l.created_by, "updated_by": l.updated_by.unwrap_or(l.created_by),
        "created_at": l.created_at, "updated_at": l.updated_at, "closed_at": l.closed_at, "closest_task_at": null,
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

/// `with=loss_reason`: the lead's reason in `_embedded.loss_reason` — a one-item list, as amo-docs'
/// example of `GET /api/v4/leads/{id}` shows it; nothing is added for a lead without one.
fn with_loss_reason(mut v: Value, crm: &Crm, host: &str, l: &SimLead) -> Value {
    if let Some(r) = l.loss_reason_id.and_then(|id| crm.loss_reasons.iter().find(|r| r.id == id)) {
        v["_embedded"]["loss_reason"] = json!([crate::loss_reasons::reason_json(host, r)]);
    }
    v
}

/// `GET /api/v4/leads/{id}`: one lead with its contacts (and `with=loss_reason` its reason); 204
/// when there is none (docs/amocrm-api.md §8.2).
pub(crate) async fn get_lead(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    crate::colleague::before_lead_read(inner, id);
    let reason = RawParams::parse(raw.as_deref()).one("with").is_some_and(|w| w.split(',').any(|x| x == "loss_reason"));
    let host = inner.cfg.account_host();
    match inner.crm.leads.iter().find(|l| l.id == id) {
        Some(l) if reason => {
            hal(with_loss_reason(lead_json(&host, inner.cfg.account_id, l, true), &inner.crm, &host, l))
        }
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
    let with_reason = q.with("loss_reason");
    let account_id = inner.cfg.account_id;
    let crm = &inner.crm;
    let page = hal_page(&host, "/api/v4/leads", "leads", &found, &q, |l| {
        let v = lead_json(&host, account_id, l, with_contacts);
        if with_reason {
            with_loss_reason(v, crm, &host, l)
        } else {
            v
        }
    });
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
            updated_by: None,
            loss_reason_id: None,
            closed_at: None,
            api_changes: 0,
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

const WON: i64 = 142;
const LOST: i64 = 143;
const CHOICE: &str = "The value you selected is not a valid choice.";

/// The names a tag list of a `PATCH` gives (`_embedded.tags`, `tags_to_add`, `tags_to_delete`, at
/// `key`): each `{name}`, or `{id}` as this lead's tags show it (the simulator numbers a lead's
/// tags 500, 501, … in its answers and keeps no account-wide tag ids).
fn tag_list(lead: &SimLead, v: &Value, key: &str, e: &mut ItemErrors) -> Vec<String> {
    let Some(list) = v.as_array() else {
        e.push("InvalidType", key, "This value should be of type array.");
        return Vec::new();
    };
    let mut names = Vec::new();
    for (i, t) in list.iter().enumerate() {
        let by_id = t.get("id").and_then(Value::as_i64);
        match (t.get("name").and_then(Value::as_str).map(str::trim), by_id) {
            (Some(name), _) if !name.is_empty() => names.push(name.to_string()),
            (None, Some(id)) => match usize::try_from(id - 500).ok().and_then(|k| lead.tags.get(k)) {
                Some(name) => names.push(name.clone()),
                None => e.push("NotSupportedChoice", &format!("{key}.{i}.id"), CHOICE),
            },
            _ => e.push("FieldMissing", &format!("{key}.{i}.name"), "This field is missing."),
        }
    }
    names
}

/// A `PATCH`'s `custom_fields_values` merged into the lead's: each entry replaces that field's
/// values, `values: null` empties it (amocrm-api-php's `NullCustomFieldValueCollection`), the
/// fields not sent keep theirs. Each entry is checked as on create, at its own index.
fn merge_values(crm: &Crm, l: &mut SimLead, raw: &Value, e: &mut ItemErrors) {
    let Some(list) = raw.as_array() else {
        if !raw.is_null() {
            e.push("InvalidType", "custom_fields_values", "This value should be of type array.");
        }
        return;
    };
    if list.len() > 40 {
        e.push("Count", "custom_fields_values", "This collection should contain 40 elements or less.");
    }
    for (i, entry) in list.iter().enumerate() {
        let at = format!("custom_fields_values.{i}");
        let Some(field) = crate::fields::field_of(&crm.lead_fields, entry) else {
            e.push("NotSupportedChoice", &format!("{at}.field_id"), CHOICE);
            continue;
        };
        let stored = if entry.get("values").is_some_and(Value::is_null) {
            None
        } else {
            let one = json!([entry]);
            let mut push = |code: &str, path: &str, detail: &str| {
                e.push(code, &path.replacen("custom_fields_values.0", &at, 1), detail)
            };
            crate::fields::check_values(&crm.lead_fields, Some(&one), "", crm.timezone, &mut push).pop()
        };
        let stored = stored.filter(|v| v["values"].as_array().is_some_and(|a| !a.is_empty()));
        let pos = l.custom_fields_values.iter().position(|v| v["field_id"] == field.id);
        match (stored, pos) {
            (Some(v), Some(p)) => l.custom_fields_values[p] = v,
            (Some(v), None) => l.custom_fields_values.push(v),
            (None, Some(p)) => {
                l.custom_fields_values.remove(p);
            }
            (None, None) => {}
        }
    }
}

/// What a `PATCH` of `lead` asks (amo-docs `leads-api.md`, "Редактирование сделок"): the lead as
/// it would be afterwards, and whether it names a loss reason while not lost (amoCRM's separate
/// answer, [`patch_leads`]). Problems go to `e` at the field's key.
pub(crate) fn check_lead_patch(crm: &Crm, lead: &SimLead, item: &Value, e: &mut ItemErrors) -> (SimLead, bool) {
    let mut l = lead.clone();
    if item.get("name").is_some() {
        l.name = check_name(item, "name", "", e);
    }
    if item.get("price").is_some() {
        l.price = check_price(item, "", e);
    }
    if item.get("responsible_user_id").is_some_and(|v| !v.is_null()) {
        l.responsible_user_id = check_user(&crm.users, item, "", e, l.responsible_user_id);
    }
    let pipeline = match item.get("pipeline_id").filter(|v| !v.is_null()) {
        None => crm.pipelines.iter().find(|p| p.id == l.pipeline_id),
        Some(v) => {
            let found = v.as_i64().and_then(|id| crm.pipelines.iter().find(|p| p.id == id));
            if found.is_none() {
                e.push("NotSupportedChoice", "pipeline_id", CHOICE);
            }
            found
        }
    };
    if let Some(p) = pipeline {
        match item.get("status_id").filter(|v| !v.is_null()) {
            // Another pipeline's stage, or the unsorted one (`type: 1`), is no choice
            // (docs/amocrm-api.md §11.12).
            Some(v) => match v.as_i64().and_then(|id| p.statuses.iter().find(|st| st.id == id)) {
                Some(st) if st.kind == 0 => (l.pipeline_id, l.status_id) = (p.id, st.id),
                _ => e.push("NotSupportedChoice", "status_id", CHOICE),
            },
            // Only the pipeline: a closed lead stays closed (142 and 143 are in every
            // pipeline), an open one goes to the new pipeline's first stage.
            None if p.id != l.pipeline_id => {
                l.pipeline_id = p.id;
                if l.status_id != WON && l.status_id != LOST {
                    let first = p.statuses.iter().find(|st| st.kind == 0 && st.id != WON && st.id != LOST);
                    l.status_id = first.map_or(0, |st| st.id);
                }
            }
            None => {}
        }
    }
    if let Some(raw) = item.get("custom_fields_values") {
        merge_values(crm, &mut l, raw, e);
    }
    if let Some(tags) = item.pointer("/_embedded/tags") {
        // `_embedded.tags` replaces the whole list; `null` removes every tag (amo-docs' example).
        l.tags = if tags.is_null() { Vec::new() } else { tag_list(lead, tags, "_embedded.tags", e) };
    }
    if let Some(add) = item.get("tags_to_add") {
        for name in tag_list(lead, add, "tags_to_add", e) {
            if !l.tags.contains(&name) {
                l.tags.push(name);
            }
        }
    }
    if let Some(del) = item.get("tags_to_delete") {
        let gone = tag_list(lead, del, "tags_to_delete", e);
        l.tags.retain(|t| !gone.contains(t));
    }
    let mut reason_sent = false;
    match item.get("loss_reason_id") {
        None => {}
        Some(Value::Null) => l.loss_reason_id = None,
        Some(v) => match v.as_i64().filter(|id| crm.loss_reasons.iter().any(|r| r.id == *id)) {
            Some(id) => (l.loss_reason_id, reason_sent) = (Some(id), true),
            None => e.push("NotSupportedChoice", "loss_reason_id", CHOICE),
        },
    }
    let moved = (l.pipeline_id, l.status_id) != (lead.pipeline_id, lead.status_id);
    if moved && crm.required_fields_enforced {
        // A stage's required fields (`required_statuses`): the shape the demo account's own check
        // uses; amoCRM's answer for an API write is not documented (docs/amocrm-api.md §18.2).
        let filled = |id: i64| l.custom_fields_values.iter().any(|v| v["field_id"] == id);
        for f in crm.lead_fields.iter().filter(|f| f.required_statuses.contains(&(l.pipeline_id, l.status_id))) {
            if !filled(f.id) {
                let detail = format!("Field {} «{}» is required at this stage.", f.id, f.name);
                e.push("FieldMissing", "custom_fields_values", &detail);
            }
        }
    }
    if moved {
        let closed = |s: i64| s == WON || s == LOST;
        l.closed_at = match (closed(lead.status_id), closed(l.status_id)) {
            (_, false) => None,
            (false, true) => Some(now()),
            (true, true) if l.status_id != lead.status_id => Some(now()),
            (true, true) => l.closed_at,
        };
    }
    let reason_on_open = reason_sent && l.status_id != LOST;
    (l, reason_on_open)
}

/// Puts a changed lead back, stamped as changed now by `user`; its new `updated_at`.
pub(crate) fn store_lead(crm: &mut Crm, mut l: SimLead, user: i64) -> i64 {
    l.updated_at = Crm::bump(l.updated_at);
    l.updated_by = Some(user);
    let at = l.updated_at;
    if let Some(slot) = crm.leads.iter_mut().find(|x| x.id == l.id) {
        *slot = l;
    }
    at
}

/// Checks a whole `PATCH /api/v4/leads` batch (each item names its lead by `id`) and, when
/// nothing is refused, stores every change as `user`'s: (id, updated_at) in order. A refusal is
/// the 400 `validation-errors` (per item `request_id`, the batch untouched), or — for a
/// `loss_reason_id` on a lead that is not lost — the body amocrm-api-php#88 shows:
/// `{"errors": {"<lead id>": "Loss reason can be specified only for lost lead"}, …, "detail": "Invalid request body"}`.
// A refusal is an axum Response, returned straight to the client; its size does not matter here.
#[allow(clippy::result_large_err)]
pub(crate) fn patch_leads(crm: &mut Crm, items: &[Value], user: i64) -> Result<Vec<(i64, i64)>, Response> {
    let mut parsed = Vec::new();
    let mut failed = Vec::new();
    let mut not_lost = serde_json::Map::new();
    for (i, item) in items.iter().enumerate() {
        let mut e = ItemErrors::new(item, i);
        if !item.is_object() {
            e.push("InvalidType", "", "This value should be of type object.");
            failed.push(e);
            continue;
        }
        let found = match item.get("id") {
            None | Some(Value::Null) => {
                e.push("FieldMissing", "id", "This field is missing.");
                None
            }
            Some(v) => {
                let found = v.as_i64().and_then(|id| crm.leads.iter().find(|l| l.id == id));
                if found.is_none() {
                    let (code, detail) = if v.is_i64() {
                        ("NotFound", "Entity not found.")
                    } else {
                        ("InvalidType", "This value should be of type int.")
                    };
                    e.push(code, "id", detail);
                }
                found
            }
        };
        match found.map(|l| check_lead_patch(crm, l, item, &mut e)) {
            Some((l, reason_on_open)) if e.errors.is_empty() => {
                if reason_on_open {
                    not_lost.insert(l.id.to_string(), json!("Loss reason can be specified only for lost lead"));
                }
                parsed.push(l);
            }
            _ => failed.push(e),
        }
    }
    if !failed.is_empty() {
        return Err(validation_failed(failed));
    }
    if !not_lost.is_empty() {
        return Err(crate::problem::problem_response(
            StatusCode::BAD_REQUEST,
            json!({"errors": not_lost, "title": "Bad Request", "type": "https://httpstatus.es/400", "status": 400,
                   "detail": "Invalid request body"}),
        ));
    }
    Ok(parsed.into_iter().map(|l| (l.id, store_lead(crm, l, user))).collect())
}

/// The `{id, updated_at, _links}` amo-docs answers for each changed lead (no `request_id` in its
/// example: a client matches the answer by `id`).
fn patched_json(host: &str, id: i64, updated_at: i64) -> Value {
    let mut r = entity_ref(host, "leads", id);
    r["updated_at"] = json!(updated_at);
    r
}

/// `PATCH /api/v4/leads`: an array of leads, each with its `id`; answers HAL
/// `_embedded.leads[{id, updated_at, _links}]` (docs/amocrm-api.md §18.2).
pub(crate) async fn patch_lead_list(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    let items = match parse_array(&body) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let me = token_user(inner, &headers);
    let host = inner.cfg.account_host();
    match patch_leads(&mut inner.crm, &items, me) {
        Ok(done) => {
            inner.stats.leads_changed += done.len() as u64;
            for (id, _) in &done {
                inner.crm.leads.iter_mut().filter(|l| l.id == *id).for_each(|l| l.api_changes += 1);
            }
            let out: Vec<Value> = done.iter().map(|(id, at)| patched_json(&host, *id, *at)).collect();
            hal(
                json!({"_links": {"self": {"href": format!("https://{host}/api/v4/leads")}}, "_embedded": {"leads": out}}),
            )
        }
        Err(r) => r,
    }
}

/// `PATCH /api/v4/leads/{id}`: one lead's model (an object); answers `{id, updated_at, _links}`;
/// an unknown id is a 404.
pub(crate) async fn patch_lead(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    let mut item = match crate::tasks::parse_object(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if !inner.crm.leads.iter().any(|l| l.id == id) {
        return crate::problem::not_found();
    }
    item["id"] = json!(id);
    let me = token_user(inner, &headers);
    let host = inner.cfg.account_host();
    match patch_leads(&mut inner.crm, &[item], me) {
        Ok(done) => {
            inner.stats.leads_changed += 1;
            inner.crm.leads.iter_mut().filter(|l| l.id == done[0].0).for_each(|l| l.api_changes += 1);
            hal(patched_json(&host, done[0].0, done[0].1))
        }
        Err(r) => r,
    }
}
