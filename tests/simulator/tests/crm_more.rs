//! Companies, tasks and incoming (unsorted) form leads behave as amo-docs describes them
//! (docs/amocrm-api.md §8.6, §8.8, §8.13): these tests pin the answers and errors a client codes
//! against.

use amo_sim::{Faults, SimConfig, SimField, SimPlatform, Simulator, KOMMO_DUPLICATE_TAG};
use serde_json::{json, Value};

struct Api {
    sim: Simulator,
    token: String,
    http: reqwest::Client,
}

impl Api {
    async fn start(platform: SimPlatform) -> Api {
        let cfg = SimConfig { rate_limit_per_sec: 100_000, platform, ..SimConfig::default() };
        let sim = Simulator::start(cfg, 0).await.expect("sim");
        let token = sim.issue_long_lived(3600);
        Api { sim, token, http: reqwest::Client::new() }
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.http.get(format!("{}{path}", self.sim.url())).bearer_auth(&self.token).send().await.expect("get");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.sim.url()))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("post");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
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

const MAIN: i64 = 3_383_152;
const MAIN_UNSORTED: i64 = 33_929_749;
const OPT: i64 = 3_383_153;

#[tokio::test]
async fn companies_are_added_and_found_by_name_or_field_value_and_a_miss_is_204() {
    let api = Api::start(SimPlatform::Amocrm).await;
    let (s, v) = api
        .post(
            "/api/v4/companies",
            json!([{"name": "ООО Ромашка", "request_id": "c1", "custom_fields_values": [
                {"field_code": "WEB", "values": [{"value": "https://romashka.example"}]},
                {"field_code": "PHONE", "values": [{"value": "+7 495 123-45-67", "enum_code": "WORK"}]}]},
                   {"name": "ИП Лютик"}]),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let made = v["_embedded"]["companies"].as_array().expect("companies");
    assert_eq!(made.len(), 2);
    assert_eq!((made[0]["request_id"].as_str(), made[1]["request_id"].as_str()), (Some("c1"), Some("1")));
    let id = made[0]["id"].as_i64().expect("id");
    assert!(made[0]["_links"]["self"]["href"].as_str().expect("href").ends_with(&format!("/api/v4/companies/{id}")));
    assert_eq!(api.sim.stats().companies_created, 2);

    for q in ["%D1%80%D0%BE%D0%BC%D0%B0%D1%88%D0%BA%D0%B0", "romashka.example", "4951234567"] {
        let (s, v) = api.get(&format!("/api/v4/companies?query={q}")).await;
        assert_eq!(s, 200, "query {q}: {v}");
        let found = v["_embedded"]["companies"].as_array().expect("list");
        assert_eq!(found.len(), 1, "query {q}");
        let c = &found[0];
        assert_eq!((c["id"].as_i64(), c["name"].as_str()), (Some(id), Some("ООО Ромашка")));
        assert_eq!(c["group_id"], 0);
        assert_eq!(c["closest_task_at"], Value::Null);
        assert_eq!(c["account_id"], SimConfig::default().account_id);
        assert_eq!(c["_embedded"]["tags"], json!([]));
        let phone = c["custom_fields_values"].as_array().expect("cf").iter().find(|f| f["field_code"] == "PHONE");
        assert_eq!(phone.expect("phone")["values"][0]["enum_code"], "WORK");
    }
    assert_eq!(api.get("/api/v4/companies?query=nobody-by-that-name").await.0, 204);
    assert_eq!(api.get(&format!("/api/v4/companies/{id}")).await.1["name"], "ООО Ромашка");
    assert_eq!(api.get("/api/v4/companies/1").await.0, 204, "amo-docs: 204 for an unknown id");
    let (s, v) = api.get("/api/v4/companies?limit=251").await;
    assert_eq!(s, 200, "a limit over 250 falls back to 50 (amocrm-api-php#210)");
    assert!(v["_links"]["self"]["href"].as_str().is_some_and(|h| h.ends_with("limit=50")), "{v}");
    assert_eq!(api.get("/api/v4/companies?limit=0").await.0, 400);
    let (_, lutik) = api.get("/api/v4/companies?query=%D0%BB%D1%8E%D1%82%D0%B8%D0%BA").await;
    assert_eq!(lutik["_embedded"]["companies"][0]["custom_fields_values"], Value::Null, "null when empty");

    let (s, v) = api.post("/api/v4/companies", json!([{"name": 5}, {"name": "x", "responsible_user_id": 1}])).await;
    assert_eq!(s, 400);
    assert_eq!(
        errors(&v),
        vec![err("0", "InvalidType", "name"), err("1", "NotSupportedChoice", "responsible_user_id")]
    );
    assert_eq!(api.sim.companies().len(), 2, "a refused batch creates nothing");
}

#[tokio::test]
async fn a_complex_lead_with_a_new_company_and_contact_links_all_three() {
    let api = Api::start(SimPlatform::Amocrm).await;
    let (s, v) = api
        .post(
            "/api/v4/leads/complex",
            json!([{"name": "Офисная мебель", "request_id": "r1", "_embedded": {
                "contacts": [{"first_name": "Ирина", "custom_fields_values": [
                    {"field_code": "PHONE", "values": [{"value": "+79120000001", "enum_code": "MOB"}]},
                    {"field_id": 702_002, "values": [{"value": "irina@example.com", "enum_id": 802_012}]},
                    {"field_code": "POSITION", "values": [{"value": "Закупщик"}]}]}],
                "companies": [{"name": "ООО Офис", "custom_fields_values": [
                    {"field_code": "ADDRESS", "values": [{"value": "Москва, Тверская 1"}]}]}]}}]),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let company_id = v[0]["company_id"].as_i64().expect("company_id set");
    let contact_id = v[0]["contact_id"].as_i64().expect("contact_id");
    let lead_id = v[0]["id"].as_i64().expect("id");

    let contact = api.sim.contacts().into_iter().find(|c| c.id == contact_id).expect("contact");
    assert_eq!(contact.company_id, Some(company_id), "a new contact and a new company are linked");
    assert_eq!((contact.phone_types.clone(), contact.email_types.clone()), (vec!["MOB".into()], vec!["PRIV".into()]));
    assert_eq!(contact.custom_fields_values[0]["field_code"], "POSITION");
    let lead = api.sim.leads().into_iter().find(|l| l.id == lead_id).expect("lead");
    assert_eq!(lead.company_id, Some(company_id));
    let company = api.sim.companies().into_iter().find(|c| c.id == company_id).expect("company");
    assert_eq!(company.custom_fields_values[0]["values"][0]["value"], "Москва, Тверская 1");

    let (_, l) = api.get(&format!("/api/v4/leads/{lead_id}")).await;
    assert_eq!(l["_embedded"]["companies"][0]["id"], company_id);
    assert!(l["_embedded"]["companies"][0]["_links"]["self"]["href"].as_str().expect("href").contains("/companies/"));
    let (_, c) = api.get("/api/v4/contacts?query=79120000001").await;
    let c = &c["_embedded"]["contacts"][0];
    assert_eq!(c["_embedded"]["companies"][0]["id"], company_id);
    let cf = c["custom_fields_values"].as_array().expect("cf");
    let by = |code: &str| cf.iter().find(|f| f["field_code"] == code).cloned().expect(code);
    assert_eq!(by("PHONE")["values"][0], json!({"value": "+79120000001", "enum_id": 802_003, "enum_code": "MOB"}));
    assert_eq!(by("EMAIL")["values"][0]["enum_code"], "PRIV");
    assert_eq!(by("POSITION")["values"][0]["value"], "Закупщик");
    let (s, co) = api.get("/api/v4/companies?with=leads,contacts").await;
    assert_eq!(s, 200);
    assert_eq!(co["_embedded"]["companies"][0]["_embedded"]["leads"][0]["id"], lead_id);
    assert_eq!(co["_embedded"]["companies"][0]["_embedded"]["contacts"][0]["id"], contact_id);
}

#[tokio::test]
async fn a_complex_lead_attaches_an_existing_company_and_refuses_an_unknown_one_or_two() {
    let api = Api::start(SimPlatform::Amocrm).await;
    let existing = api.sim.seed_company("АО Старый клиент");
    let (s, v) = api
        .post(
            "/api/v4/leads/complex",
            json!([{"name": "Повторный заказ", "_embedded": {"companies": [{"id": existing}],
                    "contacts": [{"first_name": "Пётр"}]}}]),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v[0]["company_id"], existing);
    assert_eq!(api.sim.companies().len(), 1, "no new company");
    let contact = api.sim.contacts().into_iter().find(|c| Some(c.id) == v[0]["contact_id"].as_i64()).expect("c");
    assert_eq!(contact.company_id, None, "only a new contact and a new company are linked (amo-docs)");

    let (s, v) = api
        .post(
            "/api/v4/leads/complex",
            json!([{"request_id": "a", "_embedded": {"companies": [{"id": 42}]}},
                   {"request_id": "b", "_embedded": {"companies": [{"name": "X"}, {"name": "Y"}]}}]),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(
        errors(&v),
        vec![err("a", "NotFound", "_embedded.companies.0.id"), err("b", "Count", "_embedded.companies")]
    );
}

#[tokio::test]
async fn company_and_contact_custom_fields_are_checked_at_amocrm_paths() {
    let api = Api::start(SimPlatform::Amocrm).await;
    let mut fields = api.sim.company_fields();
    fields.push(SimField {
        id: 703_050,
        name: "Отрасль".into(),
        code: None,
        field_type: "select",
        sort: 20,
        is_api_only: false,
        enums: vec![(803_051, "Ритейл".into(), None), (803_052, "Опт".into(), None)],
        required_statuses: Vec::new(),
    });
    api.sim.set_company_fields(fields);
    let (s, v) = api
        .post(
            "/api/v4/leads/complex",
            json!([{"request_id": "q", "_embedded": {
                "companies": [{"name": "ООО Ошибка", "custom_fields_values": [
                    {"field_id": 703_050, "values": [{"enum_id": 999}]},
                    {"field_id": 701_001, "values": [{"enum_id": 801_001}]}]}],
                "contacts": [{"first_name": "Анна", "custom_fields_values": [
                    {"field_code": "PHONE", "values": [{"value": "+7912", "enum_code": "CELL"}]},
                    {"field_code": "EMAIL", "values": [{"value": "not-an-email"}]}]}]}}]),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(
        errors(&v),
        vec![
            err("q", "NotSupportedChoice", "_embedded.contacts.0.custom_fields_values.0.values.0.enum_code"),
            err("q", "InvalidEmail", "_embedded.contacts.0.custom_fields_values.1.values.0.value"),
            err("q", "NotSupportedChoice", "_embedded.companies.0.custom_fields_values.0.values.0.value"),
            err("q", "NotSupportedChoice", "_embedded.companies.0.custom_fields_values.1.field_id"),
        ]
    );
    assert!(api.sim.leads().is_empty() && api.sim.companies().is_empty() && api.sim.contacts().is_empty());
    let (s, _) = api
        .post(
            "/api/v4/leads/complex",
            json!([{"_embedded": {"companies": [{"name": "ООО Ритейл", "custom_fields_values": [
                {"field_id": 703_050, "values": [{"enum_id": 803_051}]}]}]}}]),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(api.sim.companies()[0].custom_fields_values[0]["values"][0]["value"], "Ритейл");
    // The standalone contact add checks the other contact fields too.
    let (s, v) = api
        .post(
            "/api/v4/contacts",
            json!([{"name": "Б", "custom_fields_values": [{"field_code": "BIRTHDAY_X", "values": []}]}]),
        )
        .await;
    assert_eq!((s, errors(&v)), (400, vec![err("0", "NotSupportedChoice", "custom_fields_values.0.field_id")]));
}

#[tokio::test]
async fn tasks_need_text_and_complete_till_and_a_known_type_and_entity() {
    let api = Api::start(SimPlatform::Amocrm).await;
    api.sim.seed_leads(2, "Сделка ");
    let leads = api.sim.leads();
    let (ours, other) = (leads[0].id, leads[1].id);
    let due = 1_900_000_000;

    let (s, v) = api
        .post(
            "/api/v4/tasks",
            json!([{"request_id": "t1", "text": "Перезвонить", "entity_type": "leads", "entity_id": ours},
                   {"request_id": "t2", "complete_till": due, "entity_type": "leads", "entity_id": 1},
                   {"request_id": "t3", "text": "Встреча", "complete_till": due, "task_type_id": 99},
                   {"request_id": "t4", "text": "x", "complete_till": due, "entity_id": ours},
                   {"request_id": "t5", "text": "x", "complete_till": "tomorrow", "entity_type": "deals", "entity_id": ours}]),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(
        errors(&v),
        vec![
            err("t1", "FieldMissing", "complete_till"),
            err("t2", "FieldMissing", "text"),
            err("t2", "NotFound", "entity_id"),
            err("t3", "NotSupportedChoice", "task_type_id"),
            err("t4", "FieldMissing", "entity_type"),
            err("t5", "InvalidType", "complete_till"),
            err("t5", "NotSupportedChoice", "entity_type"),
        ]
    );
    assert!(api.sim.tasks().is_empty());

    let (s, v) = api
        .post(
            "/api/v4/tasks",
            json!([{"request_id": "call", "text": "Перезвонить", "complete_till": due, "entity_type": "leads", "entity_id": ours},
                   {"text": "Позже", "complete_till": due + 60, "entity_type": "leads", "entity_id": ours, "task_type_id": 2,
                    "responsible_user_id": SimConfig::default().user_id + 1, "duration": 1800}]),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let made = v["_embedded"]["tasks"].as_array().expect("tasks");
    assert_eq!((made[0]["request_id"].as_str(), made[1]["request_id"].as_str()), (Some("call"), Some("1")));
    assert!(made[0]["_links"]["self"]["href"].as_str().expect("href").contains("/api/v4/tasks/"));
    assert_eq!(api.sim.stats().tasks_created, 2);
    let t = &api.sim.tasks()[0];
    assert_eq!((t.task_type_id, t.responsible_user_id, t.is_completed), (1, SimConfig::default().user_id, false));

    let (s, v) = api
        .get(&format!("/api/v4/tasks?filter[entity_type]=leads&filter[entity_id][]={ours}&order[complete_till]=desc"))
        .await;
    assert_eq!(s, 200, "{v}");
    let list = v["_embedded"]["tasks"].as_array().expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["text"], "Позже", "desc by complete_till");
    let first = &list[1];
    for key in [
        "id",
        "created_by",
        "updated_by",
        "created_at",
        "updated_at",
        "responsible_user_id",
        "group_id",
        "entity_id",
        "entity_type",
        "duration",
        "is_completed",
        "task_type_id",
        "text",
        "result",
        "complete_till",
        "account_id",
        "_links",
    ] {
        assert!(first.get(key).is_some(), "{key} missing in {first}");
    }
    assert_eq!((first["entity_id"].as_i64(), first["result"].clone()), (Some(ours), json!([])));
    let (s, _) = api.get(&format!("/api/v4/tasks?filter[entity_type]=leads&filter[entity_id][]={other}")).await;
    assert_eq!(s, 204, "another lead has no tasks");
    let (_, v) =
        api.get(&format!("/api/v4/tasks?filter[entity_type]=leads&filter[entity_id]={ours}&filter[task_type]=2")).await;
    assert_eq!(v["_embedded"]["tasks"].as_array().map(Vec::len), Some(1));
    let (_, v) = api
        .get(&format!(
            "/api/v4/tasks?filter[entity_type]=leads&filter[entity_id][]={other}&filter[entity_id][]={ours}&limit=1"
        ))
        .await;
    assert_eq!(v["_embedded"]["tasks"].as_array().map(Vec::len), Some(1));
    assert!(v["_links"]["next"]["href"].is_string(), "paged: {v}");
    assert_eq!(api.get("/api/v4/tasks?filter[is_completed]=1").await.0, 204);
    let (_, v) =
        api.get(&format!("/api/v4/tasks?filter[responsible_user_id]={}", SimConfig::default().user_id + 1)).await;
    assert_eq!(v["_embedded"]["tasks"][0]["text"], "Позже");

    // A custom type the admin adds is listed by the account and accepted by the tasks.
    let meeting_room = api.sim.add_task_type("Показ в салоне");
    let (_, acc) = api.get("/api/v4/account?with=task_types").await;
    let types: Vec<i64> =
        acc["_embedded"]["task_types"].as_array().expect("types").iter().filter_map(|t| t["id"].as_i64()).collect();
    assert_eq!(types, vec![1, 2, meeting_room]);
    let (s, _) =
        api.post("/api/v4/tasks", json!([{"text": "Показ", "complete_till": due, "task_type_id": meeting_room}])).await;
    assert_eq!(s, 200);
}

fn form(source_uid: &str, phone: &str) -> Value {
    json!({
        "request_id": source_uid, "source_name": "Сайт", "source_uid": source_uid,
        "metadata": {"form_id": "callback", "form_name": "Обратный звонок", "form_page": "https://shop.example/",
                     "form_sent_at": 1_700_000_000, "ip": "192.0.2.1", "referer": "https://search.example/"},
        "_embedded": {
            "leads": [{"name": "Заявка с сайта", "price": 1000, "_embedded": {"tags": [{"name": "сайт"}]},
                       "custom_fields_values": [{"field_id": 701_001, "values": [{"enum_id": 801_001}]}]}],
            "contacts": [{"first_name": "Ольга", "custom_fields_values": [
                {"field_code": "PHONE", "values": [{"value": phone, "enum_code": "MOB"}]}]}],
            "companies": [{"name": "ООО Заявитель"}]
        }
    })
}

#[tokio::test]
async fn an_unsorted_form_lead_lands_in_the_pipelines_unsorted_status() {
    let api = Api::start(SimPlatform::Amocrm).await;
    let (s, v) = api.post("/api/v4/leads/unsorted/forms", json!([form("f1", "+79120000100")])).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["_total_items"], 1);
    let u = &v["_embedded"]["unsorted"][0];
    assert_eq!(
        (u["request_id"].as_str(), u["account_id"].as_i64()),
        (Some("f1"), Some(SimConfig::default().account_id))
    );
    let uid = u["uid"].as_str().expect("uid");
    let lead_id = u["_embedded"]["leads"][0]["id"].as_i64().expect("lead");
    let contact_id = u["_embedded"]["contacts"][0]["id"].as_i64().expect("contact");
    let company_id = u["_embedded"]["companies"][0]["id"].as_i64().expect("company");
    assert_eq!(api.sim.stats().unsorted_created, 1);

    let lead = api.sim.leads().into_iter().find(|l| l.id == lead_id).expect("lead");
    assert_eq!((lead.pipeline_id, lead.status_id), (MAIN, MAIN_UNSORTED));
    assert_eq!((lead.contact_ids.clone(), lead.company_id), (vec![contact_id], Some(company_id)));
    assert_eq!(lead.tags, vec!["сайт".to_string()]);
    let (_, listed) = api.get("/api/v4/leads").await;
    let l = listed["_embedded"]["leads"].as_array().expect("leads").iter().find(|l| l["id"] == lead_id).cloned();
    assert_eq!(l.expect("listed")["status_id"], MAIN_UNSORTED);
    let contact = api.sim.contacts().into_iter().find(|c| c.id == contact_id).expect("contact");
    assert!(contact.is_unsorted);
    assert_eq!(contact.company_id, Some(company_id));

    let (s, list) = api.get("/api/v4/leads/unsorted").await;
    assert_eq!(s, 200);
    let got = &list["_embedded"]["unsorted"][0];
    assert_eq!((got["uid"].as_str(), got["category"].as_str()), (Some(uid), Some("forms")));
    assert_eq!((got["source_uid"].as_str(), got["pipeline_id"].as_i64()), (Some("f1"), Some(MAIN)));
    assert_eq!(got["metadata"]["form_name"], "Обратный звонок");
    assert_eq!(got["_embedded"]["leads"][0]["id"], lead_id);
    assert_eq!(api.get(&format!("/api/v4/leads/unsorted/{uid}")).await.1["uid"], uid);
    assert_eq!(api.get("/api/v4/leads/unsorted?filter[uid]=nope").await.0, 204);
    assert_eq!(api.get(&format!("/api/v4/leads/unsorted?filter[pipeline_id]={OPT}")).await.0, 204);

    let mut bad = form("f2", "+79120000101");
    bad.as_object_mut().expect("obj").remove("source_uid");
    bad["metadata"].as_object_mut().expect("meta").remove("form_sent_at");
    bad["_embedded"]["leads"][0]["custom_fields_values"] = json!([{"field_id": 701_001, "values": [{"enum_id": 1}]}]);
    let (s, v) = api.post("/api/v4/leads/unsorted/forms", json!([bad])).await;
    assert_eq!(s, 400);
    assert_eq!(
        errors(&v),
        vec![
            err("f2", "FieldMissing", "source_uid"),
            err("f2", "FieldMissing", "metadata.form_sent_at"),
            err("f2", "NotSupportedChoice", "_embedded.leads.0.custom_fields_values.0.values.0.value"),
        ]
    );
}

#[tokio::test]
async fn unsorted_switched_off_refuses_the_form() {
    let api = Api::start(SimPlatform::Amocrm).await;
    api.sim.set_pipeline_unsorted(OPT, false);
    let (_, p) = api.get("/api/v4/leads/pipelines").await;
    let flags: Vec<(i64, bool)> = p["_embedded"]["pipelines"]
        .as_array()
        .expect("pipelines")
        .iter()
        .map(|p| (p["id"].as_i64().unwrap_or(0), p["is_unsorted_on"].as_bool().unwrap_or(true)))
        .collect();
    assert_eq!(flags, vec![(MAIN, true), (OPT, false)]);
    let mut to_opt = form("o1", "+79120000200");
    to_opt["pipeline_id"] = json!(OPT);
    let (s, v) = api.post("/api/v4/leads/unsorted/forms", json!([to_opt])).await;
    assert_eq!((s, errors(&v)), (400, vec![err("o1", "NotSupportedChoice", "pipeline_id")]));
    assert!(api.sim.leads().is_empty() && api.sim.unsorted().is_empty());

    api.sim.set_unsorted_on(false);
    assert_eq!(api.get("/api/v4/account").await.1["is_unsorted_on"], false);
    let (s, v) = api.post("/api/v4/leads/unsorted/forms", json!([form("m1", "+79120000201")])).await;
    assert_eq!(s, 400);
    assert!(v["detail"].as_str().expect("detail").contains("turned off"), "{v}");
    assert!(api.sim.leads().is_empty());
    api.sim.set_unsorted_on(true);
    assert_eq!(api.post("/api/v4/leads/unsorted/forms", json!([form("m1", "+79120000201")])).await.0, 200);
}

#[tokio::test]
async fn amocrm_refuses_data_already_in_unsorted_while_kommo_tags_both() {
    let amo = Api::start(SimPlatform::Amocrm).await;
    assert_eq!(amo.post("/api/v4/leads/unsorted/forms", json!([form("a1", "+7 912 000-03-00")])).await.0, 200);
    let (s, v) = amo.post("/api/v4/leads/unsorted/forms", json!([form("a2", "+79120000300")])).await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(errors(&v), vec![err("a2", "NotUnique", "_embedded.contacts.0.custom_fields_values.0.values.0.value")]);
    assert_eq!((amo.sim.unsorted().len(), amo.sim.leads().len()), (1, 1));
    assert_eq!(amo.post("/api/v4/leads/unsorted/forms", json!([form("a3", "+79120000301")])).await.0, 200);

    let kommo = Api::start(SimPlatform::Kommo).await;
    assert_eq!(kommo.post("/api/v4/leads/unsorted/forms", json!([form("k1", "+79120000300")])).await.0, 200);
    let (s, v) = kommo.post("/api/v4/leads/unsorted/forms", json!([form("k2", "+7 912 000 03 00")])).await;
    assert_eq!(s, 200, "{v}");
    let leads = kommo.sim.leads();
    assert_eq!(leads.len(), 2);
    assert!(leads.iter().all(|l| l.tags.iter().any(|t| t == KOMMO_DUPLICATE_TAG)), "{leads:?}");
    assert_eq!(kommo.post("/api/v4/leads/unsorted/forms", json!([form("k3", "+79120000999")])).await.0, 200);
    let third = kommo.sim.leads().into_iter().last().expect("third");
    assert!(!third.tags.iter().any(|t| t == KOMMO_DUPLICATE_TAG));
}

#[tokio::test]
async fn the_new_writes_pass_the_fault_gate_like_the_others() {
    let api = Api::start(SimPlatform::Amocrm).await;
    api.sim.set_faults(Faults { refuse_next: 1, refuse_status: 402, ..Faults::default() });
    let (s, _) = api.post("/api/v4/tasks", json!([{"text": "x", "complete_till": 1_900_000_000}])).await;
    assert_eq!(s, 402);
    assert!(api.sim.tasks().is_empty(), "refused before any work");
    api.sim.set_faults(Faults { drop_after_next: 1, ..Faults::default() });
    let sent = api
        .http
        .post(format!("{}/api/v4/leads/unsorted/forms", api.sim.url()))
        .bearer_auth(&api.token)
        .json(&json!([form("d1", "+79120000400")]))
        .send()
        .await;
    let body = match sent {
        Ok(r) => r.bytes().await.map(|b| b.len()).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    assert!(body.is_err(), "the answer is dropped: {body:?}");
    assert_eq!(api.sim.unsorted().len(), 1, "but the lead was added");
    let before = api.sim.stats().api_requests;
    assert_eq!(api.post("/api/v4/companies", json!([{"name": "A"}])).await.0, 200);
    assert_eq!(api.sim.stats().api_requests, before + 1);
}

#[tokio::test]
async fn entity_links_put_a_contact_in_a_company_once_and_refuse_what_does_not_exist() {
    let api = Api::start(SimPlatform::Amocrm).await;
    let (_, v) = api.post("/api/v4/contacts", json!([{"first_name": "Anna"}])).await;
    let contact = v["_embedded"]["contacts"][0]["id"].as_i64().expect("contact id");
    let (_, v) = api.post("/api/v4/companies", json!([{"name": "ООО Ромашка"}])).await;
    let company = v["_embedded"]["companies"][0]["id"].as_i64().expect("company id");
    assert_eq!(api.get(&format!("/api/v4/contacts/{contact}/links")).await.0, 204, "no links yet: 204");

    let body = json!([{"to_entity_id": company, "to_entity_type": "companies"}]);
    for _ in 0..2 {
        // Linking an already linked pair answers the same and changes nothing.
        let (s, v) = api.post(&format!("/api/v4/contacts/{contact}/link"), body.clone()).await;
        assert_eq!(s, 200, "{v}");
        let made = &v["_embedded"]["links"][0];
        assert_eq!(
            (made["entity_id"].as_i64(), made["entity_type"].as_str(), made["to_entity_id"].as_i64()),
            (Some(contact), Some("contacts"), Some(company)),
            "{v}"
        );
        assert_eq!(made["to_entity_type"], "companies");
    }
    let (s, v) = api.get(&format!("/api/v4/contacts/{contact}/links")).await;
    assert_eq!((s, v["_embedded"]["links"].as_array().map(Vec::len)), (200, Some(1)), "{v}");
    // Both ways: the company lists its contact, and the contact's JSON names its company.
    let (_, v) = api.get(&format!("/api/v4/companies/{company}/links?filter[to_entity_type]=contacts")).await;
    assert_eq!(v["_embedded"]["links"][0]["to_entity_id"].as_i64(), Some(contact), "{v}");
    let (_, v) = api.get("/api/v4/contacts?query=Anna").await;
    assert_eq!(v["_embedded"]["contacts"][0]["_embedded"]["companies"][0]["id"].as_i64(), Some(company), "{v}");

    // Refusals: a company that does not exist, a type contacts cannot link, no such contact.
    let (s, v) = api
        .post(
            &format!("/api/v4/contacts/{contact}/link"),
            json!([{"to_entity_id": 999_999, "to_entity_type": "companies"}, {"to_entity_id": 1, "to_entity_type": "leads"}]),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(
        errors(&v),
        vec![err("0", "NotFound", "0.to_entity_id"), err("1", "NotSupportedChoice", "1.to_entity_type")]
    );
    let (s, v) = api.post("/api/v4/contacts/999999/link", body.clone()).await;
    assert_eq!((s, v["status"].as_i64()), (404, Some(404)), "{v}");

    // Unlinked: 204 with no body, and the list is empty again.
    let r = api
        .http
        .post(format!("{}/api/v4/contacts/{contact}/unlink", api.sim.url()))
        .bearer_auth(&api.token)
        .json(&body)
        .send()
        .await
        .expect("unlink");
    assert_eq!(r.status().as_u16(), 204);
    assert_eq!(api.get(&format!("/api/v4/contacts/{contact}/links")).await.0, 204);
    assert_eq!(api.sim.contacts()[0].company_id, None);
}
