//! amoCRM's error answers (docs/amocrm-api.md §7.4): problem+json bodies, the 400
//! `validation-errors` tied to each item's `request_id` ([`ItemErrors`], [`validation_failed`]),
//! the checks of the fields every entity shares (name, responsible user, price, `created_at`),
//! and of a batch body.

use axum::body::Bytes;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::state::now;
use crate::users::SimUser;

pub(crate) fn problem_response(status: StatusCode, body: serde_json::Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    r
}

pub(crate) fn bad_request(detail: &str) -> Response {
    problem_response(
        StatusCode::BAD_REQUEST,
        json!({"title": "Bad Request", "type": "https://httpstatus.es/400", "status": 400, "detail": detail}),
    )
}

/// 404 for a path naming an entity that does not exist.
pub(crate) fn not_found() -> Response {
    problem_response(
        StatusCode::NOT_FOUND,
        json!({"title": "Not Found", "type": "https://httpstatus.es/404", "status": 404, "detail": "Entity not found"}),
    )
}

pub(crate) struct ItemErrors {
    pub(crate) request_id: String,
    pub(crate) errors: Vec<Value>,
}

impl ItemErrors {
    pub(crate) fn new(item: &Value, index: usize) -> ItemErrors {
        ItemErrors { request_id: request_id(item, index), errors: Vec::new() }
    }

    pub(crate) fn push(&mut self, code: &str, path: &str, detail: &str) {
        self.errors.push(json!({"code": code, "path": path, "detail": detail}));
    }
}

pub(crate) fn validation_failed(items: Vec<ItemErrors>) -> Response {
    let list: Vec<Value> = items.into_iter().map(|i| json!({"request_id": i.request_id, "errors": i.errors})).collect();
    problem_response(
        StatusCode::BAD_REQUEST,
        json!({"validation-errors": list, "title": "Bad Request", "type": "https://httpstatus.es/400",
               "status": 400, "detail": "Request validation failed"}),
    )
}

pub(crate) fn request_id(item: &Value, index: usize) -> String {
    match item.get("request_id") {
        Some(Value::String(s)) => s.clone(),
        _ => index.to_string(),
    }
}

pub(crate) fn check_name(v: &Value, key: &str, prefix: &str, e: &mut ItemErrors) -> String {
    match v.get(key) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) if s.chars().count() <= 255 => s.clone(),
        Some(Value::String(_)) => {
            e.push(
                "Length",
                &format!("{prefix}{key}"),
                "This value is too long. It should have 255 characters or less.",
            );
            String::new()
        }
        Some(_) => {
            e.push("InvalidType", &format!("{prefix}{key}"), "This value should be of type string.");
            String::new()
        }
    }
}

pub(crate) fn check_user(inner_users: &[SimUser], v: &Value, prefix: &str, e: &mut ItemErrors, default: i64) -> i64 {
    match v.get("responsible_user_id") {
        None | Some(Value::Null) => default,
        Some(x) => match x.as_i64() {
            Some(id) if inner_users.iter().any(|u| u.id == id) => id,
            _ => {
                e.push(
                    "NotSupportedChoice",
                    &format!("{prefix}responsible_user_id"),
                    "The value you selected is not a valid choice.",
                );
                default
            }
        },
    }
}

pub(crate) fn check_price(v: &Value, prefix: &str, e: &mut ItemErrors) -> i64 {
    match v.get("price") {
        None | Some(Value::Null) => 0,
        Some(p) => match p.as_i64() {
            Some(x) if x >= 0 => x,
            _ => {
                e.push("InvalidType", &format!("{prefix}price"), "This value should be of type int.");
                0
            }
        },
    }
}

pub(crate) fn check_created_at(v: &Value, prefix: &str, e: &mut ItemErrors) -> i64 {
    match v.get("created_at") {
        None | Some(Value::Null) => now(),
        Some(x) => match x.as_i64() {
            Some(t) if t > 0 => t,
            _ => {
                e.push("InvalidType", &format!("{prefix}created_at"), "This value should be of type int.");
                now()
            }
        },
    }
}

// A refusal is an axum Response, returned straight to the client; its size does not matter here.
#[allow(clippy::result_large_err)]
pub(crate) fn parse_array(body: &Bytes) -> Result<Vec<Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(items)) if !items.is_empty() => Ok(items),
        Ok(Value::Array(_)) => Err(bad_request("Request body is empty")),
        Ok(_) => Err(bad_request("Request body must be an array")),
        Err(_) => Err(bad_request("Request body is not valid JSON")),
    }
}
