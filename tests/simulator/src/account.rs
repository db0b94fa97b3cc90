//! The account: `GET /api/v4/account`, HAL JSON with the `with=datetime_settings,task_types`
//! parts (docs/amocrm-api.md §8.1, the time zone §11.14), and `GET https://{api_domain}/oauth2/account/current/subdomain`,
//! where an account whose subdomain changed lives now (docs/amocrm-api.md §6.3).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::config::SimPlatform;
use crate::hal::hal;
use crate::oauth::{api_gate, requested_host, token_user, unauthorized};
use crate::state::{Crm, Shared};

impl Crm {
    /// The account's task types as `_embedded.task_types` of `GET /api/v4/account?with=task_types`.
    pub(crate) fn task_types_json(&self) -> Value {
        self.task_types
            .iter()
            .map(|(id, name, code)| json!({"id": id, "name": name, "color": null, "icon_id": null, "code": code}))
            .collect()
    }
}

pub(crate) async fn account(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut inner = s.lock();
    if let Some(r) = api_gate(&mut inner, &headers) {
        return r;
    }
    let me = token_user(&inner, &headers);
    let with: Vec<&str> = q.get("with").map(|w| w.split(',').collect()).unwrap_or_default();
    if with.contains(&"datetime_settings") && inner.cfg.datetime_settings_failures > 0 {
        // A test's outage of this one read (`SimConfig::datetime_settings_failures`).
        inner.cfg.datetime_settings_failures -= 1;
        return (StatusCode::SERVICE_UNAVAILABLE, "<html><body>upstream error</body></html>").into_response();
    }
    let mut embedded = serde_json::Map::new();
    if with.contains(&"datetime_settings") {
        // Both as amo-docs' example has them: the zone's IANA name and its offset as the
        // account gives it now — a test sets the two (`Simulator::set_timezone`), e.g. Berlin's
        // summer "+02:00" (docs/amocrm-api.md §8.1, §11.14).
        let (zone, offset, _) = inner.crm.timezone;
        embedded.insert(
            "datetime_settings".into(),
            json!({"date_pattern": "d.m.Y H:i", "short_date_pattern": "d.m.Y", "short_time_pattern": "H:i",
                   "date_formant": "d.m.Y", "time_format": "H:i:s", "timezone": zone, "timezone_offset": offset}),
        );
    }
    if with.contains(&"task_types") {
        // The same list `POST /api/v4/tasks` checks `task_type_id` against.
        embedded.insert("task_types".into(), inner.crm.task_types_json());
    }
    let c = &inner.cfg;
    let mut body = json!({
        "id": c.account_id,
        "name": c.account_name,
        "subdomain": c.subdomain,
        "created_at": 1_585_840_134,
        "created_by": 0,
        "updated_at": 1_585_840_134,
        "updated_by": 0,
        "current_user_id": me,
        "country": if c.platform == SimPlatform::Amocrm { "RU" } else { "US" },
        "customers_mode": "disabled",
        "is_unsorted_on": inner.crm.unsorted_on,
        "is_loss_reason_enabled": true,
        "is_helpbot_enabled": false,
        "is_technical_account": false,
        "contact_name_display_order": 1,
        "currency": if c.platform == SimPlatform::Amocrm { "RUB" } else { "USD" },
        "_links": {"self": {"href": format!("https://{}/api/v4/account", c.account_host())}},
    });
    if with.contains(&"is_api_filter_enabled") {
        // Whether the account has "API filtering (alpha)" (docs/amocrm-api.md §17.2).
        body["is_api_filter_enabled"] = json!(inner.crm.updated_at_filter);
    }
    if !embedded.is_empty() {
        body["_embedded"] = serde_json::Value::Object(embedded);
    }
    hal(body)
}

/// `GET https://{api_domain}/oauth2/account/current/subdomain` with `X-Refresh-Token`
/// (docs/amocrm-api.md §6.3): where the account lives now. Only on the `api_domain` host.
pub(crate) async fn current_subdomain(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let inner = s.lock();
    let api_host = format!("api-b.{}", inner.cfg.top_level());
    if requested_host(&headers).is_some_and(|h| h != api_host) {
        return (StatusCode::NOT_FOUND, "not the api_domain host").into_response();
    }
    let token = headers.get("x-refresh-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    match inner.refresh_tokens.get(token) {
        Some(false) => Json(json!({
            "id": inner.cfg.account_id,
            "subdomain": inner.cfg.subdomain,
            "domain": inner.cfg.account_host(),
            "top_level_domain": inner.cfg.top_level().rsplit('.').next().unwrap_or("ru"),
        }))
        .into_response(),
        _ => unauthorized("Refresh token is invalid or was used"),
    }
}
