//! The simulator behaves as docs/amocrm-api.md describes amoCRM: these tests pin that down, so
//! the app's tests against it mean something.

use amo_sim::{Decision, SimConfig, Simulator, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URI};
use serde_json::{json, Value};

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

async fn code_via_approve(sim: &Simulator) -> String {
    sim.set_decision(Decision::Approve);
    let r = client()
        .get(format!("{}/oauth?client_id={DEMO_CLIENT_ID}&state=s1&mode=post_message", sim.url()))
        .send()
        .await
        .expect("authorize");
    assert_eq!(r.status(), 303, "axum Redirect::to is 303 See Other");
    let loc = url::Url::parse(r.headers()["location"].to_str().expect("loc")).expect("url");
    assert!(loc.as_str().starts_with(DEMO_REDIRECT_URI));
    let q: std::collections::HashMap<_, _> = loc.query_pairs().into_owned().collect();
    assert_eq!(q["state"], "s1");
    assert_eq!(q["referer"], "acme.amocrm.ru");
    assert_eq!(q["platform"], "1");
    q["code"].clone()
}

async fn token(sim: &Simulator, body: Value) -> (u16, Value) {
    let r = client().post(format!("{}/oauth2/access_token", sim.url())).json(&body).send().await.expect("post");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn code_body(code: &str) -> Value {
    json!({"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET, "grant_type": "authorization_code",
           "code": code, "redirect_uri": DEMO_REDIRECT_URI})
}

#[tokio::test]
async fn manual_page_offers_allow_and_deny_and_deny_redirects_with_access_denied() {
    let sim = Simulator::start(SimConfig::default(), 0).await.expect("sim");
    let page = client()
        .get(format!("{}/oauth?client_id={DEMO_CLIENT_ID}&state=xyz&mode=post_message", sim.url()))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(page.contains("id=\"allow\"") && page.contains("id=\"deny\"") && page.contains("Acme Trading"));
    let r = client()
        .post(format!("{}/oauth/decision", sim.url()))
        .form(&[("client_id", DEMO_CLIENT_ID), ("state", "xyz"), ("decision", "deny")])
        .send()
        .await
        .expect("deny");
    let loc = r.headers()["location"].to_str().expect("loc").to_string();
    assert_eq!(loc, format!("{DEMO_REDIRECT_URI}?error=access_denied&state=xyz"));
    let bad = client().get(format!("{}/oauth?client_id=nope&state=x", sim.url())).send().await.expect("bad");
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn codes_are_single_use_and_tokens_are_jwt_shaped() {
    let sim = Simulator::start(SimConfig::default(), 0).await.expect("sim");
    let code = code_via_approve(&sim).await;
    let (status, body) = token(&sim, code_body(&code)).await;
    assert_eq!(status, 200, "{body}");
    let access = body["access_token"].as_str().expect("access");
    assert_eq!(access.split('.').count(), 3);
    assert!(access.len() > 700, "realistic length, got {}", access.len());
    assert_eq!(body["expires_in"], 86400);
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["refresh_token"].as_str().expect("refresh").starts_with("def502"));
    let (status, body) = token(&sim, code_body(&code)).await;
    assert_eq!((status, body["hint"].as_str()), (400, Some("Authorization code has been revoked")));
    let (status, body) = token(&sim, code_body("def50200garbage")).await;
    assert_eq!((status, body["hint"].as_str()), (400, Some("Cannot decrypt the authorization code")));
}

#[tokio::test]
async fn expired_codes_wrong_client_and_redirect_mismatch_are_refused_with_hints() {
    let sim = Simulator::start(SimConfig::default(), 0).await.expect("sim");
    let code = code_via_approve(&sim).await;
    let mut b = code_body(&code);
    b["client_secret"] = json!("wrong");
    assert_eq!(token(&sim, b).await.1["hint"], "Check the `client_secret` parameter");
    let mut b = code_body(&code);
    b["client_id"] = json!("00000000-0000-0000-0000-000000000000");
    assert_eq!(token(&sim, b).await.1["hint"], "Check the `client_id` parameter");
    let mut b = code_body(&code);
    b["redirect_uri"] = json!(format!("{DEMO_REDIRECT_URI}/"));
    let (status, body) = token(&sim, b).await;
    assert_eq!((status, body["hint"].as_str()), (400, Some("Redirect URI is not associated with client")));
    sim.expire_codes();
    assert_eq!(token(&sim, code_body(&code)).await.1["hint"], "Authorization code has expired");
}

#[tokio::test]
async fn form_bodies_work_and_refresh_tokens_rotate_and_are_single_use() {
    let sim = Simulator::start(SimConfig::default(), 0).await.expect("sim");
    let code = code_via_approve(&sim).await;
    let r = client()
        .post(format!("{}/oauth2/access_token", sim.url()))
        .form(&[
            ("client_id", DEMO_CLIENT_ID),
            ("client_secret", DEMO_CLIENT_SECRET),
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", DEMO_REDIRECT_URI),
        ])
        .send()
        .await
        .expect("form");
    assert_eq!(r.status(), 200);
    let first: Value = r.json().await.expect("json");
    let refresh = |rt: &str| {
        json!({"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET, "grant_type": "refresh_token",
               "refresh_token": rt, "redirect_uri": DEMO_REDIRECT_URI})
    };
    let rt1 = first["refresh_token"].as_str().expect("rt").to_string();
    let (status, second) = token(&sim, refresh(&rt1)).await;
    assert_eq!(status, 200);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    let (status, again) = token(&sim, refresh(&rt1)).await;
    assert_eq!((status, again["hint"].as_str()), (401, Some("Token has been revoked")));
    assert_eq!(sim.stats().reused_refresh_tokens, 1);
    assert_eq!(sim.stats().refreshes, 2);
}

#[tokio::test]
async fn account_needs_a_live_bearer_token_and_the_api_is_limited_to_7_per_second() {
    let sim = Simulator::start(SimConfig::default(), 0).await.expect("sim");
    let code = code_via_approve(&sim).await;
    let access = token(&sim, code_body(&code)).await.1["access_token"].as_str().expect("a").to_string();
    let get = |tok: String| {
        let url = format!("{}/api/v4/account", sim.url());
        async move { client().get(url).bearer_auth(tok).send().await.expect("get") }
    };
    let ok = get(access.clone()).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["content-type"], "application/hal+json");
    assert!(ok.headers().contains_key("x-request-id"));
    let acc: Value = ok.json().await.expect("json");
    assert_eq!((acc["name"].as_str(), acc["subdomain"].as_str()), (Some("Acme Trading"), Some("acme")));
    let bad = get("nope".into()).await;
    assert_eq!(bad.status(), 401);
    assert_eq!(bad.headers()["content-type"], "application/problem+json");
    sim.expire_access_tokens();
    assert_eq!(get(access.clone()).await.status(), 401);
    // Burst: requests 1-7 within a second pass the gate (then fail auth), the 8th is 429.
    let sim2 = Simulator::start(SimConfig::default(), 0).await.expect("sim2");
    let mut statuses = Vec::new();
    // One client for the burst: building one loads the system's CA store, which takes long
    // enough to spread nine builds over two seconds.
    let http = client();
    for _ in 0..9 {
        statuses.push(http.get(format!("{}/api/v4/account", sim2.url())).send().await.expect("g").status().as_u16());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 2, "{statuses:?}");
    assert_eq!(sim2.stats().max_requests_per_second, 9);
}

/// Tokens act for the user who allowed access: `/api/v4/account` names them, what they create
/// carries them as `created_by`, only the admin may list users, and `filter[created_at]` finds
/// exactly what one second created (docs/amocrm-api.md §8.2, §8.10).
#[tokio::test]
async fn tokens_act_for_their_user_and_created_at_filters_by_the_second() {
    let sim =
        Simulator::start(SimConfig { rate_limit_per_sec: 100_000, ..SimConfig::default() }, 0).await.expect("sim");
    let admin = SimConfig::default().user_id;
    let access = |sim: &Simulator| {
        let sim_url = sim.url();
        let code = sim.issue_code();
        async move {
            let (s, v) = token_at(&sim_url, code_body(&code)).await;
            assert_eq!(s, 200, "{v}");
            v["access_token"].as_str().expect("token").to_string()
        }
    };
    let anna = access(&sim).await;
    sim.sign_in_as(admin + 1);
    let boris = access(&sim).await;
    let get = |token: String, path: &str| {
        let url = format!("{}{path}", sim.url());
        async move {
            let r = client().get(url).bearer_auth(token).send().await.expect("get");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    assert_eq!(get(anna.clone(), "/api/v4/account").await.1["current_user_id"], admin);
    assert_eq!(get(boris.clone(), "/api/v4/account").await.1["current_user_id"], admin + 1);
    assert_eq!(get(anna.clone(), "/api/v4/users").await.0, 200);
    assert_eq!(get(boris.clone(), "/api/v4/users").await.0, 403, "only admins list users");
    let t = amo_sim_now();
    for (token, name, at) in [(&anna, "A", t), (&boris, "B", t), (&anna, "C", t + 1)] {
        let r = client()
            .post(format!("{}/api/v4/leads/complex", sim.url()))
            .bearer_auth(token)
            .json(&json!([{"name": name, "created_at": at}]))
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 200);
    }
    let (s, v) =
        get(anna.clone(), &format!("/api/v4/leads?filter[created_at][from]={t}&filter[created_at][to]={t}")).await;
    assert_eq!(s, 200);
    let leads = v["_embedded"]["leads"].as_array().expect("leads");
    let made: Vec<(&str, i64)> =
        leads.iter().map(|l| (l["name"].as_str().expect("n"), l["created_by"].as_i64().expect("by"))).collect();
    assert_eq!(made.len(), 2, "{made:?}");
    assert!(made.contains(&("A", admin)) && made.contains(&("B", admin + 1)));
    let (s, _) =
        get(anna, &format!("/api/v4/leads?filter[created_at][from]={}&filter[created_at][to]={}", t + 5, t + 9)).await;
    assert_eq!(s, 204, "nothing in that range");
}

async fn token_at(url: &str, body: Value) -> (u16, Value) {
    let r = client().post(format!("{url}/oauth2/access_token")).json(&body).send().await.expect("post");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn amo_sim_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
