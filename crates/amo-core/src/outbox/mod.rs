//! The durable outbox: every lead, contact or follow-up the user submits is a row in SQLite —
//! with its plan of steps, the writes to amoCRM that carry it out (`domain::steps`) — before any
//! network call, and stays there until amoCRM has all of it.
//!
//! States: `queued` (waiting, possibly after a failure — retried with back-off forever),
//! `sending` (a worker has it), `sent` (every step done, amoCRM's ids recorded), `attention`
//! (amoCRM or we found something only the user can fix; fixable and resendable). A 403 HTML ban
//! stops all sending until the user says support lifted it (`outbox resume`).
//!
//! Exactly once: every step is marked "may have reached amoCRM" before its request leaves; if the
//! process dies (or the answer is lost) before amoCRM's id is recorded, the next attempt first
//! looks for it in amoCRM by the step kind's own rule (the `created_at` marker, unique across the
//! outbox, for records; the text on the lead for notes and tasks) and only sends it again if it is
//! not there. Nothing technical is added to the user's amoCRM.
//!
//! One fix path: an entry that waits or needs attention is edited by planning the edited draft
//! again; every step that may already be in amoCRM must come out the same (it stays as it is, with
//! its ids), the others are replaced (`store::OutboxTable::replace_plan`).
//!
//! Every entry belongs to the account it was typed for (recorded when it is queued, or at its
//! first attempt if none was connected): it is sent only while that account is connected, and
//! waits — shown as "for another account", with keep or discard — while another one is
//! (`domain::account::AccountRef`).
//!
//! The rooms: this file is the front (queue, list, edit, retry, wait); `check` what is checked
//! before queueing; `shape` whose shape a draft is checked against (the connected account's
//! only) and its amoCRM ids held to it; `worker` the sending loop; `runner` one entry's steps;
//! `steps/` each kind of write; `reconcile` what finding a lost write shares; `view` an entry as
//! History shows it.

mod check;
mod reconcile;
mod runner;
mod shape;
mod steps;
mod view;
mod worker;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::auth::session::Session;
use crate::clock::{now, now_ms};
use crate::context::Ctx;
use crate::domain::account::AccountRef;
use crate::domain::change::{LeadChangeDraft, TaskChangeDraft};
use crate::domain::draft::{CallDraft, Draft, DraftKind};
use crate::domain::outbox::{OutboxItem, OutboxState, OutboxSummary};
use crate::domain::people::PersonKind;
use crate::domain::platform::Platform;
use crate::domain::reference::ReferenceData;
use crate::domain::steps::{field_is_locked, keep_locked, plan, StepKind};
use crate::error::{AmoError, EntryError, Error, FieldCode, FieldError, NotEditable, Result};
use crate::store::{NewEntry, Replan};
use shape::Shape;

pub use worker::{RetryTiming, POISON_AFTER};

pub struct Outbox {
    ctx: Arc<Ctx>,
    session: Arc<Session>,
    /// Wakes the worker when an entry is queued or a retry is asked for.
    wake: tokio::sync::Notify,
    retry_timing: Mutex<RetryTiming>,
    /// When sent entries were last purged of customer data (see [`Outbox::purge`]).
    last_purge: Mutex<Option<Instant>>,
}

/// How often the worker removes customer data from entries past the retention period.
const PURGE_EVERY: Duration = Duration::from_secs(10 * 60);

impl Outbox {
    pub(crate) fn new(ctx: Arc<Ctx>, session: Arc<Session>) -> Outbox {
        Outbox {
            ctx,
            session,
            wake: tokio::sync::Notify::new(),
            retry_timing: Mutex::new(RetryTiming::default()),
            last_purge: Mutex::new(None),
        }
    }

    /// The connected account's platform (decides how phones without a country code are read).
    fn platform(&self) -> Platform {
        self.ctx.store.platform_for_phones()
    }

    /// The account connected now, if any: the one entries are queued for and sent to.
    pub(super) fn current(&self) -> Result<Option<AccountRef>> {
        Ok(self.ctx.store.account().load()?.map(|a| AccountRef::of(&a)))
    }

    /// Checks what was typed (against `account`, the connected account's shape as last read)
    /// and queues it with its plan; returns at once (the worker sends it). Nothing invalid is
    /// queued: field errors come back as `validation`. Typed while no account is connected
    /// (before the first connection, say), it is kept for the next account connected, and
    /// belongs to that one from its first attempt on — except a follow-up, which names a lead
    /// of the connected account (it would go to whichever account is connected next, where
    /// that id is someone else's lead).
    pub fn queue(&self, draft: &Draft, account: Option<&ReferenceData>) -> Result<OutboxItem> {
        let mut items = self.queue_many(std::slice::from_ref(draft), account)?;
        items.pop().ok_or_else(|| Error::internal("one entry queued"))
    }

    /// Queues a call to log — once per call id: a call logged again (the softphone's hook ran
    /// twice, two processes at once) is the entry already queued, and `true` says so. A call
    /// with no id gets one.
    pub fn log_call(&self, draft: &CallDraft, account: Option<&ReferenceData>) -> Result<(OutboxItem, bool)> {
        let Some(current) = self.current()? else { return Err(AmoError::NotConnected.into()) };
        let mut call = draft.clone();
        if call.uniq.trim().is_empty() {
            call.uniq = random_request_id();
        }
        let uniq = call.uniq.trim().to_string();
        let table = self.ctx.store.outbox();
        if let Some(id) = table.call_entry(&uniq, Some(&current.domain))? {
            return Ok((self.item(id)?, true));
        }
        match self.queue(&Draft::Call(call), account) {
            Ok(item) => Ok((item, false)),
            // Another process queued it between the look and the insert (the unique index).
            Err(e) => match table.call_entry(&uniq, Some(&current.domain))? {
                Some(id) if e.code() == crate::error::ErrorCode::Storage => Ok((self.item(id)?, true)),
                _ => Err(e),
            },
        }
    }

    /// Queues several entries in one transaction: every one of them, or — if any is invalid —
    /// none (the fields are named `<n>.<field>`, `n` counting from 0).
    pub fn queue_many(&self, drafts: &[Draft], account: Option<&ReferenceData>) -> Result<Vec<OutboxItem>> {
        let current = self.current()?;
        if current.is_none()
            && drafts.iter().any(|d| {
                matches!(
                    d.kind(),
                    DraftKind::Followup | DraftKind::Call | DraftKind::TaskChange | DraftKind::LeadChange
                )
            })
        {
            return Err(AmoError::NotConnected.into());
        }
        let (platform, now) = (self.platform(), now());
        // Only the connected account's shape; ids typed against another's are refused below.
        let shape = Shape::of(account, current.as_ref());
        let mut clean = Vec::with_capacity(drafts.len());
        let mut errors: Vec<FieldError> = Vec::new();
        for (i, d) in drafts.iter().enumerate() {
            let foreign = shape.foreign_ids(d);
            let checked = match check::check(d, shape.reference(), platform, now) {
                Ok(c) if foreign.is_empty() => Ok(c),
                Ok(_) => Err(foreign),
                Err(mut e) => {
                    e.extend(foreign.into_iter().filter(|f| !e.contains(f)).collect::<Vec<_>>());
                    Err(e)
                }
            };
            let found = checked.and_then(|c| match self.duplicates(&c, current.as_ref()) {
                Ok(dups) if dups.is_empty() => Ok(c),
                Ok(dups) => Err(dups),
                Err(e) => {
                    // The copy could not be read: the entry is not held back for it.
                    tracing::warn!(code = %e.code(), "the duplicate check could not read the copy");
                    Ok(c)
                }
            });
            match found {
                Ok(c) => clean.push(c),
                Err(e) if drafts.len() == 1 => errors = e,
                Err(e) => errors.extend(e.into_iter().map(|f| FieldError { field: format!("{i}.{}", f.field), ..f })),
            }
        }
        if !errors.is_empty() {
            return Err(Error::validation(errors));
        }
        let plans: Vec<_> = clean.iter().map(plan).collect();
        let request_ids: Vec<String> = clean.iter().map(|_| random_request_id()).collect();
        let entries: Vec<NewEntry<'_>> = clean
            .iter()
            .zip(&plans)
            .zip(&request_ids)
            .map(|((draft, steps), request_id)| NewEntry { draft, steps, request_id })
            .collect();
        let ids = self.ctx.store.outbox().insert_many(&entries, current.as_ref(), now, now_ms())?;
        for (id, d) in ids.iter().zip(&clean) {
            tracing::info!(id, kind = d.kind().as_str(), "queued");
        }
        self.wake.notify_one();
        ids.into_iter().map(|id| self.item(id)).collect()
    }

    /// No silent duplicates: a new contact (alone, or a lead's) with a phone or e-mail that a
    /// contact in the copy of the account's people already has is refused, naming that contact,
    /// unless the user chose to create it anyway (`allow_duplicate`). Without a copy (off, not
    /// filled yet) nothing is refused here; the window's duplicate offer still asks amoCRM.
    fn duplicates(&self, draft: &Draft, current: Option<&AccountRef>) -> Result<Vec<FieldError>> {
        let (contact, prefix) = match draft {
            Draft::Contact(c) => (c, ""),
            Draft::Lead(l) if l.existing_contact_id.is_none() => match &l.contact {
                Some(c) => (c, "contact."),
                None => return Ok(Vec::new()),
            },
            _ => return Ok(Vec::new()),
        };
        let Some(account) = current else { return Ok(Vec::new()) };
        if contact.allow_duplicate {
            return Ok(Vec::new());
        }
        let key = account.domain.to_ascii_lowercase();
        let people = self.ctx.store.people();
        let mut errors = Vec::new();
        let mut refuse = |field: String, found: Vec<(PersonKind, i64)>| -> Result<()> {
            let Some(id) = found.into_iter().find(|(k, _)| *k == PersonKind::Contact).map(|(_, id)| id) else {
                return Ok(());
            };
            let name = people.customer(&key, PersonKind::Contact, id)?.map(|c| c.name).unwrap_or_default();
            errors.push(FieldError {
                detail: Some(format!("{} (#{id})", name.trim())),
                ..FieldError::new(field, FieldCode::DuplicateContact)
            });
            Ok(())
        };
        for (i, p) in contact.phones.iter().enumerate() {
            refuse(format!("{prefix}phones.{i}"), people.by_phone(&key, p)?)?;
        }
        for (i, e) in contact.emails.iter().enumerate() {
            refuse(format!("{prefix}emails.{i}"), people.by_email(&key, e)?)?;
        }
        Ok(errors)
    }

    pub fn item(&self, id: i64) -> Result<OutboxItem> {
        self.items(Some(id), 1)?.pop().ok_or_else(|| EntryError::NotFound { id }.into())
    }

    /// Newest first.
    pub fn list(&self, limit: usize) -> Result<Vec<OutboxItem>> {
        self.items(None, limit)
    }

    /// Rows rendered in the current language.
    fn items(&self, only: Option<i64>, limit: usize) -> Result<Vec<OutboxItem>> {
        let current = self.current()?;
        let lang = self.ctx.lang();
        let rows = self.ctx.store.outbox().rows(only, limit)?;
        Ok(rows.into_iter().map(|r| view::view(r, current.as_ref(), lang)).collect())
    }

    /// Whether amoCRM banned the connected account's API.
    pub(super) fn banned(&self, current: Option<&AccountRef>) -> Result<bool> {
        match current {
            Some(c) => self.ctx.store.api_block().is_banned(&c.domain),
            None => Ok(false),
        }
    }

    pub fn summary(&self) -> Result<OutboxSummary> {
        let current = self.current()?;
        let counts = self.ctx.store.outbox().counts(current.as_ref())?;
        let lang = self.ctx.lang();
        Ok(OutboxSummary {
            queued: counts.waiting,
            other_account: counts.other_account,
            attention: counts.attention,
            sent: counts.sent,
            banned: self.banned(current.as_ref())?,
            offline: matches!(counts.last_error, Some(Error::Amo(AmoError::Network { .. }))),
            last_error: counts.last_error.map(|e| e.to_payload(lang)),
        })
    }

    /// "Retry now": waiting entries (and, given an id, that entry even if it needs attention)
    /// are due at once. Returns how many entries were made due. An API ban stays: only the user
    /// saying that amoCRM support lifted it ([`Outbox::resume`]) ends it.
    pub fn retry(&self, id: Option<i64>) -> Result<usize> {
        let outbox = self.ctx.store.outbox();
        if let Some(id) = id {
            if !outbox.exists(id)? {
                return Err(EntryError::NotFound { id }.into());
            }
        }
        let n = outbox.make_due(id, now(), now_ms())?;
        self.wake.notify_one();
        Ok(n)
    }

    /// "amoCRM support lifted the block": sending starts again, every waiting entry at once.
    /// Returns how many entries were made due. Asking amoCRM while the ban lasts makes it longer
    /// (docs/amocrm-api.md §9.2), which is why no other action resumes.
    pub fn resume(&self) -> Result<usize> {
        let Some(current) = self.current()? else { return Ok(0) };
        let lifted = self.ctx.store.api_block().lift(&current.domain)?;
        tracing::info!(lifted, "the user says amoCRM lifted the block; sending again");
        let n = self.ctx.store.outbox().make_due(None, now(), now_ms())?;
        self.wake.notify_one();
        Ok(n)
    }

    /// Fixes an entry that waits or needs attention: what has not reached amoCRM changes, the
    /// rest stays exactly as it was queued. The parts of steps that may be in amoCRM are taken
    /// from the stored draft whatever the edit says (`domain::steps::keep_locked`) and are not
    /// checked again — the account may have changed since (a choice removed, a field required),
    /// and what amoCRM may already have cannot be changed from here anyway; the rest is checked
    /// as when it was queued. The store refuses the edit if a locked step would still change,
    /// and while the entry is being sent. The entry is queued again.
    pub fn update(&self, id: i64, draft: &Draft, account: Option<&ReferenceData>) -> Result<OutboxItem> {
        let stored = self.ctx.store.outbox().rows(Some(id), 1)?.pop().ok_or(EntryError::NotFound { id })?;
        let not_editable = |why| Error::from(EntryError::EntryNotEditable { id, why });
        // A damaged row's draft is an empty stand-in: editing it would send an empty form.
        if stored.damaged.is_some() {
            return Err(not_editable(NotEditable::Damaged));
        }
        if stored.draft.kind() != draft.kind() {
            return Err(not_editable(NotEditable::KindChanges));
        }
        // Checked and sent only for the account it was typed for.
        let current = self.current()?;
        if let Some(mine) = &stored.account {
            if current.as_ref().is_none_or(|c| !mine.same_as(c)) {
                return Err(EntryError::OtherAccount { id, domain: mine.domain.clone() }.into());
            }
        }
        let shape = Shape::of(account, current.as_ref());
        let locked: Vec<StepKind> = stored.steps.iter().filter(|s| s.state.locked()).map(|s| s.kind).collect();
        // An edit of a part that may be in amoCRM is refused, named — never dropped silently.
        if let Some(k) = locked.iter().find(|k| keep_locked(&stored.draft, draft, &[**k]) != *draft) {
            return Err(not_editable(NotEditable::PartInAmocrm { part: k.as_str().into() }));
        }
        let edited = keep_locked(&stored.draft, draft, &locked);
        let (clean, mut objections) =
            check::checked(&edited, shape.reference(), self.platform(), now()).map_err(Error::validation)?;
        objections.extend(shape.foreign_ids(&edited));
        let open: Vec<FieldError> =
            objections.into_iter().filter(|e| !field_is_locked(draft.kind(), &e.field, &locked)).collect();
        if !open.is_empty() {
            return Err(Error::validation(open));
        }
        let draft = keep_locked(&stored.draft, &clean, &locked);
        match self.ctx.store.outbox().replace_plan(id, &draft, &plan(&draft), now(), now_ms())? {
            Replan::Replaced => {
                self.wake.notify_one();
                self.item(id)
            }
            Replan::Locked(step) => Err(not_editable(NotEditable::PartInAmocrm { part: step.as_str().into() })),
            // Taken by the sender meanwhile (or sent): the edit is refused rather than lost.
            Replan::NotWaiting => Err(not_editable(NotEditable::BeingSent)),
        }
    }

    /// "Send mine" on a conflict (`EntryError::Conflict`): the change is sent over the version
    /// somebody else made — exactly that version: it now counts as the one the user changed, so
    /// a further change by anyone before it is sent is a conflict again. Checked and queued as
    /// an edit is. "Keep theirs" is [`Outbox::discard`].
    pub fn send_over(&self, id: i64, account: Option<&ReferenceData>) -> Result<OutboxItem> {
        let stored = self.ctx.store.outbox().rows(Some(id), 1)?.pop().ok_or(EntryError::NotFound { id })?;
        let no_conflict = || Error::from(EntryError::EntryNotEditable { id, why: NotEditable::NoConflict });
        let Some(Error::Entry(EntryError::Conflict { conflict, .. })) = &stored.last_error else {
            return Err(no_conflict());
        };
        if stored.state != OutboxState::Attention {
            return Err(no_conflict());
        }
        let theirs = conflict.updated_at;
        let draft = match &stored.draft {
            Draft::TaskChange(t) => Draft::TaskChange(TaskChangeDraft { seen_updated_at: theirs, ..t.clone() }),
            Draft::LeadChange(l) => Draft::LeadChange(LeadChangeDraft { seen_updated_at: theirs, ..l.clone() }),
            _ => return Err(no_conflict()),
        };
        tracing::info!(id, "the user sends their change over the other version");
        self.update(id, &draft, account)
    }

    /// Removes an entry that needs attention, or one waiting for another account (the user
    /// decided not to send it). Entries waiting for the connected account and sent ones cannot
    /// be removed: that is how a lead would get lost.
    pub fn discard(&self, id: i64) -> Result<()> {
        let outbox = self.ctx.store.outbox();
        if outbox.discard(id, self.current()?.as_ref())? {
            return Ok(());
        }
        if !outbox.exists(id)? {
            return Err(EntryError::NotFound { id }.into());
        }
        Err(EntryError::EntryNotEditable { id, why: NotEditable::StillToBeSent }.into())
    }

    /// Entries of the connected account that wait or need attention (Disconnect asks about them).
    pub fn pending_for_current(&self) -> Result<u32> {
        let counts = self.ctx.store.outbox().counts(self.current()?.as_ref())?;
        Ok(counts.waiting + counts.attention)
    }

    /// Removes the entries of `account` that wait or need attention: the user disconnects it and
    /// chose not to send them. Returns how many.
    pub(crate) fn discard_waiting_for(&self, account: &AccountRef) -> Result<usize> {
        let n = self.ctx.store.outbox().discard_waiting(account)?;
        tracing::info!(discarded = n, "entries of the disconnected account discarded");
        Ok(n)
    }

    /// Sends the outbox (this process takes part unless another one holds the outbox lock)
    /// until entry `id` is sent or needs attention, or `timeout` passes. The entry stays queued
    /// either way; `still_queued` says so.
    pub async fn wait_for_entry(&self, id: i64, timeout: Duration) -> Result<OutboxItem> {
        let deadline = Instant::now() + timeout;
        loop {
            let wait = self.pass().await;
            let row = self.ctx.store.outbox().rows(Some(id), 1)?.pop().ok_or(EntryError::NotFound { id })?;
            match row.state {
                OutboxState::Sent => return self.item(id),
                OutboxState::Attention if !row.field_errors.is_empty() => {
                    return Err(Error::validation(row.field_errors));
                }
                // (`Damaged` is History's word, never a stored state.)
                OutboxState::Attention | OutboxState::Damaged => {
                    return Err(EntryError::EntryNeedsAttention { id, cause: row.last_error.map(Box::new) }.into());
                }
                OutboxState::Queued | OutboxState::Sending => {}
            }
            let t = Instant::now();
            if t >= deadline {
                let cause = if self.banned(self.current()?.as_ref())? {
                    Some(Error::from(AmoError::AccountBanned))
                } else {
                    row.last_error
                };
                return Err(EntryError::StillQueued { id, cause: cause.map(Box::new) }.into());
            }
            tokio::time::sleep(wait.min(deadline - t).max(Duration::from_millis(20))).await;
        }
    }

    /// Removes what was typed (names, phones, e-mails, notes) from entries sent more than the
    /// retention period ago (Settings, default 30 days); their amoCRM ids, link and times stay.
    /// Returns how many entries were purged.
    pub fn purge(&self) -> Result<usize> {
        let days = i64::from(self.ctx.store.settings().load()?.retention_days);
        let n = self.ctx.store.outbox().purge_sent_before(now().saturating_sub(days * 24 * 3600))?;
        *self.last_purge.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        if n > 0 {
            tracing::info!(purged = n, days, "customer data of old sent entries removed");
        }
        Ok(n)
    }

    /// [`Outbox::purge`], at most every [`PURGE_EVERY`] (the worker calls this on every pass).
    pub(crate) fn purge_if_due(&self) -> Result<()> {
        let last = *self.last_purge.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_none_or(|t| t.elapsed() >= PURGE_EVERY) {
            self.purge()?;
        }
        Ok(())
    }

    /// Sets the back-off (tests use milliseconds).
    pub fn set_retry_timing(&self, timing: RetryTiming) {
        *self.retry_timing.lock().unwrap_or_else(|p| p.into_inner()) = timing;
    }

    fn retry_timing(&self) -> RetryTiming {
        *self.retry_timing.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn random_request_id() -> String {
    use rand::RngCore;
    let mut b = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut b);
    format!("ac-{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>())
}
