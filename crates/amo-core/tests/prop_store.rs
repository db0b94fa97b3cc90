//! Property tests of the SQLite state store (a real file in a temp directory) against a plain
//! in-memory model, under random sequences of operations with a clock that moves and the file
//! closed and reopened in between (docs/fuzzing.md):
//! - `oauth_states`: a state is accepted once, within its 15 minutes, and every refusal says why
//!   (unknown, replayed, expired); a new sign-in supersedes unused states; cleanup removes exactly
//!   the expired ones.
//! - `outbox` and `outbox_steps`: every method does to the entry and its steps what it says and
//!   nothing else; ids are never reused; `marker_at` stays unique; an edit replaces the plan only
//!   when every step that may be in amoCRM comes out the same; what a step made is owned by its
//!   entry alone; the due order and the banner's counts follow the rows.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use amo_core::auth::state::STATE_TTL_SECS;
use amo_core::domain::account::AccountRef;
use amo_core::domain::draft::{ContactDraft, Draft, LeadDraft};
use amo_core::domain::outbox::OutboxState;
use amo_core::domain::steps::{plan, Made, StepBody, StepKind, StepState};
use amo_core::error::{AmoError, FieldCode, FieldError};
use amo_core::store::{NewEntry, Replan, Store};
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
    /// An edit: the whole entry renamed, or (`only_note`) only a lead's note changed.
    Edit {
        pick: usize,
        name: u16,
        only_note: bool,
    },
    Discard {
        pick: usize,
    },
    MakeDue {
        pick: Option<usize>,
    },
    /// The worker takes the next due entry.
    ClaimNext,
    /// A step's mark: before its request leaves (`maybe_sent`), or back (`pending`).
    Mark {
        pick: usize,
        step: usize,
        maybe_sent: bool,
    },
    Done {
        pick: usize,
        step: usize,
        id: i64,
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
        step: Option<usize>,
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
    let step = 0usize..3;
    prop_oneof![
        4 => (any::<bool>(), 0u16..50).prop_map(|(contact, name)| OutboxOp::Insert { contact, name }),
        3 => (pick.clone(), 0u16..50, any::<bool>()).prop_map(|(pick, name, only_note)| OutboxOp::Edit { pick, name, only_note }),
        1 => pick.clone().prop_map(|pick| OutboxOp::Discard { pick }),
        1 => proptest::option::of(pick.clone()).prop_map(|pick| OutboxOp::MakeDue { pick }),
        4 => Just(OutboxOp::ClaimNext),
        3 => (pick.clone(), step.clone(), any::<bool>()).prop_map(|(pick, step, maybe_sent)| OutboxOp::Mark { pick, step, maybe_sent }),
        3 => (pick.clone(), step.clone(), 1i64..40).prop_map(|(pick, step, id)| OutboxOp::Done { pick, step, id }),
        2 => pick.clone().prop_map(|pick| OutboxOp::Sent { pick }),
        2 => (pick.clone(), 0u32..120_000).prop_map(|(pick, delay_ms)| OutboxOp::Retry { pick, delay_ms }),
        1 => (pick.clone(), any::<bool>(), proptest::option::of(step)).prop_map(|(pick, fields, step)| OutboxOp::Attention { pick, fields, step }),
        1 => (0u32..200_000).prop_map(|age_secs| OutboxOp::Purge { age_secs }),
        3 => prop_oneof![0u32..5_000, 50_000u32..400_000].prop_map(|ms| OutboxOp::Advance { ms }),
        1 => Just(OutboxOp::Reopen),
    ]
}

/// A step as the model keeps it.
#[derive(Debug, Clone, PartialEq)]
struct Step {
    kind: StepKind,
    body: Option<StepBody>,
    state: StepState,
    id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
struct Row {
    id: i64,
    draft: Draft,
    state: OutboxState,
    marker: i64,
    attempts: u32,
    next_ms: i64,
    sent_at: Option<i64>,
    purged: bool,
    error: Option<Error>,
    fields: Vec<FieldError>,
    steps: Vec<Step>,
}

fn draft(contact: bool, name: u16, note: &str) -> Draft {
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
            note: note.into(),
            ..Default::default()
        })
    }
}

fn empty_like(d: &Draft) -> Draft {
    match d {
        Draft::Lead(_) => Draft::Lead(LeadDraft::default()),
        Draft::Contact(_) => Draft::Contact(ContactDraft::default()),
        Draft::Followup(_) => Draft::Followup(Default::default()),
        Draft::Call(_) => Draft::Call(Default::default()),
        Draft::TaskChange(_) => Draft::TaskChange(Default::default()),
        Draft::LeadChange(_) => Draft::LeadChange(Default::default()),
    }
}

fn pending(body: StepBody) -> Step {
    Step { kind: body.kind(), body: Some(body), state: StepState::Pending, id: None }
}

/// The model's edit rule: the new plan, keeping every step that may be in amoCRM — or the first
/// such step the new plan would change.
fn replanned(old: &[Step], new: Vec<StepBody>) -> Result<Vec<Step>, StepKind> {
    let mut out: Vec<Option<Step>> = vec![None; new.len()];
    for o in old.iter().filter(|o| matches!(o.state, StepState::MaybeSent | StepState::Done)) {
        match (0..new.len()).find(|&i| out[i].is_none() && o.body.as_ref() == Some(&new[i])) {
            Some(i) => out[i] = Some(o.clone()),
            None => return Err(o.kind),
        }
    }
    Ok(new.into_iter().zip(out).map(|(b, o)| o.unwrap_or_else(|| pending(b))).collect())
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
            let steps = db.get().outbox_steps();
            let pick = |p: usize, model: &Vec<Row>| (!model.is_empty()).then(|| p % model.len());
            match op {
                OutboxOp::Insert { contact, name } => {
                    let d = draft(contact, name, "call");
                    let planned = plan(&d);
                    let rid = format!("ac-{name}");
                    let id = t.insert(NewEntry { draft: &d, steps: &planned, request_id: &rid }, Some(&acme()), now(now_ms), now_ms).expect("insert");
                    prop_assert_eq!(id, next_id, "ids are never reused");
                    next_id += 1;
                    let marker = model.iter().map(|r| r.marker + 1).max().map_or(now(now_ms), |m| m.max(now(now_ms)));
                    model.push(Row {
                        id, draft: d, state: OutboxState::Queued, marker, attempts: 0, next_ms: now_ms, sent_at: None,
                        purged: false, error: None, fields: vec![], steps: planned.into_iter().map(pending).collect(),
                    });
                }
                OutboxOp::Edit { pick: p, name, only_note } => if let Some(i) = pick(p, &model) {
                    let r = &mut model[i];
                    let d = match (&r.draft, only_note) {
                        (Draft::Lead(l), true) => Draft::Lead(LeadDraft { note: format!("note {name}"), ..l.clone() }),
                        (d, _) => draft(matches!(d, Draft::Contact(_)), name + 100, "call"),
                    };
                    let got = t.replace_plan(r.id, &d, &plan(&d), now(now_ms), now_ms).expect("edit");
                    let want = if matches!(r.state, OutboxState::Queued | OutboxState::Attention) {
                        replanned(&r.steps, plan(&d)).map_or_else(Replan::Locked, |_| Replan::Replaced)
                    } else {
                        Replan::NotWaiting
                    };
                    prop_assert_eq!(got, want, "edit of {:?}", r);
                    if got == Replan::Replaced {
                        r.steps = replanned(&r.steps, plan(&d)).expect("replanned");
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
                        prop_assert_eq!((e.marker_at, e.attempts), (r.marker, r.attempts));
                        let got: Vec<Step> = e.steps.iter().map(|s| Step { kind: s.kind, body: s.body.clone(), state: s.state, id: s.made.id }).collect();
                        prop_assert_eq!(&got, &r.steps, "the claim reads the steps as they are");
                    }
                }
                OutboxOp::Mark { pick: p, step, maybe_sent } => if let Some(i) = pick(p, &model) {
                    if step < model[i].steps.len() {
                        let state = if maybe_sent { StepState::MaybeSent } else { StepState::Pending };
                        steps.set_state(model[i].id, step as i64, state, now(now_ms)).expect("mark");
                        let s = &mut model[i].steps[step];
                        if s.state != StepState::Done {
                            s.state = state;
                        }
                    }
                },
                OutboxOp::Done { pick: p, step, id } => if let Some(i) = pick(p, &model) {
                    if step < model[i].steps.len() {
                        steps.record_done(model[i].id, step as i64, &Made::record(id), Some("acme.amocrm.ru"), now(now_ms)).expect("done");
                        let s = &mut model[i].steps[step];
                        (s.state, s.id) = (StepState::Done, Some(id));
                    }
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
                OutboxOp::Attention { pick: p, fields, step } => if let Some(i) = pick(p, &model) {
                    let f = if fields { vec![FieldError::new("name", FieldCode::Rejected)] } else { vec![] };
                    let e = if fields { Error::validation(f.clone()) } else { AmoError::NotPaid.into() };
                    t.record_attention(model[i].id, &e, &f, step.map(|s| s as i64), now(now_ms)).expect("attention");
                    let r = &mut model[i];
                    (r.state, r.attempts, r.error, r.fields) = (OutboxState::Attention, r.attempts + 1, Some(e), f);
                    // Only a step that certainly did not reach amoCRM is marked refused.
                    if let Some(s) = step.and_then(|s| r.steps.get_mut(s)).filter(|s| s.state == StepState::Pending) {
                        s.state = StepState::Refused;
                    }
                },
                OutboxOp::Purge { age_secs } => {
                    let cutoff = now(now_ms) - i64::from(age_secs);
                    let n = t.purge_sent_before(cutoff).expect("purge");
                    let mut want = 0;
                    for r in model.iter_mut().filter(|r| r.state == OutboxState::Sent && !r.purged && r.sent_at.is_some_and(|s| s < cutoff)) {
                        (r.draft, r.purged, r.error, r.fields) = (empty_like(&r.draft), true, None, vec![]);
                        r.steps.iter_mut().for_each(|s| s.body = None);
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

/// The table as read back equals the model: every row and its steps, the counts, when the next
/// entry is due, and who owns what the steps made.
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
        prop_assert_eq!((got.sent_at, got.purged), (want.sent_at, want.purged));
        prop_assert_eq!(&got.last_error, &want.error);
        prop_assert_eq!(&got.field_errors, &want.fields);
        let steps: Vec<Step> = got
            .steps
            .iter()
            .map(|s| Step { kind: s.kind, body: s.body.clone(), state: s.state, id: s.made.id })
            .collect();
        prop_assert_eq!(&steps, &want.steps, "steps of {}", want.id);
        prop_assert!(got.steps.iter().all(|s| s.marker_at == want.marker), "each step is found by its entry's marker");
    }
    let mut markers: Vec<i64> = model.iter().map(|r| r.marker).collect();
    markers.sort_unstable();
    markers.dedup();
    prop_assert_eq!(markers.len(), model.len(), "markers are unique");
    // What a step made belongs to its entry: another entry never takes it for its own.
    let owned = store.outbox_steps();
    for r in model {
        for s in r.steps.iter().filter(|s| s.state == StepState::Done) {
            let (Some(entity), Some(id)) = (s.kind.entity(), s.id) else { continue };
            let elsewhere = model.iter().any(|o| {
                o.id != r.id
                    && o.steps
                        .iter()
                        .any(|x| x.state == StepState::Done && x.kind.entity() == Some(entity) && x.id == Some(id))
            });
            prop_assert_eq!(owned.owned_elsewhere(entity, id, r.id).expect("owned"), elsewhere);
        }
    }
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
