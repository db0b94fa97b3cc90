//! Property test of the outbox service (the real worker, a real SQLite file, the simulator) under
//! random interleavings of what people and networks do: queue leads and contacts, edit and
//! discard entries, send passes under 5xx bursts, 429s, an outage, refusals (400/402/413), an
//! expired access token, lost answers, an API ban, two processes sending at once, and the
//! process dying mid-request and starting again (docs/fuzzing.md).
//!
//! Invariants, checked after every step and at the end: no entry is ever lost (only discarding
//! one that needs attention removes it); nothing reaches amoCRM twice — each lead, contact and
//! note exists there at most once, so no entry was claimed twice or sent again once done; a sent
//! entry never changes again; an edit that was accepted is what amoCRM gets; and once the
//! faults stop, every entry ends sent (exactly once in amoCRM) or needing attention (and then
//! not in amoCRM).
//!
//! Each case starts a simulator and signs in, and the client keeps amoCRM's real rate limit,
//! so cases are few (`PROPTEST_CASES` to run more).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use amo_core::domain::draft::{ContactDraft, Draft, LeadDraft};
use amo_core::domain::outbox::{OutboxItem, OutboxState};
use amo_core::keychain::memory::MemoryStore;
use amo_core::keychain::SecretStore;
use amo_core::outbox::RetryTiming;
use amo_core::AmoConnect;
use amo_sim::{Faults, SimConfig, Simulator};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Fault {
    None,
    /// The next API requests answer 500/502/503.
    ServerErrors(u32),
    /// Every request is answered 429 (another integration eats the budget).
    RateLimited,
    /// amoCRM is unreachable: connections refused.
    Outage,
    /// The next writes (this many) are refused with this status (no validation errors).
    Refused(u16, u32),
    /// The access token expired: a 401, a refresh, the request again.
    TokenExpired,
    /// The next write is carried out and its answer lost.
    LostAnswer,
    /// amoCRM bans the account's API (403 HTML) during this pass.
    Ban,
}

#[derive(Debug, Clone)]
enum Step {
    QueueLead {
        contact: bool,
        note: bool,
    },
    QueueContact,
    Edit {
        pick: usize,
    },
    Discard {
        pick: usize,
    },
    /// "Retry now", for everything or for one entry (also one needing attention).
    Retry {
        pick: Option<usize>,
    },
    /// "Support lifted the block".
    Resume,
    /// Worker passes (one to three, as the back-off allows) while `fault` holds.
    Pass(Fault, u8),
    /// Two processes (the window and a CLI command) pass at once.
    TwoProcesses,
    /// The process dies in the middle of a request (amoCRM carries it out; the answer never
    /// arrives) and the app starts again.
    CrashMidRequest,
    /// The process ends between passes and starts again.
    Restart,
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        4 => Just(Fault::None),
        2 => (1u32..4).prop_map(Fault::ServerErrors),
        1 => Just(Fault::RateLimited),
        2 => Just(Fault::Outage),
        2 => (prop_oneof![Just(400u16), Just(402), Just(413)], 1u32..4).prop_map(|(s, n)| Fault::Refused(s, n)),
        1 => Just(Fault::TokenExpired),
        2 => Just(Fault::LostAnswer),
        1 => Just(Fault::Ban),
    ]
}

fn queue() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (any::<bool>(), any::<bool>()).prop_map(|(contact, note)| Step::QueueLead { contact, note }),
        1 => Just(Step::QueueContact),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => queue(),
        2 => (0usize..8).prop_map(|pick| Step::Edit { pick }),
        1 => (0usize..8).prop_map(|pick| Step::Discard { pick }),
        1 => proptest::option::of(0usize..8).prop_map(|pick| Step::Retry { pick }),
        1 => Just(Step::Resume),
        8 => (fault(), 1u8..4).prop_map(|(f, n)| Step::Pass(f, n)),
        1 => Just(Step::TwoProcesses),
        1 => Just(Step::CrashMidRequest),
        1 => Just(Step::Restart),
    ]
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10)
}

/// What the test knows of an entry.
#[derive(Debug, Clone)]
struct Known {
    contact_only: bool,
    /// The lead's name, or the contact's first name: unique, so amoCRM's copy can be found.
    name: String,
    note: bool,
    /// Once sent: the amoCRM ids it recorded, which must never change.
    sent: Option<(Option<i64>, Option<i64>)>,
}

fn lead_draft(name: &str, contact: bool, note: bool) -> LeadDraft {
    LeadDraft {
        name: name.into(),
        price: "1500".into(),
        contact: contact.then(|| ContactDraft {
            first_name: "Ivan".into(),
            last_name: name.into(),
            phones: vec!["+7 912 123 45 67".into()],
            ..Default::default()
        }),
        note: if note { format!("Called about {name}") } else { String::new() },
        ..Default::default()
    }
}

fn contact_draft(name: &str) -> ContactDraft {
    ContactDraft { first_name: name.into(), last_name: "Petrova".into(), ..Default::default() }
}

fn open(dir: &Path, keychain: &Arc<MemoryStore>, sim: &Simulator) -> Arc<AmoConnect> {
    let store: Arc<dyn SecretStore> = keychain.clone();
    let app = common::open(dir, store, &sim.url());
    app.set_retry_timing(RetryTiming { base: Duration::from_millis(1), max: Duration::from_millis(5) });
    Arc::new(app)
}

/// One pass, as the worker makes it; never longer than `limit` (the pass is then dropped, as a
/// process that dies drops it).
async fn pass(app: &AmoConnect, limit: Duration) {
    let _ = tokio::time::timeout(limit, app.outbox_pass()).await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 16, ..ProptestConfig::default() })]

    #[test]
    fn the_outbox_loses_nothing_and_sends_nothing_twice(
        // A few entries waiting first, so that the faults meet something to send.
        first in proptest::collection::vec(queue(), 1..4),
        then in proptest::collection::vec(step(), 2..16),
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        rt.block_on(run(first.into_iter().chain(then).collect()))?;
    }
}

async fn run(steps: Vec<Step>) -> Result<(), TestCaseError> {
    let tmp = tempfile::tempdir().expect("tmp");
    let keychain = Arc::new(MemoryStore::new());
    let (mut sim, first) = common::connected_with(
        SimConfig { rate_limit_per_sec: 100_000, ..SimConfig::default() },
        keychain.clone(),
        tmp.path(),
    )
    .await;
    drop(first);
    let mut app = open(tmp.path(), &keychain, &sim);
    let mut known: BTreeMap<i64, Known> = BTreeMap::new();
    // Entries the user discarded: a lead whose note amoCRM kept refusing may be in amoCRM.
    let mut discarded: Vec<Known> = Vec::new();
    let mut n = 0;
    let pass_limit = Duration::from_secs(20);

    for step in steps {
        let ids: Vec<i64> = known.keys().copied().collect();
        let pick = |p: usize| (!ids.is_empty()).then(|| ids[p % ids.len()]);
        match step {
            Step::QueueLead { contact, note } => {
                n += 1;
                let name = format!("Lead {n}");
                let item = app.queue_lead(&lead_draft(&name, contact, note)).expect("queue lead");
                known.insert(item.id, Known { contact_only: false, name, note, sent: None });
            }
            Step::QueueContact => {
                n += 1;
                let name = format!("Anna {n}");
                let item = app.queue_contact(&contact_draft(&name)).expect("queue contact");
                known.insert(item.id, Known { contact_only: true, name, note: false, sent: None });
            }
            Step::Edit { pick: p } => {
                if let Some(id) = pick(p) {
                    let before = app.outbox_item(id).expect("item");
                    n += 1;
                    let k = known.get_mut(&id).expect("known");
                    let new_name = format!("{} edited {n}", if k.contact_only { "Anna" } else { "Lead" });
                    let draft = if k.contact_only {
                        Draft::Contact(contact_draft(&new_name))
                    } else {
                        Draft::Lead(lead_draft(&new_name, true, k.note))
                    };
                    match app.outbox_update(id, draft) {
                        Ok(item) => {
                            prop_assert!(!before.locked, "a locked entry was edited: {before:?}");
                            prop_assert_eq!(item.state, OutboxState::Queued);
                            k.name = new_name;
                        }
                        Err(e) => prop_assert_eq!(e.code().as_str(), "entry_not_editable"),
                    }
                }
            }
            Step::Discard { pick: p } => {
                if let Some(id) = pick(p) {
                    let before = app.outbox_item(id).expect("item");
                    match app.outbox_discard(id) {
                        Ok(()) => {
                            prop_assert_eq!(
                                before.state,
                                OutboxState::Attention,
                                "only an entry needing attention goes"
                            );
                            discarded.extend(known.remove(&id));
                        }
                        Err(e) => {
                            prop_assert_eq!(e.code().as_str(), "entry_not_editable");
                            prop_assert_ne!(before.state, OutboxState::Attention);
                        }
                    }
                }
            }
            Step::Retry { pick: p } => {
                app.outbox_retry(p.and_then(pick)).expect("retry");
            }
            Step::Resume => {
                app.outbox_resume().expect("resume");
            }
            Step::Pass(f, passes) => {
                match &f {
                    Fault::None => {}
                    Fault::ServerErrors(k) => sim.set_faults(Faults { fail_next: *k, ..Faults::default() }),
                    Fault::RateLimited => sim.set_faults(Faults { rate_limit_percent: 100, ..Faults::default() }),
                    Fault::Outage => sim.go_down().await,
                    Fault::Refused(status, n) => {
                        sim.set_faults(Faults { refuse_next: *n, refuse_status: *status, ..Faults::default() })
                    }
                    Fault::TokenExpired => sim.expire_access_tokens(),
                    Fault::LostAnswer => sim.set_faults(Faults { drop_after_next: 1, ..Faults::default() }),
                    Fault::Ban => sim.ban(),
                }
                // Under a 429 storm a lookup waits its turn until the pass is dropped: a few
                // seconds show that as well as twenty.
                let limit = if matches!(f, Fault::RateLimited) { Duration::from_secs(3) } else { pass_limit };
                for _ in 0..passes {
                    pass(&app, limit).await;
                    // The back-off is milliseconds here.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                sim.set_faults(Faults::default());
                sim.come_up().await.expect("up");
                sim.unban();
            }
            Step::TwoProcesses => {
                let other = open(tmp.path(), &keychain, &sim);
                let (a, b) = (app.clone(), other.clone());
                tokio::join!(pass(&a, pass_limit), pass(&b, pass_limit));
            }
            Step::CrashMidRequest => {
                // amoCRM does the work, then holds the answer back; the process dies meanwhile.
                sim.set_faults(Faults { delay_ms: 400, ..Faults::default() });
                pass(&app, Duration::from_millis(150)).await;
                sim.set_faults(Faults::default());
                drop(app);
                app = open(tmp.path(), &keychain, &sim);
            }
            Step::Restart => {
                drop(app);
                app = open(tmp.path(), &keychain, &sim);
            }
        }
        check(&app, &sim, &mut known, &discarded)?;
    }

    // The faults are over and the user lifts a block if there was one: everything waiting is
    // sent, and each entry ends sent or needing attention.
    app.outbox_resume().expect("resume");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let wait = app.outbox_pass().await;
        let s = app.outbox_summary().expect("summary");
        if s.queued == 0 {
            break;
        }
        prop_assert!(Instant::now() < deadline, "entries still waiting after the faults stopped: {s:?}");
        tokio::time::sleep(wait.min(Duration::from_millis(50))).await;
    }
    check(&app, &sim, &mut known, &discarded)?;
    for (id, k) in &known {
        let item = app.outbox_item(*id).expect("item");
        match item.state {
            OutboxState::Sent => prop_assert!(k.sent.is_some()),
            // Needing attention, it is not in amoCRM — or the entry knows it is (a lead created,
            // then its note refused again and again), and is locked against edits.
            OutboxState::Attention => prop_assert!(
                in_amocrm(&sim, k) == 0 || (item.lead_id.is_some() && item.locked),
                "entry {} needs attention and is in amoCRM without knowing it: {:?}",
                id,
                item
            ),
            other => prop_assert!(false, "entry {id} ended {other:?}"),
        }
    }
    Ok(())
}

/// How many times the entry is in amoCRM (by its unique name).
fn in_amocrm(sim: &Simulator, k: &Known) -> usize {
    if k.contact_only {
        sim.contacts().iter().filter(|c| c.first_name == k.name).count()
    } else {
        sim.leads().iter().filter(|l| l.name == k.name).count()
    }
}

fn check(
    app: &AmoConnect,
    sim: &Simulator,
    known: &mut BTreeMap<i64, Known>,
    discarded: &[Known],
) -> Result<(), TestCaseError> {
    let items: BTreeMap<i64, OutboxItem> =
        app.outbox_list(1000).expect("list").into_iter().map(|i| (i.id, i)).collect();
    let listed: Vec<i64> = items.keys().copied().collect();
    let expected: Vec<i64> = known.keys().copied().collect();
    prop_assert_eq!(listed, expected, "entries lost or made up");

    let (leads, contacts, notes) = (sim.leads(), sim.contacts(), sim.notes());
    // Nothing twice in amoCRM: every name is unique, so a repeated name is a repeated send.
    let mut names: Vec<&str> = leads.iter().map(|l| l.name.as_str()).collect();
    names.sort_unstable();
    prop_assert!(names.windows(2).all(|w| w[0] != w[1]), "a lead twice in amoCRM: {names:?}");
    let mut people: Vec<(&str, &str)> =
        contacts.iter().map(|c| (c.first_name.as_str(), c.last_name.as_str())).collect();
    people.sort_unstable();
    prop_assert!(people.windows(2).all(|w| w[0] != w[1]), "a contact twice in amoCRM: {people:?}");
    for l in &leads {
        prop_assert!(notes.iter().filter(|x| x.entity_id == l.id).count() <= 1, "two notes on {}", l.name);
    }
    // Only what was queued (under its current name) reaches amoCRM.
    for l in &leads {
        let ours = known.values().chain(discarded).any(|k| !k.contact_only && k.name == l.name);
        prop_assert!(ours, "{} is not an entry's", l.name);
    }

    for (id, item) in &items {
        let k = known.get_mut(id).expect("known");
        let ids = (item.lead_id, item.contact_id);
        match (&k.sent, item.state) {
            (Some(before), state) => {
                prop_assert_eq!(state, OutboxState::Sent, "a sent entry changed: {:?}", item);
                prop_assert_eq!(*before, ids, "a sent entry's ids changed");
            }
            (None, OutboxState::Sent) => {
                k.sent = Some(ids);
                prop_assert_eq!(
                    in_amocrm(sim, k),
                    1,
                    "sent entry {} ({}) is in amoCRM {} times",
                    id,
                    k.name,
                    in_amocrm(sim, k)
                );
                if k.contact_only {
                    let c = contacts.iter().find(|c| c.first_name == k.name).expect("contact");
                    prop_assert_eq!(item.contact_id, Some(c.id));
                } else {
                    let l = leads.iter().find(|l| l.name == k.name).expect("lead");
                    prop_assert_eq!(item.lead_id, Some(l.id), "the entry records the lead amoCRM has");
                    let want = usize::from(k.note);
                    prop_assert_eq!(notes.iter().filter(|x| x.entity_id == l.id).count(), want, "notes of {}", k.name);
                }
            }
            (None, _) => {}
        }
    }
    Ok(())
}
