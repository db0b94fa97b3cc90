//! amoCRM REST API v4. This issue needs only `GET /api/v4/account`; lead and contact calls join
//! it later. Responses are HAL JSON; errors are problem+json, except the rate-abuse ban (403 with
//! an nginx HTML page) — see shared/amocrm-api.md §6–7.

use serde::Deserialize;

use crate::endpoints::Endpoints;
use crate::error::{Error, Result};
use crate::http::{is_html_ban, network_error, Problem};

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
        let resp = self.http.get(url).bearer_auth(access_token).send().await.map_err(network_error)?;
        let status = resp.status().as_u16();
        let request_id = resp.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_string);
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = resp.text().await.map_err(network_error)?;
        tracing::info!(domain, status, request_id = request_id.as_deref().unwrap_or("-"), "GET /api/v4/account");
        match status {
            200 => serde_json::from_str(&body)
                .map_err(|e| Error::UnexpectedResponse(format!("account is not the expected JSON ({e})"))),
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
