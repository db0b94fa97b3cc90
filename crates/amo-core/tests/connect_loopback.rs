//! The loopback Connect journey against the amoCRM simulator, with a real SQLite file in a temp
//! data directory and an in-memory keychain (the real keychain has its own tier).

use std::sync::Arc;
use std::time::Duration;

mod common;

use amo_core::amocrm::endpoints::Endpoints;
use amo_core::domain::settings::SettingsPatch;
use amo_core::keychain::memory::MemoryStore;
use amo_core::keychain::{SecretStore, CLIENT_SECRET_KEY, TOKENS_KEY};
use amo_core::paths::DataDir;
use amo_core::AmoConnect;
use amo_sim::{Decision, SimConfig, Simulator, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};

struct Fixture {
    sim: Simulator,
    app: Arc<AmoConnect>,
    store: Arc<MemoryStore>,
    redirect_uri: String,
    _tmp: tempfile::TempDir,
}

async fn fixture(decision: Decision) -> Fixture {
    let redirect_uri = format!("http://127.0.0.1:{}/callback", common::free_port());
    let sim = Simulator::start(SimConfig { redirect_uri: redirect_uri.clone(), decision, ..SimConfig::default() }, 0)
        .await
        .expect("sim");
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let app = common::configured(&tmp.path().join("data"), store.clone(), &sim.url(), &redirect_uri).await;
    Fixture { sim, app: Arc::new(app), store, redirect_uri, _tmp: tmp }
}

/// Acts as the user's browser: opens the authorize URL and follows amoCRM's redirect to the
/// loopback listener. Returns the final page's status and text.
async fn browse(url: &str) -> (u16, String) {
    let r = reqwest::get(url).await.expect("browse");
    let status = r.status().as_u16();
    (status, r.text().await.expect("text"))
}

async fn get_raw(url: &str) -> (u16, String) {
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("c")
        .get(url)
        .send()
        .await
        .expect("get");
    let status = r.status().as_u16();
    let loc = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    (status, if loc.is_empty() { r.text().await.expect("t") } else { loc })
}

fn all_bytes_under(dir: &std::path::Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let p = entry.expect("entry").path();
        if p.is_dir() {
            out.extend(all_bytes_under(&p));
        } else {
            out.extend(std::fs::read(&p).expect("read"));
        }
    }
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn approve_connects_stores_tokens_only_in_the_keychain_and_shows_the_account() {
    let f = fixture(Decision::Approve).await;
    let pending = f.app.start_connect().await.expect("start");
    let url = pending.authorize_url().to_string();
    assert!(url.starts_with(&format!("{}/oauth?client_id={DEMO_CLIENT_ID}&state=", f.sim.url())));
    assert!(url.ends_with("&mode=post_message"));
    let waiter = tokio::spawn(async move { pending.wait(Duration::from_secs(30)).await });
    let (status, page) = browse(&url).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("You can close this tab"));
    let st = waiter.await.expect("join").expect("connected");
    assert!(st.connected);
    assert_eq!(st.domain.as_deref(), Some("acme.amocrm.ru"));
    assert_eq!(f.app.settings().expect("settings").domain.as_deref(), Some("acme.amocrm.ru"), "Settings shows it");
    // amoCRM's token answer is kept (in the keychain); its non-secret parts are shown.
    let info = st.token_info.clone().expect("token info");
    assert_eq!((info.token_type.as_deref(), info.expires_in), (Some("Bearer"), Some(86_400)));
    assert!(info.server_time.is_some());
    assert_eq!((info.api_domain.as_deref(), info.account_id), (Some("api-b.amocrm.ru"), Some(31_415_926)));
    let raw = f.app.load_tokens().await.expect("tokens").expect("some").raw.expect("the answer is kept");
    assert!(raw.expose().contains("\"server_time\"") && raw.expose().contains("\"refresh_token\""));
    assert_eq!(st.account_name.as_deref(), Some("Acme Trading"));
    assert_eq!(st.account_id, Some(31_415_926));
    assert!(!st.is_expired);
    assert!(st.problem.is_none());
    let masked = st.access_token_masked.clone().expect("masked");
    assert!(masked.starts_with("eyJ") && masked.contains('…'), "{masked}");

    // Tokens: in the keychain, and nowhere in the data directory (SQLite, WAL, logs).
    let tokens = f.app.load_tokens().await.expect("load").expect("tokens");
    let refresh = tokens.refresh_token.clone().expect("refresh");
    assert!(f.store.get(TOKENS_KEY).expect("get").is_some());
    assert!(f.store.get(CLIENT_SECRET_KEY).expect("get").is_some());
    let files = all_bytes_under(f.app.data_dir().root());
    // The tails: a JWT's head is the same for every token, its signature is not.
    let tail = |t: &str| t[t.len() - 40..].to_string();
    for secret in [tail(tokens.access_token.expose()), tail(refresh.expose()), DEMO_CLIENT_SECRET.to_string()] {
        assert!(!contains(&files, &secret), "a secret leaked into the data directory");
    }
    // One code exchange, one account read.
    let stats = f.sim.stats();
    assert_eq!((stats.code_exchanges, stats.api_requests, stats.token_errors), (1, 1, 0));
}

#[tokio::test]
async fn a_forged_callback_is_refused_while_the_real_one_still_succeeds_and_a_replay_is_refused_later() {
    let f = fixture(Decision::Manual).await;
    let pending = f.app.start_connect().await.expect("start");
    let url = pending.authorize_url().to_string();
    let waiter = tokio::spawn(async move { pending.wait(Duration::from_secs(30)).await });

    // An attacker's page makes the browser hit the listener with its own code and state.
    let forged = format!("{}?code=def50200evil&state=forged-state&referer=acme.amocrm.ru", f.redirect_uri);
    let (status, page) = get_raw(&forged).await;
    assert_eq!(status, 400);
    assert!(page.contains("state_unknown"));
    // No state at all.
    let (status, _) = get_raw(&format!("{}?code=x&referer=acme.amocrm.ru", f.redirect_uri)).await;
    assert_eq!(status, 400);
    // Another path on the same port says nothing.
    let (status, _) = get_raw(&f.redirect_uri.replace("/callback", "/other")).await;
    assert_eq!(status, 404);

    // The user clicks Allow on the simulator's page.
    let state = url::Url::parse(&url).expect("u").query_pairs().find(|(k, _)| k == "state").expect("s").1.to_string();
    let (_, real_callback) = {
        let r = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("c")
            .post(format!("{}/oauth/decision", f.sim.url()))
            .form(&[("client_id", DEMO_CLIENT_ID), ("state", state.as_str()), ("decision", "allow")])
            .send()
            .await
            .expect("allow");
        (r.status(), r.headers()["location"].to_str().expect("l").to_string())
    };
    let (status, _) = get_raw(&real_callback).await;
    assert_eq!(status, 200);
    let st = waiter.await.expect("join").expect("connected");
    assert!(st.connected);
    assert_eq!(f.sim.stats().code_exchanges, 1, "the forged callback never reached the token endpoint");

    // Replaying the real callback (its state is now used) to a new sign-in's listener is refused.
    let pending = f.app.start_connect().await.expect("start again");
    let waiter = tokio::spawn(async move { pending.wait(Duration::from_secs(2)).await });
    let (status, page) = get_raw(&real_callback).await;
    assert_eq!(status, 400);
    assert!(page.contains("state_replayed"), "{page}");
    assert_eq!(waiter.await.expect("join").expect_err("nothing valid came").code().as_str(), "connect_timeout");
    assert_eq!(f.sim.stats().code_exchanges, 1);
}

#[tokio::test]
async fn deny_ends_the_sign_in_with_access_denied_and_no_connection() {
    let f = fixture(Decision::Deny).await;
    let pending = f.app.start_connect().await.expect("start");
    let url = pending.authorize_url().to_string();
    let waiter = tokio::spawn(async move { pending.wait(Duration::from_secs(30)).await });
    let (status, page) = browse(&url).await;
    assert_eq!(status, 400);
    assert!(page.contains("access_denied"));
    assert_eq!(waiter.await.expect("join").expect_err("denied").code().as_str(), "access_denied");
    let st = f.app.status().await;
    assert!(!st.connected && st.domain.is_none());
    assert!(f.store.get(TOKENS_KEY).expect("get").is_none());
}

async fn connect_expecting_error(f: &Fixture) -> String {
    let pending = f.app.start_connect().await.expect("start");
    let url = pending.authorize_url().to_string();
    let waiter = tokio::spawn(async move { pending.wait(Duration::from_secs(30)).await });
    let _ = browse(&url).await;
    waiter.await.expect("join").expect_err("must fail").code().to_string()
}

#[tokio::test]
async fn wrong_secret_wrong_client_id_and_redirect_mismatch_are_reported_precisely() {
    let f = fixture(Decision::Approve).await;
    f.app
        .save_settings(SettingsPatch { client_secret: Some("not-the-secret".into()), ..Default::default() })
        .await
        .expect("s");
    assert_eq!(connect_expecting_error(&f).await, "invalid_client_secret");

    f.app
        .save_settings(SettingsPatch { client_secret: Some(DEMO_CLIENT_SECRET.into()), ..Default::default() })
        .await
        .expect("s");
    // The admin registered the same listener as `localhost`; the browser lands on our listener,
    // but the code exchange sends the app's spelling, which amoCRM compares character by character.
    f.sim.set_redirect_uri(&f.redirect_uri.replace("127.0.0.1", "localhost"));
    assert_eq!(connect_expecting_error(&f).await, "redirect_uri_mismatch");
    f.sim.set_redirect_uri(&f.redirect_uri);

    // A wrong Integration ID: amoCRM's authorize page itself refuses it.
    f.app
        .save_settings(SettingsPatch {
            client_id: Some("00000000-0000-4000-8000-000000000000".into()),
            ..Default::default()
        })
        .await
        .expect("s");
    let pending = f.app.start_connect().await.expect("start");
    let (status, _) = browse(pending.authorize_url().as_str()).await;
    assert_eq!(status, 400);
    assert!(!f.app.status().await.connected);
}

#[tokio::test]
async fn missing_settings_and_a_locked_keychain_stop_before_the_browser_opens() {
    let f = fixture(Decision::Approve).await;
    f.store.delete(CLIENT_SECRET_KEY).expect("del");
    let e = f.app.start_connect().await.err().expect("no secret");
    assert_eq!(e.code().as_str(), "not_configured");
    assert!(e.message(amo_core::Lang::En).contains("Secret key"));
    f.store.fail(Some("locked"));
    assert_eq!(f.app.start_connect().await.err().expect("locked").code().as_str(), "keychain_locked");
    let st = f.app.status().await;
    assert!(!st.connected);
    f.store.fail(Some("absent"));
    let e = f
        .app
        .save_settings(SettingsPatch { client_secret: Some("x".into()), ..Default::default() })
        .await
        .expect_err("absent");
    assert_eq!(e.code().as_str(), "keychain_unavailable");
}

#[tokio::test]
async fn a_busy_port_is_reported_before_any_state_is_spent() {
    let f = fixture(Decision::Approve).await;
    let port: u16 = url::Url::parse(&f.redirect_uri).expect("u").port().expect("p");
    let _squatter = std::net::TcpListener::bind(("127.0.0.1", port)).expect("squat");
    let e = f.app.start_connect().await.err().expect("busy");
    assert_eq!(e.code().as_str(), "port_in_use");
    assert!(e.message(amo_core::Lang::Ru).contains(&port.to_string()));
}

#[tokio::test]
async fn network_failure_during_the_code_exchange_is_a_network_error() {
    let f = fixture(Decision::Approve).await;
    // The app talks to a server that is not there; the callback still arrives (from the browser).
    let dead = format!("http://127.0.0.1:{}", common::free_port());
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let app = Arc::new(
        AmoConnect::open(DataDir::at(tmp.path()).expect("d"), store, Endpoints::with_override(&dead).expect("e"))
            .expect("app"),
    );
    app.save_settings(SettingsPatch {
        client_id: Some(DEMO_CLIENT_ID.into()),
        redirect_uri: Some(f.redirect_uri.clone()),
        client_secret: Some(DEMO_CLIENT_SECRET.into()),
        ..Default::default()
    })
    .await
    .expect("s");
    let pending = app.start_connect().await.expect("start");
    let state = pending.authorize_url().query_pairs().find(|(k, _)| k == "state").expect("s").1.to_string();
    let waiter = tokio::spawn(async move { pending.wait(Duration::from_secs(30)).await });
    let (status, page) =
        get_raw(&format!("{}?code=def502abc&state={state}&referer=acme.amocrm.ru&platform=1", f.redirect_uri)).await;
    assert_eq!(status, 400);
    assert!(page.contains("network"));
    assert_eq!(waiter.await.expect("join").expect_err("net").code().as_str(), "network");
}

#[tokio::test]
async fn disconnect_removes_tokens_and_account_but_keeps_settings() {
    let f = fixture(Decision::Approve).await;
    let pending = f.app.start_connect().await.expect("start");
    let url = pending.authorize_url().to_string();
    let waiter = tokio::spawn(async move { pending.wait(Duration::from_secs(30)).await });
    browse(&url).await;
    assert!(waiter.await.expect("join").expect("ok").connected);
    assert!(f.app.disconnect(false).await.expect("disconnect").had);
    let st = f.app.status().await;
    assert!(!st.connected && st.account_name.is_none());
    assert!(f.store.get(TOKENS_KEY).expect("get").is_none());
    assert!(f.store.get(CLIENT_SECRET_KEY).expect("get").is_some());
    assert!(!f.app.disconnect(false).await.expect("again").had);
    assert_eq!(f.app.settings().expect("s").client_id.as_deref(), Some(DEMO_CLIENT_ID));
}

#[tokio::test]
async fn reconnect_replaces_tokens_and_keeps_created_at() {
    let f = fixture(Decision::Approve).await;
    let mut first = None;
    for _ in 0..2 {
        let pending = f.app.start_connect().await.expect("start");
        let url = pending.authorize_url().to_string();
        let waiter = tokio::spawn(async move { pending.wait(Duration::from_secs(30)).await });
        browse(&url).await;
        let st = waiter.await.expect("join").expect("ok");
        if let Some(prev) = &first {
            let prev: &amo_core::domain::views::StatusView = prev;
            assert_eq!(prev.created_at, st.created_at);
            assert_ne!(prev.access_token_masked, st.access_token_masked);
        }
        first = Some(st);
    }
    assert_eq!(f.sim.stats().code_exchanges, 2);
}

#[tokio::test]
async fn a_late_callback_for_an_abandoned_sign_in_cannot_complete_or_end_the_new_one() {
    let f = fixture(Decision::Manual).await;
    let abandoned = f.app.start_connect().await.expect("first");
    let old_state = abandoned.authorize_url().query_pairs().find(|(k, _)| k == "state").expect("s").1.to_string();
    drop(abandoned); // the user pressed Cancel: the listener closes
    let pending = f.app.start_connect().await.expect("second binds the same port");
    let url = pending.authorize_url().to_string();
    let waiter = tokio::spawn(async move { pending.wait(Duration::from_secs(30)).await });
    // amoCRM's tab from the first attempt finally redirects: refused, and the wait goes on.
    let late = format!("{}?code=def502late&state={old_state}&referer=acme.amocrm.ru&platform=1", f.redirect_uri);
    let (status, page) = get_raw(&late).await;
    assert_eq!(status, 400);
    assert!(page.contains("state_replayed"), "{page}");
    f.sim.set_decision(Decision::Approve);
    assert_eq!(browse(&url).await.0, 200);
    assert!(waiter.await.expect("join").expect("the new sign-in completes").connected);
    assert_eq!(f.sim.stats().code_exchanges, 1);
}
