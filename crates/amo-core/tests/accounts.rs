//! Every entry belongs to the account it was typed for: two amoCRM accounts on two hosts (two
//! simulators), one data directory and keychain, the user switching between them. Nothing typed
//! for one account reaches the other; each account's cached pipelines and users stay its own.

use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use amo_core::domain::draft::{ContactDraft, LeadDraft};
use amo_core::keychain::memory::MemoryStore;
use amo_core::keychain::SecretStore;
use amo_core::outbox::RetryTiming;
use amo_core::AmoConnect;
use amo_sim::{Decision, SimConfig, Simulator};

fn lead(name: &str) -> LeadDraft {
    LeadDraft {
        name: name.into(),
        contact: Some(ContactDraft {
            first_name: "Olga".into(),
            phones: vec!["+7 912 555-01-02".into()],
            ..Default::default()
        }),
        note: format!("Called about {name}"),
        ..Default::default()
    }
}

/// The second account: another host, id, name and user.
async fn beta() -> Simulator {
    let redirect_uri = format!("http://127.0.0.1:{}/callback", common::free_port());
    Simulator::start(
        SimConfig {
            redirect_uri,
            decision: Decision::Approve,
            subdomain: "beta".into(),
            account_id: 27_182_818,
            account_name: "Beta Logistics".into(),
            user_id: 1_414_213,
            rate_limit_per_sec: 100_000,
            ..SimConfig::default()
        },
        0,
    )
    .await
    .expect("sim")
}

async fn passes(app: &AmoConnect, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        let wait = app.outbox_pass().await;
        if app.outbox_summary().expect("summary").queued == 0 {
            return;
        }
        tokio::time::sleep(wait.min(Duration::from_millis(50))).await;
    }
}

fn fast(app: AmoConnect) -> AmoConnect {
    app.set_retry_timing(RetryTiming { base: Duration::from_millis(20), max: Duration::from_millis(100) });
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_queued_for_one_account_never_reach_another_and_wait_for_their_own() {
    let tmp = tempfile::tempdir().expect("tmp");
    let keychain: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
    let (mut acme, app) = common::connected_with(
        SimConfig { rate_limit_per_sec: 100_000, ..SimConfig::default() },
        keychain.clone(),
        tmp.path(),
    )
    .await;
    let app = fast(app);
    let acme_ref = app.reference_data(false).await.expect("acme's pipelines and users");
    assert_eq!(acme_ref.current_user_id, Some(acme.config().user_id));

    // Acme is unreachable; two orders are typed for it.
    acme.go_down().await;
    let first = app.queue_lead(&lead("Acme order 1")).expect("queue");
    let second = app.queue_lead(&lead("Acme order 2")).expect("queue");
    passes(&app, 1).await;
    assert_eq!(app.outbox_summary().expect("s").queued, 2);
    assert_eq!(app.pending_entries().expect("pending"), 2);

    // The user disconnects Acme (keeping the entries) and connects Beta in the same data directory.
    let done = app.disconnect(false).await.expect("disconnect");
    assert_eq!((done.had, done.kept, done.discarded), (true, 2, 0));
    // Typed while no account is connected: kept for the next account connected.
    let unbound = app.queue_lead(&lead("Typed while disconnected")).expect("kept");
    assert!(!app.outbox_item(unbound.id).expect("item").other_account);
    drop(app);
    let beta = beta().await;
    let app = fast(common::connect_desk(&beta, keychain.clone(), tmp.path()).await);
    let before = beta.stats().api_requests;
    passes(&app, 2).await;
    let names = |sim: &Simulator| sim.leads().into_iter().map(|l| l.name).collect::<Vec<_>>();
    assert_eq!(names(&beta), ["Typed while disconnected"], "Acme's customers were sent to Beta");
    let summary = app.outbox_summary().expect("summary");
    assert_eq!((summary.queued, summary.other_account), (0, 2), "{summary:?}");
    let items = app.outbox_list(10).expect("list");
    let acme_items: Vec<_> = items.iter().filter(|i| i.id == first.id || i.id == second.id).collect();
    assert!(acme_items.iter().all(|i| i.other_account && i.account_domain.as_deref() == Some("acme.amocrm.ru")));
    let adopted = app.outbox_item(unbound.id).expect("item");
    assert_eq!((adopted.other_account, adopted.account_domain.as_deref()), (false, Some("beta.amocrm.ru")));
    // Beta's form shows Beta's pipelines and users, never Acme's cache.
    let beta_ref = app.reference_data(false).await.expect("beta's data");
    assert_eq!(beta_ref.current_user_id, Some(beta.config().user_id));
    assert!(beta.stats().api_requests > before, "Beta's data came from Beta");

    // A lead typed for Beta goes to Beta; one of Acme's is discarded from Beta's window.
    let for_beta = app.queue_lead(&lead("Beta order")).expect("queue");
    passes(&app, 5).await;
    assert_eq!(names(&beta), ["Typed while disconnected", "Beta order"]);
    assert!(app.outbox_item(for_beta.id).expect("item").lead_url.expect("link").starts_with("https://beta.amocrm.ru/"));
    app.outbox_discard(first.id).expect("another account's entry can be discarded");
    let err = app.outbox_discard(for_beta.id).expect_err("a sent entry stays");
    assert_eq!(err.code().as_str(), "entry_not_editable");

    // Back to Acme: its remaining order is sent there, once; Beta still has only its own.
    app.disconnect(false).await.expect("disconnect");
    drop(app);
    acme.come_up().await.expect("up");
    let app = fast(common::connect_desk(&acme, keychain, tmp.path()).await);
    passes(&app, 5).await;
    assert_eq!(names(&acme), ["Acme order 2"]);
    assert_eq!(beta.leads().len(), 2, "nothing more reached Beta");
    let item = app.outbox_item(second.id).expect("item");
    assert!(!item.other_account && item.lead_url.expect("link").starts_with("https://acme.amocrm.ru/"));
    assert_eq!(app.reference_data(false).await.expect("acme").current_user_id, Some(acme.config().user_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_can_discard_the_accounts_waiting_entries() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (mut sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    sim.go_down().await;
    app.queue_lead(&lead("Not wanted")).expect("queue");
    let done = app.disconnect(true).await.expect("disconnect");
    assert_eq!((done.had, done.kept, done.discarded), (true, 0, 1));
    assert!(app.outbox_list(10).expect("list").is_empty());
}
