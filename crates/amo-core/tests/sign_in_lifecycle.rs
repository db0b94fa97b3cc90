//! How a sign-in ends, against the simulator: a deep-link sign-in times out when its state does
//! (the clock is passed in, nobody sleeps 15 minutes); two sign-ins in flight — the window's and
//! a CLI `connect` on the same data directory — each stay valid until used or expired; a link
//! refused before any sign-in is found says why; and a code exchange belongs to the sign-in it
//! started for: cancelled or replaced while amoCRM is answering, it stores no tokens and leaves
//! the account as it was.

use std::sync::Arc;
use std::time::Duration;

mod common;

use amo_core::auth::loopback::Verdict;
use amo_core::auth::state::STATE_TTL_SECS;
use amo_core::clock::now;
use amo_core::domain::settings::DEEP_LINK_REDIRECT;
use amo_core::domain::views::StatusView;
use amo_core::keychain::memory::MemoryStore;
use amo_core::AmoConnect;
use amo_sim::{Decision, SimConfig, Simulator};
use common::FileStore;

async fn sim() -> Simulator {
    let cfg =
        SimConfig { redirect_uri: DEEP_LINK_REDIRECT.into(), decision: Decision::Approve, ..SimConfig::default() };
    Simulator::start(cfg, 0).await.expect("sim")
}

/// One app on a fresh data directory, configured for deep links.
async fn app(sim: &Simulator) -> (Arc<AmoConnect>, tempfile::TempDir) {
    let tmp = tempfile::tempdir().expect("tmp");
    let app = common::configured(tmp.path(), Arc::new(MemoryStore::new()), &sim.url(), DEEP_LINK_REDIRECT).await;
    (Arc::new(app), tmp)
}

/// The browser on amoCRM's page: the link amoCRM redirects to (not followed).
async fn link_for(authorize_url: &str) -> String {
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(authorize_url)
        .send()
        .await
        .expect("authorize");
    r.headers()["location"].to_str().expect("location").to_string()
}

fn finished(v: Verdict<StatusView>) -> amo_core::Result<StatusView> {
    match v {
        Verdict::Finish(r) => r,
        Verdict::Reject(e) => panic!("refused: {}", e.code()),
    }
}

fn refused(v: Verdict<StatusView>) -> String {
    match v {
        Verdict::Reject(e) => e.code().to_string(),
        Verdict::Finish(r) => panic!("finished: {:?}", r.map(|s| s.connected)),
    }
}

/// Waits until the simulator has carried out `n` code exchanges (their answers may be held).
async fn exchanges_reach(sim: &Simulator, n: u64) {
    for _ in 0..200 {
        if sim.stats().code_exchanges >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the simulator saw {} code exchanges, not {n}", sim.stats().code_exchanges);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_link_sign_in_times_out_with_its_state_once_and_a_late_link_is_refused() {
    let sim = sim().await;
    let (app, _tmp) = app(&sim).await;
    // The window starts the sign-in and drops what `start_connect` gave it: the link comes back
    // to deep_links.rs, and nothing else is waiting.
    let pending = app.start_connect().await.expect("start");
    let link = link_for(pending.authorize_url().as_str()).await;
    drop(pending);
    let t = now();
    assert!(app.time_out_sign_ins(t + 60).expect("check").is_none(), "a minute in, it still waits");
    let e = app.time_out_sign_ins(t + STATE_TTL_SECS + 1).expect("check").expect("timed out");
    assert_eq!(e.code().as_str(), "connect_timeout");
    assert!(app.time_out_sign_ins(t + STATE_TTL_SECS + 2).expect("check").is_none(), "told once");
    // The window stopped waiting: the link that comes after cannot connect after all.
    assert_eq!(refused(app.complete_deep_link(&link).await), "state_replayed");
    assert_eq!(sim.stats().code_exchanges, 0);
    assert!(!app.status().await.connected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cli_connect_started_meanwhile_leaves_the_windows_sign_in_valid_and_each_cancel_is_its_own() {
    let sim = sim().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let keys = tempfile::tempdir().expect("keys");
    let open = || async {
        let store = Arc::new(FileStore(keys.path().to_path_buf()));
        Arc::new(common::configured(tmp.path(), store, &sim.url(), DEEP_LINK_REDIRECT).await)
    };
    let (window, cli) = (open().await, open().await);
    let from_window = window.start_connect().await.expect("window");
    let window_link = link_for(from_window.authorize_url().as_str()).await;
    drop(from_window);
    // `amo-connect connect` in a terminal, on the same data directory, while the window waits.
    let from_cli = cli.start_connect().await.expect("cli");
    let cli_link = link_for(from_cli.authorize_url().as_str()).await;
    let cli_waits = tokio::spawn(async move { from_cli.wait(Duration::from_secs(20)).await });
    // The window's own sign-in still connects when its link comes back.
    let st = finished(window.complete_deep_link(&window_link).await).expect("the window's sign-in connects");
    assert!(st.connected);
    // Cancel in the window ends the window's sign-ins only (it has none left): the CLI's goes on.
    assert_eq!(window.cancel_connect().expect("cancel"), 0);
    assert!(!cli_waits.is_finished(), "the CLI is still waiting for its own link");
    assert!(finished(window.complete_deep_link(&cli_link).await).expect("the CLI's sign-in connects").connected);
    assert!(cli_waits.await.expect("join").expect("the CLI hears it").connected);
    assert_eq!(sim.stats().code_exchanges, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_with_amocrms_error_and_no_state_is_refused_with_that_error() {
    let sim = sim().await;
    let (app, _tmp) = app(&sim).await;
    let _pending = app.start_connect().await.expect("start");
    let denied = "amoconnect://oauth/callback?error=access_denied";
    assert_eq!(refused(app.complete_deep_link(denied).await), "access_denied");
    let failed = "amoconnect://oauth/callback?error=server_error&state=";
    assert_eq!(refused(app.complete_deep_link(failed).await), "callback_error");
    // Neither ends the sign-in in progress: only its own state can.
    assert_eq!(app.cancel_connect().expect("cancel"), 1);
}

/// Connected once over a deep link; then a second sign-in whose code exchange amoCRM answers
/// slowly. Returns the task completing the second link and the tokens from the first.
async fn second_sign_in_held(
    sim: &Simulator,
    app: &Arc<AmoConnect>,
) -> (tokio::task::JoinHandle<Verdict<StatusView>>, amo_core::domain::tokens::TokenSet, StatusView) {
    let first = app.start_connect().await.expect("first");
    let link = link_for(first.authorize_url().as_str()).await;
    assert!(finished(app.complete_deep_link(&link).await).expect("first connects").connected);
    let tokens = app.load_tokens().await.expect("keychain").expect("tokens");
    let status = app.status().await;
    // Another colleague signs in in the browser this time; amoCRM's answer is slow.
    let other = sim.users().into_iter().map(|u| u.id).find(|id| *id != sim.config().user_id).expect("a colleague");
    sim.sign_in_as(other);
    sim.set_token_answer_delay(1500);
    let second = app.start_connect().await.expect("second");
    let link = link_for(second.authorize_url().as_str()).await;
    drop(second);
    let completing = app.clone();
    let task = tokio::spawn(async move { completing.complete_deep_link(&link).await });
    exchanges_reach(sim, 2).await;
    (task, tokens, status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_during_the_code_exchange_stores_no_tokens_and_keeps_the_account() {
    let sim = sim().await;
    let (app, _tmp) = app(&sim).await;
    let (task, before, status) = second_sign_in_held(&sim, &app).await;
    // amoCRM has issued the tokens but not yet answered: the user presses Cancel.
    let cancelled = app.cancel_connect().expect("cancel");
    let outcome = finished(task.await.expect("join"));
    let after = app.load_tokens().await.expect("keychain").expect("tokens");
    assert_eq!(after.access_token, before.access_token, "the old tokens stay");
    assert_eq!(after.refresh_token, before.refresh_token);
    let now_status = app.status().await;
    assert_eq!(now_status.access_token_masked, status.access_token_masked);
    assert_eq!(now_status.updated_at, status.updated_at, "the account row was not rewritten");
    assert!(now_status.connected);
    assert_eq!(outcome.expect_err("cancelled").code().as_str(), "cancelled");
    assert_eq!(cancelled, 1, "the sign-in being exchanged counts as cancelled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_sign_in_during_the_code_exchange_discards_the_older_ones_tokens() {
    let sim = sim().await;
    let (app, _tmp) = app(&sim).await;
    let (task, before, status) = second_sign_in_held(&sim, &app).await;
    // Connect pressed again while amoCRM answers the second: the third replaces it.
    let third = app.start_connect().await.expect("third");
    let outcome = finished(task.await.expect("join"));
    assert_eq!(app.load_tokens().await.expect("k").expect("t").access_token, before.access_token, "not stored");
    assert_eq!(app.status().await.updated_at, status.updated_at, "the account row was not rewritten");
    assert_eq!(outcome.expect_err("replaced").code().as_str(), "cancelled");
    // The third is the sign-in that counts now.
    sim.set_token_answer_delay(0);
    let link = link_for(third.authorize_url().as_str()).await;
    assert!(finished(app.complete_deep_link(&link).await).expect("third connects").connected);
    assert_ne!(app.load_tokens().await.expect("k").expect("t").access_token, before.access_token);
}
