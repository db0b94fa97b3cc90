//! The session manager against the simulator: refresh before expiry, one refresh and one retry
//! after a 401, never two refreshes of one refresh token — not across tasks, not across
//! processes — and `reconnect_needed` when amoCRM refuses a refresh.

use std::path::{Path, PathBuf};

use common::{connected, FileStore};
use std::sync::Arc;
use std::time::Duration;

mod common;

use amo_core::domain::settings::SettingsPatch;
use amo_core::domain::tokens::TokenSet;
use amo_core::keychain::memory::MemoryStore;
use amo_core::keychain::{SecretStore, TOKENS_KEY};
use amo_core::AmoConnect;
use amo_sim::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};

/// Makes the stored access token look expired to the client (amoCRM's clock says 24 h).
fn expire_locally(store: &dyn SecretStore) {
    let mut t: TokenSet = serde_json::from_slice(&store.get(TOKENS_KEY).expect("get").expect("tokens")).expect("json");
    t.expires_at = 0;
    t.obtained_at = 0;
    store.set(TOKENS_KEY, &serde_json::to_vec(&t).expect("ser")).expect("set");
}

/// Makes the stored tokens look `secs` old (still unexpired).
fn age_tokens(store: &dyn SecretStore, secs: i64) {
    let mut t = stored(store);
    t.obtained_at = amo_core::clock::now() - secs;
    store.set(TOKENS_KEY, &serde_json::to_vec(&t).expect("ser")).expect("set");
}

fn stored(store: &dyn SecretStore) -> TokenSet {
    serde_json::from_slice(&store.get(TOKENS_KEY).expect("get").expect("tokens")).expect("json")
}

#[tokio::test]
async fn an_expiring_token_is_refreshed_before_use_and_persisted_first() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let (sim, app) = connected(store.clone(), tmp.path()).await;
    let before = stored(store.as_ref());
    // Still valid: no refresh.
    app.verify().await.expect("verify");
    assert_eq!(sim.stats().refreshes, 0);
    expire_locally(store.as_ref());
    let st = app.verify().await.expect("verify after expiry");
    assert_eq!(sim.stats().refreshes, 1);
    let after = stored(store.as_ref());
    assert_ne!(after.access_token, before.access_token);
    assert_ne!(after.refresh_token, before.refresh_token, "the rotated refresh token is stored");
    assert!(after.expires_at > amo_core::clock::now() + 3600);
    assert!(st.connected && !st.is_expired && !st.reconnect_needed);
    assert!(st.last_refresh_at.is_some());
}

#[tokio::test]
async fn a_401_causes_one_refresh_and_one_retry() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let (sim, app) = connected(store.clone(), tmp.path()).await;
    sim.expire_access_tokens(); // amoCRM revoked it; the client still thinks it valid
    let api_before = sim.stats().api_requests;
    let st = app.verify().await.expect("verify");
    assert!(st.connected);
    let s = sim.stats();
    assert_eq!(s.refreshes, 1);
    assert_eq!(s.api_requests - api_before, 2, "the call, then one retry");
    assert_eq!(s.unauthorized, 1);
}

#[tokio::test]
async fn twenty_concurrent_tasks_with_an_expired_token_cause_exactly_one_refresh() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let (sim, app) = connected(store.clone(), tmp.path()).await;
    let app = Arc::new(app);
    for round in 1..=5u64 {
        expire_locally(store.as_ref());
        sim.expire_access_tokens();
        twenty_concurrent_verifies(&app).await;
        let s = sim.stats();
        assert_eq!((s.refreshes, s.reused_refresh_tokens), (round, 0), "round {round}");
    }
}

#[tokio::test]
async fn a_refused_refresh_marks_reconnect_needed_and_is_not_retried() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let (sim, app) = connected(store.clone(), tmp.path()).await;
    // Another client spends our refresh token (the classic amoCRM failure).
    let rt = stored(store.as_ref()).refresh_token.expect("rt");
    let spent = reqwest::Client::new()
        .post(format!("{}/oauth2/access_token", sim.url()))
        .json(&serde_json::json!({"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET,
            "grant_type": "refresh_token", "refresh_token": rt, "redirect_uri": sim.config().redirect_uri}))
        .send()
        .await
        .expect("spend");
    assert_eq!(spent.status(), 200);
    expire_locally(store.as_ref());
    let e = app.verify().await.expect_err("refused");
    assert_eq!(e.code().as_str(), "token_revoked");
    let st = app.status().await;
    assert!(st.reconnect_needed);
    assert_eq!(st.problem.as_ref().map(|p| p.code.as_str()), Some("token_revoked"));
    let refreshes = sim.stats().refreshes;
    assert_eq!(app.verify().await.expect_err("still").code().as_str(), "token_revoked");
    assert_eq!(sim.stats().refreshes, refreshes, "no blind retry");
    assert_eq!(sim.stats().reused_refresh_tokens, 1);
}

#[tokio::test]
async fn tokens_larger_than_a_keychain_entry_are_chunked_through_connect_and_refresh() {
    use amo_core::keychain::chunked::ChunkedStore;
    let tmp = tempfile::tempdir().expect("tmp");
    // Tighter than Windows' 2560 bytes, so the simulator's ~2.1 KB token set must be split.
    let limited = Arc::new(MemoryStore::with_limit(1024));
    let store: Arc<dyn SecretStore> = Arc::new(ChunkedStore::with_chunk_size(limited.clone(), 1000));
    let (sim, app) = connected(store.clone(), tmp.path()).await;
    assert!(limited.len() > 2, "the token set was split over several entries");
    expire_locally(store.as_ref());
    let st = app.verify().await.expect("refresh through chunks");
    assert!(st.connected && st.access_token_masked.is_some());
    assert_eq!(sim.stats().refreshes, 1);
    app.disconnect(false).await.expect("disconnect");
    assert_eq!(limited.len(), 1, "only the Secret key is left");
}

const DAY: i64 = 24 * 3600;

#[tokio::test]
async fn keep_alive_refreshes_only_tokens_older_than_the_configured_age() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let (sim, app) = connected(store.clone(), tmp.path()).await;
    assert!(!app.keep_alive().await.expect("fresh"), "fresh tokens are left alone");
    age_tokens(store.as_ref(), 8 * DAY);
    assert!(app.keep_alive().await.expect("old"), "8 days > default 7");
    assert_eq!(sim.stats().refreshes, 1);
    assert!(!app.keep_alive().await.expect("again"), "just refreshed");
    assert_eq!(sim.stats().refreshes, 1);

    app.save_settings(SettingsPatch { keepalive_days: Some(30), ..Default::default() }).await.expect("30 days");
    age_tokens(store.as_ref(), 8 * DAY);
    assert!(!app.keep_alive().await.expect("8 < 30"));
    age_tokens(store.as_ref(), 31 * DAY);
    assert!(app.keep_alive().await.expect("31 > 30"));
    assert_eq!(sim.stats().refreshes, 2);
    for bad in [0, 61] {
        let e = app.save_settings(SettingsPatch { keepalive_days: Some(bad), ..Default::default() }).await;
        assert_eq!(e.expect_err("range").code().as_str(), "invalid_setting");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keep_alive_timer_refreshes_at_start_and_then_leaves_fresh_tokens_alone() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let (sim, app) = connected(store.clone(), tmp.path()).await;
    age_tokens(store.as_ref(), 10 * DAY);
    let app = Arc::new(app);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // The window hears of it as a change of the connection (the watcher it runs).
    let watcher = tokio::spawn(app.watch_changes(Duration::from_millis(20), move |c| {
        if c.account {
            let _ = tx.send(());
        }
    }));
    let timer = tokio::spawn(app.keep_alive_loop(Duration::from_millis(50)));
    tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.expect("in time").expect("refreshed");
    let st = app.status().await;
    assert!(st.connected && st.last_refresh_at.is_some());
    tokio::time::sleep(Duration::from_millis(400)).await; // several more ticks
    timer.abort();
    watcher.abort();
    assert_eq!(sim.stats().refreshes, 1, "one refresh, then the tokens are fresh");
    assert!(rx.try_recv().is_err());
}

#[tokio::test]
async fn keep_alive_leaves_long_lived_tokens_and_dead_connections_alone() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let (sim, app) = connected(store.clone(), tmp.path()).await;
    let token = sim.issue_long_lived(30 * DAY);
    app.connect_with_long_lived_token(&token, "acme.amocrm.ru").await.expect("long-lived");
    age_tokens(store.as_ref(), 20 * DAY);
    assert!(!app.keep_alive().await.expect("long-lived"));
    assert_eq!(sim.stats().refreshes, 0);
    app.disconnect(false).await.expect("disconnect");
    assert!(!app.keep_alive().await.expect("nothing connected"));
}

#[tokio::test]
async fn without_a_connection_the_session_says_not_connected() {
    let tmp = tempfile::tempdir().expect("tmp");
    let app = common::open(tmp.path(), Arc::new(MemoryStore::new()), "http://127.0.0.1:9");
    assert_eq!(app.verify().await.expect_err("none").code().as_str(), "not_connected");
    assert_eq!(app.access().await.expect_err("none").code().as_str(), "not_connected");
}

// ------------------------------------------------------------------- across processes

const CHILD_ENV: &str = "AMO_TEST_REFRESH_CHILD";

/// The child side of the cross-process test (ignored in normal runs; the parent starts this test
/// binary again with `--ignored --exact` and the shared directories in the environment).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "started as a child process by three_processes_with_twenty_tasks_each_refresh_exactly_once"]
async fn refresh_child_process() {
    let spec = std::env::var(CHILD_ENV).expect("child spec");
    let mut parts = spec.split('|');
    let (data, store, server) =
        (parts.next().expect("data"), parts.next().expect("store"), parts.next().expect("server"));
    let app = Arc::new(common::open(Path::new(data), Arc::new(FileStore(PathBuf::from(store))), server));
    twenty_concurrent_verifies(&app).await;
}

/// 20 tasks checking the connection with amoCRM at once; each must end connected.
async fn twenty_concurrent_verifies(app: &Arc<AmoConnect>) {
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { app.verify().await.map(|s| s.connected) })
        })
        .collect();
    for t in tasks {
        assert!(t.await.expect("join").expect("verify"));
    }
}

#[tokio::test]
async fn three_processes_with_twenty_tasks_each_refresh_exactly_once() {
    const ROUNDS: u64 = 6;
    let tmp = tempfile::tempdir().expect("tmp");
    let (data, store_dir) = (tmp.path().join("data"), tmp.path().join("keychain"));
    std::fs::create_dir_all(&store_dir).expect("mkdir");
    let store = Arc::new(FileStore(store_dir.clone()));
    let (sim, _app) = connected(store.clone(), &data).await;
    let me = std::env::current_exe().expect("exe");
    let spec = format!("{}|{}|{}", data.display(), store_dir.display(), sim.url());
    // Six rounds: each child's 20 calls go through the machine's shared request budget (6 per
    // 1.2 s), so a round takes ~12 s; twenty rounds made this the slowest test of the tier.
    for round in 1..=ROUNDS {
        expire_locally(store.as_ref());
        sim.expire_access_tokens();
        let children: Vec<_> = (0..3)
            .map(|_| {
                std::process::Command::new(&me)
                    .args(["refresh_child_process", "--exact", "--ignored", "--test-threads=1"])
                    .env(CHILD_ENV, &spec)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("spawn child")
            })
            .collect();
        for c in children {
            let out = tokio::task::spawn_blocking(move || c.wait_with_output()).await.expect("join").expect("wait");
            assert!(
                out.status.success() && String::from_utf8_lossy(&out.stdout).contains("1 passed"),
                "child failed in round {round}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let s = sim.stats();
        assert_eq!((s.refreshes, s.reused_refresh_tokens), (round, 0), "round {round}: one refresh per expiry");
    }
    println!("cross-process: {ROUNDS} rounds × 3 processes × 20 tasks → {} refreshes, 0 reused", sim.stats().refreshes);
}

#[tokio::test]
async fn a_keychain_that_refuses_writes_stops_the_refresh_before_a_refresh_token_is_spent() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let (sim, app) = connected(store.clone(), tmp.path()).await;
    expire_locally(store.as_ref());
    let before = stored(store.as_ref());
    store.fail_writes_after(Some(0));
    let err = app.verify().await.expect_err("the keychain is locked");
    assert_eq!(err.code().as_str(), "keychain_locked");
    assert_eq!(sim.stats().refreshes, 0, "no refresh token spent while its successor could not be kept");
    assert_eq!(stored(store.as_ref()).refresh_token, before.refresh_token);
    // Unlocked: the same refresh token is still good.
    store.fail_writes_after(None);
    assert!(app.verify().await.expect("verify").connected);
    let s = sim.stats();
    assert_eq!((s.refreshes, s.reused_refresh_tokens), (1, 0));
}

#[tokio::test]
async fn refreshed_tokens_the_keychain_refuses_are_kept_used_and_written_later_not_lost() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let (sim, app) = connected(store.clone(), tmp.path()).await;
    expire_locally(store.as_ref());
    let spent = stored(store.as_ref());
    // The check before the refresh passes; the write of the new tokens (and its retries) fails.
    store.fail_writes_after(Some(1));
    let st = app.verify().await.expect("amoCRM's answer is used although the keychain refused it");
    assert!(st.connected && !st.reconnect_needed);
    assert_eq!(st.problem.as_ref().map(|p| p.code.as_str()), Some("keychain_locked"), "the user is told");
    assert_eq!(stored(store.as_ref()).refresh_token, spent.refresh_token, "the keychain still has the spent one");
    // Later calls use the kept tokens: no second refresh, nothing spent twice.
    for _ in 0..3 {
        app.verify().await.expect("verify with the kept tokens");
    }
    assert_eq!(sim.stats().refreshes, 1);
    // The keychain works again: the next use writes the kept tokens.
    store.fail_writes_after(None);
    let st = app.verify().await.expect("verify");
    assert!(st.problem.is_none(), "{:?}", st.problem);
    let now_stored = stored(store.as_ref());
    assert_ne!(now_stored.refresh_token, spent.refresh_token);
    // A new process reading the keychain refreshes with the new refresh token, not the spent one.
    drop(app);
    let app = common::open(tmp.path(), store.clone(), &sim.url());
    expire_locally(store.as_ref());
    assert!(app.verify().await.expect("another process").connected);
    let s = sim.stats();
    assert_eq!((s.refreshes, s.reused_refresh_tokens), (2, 0), "no refresh token was ever sent twice");
}

#[tokio::test]
async fn a_token_refused_right_after_a_refresh_means_reconnect_needed_not_more_refreshes() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let (sim, app) = connected(store.clone(), tmp.path()).await;
    sim.deny_api(true);
    let err = app.verify().await.expect_err("amoCRM refuses every token");
    assert_eq!(err.code().as_str(), "token_revoked");
    assert_eq!(sim.stats().refreshes, 1);
    assert!(app.status().await.reconnect_needed);
    for _ in 0..3 {
        assert!(app.verify().await.is_err());
    }
    assert_eq!(sim.stats().refreshes, 1, "no refresh token burnt after the first refusal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keep_alive_that_cannot_reach_amocrm_is_told_once_and_cleared_by_the_next_refresh() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let (mut sim, app) = connected(store.clone(), tmp.path()).await;
    assert!(app.notices().expect("first look").is_empty());
    age_tokens(store.as_ref(), 10 * DAY);
    sim.go_down().await;
    let app = Arc::new(app);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // The window hears of it as a change of the connection (the watcher it runs).
    let watcher = tokio::spawn(app.watch_changes(Duration::from_millis(20), move |c| {
        if c.account {
            let _ = tx.send(());
        }
    }));
    let timer = tokio::spawn(app.keep_alive_loop(Duration::from_millis(100)));
    tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.expect("in time").expect("failure told");
    let notices = app.notices().expect("n");
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].0, "Could not refresh the amoCRM connection");
    assert!(notices[0].1.ends_with("Trying again within an hour; your entries are kept."), "{}", notices[0].1);
    tokio::time::sleep(Duration::from_millis(350)).await; // more failing ticks
    assert!(rx.try_recv().is_err(), "the same failure again is not a change");
    assert!(app.notices().expect("n").is_empty(), "told once per run of failures");

    sim.come_up().await.expect("up");
    tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.expect("in time").expect("refreshed");
    timer.abort();
    watcher.abort();
    assert_eq!(sim.stats().refreshes, 1);
    assert!(app.notices().expect("n").is_empty(), "a working refresh is not news");
}
