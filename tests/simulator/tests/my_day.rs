//! "My day" (issue 21): the task list with the filters a day view needs, `PATCH` of tasks and
//! leads with amoCRM's answers and refusals, loss reasons, `updated_at` / `updated_by` kept on
//! every change, and a colleague's change made by a test (docs/amocrm-api.md §18).

use amo_sim::{SimConfig, SimPlatform, Simulator};
use serde_json::{json, Value};

struct Api {
    sim: Simulator,
    token: String,
    http: reqwest::Client,
}

impl Api {
    async fn start() -> Api {
        let cfg = SimConfig { rate_limit_per_sec: 100_000, platform: SimPlatform::Amocrm, ..SimConfig::default() };
        let sim = Simulator::start(cfg, 0).await.expect("sim");
        let token = sim.issue_long_lived(3600);
        Api { sim, token, http: reqwest::Client::new() }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self.http.request(method, format!("{}{path}", self.sim.url())).bearer_auth(&self.token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    /// Adds one task on `lead` due at `due`; its id.
    async fn task(&self, lead: i64, text: &str, due: i64) -> i64 {
        let (s, v) = self
            .post(
                "/api/v4/tasks",
                json!([{"text": text, "complete_till": due, "entity_type": "leads", "entity_id": lead}]),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        v["_embedded"]["tasks"][0]["id"].as_i64().expect("id")
    }
}

/// The `(request_id, code, path)` of every validation error in a 400 answer.
fn errors(v: &Value) -> Vec<(String, String, String)> {
    let s = |x: &Value| x.as_str().unwrap_or_default().to_string();
    v["validation-errors"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|i| {
            let rid = s(&i["request_id"]);
            i["errors"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |e| (rid.clone(), s(&e["code"]), s(&e["path"])))
        })
        .collect()
}

fn err(rid: &str, code: &str, path: &str) -> (String, String, String) {
    (rid.into(), code.into(), path.into())
}

const DUE: i64 = 1_900_000_000;

fn admin() -> i64 {
    SimConfig::default().user_id
}

#[tokio::test]
async fn a_task_is_completed_with_a_result_by_patch_and_its_updated_at_moves() {
    let api = Api::start().await;
    api.sim.seed_leads(1, "Сделка ");
    let lead = api.sim.leads()[0].id;
    let id = api.task(lead, "Перезвонить", DUE).await;
    let (_, before) = api.get(&format!("/api/v4/tasks/{id}")).await;
    assert_eq!(before["updated_by"], admin());

    let (s, v) = api
        .patch(&format!("/api/v4/tasks/{id}"), json!({"is_completed": true, "result": {"text": "Дозвонились"}}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["id"], id);
    let at = v["updated_at"].as_i64().expect("updated_at");
    assert!(at > before["updated_at"].as_i64().expect("before"), "{at} after {before}");
    assert!(v["_links"]["self"]["href"].as_str().is_some_and(|h| h.ends_with(&format!("/api/v4/tasks/{id}"))));

    let (_, after) = api.get(&format!("/api/v4/tasks/{id}")).await;
    assert_eq!((after["is_completed"].clone(), after["result"].clone()), (json!(true), json!({"text": "Дозвонились"})));
    assert_eq!(after["updated_at"], at, "the list shows the stamp the answer gave");
    assert_eq!(after["created_at"], before["created_at"]);
}

#[tokio::test]
async fn the_task_list_filters_updated_at_by_the_last_change_not_by_creation() {
    let api = Api::start().await;
    api.sim.seed_leads(1, "Сделка ");
    let lead = api.sim.leads()[0].id;
    let id = api.task(lead, "Перезвонить", DUE).await;
    let (_, t) = api.get(&format!("/api/v4/tasks/{id}")).await;
    let created = t["created_at"].as_i64().expect("created");
    let (s, _) = api.patch(&format!("/api/v4/tasks/{id}"), json!({"text": "Перезвонить завтра"})).await;
    assert_eq!(s, 200);
    let (s, v) = api.get(&format!("/api/v4/tasks?filter[updated_at][from]={}", created + 1)).await;
    assert_eq!(s, 200, "changed after it was created: {v}");
    assert_eq!(v["_embedded"]["tasks"][0]["id"], id);
}

const FIRST_CONTACT: i64 = 33_929_752;
const NEGOTIATION: i64 = 33_929_755;
const MAIN_UNSORTED: i64 = 33_929_749;
const OPT: i64 = 3_383_153;
const OPT_REQUEST: i64 = 33_929_761;
/// The date field "Переговоры" requires (`required_statuses`).
const DELIVERY_DATE: i64 = 701_007;

#[tokio::test]
async fn a_batch_of_tasks_is_changed_and_each_answer_carries_its_request_id() {
    let api = Api::start().await;
    api.sim.seed_leads(1, "Сделка ");
    let lead = api.sim.leads()[0].id;
    let (a, b) = (api.task(lead, "Позвонить", DUE).await, api.task(lead, "Встреча", DUE + 60).await);
    let colleague = api.sim.colleague_id();
    let (s, v) = api
        .patch(
            "/api/v4/tasks",
            json!([{"id": a, "request_id": "move", "complete_till": DUE + 86_400, "text": "Позвонить в пятницу"},
                   {"id": b, "task_type_id": 2, "responsible_user_id": colleague, "duration": 1800}]),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let done = v["_embedded"]["tasks"].as_array().expect("tasks");
    assert_eq!(done.len(), 2);
    assert_eq!((done[0]["id"].as_i64(), done[0]["request_id"].as_str()), (Some(a), Some("move")));
    assert_eq!((done[1]["id"].as_i64(), done[1]["request_id"].as_str()), (Some(b), Some("1")));
    assert!(done.iter().all(|t| t["updated_at"].is_i64() && t["_links"]["self"]["href"].is_string()), "{v}");
    assert!(v["_links"]["self"]["href"].as_str().is_some_and(|h| h.ends_with("/api/v4/tasks")));
    let tasks = api.sim.tasks();
    let (ta, tb) = (&tasks[0], &tasks[1]);
    assert_eq!((ta.text.as_str(), ta.complete_till, ta.task_type_id), ("Позвонить в пятницу", DUE + 86_400, 1));
    assert_eq!(
        (tb.task_type_id, tb.responsible_user_id, tb.duration, tb.text.as_str()),
        (2, colleague, 1800, "Встреча")
    );
    assert_eq!((ta.updated_by, tb.updated_by), (Some(admin()), Some(admin())));

    // Reopening a done task is a change like any other.
    let (s, _) = api.patch(&format!("/api/v4/tasks/{a}"), json!({"is_completed": true})).await;
    assert_eq!(s, 200);
    let (s, _) = api.patch(&format!("/api/v4/tasks/{a}"), json!({"is_completed": false})).await;
    assert_eq!(s, 200);
    assert!(!api.sim.tasks()[0].is_completed);
}

#[tokio::test]
async fn a_task_patch_is_refused_field_by_field_and_the_batch_changes_nothing() {
    let api = Api::start().await;
    api.sim.seed_leads(1, "Сделка ");
    let lead = api.sim.leads()[0].id;
    let id = api.task(lead, "Позвонить", DUE).await;
    let before = api.sim.tasks();
    let (s, v) = api
        .patch(
            "/api/v4/tasks",
            json!([{"id": id, "request_id": "ok", "text": "Всё хорошо"},
                   {"id": id, "request_id": "types", "complete_till": "завтра", "is_completed": "да", "result": {"text": 5}},
                   {"id": id, "request_id": "choices", "text": " ", "task_type_id": 99, "responsible_user_id": 1},
                   {"id": 1, "request_id": "gone"},
                   {"request_id": "no id", "text": "x"},
                   {"id": id, "request_id": "entity", "entity_type": "leads", "entity_id": 1}]),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["detail"], "Request validation failed");
    assert_eq!(
        errors(&v),
        vec![
            err("types", "InvalidType", "complete_till"),
            err("types", "InvalidType", "is_completed"),
            err("types", "InvalidType", "result.text"),
            err("choices", "NotBlank", "text"),
            err("choices", "NotSupportedChoice", "task_type_id"),
            err("choices", "NotSupportedChoice", "responsible_user_id"),
            err("gone", "NotFound", "id"),
            err("no id", "FieldMissing", "id"),
            err("entity", "NotFound", "entity_id"),
        ]
    );
    assert_eq!(api.sim.tasks(), before, "a refused batch changes nothing, not even its good item");

    let (s, v) = api.patch("/api/v4/tasks/1", json!({"text": "x"})).await;
    assert_eq!((s, v["status"].as_i64()), (404, Some(404)), "an unknown id in the path: {v}");
    let (s, v) = api.patch(&format!("/api/v4/tasks/{id}"), json!([{"text": "x"}])).await;
    assert_eq!(s, 400, "the single form takes an object: {v}");
    let (s, v) = api.patch("/api/v4/tasks", json!({"id": id, "text": "x"})).await;
    assert_eq!(s, 400, "the batch form takes an array: {v}");
    let (s, v) = api.patch(&format!("/api/v4/tasks/{id}"), json!({"complete_till": 1.5})).await;
    assert_eq!((s, errors(&v)), (400, vec![err("0", "InvalidType", "complete_till")]));
    assert_eq!(api.sim.tasks(), before);
}

#[tokio::test]
async fn the_day_view_filters_tasks_by_user_state_entity_and_orders_them_by_due_time() {
    let api = Api::start().await;
    api.sim.seed_leads(2, "Сделка ");
    let leads = api.sim.leads();
    let (one, two) = (leads[0].id, leads[1].id);
    let colleague = api.sim.colleague_id();
    let late = api.task(one, "Поздно", DUE + 7200).await;
    let early = api.task(one, "Рано", DUE).await;
    let done = api.task(two, "Сделано", DUE + 3600).await;
    let theirs = api.task(two, "Чужая", DUE + 1800).await;
    assert_eq!(api.patch(&format!("/api/v4/tasks/{done}"), json!({"is_completed": true})).await.0, 200);
    assert_eq!(api.patch(&format!("/api/v4/tasks/{theirs}"), json!({"responsible_user_id": colleague})).await.0, 200);
    let ids = |v: &Value| -> Vec<i64> {
        v["_embedded"]["tasks"]
            .as_array()
            .map(|a| a.iter().filter_map(|t| t["id"].as_i64()).collect())
            .unwrap_or_default()
    };

    let mine = format!("filter[responsible_user_id]={}&filter[is_completed]=0&order[complete_till]=asc", admin());
    let (s, v) = api.get(&format!("/api/v4/tasks?{mine}")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(ids(&v), vec![early, late], "my open tasks, soonest first");
    let (_, v) = api.get("/api/v4/tasks?filter[is_completed]=1").await;
    assert_eq!(ids(&v), vec![done]);
    let (_, v) = api.get(&format!("/api/v4/tasks?filter[responsible_user_id][]={colleague}")).await;
    assert_eq!(ids(&v), vec![theirs]);
    let (_, v) = api
        .get(&format!("/api/v4/tasks?filter[entity_type]=leads&filter[entity_id]={two}&order[complete_till]=desc"))
        .await;
    assert_eq!(ids(&v), vec![done, theirs]);
    let (_, v) = api.get("/api/v4/tasks?filter[is_completed]=0&order[complete_till]=desc&limit=2").await;
    assert_eq!(ids(&v), vec![late, theirs], "the first page of open tasks, latest first");

    // `filter[complete_till]` is not among amo-docs' task filters: ignored unless switched on.
    let window = format!("filter[complete_till][from]={}&filter[complete_till][to]={}", DUE + 1, DUE + 3600);
    let (_, v) = api.get(&format!("/api/v4/tasks?{window}&order[complete_till]=asc")).await;
    assert_eq!(ids(&v), vec![early, theirs, done, late], "ignored: every task");
    api.sim.set_task_due_filter(true);
    let (_, v) = api.get(&format!("/api/v4/tasks?{window}&order[complete_till]=asc")).await;
    assert_eq!(ids(&v), vec![theirs, done], "both ends included");
    let (s, _) = api.get(&format!("/api/v4/tasks?filter[complete_till][from]={}", DUE + 7201)).await;
    assert_eq!(s, 204);
}

#[tokio::test]
async fn a_colleagues_change_shows_in_get_with_their_id_and_a_later_stamp() {
    let api = Api::start().await;
    api.sim.seed_leads(1, "Сделка ");
    let lead = api.sim.leads()[0].id;
    let task = api.task(lead, "Позвонить", DUE).await;
    let (_, before) = api.get(&format!("/api/v4/tasks/{task}")).await;
    let requests = api.sim.stats().api_requests;

    let colleague = api.sim.colleague_id();
    assert_ne!(colleague, admin());
    let at = api.sim.change_task_as_colleague(task, json!({"complete_till": DUE + 86_400})).await.expect("changed");
    assert!(at > before["updated_at"].as_i64().expect("stamp"));
    let (_, after) = api.get(&format!("/api/v4/tasks/{task}")).await;
    assert_eq!((after["updated_by"].as_i64(), after["updated_at"].as_i64()), (Some(colleague), Some(at)));
    assert_eq!(after["complete_till"], DUE + 86_400);

    let (_, lead_before) = api.get(&format!("/api/v4/leads/{lead}")).await;
    let at = api.sim.change_lead_as_colleague(lead, json!({"price": 5000})).await.expect("changed");
    let (_, lead_after) = api.get(&format!("/api/v4/leads/{lead}")).await;
    assert_eq!((lead_after["price"].as_i64(), lead_after["updated_by"].as_i64()), (Some(5000), Some(colleague)));
    assert!(at > lead_before["updated_at"].as_i64().expect("stamp"));
    assert_eq!(lead_after["updated_at"], at);
    assert_eq!(api.sim.stats().api_requests, requests + 3, "the colleague's changes are not API requests");

    // The same over HTTP, as another named user; refusals as the PATCH would give them.
    let vera = admin() + 2;
    let r = api
        .http
        .post(format!("{}/_sim/leads/{lead}/as-colleague?user_id={vera}", api.sim.url()))
        .json(&json!({"name": "Переименовал коллега"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!((v["id"].as_i64(), v["updated_by"].as_i64()), (Some(lead), Some(vera)));
    assert_eq!(api.sim.leads()[0].name, "Переименовал коллега");
    let refused = api.sim.change_lead_as_colleague(lead, json!({"status_id": 1})).await.expect_err("refused");
    assert!(refused.starts_with("400") && refused.contains("NotSupportedChoice"), "{refused}");
    let gone = api.sim.change_task_as_colleague(1, json!({"text": "x"})).await.expect_err("unknown");
    assert!(gone.starts_with("404"), "{gone}");
    let nobody = api.sim.change_lead_as(1, lead, json!({"price": 1})).await.expect_err("not a user");
    assert!(nobody.starts_with("400"), "{nobody}");
}

#[tokio::test]
async fn a_lead_is_renamed_repriced_retagged_and_its_fields_merged_by_patch() {
    let api = Api::start().await;
    api.sim.seed_leads(2, "Сделка ");
    let leads = api.sim.leads();
    let (id, other) = (leads[0].id, leads[1].id);
    let colleague = api.sim.colleague_id();
    let (s, v) = api
        .patch(
            &format!("/api/v4/leads/{id}"),
            json!({"name": "Кухня «Сканди»", "price": 245_000, "responsible_user_id": colleague,
                   "_embedded": {"tags": [{"name": "повторный"}, {"name": "рассрочка"}]},
                   "custom_fields_values": [{"field_code": "SOURCE", "values": [{"value": "Звонок"}]},
                                            {"field_id": 701_005, "values": [{"value": "Казань"}]}]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["id"], id);
    assert!(
        v["updated_at"].is_i64()
            && v["_links"]["self"]["href"].as_str().is_some_and(|h| h.ends_with(&format!("/api/v4/leads/{id}")))
    );
    assert!(v.get("request_id").is_none(), "amo-docs' lead answer has no request_id: {v}");
    let l = &api.sim.leads()[0];
    assert_eq!((l.name.as_str(), l.price, l.responsible_user_id), ("Кухня «Сканди»", 245_000, colleague));
    assert_eq!(l.tags, vec!["повторный", "рассрочка"]);
    assert_eq!(l.custom_fields_values.len(), 2);

    // A field sent again replaces its values, `values: null` empties it, the rest stay; tags
    // are added and removed by name, or by the id the lead shows.
    let (_, shown) = api.get(&format!("/api/v4/leads/{id}")).await;
    let installment = shown["_embedded"]["tags"][1]["id"].as_i64().expect("tag id");
    let (s, v) = api
        .patch(
            "/api/v4/leads",
            json!([{"id": id, "custom_fields_values": [{"field_id": 701_005, "values": null},
                                                         {"field_id": 701_004, "values": [{"value": "10452"}]}],
                    "tags_to_add": [{"name": "тендер"}], "tags_to_delete": [{"id": installment}]},
                   {"id": other, "price": 100}]),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let done = v["_embedded"]["leads"].as_array().expect("leads");
    assert_eq!(done.iter().map(|l| l["id"].as_i64()).collect::<Vec<_>>(), vec![Some(id), Some(other)]);
    assert!(v["_links"]["self"]["href"].as_str().is_some_and(|h| h.ends_with("/api/v4/leads")));
    let l = &api.sim.leads()[0];
    let fields: Vec<i64> = l.custom_fields_values.iter().filter_map(|f| f["field_id"].as_i64()).collect();
    assert_eq!(fields, vec![701_001, 701_004]);
    assert_eq!(l.tags, vec!["повторный", "тендер"]);
    let (s, _) = api.patch(&format!("/api/v4/leads/{id}"), json!({"_embedded": {"tags": null}})).await;
    assert_eq!(s, 200);
    assert!(api.sim.leads()[0].tags.is_empty(), "`tags: null` removes them all");
    let (_, after) = api.get(&format!("/api/v4/leads/{id}")).await;
    assert_eq!(after["updated_by"], admin());
    assert!(after["updated_at"].as_i64() > shown["updated_at"].as_i64());
}

#[tokio::test]
async fn a_lead_patch_is_refused_at_amocrm_paths_and_the_batch_changes_nothing() {
    let api = Api::start().await;
    api.sim.seed_leads(1, "Сделка ");
    let id = api.sim.leads()[0].id;
    let before = api.sim.leads();
    let (s, v) = api
        .patch(
            "/api/v4/leads",
            json!([{"id": id, "request_id": "types", "price": "много", "name": 5},
                   {"id": id, "request_id": "stage", "status_id": 1},
                   {"id": id, "request_id": "foreign stage", "status_id": OPT_REQUEST},
                   {"id": id, "request_id": "unsorted", "status_id": MAIN_UNSORTED},
                   {"id": id, "request_id": "pipeline", "pipeline_id": 1},
                   {"id": id, "request_id": "fields", "custom_fields_values": [
                       {"field_id": 701_005, "values": [{"value": "Казань"}]},
                       {"field_id": 701_001, "values": [{"value": "Газета"}]},
                       {"field_id": 702_001, "values": [{"value": "+7 900"}]}]},
                   {"id": id, "request_id": "user", "responsible_user_id": 1},
                   {"id": id, "request_id": "tags", "_embedded": {"tags": [{"color": "red"}]}},
                   {"id": 1, "request_id": "gone"}]),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(
        errors(&v),
        vec![
            err("types", "InvalidType", "name"),
            err("types", "InvalidType", "price"),
            err("stage", "NotSupportedChoice", "status_id"),
            err("foreign stage", "NotSupportedChoice", "status_id"),
            err("unsorted", "NotSupportedChoice", "status_id"),
            err("pipeline", "NotSupportedChoice", "pipeline_id"),
            err("fields", "NotSupportedChoice", "custom_fields_values.1.values.0.value"),
            err("fields", "NotSupportedChoice", "custom_fields_values.2.field_id"),
            err("user", "NotSupportedChoice", "responsible_user_id"),
            err("tags", "FieldMissing", "_embedded.tags.0.name"),
            err("gone", "NotFound", "id"),
        ]
    );
    assert_eq!(api.sim.leads(), before);
    let (s, _) = api.patch("/api/v4/leads/1", json!({"price": 1})).await;
    assert_eq!(s, 404);
    let (s, _) = api.patch(&format!("/api/v4/leads/{id}"), json!([{"price": 1}])).await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn a_stage_with_a_required_field_is_refused_until_the_field_is_sent() {
    let api = Api::start().await;
    api.sim.seed_leads(1, "Сделка ");
    let id = api.sim.leads()[0].id;
    assert_eq!(api.sim.leads()[0].status_id, FIRST_CONTACT);
    let (s, v) = api.patch(&format!("/api/v4/leads/{id}"), json!({"status_id": NEGOTIATION})).await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(errors(&v), vec![err("0", "FieldMissing", "custom_fields_values")]);
    let detail = v["validation-errors"][0]["errors"][0]["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(&DELIVERY_DATE.to_string()) && detail.contains("Дата доставки"), "{detail}");
    assert_eq!(api.sim.leads()[0].status_id, FIRST_CONTACT);

    let (s, v) = api
        .patch(
            &format!("/api/v4/leads/{id}"),
            json!({"status_id": NEGOTIATION,
                   "custom_fields_values": [{"field_id": DELIVERY_DATE, "values": [{"value": DUE}]}]}),
        )
        .await;
    assert_eq!(s, 200, "sent with the move: {v}");
    assert_eq!(api.sim.leads()[0].status_id, NEGOTIATION);

    // An account where amoCRM would not check (its behaviour is not documented).
    api.sim.seed_leads(1, "Ещё ");
    let second = api.sim.leads()[1].id;
    api.sim.set_required_fields_enforced(false);
    let (s, _) = api.patch(&format!("/api/v4/leads/{second}"), json!({"status_id": NEGOTIATION})).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn won_and_lost_close_the_lead_and_lost_takes_only_the_accounts_reasons() {
    let api = Api::start().await;
    api.sim.seed_leads(2, "Сделка ");
    let leads = api.sim.leads();
    let (won, lost) = (leads[0].id, leads[1].id);
    let reasons = api.sim.loss_reasons();
    assert!(reasons.len() >= 3);

    let (s, v) = api.patch(&format!("/api/v4/leads/{won}"), json!({"status_id": 142})).await;
    assert_eq!(s, 200, "{v}");
    let (_, w) = api.get(&format!("/api/v4/leads/{won}")).await;
    assert_eq!(w["status_id"], 142);
    assert!(w["closed_at"].is_i64(), "{w}");

    // Another pipeline: a closed lead stays closed there (142 and 143 are in every pipeline).
    let (s, _) = api.patch(&format!("/api/v4/leads/{won}"), json!({"pipeline_id": OPT})).await;
    assert_eq!(s, 200);
    assert_eq!((api.sim.leads()[0].pipeline_id, api.sim.leads()[0].status_id), (OPT, 142));

    let (s, v) = api.patch(&format!("/api/v4/leads/{lost}"), json!({"status_id": 143, "loss_reason_id": 1})).await;
    assert_eq!((s, errors(&v)), (400, vec![err("0", "NotSupportedChoice", "loss_reason_id")]), "a foreign reason");
    let reason = reasons[1].id;
    let (s, v) = api.patch(&format!("/api/v4/leads/{lost}"), json!({"status_id": 143, "loss_reason_id": reason})).await;
    assert_eq!(s, 200, "{v}");
    let (_, l) = api.get(&format!("/api/v4/leads/{lost}?with=loss_reason")).await;
    assert_eq!((l["status_id"].as_i64(), l["loss_reason_id"].as_i64()), (Some(143), Some(reason)));
    assert_eq!(l["_embedded"]["loss_reason"][0]["name"], reasons[1].name.as_str());
    let (_, list) = api.get(&format!("/api/v4/leads?filter[id]={lost}&with=loss_reason")).await;
    assert_eq!(list["_embedded"]["leads"][0]["_embedded"]["loss_reason"][0]["id"], reason);

    // Back to work: open again, closed_at gone, the reason kept (amocrm-api-php#88 read it back).
    let (s, _) = api.patch(&format!("/api/v4/leads/{lost}"), json!({"status_id": FIRST_CONTACT})).await;
    assert_eq!(s, 200);
    let (_, l) = api.get(&format!("/api/v4/leads/{lost}")).await;
    assert_eq!((l["closed_at"].clone(), l["loss_reason_id"].as_i64()), (Value::Null, Some(reason)));
    // A reason on a lead that is not lost: the answer amocrm-api-php#88 shows.
    let (s, v) = api.patch(&format!("/api/v4/leads/{lost}"), json!({"loss_reason_id": reason})).await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["errors"][lost.to_string()], "Loss reason can be specified only for lost lead");
    assert_eq!(v["detail"], "Invalid request body");
}

#[tokio::test]
async fn the_loss_reasons_are_listed_as_hal_and_none_is_204() {
    let api = Api::start().await;
    let (s, v) = api.get("/api/v4/leads/loss_reasons").await;
    assert_eq!(s, 200, "{v}");
    let list = v["_embedded"]["loss_reasons"].as_array().expect("reasons");
    assert_eq!(list.len(), api.sim.loss_reasons().len());
    for key in ["id", "name", "sort", "created_at", "updated_at", "_links"] {
        assert!(list[0].get(key).is_some(), "{key} missing in {}", list[0]);
    }
    let id = list[0]["id"].as_i64().expect("id");
    assert!(list[0]["_links"]["self"]["href"]
        .as_str()
        .is_some_and(|h| h.ends_with(&format!("/api/v4/leads/loss_reasons/{id}"))));
    let (s, one) = api.get(&format!("/api/v4/leads/loss_reasons/{id}")).await;
    assert_eq!((s, one["name"].clone()), (200, list[0]["name"].clone()));
    assert_eq!(api.get("/api/v4/leads/loss_reasons/1").await.0, 204);
    api.sim.set_loss_reasons(Vec::new());
    assert_eq!(api.get("/api/v4/leads/loss_reasons").await.0, 204);
}

#[tokio::test]
async fn the_demo_account_has_loss_reasons_and_its_lost_leads_carry_one() {
    let api = Api::start().await;
    api.sim.seed_demo_account(amo_sim::demo::DEMO_SEED).expect("demo");
    let reasons = api.sim.loss_reasons();
    assert!(reasons.iter().any(|r| r.name == "Не устроили сроки доставки"), "{reasons:?}");
    let names: std::collections::HashSet<&str> = reasons.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names.len(), reasons.len(), "no reason twice");
    let leads = api.sim.leads();
    let lost: Vec<_> = leads.iter().filter(|l| l.status_id == 143).collect();
    assert!(!lost.is_empty());
    assert!(lost.iter().all(|l| l.loss_reason_id.is_some_and(|id| reasons.iter().any(|r| r.id == id))));
    assert!(leads.iter().filter(|l| l.status_id == 142 || l.status_id == 143).all(|l| l.closed_at.is_some()));
    assert!(leads.iter().filter(|l| l.status_id != 143).all(|l| l.loss_reason_id.is_none()));
}

#[tokio::test]
async fn patches_pass_the_rate_limit_and_the_fault_gate() {
    let api = Api::start().await;
    api.sim.seed_leads(1, "Сделка ");
    let lead = api.sim.leads()[0].id;
    let task = api.task(lead, "Позвонить", DUE).await;
    api.sim.set_faults(amo_sim::Faults { refuse_next: 2, refuse_status: 402, ..amo_sim::Faults::default() });
    assert_eq!(api.patch(&format!("/api/v4/tasks/{task}"), json!({"is_completed": true})).await.0, 402);
    assert_eq!(api.patch("/api/v4/leads", json!([{"id": lead, "price": 1}])).await.0, 402);
    assert!(!api.sim.tasks()[0].is_completed && api.sim.leads()[0].price == 0, "refused before any work");
    api.sim.set_faults(amo_sim::Faults { drop_after_next: 1, ..amo_sim::Faults::default() });
    let sent = api
        .http
        .patch(format!("{}/api/v4/tasks/{task}", api.sim.url()))
        .bearer_auth(&api.token)
        .json(&json!({"is_completed": true}))
        .send()
        .await;
    let body = match sent {
        Ok(r) => r.bytes().await.map(|b| b.len()).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    assert!(body.is_err(), "the answer is dropped: {body:?}");
    assert!(api.sim.tasks()[0].is_completed, "but the task was completed");

    // 7 a second, as every API request.
    let slow = Simulator::start(SimConfig::default(), 0).await.expect("sim");
    let token = slow.issue_long_lived(3600);
    slow.seed_leads(1, "x");
    let id = slow.leads()[0].id;
    let mut statuses = Vec::new();
    for i in 0..8 {
        let r = api
            .http
            .patch(format!("{}/api/v4/leads/{id}", slow.url()))
            .bearer_auth(&token)
            .json(&json!({"price": i}))
            .send()
            .await
            .expect("patch");
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 1, "{statuses:?}");
    assert_eq!(slow.stats().rate_limited, 1);
}
