//! Platforms and account hosts: Kommo accounts (and their old amocrm.com addresses), and an
//! account whose subdomain was renamed in amoCRM (docs/amocrm-api.md §6.3, §11.9).

use std::sync::Arc;
use std::time::Duration;

mod common;

use amo_core::domain::tokens::TokenSet;
use amo_core::domain::{platform::Platform, settings::SettingsPatch};
use amo_core::keychain::memory::MemoryStore;
use amo_core::keychain::{SecretStore, TOKENS_KEY};
use amo_core::AmoConnect;
use amo_sim::{Decision, SimConfig, SimPlatform, Simulator, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};

async fn setup(platform: SimPlatform) -> (Simulator, AmoConnect, Arc<MemoryStore>, tempfile::TempDir) {
    let redirect_uri = format!("http://127.0.0.1:{}/callback", common::free_port());
    let sim = Simulator::start(
        SimConfig { redirect_uri: redirect_uri.clone(), decision: Decision::Approve, platform, ..SimConfig::default() },
        0,
    )
    .await
    .expect("sim");
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let app = common::configured(tmp.path(), store.clone(), &sim.url(), &redirect_uri).await;
    let platform = if platform == SimPlatform::Kommo { Platform::Kommo } else { Platform::Amocrm };
    app.save_settings(SettingsPatch { platform: Some(platform), ..Default::default() }).await.expect("platform");
    (sim, app, store, tmp)
}

async fn connect(app: &AmoConnect) -> amo_core::domain::views::StatusView {
    let pending = app.start_connect().await.expect("start");
    let url = pending.authorize_url().to_string();
    let browser = tokio::spawn(async move { reqwest::get(url).await.map(|r| r.status().as_u16()) });
    let st = pending.wait(Duration::from_secs(30)).await.expect("connected");
    assert_eq!(browser.await.expect("join").expect("browse"), 200);
    st
}

fn expire_locally(store: &dyn SecretStore) {
    let mut t: TokenSet = serde_json::from_slice(&store.get(TOKENS_KEY).expect("g").expect("t")).expect("json");
    t.expires_at = 0;
    store.set(TOKENS_KEY, &serde_json::to_vec(&t).expect("ser")).expect("set");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kommo_account_connects_on_kommo_com_and_its_old_amocrm_com_address_is_the_same_account() {
    let (sim, app, _store, _tmp) = setup(SimPlatform::Kommo).await;
    let st = connect(&app).await;
    assert_eq!((st.domain.as_deref(), st.platform), (Some("acme.kommo.com"), Some(Platform::Kommo)));
    assert_eq!(st.account_name.as_deref(), Some("Acme Trading"));
    // An admin pastes the old amocrm.com address: stored as kommo.com, and it works.
    let st = app.connect_with_code(&sim.issue_code(), "acme.amocrm.com").await.expect("code");
    assert_eq!((st.domain.as_deref(), st.platform), (Some("acme.kommo.com"), Some(Platform::Kommo)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiring_token_after_a_subdomain_rename_is_refreshed_on_the_new_host() {
    let (sim, app, store, _tmp) = setup(SimPlatform::Amocrm).await;
    assert_eq!(connect(&app).await.domain.as_deref(), Some("acme.amocrm.ru"));
    sim.rename_subdomain("acme-trading");
    expire_locally(store.as_ref());
    let st = app.verify().await.expect("refreshed on the new host");
    assert_eq!(st.domain.as_deref(), Some("acme-trading.amocrm.ru"));
    assert!(st.connected && !st.reconnect_needed);
    let s = sim.stats();
    assert_eq!((s.refreshes, s.reused_refresh_tokens), (1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_401_from_a_renamed_account_moves_the_connection_and_retries() {
    let (sim, app, _store, _tmp) = setup(SimPlatform::Amocrm).await;
    connect(&app).await;
    sim.rename_subdomain("acme-trading");
    // The token is still valid; the old host answers 401 (code 101).
    let st = app.verify().await.expect("moved");
    assert_eq!(st.domain.as_deref(), Some("acme-trading.amocrm.ru"));
    assert_eq!(st.account_name.as_deref(), Some("Acme Trading"));
    assert_eq!(sim.stats().refreshes, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rename_with_a_spent_refresh_token_ends_in_reconnect_needed_not_a_guess() {
    let (sim, app, store, _tmp) = setup(SimPlatform::Amocrm).await;
    connect(&app).await;
    // Someone else spent the refresh token; then the account was renamed.
    let t: TokenSet = serde_json::from_slice(&store.get(TOKENS_KEY).expect("g").expect("t")).expect("json");
    let spent = reqwest::Client::new()
        .post(format!("{}/oauth2/access_token", sim.url()))
        .json(&serde_json::json!({"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET,
            "grant_type": "refresh_token", "refresh_token": t.refresh_token, "redirect_uri": sim.config().redirect_uri}))
        .send()
        .await
        .expect("spend");
    assert_eq!(spent.status(), 200);
    sim.rename_subdomain("acme-trading");
    expire_locally(store.as_ref());
    assert_eq!(app.verify().await.expect_err("dead").code().as_str(), "token_rejected");
    let st = app.status().await;
    assert!(st.reconnect_needed);
    assert_eq!(st.domain.as_deref(), Some("acme.amocrm.ru"), "no move without amoCRM's word");
}
