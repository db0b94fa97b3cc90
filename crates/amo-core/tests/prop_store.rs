//! Property tests of the SQLite state store (a real file in a temp directory) against a plain
//! in-memory model, under random sequences of operations with a clock that moves and the file
//! closed and reopened in between (docs/fuzzing.md):
//! - `oauth_states`: a state is accepted once, within its 15 minutes, and every refusal says why
//!   (unknown, replayed, expired); a new sign-in supersedes unused states; cleanup removes exactly
//!   the expired ones.
//! - `outbox`: every method does to the row what it says and nothing else; ids are never reused;
//!   `marker_at` stays unique; the due order and the banner's counts follow the rows.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use amo_core::auth::state::STATE_TTL_SECS;
use amo_core::domain::account::AccountRef;
use amo_core::domain::draft::{ContactDraft, Draft, LeadDraft};
use amo_core::domain::outbox::OutboxState;
use amo_core::error::{AmoError, FieldCode, FieldError};
use amo_core::store::{EntryFlag, Store};
use amo_core::Error;
use proptest::prelude::*;

const URIS: &[&str] =
    &["http://127.0.0.1:53682/callback", "amoconnect://oauth/callback", "https://me.github.io/b.html"];

/// An open store on a file that outlives it (to be reopened).
struct Db {
    dir: tempfile::TempDir,
    store: Option<Store>,
}

impl Db {
    fn new() -> Db {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(&dir.path().join("state.sqlite3")).expect("open");
        Db { dir, store: Some(store) }
    }

    fn get(&self) -> &Store {
        self.store.as_ref().expect("open")
    }

    /// Closes the file and opens it again: what was committed must all be there.
    fn reopen(&mut self) {
        self.store = None;
        self.store = Some(Store::open(&self.dir.path().join("state.sqlite3")).expect("reopen"));
    }
}

// ---- oauth_states

#[derive(Debug, Clone)]
enum StateOp {
    /// A sign-in starts: `supersede_unused` then a new state (as `Auth::start_connect` does).
    Start {
        state: u8,
        uri: usize,
    },
    /// A state inserted without superseding (two sign-ins raced).
    Insert {
        state: u8,
        uri: usize,
    },
    Consume {
        state: u8,
    },
    Peek {
        state: u8,
    },
    Cleanup,
    Advance {
        secs: u16,
    },
    Reopen,
}

fn state_op() -> impl Strategy<Value = StateOp> {
    prop_oneof![
        3 => (0u8..6, 0..URIS.len()).prop_map(|(state, uri)| StateOp::Start { state, uri }),
        1 => (0u8..6, 0..URIS.len()).prop_map(|(state, uri)| StateOp::Insert { state, uri }),
        4 => (0u8..7).prop_map(|state| StateOp::Consume { state }),
        2 => (0u8..7).prop_map(|state| StateOp::Peek { state }),
        1 => Just(StateOp::Cleanup),
        // Mostly seconds; sometimes across the 15 minutes.
        3 => prop_oneof![0u16..120, 800u16..1000].prop_map(|secs| StateOp::Advance { secs }),
        1 => Just(StateOp::Reopen),
    ]
}

#[derive(Debug, Clone)]
struct ModelState {
    uri: &'static str,
    created: i64,
    expires: i64,
    used: bool,
}

fn name(i: u8) -> String {
    // Shaped like `auth::state::new_state` output, distinct per index.
    format!("l53682.{:0>43}", i)
}

/// What `consume`/`peek` must say about `s` at `now`, by the model.
fn verdict(model: &BTreeMap<String, ModelState>, s: &str, now: i64) -> Result<(), &'static str> {
    match model.get(s) {
        None => Err("state_unknown"),
        Some(m) if m.used => Err("state_replayed"),
        Some(m) if m.expires <= now => Err("state_expired"),
        Some(_) => Ok(()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn oauth_states_follow_the_model(ops in proptest::collection::vec(state_op(), 1..40)) {
        let mut db = Db::new();
        let mut model: BTreeMap<String, ModelState> = BTreeMap::new();
        let mut now: i64 = 1_700_000_000;
        for op in ops {
            let states = db.get().oauth_states();
            match op {
                StateOp::Start { state, uri } | StateOp::Insert { state, uri } => {
                    if matches!(op, StateOp::Start { .. }) {
                        let n = states.supersede_unused(now).expect("supersede");
                        let unused = model.values_mut().filter(|m| !m.used).map(|m| m.used = true).count();
                        prop_assert_eq!(n, unused, "superseded");
                    }
                    let s = name(state);
                    let r = states.insert(&s, URIS[uri], now, STATE_TTL_SECS);
                    match model.entry(s) {
                        Entry::Vacant(e) => {
                            r.expect("insert");
                            e.insert(ModelState { uri: URIS[uri], created: now, expires: now + STATE_TTL_SECS, used: false });
                        }
                        // Random 32-byte states never repeat; a repeated one must not replace the first.
                        Entry::Occupied(_) => prop_assert!(r.is_err(), "a state inserted twice"),
                    }
                }
                StateOp::Consume { state } => {
                    let s = name(state);
                    let got = states.consume(&s, now);
                    match verdict(&model, &s, now) {
                        Ok(()) => {
                            let rec = got.map_err(|e| TestCaseError::fail(format!("a live state refused: {e:?}")))?;
                            let m = model.get_mut(&s).expect("in model");
                            prop_assert_eq!((rec.redirect_uri.as_str(), rec.created_at), (m.uri, m.created));
                            m.used = true;
                        }
                        Err(code) => prop_assert_eq!(got.map(|_| ()).map_err(|e| e.code().as_str()), Err(code)),
                    }
                }
                StateOp::Peek { state } => {
                    let s = name(state);
                    let got = states.peek(&s, now).map_err(|e| e.code().as_str());
                    prop_assert_eq!(got, verdict(&model, &s, now));
                }
                StateOp::Cleanup => {
                    let n = states.cleanup(now).expect("cleanup");
                    let before = model.len();
                    model.retain(|_, m| m.expires > now);
                    prop_assert_eq!(n, before - model.len(), "cleaned up");
                }
                StateOp::Advance { secs } => now += i64::from(secs),
                StateOp::Reopen => db.reopen(),
            }
            prop_assert_eq!(db.get().oauth_states().count().expect("count"), model.len() as i64);
        }
    }
}

// ---- outbox

#[derive(Debug, Clone)]
enum OutboxOp {
    Insert {
        contact: bool,
        name: u16,
    },
    Edit {
        pick: usize,
        name: u16,
    },
    Discard {
        pick: usize,
    },
    MakeDue {
        pick: Option<usize>,
    },
    /// The worker takes the next due entry.
    ClaimNext,
    SetFlag {
        pick: usize,
        note: bool,
        on: bool,
    },
    Created {
        pick: usize,
        lead: Option<i64>,
        contact: Option<i64>,
    },
    Sent {
        pick: usize,
    },
    Retry {
        pick: usize,
        delay_ms: u32,
    },
    Attention {
        pick: usize,
        fields: bool,
    },
    Purge {
        age_secs: u32,
    },
    Advance {
        ms: u32,
    },
    Reopen,
}

fn outbox_op() -> impl Strategy<Value = OutboxOp> {
    let pick = 0usize..16;
    prop_oneof![
        4 => (any::<bool>(), 0u16..50).prop_map(|(contact, name)| OutboxOp::Insert { contact, name }),
        2 => (pick.clone(), 0u16..50).prop_map(|(pick, name)| OutboxOp::Edit { pick, name }),
        1 => pick.clone().prop_map(|pick| OutboxOp::Discard { pick }),
        1 => proptest::option::of(pick.clone()).prop_map(|pick| OutboxOp::MakeDue { pick }),
        4 => Just(OutboxOp::ClaimNext),
        2 => (pick.clone(), any::<bool>(), any::<bool>()).prop_map(|(pick, note, on)| OutboxOp::SetFlag { pick, note, on }),
        2 => (pick.clone(), proptest::option::of(1i64..1000), proptest::option::of(1i64..1000))
            .prop_map(|(pick, lead, contact)| OutboxOp::Created { pick, lead, contact }),
        2 => pick.clone().prop_map(|pick| OutboxOp::Sent { pick }),
        2 => (pick.clone(), 0u32..120_000).prop_map(|(pick, delay_ms)| OutboxOp::Retry { pick, delay_ms }),
        1 => (pick.clone(), any::<bool>()).prop_map(|(pick, fields)| OutboxOp::Attention { pick, fields }),
        1 => (0u32..200_000).prop_map(|age_secs| OutboxOp::Purge { age_secs }),
        3 => prop_oneof![0u32..5_000, 50_000u32..400_000].prop_map(|ms| OutboxOp::Advance { ms }),
        1 => Just(OutboxOp::Reopen),
    ]
}

#[derive(Debug, Clone, PartialEq)]
struct Row {
    id: i64,
    draft: Draft,
    state: OutboxState,
    marker: i64,
    attempts: u32,
    next_ms: i64,
    create_sent: bool,
    note_sent: bool,
    lead_id: Option<i64>,
    contact_id: Option<i64>,
    sent_at: Option<i64>,
    purged: bool,
    error: Option<Error>,
    fields: Vec<FieldError>,
}

fn draft(contact: bool, name: u16) -> Draft {
    if contact {
        Draft::Contact(ContactDraft {
            first_name: format!("Anna {name}"),
            phones: vec!["+79121234567".into()],
            ..Default::default()
        })
    } else {
        Draft::Lead(LeadDraft {
            name: format!("Order {name}"),
            price: "1500".into(),
            note: "call".into(),
            ..Default::default()
        })
    }
}

fn empty_like(d: &Draft) -> Draft {
    match d {
        Draft::Lead(_) => Draft::Lead(LeadDraft::default()),
        Draft::Contact(_) => Draft::Contact(ContactDraft::default()),
        Draft::Followup(_) => Draft::Followup(Default::default()),
    }
}

/// The retry horizon the worker uses with its default timing (`RetryTiming::default`: 60 s · 1.5 + 5 s).
const HORIZON_MS: i64 = 95_000;

/// The one account connected throughout (accounts are `outbox`'s own unit test and `accounts.rs`).
fn acme() -> AccountRef {
    AccountRef { account_id: Some(1), domain: "acme.amocrm.ru".into() }
}

fn due(r: &Row, now_ms: i64) -> bool {
    matches!(r.state, OutboxState::Queued | OutboxState::Sending)
        && (r.next_ms <= now_ms || r.next_ms > now_ms + HORIZON_MS)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn the_outbox_table_follows_the_model(ops in proptest::collection::vec(outbox_op(), 1..40)) {
        let mut db = Db::new();
        let mut model: Vec<Row> = Vec::new();
        let mut next_id = 1i64;
        let mut now_ms: i64 = 1_700_000_000_000;
        let now = |ms: i64| ms / 1000;
        for op in ops {
            let t = db.get().outbox();
            let pick = |p: usize, model: &Vec<Row>| (!model.is_empty()).then(|| p % model.len());
            match op {
                OutboxOp::Insert { contact, name } => {
                    let d = draft(contact, name);
                    let id = t.insert(&d, &format!("ac-{name}"), Some(&acme()), now(now_ms), now_ms).expect("insert");
                    prop_assert_eq!(id, next_id, "ids are never reused");
                    next_id += 1;
                    let marker = model.iter().map(|r| r.marker + 1).max().map_or(now(now_ms), |m| m.max(now(now_ms)));
                    model.push(Row {
                        id, draft: d, state: OutboxState::Queued, marker, attempts: 0, next_ms: now_ms,
                        create_sent: false, note_sent: false, lead_id: None, contact_id: None, sent_at: None,
                        purged: false, error: None, fields: vec![],
                    });
                }
                OutboxOp::Edit { pick: p, name } => if let Some(i) = pick(p, &model) {
                    let r = &mut model[i];
                    let d = draft(matches!(r.draft, Draft::Contact(_)), name + 100);
                    let ok = t.replace_draft(r.id, &d, now(now_ms), now_ms).expect("edit");
                    // Nothing of it may be in amoCRM: no create, no lead, no note (a follow-up's
                    // first request is its note).
                    let allowed = matches!(r.state, OutboxState::Queued | OutboxState::Attention)
                        && !r.create_sent && r.lead_id.is_none() && !r.note_sent;
                    prop_assert_eq!(ok, allowed, "edit of {:?}", r);
                    if allowed {
                        (r.draft, r.state, r.next_ms, r.error, r.fields) = (d, OutboxState::Queued, now_ms, None, vec![]);
                    }
                },
                OutboxOp::Discard { pick: p } => if let Some(i) = pick(p, &model) {
                    let ok = t.discard(model[i].id, Some(&acme())).expect("discard");
                    prop_assert_eq!(ok, model[i].state == OutboxState::Attention, "only an entry needing attention goes");
                    if ok {
                        model.remove(i);
                    }
                },
                OutboxOp::MakeDue { pick: p } => {
                    let target = p.and_then(|p| pick(p, &model));
                    let n = t.make_due(target.map(|i| model[i].id), now(now_ms), now_ms).expect("make due");
                    let mut want = 0;
                    for (i, r) in model.iter_mut().enumerate() {
                        match target {
                            Some(j) if i == j && matches!(r.state, OutboxState::Queued | OutboxState::Attention) => {
                                (r.state, r.next_ms) = (OutboxState::Queued, now_ms);
                                want += 1;
                            }
                            None if r.state == OutboxState::Queued => {
                                r.next_ms = now_ms;
                                want += 1;
                            }
                            _ => {}
                        }
                    }
                    prop_assert_eq!(n, want);
                }
                OutboxOp::ClaimNext => {
                    let want = model.iter().filter(|r| due(r, now_ms)).map(|r| r.id).min();
                    prop_assert_eq!(t.next_due_id(now_ms, HORIZON_MS, Some(&acme())).expect("next"), want, "the oldest due entry first");
                    if let Some(id) = want {
                        let e = t.claim(id, Some(&acme()), now(now_ms)).expect("claim");
                        let r = model.iter_mut().find(|r| r.id == id).expect("row");
                        r.state = OutboxState::Sending;
                        prop_assert_eq!((&e.draft, e.marker_at, e.attempts), (&r.draft, r.marker, r.attempts));
                        prop_assert_eq!((e.create_sent, e.note_sent, e.lead_id, e.contact_id), (r.create_sent, r.note_sent, r.lead_id, r.contact_id));
                    }
                }
                OutboxOp::SetFlag { pick: p, note, on } => if let Some(i) = pick(p, &model) {
                    let flag = if note { EntryFlag::NoteSent } else { EntryFlag::CreateSent };
                    t.set_flag(model[i].id, flag, on).expect("flag");
                    if note { model[i].note_sent = on } else { model[i].create_sent = on }
                },
                OutboxOp::Created { pick: p, lead, contact } => if let Some(i) = pick(p, &model) {
                    t.record_created(model[i].id, lead, contact, false, Some("acme.amocrm.ru"), now(now_ms)).expect("created");
                    (model[i].lead_id, model[i].contact_id) = (lead, contact);
                },
                OutboxOp::Sent { pick: p } => if let Some(i) = pick(p, &model) {
                    t.record_sent(model[i].id, now(now_ms)).expect("sent");
                    let r = &mut model[i];
                    (r.state, r.sent_at, r.error, r.fields) = (OutboxState::Sent, Some(now(now_ms)), None, vec![]);
                },
                OutboxOp::Retry { pick: p, delay_ms } => if let Some(i) = pick(p, &model) {
                    let e = Error::from(AmoError::ServerError { status: 503 });
                    t.record_retry(model[i].id, &e, now_ms + i64::from(delay_ms), now(now_ms)).expect("retry");
                    let r = &mut model[i];
                    (r.state, r.attempts, r.next_ms, r.error) = (OutboxState::Queued, r.attempts + 1, now_ms + i64::from(delay_ms), Some(e));
                },
                OutboxOp::Attention { pick: p, fields } => if let Some(i) = pick(p, &model) {
                    let f = if fields { vec![FieldError::new("name", FieldCode::Rejected)] } else { vec![] };
                    let e = if fields { Error::validation(f.clone()) } else { AmoError::NotPaid.into() };
                    t.record_attention(model[i].id, &e, &f, now(now_ms)).expect("attention");
                    let r = &mut model[i];
                    (r.state, r.attempts, r.error, r.fields) = (OutboxState::Attention, r.attempts + 1, Some(e), f);
                },
                OutboxOp::Purge { age_secs } => {
                    let cutoff = now(now_ms) - i64::from(age_secs);
                    let n = t.purge_sent_before(cutoff).expect("purge");
                    let mut want = 0;
                    for r in model.iter_mut().filter(|r| r.state == OutboxState::Sent && !r.purged && r.sent_at.is_some_and(|s| s < cutoff)) {
                        (r.draft, r.purged, r.error, r.fields) = (empty_like(&r.draft), true, None, vec![]);
                        want += 1;
                    }
                    prop_assert_eq!(n, want, "purged");
                }
                OutboxOp::Advance { ms } => now_ms += i64::from(ms),
                OutboxOp::Reopen => db.reopen(),
            }
            check_rows(db.get(), &model, now_ms)?;
        }
    }
}

/// The table as read back equals the model: every row, every column the methods change, the
/// counts, and when the next entry is due.
fn check_rows(store: &Store, model: &[Row], now_ms: i64) -> Result<(), TestCaseError> {
    let t = store.outbox();
    let mut rows = t.rows(None, 1000).expect("rows");
    rows.reverse();
    prop_assert_eq!(rows.len(), model.len(), "entries lost or made up");
    for (got, want) in rows.iter().zip(model) {
        prop_assert_eq!(got.id, want.id);
        prop_assert_eq!(&got.draft, &want.draft);
        prop_assert_eq!(
            (got.state, got.attempts, got.next_attempt_ms),
            (want.state, want.attempts, want.next_ms),
            "row {}",
            want.id
        );
        prop_assert_eq!(
            (got.create_sent, got.lead_id, got.contact_id, got.sent_at, got.purged),
            (want.create_sent, want.lead_id, want.contact_id, want.sent_at, want.purged)
        );
        prop_assert_eq!(&got.last_error, &want.error);
        prop_assert_eq!(&got.field_errors, &want.fields);
    }
    let mut markers: Vec<i64> = model.iter().map(|r| r.marker).collect();
    markers.sort_unstable();
    markers.dedup();
    prop_assert_eq!(markers.len(), model.len(), "markers are unique");
    let c = t.counts(Some(&acme())).expect("counts");
    let count = |f: &dyn Fn(&Row) -> bool| model.iter().filter(|r| f(r)).count() as u32;
    prop_assert_eq!(c.waiting, count(&|r| matches!(r.state, OutboxState::Queued | OutboxState::Sending)));
    prop_assert_eq!(c.attention, count(&|r| r.state == OutboxState::Attention));
    prop_assert_eq!(c.sent, count(&|r| r.state == OutboxState::Sent));
    let next = model
        .iter()
        .filter(|r| matches!(r.state, OutboxState::Queued | OutboxState::Sending))
        .map(|r| if r.next_ms > now_ms + HORIZON_MS { 0 } else { (r.next_ms - now_ms).max(0) })
        .min();
    prop_assert_eq!(t.next_due_in_ms(now_ms, HORIZON_MS, Some(&acme())).expect("next"), next);
    Ok(())
}
