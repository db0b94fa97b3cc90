//! amoCRM REST API v4: what a lead-entry client needs (docs/amocrm-api.md §7–8). Responses are
//! HAL JSON, an empty list is 204 (an empty list here, never an error), errors are
//! problem+json, except the rate-abuse ban (403 with an nginx HTML page, docs/amocrm-api.md §9.2). Every call waits
//! for the shared [`RateLimiter`] first.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use super::endpoints::Endpoints;
use super::http::{is_html_ban, send_limited, Answer, LazyClient, Problem};
use super::limiter::RateLimiter;
use super::wire::{self, embedded, from_value, parse};
use crate::domain::account::AccountInfo;
use crate::domain::fields::CustomField;
use crate::domain::my_tasks::OpenTask;
use crate::domain::people::{CallBrief, NoteBrief, Person, PersonKind};
use crate::domain::reference::{CompanyMatch, ContactMatch, LeadSummary, Pipeline, User};
use crate::domain::secret::Secret;
use crate::domain::task::TaskType;
use crate::domain::tokens::Access;
use crate::error::{AmoError, Error, Result};

/// A read that meets 429s keeps waiting its turn (the limiter pauses after each) and asking
/// again for this long before it gives up with `rate_limited`.
const READ_DEADLINE_ON_429: Duration = Duration::from_secs(60);
/// `limit` on list requests: amoCRM's maximum (docs/amocrm-api.md §7.2).
pub const MAX_PAGE: usize = 250;
/// Pages read when looking for what one second created (2 500 objects in one second is far
/// beyond any account; the bound keeps a broken `next` link from looping).
const MAX_RECONCILE_PAGES: usize = 10;

/// What `/oauth2/account/current/subdomain` answers.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct CurrentSubdomain {
    pub id: i64,
    pub subdomain: String,
    pub domain: String,
}

/// One element of `/leads/complex`'s plain-array answer (docs/amocrm-api.md §8.4).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ComplexResult {
    pub id: i64,
    #[serde(default)]
    pub contact_id: Option<i64>,
    #[serde(default)]
    pub company_id: Option<i64>,
    #[serde(default)]
    pub merged: bool,
    #[serde(default)]
    pub request_id: Vec<String>,
}

/// Where `POST /api/v4/calls` put a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallLanding {
    /// The call note's id, and the card it is on (`leads`, `contacts`, `companies`).
    Logged { note_id: i64, entity: String, entity_id: i64 },
    /// amoCRM has no contact or company with the number.
    UnknownNumber,
}

/// A call note, as a lost call is looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallNote {
    pub id: i64,
    pub entity_id: i64,
    pub uniq: String,
}

/// A note on a lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSummary {
    pub id: i64,
    pub note_type: String,
    pub text: String,
    pub created_by: i64,
    pub created_at: i64,
}

/// A task on a lead, as reconciliation compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSummary {
    pub id: i64,
    pub text: String,
    pub complete_till: i64,
    pub created_by: i64,
    pub created_at: i64,
}

/// What the forms take from `/api/v4/account`: the time zone and the task types.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountSettings {
    /// `datetime_settings.timezone`, the IANA name ("Europe/Berlin"), when amoCRM gave a
    /// plausible one (docs/amocrm-api.md §11.14).
    pub timezone: Option<String>,
    /// `datetime_settings.timezone_offset` ("+02:00") in seconds — the offset in force when
    /// asked, summer or winter — when amoCRM gave one. None is "not said", never 0.
    pub timezone_offset_secs: Option<i32>,
    pub task_types: Vec<TaskType>,
    /// `is_unsorted_on`: the account takes incoming leads.
    pub unsorted_on: bool,
}

pub struct ApiClient {
    http: LazyClient,
    endpoints: Endpoints,
    limiter: Arc<RateLimiter>,
}

impl ApiClient {
    pub fn new(http: LazyClient, endpoints: Endpoints, limiter: Arc<RateLimiter>) -> ApiClient {
        ApiClient { http, endpoints, limiter }
    }

    /// One rate-limited request. Logs method, path (no query: it may hold a phone number),
    /// status and amoCRM's request id — never the token.
    async fn send(
        &self,
        domain: &str,
        token: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer> {
        let url = self.endpoints.account_url(domain, path)?;
        let mut req = self.http.get()?.request(method.clone(), url).bearer_auth(token);
        if let Some(host) = self.endpoints.host_header(domain) {
            req = req.header(reqwest::header::HOST, host);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let a = send_limited(&self.limiter, req).await?;
        tracing::info!(
            domain,
            method = method.as_str(),
            path = path.split('?').next().unwrap_or_default(),
            status = a.status,
            request_id = a.request_id.as_deref().unwrap_or("-"),
            "amoCRM API"
        );
        Ok(a)
    }

    /// A GET whose 200 body is JSON; 204 → `None`. A 429 is waited out (reads change nothing,
    /// so asking again is always safe) until [`READ_DEADLINE_ON_429`]: a list that meets another
    /// process's burst finishes instead of failing.
    async fn get_json(&self, domain: &str, token: &str, path: &str) -> Result<Option<Value>> {
        let deadline = std::time::Instant::now() + READ_DEADLINE_ON_429;
        let a = loop {
            let a = self.send(domain, token, Method::GET, path, None).await?;
            if a.status != 429 || std::time::Instant::now() >= deadline {
                break a;
            }
            tracing::info!(path = path.split('?').next().unwrap_or_default(), "429 on a read; waiting its turn");
        };
        match a.status {
            200 => parse(&a.body).map(Some),
            204 => Ok(None),
            _ => Err(classify(a.status, &a.content_type, &a.body)),
        }
    }

    async fn post_json(&self, domain: &str, token: &str, path: &str, body: &Value) -> Result<Value> {
        let a = self.send(domain, token, Method::POST, path, Some(body)).await?;
        match a.status {
            200 | 201 => parse(&a.body),
            _ => Err(classify(a.status, &a.content_type, &a.body)),
        }
    }

    /// A `PATCH` of a list: 200 with JSON, anything else classified as for a `POST`.
    async fn patch_json(&self, domain: &str, token: &str, path: &str, body: &Value) -> Result<Value> {
        let a = self.send(domain, token, Method::PATCH, path, Some(body)).await?;
        match a.status {
            200 => parse(&a.body),
            _ => Err(classify(a.status, &a.content_type, &a.body)),
        }
    }

    pub async fn account(&self, at: Access) -> Result<AccountInfo> {
        let v = self.get_json(&at.domain, at.token.expose(), "/api/v4/account").await?;
        from_value(v.ok_or_else(|| Error::unexpected("no content for the account"))?, "account")
    }

    /// Pipelines with their statuses (embedded by default, docs/amocrm-api.md §8.9); archived ones left out.
    pub async fn pipelines(&self, at: Access) -> Result<Vec<Pipeline>> {
        let Some(v) = self.get_json(&at.domain, at.token.expose(), "/api/v4/leads/pipelines").await? else {
            return Ok(Vec::new());
        };
        let raw: Vec<wire::RawPipeline> = embedded(v, "pipelines")?;
        let mut list: Vec<Pipeline> =
            raw.into_iter().filter(|p| !p.is_archive).map(wire::RawPipeline::into_pipeline).collect();
        list.sort_by_key(|p| (!p.is_main, p.sort));
        Ok(list)
    }

    /// The custom fields of `entity` (`leads`, `contacts` or `companies`), every page
    /// (docs/amocrm-api.md §13: the default page is short, so all pages are read).
    pub async fn custom_fields(&self, at: Access, entity: &str) -> Result<Vec<CustomField>> {
        let mut all = Vec::new();
        for page in 1..=20 {
            let path = format!("/api/v4/{entity}/custom_fields?page={page}&limit={MAX_PAGE}");
            let Some(v) = self.get_json(&at.domain, at.token.expose(), &path).await? else { break };
            let (fields, has_next) = custom_fields_page(v)?;
            all.extend(fields);
            if !has_next {
                break;
            }
        }
        all.sort_by_key(|f| (f.sort, f.id));
        Ok(all)
    }

    /// The account's time zone (`datetime_settings`: its IANA name and today's offset — `date`
    /// fields are midnight there, docs/amocrm-api.md §13, §11.14), task types and whether it
    /// takes incoming leads. What amoCRM does not say stays unknown, never "UTC".
    pub async fn account_settings(&self, at: Access) -> Result<AccountSettings> {
        let v =
            self.get_json(&at.domain, at.token.expose(), "/api/v4/account?with=datetime_settings,task_types").await?;
        Ok(account_settings_answer(v.as_ref()))
    }

    /// Users of the account (admins only: others get 403 → `forbidden`, docs/amocrm-api.md §8.10).
    pub async fn users(&self, at: Access) -> Result<Vec<User>> {
        let mut all = Vec::new();
        for page in 1..=20 {
            let path = format!("/api/v4/users?page={page}&limit={MAX_PAGE}");
            let Some(v) = self.get_json(&at.domain, at.token.expose(), &path).await? else { break };
            let has_next = v.pointer("/_links/next").is_some();
            all.extend(embedded::<User>(v, "users")?);
            if !has_next {
                break;
            }
        }
        Ok(all)
    }

    /// Contacts amoCRM's full-text `query` finds (fuzzy; the caller re-checks, docs/amocrm-api.md §8.5, §11.8).
    pub async fn search_contacts(&self, at: Access, query: &str) -> Result<Vec<ContactMatch>> {
        let path = format!("/api/v4/contacts?limit=50&query={}", urlencode(query));
        let Some(v) = self.get_json(&at.domain, at.token.expose(), &path).await? else { return Ok(Vec::new()) };
        Ok(embedded::<Value>(v, "contacts")?.iter().filter_map(wire::contact_match).collect())
    }

    /// Like [`Self::search_contacts`], with the ids of each contact's leads (`with=leads`).
    pub async fn search_contacts_with_leads(&self, at: Access, query: &str) -> Result<Vec<(ContactMatch, Vec<i64>)>> {
        let path = format!("/api/v4/contacts?limit=50&with=leads&query={}", urlencode(query));
        let Some(v) = self.get_json(&at.domain, at.token.expose(), &path).await? else { return Ok(Vec::new()) };
        Ok(embedded::<Value>(v, "contacts")?
            .iter()
            .filter_map(|c| Some((wire::contact_match(c)?, wire::embedded_lead_ids(c))))
            .collect())
    }

    /// `GET /api/v4/leads/{id}`; `None` when there is no such lead (204).
    pub async fn lead(&self, at: Access, id: i64) -> Result<Option<LeadSummary>> {
        let v = self.get_json(&at.domain, at.token.expose(), &format!("/api/v4/leads/{id}?with=contacts")).await?;
        Ok(v.as_ref().and_then(wire::lead_summary))
    }

    /// The lead card's lead: `GET /api/v4/leads/{id}?with=contacts,loss_reason`
    /// (docs/amocrm-api.md §8.2, §18.3); `None` when there is no such lead (204; amoCRM's 404
    /// is `amo_not_found` as everywhere).
    pub async fn lead_card(&self, at: Access, id: i64) -> Result<Option<crate::domain::lead_card::RawLead>> {
        let path = format!("/api/v4/leads/{id}?with=contacts,loss_reason");
        let Some(v) = self.get_json(&at.domain, at.token.expose(), &path).await? else { return Ok(None) };
        wire::lead_card(&v).map(Some).ok_or_else(|| Error::unexpected("no lead id in the answer"))
    }

    /// A lead's `limit` newest notes, one request (`order[updated_at]=desc`, docs/amocrm-api.md §16.2).
    pub async fn lead_recent_notes(
        &self,
        at: Access,
        lead_id: i64,
        limit: usize,
    ) -> Result<Vec<crate::domain::lead_card::RawNote>> {
        let path = format!(
            "/api/v4/leads/{lead_id}/notes?order%5Bupdated_at%5D=desc&page=1&limit={}",
            limit.clamp(1, MAX_PAGE)
        );
        let Some(v) = self.get_json(&at.domain, at.token.expose(), &path).await? else { return Ok(Vec::new()) };
        wire::card_notes(v)
    }

    /// A lead's open tasks, soonest first, every page up to [`MAX_RECONCILE_PAGES`]
    /// (`filter[entity_type]=leads&filter[entity_id][]=…&filter[is_completed]=0`, docs/amocrm-api.md §8.8).
    pub async fn lead_open_tasks(&self, at: Access, lead_id: i64) -> Result<Vec<OpenTask>> {
        let mut out = Vec::new();
        for page in 1..=MAX_RECONCILE_PAGES {
            let path = format!(
                "/api/v4/tasks?filter%5Bentity_type%5D=leads&filter%5Bentity_id%5D%5B%5D={lead_id}&filter%5Bis_completed%5D=0&order%5Bcomplete_till%5D=asc&page={page}&limit={MAX_PAGE}"
            );
            let Some(v) = self.get_json(&at.domain, at.token.expose(), &path).await? else { break };
            let (tasks, has_next) = wire::open_tasks_page(v)?;
            out.extend(tasks);
            // As for "my tasks": only the `next` link ends the list, not a page of done tasks.
            if !has_next {
                break;
            }
        }
        Ok(out)
    }

    /// The contacts with these ids (at most `MAX_PAGE`), by `filter[id][]` (docs/amocrm-api.md §8.5).
    pub async fn contacts_by_ids(&self, at: Access, ids: &[i64]) -> Result<Vec<ContactMatch>> {
        let filter: Vec<String> = ids.iter().take(MAX_PAGE).map(|id| format!("filter%5Bid%5D%5B%5D={id}")).collect();
        if filter.is_empty() {
            return Ok(Vec::new());
        }
        let path = format!("/api/v4/contacts?limit={MAX_PAGE}&{}", filter.join("&"));
        let Some(v) = self.get_json(&at.domain, at.token.expose(), &path).await? else { return Ok(Vec::new()) };
        Ok(embedded::<Value>(v, "contacts")?.iter().filter_map(wire::contact_match).collect())
    }

    /// Leads amoCRM's full-text `query` finds (name, price, tags, custom fields), newest first.
    pub async fn search_leads(&self, at: Access, query: &str) -> Result<Vec<LeadSummary>> {
        let extra = format!("order[created_at]=desc&query={}", urlencode(query));
        Ok(self.leads_page(at, 1, 50, &extra).await?.0)
    }

    /// Every contact created in second `created_at`, with the user who created each (to find a
    /// contact whose answer was lost; docs/amocrm-api.md §8.2 on `filter[created_at]`).
    pub async fn contacts_created_at(&self, at: Access, created_at: i64) -> Result<Vec<(ContactMatch, i64)>> {
        self.created_in_second(at, "contacts", created_at, wire::contact_match).await
    }

    /// Every `entity` (`contacts`, `companies`) created in second `created_at`, all pages, each
    /// as `parse` reads it with the user who created it.
    async fn created_in_second<T>(
        &self,
        at: Access,
        entity: &str,
        created_at: i64,
        parse: impl Fn(&Value) -> Option<T>,
    ) -> Result<Vec<(T, i64)>> {
        let filter = format!("filter[created_at][from]={created_at}&filter[created_at][to]={created_at}");
        let mut out = Vec::new();
        for page in 1..=MAX_RECONCILE_PAGES {
            let path = format!("/api/v4/{entity}?page={page}&limit={MAX_PAGE}&{filter}");
            let Some(v) = self.get_json(&at.domain, at.token.expose(), &path).await? else { break };
            let has_next = v.pointer("/_links/next").is_some();
            out.extend(
                embedded::<Value>(v, entity)?
                    .iter()
                    .filter_map(|x| Some((parse(x)?, x.get("created_by").and_then(Value::as_i64).unwrap_or(0)))),
            );
            if !has_next {
                break;
            }
        }
        Ok(out)
    }

    /// `POST /api/v4/contacts` with one contact; its new id.
    pub async fn add_contact(&self, at: Access, contact: &Value) -> Result<i64> {
        let v = self
            .post_json(&at.domain, at.token.expose(), "/api/v4/contacts", &Value::Array(vec![contact.clone()]))
            .await?;
        v.pointer("/_embedded/contacts/0/id")
            .and_then(Value::as_i64)
            .ok_or_else(|| Error::unexpected("no contact id in the answer"))
    }

    /// One page of leads; `extra` is the rest of the query (an order, a filter).
    pub async fn leads_page(
        &self,
        at: Access,
        page: usize,
        limit: usize,
        extra: &str,
    ) -> Result<(Vec<LeadSummary>, bool)> {
        let path = format!("/api/v4/leads?with=contacts&page={page}&limit={}&{extra}", limit.clamp(1, MAX_PAGE));
        let Some(v) = self.get_json(&at.domain, at.token.expose(), &path).await? else {
            return Ok((Vec::new(), false));
        };
        wire::leads_page(v)
    }

    /// One page (`MAX_PAGE` rows) of the account's contacts or companies with their leads'
    /// ids, in `order` (`order[id]=asc`, `order[updated_at]=desc`); whether there is a next
    /// page (docs/people-copy.md).
    pub async fn people_page(
        &self,
        at: Access,
        kind: PersonKind,
        page: i64,
        order: &str,
    ) -> Result<(Vec<Person>, bool)> {
        let entity = kind.entity();
        let path = format!("/api/v4/{entity}?with=leads&page={page}&limit={MAX_PAGE}&{order}");
        let Some(v) = self.get_json(&at.domain, at.token.expose(), &path).await? else {
            return Ok((Vec::new(), false));
        };
        wire::people_page(v, kind)
    }

    /// One page of leads, the most recently changed first, each with its `updated_at` (the
    /// copy's quick poll, docs/people-copy.md).
    pub async fn leads_by_update(&self, at: Access, page: i64) -> Result<(Vec<(LeadSummary, i64)>, bool)> {
        let path = format!("/api/v4/leads?with=contacts&page={page}&limit={MAX_PAGE}&order[updated_at]=desc");
        let Some(v) = self.get_json(&at.domain, at.token.expose(), &path).await? else {
            return Ok((Vec::new(), false));
        };
        wire::leads_by_update_page(v)
    }

    /// The leads with these ids (at most `MAX_PAGE`), with their contacts.
    pub async fn leads_by_ids(&self, at: Access, ids: &[i64]) -> Result<Vec<LeadSummary>> {
        let filter: Vec<String> = ids.iter().take(MAX_PAGE).map(|id| format!("filter[id][]={id}")).collect();
        if filter.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.leads_page(at, 1, MAX_PAGE, &filter.join("&")).await?.0)
    }

    /// Up to `limit` newest leads, page after page (`lead list`), each once. Every page is asked
    /// for with the same `limit`: amoCRM's offset is `(page − 1) × limit`, so a smaller last page
    /// would overlap the one before it (docs/amocrm-api.md §7.2). Newest by id, which only grows
    /// and has no ties (leads made in one second keep one order between pages). A lead added
    /// while the list is read pushes the rows down, so a page can start with leads already
    /// read: they are dropped and the reading goes on — never listed twice. Filtering by id or
    /// time would avoid the shift, but it is amoCRM's paid add-on (§8.2, §17.2).
    pub async fn list_leads(&self, at: Access, limit: usize) -> Result<Vec<LeadSummary>> {
        let page_size = limit.clamp(1, MAX_PAGE);
        // Enough pages for `limit` and for a busy account's shifts, never an endless read.
        let max_pages = limit.div_ceil(page_size).saturating_mul(2).saturating_add(2);
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        let mut page = 1;
        while out.len() < limit && page <= max_pages {
            let (leads, has_next) = self.leads_page(at.clone(), page, page_size, "order[id]=desc").await?;
            let n = leads.len();
            for l in leads {
                if out.len() < limit && seen.insert(l.id) {
                    out.push(l);
                }
            }
            if !has_next || n == 0 {
                break;
            }
            page += 1;
        }
        Ok(out)
    }

    /// Every lead created in second `created_at` (to find a lead whose answer was lost): all of
    /// them, page after page — not a text search, not one page.
    pub async fn leads_created_at(&self, at: Access, created_at: i64) -> Result<Vec<LeadSummary>> {
        let filter = format!("filter[created_at][from]={created_at}&filter[created_at][to]={created_at}");
        let mut out = Vec::new();
        for page in 1..=MAX_RECONCILE_PAGES {
            let (leads, has_next) = self.leads_page(at.clone(), page, MAX_PAGE, &filter).await?;
            out.extend(leads);
            if !has_next {
                break;
            }
        }
        Ok(out)
    }

    /// `POST /api/v4/leads/complex` with one lead (and its contact).
    pub async fn add_lead_complex(&self, at: Access, lead: &Value) -> Result<ComplexResult> {
        let v = self
            .post_json(&at.domain, at.token.expose(), "/api/v4/leads/complex", &Value::Array(vec![lead.clone()]))
            .await?;
        let list: Vec<ComplexResult> = from_value(v, "complex add")?;
        list.into_iter().next().ok_or_else(|| Error::unexpected("empty answer to the complex add"))
    }

    /// `POST /api/v4/leads/unsorted/forms` with one incoming lead (docs/amocrm-api.md §8.13): the
    /// ids of the lead, contact and company it made.
    pub async fn add_unsorted_form(&self, at: Access, item: &Value) -> Result<ComplexResult> {
        self.add_unsorted(at, "forms", item).await
    }

    /// One incoming lead of `category` (`forms`, `sip`): `POST /api/v4/leads/unsorted/{category}`
    /// answers both the same way (docs/amocrm-api.md §8.13, §16).
    async fn add_unsorted(&self, at: Access, category: &str, item: &Value) -> Result<ComplexResult> {
        let path = format!("/api/v4/leads/unsorted/{category}");
        let v = self.post_json(&at.domain, at.token.expose(), &path, &Value::Array(vec![item.clone()])).await?;
        unsorted_made(&v)
    }

    /// `POST /api/v4/calls` with one call: the call note amoCRM wrote and the card it is on, or
    /// that amoCRM has no contact or company with the number (400 "Entity not found",
    /// docs/amocrm-api.md §16).
    pub async fn add_call(&self, at: Access, call: &Value) -> Result<CallLanding> {
        let body = Value::Array(vec![call.clone()]);
        let a = self.send(&at.domain, at.token.expose(), Method::POST, "/api/v4/calls", Some(&body)).await?;
        call_landing(a.status, &a.content_type, &a.body)
    }

    /// `POST /api/v4/leads/unsorted/sip` with one call (docs/amocrm-api.md §16): the incoming
    /// lead and contact it made.
    pub async fn add_unsorted_sip(&self, at: Access, item: &Value) -> Result<ComplexResult> {
        self.add_unsorted(at, "sip", item).await
    }

    /// Call notes (`call_in`, `call_out`) on `entity` (`leads`, `contacts`, `companies`) changed
    /// since `since`, with the call id each carries (to find a call whose answer was lost:
    /// calls cannot be read back, their notes can, docs/amocrm-api.md §16).
    pub async fn call_notes_since(&self, at: Access, entity: &str, since: i64) -> Result<Vec<CallNote>> {
        let mut out = Vec::new();
        for page in 1..=MAX_RECONCILE_PAGES {
            let path = format!(
                "/api/v4/{entity}/notes?filter%5Bnote_type%5D%5B%5D=call_in&filter%5Bnote_type%5D%5B%5D=call_out\
                 &filter%5Bupdated_at%5D%5Bfrom%5D={since}&page={page}&limit={MAX_PAGE}"
            );
            let Some(v) = self.get_json(&at.domain, at.token.expose(), &path).await? else { break };
            let (notes, has_next) = call_notes_page(v)?;
            out.extend(notes);
            if !has_next {
                break;
            }
        }
        Ok(out)
    }

    /// The incoming lead this app sent with `source_uid` (the entry's request id), if it still
    /// waits in the account's Incoming leads: looked for among the newest (docs/amocrm-api.md
    /// §8.13), to reconcile a form whose answer was lost.
    pub async fn unsorted_by_source_uid(
        &self,
        at: Access,
        category: &str,
        source_uid: &str,
    ) -> Result<Option<ComplexResult>> {
        for page in 1..=MAX_RECONCILE_PAGES {
            let path = format!(
                "/api/v4/leads/unsorted?filter%5Bcategory%5D={category}&order%5Bcreated_at%5D=desc&page={page}&limit={MAX_PAGE}"
            );
            let Some(v) = self.get_json(&at.domain, at.token.expose(), &path).await? else { return Ok(None) };
            let (found, has_next) = unsorted_page(v, source_uid)?;
            if found.is_some() {
                return Ok(found);
            }
            if !has_next {
                break;
            }
        }
        Ok(None)
    }

    /// A `common` (text) note on a lead; its id.
    pub async fn add_lead_note(&self, at: Access, lead_id: i64, text: &str) -> Result<i64> {
        let v = self
            .post_json(&at.domain, at.token.expose(), &format!("/api/v4/leads/{lead_id}/notes"), &wire::note_body(text))
            .await?;
        v.pointer("/_embedded/notes/0/id")
            .and_then(Value::as_i64)
            .ok_or_else(|| Error::unexpected("no note id in the answer"))
    }

    /// `POST /api/v4/tasks` with one task; its id (docs/amocrm-api.md §8.8).
    pub async fn add_task(&self, at: Access, task: &Value) -> Result<i64> {
        let v =
            self.post_json(&at.domain, at.token.expose(), "/api/v4/tasks", &Value::Array(vec![task.clone()])).await?;
        v.pointer("/_embedded/tasks/0/id")
            .and_then(Value::as_i64)
            .ok_or_else(|| Error::unexpected("no task id in the answer"))
    }

    /// The tasks on a lead (to reconcile a task whose answer was lost).
    pub async fn lead_tasks(&self, at: Access, lead_id: i64) -> Result<Vec<TaskSummary>> {
        let mut out = Vec::new();
        for page in 1..=MAX_RECONCILE_PAGES {
            let path = format!(
                "/api/v4/tasks?filter%5Bentity_type%5D=leads&filter%5Bentity_id%5D%5B%5D={lead_id}&page={page}&limit={MAX_PAGE}"
            );
            let Some(v) = self.get_json(&at.domain, at.token.expose(), &path).await? else { break };
            let (tasks, has_next) = tasks_page(v)?;
            out.extend(tasks);
            if !has_next {
                break;
            }
        }
        Ok(out)
    }

    /// One page of open tasks, soonest due first (docs/amocrm-api.md §18.1): `responsible`'s,
    /// or everyone's the token may see with `None`. No due-time filter: amoCRM documents none,
    /// so the caller sorts the days itself.
    pub async fn open_tasks_page(
        &self,
        at: Access,
        page: usize,
        responsible: Option<i64>,
    ) -> Result<(Vec<OpenTask>, bool)> {
        let whose = responsible.map(|id| format!("&filter[responsible_user_id]={id}")).unwrap_or_default();
        let path = format!(
            "/api/v4/tasks?filter[is_completed]=0&order[complete_till]=asc&page={page}&limit={MAX_PAGE}{whose}"
        );
        let Some(v) = self.get_json(&at.domain, at.token.expose(), &path).await? else {
            return Ok((Vec::new(), false));
        };
        wire::open_tasks_page(v)
    }

    /// One task as it is now (`GET /api/v4/tasks/{id}`, docs/amocrm-api.md §18.1); `None` when
    /// amoCRM has no such task (204).
    pub async fn task(&self, at: Access, id: i64) -> Result<Option<crate::domain::change::TaskNow>> {
        let Some(v) = self.get_json(&at.domain, at.token.expose(), &format!("/api/v4/tasks/{id}")).await? else {
            return Ok(None);
        };
        wire::task_now(&v).map(Some).ok_or_else(|| Error::unexpected("no task id in the answer"))
    }

    /// `PATCH /api/v4/tasks` with one task's change; the task's new `updated_at`
    /// (docs/amocrm-api.md §18.1).
    pub async fn change_task(&self, at: Access, change: &Value) -> Result<i64> {
        let body = Value::Array(vec![change.clone()]);
        let v = self.patch_json(&at.domain, at.token.expose(), "/api/v4/tasks", &body).await?;
        v.pointer("/_embedded/tasks/0/updated_at")
            .and_then(Value::as_i64)
            .ok_or_else(|| Error::unexpected("no updated_at in the answer"))
    }

    /// `PATCH /api/v4/leads` with one lead's change; the lead's new `updated_at`
    /// (docs/amocrm-api.md §18.2).
    pub async fn change_lead(&self, at: Access, change: &Value) -> Result<i64> {
        let body = Value::Array(vec![change.clone()]);
        let v = self.patch_json(&at.domain, at.token.expose(), "/api/v4/leads", &body).await?;
        v.pointer("/_embedded/leads/0/updated_at")
            .and_then(Value::as_i64)
            .ok_or_else(|| Error::unexpected("no updated_at in the answer"))
    }

    /// The account's reasons a lead is lost (`GET /api/v4/leads/loss_reasons`, §18.3); none
    /// (204) when it has none.
    pub async fn loss_reasons(&self, at: Access) -> Result<Vec<crate::domain::change::LossReason>> {
        let Some(v) = self.get_json(&at.domain, at.token.expose(), "/api/v4/leads/loss_reasons").await? else {
            return Ok(Vec::new());
        };
        Ok(wire::loss_reasons(v))
    }

    /// `POST /api/v4/companies` with one company; its new id (docs/amocrm-api.md §8.6).
    pub async fn add_company(&self, at: Access, company: &Value) -> Result<i64> {
        let v = self
            .post_json(&at.domain, at.token.expose(), "/api/v4/companies", &Value::Array(vec![company.clone()]))
            .await?;
        v.pointer("/_embedded/companies/0/id")
            .and_then(Value::as_i64)
            .ok_or_else(|| Error::unexpected("no company id in the answer"))
    }

    /// Every company created in second `created_at`, with the user who created each (to find a
    /// company whose answer was lost, as [`ApiClient::contacts_created_at`] does for contacts).
    pub async fn companies_created_at(&self, at: Access, created_at: i64) -> Result<Vec<(CompanyMatch, i64)>> {
        self.created_in_second(at, "companies", created_at, wire::company_match).await
    }

    /// Puts a contact in a company: `POST /api/v4/contacts/{id}/link` (amoCRM's entity links,
    /// docs/amocrm-api.md §8.14). Linking an already linked pair changes nothing.
    pub async fn link_contact_to_company(&self, at: Access, contact_id: i64, company_id: i64) -> Result<()> {
        let path = format!("/api/v4/contacts/{contact_id}/link");
        self.post_json(&at.domain, at.token.expose(), &path, &wire::company_link_body(company_id)).await.map(|_| ())
    }

    /// Companies amoCRM's `query` finds for a name (the company field's suggestions).
    pub async fn search_companies(&self, at: Access, query: &str) -> Result<Vec<CompanyMatch>> {
        let path = format!("/api/v4/companies?limit=20&query={}", urlencode(query));
        let Some(v) = self.get_json(&at.domain, at.token.expose(), &path).await? else { return Ok(Vec::new()) };
        company_matches(v)
    }

    /// The notes on a lead (to reconcile a note whose answer was lost).
    pub async fn lead_notes(&self, at: Access, lead_id: i64) -> Result<Vec<NoteSummary>> {
        let mut out = Vec::new();
        for page in 1..=20 {
            let path = format!("/api/v4/leads/{lead_id}/notes?page={page}&limit={MAX_PAGE}");
            let Some(v) = self.get_json(&at.domain, at.token.expose(), &path).await? else { break };
            let (notes, has_next) = notes_page(v)?;
            out.extend(notes);
            if !has_next {
                break;
            }
        }
        Ok(out)
    }

    /// The newest text note and call note on one card (`entity`: `leads`, `contacts`,
    /// `companies`), from its newest notes (the caller's card, docs/people-copy.md).
    pub async fn latest_notes(
        &self,
        at: Access,
        entity: &str,
        id: i64,
    ) -> Result<(Option<NoteBrief>, Option<CallBrief>)> {
        let path = format!("/api/v4/{entity}/{id}/notes?order%5Bupdated_at%5D=desc&limit=50");
        let Some(v) = self.get_json(&at.domain, at.token.expose(), &path).await? else { return Ok((None, None)) };
        Ok(wire::latest_notes(&embedded::<Value>(v, "notes")?))
    }

    /// Asks amoCRM where the account lives now (its subdomain may have been renamed). Must be
    /// called on the `api_domain` host from the access token, with the still-valid refresh token
    /// (docs/amocrm-api.md §6.3).
    pub async fn current_subdomain(&self, api_domain: &str, refresh_token: &Secret) -> Result<CurrentSubdomain> {
        let url = self.endpoints.account_url(api_domain, "/oauth2/account/current/subdomain")?;
        let mut req = self.http.get()?.get(url).header("X-Refresh-Token", refresh_token.expose());
        if let Some(host) = self.endpoints.host_header(api_domain) {
            req = req.header(reqwest::header::HOST, host);
        }
        let a = send_limited(&self.limiter, req).await?;
        tracing::info!(api_domain, status = a.status, "GET /oauth2/account/current/subdomain");
        match a.status {
            200 => from_value(parse(&a.body)?, "subdomain answer"),
            _ => Err(classify(a.status, &a.content_type, &a.body)),
        }
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Where `POST /api/v4/calls` put the call, from its answer (`ApiClient::add_call`): the call
/// note and its card, or that amoCRM has no contact or company with the number — a 200 whose
/// list holds no call but an "Entity not found" error, or a 400 saying so (docs/amocrm-api.md
/// §16); any other answer is an error as [`classify`] reads it. Public for the fuzz target
/// `calls_answer`.
pub fn call_landing(status: u16, content_type: &str, body: &str) -> Result<CallLanding> {
    let unknown = |v: &Value| {
        v.get("errors").and_then(Value::as_array).is_some_and(|e| {
            e.iter().any(|x| {
                x.get("title").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("Entity not found"))
            })
        })
    };
    match status {
        200 | 201 => {
            let v = parse(body)?;
            let Some(call) = v.pointer("/_embedded/calls/0") else {
                return if unknown(&v) {
                    Ok(CallLanding::UnknownNumber)
                } else {
                    Err(Error::unexpected("no call in the answer"))
                };
            };
            let id = call.get("id").and_then(Value::as_i64).ok_or_else(|| Error::unexpected("no call note id"))?;
            let entity_id = call
                .get("entity_id")
                .and_then(Value::as_i64)
                .or_else(|| call.pointer("/_embedded/entity/id").and_then(Value::as_i64))
                .ok_or_else(|| Error::unexpected("no card for the call"))?;
            // amoCRM's example names the card in the singular (`contact`); its PHP library
            // takes both: so does this.
            let entity = match call.get("entity_type").and_then(Value::as_str).unwrap_or("contact") {
                "lead" | "leads" => "leads",
                "company" | "companies" => "companies",
                _ => "contacts",
            }
            .to_string();
            Ok(CallLanding::Logged { note_id: id, entity, entity_id })
        }
        400 if serde_json::from_str::<Value>(body).is_ok_and(|v| unknown(&v)) => Ok(CallLanding::UnknownNumber),
        _ => Err(classify(status, content_type, body)),
    }
}

/// One page of call notes (`ApiClient::call_notes_since`): each note with an id and a card, with
/// the call id it carries (empty when none); whether there is a next page. Public for the fuzz
/// target `calls_answer`.
pub fn call_notes_page(v: Value) -> Result<(Vec<CallNote>, bool)> {
    let has_next = v.pointer("/_links/next").is_some();
    let mut out = Vec::new();
    for n in embedded::<Value>(v, "notes")? {
        let (Some(id), Some(entity_id)) =
            (n.get("id").and_then(Value::as_i64), n.get("entity_id").and_then(Value::as_i64))
        else {
            continue;
        };
        let uniq = n.pointer("/params/uniq").and_then(Value::as_str).unwrap_or_default().to_string();
        out.push(CallNote { id, entity_id, uniq });
    }
    Ok((out, has_next))
}

/// What [`ApiClient::account_settings`] takes from `GET /api/v4/account?with=datetime_settings,
/// task_types` (docs/amocrm-api.md §8.1, §11.14): the zone's name if it looks like an IANA name,
/// the offset if it parses, task types amoCRM describes as expected, `is_unsorted_on`. A missing
/// or garbled part is unknown (`None`, empty, false), never a made-up UTC. Public for fuzzing.
pub fn account_settings_answer(v: Option<&Value>) -> AccountSettings {
    let settings = v.and_then(|v| v.pointer("/_embedded/datetime_settings"));
    let text = |key: &str| settings.and_then(|s| s.get(key)).and_then(Value::as_str);
    let task_types = v
        .and_then(|v| v.pointer("/_embedded/task_types"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|t| serde_json::from_value::<TaskType>(t.clone()).ok()).collect())
        .unwrap_or_default();
    AccountSettings {
        timezone: text("timezone").and_then(wire::zone_name),
        timezone_offset_secs: text("timezone_offset").and_then(wire::parse_utc_offset),
        task_types,
        unsorted_on: v.and_then(|v| v.get("is_unsorted_on")).and_then(Value::as_bool).unwrap_or(false),
    }
}

/// One page of custom field definitions (`GET /api/v4/{entity}/custom_fields`, docs/amocrm-api.md
/// §8.11, §13), as [`ApiClient::custom_fields`] reads each page: the fields described as the app
/// expects, in amoCRM's order — one described oddly is left out (and logged), not the whole list —
/// and whether there is a next page. Public for the fuzz target `custom_fields`.
pub fn custom_fields_page(v: Value) -> Result<(Vec<CustomField>, bool)> {
    let has_next = v.pointer("/_links/next").is_some();
    let raw: Vec<Value> = embedded(v, "custom_fields")?;
    let fields = raw
        .into_iter()
        .filter_map(|f| match serde_json::from_value::<wire::RawCustomField>(f) {
            Ok(f) => Some(CustomField::from(f)),
            Err(e) => {
                tracing::warn!("a custom field was left out: {e}");
                None
            }
        })
        .collect();
    Ok((fields, has_next))
}

/// The companies of a search answer (`GET /api/v4/companies?query=…`, docs/amocrm-api.md §8.6),
/// as [`ApiClient::search_companies`] offers them: each with an id and a name, in amoCRM's order.
/// Public for the fuzz target `company_matches`.
pub fn company_matches(v: Value) -> Result<Vec<CompanyMatch>> {
    Ok(embedded::<Value>(v, "companies")?.iter().filter_map(wire::company_match).collect())
}

/// One page of a lead's tasks (`GET /api/v4/tasks?filter[entity_id]…`, docs/amocrm-api.md §8.8),
/// as [`ApiClient::lead_tasks`] reads it to reconcile a task: each task with an id and a due time,
/// and whether there is a next page. Public for the fuzz target `task_note_lists`.
pub fn tasks_page(v: Value) -> Result<(Vec<TaskSummary>, bool)> {
    let has_next = v.pointer("/_links/next").is_some();
    let tasks = embedded::<Value>(v, "tasks")?
        .iter()
        .filter_map(|t| {
            Some(TaskSummary {
                id: t.get("id")?.as_i64()?,
                text: t.get("text").and_then(Value::as_str).unwrap_or_default().to_string(),
                complete_till: t.get("complete_till")?.as_i64()?,
                created_by: t.get("created_by").and_then(Value::as_i64).unwrap_or_default(),
                created_at: t.get("created_at").and_then(Value::as_i64).unwrap_or_default(),
            })
        })
        .collect();
    Ok((tasks, has_next))
}

/// One page of a lead's notes (`GET /api/v4/leads/{id}/notes`, docs/amocrm-api.md §8.7), as
/// [`ApiClient::lead_notes`] reads it to reconcile a note: each note with an id and a type, and
/// whether there is a next page. Public for the fuzz target `task_note_lists`.
pub fn notes_page(v: Value) -> Result<(Vec<NoteSummary>, bool)> {
    let has_next = v.pointer("/_links/next").is_some();
    let notes = embedded::<Value>(v, "notes")?
        .iter()
        .filter_map(|n| {
            Some(NoteSummary {
                id: n.get("id")?.as_i64()?,
                note_type: n.get("note_type")?.as_str()?.to_string(),
                text: n.pointer("/params/text").and_then(Value::as_str).unwrap_or_default().to_string(),
                created_by: n.get("created_by").and_then(Value::as_i64).unwrap_or_default(),
                created_at: n.get("created_at").and_then(Value::as_i64).unwrap_or_default(),
            })
        })
        .collect();
    Ok((notes, has_next))
}

/// The ids an incoming lead's `_embedded` names (`{leads:[{id}], contacts:[{id}], companies:[{id}]}`,
/// docs/amocrm-api.md §8.13): `None` without a lead id.
fn incoming_ids(made: &Value) -> Option<ComplexResult> {
    let id_of = |key: &str| made.pointer(&format!("/{key}/0/id")).and_then(Value::as_i64);
    Some(ComplexResult {
        id: id_of("leads")?,
        contact_id: id_of("contacts"),
        company_id: id_of("companies"),
        merged: false,
        request_id: Vec::new(),
    })
}

/// What `POST /api/v4/leads/unsorted/{forms|sip}` made, from its 200 answer (docs/amocrm-api.md
/// §8.13, §16.3): the lead, contact and company of the first incoming lead. Public for the fuzz
/// target `unsorted_answer`.
pub fn unsorted_made(v: &Value) -> Result<ComplexResult> {
    let made = v
        .pointer("/_embedded/unsorted/0/_embedded")
        .ok_or_else(|| Error::unexpected("no incoming lead in the answer"))?;
    incoming_ids(made).ok_or_else(|| Error::unexpected("no lead id in the incoming lead"))
}

/// The first incoming lead sent with `source_uid` on one page of `GET /api/v4/leads/unsorted`
/// (docs/amocrm-api.md §8.13) that names its lead, as [`ApiClient::unsorted_by_source_uid`] looks
/// for it; whether there is a next page. Public for the fuzz target `unsorted_answer`.
pub fn unsorted_page(v: Value, source_uid: &str) -> Result<(Option<ComplexResult>, bool)> {
    let has_next = v.pointer("/_links/next").is_some();
    let found = embedded::<Value>(v, "unsorted")?
        .iter()
        .filter(|u| u.get("source_uid").and_then(Value::as_str) == Some(source_uid))
        .find_map(|u| incoming_ids(u.get("_embedded")?));
    Ok((found, has_next))
}

/// Maps a failed API response to a specific error.
pub fn classify(status: u16, content_type: &str, body: &str) -> Error {
    if is_html_ban(status, content_type, body) {
        return AmoError::AccountBanned.into();
    }
    match status {
        204 => Error::unexpected("no content"),
        400 => match wire::validation_problems(body) {
            Some(problems) => Error::validation(wire::field_errors(&problems, str::to_string)),
            None => AmoError::RequestRefused { status, hint: Problem::parse(body).summary() }.into(),
        },
        401 => AmoError::Unauthorized.into(),
        402 => AmoError::NotPaid.into(),
        403 => AmoError::Forbidden { hint: Problem::parse(body).summary() }.into(),
        404 => AmoError::AmoNotFound { hint: Problem::parse(body).summary() }.into(),
        429 => AmoError::RateLimited.into(),
        500..=599 => AmoError::ServerError { status }.into(),
        // 408 is the connection's problem, not the request's: worth retrying.
        408 => AmoError::Network { problem: crate::error::NetworkProblem::TimedOut }.into(),
        405..=499 => AmoError::RequestRefused { status, hint: Problem::parse(body).summary() }.into(),
        _ => Error::unexpected(format!("HTTP {status}: {}", Problem::parse(body).summary())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldCode;

    #[test]
    fn errors_are_classified_by_status_and_body() {
        let code = |s, ct, b| classify(s, ct, b).code().as_str();
        assert_eq!(code(403, "text/html", "<html>403</html>"), "account_banned");
        assert_eq!(code(403, "application/problem+json", r#"{"title":"Forbidden"}"#), "forbidden");
        assert_eq!(code(429, "", ""), "rate_limited");
        assert_eq!(code(402, "application/problem+json", "{}"), "not_paid");
        assert_eq!(code(503, "text/html", "<html/>"), "server_error");
        let body = r#"{"validation-errors":[{"request_id":"0","errors":[{"code":"NotSupportedChoice","path":"status_id","detail":"The value you selected is not a valid choice."}]}],"title":"Bad Request","status":400}"#;
        let e = classify(400, "application/problem+json", body);
        let fields = e.fields().expect("validation");
        assert_eq!((fields[0].field.as_str(), fields[0].code), ("status_id", FieldCode::NotAChoice));
        assert_eq!(code(400, "application/problem+json", r#"{"detail":"x"}"#), "request_refused");
        assert_eq!(code(413, "text/html", "<html>413 Request Entity Too Large</html>"), "request_refused");
        assert_eq!(code(408, "", ""), "network");
        assert_eq!(code(302, "", ""), "unexpected_response");
    }
}
