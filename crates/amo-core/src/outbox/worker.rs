//! Sends the outbox, one entry at a time, oldest first (each entry's steps by `runner.rs`).
//!
//! One worker at a time across processes: a pass holds `<data dir>/outbox.lock` (an OS lock the
//! OS drops when a process dies), so the window and a CLI command never send the same entry; an
//! entry left `sending` by a dead process is simply taken up again — with reconciliation first,
//! because its request may have reached amoCRM.
//!
//! Failures: network errors, timeouts, 5xx and 429 are retried with exponential back-off and
//! jitter, forever; the whole worker waits that long (an outage costs one request per back-off,
//! not one per entry). A 401 has already been through the session's refresh-and-retry. Field
//! errors from amoCRM put the entry in `attention`. A 403 HTML ban stops all sending to that
//! account. A row that cannot be read (damaged draft or step) is set aside in `attention` too,
//! and the entries after it are sent.
//!
//! Only the connected account's entries are taken, and each request checks again that the
//! token in hand is that account's: an entry typed for account A is never sent to account B,
//! even if B was connected while it was being sent.

use std::fs::{File, OpenOptions, TryLockError};
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;

use super::runner::Stopped;
use super::Outbox;
use crate::clock::{now, now_ms};
use crate::domain::account::AccountRef;
use crate::error::{AmoError, EntryError, Error, Result};
use crate::store::Entry;

/// Back-off between attempts: `base · 2^attempts`, capped, each with ±50 % jitter.
#[derive(Debug, Clone, Copy)]
pub struct RetryTiming {
    pub base: Duration,
    pub max: Duration,
}

impl Default for RetryTiming {
    fn default() -> Self {
        // A desktop app with a person waiting: retry soon, and at least once a minute while out.
        RetryTiming { base: Duration::from_secs(2), max: Duration::from_secs(60) }
    }
}

impl RetryTiming {
    fn delay(&self, attempts: u32) -> Duration {
        let exp = self.base.saturating_mul(1u32 << attempts.min(16)).min(self.max);
        exp.mul_f64(rand::thread_rng().gen_range(0.5..1.5))
    }
}

/// An entry refused this many times for a reason retrying cannot fix (a 400 without field
/// errors, a 413, an unpaid account) stops being retried and waits for the user.
pub const POISON_AFTER: u32 = 3;

/// While the outbox is empty, look this often for entries queued by another process.
const IDLE_POLL: Duration = Duration::from_secs(1);
/// While banned, look this often whether the user said the ban was lifted.
const BANNED_POLL: Duration = Duration::from_secs(2);

enum Outcome {
    /// Try again after the back-off; the worker pauses as long.
    Retry(Duration),
    /// The entry needs the user; go on with the next one.
    Attention,
    /// Stop sending altogether.
    Banned,
}

impl Outbox {
    /// Runs the worker until the process ends: a pass, then a wait until the next entry is due,
    /// a new entry is queued, or a retry is asked for.
    pub async fn run(self: Arc<Self>) {
        loop {
            let wait = self.pass().await;
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Sends every due entry (or until a failure says to wait); returns how long to wait before
    /// the next pass.
    pub async fn pass(&self) -> Duration {
        match self.try_pass().await {
            Ok(wait) => wait,
            Err(e) => {
                tracing::warn!(code = %e.code(), "outbox pass failed");
                self.retry_timing().max.min(Duration::from_secs(5))
            }
        }
    }

    async fn try_pass(&self) -> Result<Duration> {
        if let Err(e) = self.purge_if_due() {
            tracing::warn!(code = %e.code(), "removing old customer data failed: {e}");
        }
        let store = self.ctx.store.outbox();
        // Only the connected account's entries are due (with none connected, only those typed
        // meanwhile: they fail with `not_connected` and wait, as the user is told).
        let current = self.current()?;
        if self.banned(current.as_ref())? {
            return Ok(BANNED_POLL);
        }
        // Nothing due: no lock file to open (the window runs this every second while idle).
        let horizon = self.horizon_ms();
        match store.next_due_in_ms(now_ms(), horizon, current.as_ref())? {
            None => return Ok(IDLE_POLL),
            Some(ms) if ms > 0 => return Ok(Duration::from_millis(ms as u64).min(IDLE_POLL)),
            Some(_) => {}
        }
        let Some(_lock) = self.try_lock().await? else {
            // Another process is sending; it will take our entries too.
            return Ok(IDLE_POLL);
        };
        loop {
            // Read again for every entry: the user may switch accounts while the outbox drains.
            let current = self.current()?;
            if self.banned(current.as_ref())? {
                return Ok(BANNED_POLL);
            }
            let Some(due) = store.next_due_id(now_ms(), horizon, current.as_ref())? else {
                let next = store
                    .next_due_in_ms(now_ms(), horizon, current.as_ref())?
                    .map(|ms| Duration::from_millis(ms as u64));
                return Ok(next.map_or(IDLE_POLL, |n| n.min(IDLE_POLL)));
            };
            // A row that cannot be read is set aside for the user, not sent — and not where
            // the outbox stops: the entries after it go on.
            if let Some(why) = self.ctx.store.outbox_steps().damage_of(due)? {
                self.set_aside(due, &why)?;
                continue;
            }
            let mut entry = store.claim(due, current.as_ref(), now())?;
            let outcome = match self.run_entry(&mut entry).await {
                Ok(()) => {
                    store.record_sent(entry.id, now())?;
                    tracing::info!(id = entry.id, "sent");
                    None
                }
                Err(stopped) => Some(self.settle_failure(&entry, current.as_ref(), stopped)?),
            };
            match outcome {
                None | Some(Outcome::Attention) => continue,
                Some(Outcome::Retry(wait)) => return Ok(wait),
                Some(Outcome::Banned) => return Ok(BANNED_POLL),
            }
        }
    }

    /// What happens after an entry stopped at a failure: retried after the back-off, put before
    /// the user (with the step amoCRM refused marked so), or all sending stopped by a ban.
    fn settle_failure(&self, entry: &Entry, current: Option<&AccountRef>, stopped: Stopped) -> Result<Outcome> {
        let Stopped { seq, error: e } = stopped;
        tracing::info!(id = entry.id, code = %e.code(), attempts = entry.attempts, "send failed: {e}");
        let store = self.ctx.store.outbox();
        match e {
            // The step already named its fields as the form's (`steps/`).
            Error::Entry(EntryError::Validation(fields)) => {
                store.record_attention(entry.id, &Error::validation(fields.clone()), &fields, seq, now())?;
                Ok(Outcome::Attention)
            }
            Error::Amo(AmoError::AccountBanned) => {
                if let Some(c) = current {
                    self.ctx.store.api_block().set_banned(&c.domain, now())?;
                }
                store.record_retry(entry.id, &e, now_ms(), now())?;
                tracing::warn!("amoCRM banned the account's API; sending stopped");
                Ok(Outcome::Banned)
            }
            Error::Amo(AmoError::Forbidden { .. } | AmoError::AmoNotFound { .. } | AmoError::LeadNotFound { .. })
            | Error::Entry(EntryError::ReconcileAmbiguous { .. }) => {
                store.record_attention(entry.id, &e, &[], seq, now())?;
                Ok(Outcome::Attention)
            }
            // Somebody changed the record since the user read it: both versions wait for the
            // user (keep theirs, or send mine) — never overwritten silently.
            Error::Entry(EntryError::Conflict { .. }) => {
                tracing::info!(id = entry.id, "the record changed in amoCRM since it was read; waiting for the user");
                store.record_attention(entry.id, &e, &[], seq, now())?;
                Ok(Outcome::Attention)
            }
            // Perhaps a passing glitch of amoCRM's front end (or the bill is being paid): a few
            // more tries, then the user decides — never a request sent forever.
            Error::Amo(AmoError::RequestRefused { .. } | AmoError::NotPaid) if entry.attempts + 1 >= POISON_AFTER => {
                tracing::warn!(id = entry.id, code = %e.code(), "refused {POISON_AFTER} times; needs attention");
                store.record_attention(entry.id, &e, &[], seq, now())?;
                Ok(Outcome::Attention)
            }
            _ => {
                let wait = self.retry_timing().delay(entry.attempts);
                store.record_retry(entry.id, &e, now_ms() + wait.as_millis() as i64, now())?;
                Ok(Outcome::Retry(wait))
            }
        }
    }

    /// Puts an entry whose row cannot be read before the user (needing attention: History shows
    /// it as damaged, by its id, with discard), so the worker does not stop at it every pass.
    fn set_aside(&self, id: i64, why: &str) -> Result<()> {
        tracing::error!(id, "outbox entry cannot be read; set aside, not sent: {why}");
        let e = Error::storage(format!("entry #{id} cannot be read: {why}"));
        self.ctx.store.outbox().record_attention(id, &e, &[], None, now())
    }

    /// No entry is scheduled further ahead than this: the longest back-off with its jitter,
    /// and a margin (see `OutboxTable::next_due_id` on clocks set back).
    fn horizon_ms(&self) -> i64 {
        let max = self.retry_timing().max.mul_f64(1.5) + Duration::from_secs(5);
        i64::try_from(max.as_millis()).unwrap_or(i64::MAX)
    }

    async fn try_lock(&self) -> Result<Option<File>> {
        let path = self.ctx.data.root().join("outbox.lock");
        tokio::task::spawn_blocking(move || -> Result<Option<File>> {
            let file =
                OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(Error::lock_file)?;
            match file.try_lock() {
                Ok(()) => Ok(Some(file)),
                Err(TryLockError::WouldBlock) => Ok(None),
                Err(TryLockError::Error(e)) => Err(Error::lock_file(e)),
            }
        })
        .await
        .map_err(Error::internal)?
    }
}
