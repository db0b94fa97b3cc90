//! The durable outbox: every lead or contact the user submits is a row in SQLite before any
//! network call, and stays there until amoCRM has it.
//!
//! States: `queued` (waiting, possibly after a failure — retried with back-off forever),
//! `sending` (a worker has it), `sent` (amoCRM's ids recorded), `attention` (amoCRM or we found
//! something only the user can fix; editable and resendable). A 403 HTML ban stops all sending
//! until the user says support lifted it (`outbox retry`).
//!
//! Exactly once: the `created_at` sent to amoCRM is the entry's `marker_at`, unique across the
//! outbox. Before a create is sent, `create_sent` is set; if the process dies (or the answer is
//! lost) before amoCRM's id is recorded, the next attempt first looks the entry up in amoCRM
//! (`reconcile`) and only sends again if it is not there. Notes the same way, by text on the
//! recorded lead. Nothing technical is added to the user's amoCRM.
//!
//! Every entry belongs to the account it was typed for (recorded when it is queued, or at its
//! first attempt if none was connected): it is sent only while that account is connected, and
//! waits — shown as "for another account", with keep or discard — while another one is
//! (`domain::account::AccountRef`).
//!
//! This file is the outbox's front: queue, list, edit, retry, wait. `worker` sends.

mod reconcile;
mod worker;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::auth::session::Session;
use crate::clock::{now, now_ms, rfc3339};
use crate::context::Ctx;
use crate::domain::account::AccountRef;
use crate::domain::draft::{ContactDraft, Draft, DraftKind, FollowupDraft, LeadDraft};
use crate::domain::lang::Lang;
use crate::domain::outbox::{OutboxItem, OutboxState, OutboxSummary};
use crate::domain::platform::Platform;
use crate::domain::reference::{record_url, RecordKind};
use crate::error::{AmoError, EntryError, Error, NotEditable, Result};
use crate::store::OutboxRow;

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
        self.ctx.store.account().load().ok().flatten().map(|r| r.platform).unwrap_or_default()
    }

    /// The account connected now, if any: the one entries are queued for and sent to.
    pub(super) fn current(&self) -> Result<Option<AccountRef>> {
        Ok(self.ctx.store.account().load()?.map(|a| AccountRef::of(&a)))
    }

    /// Checks a lead and queues it; returns at once (the worker sends it). Nothing invalid is
    /// queued: field errors come back as `validation`.
    pub fn queue_lead(&self, draft: &LeadDraft) -> Result<OutboxItem> {
        self.queue(Draft::Lead(draft.clone()))
    }

    pub fn queue_contact(&self, draft: &ContactDraft) -> Result<OutboxItem> {
        self.queue(Draft::Contact(draft.clone()))
    }

    /// Queues a draft already checked against the account. A follow-up names a lead of the
    /// connected account, so it is refused while none is connected (it would go to whichever
    /// account is connected next, where that id is someone else's lead).
    pub fn queue_draft(&self, draft: Draft) -> Result<OutboxItem> {
        if draft.kind() == DraftKind::Followup && self.current()?.is_none() {
            return Err(AmoError::NotConnected.into());
        }
        self.queue(draft)
    }

    /// Queues for the connected account. Typed while none is connected (before the first
    /// connection, say), it is kept for the next account connected, and belongs to that one from
    /// its first attempt on.
    fn queue(&self, draft: Draft) -> Result<OutboxItem> {
        let clean = draft.validated(self.platform()).map_err(Error::validation)?;
        let account = self.current()?;
        let id = self.ctx.store.outbox().insert(&clean, &random_request_id(), account.as_ref(), now(), now_ms())?;
        tracing::info!(id, kind = clean.kind().as_str(), "queued");
        self.wake.notify_one();
        self.item(id)
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
        Ok(rows.into_iter().map(|r| view(r, current.as_ref(), lang)).collect())
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

    /// Replaces the draft of an entry that needs attention (or waits and was never sent) and
    /// queues it again.
    pub fn update(&self, id: i64, draft: Draft) -> Result<OutboxItem> {
        let draft = draft.validated(self.platform()).map_err(Error::validation)?;
        let current = self.item(id)?;
        let not_editable = |why| Error::from(EntryError::EntryNotEditable { id, why });
        if current.draft.kind() != draft.kind() {
            return Err(not_editable(NotEditable::KindChanges));
        }
        if current.locked && current.task_editable && without_task(&current.draft) == without_task(&draft) {
            // The lead (and note) are in amoCRM; only the task that has not reached it changes.
            if !self.ctx.store.outbox().replace_unsent_task(id, &draft, now(), now_ms())? {
                return Err(not_editable(NotEditable::MayBeInAmocrm));
            }
            self.wake.notify_one();
            return self.item(id);
        }
        if current.locked
            && matches!(current.draft, Draft::Contact(_))
            && current.state != OutboxState::Sent
            && without_company(&current.draft) == without_company(&draft)
        {
            // The contact may be in amoCRM; only its company, not made yet, changes (a picked
            // company amoCRM does not have, a refused new one).
            if !self.ctx.store.outbox().replace_unsent_company(id, &draft, now(), now_ms())? {
                return Err(not_editable(NotEditable::MayBeInAmocrm));
            }
            self.wake.notify_one();
            return self.item(id);
        }
        if current.locked || current.state == OutboxState::Sending {
            return Err(not_editable(NotEditable::MayBeInAmocrm));
        }
        // The worker may have taken it meanwhile: then nothing is updated, and the edit is refused
        // rather than silently lost.
        if !self.ctx.store.outbox().replace_draft(id, &draft, now(), now_ms())? {
            return Err(not_editable(NotEditable::MayBeInAmocrm));
        }
        self.wake.notify_one();
        self.item(id)
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
            let wait = self.pass(&|| {}).await;
            let row = self.ctx.store.outbox().rows(Some(id), 1)?.pop().ok_or(EntryError::NotFound { id })?;
            match row.state {
                OutboxState::Sent => return self.item(id),
                OutboxState::Attention if !row.field_errors.is_empty() => {
                    return Err(Error::validation(row.field_errors));
                }
                OutboxState::Attention => {
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

/// One row as the history shows it. The connected account (`current`) builds links for entries
/// sent before the domain was recorded with them.
fn view(r: OutboxRow, current: Option<&AccountRef>, lang: Lang) -> OutboxItem {
    let other_account = match (&r.account, current) {
        (Some(mine), Some(now)) => !mine.same_as(now),
        (Some(_), None) => true,
        (None, _) => false,
    };
    let host =
        r.domain.as_deref().or(r.account.as_ref().map(|a| a.domain.as_str())).or(current.map(|c| c.domain.as_str()));
    let link = |kind: RecordKind, id: Option<i64>| Some(record_url(host?, kind, id?));
    // Something of it may be in amoCRM: the lead, or (for a follow-up) its note or task.
    let locked = r.create_sent
        || (r.lead_id.is_some() && r.draft.kind() != DraftKind::Followup)
        || r.note_sent
        || r.note_id.is_some()
        || r.task_sent
        || r.task_id.is_some()
        || r.state == OutboxState::Sent;
    let has_task = match &r.draft {
        Draft::Lead(l) => l.task.is_some(),
        Draft::Followup(f) => f.task.is_some(),
        Draft::Contact(_) => false,
    };
    let task_editable = locked
        && has_task
        && !r.task_sent
        && r.task_id.is_none()
        && matches!(r.state, OutboxState::Queued | OutboxState::Attention);
    OutboxItem {
        id: r.id,
        state: r.state,
        title: r.draft.title(),
        created_at: rfc3339(r.created_at),
        updated_at: rfc3339(r.updated_at),
        attempts: r.attempts,
        next_attempt_at: (r.state == OutboxState::Queued).then(|| rfc3339(r.next_attempt_ms / 1000)),
        error: r.last_error.as_ref().map(|e| e.to_payload(lang)),
        field_errors: r.field_errors.iter().map(|f| f.view(lang)).collect(),
        lead_id: r.lead_id,
        contact_id: r.contact_id,
        note_id: r.note_id,
        task_id: r.task_id,
        merged: r.merged,
        lead_url: link(RecordKind::Lead, r.lead_id),
        contact_url: link(RecordKind::Contact, r.contact_id),
        sent_at: r.sent_at.map(rfc3339),
        locked,
        task_editable,
        purged: r.purged,
        account_domain: r.account.map(|a| a.domain),
        other_account,
        draft: r.draft,
    }
}

/// A contact's draft as it would be without its company (to tell a company-only change).
fn without_company(d: &Draft) -> Draft {
    match d {
        Draft::Contact(c) => Draft::Contact(ContactDraft { company: None, existing_company_id: None, ..c.clone() }),
        other => other.clone(),
    }
}

/// The draft as it would be without its task (to tell a task-only change).
fn without_task(d: &Draft) -> Draft {
    match d {
        Draft::Lead(l) => Draft::Lead(LeadDraft { task: None, ..l.clone() }),
        Draft::Followup(f) => Draft::Followup(FollowupDraft { task: None, ..f.clone() }),
        other => other.clone(),
    }
}

fn random_request_id() -> String {
    use rand::RngCore;
    let mut b = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut b);
    format!("ac-{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>())
}
