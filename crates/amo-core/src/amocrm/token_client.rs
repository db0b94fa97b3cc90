//! `POST https://{account host}/oauth2/access_token` for the `authorization_code` grant (and the
//! `refresh_token` grant used by the session manager). Errors are classified by HTTP status first
//! and by amoCRM's `hint` second, because hints are not a documented contract
//! (docs/amocrm-api.md §4.4–4.5).

use serde::{Deserialize, Serialize};

use std::sync::Arc;

use super::endpoints::Endpoints;
use super::http::{is_html_ban, send_limited, Answer, LazyClient, Problem};
use super::limiter::RateLimiter;
use crate::domain::secret::Secret;
use crate::domain::tokens::TokenSet;
use crate::error::{shown, AmoError, Error, Result, SignInError};

/// What the token endpoint needs besides the grant itself.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: Secret,
    pub redirect_uri: String,
}

#[derive(Serialize)]
struct TokenRequest<'a> {
    client_id: &'a str,
    client_secret: &'a str,
    grant_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    redirect_uri: &'a str,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: i64,
    #[serde(default)]
    token_type: Option<String>,
}

/// The longest token lifetime amoCRM issues, with room to spare: five years and a day.
pub const MAX_LIFETIME_SECS: i64 = (5 * 366 + 1) * 24 * 3600;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Grant {
    AuthorizationCode,
    RefreshToken,
}

pub struct TokenClient {
    http: LazyClient,
    endpoints: Endpoints,
    /// Token requests count toward amoCRM's limit like any other (docs/amocrm-api.md §9).
    limiter: Arc<RateLimiter>,
}

impl TokenClient {
    pub fn new(http: LazyClient, endpoints: Endpoints, limiter: Arc<RateLimiter>) -> TokenClient {
        TokenClient { http, endpoints, limiter }
    }

    pub async fn exchange_code(
        &self,
        domain: &str,
        creds: &ClientCredentials,
        code: &Secret,
        now: i64,
    ) -> Result<TokenSet> {
        let req = TokenRequest {
            client_id: &creds.client_id,
            client_secret: creds.client_secret.expose(),
            grant_type: "authorization_code",
            code: Some(code.expose()),
            refresh_token: None,
            redirect_uri: &creds.redirect_uri,
        };
        self.post(domain, &req, Grant::AuthorizationCode, now).await
    }

    pub async fn refresh(
        &self,
        domain: &str,
        creds: &ClientCredentials,
        refresh_token: &Secret,
        now: i64,
    ) -> Result<TokenSet> {
        let req = TokenRequest {
            client_id: &creds.client_id,
            client_secret: creds.client_secret.expose(),
            grant_type: "refresh_token",
            code: None,
            refresh_token: Some(refresh_token.expose()),
            redirect_uri: &creds.redirect_uri,
        };
        self.post(domain, &req, Grant::RefreshToken, now).await
    }

    async fn post(&self, domain: &str, req: &TokenRequest<'_>, grant: Grant, now: i64) -> Result<TokenSet> {
        let url = self.endpoints.account_url(domain, "/oauth2/access_token")?;
        tracing::info!(domain, grant = ?grant, "token request");
        let mut request = self.http.get()?.post(url).json(req);
        if let Some(host) = self.endpoints.host_header(domain) {
            request = request.header(reqwest::header::HOST, host);
        }
        let Answer { status, content_type, body, .. } = send_limited(&self.limiter, request).await?;
        if status == 200 {
            let tokens = token_set_from_answer(body, now)?;
            tracing::info!(domain, expires_at = tokens.expires_at, "token granted");
            return Ok(tokens);
        }
        let err = classify(status, &content_type, &body, grant);
        tracing::warn!(domain, status, code = %err.code(), "token request failed");
        Err(err)
    }
}

/// The tokens in a 200 answer of the token endpoint, with amoCRM's whole answer kept as `raw`.
/// Public so the fuzz target `fuzz/fuzz_targets/token_answer.rs` runs exactly this code: the
/// body comes from the network, and whatever it holds must end in tokens or a typed error.
pub fn token_set_from_answer(body: String, now: i64) -> Result<TokenSet> {
    let t: TokenResponse = serde_json::from_str(&body)
        .map_err(|e| Error::unexpected(format!("token response is not the expected JSON ({e})")))?;
    if t.token_type.as_deref().is_some_and(|tt| !tt.eq_ignore_ascii_case("bearer")) {
        return Err(Error::unexpected("token type is not Bearer"));
    }
    if t.access_token.is_empty() || t.expires_in <= 0 {
        return Err(Error::unexpected("empty access token or lifetime"));
    }
    Ok(TokenSet {
        access_token: Secret::new(t.access_token),
        refresh_token: t.refresh_token.filter(|r| !r.is_empty()).map(Secret::new),
        // A lifetime beyond the longest amoCRM issues (a 5-year long-lived token) is not
        // believed: it would only overflow or keep a dead token "valid".
        expires_at: now.saturating_add(t.expires_in.min(MAX_LIFETIME_SECS)),
        raw: Some(Secret::new(body)),
        obtained_at: now,
    })
}

/// Maps a failed token response to a specific error.
pub fn classify(status: u16, content_type: &str, body: &str, grant: Grant) -> Error {
    if is_html_ban(status, content_type, body) {
        return AmoError::AccountBanned.into();
    }
    match status {
        429 => return AmoError::RateLimited.into(),
        500..=599 => return AmoError::ServerError { status }.into(),
        _ => {}
    }
    let p = Problem::parse(body);
    let hint = p.hint.clone().unwrap_or_default().to_ascii_lowercase();
    let detail = format!("{} {}", p.title.as_deref().unwrap_or(""), p.detail.as_deref().unwrap_or("")).to_lowercase();
    if hint.contains("client_id") || detail.contains("некорректный клиент") || hint.contains("client authentication")
    {
        return SignInError::InvalidClientId.into();
    }
    if hint.contains("client_secret") {
        return SignInError::InvalidClientSecret.into();
    }
    if hint.contains("redirect uri") || hint.contains("redirect_uri") {
        return SignInError::RedirectUriMismatch.into();
    }
    match grant {
        Grant::AuthorizationCode => {
            if hint.contains("has expired") {
                return SignInError::CodeExpired.into();
            }
            if hint.contains("has been revoked") {
                return SignInError::CodeRevoked.into();
            }
            if hint.contains("decrypt") || hint.contains("authorization code") {
                return SignInError::CodeInvalid.into();
            }
        }
        Grant::RefreshToken => {
            if status == 400 || status == 401 {
                return SignInError::TokenRevoked { hint: Some(p.summary()) }.into();
            }
        }
    }
    if (400..500).contains(&status) {
        SignInError::TokenRejected { status, hint: shown(&p.summary(), 160) }.into()
    } else {
        Error::unexpected(format!("HTTP {status} from the token endpoint"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(hint: &str) -> String {
        format!(
            r#"{{"hint":"{hint}","title":"Некорректный запрос","type":"https://developers.amocrm.ru/v3/errors/OAuthProblemJson","status":400,"detail":"x"}}"#
        )
    }

    #[test]
    fn classifies_amocrm_hints() {
        let pj = "application/problem+json";
        let c = |s, h: &str, g| classify(s, pj, &body(h), g).code().as_str();
        assert_eq!(c(400, "Check the `client_id` parameter", Grant::AuthorizationCode), "invalid_client_id");
        assert_eq!(c(400, "Check the `client_secret` parameter", Grant::AuthorizationCode), "invalid_client_secret");
        assert_eq!(
            c(400, "Redirect URI is not associated with client", Grant::AuthorizationCode),
            "redirect_uri_mismatch"
        );
        assert_eq!(c(400, "Authorization code has expired", Grant::AuthorizationCode), "code_expired");
        assert_eq!(c(400, "Authorization code has been revoked", Grant::AuthorizationCode), "code_revoked");
        assert_eq!(c(400, "Cannot decrypt the authorization code", Grant::AuthorizationCode), "code_invalid");
        assert_eq!(c(401, "Token has been revoked", Grant::RefreshToken), "token_revoked");
        assert_eq!(c(400, "Something new", Grant::AuthorizationCode), "token_rejected");
    }

    #[test]
    fn status_comes_before_hint() {
        assert_eq!(
            classify(403, "text/html", "<html>403 Forbidden</html>", Grant::RefreshToken).code().as_str(),
            "account_banned"
        );
        assert_eq!(classify(429, "", "", Grant::AuthorizationCode).code().as_str(), "rate_limited");
        assert_eq!(
            classify(502, "text/html", "<html>bad gateway</html>", Grant::AuthorizationCode).code().as_str(),
            "server_error"
        );
        assert_eq!(classify(403, "application/json", "{}", Grant::AuthorizationCode).code().as_str(), "token_rejected");
    }
}
