//! Users: `GET /api/v4/users`, admin-only — any other token gets 403 problem+json
//! (docs/amocrm-api.md §8.10). The first user is the admin.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::hal::hal;
use crate::oauth::{api_gate, token_user};
use crate::problem::problem_response;
use crate::state::Shared;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SimUser {
    pub id: i64,
    pub name: String,
    pub email: String,
}

/// The account's users as the simulator starts: `user_id` (the admin) and two colleagues.
pub(crate) fn default_users(user_id: i64) -> Vec<SimUser> {
    vec![
        SimUser { id: user_id, name: "Анна Смирнова".into(), email: "anna@example.com".into() },
        SimUser { id: user_id + 1, name: "Борис Петров".into(), email: "boris@example.com".into() },
        SimUser { id: user_id + 2, name: "Вера Иванова".into(), email: "vera@example.com".into() },
    ]
}

pub(crate) async fn users(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    // Only admins may list users (docs/amocrm-api.md §8.10); the first user is the admin.
    if !inner.crm.users_admin || token_user(inner, &headers) != inner.cfg.user_id {
        return problem_response(
            StatusCode::FORBIDDEN,
            json!({"title": "Forbidden", "type": "https://httpstatus.es/403", "status": 403, "detail": "Access denied"}),
        );
    }
    let host = inner.cfg.account_host();
    let list: Vec<Value> = inner
        .crm
        .users
        .iter()
        .map(|u| {
            json!({"id": u.id, "name": u.name, "email": u.email, "lang": "ru",
            "rights": {"is_admin": u.id == inner.cfg.user_id, "is_free": false, "is_active": true},
            "_links": {"self": {"href": format!("https://{host}/api/v4/users/{}", u.id)}}})
        })
        .collect();
    hal(json!({
        "_total_items": list.len(), "_page": 1, "_page_count": 1,
        "_links": {"self": {"href": format!("https://{host}/api/v4/users?page=1&limit=250")}},
        "_embedded": {"users": list},
    }))
}
