//! Quitting the window's app waits for a token refresh in flight (`amo_core::quit`): against
//! the simulator with a slow token endpoint, the wait returns only once amoCRM's answer — the
//! only carrier of the new refresh token — is kept. (A file of its own: "in flight" is counted
//! for the whole process.)

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::connected;

mod common;

use amo_core::domain::tokens::TokenSet;
use amo_core::keychain::memory::MemoryStore;
use amo_core::keychain::{SecretStore, TOKENS_KEY};
use amo_core::quit::{wait_for_refresh, REFRESH_WAIT_LIMIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quit_during_a_refresh_waits_until_the_new_tokens_are_kept() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let (sim, app) = connected(store.clone(), tmp.path()).await;
    let app = Arc::new(app);
    // Tokens a few minutes old ("Refresh now" leaves tokens refreshed within the minute alone).
    let mut before: TokenSet =
        serde_json::from_slice(&store.get(TOKENS_KEY).expect("get").expect("tokens")).expect("json");
    before.obtained_at -= 600;
    store.set(TOKENS_KEY, &serde_json::to_vec(&before).expect("ser")).expect("set");
    sim.set_token_answer_delay(800);
    let refreshing = tokio::spawn({
        let app = app.clone();
        async move { app.refresh_now().await }
    });
    // The quit comes while amoCRM has the request.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !amo_core::auth::session::refresh_in_flight() {
        assert!(Instant::now() < deadline, "the refresh never started");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let t = Instant::now();
    assert!(wait_for_refresh(REFRESH_WAIT_LIMIT).await, "gave up on a refresh that ends in under a second");
    let waited = t.elapsed();
    // What a quit may now end: the new tokens are in the keychain already.
    let after = app.load_tokens().await.expect("read").expect("tokens");
    assert_ne!(after.access_token, before.access_token, "the quit went ahead before the new tokens were kept");
    assert_eq!(sim.stats().refreshes, 1);
    assert!(waited >= Duration::from_millis(300), "waited only {waited:?} for an 800 ms answer");
    refreshing.await.expect("join").expect("refreshed");
}
