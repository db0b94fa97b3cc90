//! A refresh amoCRM answers with a new access token but no `refresh_token`: the access token is
//! kept and used while amoCRM accepts it; after that the connection ends as "reconnect needed"
//! (`token_revoked`, the account marked), never as a bare `unauthorized` that repeats forever.

use std::sync::Arc;

use common::connected;

mod common;

use amo_core::domain::tokens::TokenSet;
use amo_core::keychain::memory::MemoryStore;
use amo_core::keychain::{SecretStore, TOKENS_KEY};
use amo_sim::Faults;

fn stored(store: &dyn SecretStore) -> TokenSet {
    serde_json::from_slice(&store.get(TOKENS_KEY).expect("get").expect("tokens")).expect("json")
}

/// Makes the stored access token look expired to the client.
fn expire_locally(store: &dyn SecretStore) {
    let mut t = stored(store);
    t.expires_at = 0;
    t.obtained_at = 0;
    store.set(TOKENS_KEY, &serde_json::to_vec(&t).expect("ser")).expect("set");
}

#[tokio::test]
async fn the_access_token_is_used_while_valid_then_amocrms_refusal_means_reconnect_needed() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let (sim, app) = connected(store.clone(), tmp.path()).await;
    sim.set_faults(Faults { refresh_without_refresh_token: true, ..Faults::default() });
    expire_locally(store.as_ref());
    // The refresh works, but its answer carries no refresh token: the new access token is kept.
    let st = app.verify().await.expect("the new access token works");
    assert_eq!(sim.stats().refreshes, 1);
    let kept = stored(store.as_ref());
    assert!(kept.refresh_token.is_none());
    assert!(st.connected && !st.reconnect_needed);
    assert!(st.expires_soon, "the status warns that this connection cannot renew itself");
    app.verify().await.expect("used again while valid");
    assert_eq!(sim.stats().refreshes, 1, "nothing to refresh with");
    // amoCRM stops accepting it (expired, revoked): only a new sign-in helps.
    sim.expire_access_tokens();
    let err = app.verify().await.expect_err("refused");
    assert_eq!(err.code().as_str(), "token_revoked", "reconnect needed, not unauthorized");
    let st = app.status().await;
    assert!(st.reconnect_needed, "the status panel says reconnect");
    assert_eq!(st.problem.map(|p| p.code.as_str()), Some("token_revoked"));
    assert_eq!(app.verify().await.expect_err("still").code().as_str(), "token_revoked");
    assert_eq!(sim.stats().refreshes, 1);
}

#[tokio::test]
async fn refresh_now_without_a_refresh_token_says_reconnect_and_keeps_the_working_token() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let (sim, app) = connected(store.clone(), tmp.path()).await;
    sim.set_faults(Faults { refresh_without_refresh_token: true, ..Faults::default() });
    expire_locally(store.as_ref());
    app.verify().await.expect("refreshed once");
    // "Refresh now" a minute later has nothing to refresh with: only a new sign-in renews this.
    let mut t = stored(store.as_ref());
    t.obtained_at -= 120;
    store.set(TOKENS_KEY, &serde_json::to_vec(&t).expect("ser")).expect("set");
    let err = app.refresh_now().await.expect_err("cannot refresh");
    assert_eq!(err.code().as_str(), "token_revoked", "reconnect needed, not unauthorized");
    assert_eq!(sim.stats().refreshes, 1, "no request with a refresh token that does not exist");
    // The access token it has is still good until amoCRM says otherwise.
    let st = app.verify().await.expect("still works");
    assert!(st.connected && !st.reconnect_needed && st.expires_soon);
}
