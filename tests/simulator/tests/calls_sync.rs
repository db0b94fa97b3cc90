//! Calls filed by phone number, notes of every entity, incoming calls (sip) and syncing contacts
//! by `updated_at` behave as amo-docs describes them (docs/amocrm-api.md §16–17): these tests pin
//! the answers a client of a telephony bridge codes against, and the controls its tests use.

use std::time::Instant;

use amo_sim::{SimConfig, Simulator};
use serde_json::{json, Value};

struct Api {
    sim: Simulator,
    token: String,
    http: reqwest::Client,
}

impl Api {
    async fn start() -> Api {
        let cfg = SimConfig { rate_limit_per_sec: 100_000, ..SimConfig::default() };
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

    /// A lead linked to contact `contact` in stage `status_id`; its id.
    async fn lead_of(&self, contact: i64, status_id: i64) -> i64 {
        let (s, v) = self
            .post(
                "/api/v4/leads/complex",
                json!([{"name": "deal", "status_id": status_id, "_embedded": {"contacts": [{"id": contact}]}}]),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        v[0]["id"].as_i64().expect("lead id")
    }

    /// The ids of a list's `_embedded.<key>`.
    async fn ids(&self, path: &str, key: &str) -> Vec<i64> {
        let (s, v) = self.get(path).await;
        if s == 204 {
            return Vec::new();
        }
        assert_eq!(s, 200, "{path}: {v}");
        v["_embedded"][key].as_array().expect("list").iter().filter_map(|x| x["id"].as_i64()).collect()
    }
}

const OPEN: i64 = 33_929_752;
const WON: i64 = 142;

fn call(phone: &str, uniq: &str) -> Value {
    json!({"direction": "inbound", "duration": 42, "source": "pbx", "phone": phone, "uniq": uniq,
           "link": "https://pbx.example/rec.mp3", "call_status": 4, "call_result": "talked"})
}

/// The `(request_id, code, path)` of every validation error in a 400 answer.
fn errors(v: &Value) -> Vec<(String, String, String)> {
    let s = |x: &Value| x.as_str().unwrap_or_default().to_string();
    let mut out = Vec::new();
    for i in v["validation-errors"].as_array().into_iter().flatten() {
        for e in i["errors"].as_array().into_iter().flatten() {
            out.push((s(&i["request_id"]), s(&e["code"]), s(&e["path"])));
        }
    }
    out
}

fn err(rid: &str, code: &str, path: &str) -> (String, String, String) {
    (rid.into(), code.into(), path.into())
}

#[tokio::test]
async fn a_call_finds_its_contact_by_the_last_ten_digits_whatever_the_spelling() {
    let api = Api::start().await;
    let a = api.sim.seed_contact("Anna", "A", Some("8 (912) 111-22-33"), None);
    let b = api.sim.seed_contact("Boris", "B", Some("+79121112244"), None);
    let c = api.sim.seed_contact("Vera", "C", Some("9121112255"), None);
    let body = json!([call("+7 912 111 22 33", "u-a"), call("8-912-111-22-44", "u-b"),
                      {"direction": "outbound", "duration": 0, "source": "pbx", "phone": "+79121112255", "request_id": "v"}]);
    let (s, v) = api.post("/api/v4/calls", body).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["_total_items"].as_i64(), v["errors"].clone()), (Some(3), json!([])));
    let got: Vec<(Option<i64>, Option<&str>, Option<&str>)> = v["_embedded"]["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .map(|x| (x["entity_id"].as_i64(), x["entity_type"].as_str(), x["request_id"].as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (Some(a), Some("contact"), Some("0")),
            (Some(b), Some("contact"), Some("1")),
            (Some(c), Some("contact"), Some("v"))
        ]
    );
    let first = &v["_embedded"]["calls"][0];
    assert_eq!(first["_embedded"]["entity"]["id"].as_i64(), Some(a));
    assert_eq!(first["account_id"], SimConfig::default().account_id);
    let notes = api.sim.calls();
    assert_eq!(first["id"].as_i64(), Some(notes[0].id), "the call's id is its note's");
    assert_eq!((notes[0].entity_type.as_str(), notes[0].note_type.as_str()), ("contacts", "call_in"));
    assert_eq!(notes[2].note_type, "call_out");
    assert_eq!(
        notes[0].params,
        json!({"uniq": "u-a", "duration": 42, "source": "pbx", "link": "https://pbx.example/rec.mp3",
               "phone": "+7 912 111 22 33", "call_responsible": null, "call_status": 4, "call_result": "talked"})
    );
    assert_eq!(notes[2].params["uniq"], Value::Null);
    assert_eq!(api.sim.stats().calls_logged, 3);
    assert_eq!(api.sim.leads().len(), 0, "a call never makes a lead");
    assert_eq!(api.sim.contacts().len(), 3, "nor a contact");
}

#[tokio::test]
async fn a_call_goes_on_the_one_open_lead_else_on_the_contact_or_the_company() {
    let api = Api::start().await;
    let one = api.sim.seed_contact("One", "Lead", Some("+79120000001"), None);
    let lead = api.lead_of(one, OPEN).await;
    api.lead_of(one, WON).await; // a closed lead does not count
    let two = api.sim.seed_contact("Two", "Leads", Some("+79120000002"), None);
    api.lead_of(two, OPEN).await;
    api.lead_of(two, OPEN).await;
    let (s, v) = api
        .post(
            "/api/v4/companies",
            json!([{"name": "Romashka", "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "+7 (912) 000-00-03"}]}]}]),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let company = v["_embedded"]["companies"][0]["id"].as_i64().expect("company");
    let body = json!([call("89120000001", "1"), call("89120000002", "2"), call("9120000003", "3")]);
    let (s, v) = api.post("/api/v4/calls", body).await;
    assert_eq!(s, 200, "{v}");
    let filed: Vec<(Option<&str>, Option<i64>)> = v["_embedded"]["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .map(|x| (x["entity_type"].as_str(), x["entity_id"].as_i64()))
        .collect();
    assert_eq!(filed, vec![(Some("lead"), Some(lead)), (Some("contact"), Some(two)), (Some("company"), Some(company))]);
    let (_, notes) = api.get(&format!("/api/v4/leads/{lead}/notes")).await;
    assert_eq!(notes["_embedded"]["notes"][0]["note_type"], "call_in");
    assert_eq!(notes["_embedded"]["notes"][0]["params"]["uniq"], "1");
}

#[tokio::test]
async fn an_unknown_number_is_refused_and_a_batch_files_what_it_can() {
    let api = Api::start().await;
    let known = api.sim.seed_contact("Known", "K", Some("+79121234567"), None);
    let (s, v) = api.post("/api/v4/calls", json!([call("+79990000000", "x")])).await;
    assert_eq!(s, 400);
    assert_eq!(v["_total_items"], 0);
    assert_eq!(v["_embedded"]["calls"], json!([]));
    assert_eq!(
        (v["errors"][0]["title"].as_str(), v["errors"][0]["request_id"].as_str()),
        (Some("Entity not found"), Some("0"))
    );
    assert_eq!(v["errors"][0]["status"], 400);
    assert!(api.sim.calls().is_empty());

    let (s, v) = api.post("/api/v4/calls", json!([call("+79990000000", "x"), call("+79121234567", "y")])).await;
    assert_eq!(s, 200, "one filed: {v}");
    assert_eq!(v["_total_items"], 1);
    assert_eq!(v["errors"][0]["request_id"], "0");
    assert_eq!(v["_embedded"]["calls"][0]["entity_id"].as_i64(), Some(known));
    assert_eq!(api.sim.stats().calls_logged, 1);
}

#[tokio::test]
async fn a_malformed_call_refuses_the_batch_and_null_is_not_an_empty_value() {
    let api = Api::start().await;
    api.sim.seed_contact("Known", "K", Some("+79121234567"), None);
    let mut nulled = call("+79121234567", "n");
    nulled["link"] = Value::Null;
    nulled["call_result"] = Value::Null;
    let body = json!([nulled, {"duration": "long", "source": "pbx", "phone": "+79121234567", "call_status": 9},
                      {"direction": "sideways", "duration": 1, "source": "", "phone": "+79121234567", "responsible_user_id": null}]);
    let (s, v) = api.post("/api/v4/calls", body).await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(
        errors(&v),
        vec![
            err("0", "NotNullable", "link"),
            err("0", "NotNullable", "call_result"),
            err("1", "FieldMissing", "direction"),
            err("1", "InvalidType", "duration"),
            err("1", "NotSupportedChoice", "call_status"),
            err("2", "NotSupportedChoice", "direction"),
            err("2", "NotBlank", "source"),
            err("2", "NotNullable", "responsible_user_id"),
        ]
    );
    assert!(api.sim.calls().is_empty(), "a refused batch files nothing");
    let (s, _) = api.post("/api/v4/calls", json!([])).await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn the_same_call_twice_is_two_notes_and_calls_cannot_be_listed() {
    let api = Api::start().await;
    api.sim.seed_contact("Known", "K", Some("+79121234567"), None);
    for _ in 0..2 {
        assert_eq!(api.post("/api/v4/calls", json!([call("+79121234567", "same-uniq")])).await.0, 200);
    }
    let same = api.sim.calls().into_iter().filter(|n| n.uniq() == Some("same-uniq")).count();
    assert_eq!(same, 2, "amoCRM does not de-duplicate on uniq");
    let r = api.http.get(format!("{}/api/v4/calls", api.sim.url())).bearer_auth(&api.token).send().await.expect("get");
    assert_eq!(r.status().as_u16(), 405);
    assert_eq!(r.headers()["allow"], "POST");
    let (s, v) = api.get("/_sim/calls?uniq=same-uniq").await;
    assert_eq!((s, v.as_array().map(Vec::len)), (200, Some(2)));
}

#[tokio::test]
async fn notes_of_contacts_are_added_and_listed_by_type_time_and_entity() {
    let api = Api::start().await;
    let a = api.sim.seed_contact("Anna", "A", Some("+79120000001"), None);
    let b = api.sim.seed_contact("Boris", "B", None, None);
    let (s, v) = api
        .post(
            "/api/v4/contacts/notes",
            json!([{"entity_id": a, "note_type": "common", "params": {"text": "hello"}},
                   {"entity_id": b, "note_type": "common", "params": {"text": "hi"}, "request_id": "b"}]),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["_embedded"]["notes"][1]["request_id"], "b");
    let href = v["_embedded"]["notes"][0]["_links"]["self"]["href"].as_str().unwrap_or_default();
    assert!(href.contains(&format!("/api/v4/contacts/{a}/notes/")), "{href}");
    let call_note = json!([{"note_type": "call_out", "params": {"uniq": "c1", "duration": 5, "source": "pbx", "phone": "+79120000001"}}]);
    let (s, v) = api.post(&format!("/api/v4/contacts/{a}/notes"), call_note).await;
    assert_eq!(s, 200, "{v}");
    let call_id = v["_embedded"]["notes"][0]["id"].as_i64().expect("id");

    let all = api.ids("/api/v4/contacts/notes", "notes").await;
    assert_eq!(all.len(), 3);
    assert_eq!(api.ids("/api/v4/contacts/notes?filter[note_type]=call_out", "notes").await, vec![call_id]);
    let both = "/api/v4/contacts/notes?filter[note_type][]=common&filter[note_type][]=call_out&order[id]=desc";
    assert_eq!(api.ids(both, "notes").await, all.iter().rev().copied().collect::<Vec<_>>());
    assert_eq!(api.ids(&format!("/api/v4/contacts/notes?filter[entity_id][]={b}"), "notes").await.len(), 1);
    assert_eq!(api.ids(&format!("/api/v4/contacts/{a}/notes"), "notes").await.len(), 2);
    assert_eq!(api.ids(&format!("/api/v4/contacts/{a}/notes?filter[note_type]=common"), "notes").await.len(), 1);
    let t = api.sim.notes()[0].updated_at;
    assert_eq!(api.ids(&format!("/api/v4/contacts/notes?filter[updated_at]={}", t - 5), "notes").await.len(), 3);
    assert_eq!(api.get(&format!("/api/v4/contacts/notes?filter[updated_at][from]={}", t + 60)).await.0, 204);
    assert_eq!(api.get(&format!("/api/v4/contacts/notes?filter[updated_at][to]={}", t - 60)).await.0, 204);
    let (_, listed) = api.get(&format!("/api/v4/contacts/{a}/notes?filter[id]={call_id}")).await;
    let n = &listed["_embedded"]["notes"][0];
    assert_eq!(
        (n["note_type"].as_str(), n["params"]["source"].as_str(), n["params"]["link"].clone()),
        (Some("call_out"), Some("pbx"), Value::Null)
    );
    assert_eq!(api.get("/api/v4/leads/notes").await.0, 204, "notes are kept per entity type");
    assert_eq!(api.get("/api/v4/contacts/1/notes").await.0, 404);
    assert_eq!(
        api.post("/api/v4/contacts/1/notes", json!([{"note_type": "common", "params": {"text": "x"}}])).await.0,
        400,
        "refused item by item (NotFound at entity_id), as the lead notes always were"
    );
    assert_eq!(api.get("/api/v4/customers/notes").await.0, 404);

    let bad = json!([{"note_type": "call_in", "params": {"duration": 5, "source": "pbx", "phone": "1", "link": null}},
                     {"note_type": "common", "params": {"text": " "}}, {"note_type": "sms_in", "params": {}}]);
    let (s, v) = api.post(&format!("/api/v4/contacts/{a}/notes"), bad).await;
    assert_eq!(s, 400);
    assert_eq!(
        errors(&v),
        vec![
            err("0", "FieldMissing", "params.uniq"),
            err("0", "NotNullable", "params.link"),
            err("1", "NotBlank", "params.text"),
            err("2", "NotSupportedChoice", "note_type"),
        ]
    );
    assert_eq!(api.sim.notes().len(), 3);
}

#[tokio::test]
async fn lead_notes_keep_working_on_both_paths() {
    let api = Api::start().await;
    api.sim.seed_leads(1, "L");
    let lead = api.sim.leads()[0].id;
    let (s, _) = api
        .post(&format!("/api/v4/leads/{lead}/notes"), json!([{"note_type": "common", "params": {"text": "one"}}]))
        .await;
    assert_eq!(s, 200);
    let (s, _) = api
        .post("/api/v4/leads/notes", json!([{"entity_id": lead, "note_type": "common", "params": {"text": "two"}}]))
        .await;
    assert_eq!(s, 200);
    let (s, v) = api.get(&format!("/api/v4/leads/{lead}/notes?page=1&limit=250")).await;
    assert_eq!(s, 200);
    let texts: Vec<&str> = v["_embedded"]["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter_map(|n| n["params"]["text"].as_str())
        .collect();
    assert_eq!(texts, vec!["one", "two"]);
    assert_eq!(api.sim.notes()[1].text, "two");
    assert_eq!(api.get("/api/v4/leads/1/notes").await.0, 404);
}

fn sip(phone: &str, uniq: &str) -> Value {
    json!({"source_name": "PBX", "source_uid": "pbx-1", "request_id": "s",
           "metadata": {"from": "onlinePBX", "phone": phone, "called_at": 1_700_000_000, "duration": 54,
                        "link": "https://pbx.example/r.mp3", "service_code": "pbx_widget", "uniq": uniq,
                        "is_call_event_needed": true}})
}

#[tokio::test]
async fn a_sip_call_from_a_new_number_is_an_incoming_lead_once() {
    let api = Api::start().await;
    let (s, v) = api.post("/api/v4/leads/unsorted/sip", json!([sip("+79125550000", "call-1")])).await;
    assert_eq!(s, 200, "{v}");
    let item = &v["_embedded"]["unsorted"][0];
    assert_eq!((v["_total_items"].as_i64(), item["request_id"].as_str()), (Some(1), Some("s")));
    let lead = item["_embedded"]["leads"][0]["id"].as_i64().expect("lead");
    let contact = item["_embedded"]["contacts"][0]["id"].as_i64().expect("contact");
    assert_eq!(
        api.sim.contacts().iter().find(|c| c.id == contact).map(|c| c.phones.clone()),
        Some(vec!["+79125550000".to_string()])
    );
    assert_eq!(api.sim.leads()[0].status_id, 33_929_749, "in the pipeline's unsorted stage");
    let calls = api.sim.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!((calls[0].entity_id, calls[0].note_type.as_str(), calls[0].uniq()), (lead, "call_in", Some("call-1")));

    let (s, v) = api.get("/api/v4/leads/unsorted?filter[category][]=sip").await;
    assert_eq!(s, 200);
    let listed = &v["_embedded"]["unsorted"][0];
    assert_eq!(listed["category"], "sip");
    assert_eq!(listed["metadata"]["uniq"], "call-1");
    assert_eq!(listed["metadata"]["phone"], "+79125550000");
    assert!(listed["metadata"].get("is_call_event_needed").is_none(), "amo-docs: the flag is not returned");
    assert_eq!(api.get("/api/v4/leads/unsorted?filter[category][]=forms").await.0, 204);

    let (s, v) = api.post("/api/v4/leads/unsorted/sip", json!([sip("+79125550000", "call-1")])).await;
    assert_eq!(s, 400, "the twin is refused: {v}");
    assert_eq!(errors(&v), vec![err("s", "NotUnique", "metadata.phone")]);
    assert_eq!((api.sim.unsorted().len(), api.sim.stats().sip_created, api.sim.calls().len()), (1, 1, 1));

    // A later call from the number is filed on the waiting incoming lead.
    let (s, v) = api.post("/api/v4/calls", json!([call("89125550000", "call-2")])).await;
    assert_eq!((s, v["_embedded"]["calls"][0]["entity_id"].as_i64()), (200, Some(lead)));
}

#[tokio::test]
async fn a_sip_item_needs_its_call_and_may_bring_its_own_contact() {
    let api = Api::start().await;
    let mut bad = sip("+79125550000", "u");
    bad["metadata"].as_object_mut().expect("m").remove("uniq");
    bad["metadata"]["duration"] = json!("long");
    let (s, v) = api.post("/api/v4/leads/unsorted/sip", json!([bad, {"source_name": "PBX", "source_uid": "x"}])).await;
    assert_eq!(s, 400);
    assert_eq!(
        errors(&v),
        vec![
            err("s", "FieldMissing", "metadata.uniq"),
            err("s", "InvalidType", "metadata.duration"),
            err("1", "FieldMissing", "metadata")
        ]
    );
    let mut own = sip("79125550001", "u2");
    own["metadata"]["is_call_event_needed"] = json!(false);
    own["_embedded"] = json!({"contacts": [{"name": "Caller"}], "leads": [{"name": "Call", "price": 10}]});
    let (s, v) = api.post("/api/v4/leads/unsorted/sip", json!([own])).await;
    assert_eq!(s, 200, "{v}");
    let c = api.sim.contacts().into_iter().find(|c| c.name == "Caller").expect("contact");
    assert_eq!(c.phones, vec!["79125550001"]);
    assert!(api.sim.calls().is_empty(), "no call event asked for");
    assert_eq!(api.sim.unsorted()[0].category, "sip");
}

#[tokio::test]
async fn contacts_page_in_order_and_embed_their_leads() {
    let api = Api::start().await;
    let ids = api.sim.seed_contacts(45, 9_120_000_000);
    let mut seen = Vec::new();
    for page in 1..=3 {
        let (s, v) = api.get(&format!("/api/v4/contacts?limit=20&page={page}&order[id]=asc&with=leads")).await;
        assert_eq!(s, 200);
        assert_eq!(v["_links"].get("next").is_some(), page < 3, "page {page}");
        for c in v["_embedded"]["contacts"].as_array().expect("contacts") {
            seen.push(c["id"].as_i64().expect("id"));
            let k = seen.len();
            let leads = c["_embedded"]["leads"].as_array().expect("with=leads").len();
            assert_eq!(leads, usize::from(k % 10 == 0), "contact {k}");
            assert_eq!(c["_embedded"]["companies"].as_array().map(Vec::len), Some(usize::from(k % 20 == 0)));
        }
    }
    assert_eq!(seen, ids);
    assert_eq!(api.get("/api/v4/contacts?limit=20&page=4").await.0, 204);
    let desc = api.ids("/api/v4/contacts?order[id]=desc&limit=3", "contacts").await;
    assert_eq!(desc, ids.iter().rev().take(3).copied().collect::<Vec<_>>());
    assert_eq!(api.ids("/api/v4/contacts?limit=1000", "contacts").await.len(), 45, "over 250 falls back to 50");
    let c42 = api.sim.contacts().into_iter().find(|c| c.id == ids[41]).expect("42");
    assert_eq!((c42.name.as_str(), c42.phones[0].as_str()), ("Customer 00042", "+79120000041"));
    assert_eq!(api.sim.leads().len(), 4);
    assert_eq!(api.sim.companies().len(), 2);
}

#[tokio::test]
async fn edits_move_updated_at_and_the_filter_finds_them_unless_the_account_lacks_filtering() {
    let api = Api::start().await;
    let ids = api.sim.seed_contacts(3, 9_120_000_000);
    let t = api.sim.contacts()[0].updated_at;
    assert!(api.sim.rename_contact(ids[1], "Renamed"));
    assert!(api.sim.set_contact_phones(ids[1], vec!["+79990001122".into()]));
    let edited = api.sim.contacts()[1].updated_at;
    assert!(edited >= t + 2, "two edits in one second still move it twice: {t} → {edited}");
    assert_eq!(
        api.ids(&format!("/api/v4/contacts?filter[updated_at][from]={}", t + 1), "contacts").await,
        vec![ids[1]]
    );
    assert_eq!(api.ids(&format!("/api/v4/contacts?filter[updated_at]={}", t + 1), "contacts").await, vec![ids[1]]);
    assert_eq!(
        api.ids(&format!("/api/v4/contacts?filter[updated_at][to]={t}"), "contacts").await,
        vec![ids[0], ids[2]]
    );
    assert_eq!(api.ids("/api/v4/contacts?order[updated_at]=desc&limit=1", "contacts").await, vec![ids[1]]);
    let (_, v) = api.get(&format!("/api/v4/contacts?filter[id]={}", ids[1])).await;
    assert_eq!(v["_embedded"]["contacts"][0]["updated_at"].as_i64(), Some(edited));
    assert_eq!(v["_embedded"]["contacts"][0]["name"], "Renamed");

    // Linking a company changes the contact; a note does not.
    let company = api.sim.seed_company("Linked");
    let link = json!([{"to_entity_id": company, "to_entity_type": "companies"}]);
    assert_eq!(api.post(&format!("/api/v4/contacts/{}/link", ids[0]), link).await.0, 200);
    let linked = api.sim.contacts()[0].updated_at;
    assert!(linked > t);
    let note = json!([{"note_type": "common", "params": {"text": "n"}}]);
    assert_eq!(api.post(&format!("/api/v4/contacts/{}/notes", ids[0]), note).await.0, 200);
    assert_eq!(api.sim.contacts()[0].updated_at, linked);

    let (_, acc) = api.get("/api/v4/account?with=is_api_filter_enabled").await;
    assert_eq!(acc["is_api_filter_enabled"], true);
    api.sim.set_updated_at_filter(false);
    for list in ["contacts", "companies", "leads"] {
        let (s, v) = api.get(&format!("/api/v4/{list}?filter[updated_at][from]={t}")).await;
        assert_eq!(s, 400, "{list}");
        assert!(v["detail"].as_str().is_some_and(|d| d.contains("filter[updated_at]")), "{v}");
    }
    assert_eq!(api.get("/api/v4/contacts?order[updated_at]=asc").await.0, 200, "ordering needs no filtering");
    let r = api
        .http
        .post(format!("{}/_sim/filtering", api.sim.url()))
        .json(&json!({"updated_at": true}))
        .send()
        .await
        .expect("sim");
    assert_eq!(r.status().as_u16(), 204);
    assert_eq!(api.get(&format!("/api/v4/companies?filter[updated_at]={t}")).await.0, 200);
}

#[tokio::test]
async fn leads_are_filtered_by_id_and_ordered_by_updated_at() {
    let api = Api::start().await;
    api.sim.seed_leads(3, "L");
    let ids: Vec<i64> = api.sim.leads().iter().map(|l| l.id).collect();
    let both = format!("/api/v4/leads?filter[id][]={}&filter[id][]={}", ids[0], ids[2]);
    assert_eq!(api.ids(&both, "leads").await, vec![ids[0], ids[2]]);
    assert_eq!(api.ids(&format!("/api/v4/leads?filter[id]={}", ids[1]), "leads").await, vec![ids[1]]);
    assert_eq!(
        api.ids("/api/v4/leads?order[updated_at]=desc", "leads").await,
        ids.iter().rev().copied().collect::<Vec<_>>()
    );
    let c = api.sim.seed_contact("A", "B", None, None);
    let link = json!([{"to_entity_id": c, "to_entity_type": "contacts"}]);
    assert_eq!(api.post(&format!("/api/v4/leads/{}/link", ids[0]), link).await.0, 200);
    assert_eq!(
        api.ids("/api/v4/leads?order[updated_at]=desc&limit=1", "leads").await,
        vec![ids[0]],
        "a link changes the lead"
    );
    let (_, v) = api.get(&format!("/api/v4/leads?filter[id]={}&with=contacts", ids[0])).await;
    let l = &v["_embedded"]["leads"][0];
    assert_eq!(l["_embedded"]["contacts"][0]["id"].as_i64(), Some(c));
    assert_eq!(
        (l["status_id"].as_i64(), l["pipeline_id"].as_i64(), l["price"].as_i64()),
        (Some(OPEN), Some(3_383_152), Some(0))
    );
    assert_eq!(l["responsible_user_id"], SimConfig::default().user_id);
    assert!(l["updated_at"].as_i64() > l["created_at"].as_i64());
}

#[tokio::test]
async fn deleting_and_merging_contacts_moves_what_they_had() {
    let api = Api::start().await;
    let keep = api.sim.seed_contact("Keep", "K", Some("+79120000001"), Some("keep@example.com"));
    let gone = api.sim.seed_contact("Gone", "G", Some("+79120000002"), Some("gone@example.com"));
    let lead = api.lead_of(gone, OPEN).await;
    let before = api.sim.contacts()[0].updated_at;
    assert!(api.sim.merge_contacts(keep, gone));
    assert!(!api.sim.merge_contacts(keep, gone), "gone is gone");
    let contacts = api.sim.contacts();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].phones, vec!["+79120000001", "+79120000002"]);
    assert_eq!(contacts[0].emails, vec!["keep@example.com", "gone@example.com"]);
    assert!(contacts[0].updated_at > before);
    assert_eq!(api.sim.leads()[0].contact_ids, vec![keep]);
    let (_, v) = api.post("/api/v4/calls", json!([call("+79120000002", "m")])).await;
    assert_eq!(v["_embedded"]["calls"][0]["entity_id"].as_i64(), Some(lead), "gone's number now reaches keep's lead");

    assert!(api.sim.delete_contact(keep));
    assert!(api.sim.contacts().is_empty());
    assert!(api.sim.leads()[0].contact_ids.is_empty(), "the lead lost its contact");
    assert_eq!(api.post("/api/v4/calls", json!([call("+79120000002", "m2")])).await.0, 400);

    let company = api.sim.seed_company("Co");
    assert!(api.sim.delete_company(company));
    assert!(!api.sim.delete_company(company));
    assert!(api.sim.companies().is_empty());
}

#[tokio::test]
async fn the_sim_controls_work_over_http_too() {
    let api = Api::start().await;
    let sim = |p: &str| format!("{}/_sim/{p}", api.sim.url());
    let r = api
        .http
        .post(sim("contacts/seed"))
        .json(&json!({"count": 3, "first_phone": 9_121_000_000u64}))
        .send()
        .await
        .expect("seed");
    let ids: Vec<i64> = r.json::<Value>().await.expect("json")["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    assert_eq!(ids.len(), 3);
    let status = |r: reqwest::Response| r.status().as_u16();
    let r = api
        .http
        .post(sim(&format!("contacts/{}/name", ids[0])))
        .json(&json!({"name": "Ivan"}))
        .send()
        .await
        .expect("name");
    assert_eq!(status(r), 204);
    let r = api
        .http
        .post(sim(&format!("contacts/{}/phones", ids[0])))
        .json(&json!({"phones": ["+1 555 0100"]}))
        .send()
        .await
        .expect("phones");
    assert_eq!(status(r), 204);
    let r = api
        .http
        .post(sim("contacts/merge"))
        .json(&json!({"keep": ids[0], "gone": ids[1]}))
        .send()
        .await
        .expect("merge");
    assert_eq!(status(r), 204);
    let r = api.http.delete(sim(&format!("contacts/{}", ids[2]))).send().await.expect("delete");
    assert_eq!(status(r), 204);
    let r = api.http.delete(sim(&format!("contacts/{}", ids[2]))).send().await.expect("delete again");
    assert_eq!(status(r), 404);
    let contacts = api.sim.contacts();
    assert_eq!(contacts.len(), 1);
    assert_eq!(
        (contacts[0].name.as_str(), contacts[0].phones.clone()),
        ("Ivan", vec!["+1 555 0100".to_string(), "+79121000001".to_string()])
    );
    let r = api.http.get(sim("notes")).send().await.expect("notes");
    assert_eq!(r.json::<Value>().await.expect("json"), json!([]));
}

#[tokio::test]
async fn fifty_thousand_contacts_seed_fast_and_page_through_in_order() {
    let api = Api::start().await;
    let t = Instant::now();
    let ids = api.sim.seed_contacts(50_000, 9_000_000_000);
    let seeding = t.elapsed();
    assert!(seeding.as_millis() < 1000, "seeding took {seeding:?}");
    assert_eq!((api.sim.leads().len(), api.sim.companies().len()), (5_000, 2_500));
    let t = Instant::now();
    let mut seen = Vec::with_capacity(ids.len());
    for page in 1..=200 {
        let (s, v) = api.get(&format!("/api/v4/contacts?limit=250&order[id]=asc&page={page}")).await;
        assert_eq!(s, 200, "page {page}");
        seen.extend(v["_embedded"]["contacts"].as_array().expect("contacts").iter().filter_map(|c| c["id"].as_i64()));
    }
    let paging = t.elapsed();
    assert_eq!(seen, ids);
    assert_eq!(api.get("/api/v4/contacts?limit=250&order[id]=asc&page=201").await.0, 204);
    // Debug build, a shared two-core machine: generous, yet far below encoding the base per page.
    assert!(paging.as_secs() < 30, "200 pages took {paging:?}");
    let (_, v) = api.post("/api/v4/calls", json!([call("+7 900 004 99 98", "big")])).await;
    assert_eq!(v["_embedded"]["calls"][0]["entity_id"].as_i64(), ids.get(49_998).copied(), "found by its number");
}
