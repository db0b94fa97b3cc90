//! The demo account (`amo-sim --demo-account`, `POST /_sim/demo/seed`) read as the app reads
//! it, over the API: two pipelines with leads, a few hundred customers with their own numbers,
//! companies with their people, tasks on the account's days, custom values the account accepts
//! back, and names the app's Find (amoCRM's `query`) finds in Cyrillic.

use std::collections::{HashMap, HashSet};

use amo_sim::demo::{DemoSummary, DEMO_CUSTOMER_PHONES, DEMO_NEW_CALLER, DEMO_SEED};
use amo_sim::{SimConfig, Simulator};
use chrono::TimeZone;
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

    async fn seeded() -> (Api, DemoSummary, i64) {
        let api = Api::start().await;
        let before = chrono::Utc::now().timestamp();
        let summary = api.sim.seed_demo_account(DEMO_SEED).expect("demo account");
        (api, summary, before)
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> (u16, Value) {
        let url = url::Url::parse_with_params(&format!("{}{path}", self.sim.url()), query).expect("url");
        let r = self.http.get(url).bearer_auth(&self.token).send().await.expect("get");
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

    /// Every item of a paged list (`_embedded.{key}`), 250 a page.
    async fn all(&self, path: &str, key: &str, query: &[(&str, &str)]) -> Vec<Value> {
        let mut out = Vec::new();
        for page in 1.. {
            let page = page.to_string();
            let mut q = query.to_vec();
            q.extend([("limit", "250"), ("page", page.as_str())]);
            let (status, v) = self.get(path, &q).await;
            if status == 204 {
                break;
            }
            assert_eq!(status, 200, "{path}: {v}");
            out.extend(v["_embedded"][key].as_array().cloned().unwrap_or_default());
            if v["_links"]["next"].is_null() {
                break;
            }
        }
        out
    }

    /// The names amoCRM's `query` finds among contacts.
    async fn find(&self, query: &str) -> Vec<String> {
        let (status, v) = self.get("/api/v4/contacts", &[("query", query)]).await;
        if status == 204 {
            return Vec::new();
        }
        assert_eq!(status, 200, "{v}");
        v["_embedded"]["contacts"].as_array().into_iter().flatten().map(|c| s(&c["name"])).collect()
    }
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// The last ten digits of a phone (how the app and amoCRM's calls match numbers).
fn key(phone: &str) -> String {
    let d: String = phone.chars().filter(char::is_ascii_digit).collect();
    d[d.len().saturating_sub(10)..].to_string()
}

/// A contact's or company's values of the field with `code`.
fn values_of(entity: &Value, code: &str) -> Vec<String> {
    entity["custom_fields_values"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["field_code"] == code)
        .flat_map(|f| f["values"].as_array().cloned().unwrap_or_default())
        .map(|v| s(&v["value"]))
        .collect()
}

#[tokio::test]
async fn two_pipelines_hold_leads_in_work_won_and_lost_with_prices_and_several_users() {
    let (api, summary, _) = Api::seeded().await;
    let (_, pipelines) = api.get("/api/v4/leads/pipelines", &[]).await;
    let pipelines = pipelines["_embedded"]["pipelines"].as_array().cloned().unwrap_or_default();
    let leads = api.all("/api/v4/leads", "leads", &[]).await;
    assert!(leads.len() >= 200, "{} leads", leads.len());
    assert_eq!(summary.leads, leads.len());
    let mut in_pipeline = 0;
    for p in &pipelines {
        let mine: Vec<&Value> = leads.iter().filter(|l| l["pipeline_id"] == p["id"]).collect();
        let status = |id: i64| mine.iter().filter(|l| l["status_id"] == id).count();
        let open = mine.iter().filter(|l| l["status_id"].as_i64().is_some_and(|s| s != 142 && s != 143)).count();
        assert!(
            open >= 5 && status(142) >= 5 && status(143) >= 2,
            "{}: {open} open, {} won, {} lost",
            p["name"],
            status(142),
            status(143)
        );
        assert!(mine.iter().all(|l| l["price"].as_i64().is_some_and(|x| x > 0)));
        in_pipeline += mine.len();
    }
    assert_eq!(pipelines.len(), 2);
    assert_eq!(in_pipeline, leads.len());
    assert_eq!(summary.pipelines.iter().map(|p| p.leads).sum::<usize>(), leads.len());
    let users: HashSet<i64> = leads.iter().filter_map(|l| l["responsible_user_id"].as_i64()).collect();
    assert_eq!(users.len(), api.sim.users().len(), "every user has leads");
    // Every lead in work belongs to a customer (the caller's card lists them).
    assert!(api.sim.leads().iter().all(|l| !l.contact_ids.is_empty()));
}

#[tokio::test]
async fn a_few_hundred_customers_have_numbers_of_their_own_and_the_demos_numbers_are_its_customers() {
    let (api, summary, _) = Api::seeded().await;
    let contacts = api.all("/api/v4/contacts", "contacts", &[]).await;
    assert!(contacts.len() >= 200, "{} contacts", contacts.len());
    assert_eq!(summary.contacts, contacts.len());
    let mut owners: HashMap<String, String> = HashMap::new();
    let companies = api.all("/api/v4/companies", "companies", &[]).await;
    for (who, phone) in contacts
        .iter()
        .flat_map(|c| values_of(c, "PHONE").into_iter().map(move |p| (s(&c["name"]), p)))
        .chain(companies.iter().flat_map(|c| values_of(c, "PHONE").into_iter().map(move |p| (s(&c["name"]), p))))
    {
        assert!(phone.starts_with("+7") || phone.starts_with('8'), "{who}: {phone}");
        assert_eq!(key(&phone).len(), 10, "{who}: {phone}");
        if let Some(other) = owners.insert(key(&phone), who.clone()) {
            panic!("{phone} is both {other}'s and {who}'s");
        }
    }
    assert!(contacts.iter().all(|c| !values_of(c, "PHONE").is_empty()), "every customer has a phone");
    let with_email = contacts.iter().filter(|c| !values_of(c, "EMAIL").is_empty()).count();
    assert!(with_email * 2 > contacts.len(), "{with_email} with an e-mail");
    // The numbers scripts/demo.sh dials find their customer alone, however they are spelled.
    for (i, phone) in DEMO_CUSTOMER_PHONES.iter().enumerate() {
        let found = api.find(&format!("8{}", key(phone))).await;
        assert_eq!(found, vec![summary.customers[i].name.clone()], "{phone}");
    }
    assert_eq!(api.find("+7 916 555 01 01").await, vec!["Ольга Кузнецова".to_string()]);
    // A new caller, and the number the demo gives its new contact, are nobody's yet.
    for phone in [DEMO_NEW_CALLER, "+7 916 555-01-03"] {
        assert!(api.find(phone).await.is_empty(), "{phone}");
        let (status, _) = api.get("/api/v4/companies", &[("query", phone)]).await;
        assert_eq!(status, 204, "{phone}");
    }
    // Mostly Cyrillic names, some Latin ones.
    let latin = contacts.iter().filter(|c| s(&c["name"]).is_ascii()).count();
    assert!(latin >= 10 && latin * 5 < contacts.len(), "{latin} Latin names");
}

#[tokio::test]
async fn companies_have_their_people_and_their_people_have_its_leads() {
    let (api, summary, _) = Api::seeded().await;
    let companies = api.all("/api/v4/companies", "companies", &[("with", "contacts,leads")]).await;
    assert_eq!(companies.len(), 40);
    assert_eq!(summary.companies, 40);
    for c in &companies {
        let people = c["_embedded"]["contacts"].as_array().map_or(0, Vec::len);
        assert!(people >= 1, "{} has nobody", c["name"]);
        assert!(!values_of(c, "PHONE").is_empty() && !values_of(c, "ADDRESS").is_empty(), "{}", c["name"]);
    }
    let names: Vec<String> = companies.iter().map(|c| s(&c["name"])).collect();
    for n in ["ООО «Северный ветер»", "ИП Кузнецов А. В.", "Acme Logistics"] {
        assert!(names.contains(&n.to_string()), "{n}");
    }
    let with_leads =
        companies.iter().filter(|c| c["_embedded"]["leads"].as_array().is_some_and(|l| !l.is_empty())).count();
    assert!(with_leads >= 20, "{with_leads} companies with leads");
    // A company's lead is its person's.
    let contacts = api.sim.contacts();
    for l in api.sim.leads().iter().filter(|l| l.company_id.is_some()) {
        let person = contacts.iter().find(|c| l.contact_ids.contains(&c.id)).expect("the lead's contact");
        assert_eq!(person.company_id, l.company_id, "{}", l.name);
    }
    // Игорь Смирнов is ООО «Северный ветер»'s.
    let smirnov = contacts.iter().find(|c| c.name == "Игорь Смирнов").expect("Игорь Смирнов");
    let company = api.sim.companies().into_iter().find(|c| Some(c.id) == smirnov.company_id).expect("his company");
    assert_eq!(company.name, "ООО «Северный ветер»");
}

#[tokio::test]
async fn tasks_are_due_today_overdue_later_and_done_on_the_accounts_own_day() {
    let (api, summary, seeded_at) = Api::seeded().await;
    // The day as the app works it out: from the zone the account reports.
    let (_, account) = api.get("/api/v4/account", &[("with", "datetime_settings")]).await;
    let zone: chrono_tz::Tz = s(&account["_embedded"]["datetime_settings"]["timezone"]).parse().expect("zone");
    let date = chrono::Utc::now().with_timezone(&zone).date_naive();
    let midnight = |d: chrono::NaiveDate| {
        zone.from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("00:00")).earliest().expect("midnight").timestamp()
    };
    let (start, end) = (midnight(date), midnight(date.succ_opt().expect("tomorrow")));
    let tasks = api.all("/api/v4/tasks", "tasks", &[]).await;
    let due = |t: &Value| t["complete_till"].as_i64().unwrap_or_default();
    let done = |t: &Value| t["is_completed"] == true;
    let today: Vec<&Value> =
        tasks.iter().filter(|t| !done(t) && due(t) >= start && due(t) < end && due(t) >= seeded_at).collect();
    let overdue = tasks.iter().filter(|t| !done(t) && due(t) < seeded_at).count();
    let later = tasks.iter().filter(|t| !done(t) && due(t) >= end).count();
    let completed: Vec<&Value> = tasks.iter().filter(|t| done(t)).collect();
    assert!(today.len() >= 5, "{} due today", today.len());
    assert!(overdue >= 5, "{overdue} overdue");
    assert!(later >= 5, "{later} later");
    assert!(completed.len() >= 10, "{} done", completed.len());
    assert!(completed.iter().all(|t| !t["result"]["text"].as_str().unwrap_or_default().is_empty()));
    assert_eq!(
        (summary.tasks_due_today, summary.tasks_overdue, summary.tasks_later, summary.tasks_completed),
        (today.len(), overdue, later, completed.len())
    );
    // The connected user (the account's admin) has something to do today or overdue.
    let admin = api.sim.users()[0].id;
    assert!(tasks.iter().any(|t| !done(t) && t["responsible_user_id"] == admin && due(t) < end));
    // Open tasks are on leads in work.
    let leads = api.sim.leads();
    for t in tasks.iter().filter(|t| !done(t)) {
        let lead = leads.iter().find(|l| Some(l.id) == t["entity_id"].as_i64()).expect("its lead");
        assert!(lead.status_id != 142 && lead.status_id != 143, "{}", t["text"]);
    }
}

#[tokio::test]
async fn custom_values_sent_back_as_read_are_accepted_and_stages_have_what_they_require() {
    let (api, _, _) = Api::seeded().await;
    let leads = api.all("/api/v4/leads", "leads", &[]).await;
    let filled = leads.iter().filter(|l| l["custom_fields_values"].as_array().is_some_and(|v| v.len() >= 3)).count();
    assert_eq!(filled, leads.len(), "every lead has its source, channel and city");
    // What the account holds, sent back as a client would: nothing is refused.
    for chunk in leads.chunks(50) {
        let items: Vec<Value> = chunk
            .iter()
            .map(|l| json!({"name": l["name"], "price": l["price"], "pipeline_id": l["pipeline_id"], "status_id": l["status_id"],
                "responsible_user_id": l["responsible_user_id"], "custom_fields_values": l["custom_fields_values"]}))
            .collect();
        let (status, v) = api.post("/api/v4/leads/complex", Value::Array(items)).await;
        assert_eq!(status, 200, "{v}");
    }
    let contacts = api.all("/api/v4/contacts", "contacts", &[]).await;
    for chunk in contacts.chunks(50) {
        let items: Vec<Value> = chunk
            .iter()
            .map(|c| json!({"first_name": c["first_name"], "last_name": c["last_name"], "custom_fields_values": c["custom_fields_values"]}))
            .collect();
        let (status, v) = api.post("/api/v4/contacts", Value::Array(items)).await;
        assert_eq!(status, 200, "{v}");
    }
    let companies = api.all("/api/v4/companies", "companies", &[]).await;
    let items: Vec<Value> = companies
        .iter()
        .map(|c| json!({"name": c["name"], "custom_fields_values": c["custom_fields_values"]}))
        .collect();
    let (status, v) = api.post("/api/v4/companies", Value::Array(items)).await;
    assert_eq!(status, 200, "{v}");
    // A stage's required fields are filled on its leads ("Переговоры" requires "Дата доставки").
    let fields = api.sim.lead_fields();
    let mut checked = 0;
    for l in &leads {
        let at = (l["pipeline_id"].as_i64().unwrap_or_default(), l["status_id"].as_i64().unwrap_or_default());
        for f in fields.iter().filter(|f| f.required_statuses.contains(&at)) {
            let has = l["custom_fields_values"].as_array().into_iter().flatten().any(|v| v["field_id"] == f.id);
            assert!(has, "{} lacks {}", l["name"], f.name);
            checked += 1;
        }
    }
    assert!(checked >= 5, "{checked} leads at a stage that requires a field");
    let sources: HashSet<String> = leads
        .iter()
        .flat_map(|l| l["custom_fields_values"].as_array().cloned().unwrap_or_default())
        .filter(|f| f["field_name"] == "Источник")
        .flat_map(|f| f["values"].as_array().cloned().unwrap_or_default())
        .map(|v| s(&v["value"]))
        .collect();
    assert_eq!(sources.len(), 3, "{sources:?}");
}

#[tokio::test]
async fn find_finds_cyrillic_names_in_any_case_and_companies_by_name() {
    let (api, _, _) = Api::seeded().await;
    assert_eq!(api.find("Кузнецова").await.first().map(String::as_str), Some("Ольга Кузнецова"));
    let smirnovs = api.find("смирнов").await;
    assert!(smirnovs.contains(&"Игорь Смирнов".to_string()), "{smirnovs:?}");
    assert!(smirnovs.len() >= 2 && smirnovs.iter().all(|n| n.contains("Смирнов")), "{smirnovs:?}");
    assert_eq!(api.find("Дмитрий Соколов").await, vec!["Дмитрий Соколов".to_string()]);
    let (status, v) = api.get("/api/v4/companies", &[("query", "северный ветер")]).await;
    assert_eq!(status, 200);
    assert_eq!(v["_embedded"]["companies"][0]["name"], "ООО «Северный ветер»");
}

#[tokio::test]
async fn the_demo_customers_have_notes_calls_and_leads_for_the_callers_card() {
    let (api, summary, _) = Api::seeded().await;
    let olga = summary.customers[1].id;
    let (status, v) = api.get(&format!("/api/v4/contacts/{olga}/notes"), &[]).await;
    assert_eq!(status, 200, "{v}");
    let notes = v["_embedded"]["notes"].as_array().cloned().unwrap_or_default();
    assert!(notes.iter().any(|n| n["note_type"] == "call_in" && n["params"]["phone"] == DEMO_CUSTOMER_PHONES[1]));
    let (_, with_leads) = api.get("/api/v4/contacts", &[("query", "Ольга Кузнецова"), ("with", "leads")]).await;
    let lead_ids = with_leads["_embedded"]["contacts"][0]["_embedded"]["leads"].as_array().cloned().unwrap_or_default();
    assert!(!lead_ids.is_empty());
    let calls = api.sim.calls();
    assert!(calls.len() >= 30, "{} calls", calls.len());
    let lead_notes = api.sim.notes().iter().filter(|n| n.entity_type == "leads" && n.note_type == "common").count();
    assert!(lead_notes >= 30, "{lead_notes} notes on leads");
}

#[tokio::test]
async fn seeding_over_http_answers_the_summary_once_and_names_a_bad_body() {
    let api = Api::start().await;
    let http = reqwest::Client::new();
    let url = format!("{}/_sim/demo/seed", api.sim.url());
    let r = http.post(&url).body("{\"seed\": \"x\"}").send().await.expect("post");
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.text().await.expect("body").contains("seed"));
    assert!(api.sim.contacts().is_empty());
    let r = http.post(&url).send().await.expect("post");
    assert_eq!(r.status().as_u16(), 200);
    let summary: DemoSummary = r.json().await.expect("summary");
    assert_eq!(summary.seed, DEMO_SEED);
    let contacts = api.sim.contacts();
    for (c, phone) in summary.customers.iter().zip(DEMO_CUSTOMER_PHONES) {
        let stored = contacts.iter().find(|x| x.id == c.id).expect("the customer");
        assert_eq!((stored.name.as_str(), stored.phones[0].as_str()), (c.name.as_str(), phone));
    }
    let r = http.post(&url).json(&json!({"seed": 5})).send().await.expect("post");
    assert_eq!(r.status().as_u16(), 409, "the demo customers are there already");
    assert_eq!(api.sim.contacts().len(), contacts.len());
}

#[tokio::test]
async fn two_simulators_seeded_alike_hold_the_same_people() {
    let (a, _, _) = Api::seeded().await;
    let (b, _, _) = Api::seeded().await;
    let people =
        |api: &Api| api.sim.contacts().into_iter().map(|c| (c.id, c.name, c.phones, c.emails)).collect::<Vec<_>>();
    assert_eq!(people(&a), people(&b));
    let leads =
        |api: &Api| api.sim.leads().into_iter().map(|l| (l.id, l.name, l.price, l.status_id)).collect::<Vec<_>>();
    assert_eq!(leads(&a), leads(&b));
}

/// The simulator binary this test started; stopped when the test ends, passed or not.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `amo-sim --demo-account` answers with the demo account from its first request.
#[tokio::test]
async fn the_binary_starts_with_the_demo_account() {
    use std::io::BufRead;
    let mut child = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_amo-sim"))
            .args(["--port", "0", "--demo-account"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("amo-sim"),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    let mut line = String::new();
    std::io::BufReader::new(stdout).read_line(&mut line).expect("its URL");
    let url = line.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{url}/_sim/keys/long-lived?seconds=600"))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let r = http
        .get(
            url::Url::parse_with_params(&format!("{url}/api/v4/contacts"), [("query", "+7 916 555-01-01")])
                .expect("url"),
        )
        .bearer_auth(s(&token["token"]))
        .send()
        .await
        .expect("find");
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["_embedded"]["contacts"][0]["name"], "Ольга Кузнецова");
}
