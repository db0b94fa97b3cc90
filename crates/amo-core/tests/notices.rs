//! What the system notifications say, against the simulator: a burst of leads that waited for
//! amoCRM is one notice; a lead sent at once is none; a ban and a refused entry are told once;
//! no customer named when details are hidden; nothing when notifications are off.

use std::sync::Arc;
use std::time::Duration;

mod common;

use common::drain;

use amo_core::domain::draft::LeadDraft;
use amo_core::domain::settings::SettingsPatch;
use amo_core::keychain::memory::MemoryStore;
use amo_core::outbox::RetryTiming;

fn lead(name: &str) -> LeadDraft {
    LeadDraft { name: name.into(), ..Default::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leads_that_waited_are_one_notice_per_burst_and_nothing_else_is_repeated() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (mut sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    app.set_retry_timing(RetryTiming { base: Duration::from_millis(20), max: Duration::from_millis(100) });
    assert!(app.notices().expect("first look").is_empty(), "the first call only looks");

    // Sent at the first attempt: the user saw it queued a moment ago — no notice.
    app.queue_lead(&lead("At once")).expect("q");
    drain(&app).await;
    assert!(app.notices().expect("n").is_empty());

    // Three typed while amoCRM was unreachable, sent together when it is back: one notice.
    sim.go_down().await;
    for n in ["Order A", "Order B", "Order C"] {
        app.queue_lead(&lead(n)).expect("q");
    }
    app.outbox_pass().await;
    assert!(app.notices().expect("n").is_empty(), "waiting is not news");
    sim.come_up().await.expect("up");
    tokio::time::sleep(Duration::from_millis(300)).await;
    drain(&app).await;
    let notices = app.notices().expect("n");
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].0, "3 entries reached amoCRM");
    assert!(notices[0].1.contains("Order C"), "{notices:?}");
    assert!(app.notices().expect("n").is_empty(), "told once");

    // One that waited: named, with its link.
    sim.go_down().await;
    app.queue_lead(&lead("Single order")).expect("q");
    app.outbox_pass().await;
    sim.come_up().await.expect("up");
    tokio::time::sleep(Duration::from_millis(300)).await;
    drain(&app).await;
    let notices = app.notices().expect("n");
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].0, "Sent to amoCRM");
    assert!(notices[0].1.starts_with("Single order\nhttps://acme.amocrm.ru/leads/detail/"), "{}", notices[0].1);

    // Customer details hidden (Settings, for the lock screen): counted, never named.
    app.save_settings(SettingsPatch { notification_details: Some(false), ..Default::default() }).await.expect("hide");
    sim.go_down().await;
    app.queue_lead(&lead("Private order")).expect("q");
    app.outbox_pass().await;
    sim.come_up().await.expect("up");
    tokio::time::sleep(Duration::from_millis(300)).await;
    drain(&app).await;
    let notices = app.notices().expect("n");
    assert_eq!(notices, [("1 entry reached amoCRM".to_string(), "See History for details.".to_string())]);
    app.save_settings(SettingsPatch { notification_details: Some(true), ..Default::default() }).await.expect("show");

    // A ban: told once.
    sim.ban();
    app.queue_lead(&lead("During the ban")).expect("q");
    app.outbox_pass().await;
    let notices = app.notices().expect("n");
    assert_eq!(notices.iter().map(|n| n.0.as_str()).collect::<Vec<_>>(), ["amoCRM blocked the account's API"]);
    assert!(app.notices().expect("n").is_empty());

    // Off in Settings: nothing.
    sim.unban();
    app.save_settings(SettingsPatch { notifications: Some(false), ..Default::default() }).await.expect("off");
    app.outbox_resume().expect("resume");
    drain(&app).await;
    assert!(app.notices().expect("n").is_empty());
    assert_eq!(sim.leads().len(), 7);
}
