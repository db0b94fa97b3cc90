//! amoCRM REST API v4. This issue needs only `GET /api/v4/account`; lead and contact calls join
//! it later. Responses are HAL JSON; errors are problem+json, except the rate-abuse ban (403 with
//! an nginx HTML page) — see shared/amocrm-api.md §6–7.

use serde::Deserialize;

use crate::endpoints::Endpoints;
use crate::error::{Error, Result};
use crate::http::{is_html_ban, network_error, Answer, Problem};

/// The part of `GET /api/v4/account` the app shows and keeps.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct AccountInfo {
    pub id: i64,
    pub name: String,
    pub subdomain: String,
    #[serde(default)]
    pub current_user_id: Option<i64>,
}

pub struct ApiClient {
    http: reqwest::Client,
    endpoints: Endpoints,
}

impl ApiClient {
    pub fn new(http: reqwest::Client, endpoints: Endpoints) -> ApiClient {
        ApiClient { http, endpoints }
    }

    pub async fn account(&self, domain: &str, access_token: &str) -> Result<AccountInfo> {
        let url = self.endpoints.account_url(domain, "/api/v4/account")?;
        let mut req = self.http.get(url).bearer_auth(access_token);
        if let Some(host) = self.endpoints.host_header(domain) {
            req = req.header(reqwest::header::HOST, host);
        }
        let a = Answer::read(req.send().await.map_err(network_error)?).await?;
        tracing::info!(
            domain,
            status = a.status,
            request_id = a.request_id.as_deref().unwrap_or("-"),
            "GET /api/v4/account"
        );
        match a.status {
            200 => serde_json::from_str(&a.body)
                .map_err(|e| Error::UnexpectedResponse(format!("account is not the expected JSON ({e})"))),
            _ => Err(classify(a.status, &a.content_type, &a.body)),
        }
    }
}

/// What `/oauth2/account/current/subdomain` answers.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct CurrentSubdomain {
    pub id: i64,
    pub subdomain: String,
    pub domain: String,
}

impl ApiClient {
    /// Asks amoCRM where the account lives now (its subdomain may have been renamed). Must be
    /// called on the `api_domain` host from the access token, with the still-valid refresh token
    /// (shared/amocrm-api.md §5).
    pub async fn current_subdomain(&self, api_domain: &str, refresh_token: &str) -> Result<CurrentSubdomain> {
        let url = self.endpoints.account_url(api_domain, "/oauth2/account/current/subdomain")?;
        let mut req = self.http.get(url).header("X-Refresh-Token", refresh_token);
        if let Some(host) = self.endpoints.host_header(api_domain) {
            req = req.header(reqwest::header::HOST, host);
        }
        let resp = req.send().await.map_err(network_error)?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = resp.text().await.map_err(network_error)?;
        tracing::info!(api_domain, status, "GET /oauth2/account/current/subdomain");
        match status {
            200 => serde_json::from_str(&body)
                .map_err(|e| Error::UnexpectedResponse(format!("subdomain answer is not the expected JSON ({e})"))),
            _ => Err(classify(status, &content_type, &body)),
        }
    }
}

/// Maps a failed API response to a specific error.
pub fn classify(status: u16, content_type: &str, body: &str) -> Error {
    if is_html_ban(status, content_type, body) {
        return Error::AccountBanned;
    }
    match status {
        204 => Error::UnexpectedResponse("no content".into()),
        401 => Error::Unauthorized,
        429 => Error::RateLimited,
        500..=599 => Error::ServerError(status),
        _ => Error::UnexpectedResponse(format!("HTTP {status}: {}", Problem::parse(body).summary())),
    }
}
