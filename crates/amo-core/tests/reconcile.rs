//! Exactly once, exactly ours: after an interrupted send the outbox finds its own lead in amoCRM —
//! even when a Salesbot renamed it — and never takes another desk's lead of the same name made in
//! the same second. When it cannot tell, the entry waits for the user instead of a guess.

use std::sync::Arc;
use std::time::Duration;

mod common;

use common::drain;

use amo_core::domain::draft::{ContactDraft, LeadDraft};
use amo_core::domain::outbox::OutboxState;
use amo_core::keychain::memory::MemoryStore;
use amo_core::outbox::RetryTiming;
use amo_core::AmoConnect;
use amo_sim::{Faults, SimConfig, Simulator};

const CALL: &str = "Входящий звонок";

/// Two desks on one account: desk A signed in as the admin (Anna), desk B as `b_user`.
async fn two_desks(b_user: Option<i64>) -> (tempfile::TempDir, Simulator, AmoConnect, AmoConnect) {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, a) = common::connected_with(
        SimConfig { rate_limit_per_sec: 100_000, ..SimConfig::default() },
        Arc::new(MemoryStore::new()),
        &tmp.path().join("a"),
    )
    .await;
    if let Some(u) = b_user {
        sim.sign_in_as(u);
    }
    let b = common::connect_desk(&sim, Arc::new(MemoryStore::new()), &tmp.path().join("b")).await;
    for app in [&a, &b] {
        app.set_retry_timing(RetryTiming { base: Duration::from_millis(20), max: Duration::from_millis(200) });
    }
    (tmp, sim, a, b)
}

fn call(price: &str) -> LeadDraft {
    LeadDraft { name: CALL.into(), price: price.into(), ..Default::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_request_never_adopts_another_desks_lead_of_the_same_name_and_second() {
    let (_tmp, sim, a, b) = two_desks(Some(SimConfig::default().user_id + 1)).await;
    common::at_the_start_of_a_second().await;
    let on_b = b.queue_lead(&call("0")).expect("b");
    let on_a = a.queue_lead(&call("0")).expect("a");
    drain(&b).await;
    // A's request fails with a 5xx before amoCRM acts; A cannot know whether it arrived.
    sim.set_faults(Faults { fail_next: 1, ..Faults::default() });
    a.outbox_pass().await;
    sim.set_faults(Faults::default());
    drain(&a).await;
    let (a_item, b_item) = (a.outbox_item(on_a.id).expect("a"), b.outbox_item(on_b.id).expect("b"));
    assert_eq!((a_item.state, b_item.state), (OutboxState::Sent, OutboxState::Sent));
    let leads = sim.leads();
    assert_eq!(leads.len(), 2, "A's lead exists; B's was not taken for it");
    assert_eq!(leads[0].created_at, leads[1].created_at, "both made in the same second");
    assert_ne!(a_item.lead_id, b_item.lead_id);
    let a_lead = sim.leads().into_iter().find(|l| Some(l.id) == a_item.lead_id).expect("a's lead");
    assert_eq!(a_lead.created_by, SimConfig::default().user_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_renamed_by_a_salesbot_is_still_found_and_not_created_twice() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, a) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    a.set_retry_timing(RetryTiming { base: Duration::from_millis(20), max: Duration::from_millis(200) });
    let draft = LeadDraft {
        contact: Some(ContactDraft {
            first_name: "Иван".into(),
            phones: vec!["+7 912 000 11 22".into()],
            ..Default::default()
        }),
        note: "Перезвонить завтра".into(),
        ..call("1500")
    };
    let item = a.queue_lead(&draft).expect("queue");
    // amoCRM creates the lead, a Salesbot renames it at once, and the answer is lost.
    sim.set_faults(Faults { drop_after_next: 1, bot_renames: true, ..Faults::default() });
    a.outbox_pass().await;
    sim.set_faults(Faults::default());
    drain(&a).await;
    let leads = sim.leads();
    assert_eq!(leads.len(), 1, "found after the rename, not sent again: {leads:?}");
    assert_eq!(leads[0].name, format!("{CALL} — бот"));
    let item = a.outbox_item(item.id).expect("item");
    assert_eq!((item.state, item.lead_id), (OutboxState::Sent, Some(leads[0].id)));
    assert_eq!(sim.notes().iter().filter(|n| n.entity_id == leads[0].id).count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_two_leads_could_be_ours_the_entry_waits_for_the_user() {
    // The same user on two desks, the same lead in the same second: amoCRM has two candidates.
    let (_tmp, sim, a, b) = two_desks(None).await;
    common::at_the_start_of_a_second().await;
    b.queue_lead(&call("900")).expect("b");
    let on_a = a.queue_lead(&call("900")).expect("a");
    drain(&b).await;
    sim.set_faults(Faults { drop_after_next: 1, ..Faults::default() });
    a.outbox_pass().await;
    sim.set_faults(Faults::default());
    drain(&a).await;
    let item = a.outbox_item(on_a.id).expect("a");
    assert_eq!(item.state, OutboxState::Attention, "{item:?}");
    assert_eq!(item.error.as_ref().map(|e| e.code.as_str()), Some("reconcile_ambiguous"));
    let leads = sim.leads();
    assert_eq!(leads.len(), 2, "nothing sent a third time");
    assert_eq!(leads[0].created_at, leads[1].created_at, "both made in the same second");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_never_looked_for() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (mut sim, a) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    a.set_retry_timing(RetryTiming { base: Duration::from_millis(20), max: Duration::from_millis(200) });
    a.queue_lead(&call("0")).expect("queue");
    sim.go_down().await;
    a.outbox_pass().await;
    sim.come_up().await.expect("up");
    let before = sim.stats().api_requests;
    drain(&a).await;
    assert_eq!(sim.stats().api_requests - before, 1, "the create only: no lookup after a refused connection");
    assert_eq!(sim.leads().len(), 1);
}
