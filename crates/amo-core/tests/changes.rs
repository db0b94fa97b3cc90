//! Changes seen across processes: a window learns of every change to the outbox, the
//! connection and the copy of the account's people, whoever made it — here a second app on the same data directory, as a CLI
//! command or a softphone's `amo-connect` is (its own SQLite connection) — and of its own writes
//! at once.

use std::sync::Arc;
use std::time::Duration;

mod common;

use amo_core::changes::Changed;
use amo_core::domain::draft::LeadDraft;
use amo_core::keychain::memory::MemoryStore;
use amo_core::keychain::SecretStore;
use tokio::sync::mpsc::UnboundedReceiver;

/// The next change the watcher reports (a test waits for the event, not for time).
async fn next(rx: &mut UnboundedReceiver<Changed>) -> Changed {
    tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.expect("a change in time").expect("watching")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_hears_what_another_process_did_and_what_it_did_itself() {
    let tmp = tempfile::tempdir().expect("tmp");
    let keychain: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
    let (sim, window) = common::connected(keychain.clone(), tmp.path()).await;
    let window = Arc::new(window);
    assert_eq!(
        window.changes().expect("look"),
        Changed { outbox: false, account: true, people: false },
        "signing in changed it"
    );
    assert_eq!(window.changes().expect("look"), Changed::default(), "nothing since");

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watcher = tokio::spawn(window.watch_changes(Duration::from_millis(50), move |c| {
        let _ = tx.send(c);
    }));

    // A CLI command on the same data directory queues a lead and sends it.
    let cli = common::open(tmp.path(), keychain.clone(), &sim.url());
    let item = cli.queue_lead(&LeadDraft { name: "From the softphone".into(), ..Default::default() }).expect("queued");
    assert!(next(&mut rx).await.outbox, "the window sees it queued");
    cli.wait_for_entry(item.id, Duration::from_secs(10)).await.expect("sent by the CLI");
    while window.outbox_summary().expect("summary").sent == 0 {
        assert!(next(&mut rx).await.outbox, "…and sent");
    }
    assert!(window.outbox_item(item.id).expect("item").lead_url.is_some());

    // The CLI fills the copy of the account's people: Settings hears its progress.
    cli.sync_people(false, &|_| {}).await.expect("sync");
    while !next(&mut rx).await.people {}
    assert!(window.people_status().expect("copy").fresh_at.is_some());

    // The CLI disconnects: the window's status panel hears it.
    cli.disconnect(false).await.expect("disconnect");
    loop {
        if next(&mut rx).await.account {
            break;
        }
    }
    assert!(!window.status().await.connected);
    watcher.abort();

    // The window's own writes are heard at once, without waiting for the next look.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watcher = tokio::spawn(window.watch_changes(Duration::from_secs(3600), move |c| {
        let _ = tx.send(c);
    }));
    tokio::task::yield_now().await;
    window.queue_lead(&LeadDraft { name: "Typed while away".into(), ..Default::default() }).expect("queued");
    assert!(next(&mut rx).await.outbox);
    watcher.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_processs_write_wakes_the_window_without_its_poll() {
    // An hour between looks: only the OS's report of the write to the database file can wake
    // the watcher in time (an idle window reads nothing — README, "Budgets": idle CPU).
    let tmp = tempfile::tempdir().expect("tmp");
    let keychain: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
    let (sim, window) = common::connected(keychain.clone(), tmp.path()).await;
    let window = Arc::new(window);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watcher = tokio::spawn(window.watch_changes(Duration::from_secs(3600), move |c| {
        let _ = tx.send(c);
    }));
    let cli = common::open(tmp.path(), keychain.clone(), &sim.url());
    cli.queue_lead(&LeadDraft { name: "Queued by a softphone's command".into(), ..Default::default() })
        .expect("queued");
    assert!(next(&mut rx).await.outbox, "the window hears the other process's entry");
    watcher.abort();
}
