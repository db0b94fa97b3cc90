//! The other redirect paths: the `amoconnect://oauth/callback` deep link, and an HTTPS bounce
//! page that forwards to loopback or to the deep link (the choice is carried in the `state`
//! prefix). Same state rules as loopback: single use, 15 minutes, forged links change nothing.

use std::sync::Arc;
use std::time::Duration;

mod common;

use amo_core::auth::loopback::Verdict;
use amo_core::domain::settings::{BounceVia, SettingsPatch, DEEP_LINK_REDIRECT};
use amo_core::keychain::memory::MemoryStore;
use amo_core::AmoConnect;
use amo_sim::{Decision, SimConfig, Simulator, DEMO_CLIENT_ID};

const BOUNCE: &str = "https://me.example.io/amo-connect-bounce.html";

async fn setup(redirect_uri: &str, decision: Decision) -> (Simulator, Arc<AmoConnect>, tempfile::TempDir) {
    let sim = Simulator::start(SimConfig { redirect_uri: redirect_uri.into(), decision, ..SimConfig::default() }, 0)
        .await
        .expect("sim");
    let tmp = tempfile::tempdir().expect("tmp");
    let app = common::configured(tmp.path(), Arc::new(MemoryStore::new()), &sim.url(), redirect_uri).await;
    (sim, Arc::new(app), tmp)
}

/// The browser on amoCRM's page: returns where amoCRM redirects (not followed).
async fn redirect_target(authorize_url: &str) -> String {
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("c")
        .get(authorize_url)
        .send()
        .await
        .expect("authorize");
    r.headers()["location"].to_str().expect("loc").to_string()
}

/// What the static bounce page does with amoCRM's redirect (ui-independent copy of its rule).
fn bounce_forward(landed: &str) -> String {
    let u = url::Url::parse(landed).expect("url");
    let query = u.query().unwrap_or_default().to_string();
    let state = u.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned()).unwrap_or_default();
    if state.starts_with("d.") {
        format!("{DEEP_LINK_REDIRECT}?{query}")
    } else {
        let port = state.strip_prefix('l').and_then(|r| r.split('.').next()).expect("loopback prefix");
        format!("http://127.0.0.1:{port}/callback?{query}")
    }
}

fn finished(v: Verdict<amo_core::domain::views::StatusView>) -> amo_core::Result<amo_core::domain::views::StatusView> {
    match v {
        Verdict::Finish(r) => r,
        Verdict::Reject(e) => panic!("rejected: {e:?}"),
    }
}

fn rejected(v: Verdict<amo_core::domain::views::StatusView>) -> String {
    match v {
        Verdict::Reject(e) => e.code().to_string(),
        Verdict::Finish(r) => panic!("finished: {r:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_link_connects_once_and_a_waiting_sign_in_sees_it() {
    let (sim, app, _tmp) = setup(DEEP_LINK_REDIRECT, Decision::Approve).await;
    let pending = app.start_connect().await.expect("start");
    assert!(!pending.listens(), "no listener in deep-link mode");
    let link = redirect_target(pending.authorize_url().as_str()).await;
    assert!(link.starts_with("amoconnect://oauth/callback?code="), "{link}");
    // The CLI (or the window) waits; the instance the OS starts completes it.
    let waiter = tokio::spawn(async move { pending.wait(Duration::from_secs(20)).await });
    let st = finished(app.complete_deep_link(&link).await).expect("connected");
    assert!(st.connected && st.account_name.as_deref() == Some("Acme Trading"));
    assert!(waiter.await.expect("join").expect("the waiter saw it").connected);
    // The same link again, and forged ones, change nothing.
    assert_eq!(rejected(app.complete_deep_link(&link).await), "state_replayed");
    let forged = "amoconnect://oauth/callback?code=def502x&state=d.forged&referer=acme.amocrm.ru";
    assert_eq!(rejected(app.complete_deep_link(forged).await), "state_unknown");
    assert_eq!(rejected(app.complete_deep_link("amoconnect://elsewhere?state=x").await), "callback_invalid");
    assert_eq!(rejected(app.complete_deep_link("https://evil.example/oauth/callback").await), "callback_invalid");
    assert_eq!(sim.stats().code_exchanges, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_makes_a_later_deep_link_for_that_sign_in_useless() {
    let (sim, app, _tmp) = setup(DEEP_LINK_REDIRECT, Decision::Approve).await;
    let pending = app.start_connect().await.expect("start");
    let link = redirect_target(pending.authorize_url().as_str()).await;
    // The user pressed Cancel in the window before the browser handed the link over.
    assert_eq!(app.cancel_connect().expect("cancel"), 1);
    assert_eq!(rejected(app.complete_deep_link(&link).await), "state_replayed");
    assert!(!app.status().await.connected);
    assert_eq!(sim.stats().code_exchanges, 0, "the code was never exchanged");
    assert_eq!(app.cancel_connect().expect("again"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denial_by_deep_link_ends_the_sign_in_with_access_denied() {
    let (_sim, app, _tmp) = setup(DEEP_LINK_REDIRECT, Decision::Deny).await;
    let pending = app.start_connect().await.expect("start");
    let link = redirect_target(pending.authorize_url().as_str()).await;
    // `amo-connect connect` waits on the same sign-in while the window gets the link.
    let started = std::time::Instant::now();
    let waiter = tokio::spawn(async move { pending.wait(Duration::from_secs(30)).await });
    assert_eq!(finished(app.complete_deep_link(&link).await).expect_err("denied").code().as_str(), "access_denied");
    let waited = waiter.await.expect("join").expect_err("the waiter hears the denial");
    assert_eq!(waited.code().as_str(), "access_denied", "not connect_timeout");
    assert!(started.elapsed() < Duration::from_secs(5), "ended at once, not at the timeout");
    assert!(!app.status().await.connected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_in_the_window_ends_a_waiting_cli_sign_in_with_cancelled() {
    let (_sim, app, _tmp) = setup(DEEP_LINK_REDIRECT, Decision::Approve).await;
    let pending = app.start_connect().await.expect("start");
    let waiter = tokio::spawn(async move { pending.wait(Duration::from_secs(30)).await });
    tokio::time::sleep(Duration::from_millis(400)).await;
    app.cancel_connect().expect("cancel");
    let err = tokio::time::timeout(Duration::from_secs(5), waiter).await.expect("ends at once").expect("join");
    assert_eq!(err.expect_err("cancelled").code().as_str(), "cancelled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bounce_page_forwards_to_the_loopback_port_in_the_state() {
    let (sim, app, _tmp) = setup(BOUNCE, Decision::Approve).await;
    let port = common::free_port();
    app.save_settings(SettingsPatch { bounce_port: Some(port), ..Default::default() }).await.expect("port");
    let pending = app.start_connect().await.expect("start");
    assert!(pending.listens());
    let state = pending.authorize_url().query_pairs().find(|(k, _)| k == "state").expect("s").1.to_string();
    assert!(state.starts_with(&format!("l{port}.")), "{state}");
    let waiter = tokio::spawn(async move { pending.wait(Duration::from_secs(20)).await });
    let landed = redirect_target(&format!("{}/oauth?client_id={DEMO_CLIENT_ID}&state={state}", sim.url())).await;
    assert!(landed.starts_with(BOUNCE), "amoCRM redirects to the registered https page: {landed}");
    let r = reqwest::get(bounce_forward(&landed)).await.expect("forwarded");
    assert_eq!(r.status(), 200);
    let st = waiter.await.expect("join").expect("connected");
    assert!(st.connected, "the code exchange used the https Redirect URI");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bounce_page_forwards_to_the_deep_link_when_chosen() {
    let (_sim, app, _tmp) = setup(BOUNCE, Decision::Approve).await;
    app.save_settings(SettingsPatch { bounce_via: Some(BounceVia::DeepLink), ..Default::default() })
        .await
        .expect("via");
    let pending = app.start_connect().await.expect("start");
    assert!(!pending.listens());
    let landed = redirect_target(pending.authorize_url().as_str()).await;
    let link = bounce_forward(&landed);
    assert!(link.starts_with("amoconnect://oauth/callback?"), "{link}");
    assert!(finished(app.complete_deep_link(&link).await).expect("connected").connected);
    let e = app.save_settings(SettingsPatch { bounce_port: Some(80), ..Default::default() }).await;
    assert_eq!(e.expect_err("port").code().as_str(), "invalid_setting");
}
