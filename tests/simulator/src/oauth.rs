//! OAuth 2.0 as amoCRM does it, and the bearer check of the API:
//!
//! - `GET /oauth?client_id&state&mode` — the authorize page with Allow / Deny (or an automatic
//!   decision for tests), redirecting to the registered Redirect URI with
//!   `code, state, referer, platform` or `error=access_denied` (docs/amocrm-api.md §2–3);
//! - `POST /oauth2/access_token` — both grants, JSON or form bodies, exact `redirect_uri` match,
//!   single-use 20-minute codes, single-use rotating refresh tokens, JWT-shaped access tokens,
//!   problem+json errors with amoCRM's `hint` values (docs/amocrm-api.md §4); long-lived tokens
//!   as the integration's Keys tab generates them;
//! - the bearer check every `/api/v4/*` handler makes: 401 problem+json on a bad or expired
//!   token, or on a host that is no longer the account's.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use base64::Engine;
use rand::{Rng, RngCore};
use serde::Deserialize;
use serde_json::json;

use crate::config::{Decision, SimConfig, SimPlatform};
use crate::problem::problem_response;
use crate::state::{now, random_hex, uuid_like, Inner, Shared};

// ---------------------------------------------------------------- authorize page

#[derive(Deserialize)]
pub(crate) struct AuthorizeQuery {
    client_id: Option<String>,
    state: Option<String>,
    mode: Option<String>,
}

pub(crate) async fn authorize_page(State(s): State<Shared>, Query(q): Query<AuthorizeQuery>) -> Response {
    let mut inner = s.lock();
    inner.stats.authorize_pages += 1;
    let cfg = inner.cfg.clone();
    if q.client_id.as_deref() != Some(cfg.client_id.as_str()) {
        return (
            StatusCode::BAD_REQUEST,
            Html("<!doctype html><meta charset=utf-8><title>amoCRM</title><h1>Интеграция не найдена</h1><p>Integration not found: check client_id.</p>".to_string()),
        )
            .into_response();
    }
    if let Some(mode) = &q.mode {
        if mode != "popup" && mode != "post_message" {
            return (StatusCode::BAD_REQUEST, Html("<h1>Unknown mode</h1>".to_string())).into_response();
        }
    }
    match cfg.decision {
        Decision::Approve => Redirect::to(&grant(&mut inner, q.state.as_deref())).into_response(),
        Decision::Deny => Redirect::to(&deny(&mut inner, q.state.as_deref())).into_response(),
        Decision::Manual => {
            let state = escape(q.state.as_deref().unwrap_or(""));
            let name = escape(&cfg.account_name);
            Html(format!(
                "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><title>amoCRM — предоставить доступ</title>\
                 <style>body{{font-family:system-ui,sans-serif;max-width:30rem;margin:3rem auto}}button{{font-size:1.1rem;margin-right:1rem}}</style>\
                 </head><body><h1>Amo Connect запрашивает доступ</h1>\
                 <p>Аккаунт: <b id=\"account\">{name}</b> ({host})</p>\
                 <p lang=\"en\">Amo Connect asks for access to this account.</p>\
                 <form method=\"post\" action=\"/oauth/decision\">\
                 <input type=\"hidden\" name=\"client_id\" value=\"{cid}\"><input type=\"hidden\" name=\"state\" value=\"{state}\">\
                 <button id=\"allow\" name=\"decision\" value=\"allow\">Разрешить / Allow</button>\
                 <button id=\"deny\" name=\"decision\" value=\"deny\">Отказать / Deny</button></form>\
                 <p><small>amoCRM simulator (Amo Connect tests)</small></p></body></html>",
                host = escape(&cfg.account_host()),
                cid = escape(&cfg.client_id),
            ))
            .into_response()
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct DecisionForm {
    client_id: String,
    state: Option<String>,
    decision: String,
}

pub(crate) async fn decision(State(s): State<Shared>, Form(f): Form<DecisionForm>) -> Response {
    let mut inner = s.lock();
    if f.client_id != inner.cfg.client_id {
        return (StatusCode::BAD_REQUEST, "unknown client_id").into_response();
    }
    let state = f.state.as_deref().filter(|s| !s.is_empty());
    match f.decision.as_str() {
        "allow" => Redirect::to(&grant(&mut inner, state)).into_response(),
        "deny" => Redirect::to(&deny(&mut inner, state)).into_response(),
        _ => (StatusCode::BAD_REQUEST, "decision must be allow or deny").into_response(),
    }
}

fn redirect_with(base: &str, pairs: &[(&str, &str)]) -> String {
    match url::Url::parse(base) {
        Ok(mut u) => {
            {
                let mut q = u.query_pairs_mut();
                for (k, v) in pairs {
                    q.append_pair(k, v);
                }
            }
            u.to_string()
        }
        Err(_) => base.to_string(),
    }
}

pub(crate) struct CodeEntry {
    pub(crate) issued_at: i64,
    pub(crate) used: bool,
    /// The amoCRM user who allowed access (tokens act with that user's rights).
    pub(crate) user_id: i64,
}

/// Real codes are long opaque strings starting with "def502".
pub(crate) fn new_code(inner: &mut Inner) -> String {
    let code = format!("def50200{}", random_hex(300));
    let user_id = inner.signed_in_user;
    inner.codes.insert(code.clone(), CodeEntry { issued_at: now(), used: false, user_id });
    inner.stats.codes_issued += 1;
    code
}

fn grant(inner: &mut Inner, state: Option<&str>) -> String {
    let code = new_code(inner);
    let host = inner.cfg.account_host();
    let mut pairs = vec![("code", code.as_str())];
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    pairs.push(("referer", host.as_str()));
    pairs.push(("platform", inner.cfg.platform_code()));
    redirect_with(&inner.cfg.redirect_uri, &pairs)
}

fn deny(inner: &mut Inner, state: Option<&str>) -> String {
    inner.stats.denials += 1;
    let mut pairs = vec![("error", "access_denied")];
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    redirect_with(&inner.cfg.redirect_uri, &pairs)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

// ---------------------------------------------------------------- hosts

/// The host a request was meant for: the `Host` header, unless it names the simulator itself
/// (a test calling 127.0.0.1 directly), which stands for the account's own host.
pub(crate) fn requested_host(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?.to_ascii_lowercase();
    let name = host.split(':').next().unwrap_or_default().to_string();
    if name == "127.0.0.1" || name == "localhost" {
        None
    } else {
        Some(name)
    }
}

/// Whether the request reached the account's current host (or its amocrm.com alias for Kommo).
fn is_account_host(inner: &Inner, headers: &HeaderMap) -> bool {
    match requested_host(headers) {
        None => true,
        Some(h) => {
            let current = inner.cfg.account_host();
            h == current
                || (inner.cfg.platform == SimPlatform::Kommo && h == format!("{}.amocrm.com", inner.cfg.subdomain))
        }
    }
}

// ---------------------------------------------------------------- token endpoint

fn oauth_problem(status: StatusCode, hint: &str) -> Response {
    let body = json!({
        "hint": hint,
        "title": "Некорректный запрос",
        "type": "https://developers.amocrm.ru/v3/errors/OAuthProblemJson",
        "status": status.as_u16(),
        "detail": "В запросе отсутствует ряд параметров или параметры невалидны",
    });
    problem_response(status, body)
}

fn parse_body(headers: &HeaderMap, body: &Bytes) -> Option<HashMap<String, String>> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if ct.starts_with("application/json") {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        let obj = v.as_object()?;
        Some(
            obj.iter()
                .map(|(k, v)| (k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
                .collect(),
        )
    } else if ct.starts_with("application/x-www-form-urlencoded") {
        Some(url::form_urlencoded::parse(body).into_owned().collect())
    } else {
        None
    }
}

fn jwt(cfg: &SimConfig, user_id: i64, iat: i64, exp: i64) -> String {
    let header = json!({"typ": "JWT", "alg": "RS256", "jti": uuid_like()});
    let payload = json!({
        "aud": cfg.client_id,
        "jti": uuid_like(),
        "iat": iat,
        "nbf": iat,
        "exp": exp,
        "sub": user_id.to_string(),
        "grant_type": "",
        "account_id": cfg.account_id,
        "base_domain": cfg.top_level(),
        "version": 2,
        "scopes": ["crm", "files", "files_delete", "notifications", "push_notifications"],
        "hash_uuid": uuid_like(),
        "api_domain": format!("api-b.{}", cfg.top_level()),
    });
    let mut sig = [0u8; 256];
    rand::thread_rng().fill_bytes(&mut sig);
    format!("{}.{}.{}", b64(header.to_string().as_bytes()), b64(payload.to_string().as_bytes()), b64(&sig))
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn issue_tokens(inner: &mut Inner, user_id: i64) -> Response {
    Json(token_answer(inner, user_id)).into_response()
}

/// Issues an access and a refresh token acting for `user_id`: the token endpoint's 200 answer.
fn token_answer(inner: &mut Inner, user_id: i64) -> serde_json::Value {
    let t = now();
    let access = jwt(&inner.cfg, user_id, t, t + inner.cfg.access_token_ttl);
    let refresh = format!("def50200{}", random_hex(512 + rand::thread_rng().gen_range(0..32)));
    inner.access_tokens.insert(access.clone(), t + inner.cfg.access_token_ttl);
    inner.refresh_tokens.insert(refresh.clone(), false);
    inner.token_users.insert(access.clone(), user_id);
    inner.token_users.insert(refresh.clone(), user_id);
    json!({
        "token_type": "Bearer",
        "expires_in": inner.cfg.access_token_ttl,
        "server_time": t,
        "access_token": access,
        "refresh_token": refresh,
    })
}

pub(crate) async fn access_token(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let (resp, delay) = {
        let mut inner = s.lock();
        inner.stats.token_requests += 1;
        let resp = token_grant(&mut inner, &headers, &body);
        if !resp.status().is_success() {
            inner.stats.token_errors += 1;
        }
        (resp, inner.token_answer_delay_ms)
    };
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    resp
}

fn token_grant(inner: &mut Inner, headers: &HeaderMap, body: &Bytes) -> Response {
    if !is_account_host(inner, headers) {
        return problem_response(
            StatusCode::NOT_FOUND,
            json!({"title": "Not Found", "type": "https://httpstatus.es/404", "status": 404, "detail": "Account not found"}),
        );
    }
    let Some(p) = parse_body(headers, body) else {
        return oauth_problem(StatusCode::BAD_REQUEST, "Request body must be JSON or form-encoded");
    };
    let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
    if get("client_id") != inner.cfg.client_id {
        return oauth_problem(StatusCode::BAD_REQUEST, "Check the `client_id` parameter");
    }
    if get("client_secret") != inner.cfg.client_secret {
        return oauth_problem(StatusCode::BAD_REQUEST, "Check the `client_secret` parameter");
    }
    if get("redirect_uri") != inner.cfg.redirect_uri {
        return oauth_problem(StatusCode::BAD_REQUEST, "Redirect URI is not associated with client");
    }
    match get("grant_type") {
        "authorization_code" => {
            inner.stats.code_exchanges += 1;
            let code_ttl = inner.cfg.code_ttl;
            match inner.codes.get_mut(get("code")) {
                None => oauth_problem(StatusCode::BAD_REQUEST, "Cannot decrypt the authorization code"),
                Some(c) if c.used => oauth_problem(StatusCode::BAD_REQUEST, "Authorization code has been revoked"),
                Some(c) if now() - c.issued_at > code_ttl => {
                    oauth_problem(StatusCode::BAD_REQUEST, "Authorization code has expired")
                }
                Some(c) => {
                    c.used = true;
                    let user = c.user_id;
                    issue_tokens(inner, user)
                }
            }
        }
        "refresh_token" => {
            inner.stats.refreshes += 1;
            let token = get("refresh_token").to_string();
            match inner.refresh_tokens.get_mut(&token) {
                None => oauth_problem(StatusCode::BAD_REQUEST, "Invalid refresh token"),
                Some(used) if *used => {
                    inner.stats.reused_refresh_tokens += 1;
                    oauth_problem(StatusCode::UNAUTHORIZED, "Token has been revoked")
                }
                Some(used) => {
                    *used = true;
                    let user = inner.token_users.get(&token).copied().unwrap_or(inner.cfg.user_id);
                    let mut answer = token_answer(inner, user);
                    if inner.gate.faults.refresh_without_refresh_token {
                        // The access token stays valid, but nothing can renew it.
                        if let Some(o) = answer.as_object_mut() {
                            o.remove("refresh_token");
                        }
                    }
                    Json(answer).into_response()
                }
            }
        }
        _ => oauth_problem(
            StatusCode::BAD_REQUEST,
            "The authorization grant type is not supported by the authorization server.",
        ),
    }
}

/// Makes every issued access token expired.
pub(crate) fn expire_access_tokens(inner: &mut Inner) {
    for exp in inner.access_tokens.values_mut() {
        *exp = 0;
    }
}

pub(crate) fn new_long_lived(inner: &mut Inner, seconds: i64) -> String {
    let t = now();
    // Only an admin generates long-lived tokens; they act with that admin's rights.
    let token = jwt(&inner.cfg, inner.cfg.user_id, t, t + seconds);
    inner.access_tokens.insert(token.clone(), t + seconds);
    token
}

// ---------------------------------------------------------------- bearer check

pub(crate) fn unauthorized(detail: &str) -> Response {
    problem_response(
        StatusCode::UNAUTHORIZED,
        json!({"title": "Unauthorized", "type": "https://httpstatus.es/401", "status": 401, "detail": detail}),
    )
}

/// Checks that an API request reached the account's host with a valid bearer token; `Some` is
/// the 401 to send instead of an answer. (Counting, 429 and faults happen before, in
/// [`crate::gate::api_layer`].)
pub(crate) fn api_gate(inner: &mut Inner, headers: &HeaderMap) -> Option<Response> {
    if !is_account_host(inner, headers) {
        inner.stats.unauthorized += 1;
        // amoCRM answers a request for a subdomain that no longer exists with 401 (code 101).
        return Some(unauthorized("Account does not exist (code 101)"));
    }
    let token = bearer(headers);
    if inner.api_denied {
        inner.stats.unauthorized += 1;
        return Some(unauthorized("Authorization failed"));
    }
    match inner.access_tokens.get(token) {
        Some(exp) if *exp > now() => None,
        Some(_) => {
            inner.stats.unauthorized += 1;
            Some(unauthorized("Access token has expired"))
        }
        None => {
            inner.stats.unauthorized += 1;
            Some(unauthorized("Authorization failed"))
        }
    }
}

/// The user a request's bearer token acts for (call after [`api_gate`] let it through).
pub(crate) fn token_user(inner: &Inner, headers: &HeaderMap) -> i64 {
    inner.token_users.get(bearer(headers)).copied().unwrap_or(inner.cfg.user_id)
}

/// The token of `Authorization: Bearer …`; empty when there is none.
fn bearer(headers: &HeaderMap) -> &str {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
}
