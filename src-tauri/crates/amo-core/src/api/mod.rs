//! amoCRM REST API v4: what a lead-entry client needs (shared/amocrm-api.md §6). Responses are
//! HAL JSON, an empty list is 204 (an empty list here, never an error — §9 #7), errors are
//! problem+json, except the rate-abuse ban (403 with an nginx HTML page, §7). Every call waits
//! for the process's [`limiter::RateLimiter`] first.

pub mod limiter;

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::endpoints::Endpoints;
use crate::error::{Error, Result};
use crate::http::{is_html_ban, network_error, Answer, Problem};
use crate::model::FieldError;
use limiter::RateLimiter;

/// After a 429 every caller of this process pauses this long.
const BACK_OFF_ON_429: Duration = Duration::from_secs(2);
/// `limit` on list requests: amoCRM's maximum (§6.3).
pub const MAX_PAGE: usize = 250;

/// The part of `GET /api/v4/account` the app shows and keeps.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct AccountInfo {
    pub id: i64,
    pub name: String,
    pub subdomain: String,
    #[serde(default)]
    pub current_user_id: Option<i64>,
}

/// What `/oauth2/account/current/subdomain` answers.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct CurrentSubdomain {
    pub id: i64,
    pub subdomain: String,
    pub domain: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct PipelineStatus {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    #[ts(type = "number")]
    pub sort: i64,
    pub color: String,
    /// 1 = the "unsorted" stage.
    #[serde(rename = "type")]
    #[ts(rename = "type", type = "number")]
    pub kind: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct Pipeline {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    #[ts(type = "number")]
    pub sort: i64,
    pub is_main: bool,
    #[serde(default)]
    pub is_archive: bool,
    pub statuses: Vec<PipelineStatus>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct User {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
}

/// An existing contact as the duplicate check shows it.
#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct ContactMatch {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
}

/// A lead as `lead list` shows it.
#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct LeadSummary {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    #[ts(type = "number")]
    pub price: i64,
    #[ts(type = "number")]
    pub pipeline_id: i64,
    #[ts(type = "number")]
    pub status_id: i64,
    #[ts(type = "number")]
    pub responsible_user_id: i64,
    #[ts(type = "number")]
    pub created_at: i64,
    #[ts(type = "number[]")]
    pub contact_ids: Vec<i64>,
}

/// One element of `/leads/complex`'s plain-array answer (§6.5).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ComplexResult {
    pub id: i64,
    #[serde(default)]
    pub contact_id: Option<i64>,
    #[serde(default)]
    pub merged: bool,
    #[serde(default)]
    pub request_id: Vec<String>,
}

/// A note on a lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSummary {
    pub id: i64,
    pub note_type: String,
    pub text: String,
}

pub struct ApiClient {
    http: reqwest::Client,
    endpoints: Endpoints,
    limiter: Arc<RateLimiter>,
}

impl ApiClient {
    pub fn new(http: reqwest::Client, endpoints: Endpoints, limiter: Arc<RateLimiter>) -> ApiClient {
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
        let mut req = self.http.request(method.clone(), url).bearer_auth(token);
        if let Some(host) = self.endpoints.host_header(domain) {
            req = req.header(reqwest::header::HOST, host);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        self.limiter.acquire().await;
        let a = Answer::read(req.send().await.map_err(network_error)?).await?;
        tracing::info!(
            domain,
            method = method.as_str(),
            path = path.split('?').next().unwrap_or_default(),
            status = a.status,
            request_id = a.request_id.as_deref().unwrap_or("-"),
            "amoCRM API"
        );
        if a.status == 429 {
            self.limiter.back_off(BACK_OFF_ON_429).await;
        }
        Ok(a)
    }

    /// A GET whose 200 body is JSON; 204 → `None`.
    async fn get_json(&self, domain: &str, token: &str, path: &str) -> Result<Option<Value>> {
        let a = self.send(domain, token, Method::GET, path, None).await?;
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

    pub async fn account(&self, domain: &str, access_token: &str) -> Result<AccountInfo> {
        let v = self.get_json(domain, access_token, "/api/v4/account").await?;
        from_value(v.ok_or_else(|| Error::UnexpectedResponse("no content for the account".into()))?, "account")
    }

    /// Pipelines with their statuses (embedded by default, §6.8); archived ones left out.
    pub async fn pipelines(&self, domain: &str, token: &str) -> Result<Vec<Pipeline>> {
        #[derive(Deserialize)]
        struct Raw {
            id: i64,
            name: String,
            #[serde(default)]
            sort: i64,
            #[serde(default)]
            is_main: bool,
            #[serde(default)]
            is_archive: bool,
            #[serde(rename = "_embedded", default)]
            embedded: RawStatuses,
        }
        #[derive(Deserialize, Default)]
        struct RawStatuses {
            #[serde(default)]
            statuses: Vec<PipelineStatus>,
        }
        let Some(v) = self.get_json(domain, token, "/api/v4/leads/pipelines").await? else { return Ok(Vec::new()) };
        let raw: Vec<Raw> = embedded(v, "pipelines")?;
        let mut list: Vec<Pipeline> = raw
            .into_iter()
            .filter(|p| !p.is_archive)
            .map(|p| {
                let mut statuses = p.embedded.statuses;
                statuses.sort_by_key(|s| s.sort);
                Pipeline { id: p.id, name: p.name, sort: p.sort, is_main: p.is_main, is_archive: false, statuses }
            })
            .collect();
        list.sort_by_key(|p| (!p.is_main, p.sort));
        Ok(list)
    }

    /// Users of the account (admins only: others get 403 → [`Error::Forbidden`], §6.9).
    pub async fn users(&self, domain: &str, token: &str) -> Result<Vec<User>> {
        let mut all = Vec::new();
        for page in 1..=20 {
            let path = format!("/api/v4/users?page={page}&limit={MAX_PAGE}");
            let Some(v) = self.get_json(domain, token, &path).await? else { break };
            let has_next = v.pointer("/_links/next").is_some();
            all.extend(embedded::<User>(v, "users")?);
            if !has_next {
                break;
            }
        }
        Ok(all)
    }

    /// Contacts amoCRM's full-text `query` finds (fuzzy; the caller re-checks, §6.6).
    pub async fn search_contacts(&self, domain: &str, token: &str, query: &str) -> Result<Vec<ContactMatch>> {
        let path = format!("/api/v4/contacts?limit=50&query={}", urlencode(query));
        let Some(v) = self.get_json(domain, token, &path).await? else { return Ok(Vec::new()) };
        Ok(embedded::<Value>(v, "contacts")?.iter().filter_map(contact_match).collect())
    }

    /// Recent contacts, newest first (used to reconcile a contact whose answer was lost).
    pub async fn recent_contacts(
        &self,
        domain: &str,
        token: &str,
        query: Option<&str>,
    ) -> Result<Vec<(ContactMatch, i64)>> {
        let path = match query {
            Some(q) => format!("/api/v4/contacts?limit={MAX_PAGE}&query={}", urlencode(q)),
            None => format!("/api/v4/contacts?limit={MAX_PAGE}&order[id]=desc"),
        };
        let Some(v) = self.get_json(domain, token, &path).await? else { return Ok(Vec::new()) };
        Ok(embedded::<Value>(v, "contacts")?
            .iter()
            .filter_map(|c| Some((contact_match(c)?, c.get("created_at")?.as_i64()?)))
            .collect())
    }

    /// `POST /api/v4/contacts` with one contact; its new id.
    pub async fn add_contact(&self, domain: &str, token: &str, contact: &Value) -> Result<i64> {
        let v = self.post_json(domain, token, "/api/v4/contacts", &Value::Array(vec![contact.clone()])).await?;
        v.pointer("/_embedded/contacts/0/id")
            .and_then(Value::as_i64)
            .ok_or_else(|| Error::UnexpectedResponse("no contact id in the answer".into()))
    }

    /// One page of leads, newest first; `query` is amoCRM's full-text search.
    pub async fn leads_page(
        &self,
        domain: &str,
        token: &str,
        page: usize,
        limit: usize,
        query: Option<&str>,
        order: &str,
    ) -> Result<(Vec<LeadSummary>, bool)> {
        let mut path = format!("/api/v4/leads?with=contacts&page={page}&limit={}&{order}", limit.clamp(1, MAX_PAGE));
        if let Some(q) = query {
            path.push_str(&format!("&query={}", urlencode(q)));
        }
        let Some(v) = self.get_json(domain, token, &path).await? else { return Ok((Vec::new(), false)) };
        let has_next = v.pointer("/_links/next").is_some();
        let leads = embedded::<Value>(v, "leads")?.iter().filter_map(lead_summary).collect();
        Ok((leads, has_next))
    }

    /// Up to `limit` newest leads, page after page (`lead list`).
    pub async fn list_leads(&self, domain: &str, token: &str, limit: usize) -> Result<Vec<LeadSummary>> {
        let mut out = Vec::new();
        let mut page = 1;
        while out.len() < limit {
            let want = (limit - out.len()).min(MAX_PAGE);
            let (mut leads, has_next) =
                self.leads_page(domain, token, page, want, None, "order[created_at]=desc").await?;
            let n = leads.len();
            leads.truncate(want);
            out.append(&mut leads);
            if !has_next || n == 0 {
                break;
            }
            page += 1;
        }
        Ok(out)
    }

    /// `POST /api/v4/leads/complex` with one lead (and its contact).
    pub async fn add_lead_complex(&self, domain: &str, token: &str, lead: &Value) -> Result<ComplexResult> {
        let v = self.post_json(domain, token, "/api/v4/leads/complex", &Value::Array(vec![lead.clone()])).await?;
        let list: Vec<ComplexResult> = from_value(v, "complex add")?;
        list.into_iter().next().ok_or_else(|| Error::UnexpectedResponse("empty answer to the complex add".into()))
    }

    /// A `common` (text) note on a lead; its id.
    pub async fn add_lead_note(&self, domain: &str, token: &str, lead_id: i64, text: &str) -> Result<i64> {
        let body = serde_json::json!([{"note_type": "common", "params": {"text": text}}]);
        let v = self.post_json(domain, token, &format!("/api/v4/leads/{lead_id}/notes"), &body).await?;
        v.pointer("/_embedded/notes/0/id")
            .and_then(Value::as_i64)
            .ok_or_else(|| Error::UnexpectedResponse("no note id in the answer".into()))
    }

    /// The notes on a lead (to reconcile a note whose answer was lost).
    pub async fn lead_notes(&self, domain: &str, token: &str, lead_id: i64) -> Result<Vec<NoteSummary>> {
        let mut out = Vec::new();
        for page in 1..=20 {
            let path = format!("/api/v4/leads/{lead_id}/notes?page={page}&limit={MAX_PAGE}");
            let Some(v) = self.get_json(domain, token, &path).await? else { break };
            let has_next = v.pointer("/_links/next").is_some();
            out.extend(embedded::<Value>(v, "notes")?.iter().filter_map(|n| {
                Some(NoteSummary {
                    id: n.get("id")?.as_i64()?,
                    note_type: n.get("note_type")?.as_str()?.to_string(),
                    text: n.pointer("/params/text").and_then(Value::as_str).unwrap_or_default().to_string(),
                })
            }));
            if !has_next {
                break;
            }
        }
        Ok(out)
    }

    /// Asks amoCRM where the account lives now (its subdomain may have been renamed). Must be
    /// called on the `api_domain` host from the access token, with the still-valid refresh token
    /// (shared/amocrm-api.md §5).
    pub async fn current_subdomain(&self, api_domain: &str, refresh_token: &str) -> Result<CurrentSubdomain> {
        let url = self.endpoints.account_url(api_domain, "/oauth2/account/current/subdomain")?;
        let mut req = self.http.get(url).header("X-Refresh-Token", refresh_token);
        if let Some(host) = self.endpoints.host_header(api_domain) {
            req = req.header(reqwest::header::HOST, host);
        }
        let a = Answer::read(req.send().await.map_err(network_error)?).await?;
        tracing::info!(api_domain, status = a.status, "GET /oauth2/account/current/subdomain");
        match a.status {
            200 => from_value(parse(&a.body)?, "subdomain answer"),
            _ => Err(classify(a.status, &a.content_type, &a.body)),
        }
    }
}

fn parse(body: &str) -> Result<Value> {
    serde_json::from_str(body).map_err(|e| Error::UnexpectedResponse(format!("the answer is not JSON ({e})")))
}

fn from_value<T: serde::de::DeserializeOwned>(v: Value, what: &str) -> Result<T> {
    serde_json::from_value(v).map_err(|e| Error::UnexpectedResponse(format!("{what} is not the expected JSON ({e})")))
}

/// `_embedded.{key}` of a HAL collection.
fn embedded<T: serde::de::DeserializeOwned>(mut v: Value, key: &str) -> Result<Vec<T>> {
    match v.pointer_mut(&format!("/_embedded/{key}")) {
        Some(list) => from_value(list.take(), key),
        None => Err(Error::UnexpectedResponse(format!("no _embedded.{key} in the answer"))),
    }
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

fn contact_match(c: &Value) -> Option<ContactMatch> {
    Some(ContactMatch {
        id: c.get("id")?.as_i64()?,
        name: c.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
        phones: multitext(c, "PHONE"),
        emails: multitext(c, "EMAIL"),
    })
}

fn lead_summary(l: &Value) -> Option<LeadSummary> {
    let int = |k: &str| l.get(k).and_then(Value::as_i64).unwrap_or(0);
    Some(LeadSummary {
        id: l.get("id")?.as_i64()?,
        name: l.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
        price: int("price"),
        pipeline_id: int("pipeline_id"),
        status_id: int("status_id"),
        responsible_user_id: int("responsible_user_id"),
        created_at: int("created_at"),
        contact_ids: l
            .pointer("/_embedded/contacts")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|c| c.get("id").and_then(Value::as_i64)).collect())
            .unwrap_or_default(),
    })
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Maps a failed API response to a specific error.
pub fn classify(status: u16, content_type: &str, body: &str) -> Error {
    if is_html_ban(status, content_type, body) {
        return Error::AccountBanned;
    }
    match status {
        204 => Error::UnexpectedResponse("no content".into()),
        400 => match validation_errors(body) {
            Some(errors) => Error::Validation(errors),
            None => Error::UnexpectedResponse(format!("HTTP 400: {}", Problem::parse(body).summary())),
        },
        401 => Error::Unauthorized,
        402 => Error::UnexpectedResponse("the amoCRM account is not paid (402)".into()),
        403 => Error::Forbidden(Problem::parse(body).summary()),
        404 => Error::NotFound(Problem::parse(body).summary()),
        429 => Error::RateLimited,
        500..=599 => Error::ServerError(status),
        _ => Error::UnexpectedResponse(format!("HTTP {status}: {}", Problem::parse(body).summary())),
    }
}

/// amoCRM's `validation-errors` (§7) with the raw `path` as the field; callers that know the
/// request map paths onto form fields.
fn validation_errors(body: &str) -> Option<Vec<FieldError>> {
    let v: Value = serde_json::from_str(body).ok()?;
    let items = v.get("validation-errors")?.as_array()?;
    let errors: Vec<FieldError> = items
        .iter()
        .flat_map(|i| i.get("errors").and_then(Value::as_array).cloned().unwrap_or_default())
        .map(|e| {
            let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
            FieldError { field: s("path"), code: s("code"), message: s("detail") }
        })
        .collect();
    (!errors.is_empty()).then_some(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_classified_by_status_and_body() {
        assert!(matches!(classify(403, "text/html", "<html>403</html>"), Error::AccountBanned));
        assert!(matches!(classify(403, "application/problem+json", r#"{"title":"Forbidden"}"#), Error::Forbidden(_)));
        assert!(matches!(classify(429, "", ""), Error::RateLimited));
        assert!(matches!(classify(503, "text/html", "<html/>"), Error::ServerError(503)));
        let body = r#"{"validation-errors":[{"request_id":"0","errors":[{"code":"NotSupportedChoice","path":"status_id","detail":"The value you selected is not a valid choice."}]}],"title":"Bad Request","status":400}"#;
        match classify(400, "application/problem+json", body) {
            Error::Validation(e) => {
                assert_eq!(e.len(), 1);
                assert_eq!((e[0].field.as_str(), e[0].code.as_str()), ("status_id", "NotSupportedChoice"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(classify(400, "application/problem+json", r#"{"detail":"x"}"#), Error::UnexpectedResponse(_)));
    }
}
