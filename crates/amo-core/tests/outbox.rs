//! Lead and contact entry against the simulator: two requests per lead, the durable outbox under
//! outages, 5xx bursts, 429 storms, slow and lost answers, token expiry and an account ban; the
//! duplicate check; reference data; and the rate limiter as the simulator measures it.

use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use amo_core::domain::draft::Draft;
use amo_core::domain::draft::{ContactDraft, LeadDraft};
use amo_core::domain::outbox::OutboxState;
use amo_core::keychain::memory::MemoryStore;
use amo_core::outbox::RetryTiming;
use amo_core::AmoConnect;
use amo_sim::{Faults, SimConfig, Simulator};

/// amoCRM's real limit: 7 requests per second, then 429.
async fn setup() -> (tempfile::TempDir, Simulator, Arc<AmoConnect>) {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = common::connected_with(SimConfig::default(), Arc::new(MemoryStore::new()), tmp.path()).await;
    app.set_retry_timing(RetryTiming { base: Duration::from_millis(20), max: Duration::from_millis(200) });
    (tmp, sim, Arc::new(app))
}

fn lead(name: &str) -> LeadDraft {
    LeadDraft {
        name: name.into(),
        price: "1500".into(),
        contact: Some(ContactDraft {
            first_name: "Ivan".into(),
            last_name: name.into(),
            phones: vec!["8 (912) 123-45-67".into()],
            emails: vec!["ivan@example.com".into()],
            ..Default::default()
        }),
        note: format!("Called about {name}"),
        ..Default::default()
    }
}

/// Runs outbox passes until nothing waits (or `limit` passes), sleeping as the worker would.
async fn drain(app: &AmoConnect, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let wait = app.outbox_pass().await;
        let s = app.outbox_summary().expect("summary");
        if s.queued == 0 || Instant::now() > deadline {
            return;
        }
        tokio::time::sleep(wait.min(Duration::from_millis(100))).await;
    }
}

/// Every queued lead is in the simulator exactly once, with exactly one note.
fn assert_each_once(sim: &Simulator, names: &[String]) {
    let leads = sim.leads();
    for n in names {
        let found: Vec<_> = leads.iter().filter(|l| &l.name == n).collect();
        assert_eq!(found.len(), 1, "lead {n} is in amoCRM {} times", found.len());
        let notes = sim.notes().into_iter().filter(|x| x.entity_id == found[0].id).count();
        assert_eq!(notes, 1, "lead {n} has {notes} notes");
        assert_eq!(found[0].contact_ids.len(), 1, "lead {n} has its contact");
    }
    assert_eq!(leads.len(), names.len(), "no stray leads");
    assert_eq!(sim.contacts().len(), names.len(), "one contact per lead");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_with_contact_and_note_takes_two_requests_and_shows_its_link() {
    let (_tmp, sim, app) = setup().await;
    let before = sim.stats().api_requests;
    let queued = app.queue_lead(&lead("Order 1")).expect("queue");
    assert_eq!(queued.state, OutboxState::Queued);
    assert_eq!(sim.stats().api_requests, before, "queueing makes no network call");
    drain(&app, 10).await;
    let item = app.outbox_item(queued.id).expect("item");
    assert_eq!(item.state, OutboxState::Sent, "{item:?}");
    let requests = sim.stats().api_requests - before;
    assert_eq!(requests, 2, "lead + contact in one complex call, then the note");
    println!("requests per lead (lead + contact + note): {requests}");
    let l = &sim.leads()[0];
    assert_eq!((l.name.as_str(), l.price), ("Order 1", 1500));
    assert_eq!(item.lead_id, Some(l.id));
    assert_eq!(item.lead_url.as_deref(), Some(format!("https://acme.amocrm.ru/leads/detail/{}", l.id).as_str()));
    let c = &sim.contacts()[0];
    assert_eq!(c.phones, vec!["+79121234567".to_string()], "phone sent in international form");
    assert_eq!(item.contact_id, Some(c.id));
    assert_eq!(sim.notes()[0].text, "Called about Order 1");
    assert_each_once(&sim, &["Order 1".into()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_is_refused_before_anything_is_queued() {
    let (_tmp, sim, app) = setup().await;
    let before = sim.stats().api_requests;
    let bad = LeadDraft { name: "".into(), price: "12,5".into(), ..Default::default() };
    let err = app.queue_lead(&bad).expect_err("invalid");
    assert_eq!(err.code().as_str(), "validation");
    assert!(app.outbox_list(10).expect("list").is_empty());
    let err =
        app.queue_contact(&ContactDraft { emails: vec!["x@".into()], ..Default::default() }).expect_err("invalid");
    let fields: Vec<_> = err.fields().expect("validation").iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, vec!["first_name", "emails.0"]);
    assert_eq!(sim.stats().api_requests, before);
}

/// Many entries at once (an import's batch): all of them in one transaction, or none, each bad
/// field named with its entry's place; each entry found by its own marker; each sent once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_queued_together_are_all_kept_or_none_and_each_is_sent_once() {
    let (_tmp, sim, app) = setup().await;
    let batch: Vec<Draft> = (1..=3).map(|i| Draft::Lead(lead(&format!("Batch {i}")))).collect();
    let mut bad = batch.clone();
    bad[1] = Draft::Lead(LeadDraft { name: " ".into(), ..lead("x") });
    bad[2] = Draft::Contact(ContactDraft { emails: vec!["x@".into()], ..Default::default() });
    let err = app.queue_many(&bad).expect_err("one bad entry refuses all");
    let fields: Vec<_> = err.fields().expect("validation").iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["1.name", "2.first_name", "2.emails.0"]);
    assert!(app.outbox_list(10).expect("list").is_empty(), "nothing queued");

    let items = app.queue_many(&batch).expect("queued");
    assert_eq!(items.iter().map(|i| i.title.as_str()).collect::<Vec<_>>(), ["Batch 1", "Batch 2", "Batch 3"]);
    assert!(items.iter().all(|i| i.steps.len() == 2), "each with its lead and note");
    // Lost answers: each is found again by its own marker, none taken for another's.
    sim.set_faults(Faults { drop_after_next: 3, ..Faults::default() });
    drain(&app, 20).await;
    assert_each_once(&sim, &["Batch 1".into(), "Batch 2".into(), "Batch 3".into()]);
    let leads: Vec<_> = app.outbox_list(10).expect("list").iter().filter_map(|i| i.lead_id).collect();
    assert_eq!(leads.len(), 3);
    assert!(leads[0] != leads[1] && leads[1] != leads[2] && leads[0] != leads[2], "{leads:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_keeps_leads_queued_and_shown_offline_until_amocrm_is_back() {
    let (_tmp, mut sim, app) = setup().await;
    sim.go_down().await;
    let names: Vec<String> = (1..=3).map(|i| format!("Outage {i}")).collect();
    for n in &names {
        app.queue_lead(&lead(n)).expect("queue");
    }
    for _ in 0..3 {
        let wait = app.outbox_pass().await;
        tokio::time::sleep(wait.min(Duration::from_millis(100))).await;
    }
    let s = app.outbox_summary().expect("summary");
    assert_eq!((s.queued, s.sent), (3, 0));
    assert!(s.offline, "{s:?}");
    assert_eq!(s.last_error.as_ref().map(|e| e.code.as_str()), Some("network"));
    let first = app.outbox_list(10).expect("list").pop().expect("first");
    assert!(first.attempts >= 1 && first.error.is_some());
    sim.come_up().await.expect("up");
    drain(&app, 20).await;
    let s = app.outbox_summary().expect("summary");
    assert_eq!((s.queued, s.sent, s.offline), (0, 3, false));
    assert_each_once(&sim, &names);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_xx_bursts_429_storms_and_slow_answers_are_retried_until_each_lead_is_in_once() {
    let (_tmp, sim, app) = setup().await;
    let names: Vec<String> = (1..=8).map(|i| format!("Storm {i}")).collect();
    for n in &names {
        app.queue_lead(&lead(n)).expect("queue");
    }
    sim.set_faults(Faults { fail_next: 6, ..Faults::default() });
    drain(&app, 5).await;
    sim.set_faults(Faults { rate_limit_percent: 40, fail_percent: 20, delay_ms: 150, ..Faults::default() });
    drain(&app, 60).await;
    sim.set_faults(Faults::default());
    drain(&app, 30).await;
    let stats = sim.stats();
    assert!(stats.faults_injected >= 6, "{stats:?}");
    assert_each_once(&sim, &names);
    assert!(!sim.is_banned(), "injected 429s do not ban; our limiter kept real ones away");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_lost_after_amocrm_acted_are_reconciled_not_sent_again() {
    let (_tmp, sim, app) = setup().await;
    // The lead is created but its answer dropped; then the note's answer is dropped too.
    sim.set_faults(Faults { drop_after_next: 2, ..Faults::default() });
    let item = app.queue_lead(&lead("Lost answer")).expect("queue");
    drain(&app, 20).await;
    assert_eq!(app.outbox_item(item.id).expect("item").state, OutboxState::Sent);
    assert_eq!(sim.stats().complex_requests, 1, "the create was not repeated");
    assert_each_once(&sim, &["Lost answer".into()]);
    // A contact alone, answer lost as well.
    sim.set_faults(Faults { drop_after_next: 1, ..Faults::default() });
    let c = app
        .queue_contact(&ContactDraft {
            first_name: "Olga".into(),
            phones: vec!["+44 20 7946 0958".into()],
            ..Default::default()
        })
        .expect("queue");
    drain(&app, 20).await;
    let c = app.outbox_item(c.id).expect("item");
    assert_eq!(c.state, OutboxState::Sent);
    assert_eq!(sim.contacts().iter().filter(|x| x.name == "Olga").count(), 1);
    assert!(c.contact_url.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_token_expiring_mid_queue_is_refreshed_once_and_sending_goes_on() {
    let (_tmp, sim, app) = setup().await;
    let names: Vec<String> = (1..=6).map(|i| format!("Expiry {i}")).collect();
    for n in &names[..3] {
        app.queue_lead(&lead(n)).expect("queue");
    }
    drain(&app, 10).await;
    sim.expire_access_tokens();
    for n in &names[3..] {
        app.queue_lead(&lead(n)).expect("queue");
    }
    drain(&app, 10).await;
    assert_eq!(sim.stats().refreshes, 1);
    assert_each_once(&sim, &names);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amocrm_validation_errors_need_attention_and_an_edit_sends_the_lead() {
    let (_tmp, sim, app) = setup().await;
    let pipeline = sim.pipelines()[0].clone();
    let mut draft = lead("Wrong stage");
    draft.pipeline_id = Some(pipeline.id);
    draft.status_id = Some(999);
    let item = app.queue_lead(&draft).expect("queue");
    drain(&app, 5).await;
    let item = app.outbox_item(item.id).expect("item");
    assert_eq!(item.state, OutboxState::Attention);
    assert_eq!(item.error.as_ref().map(|e| e.code.as_str()), Some("validation"));
    assert_eq!(item.field_errors[0].field, "status");
    assert_eq!(item.field_errors[0].code, amo_core::error::FieldCode::NotAChoice);
    assert!(!item.locked, "amoCRM refused it, so it can be edited");
    assert_eq!(app.outbox_summary().expect("s").attention, 1);
    draft.status_id = Some(pipeline.statuses[1].id);
    let edited = app.outbox_update(item.id, Draft::Lead(draft)).expect("edit");
    assert_eq!(edited.state, OutboxState::Queued);
    drain(&app, 5).await;
    let sent = app.outbox_item(item.id).expect("item");
    assert_eq!(sent.state, OutboxState::Sent);
    assert!(sent.field_errors.is_empty() && sent.locked);
    assert_eq!(sim.leads()[0].status_id, pipeline.statuses[1].id);
    let refused = app.outbox_update(item.id, sent.draft.clone()).expect_err("a sent entry is not edited here");
    assert_eq!(refused.code().as_str(), "entry_not_editable");
    assert_eq!(
        app.outbox_discard(item.id).expect_err("a sent entry is not removed").code().as_str(),
        "entry_not_editable"
    );
    assert_eq!(app.outbox_discard(9_999).expect_err("unknown").code().as_str(), "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_ban_stops_all_sending_until_the_user_says_it_was_lifted() {
    let (_tmp, sim, app) = setup().await;
    sim.ban();
    let names: Vec<String> = (1..=3).map(|i| format!("Ban {i}")).collect();
    for n in &names {
        app.queue_lead(&lead(n)).expect("queue");
    }
    app.outbox_pass().await;
    let s = app.outbox_summary().expect("summary");
    assert!(s.banned);
    assert_eq!(s.last_error.as_ref().map(|e| e.code.as_str()), Some("account_banned"));
    let seen = sim.stats().banned_requests;
    assert_eq!(seen, 1, "one request found the ban; nothing else was sent");
    for _ in 0..5 {
        app.outbox_pass().await;
    }
    assert_eq!(sim.stats().banned_requests, seen, "nothing is sent while banned");
    // Retrying (all, or one entry) does not end the ban: asking amoCRM during it makes it longer.
    app.outbox_retry(None).expect("retry");
    app.outbox_retry(Some(app.outbox_list(1).expect("list")[0].id)).expect("retry one");
    for _ in 0..3 {
        app.outbox_pass().await;
    }
    assert!(app.outbox_summary().expect("s").banned, "still banned after a retry");
    assert_eq!(sim.stats().banned_requests, seen, "nothing is sent while banned");
    sim.unban();
    assert_eq!(app.outbox_resume().expect("resume"), 3);
    drain(&app, 10).await;
    assert!(!app.outbox_summary().expect("s").banned);
    assert_each_once(&sim, &names);
}

/// A request amoCRM will never take as it is (413, a 400 without field errors, an unpaid
/// account) is tried a few times, then waits for the user — it is not sent forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_refused_again_and_again_needs_attention_after_a_few_tries() {
    for status in [413u16, 400, 402] {
        let (_tmp, sim, app) = setup().await;
        sim.set_faults(Faults { refuse_next: 100, refuse_status: status, ..Faults::default() });
        let item = app.queue_lead(&lead(&format!("Refused {status}"))).expect("queue");
        drain(&app, 10).await;
        let item = app.outbox_item(item.id).expect("item");
        let want = if status == 402 { "not_paid" } else { "request_refused" };
        assert_eq!(item.state, OutboxState::Attention, "{status}: {item:?}");
        assert_eq!(item.error.as_ref().map(|e| e.code.as_str()), Some(want), "{status}");
        assert_eq!(item.attempts, amo_core::outbox::POISON_AFTER, "{status}: tried exactly this often");
        assert!(!item.locked, "{status}: amoCRM did nothing, so it can be edited");
        assert_eq!(sim.stats().faults_injected, u64::from(amo_core::outbox::POISON_AFTER), "{status}");
        // The user fixes it (here: the block is gone) and sends it again.
        sim.set_faults(Faults::default());
        app.outbox_retry(Some(item.id)).expect("retry");
        drain(&app, 10).await;
        assert_eq!(app.outbox_item(item.id).expect("item").state, OutboxState::Sent, "{status}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_limiter_keeps_every_call_of_the_process_under_seven_per_second() {
    let (_tmp, sim, app) = setup().await;
    for i in 0..10 {
        app.queue_lead(&lead(&format!("Rush {i}"))).expect("queue");
    }
    let worker = {
        let app = app.clone();
        tokio::spawn(async move { drain(&app, 60).await })
    };
    let lookups: Vec<_> = (0..30)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                if i % 2 == 0 {
                    app.find_duplicates("+7 912 123 45 67", "").await.map(|_| ())
                } else {
                    app.reference_data(true).await.map(|_| ())
                }
            })
        })
        .collect();
    for l in lookups {
        l.await.expect("join").expect("lookup");
    }
    worker.await.expect("join");
    let s = sim.stats();
    println!(
        "limiter: {} API requests, highest seen in any second: {}, 429s: {}",
        s.api_requests, s.max_requests_per_second, s.rate_limited
    );
    assert!(s.api_requests >= 60);
    assert!(s.max_requests_per_second <= 7, "{s:?}");
    assert_eq!(s.rate_limited, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_duplicate_check_rechecks_amocrms_fuzzy_search() {
    let (_tmp, sim, app) = setup().await;
    let same = sim.seed_contact("Ivan", "Petrov", Some("+7 912 123-45-67"), Some("Ivan@Example.com"));
    sim.seed_contact("John", "Other", Some("+1 912 123 4567"), None); // same last 7 digits
    sim.seed_contact("Ivanka", "Mail", None, Some("ivan@example.com.evil"));
    let by_phone = app.find_duplicates("8 912 123 45 67", "").await.expect("phone");
    assert_eq!(by_phone.iter().map(|c| c.id).collect::<Vec<_>>(), vec![same]);
    let by_mail = app.find_duplicates("", "ivan@example.COM").await.expect("mail");
    assert_eq!(by_mail.iter().map(|c| c.id).collect::<Vec<_>>(), vec![same]);
    assert!(app.find_duplicates("+44 20 7946 0958", "").await.expect("none").is_empty(), "204 is an empty list");
    // Attach the lead to the existing contact instead of creating a second one.
    let mut d = lead("Repeat customer");
    d.existing_contact_id = Some(same);
    d.note = String::new();
    let item = app.queue_lead(&d).expect("queue");
    drain(&app, 5).await;
    assert_eq!(app.outbox_item(item.id).expect("item").contact_id, Some(same));
    assert_eq!(sim.contacts().len(), 3, "no new contact");
    assert_eq!(sim.leads()[0].contact_ids, vec![same]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_data_fall_back_to_the_current_user_and_to_the_cache_offline() {
    let (_tmp, mut sim, app) = setup().await;
    let r = app.reference_data(false).await.expect("reference");
    assert_eq!(r.pipelines.len(), 2);
    assert!(r.pipelines[0].is_main && r.pipelines[0].statuses.len() == 5);
    assert_eq!(r.users.len(), 3);
    assert!(!r.users_restricted && !r.stale);
    let requests = sim.stats().api_requests;
    app.reference_data(false).await.expect("cached");
    assert_eq!(sim.stats().api_requests, requests, "a fresh cache asks nobody");
    sim.set_users_admin(false);
    let r = app.reference_data(true).await.expect("restricted");
    assert!(r.users_restricted);
    assert_eq!(r.users.iter().map(|u| u.id).collect::<Vec<_>>(), vec![sim.config().user_id]);
    sim.go_down().await;
    let r = app.reference_data(true).await.expect("offline");
    assert!(r.stale && r.pipelines.len() == 2, "the form keeps working offline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leads_are_listed_newest_first_across_pages() {
    let (_tmp, sim, app) = setup().await;
    assert!(app.list_leads(10).await.expect("empty").is_empty(), "204 → no leads");
    for i in 0..5 {
        app.queue_lead(&LeadDraft { name: format!("L{i}"), ..Default::default() }).expect("queue");
    }
    drain(&app, 10).await;
    let all = app.list_leads(300).await.expect("list");
    assert_eq!(all.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), vec!["L4", "L3", "L2", "L1", "L0"]);
    assert_eq!(app.list_leads(2).await.expect("two").len(), 2);
    assert_eq!(sim.leads().len(), 5);
}

/// Every page is asked for with one page size: a smaller last page would overlap the previous one
/// (amoCRM's offset is (page − 1) × limit) and show some leads twice and others never.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_list_has_every_lead_once() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    sim.seed_leads(600, "P");
    for want in [600usize, 520, 250, 251] {
        let got = app.list_leads(want).await.expect("list");
        let distinct: std::collections::HashSet<i64> = got.iter().map(|l| l.id).collect();
        assert_eq!((got.len(), distinct.len()), (want, want), "asked for {want}");
        let newest: Vec<i64> = {
            let mut all: Vec<_> = sim.leads();
            all.sort_by_key(|l| std::cmp::Reverse(l.created_at));
            all.iter().take(want).map(|l| l.id).collect()
        };
        assert_eq!(got.iter().map(|l| l.id).collect::<Vec<_>>(), newest, "the newest {want}, in order");
    }
}

/// Sent entries keep what was typed for the retention period (default 30 days), then only their
/// amoCRM ids, link and times stay — and the customer's data is gone from the file itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_data_of_old_sent_entries_is_removed_after_the_retention_period() {
    let (_tmp, _sim, app) = setup().await;
    let mut old = lead("Retention Ivanov");
    old.contact.as_mut().expect("contact").phones = vec!["+7 912 555 44 33".into()];
    old.note = "Wants the blue sofa delivered".into();
    let old = app.queue_lead(&old).expect("queue");
    let recent = app.queue_lead(&lead("Recent order")).expect("queue");
    drain(&app, 10).await;
    assert_eq!(app.outbox_purge().expect("purge"), 0, "nothing is old yet");
    // The first entry was sent 31 days ago.
    let db = app.data_dir().db_path();
    {
        let c = rusqlite::Connection::open(&db).expect("db");
        c.execute("UPDATE outbox SET sent_at = sent_at - 31 * 86400 WHERE id = ?1", [old.id]).expect("age");
    }
    assert_eq!(app.outbox_purge().expect("purge"), 1);
    let item = app.outbox_item(old.id).expect("item");
    assert!(item.purged && item.title.is_empty(), "{item:?}");
    assert!(item.lead_url.is_some() && item.lead_id.is_some() && item.sent_at.is_some(), "ids, link and times stay");
    let kept = app.outbox_item(recent.id).expect("recent");
    assert!(!kept.purged && kept.title == "Recent order");
    let bytes = std::fs::read(&db).expect("read");
    for gone in ["Retention Ivanov", "79125554433", "blue sofa"] {
        assert!(!bytes.windows(gone.len()).any(|w| w == gone.as_bytes()), "{gone} is still in the file");
    }
    // A shorter retention applies at once.
    app.save_settings(amo_core::domain::settings::SettingsPatch { retention_days: Some(1), ..Default::default() })
        .await
        .expect("settings");
    assert_eq!(
        app.save_settings(amo_core::domain::settings::SettingsPatch { retention_days: Some(0), ..Default::default() })
            .await
            .expect_err("0 days")
            .code(),
        "invalid_setting"
    );
}
