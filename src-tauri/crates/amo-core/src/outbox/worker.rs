//! Sends the outbox, one entry at a time, oldest first.
//!
//! One worker at a time across processes: a pass holds `<data dir>/outbox.lock` (an OS lock the
//! OS drops when a process dies), so the window and a CLI command never send the same entry; an
//! entry left `sending` by a dead process is simply taken up again — with reconciliation first,
//! because its request may have reached amoCRM.
//!
//! Failures: network errors, timeouts, 5xx and 429 are retried with exponential back-off and
//! jitter, forever; the whole worker waits that long (an outage costs one request per back-off,
//! not one per entry). A 401 has already been through the session's refresh-and-retry. Field
//! errors from amoCRM put the entry in `attention`. A 403 HTML ban stops all sending.

use std::fs::{File, OpenOptions, TryLockError};
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;

use super::{now_ms, Draft, Entry};
use crate::api::{ContactMatch, LeadSummary};
use crate::error::{Error, Result};
use crate::model::{amo_field_errors, ContactDraft, LeadDraft};
use crate::service::AmoConnect;

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

impl AmoConnect {
    /// Sets the back-off (tests use milliseconds).
    pub fn set_retry_timing(&self, timing: RetryTiming) {
        *self.retry_timing.lock().unwrap_or_else(|p| p.into_inner()) = timing;
    }

    fn retry_timing(&self) -> RetryTiming {
        *self.retry_timing.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends every due entry (or until a failure says to wait); returns how long to wait before
    /// the next pass. `on_change` is called after every state change (the window pushes an
    /// event).
    pub async fn outbox_pass(&self, on_change: &(dyn Fn() + Send + Sync)) -> Duration {
        match self.try_outbox_pass(on_change).await {
            Ok(wait) => wait,
            Err(e) => {
                tracing::warn!(code = e.code(), "outbox pass failed");
                self.retry_timing().max.min(Duration::from_secs(5))
            }
        }
    }

    async fn try_outbox_pass(&self, on_change: &(dyn Fn() + Send + Sync)) -> Result<Duration> {
        if self.is_banned()? {
            return Ok(BANNED_POLL);
        }
        // Nothing due: no lock file to open (the window runs this every second while idle).
        match self.next_due_in_ms()? {
            None => return Ok(IDLE_POLL),
            Some(ms) if ms > 0 => return Ok(Duration::from_millis(ms as u64).min(IDLE_POLL)),
            Some(_) => {}
        }
        let Some(_lock) = self.try_lock_outbox().await? else {
            // Another process is sending; it will take our entries too.
            return Ok(IDLE_POLL);
        };
        loop {
            if self.is_banned()? {
                return Ok(BANNED_POLL);
            }
            let Some(due) = self.next_due_id()? else {
                let next = self.next_due_in_ms()?.map(|ms| Duration::from_millis(ms as u64));
                return Ok(next.map_or(IDLE_POLL, |n| n.min(IDLE_POLL)));
            };
            let entry = self.claim_entry(due)?;
            on_change();
            let result = self.send_entry(&entry).await;
            let outcome = match result {
                Ok(()) => {
                    self.record_sent(entry.id)?;
                    tracing::info!(id = entry.id, "sent");
                    None
                }
                Err(e) => Some(self.settle_failure(&entry, e)?),
            };
            on_change();
            match outcome {
                None | Some(Outcome::Attention) => continue,
                Some(Outcome::Retry(wait)) => return Ok(wait),
                Some(Outcome::Banned) => return Ok(BANNED_POLL),
            }
        }
    }

    fn settle_failure(&self, entry: &Entry, e: Error) -> Result<Outcome> {
        tracing::info!(id = entry.id, code = e.code(), attempts = entry.attempts, "send failed");
        match e {
            Error::Validation(raw) => {
                let fields = match &entry.draft {
                    Draft::Lead(d) => amo_field_errors(&raw, |p| d.field_for(p)),
                    Draft::Contact(d) => amo_field_errors(&raw, |p| d.field_for("", p)),
                };
                self.record_attention(entry.id, &Error::Validation(fields.clone()), &fields)?;
                Ok(Outcome::Attention)
            }
            Error::AccountBanned => {
                self.set_banned()?;
                self.record_retry(entry.id, &e, now_ms())?;
                tracing::warn!("amoCRM banned the account's API; sending stopped");
                Ok(Outcome::Banned)
            }
            Error::Forbidden(_) | Error::NotFound(_) => {
                self.record_attention(entry.id, &e, &[])?;
                Ok(Outcome::Attention)
            }
            _ => {
                let wait = self.retry_timing().delay(entry.attempts);
                self.record_retry(entry.id, &e, now_ms() + wait.as_millis() as i64)?;
                Ok(Outcome::Retry(wait))
            }
        }
    }

    async fn try_lock_outbox(&self) -> Result<Option<File>> {
        let path = self.data.root().join("outbox.lock");
        tokio::task::spawn_blocking(move || -> Result<Option<File>> {
            let file = OpenOptions::new().create(true).truncate(false).write(true).open(&path)?;
            match file.try_lock() {
                Ok(()) => Ok(Some(file)),
                Err(TryLockError::WouldBlock) => Ok(None),
                Err(TryLockError::Error(e)) => Err(e.into()),
            }
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
    }

    async fn send_entry(&self, entry: &Entry) -> Result<()> {
        match &entry.draft {
            Draft::Lead(d) => self.send_lead(entry, d).await,
            Draft::Contact(d) => self.send_contact(entry, d).await,
        }
    }

    /// Lead + contact in one `/leads/complex` call, then the note: at most two requests.
    async fn send_lead(&self, entry: &Entry, d: &LeadDraft) -> Result<()> {
        let mut lead_id = entry.lead_id;
        if lead_id.is_none() && entry.create_sent {
            if let Some(found) = self.reconcile_lead(entry, d).await? {
                tracing::info!(id = entry.id, "found in amoCRM after an interrupted send; not sending again");
                self.record_created(entry.id, Some(found.id), found.contact_ids.first().copied(), false)?;
                lead_id = Some(found.id);
            }
        }
        let lead_id = match lead_id {
            Some(id) => id,
            None => {
                let body = d.to_complex(entry.marker_at, &entry.request_id);
                self.set_entry_flag(entry.id, "create_sent", true)?;
                let answer = self
                    .with_token(|a| {
                        let body = &body;
                        async move { self.api().add_lead_complex(&a.domain, &a.token, body).await }
                    })
                    .await;
                match answer {
                    Ok(r) => {
                        self.record_created(entry.id, Some(r.id), r.contact_id, r.merged)?;
                        r.id
                    }
                    Err(e) => {
                        if never_processed(&e) {
                            self.set_entry_flag(entry.id, "create_sent", false)?;
                        }
                        return Err(e);
                    }
                }
            }
        };
        if d.note.is_empty() || entry.note_id.is_some() {
            return Ok(());
        }
        if entry.note_sent {
            let notes =
                self.with_token(|a| async move { self.api().lead_notes(&a.domain, &a.token, lead_id).await }).await?;
            if let Some(n) = notes.iter().find(|n| n.note_type == "common" && n.text == d.note) {
                self.record_note(entry.id, n.id)?;
                return Ok(());
            }
        }
        self.set_entry_flag(entry.id, "note_sent", true)?;
        let answer = self
            .with_token(|a| async move { self.api().add_lead_note(&a.domain, &a.token, lead_id, &d.note).await })
            .await;
        match answer {
            Ok(note_id) => self.record_note(entry.id, note_id),
            Err(e) => {
                if never_processed(&e) {
                    self.set_entry_flag(entry.id, "note_sent", false)?;
                }
                Err(e)
            }
        }
    }

    async fn send_contact(&self, entry: &Entry, d: &ContactDraft) -> Result<()> {
        if entry.contact_id.is_some() {
            return Ok(());
        }
        if entry.create_sent {
            if let Some(found) = self.reconcile_contact(entry, d).await? {
                tracing::info!(id = entry.id, "found in amoCRM after an interrupted send; not sending again");
                return self.record_created(entry.id, None, Some(found.id), false);
            }
        }
        let body = d.to_amo(Some(entry.marker_at), Some(&entry.request_id));
        self.set_entry_flag(entry.id, "create_sent", true)?;
        let answer = self
            .with_token(|a| {
                let body = &body;
                async move { self.api().add_contact(&a.domain, &a.token, body).await }
            })
            .await;
        match answer {
            Ok(id) => self.record_created(entry.id, None, Some(id), false),
            Err(e) => {
                if never_processed(&e) {
                    self.set_entry_flag(entry.id, "create_sent", false)?;
                }
                Err(e)
            }
        }
    }

    /// The lead this entry created, if a create reached amoCRM: same name and our unique
    /// `created_at`, not owned by another entry. Looked for by amoCRM's search and among the
    /// newest leads (in case the search index lags behind).
    async fn reconcile_lead(&self, entry: &Entry, d: &LeadDraft) -> Result<Option<LeadSummary>> {
        for (query, order) in [(Some(d.name.as_str()), "order[created_at]=desc"), (None, "order[id]=desc")] {
            let page = self
                .with_token(|a| async move {
                    self.api().leads_page(&a.domain, &a.token, 1, crate::api::MAX_PAGE, query, order).await
                })
                .await?;
            for l in page.0 {
                if l.name == d.name && l.created_at == entry.marker_at && !self.id_claimed("lead_id", l.id, entry.id)? {
                    return Ok(Some(l));
                }
            }
        }
        Ok(None)
    }

    async fn reconcile_contact(&self, entry: &Entry, d: &ContactDraft) -> Result<Option<ContactMatch>> {
        let name = d.display_name();
        for query in [Some(name.as_str()), None] {
            let found = self
                .with_token(|a| async move { self.api().recent_contacts(&a.domain, &a.token, query).await })
                .await?;
            for (c, created_at) in found {
                if c.name == name && created_at == entry.marker_at && !self.id_claimed("contact_id", c.id, entry.id)? {
                    return Ok(Some(c));
                }
            }
        }
        Ok(None)
    }
}

/// Errors after which amoCRM certainly did not act on the request, so no reconciliation is
/// needed next time. A timeout, a dropped connection or a 5xx may have been processed.
fn never_processed(e: &Error) -> bool {
    matches!(
        e,
        Error::Validation(_)
            | Error::RateLimited
            | Error::Unauthorized
            | Error::AccountBanned
            | Error::Forbidden(_)
            | Error::NotConnected
            | Error::TokenRevoked(_)
            | Error::TokenRejected(_)
    )
}

/// Runs the worker until the process ends: a pass, then a wait until the next entry is due, a
/// new entry is queued, or a retry is asked for.
pub async fn run_worker<F>(app: Arc<AmoConnect>, on_change: F)
where
    F: Fn() + Send + Sync + 'static,
{
    loop {
        let wait = app.outbox_pass(&on_change).await;
        tokio::select! {
            _ = app.outbox_wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}
