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
