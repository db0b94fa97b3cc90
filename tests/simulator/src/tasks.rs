//! Tasks, as amo-docs `crm_platform/tasks-api.md` describes them (docs/amocrm-api.md §8.8): the
//! batch add `POST /api/v4/tasks` (`text` and `complete_till` required), the list
//! `GET /api/v4/tasks` with its filters and orders, and `GET /api/v4/tasks/{id}`.
//!
//! The list's filters take one value or an array (`filter[entity_id]=1`, `filter[entity_id][]=1&
//! filter[entity_id][]=2`, `filter[entity_id][0]=1`), which serde's query parsing does not read,
//! so this module reads the raw query string itself ([`RawParams`]).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::hal::{entity_ref, hal, hal_page, no_content, RawParams};
use crate::oauth::{api_gate, token_user};
use crate::problem::{
    bad_request, check_created_at, check_user, not_found, parse_array, validation_failed, ItemErrors,
};
use crate::state::{Crm, Shared};

const ENTITY_TYPES: [&str; 4] = ["leads", "contacts", "companies", "customers"];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SimTask {
    pub id: i64,
    pub text: String,
    /// Unix seconds.
    pub complete_till: i64,
    pub entity_id: Option<i64>,
    /// `leads`, `contacts`, `companies` or `customers`.
    pub entity_type: Option<String>,
    pub task_type_id: i64,
    pub responsible_user_id: i64,
    /// The user whose token created it.
    pub created_by: i64,
    pub created_at: i64,
    pub is_completed: bool,
    /// Seconds.
    pub duration: i64,
    /// `result.text`, once the task is done.
    #[serde(default)]
    pub result_text: Option<String>,
    /// Set on create and moved by every change — a `PATCH`, a colleague's edit — to
    /// `max(now, previous + 1)`, so two changes never share a stamp (docs/amocrm-api.md §18.1).
    #[serde(default)]
    pub updated_at: i64,
    /// Who changed it last; `None` until somebody does (the answer shows `created_by` then).
    #[serde(default)]
    pub updated_by: Option<i64>,
    /// How many API `PATCH`es changed it (a colleague's change through `/_sim` is not one): a
    /// test sees a change sent twice.
    #[serde(default)]
    pub api_changes: u32,
}

/// When the task last changed (its creation until it is changed).
fn updated_at(t: &SimTask) -> i64 {
    t.updated_at.max(t.created_at)
}

fn task_json(host: &str, account_id: i64, t: &SimTask) -> Value {
    json!({
        "id": t.id, "created_by": t.created_by, "updated_by": t.updated_by.unwrap_or(t.created_by),
        "created_at": t.created_at, "updated_at": updated_at(t),
        "responsible_user_id": t.responsible_user_id, "group_id": 0,
        "entity_id": t.entity_id, "entity_type": t.entity_type,
        "duration": t.duration, "is_completed": t.is_completed, "task_type_id": t.task_type_id,
        "text": t.text,
        "result": match &t.result_text { Some(text) => json!({"text": text}), None => json!([]) },
        "complete_till": t.complete_till, "account_id": account_id,
        "_links": {"self": {"href": format!("https://{host}/api/v4/tasks/{}", t.id)}},
    })
}

/// One task of a `POST /api/v4/tasks` batch, or the errors that stop it.
fn parse_task(crm: &Crm, item: &Value, e: &mut ItemErrors, me: i64) -> SimTask {
    const MISSING: &str = "This field is missing.";
    let text = match item.get("text") {
        None | Some(Value::Null) => {
            e.push("FieldMissing", "text", MISSING);
            String::new()
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            e.push("NotBlank", "text", "This value should not be blank.");
            String::new()
        }
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            e.push("InvalidType", "text", "This value should be of type string.");
            String::new()
        }
    };
    let complete_till = match item.get("complete_till") {
        None | Some(Value::Null) => {
            e.push("FieldMissing", "complete_till", MISSING);
            0
        }
        Some(v) => v.as_i64().unwrap_or_else(|| {
            e.push("InvalidType", "complete_till", "This value should be of type int.");
            0
        }),
    };
    let entity_type = match item.get("entity_type") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_str() {
            Some(t) if ENTITY_TYPES.contains(&t) => Some(t.to_string()),
            _ => {
                e.push("NotSupportedChoice", "entity_type", "The value you selected is not a valid choice.");
                None
            }
        },
    };
    let entity_id = match item.get("entity_id") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(id) => Some(id),
            None => {
                e.push("InvalidType", "entity_id", "This value should be of type int.");
                None
            }
        },
    };
    let given = |k: &str| item.get(k).is_some_and(|v| !v.is_null());
    if given("entity_id") && !given("entity_type") {
        // An id without its type: amoCRM's "не указан тип элемента" (error-codes, 235).
        e.push("FieldMissing", "entity_type", MISSING);
    }
    if given("entity_type") && !given("entity_id") {
        e.push("FieldMissing", "entity_id", MISSING);
    }
    if let (Some(kind), Some(id)) = (&entity_type, entity_id) {
        if !crm.exists(kind, id) {
            e.push("NotFound", "entity_id", "Entity not found.");
        }
    }
    let task_type_id = match item.get("task_type_id") {
        None | Some(Value::Null) => 1,
        Some(v) => match v.as_i64() {
            Some(id) if crm.task_types.iter().any(|t| t.0 == id) => id,
            _ => {
                e.push("NotSupportedChoice", "task_type_id", "The value you selected is not a valid choice.");
                1
            }
        },
    };
    let duration = match item.get("duration") {
        None | Some(Value::Null) => 0,
        Some(v) => match v.as_i64() {
            Some(d) if d >= 0 => d,
            _ => {
                e.push("InvalidType", "duration", "This value should be of type int.");
                0
            }
        },
    };
    let is_completed = match item.get("is_completed") {
        None | Some(Value::Null) => false,
        Some(v) => v.as_bool().unwrap_or_else(|| {
            e.push("InvalidType", "is_completed", "This value should be of type bool.");
            false
        }),
    };
    let result_text = item.pointer("/result/text").and_then(Value::as_str).map(str::to_string);
    let created_at = check_created_at(item, "", e);
    SimTask {
        id: 0,
        text,
        complete_till,
        entity_id,
        entity_type,
        task_type_id,
        responsible_user_id: check_user(&crm.users, item, "", e, me),
        created_by: me,
        created_at,
        is_completed,
        duration,
        result_text,
        updated_at: created_at.max(crate::state::now()),
        updated_by: None,
        api_changes: 0,
    }
}

/// `POST /api/v4/tasks`: answers HAL `_embedded.tasks[{id, request_id, _links}]`, or 400
/// `validation-errors` (per item `request_id`) for the whole batch.
pub(crate) async fn add_tasks(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    let items = match parse_array(&body) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let me = token_user(inner, &headers);
    let mut parsed = Vec::new();
    let mut failed = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let mut e = ItemErrors::new(item, i);
        let t = parse_task(&inner.crm, item, &mut e, me);
        if e.errors.is_empty() {
            parsed.push((e.request_id, t));
        } else {
            failed.push(e);
        }
    }
    if !failed.is_empty() {
        return validation_failed(failed);
    }
    let host = inner.cfg.account_host();
    let mut out = Vec::new();
    for (rid, mut t) in parsed {
        t.id = inner.crm.id();
        let mut r = entity_ref(&host, "tasks", t.id);
        r["request_id"] = json!(rid);
        out.push(r);
        inner.crm.tasks.push(t);
        inner.stats.tasks_created += 1;
    }
    hal(json!({"_links": {"self": {"href": format!("https://{host}/api/v4/tasks")}}, "_embedded": {"tasks": out}}))
}

pub(crate) async fn list_tasks(State(s): State<Shared>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    let p = RawParams::parse(raw.as_deref());
    let paging = match p.paging() {
        Ok(q) => q,
        Err(r) => return r,
    };
    let ids = p.ints("filter[id]");
    let responsible = p.ints("filter[responsible_user_id]");
    let types = p.ints("filter[task_type]");
    let completed: Option<Vec<bool>> = p
        .all("filter[is_completed]")
        .map(|v| v.iter().map(|x| matches!(x.trim(), "1" | "true")).collect())
        .filter(|_| inner.crm.task_completed_filter);
    let entity_type = p.one("filter[entity_type]");
    // filter[entity_id] needs filter[entity_type] (amo-docs `tasks-api.md`); alone it is ignored.
    let entity_ids = entity_type.and(p.ints("filter[entity_id]"));
    let updated_after = p.one("filter[updated_at]").and_then(|v| v.trim().parse::<i64>().ok());
    let updated_from = p.one("filter[updated_at][from]").and_then(|v| v.trim().parse::<i64>().ok());
    let updated_to = p.one("filter[updated_at][to]").and_then(|v| v.trim().parse::<i64>().ok());
    // Not in amo-docs' list of the tasks' filters: ignored, as an unknown filter, unless a test
    // plays an amoCRM that has it (`Simulator::set_task_due_filter`).
    let due = |k: &str| p.one(k).and_then(|v| v.trim().parse::<i64>().ok()).filter(|_| inner.crm.task_due_filter);
    let (due_from, due_to) = (due("filter[complete_till][from]"), due("filter[complete_till][to]"));
    let mut found: Vec<SimTask> = inner
        .crm
        .tasks
        .iter()
        .filter(|t| {
            ids.as_ref().is_none_or(|v| v.contains(&t.id))
                && responsible.as_ref().is_none_or(|v| v.contains(&t.responsible_user_id))
                && types.as_ref().is_none_or(|v| v.contains(&t.task_type_id))
                && completed.as_ref().is_none_or(|v| v.contains(&t.is_completed))
                && entity_type.is_none_or(|k| t.entity_type.as_deref() == Some(k))
                && entity_ids.as_ref().is_none_or(|v| t.entity_id.is_some_and(|id| v.contains(&id)))
                && updated_after.is_none_or(|a| updated_at(t) >= a)
                && updated_from.is_none_or(|a| updated_at(t) >= a)
                && updated_to.is_none_or(|b| updated_at(t) <= b)
                && due_from.is_none_or(|a| t.complete_till >= a)
                && due_to.is_none_or(|b| t.complete_till <= b)
        })
        .cloned()
        .collect();
    // order[created_at|complete_till|id]=asc|desc (amo-docs `tasks-api.md`); by id otherwise.
    for (field, key) in [("complete_till", 0), ("created_at", 1), ("id", 2)] {
        if let Some(dir) = p.one(&format!("order[{field}]")) {
            found.sort_by_key(|t| match key {
                0 => (t.complete_till, t.id),
                1 => (t.created_at, t.id),
                _ => (t.id, 0),
            });
            if dir.eq_ignore_ascii_case("desc") {
                found.reverse();
            }
            break;
        }
    }
    let host = inner.cfg.account_host();
    let account_id = inner.cfg.account_id;
    hal_page(&host, "/api/v4/tasks", "tasks", &found, &paging, |t| task_json(&host, account_id, t))
}

/// `GET /api/v4/tasks/{id}`; 204 when there is none, as the other single-entity reads answer.
pub(crate) async fn get_task(State(s): State<Shared>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    let host = inner.cfg.account_host();
    match inner.crm.tasks.iter().find(|t| t.id == id) {
        Some(t) => hal(task_json(&host, inner.cfg.account_id, t)),
        None => no_content(),
    }
}

/// What a `PATCH` of `task` asks (amo-docs `tasks-api.md`, "Редактирование задач"): the task as
/// it would be afterwards, every field left out kept; problems go to `e` at the field's key.
/// Stamping it (`updated_at`, `updated_by`) is [`store_task`]'s.
pub(crate) fn check_task_patch(crm: &Crm, task: &SimTask, item: &Value, e: &mut ItemErrors) -> SimTask {
    let mut t = task.clone();
    let given = |k: &str| item.get(k).filter(|v| !v.is_null());
    match item.get("text") {
        None => {}
        Some(Value::String(s)) if !s.trim().is_empty() => t.text = s.clone(),
        Some(Value::String(_)) | Some(Value::Null) => e.push("NotBlank", "text", "This value should not be blank."),
        Some(_) => e.push("InvalidType", "text", "This value should be of type string."),
    }
    if let Some(v) = item.get("complete_till") {
        match v.as_i64() {
            Some(at) => t.complete_till = at,
            None => e.push("InvalidType", "complete_till", "This value should be of type int."),
        }
    }
    if let Some(v) = item.get("task_type_id") {
        match v.as_i64() {
            Some(id) if crm.task_types.iter().any(|x| x.0 == id) => t.task_type_id = id,
            _ => e.push("NotSupportedChoice", "task_type_id", "The value you selected is not a valid choice."),
        }
    }
    if given("responsible_user_id").is_some() {
        t.responsible_user_id = check_user(&crm.users, item, "", e, t.responsible_user_id);
    }
    if let Some(v) = item.get("is_completed") {
        match v.as_bool() {
            Some(b) => t.is_completed = b,
            None => e.push("InvalidType", "is_completed", "This value should be of type bool."),
        }
    }
    match item.get("result") {
        None | Some(Value::Null) => {}
        Some(r) => match r.get("text") {
            Some(Value::String(s)) => t.result_text = Some(s.clone()),
            _ => e.push("InvalidType", "result.text", "This value should be of type string."),
        },
    }
    if let Some(v) = item.get("duration") {
        match v.as_i64() {
            Some(d) if d >= 0 => t.duration = d,
            _ => e.push("InvalidType", "duration", "This value should be of type int."),
        }
    }
    // Moving the task to another entity takes both keys, as the add does.
    match (given("entity_type"), given("entity_id")) {
        (None, None) => {}
        (Some(_), None) => e.push("FieldMissing", "entity_id", "This field is missing."),
        (None, Some(_)) => e.push("FieldMissing", "entity_type", "This field is missing."),
        (Some(kind), Some(id)) => match (kind.as_str().filter(|k| ENTITY_TYPES.contains(k)), id.as_i64()) {
            (None, _) => e.push("NotSupportedChoice", "entity_type", "The value you selected is not a valid choice."),
            (_, None) => e.push("InvalidType", "entity_id", "This value should be of type int."),
            (Some(kind), Some(id)) if !crm.exists(kind, id) => e.push("NotFound", "entity_id", "Entity not found."),
            (Some(kind), Some(id)) => (t.entity_type, t.entity_id) = (Some(kind.to_string()), Some(id)),
        },
    }
    t
}

/// Puts a changed task back, stamped as changed now by `user`; its new `updated_at`.
pub(crate) fn store_task(crm: &mut Crm, mut t: SimTask, user: i64) -> i64 {
    t.updated_at = Crm::bump(t.updated_at.max(t.created_at));
    t.updated_by = Some(user);
    let at = t.updated_at;
    if let Some(slot) = crm.tasks.iter_mut().find(|x| x.id == t.id) {
        *slot = t;
    }
    at
}

/// Checks a whole `PATCH /api/v4/tasks` batch (each item names its task by `id`) and, when no
/// item has an error, stores every change as `user`'s: (id, updated_at, request_id) in order.
/// An unknown or missing `id` is an item error like any other, so nothing is changed then.
// A refusal is an axum Response, returned straight to the client; its size does not matter here.
#[allow(clippy::result_large_err)]
pub(crate) fn patch_tasks(crm: &mut Crm, items: &[Value], user: i64) -> Result<Vec<(i64, i64, String)>, Response> {
    let mut parsed = Vec::new();
    let mut failed = Vec::new();
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
            Some(v) => match v.as_i64().and_then(|id| crm.tasks.iter().find(|t| t.id == id)) {
                Some(t) => Some(t),
                None if v.is_i64() => {
                    e.push("NotFound", "id", "Entity not found.");
                    None
                }
                None => {
                    e.push("InvalidType", "id", "This value should be of type int.");
                    None
                }
            },
        };
        let changed = found.map(|t| check_task_patch(crm, t, item, &mut e));
        match changed {
            Some(t) if e.errors.is_empty() => parsed.push((e.request_id, t)),
            _ => failed.push(e),
        }
    }
    if !failed.is_empty() {
        return Err(validation_failed(failed));
    }
    Ok(parsed.into_iter().map(|(rid, t)| (t.id, store_task(crm, t, user), rid)).collect())
}

/// The `{id, updated_at, request_id, _links}` amo-docs answers for each changed task.
fn patched_json(host: &str, id: i64, updated_at: i64, request_id: &str) -> Value {
    let mut r = entity_ref(host, "tasks", id);
    r["updated_at"] = json!(updated_at);
    r["request_id"] = json!(request_id);
    r
}

/// `PATCH /api/v4/tasks`: an array of tasks, each with its `id`; answers HAL
/// `_embedded.tasks[{id, updated_at, request_id, _links}]`, or 400 `validation-errors` for the
/// whole batch (docs/amocrm-api.md §18.1).
pub(crate) async fn patch_task_list(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
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
    match patch_tasks(&mut inner.crm, &items, me) {
        Ok(done) => {
            inner.stats.tasks_changed += done.len() as u64;
            for (id, _, _) in &done {
                inner.crm.tasks.iter_mut().filter(|t| t.id == *id).for_each(|t| t.api_changes += 1);
            }
            let out: Vec<Value> = done.iter().map(|(id, at, rid)| patched_json(&host, *id, *at, rid)).collect();
            hal(
                json!({"_links": {"self": {"href": format!("https://{host}/api/v4/tasks")}}, "_embedded": {"tasks": out}}),
            )
        }
        Err(r) => r,
    }
}

/// `PATCH /api/v4/tasks/{id}`: one task's model (an object, not an array); answers the bare
/// `{id, updated_at, request_id, _links}`; an unknown id is a 404 (docs/amocrm-api.md §18.1).
pub(crate) async fn patch_task(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    let mut item = match parse_object(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if !inner.crm.tasks.iter().any(|t| t.id == id) {
        return not_found();
    }
    // The path names the task; an `id` in the body is not another one.
    item["id"] = json!(id);
    let me = token_user(inner, &headers);
    let host = inner.cfg.account_host();
    match patch_tasks(&mut inner.crm, &[item], me) {
        Ok(done) => {
            inner.stats.tasks_changed += 1;
            inner.crm.tasks.iter_mut().filter(|t| t.id == done[0].0).for_each(|t| t.api_changes += 1);
            let (id, at, rid) = &done[0];
            hal(patched_json(&host, *id, *at, rid))
        }
        Err(r) => r,
    }
}

/// The body of a single-entity `PATCH` (`/tasks/{id}`, `/leads/{id}`): one JSON object.
// A refusal is an axum Response, returned straight to the client; its size does not matter here.
#[allow(clippy::result_large_err)]
pub(crate) fn parse_object(body: &Bytes) -> Result<Value, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(bad_request("Request body must be an object")),
        Err(_) => Err(bad_request("Request body is not valid JSON")),
    }
}
