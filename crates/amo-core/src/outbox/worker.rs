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
//! errors from amoCRM put the entry in `attention`. A 403 HTML ban stops all sending to that
//! account.
//!
//! Only the connected account's entries are taken, and each request checks again that the
//! token in hand is that account's: an entry typed for account A is never sent to account B,
//! even if B was connected while it was being sent.

use std::fs::{File, OpenOptions, TryLockError};
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;

use super::Outbox;
use crate::amocrm::wire;
use crate::clock::{now, now_ms};
use crate::domain::account::AccountRef;
use crate::domain::draft::{CompanyDraft, ContactDraft, Draft, FollowupDraft, LeadDraft};
use crate::domain::task::TaskDraft;
use crate::domain::tokens::Access;
use crate::error::{AmoError, EntryError, Error, NetworkProblem, Result, SignInError};
use crate::store::{Entry, EntryFlag};

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
    pub async fn run(self: Arc<Self>, on_change: impl Fn() + Send + Sync + 'static) {
        loop {
            let wait = self.pass(&on_change).await;
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Sends every due entry (or until a failure says to wait); returns how long to wait before
    /// the next pass. `on_change` is called after every state change (the window pushes an
    /// event).
    pub async fn pass(&self, on_change: &(dyn Fn() + Send + Sync)) -> Duration {
        match self.try_pass(on_change).await {
            Ok(wait) => wait,
            Err(e) => {
                tracing::warn!(code = %e.code(), "outbox pass failed");
                self.retry_timing().max.min(Duration::from_secs(5))
            }
        }
    }

    async fn try_pass(&self, on_change: &(dyn Fn() + Send + Sync)) -> Result<Duration> {
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
            let entry = store.claim(due, current.as_ref(), now())?;
            on_change();
            let outcome = match self.send_entry(&entry).await {
                Ok(()) => {
                    store.record_sent(entry.id, now())?;
                    tracing::info!(id = entry.id, "sent");
                    None
                }
                Err(e) => Some(self.settle_failure(&entry, current.as_ref(), e)?),
            };
            on_change();
            match outcome {
                None | Some(Outcome::Attention) => continue,
                Some(Outcome::Retry(wait)) => return Ok(wait),
                Some(Outcome::Banned) => return Ok(BANNED_POLL),
            }
        }
    }

    fn settle_failure(&self, entry: &Entry, current: Option<&AccountRef>, e: Error) -> Result<Outcome> {
        tracing::info!(id = entry.id, code = %e.code(), attempts = entry.attempts, "send failed: {e}");
        let store = self.ctx.store.outbox();
        match e {
            Error::Entry(EntryError::Validation(raw)) => {
                let fields = match &entry.draft {
                    Draft::Lead(d) => wire::remap_fields(&raw, |p| wire::lead_field(d, p)),
                    // Each request of a contact entry (the contact, its company, the link)
                    // names its own fields as it fails; so do a follow-up's.
                    Draft::Contact(_) | Draft::Followup(_) => raw,
                };
                store.record_attention(entry.id, &Error::validation(fields.clone()), &fields, now())?;
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
            Error::Amo(AmoError::Forbidden { .. } | AmoError::AmoNotFound { .. })
            | Error::Entry(EntryError::ReconcileAmbiguous { .. }) => {
                store.record_attention(entry.id, &e, &[], now())?;
                Ok(Outcome::Attention)
            }
            // Perhaps a passing glitch of amoCRM's front end (or the bill is being paid): a few
            // more tries, then the user decides — never a request sent forever.
            Error::Amo(AmoError::RequestRefused { .. } | AmoError::NotPaid) if entry.attempts + 1 >= POISON_AFTER => {
                tracing::warn!(id = entry.id, code = %e.code(), "refused {POISON_AFTER} times; needs attention");
                store.record_attention(entry.id, &e, &[], now())?;
                Ok(Outcome::Attention)
            }
            _ => {
                let wait = self.retry_timing().delay(entry.attempts);
                store.record_retry(entry.id, &e, now_ms() + wait.as_millis() as i64, now())?;
                Ok(Outcome::Retry(wait))
            }
        }
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

    /// Refuses a request unless the connected account is the entry's and `access` (the token
    /// about to be used) is that account's: the last check before customer data leaves.
    fn check_bound(&self, entry: &Entry, access: Option<&Access>) -> Result<()> {
        let Some(current) = self.ctx.store.account().load()? else { return Err(AmoError::NotConnected.into()) };
        let other = |domain: &str| EntryError::OtherAccount { id: entry.id, domain: domain.to_string() }.into();
        if let Some(mine) = &entry.account {
            if !mine.same_as(&AccountRef::of(&current)) {
                return Err(other(&mine.domain));
            }
        }
        match access {
            Some(a) if !a.domain.eq_ignore_ascii_case(&current.domain) => Err(other(&a.domain)),
            _ => Ok(()),
        }
    }

    async fn send_entry(&self, entry: &Entry) -> Result<()> {
        self.check_bound(entry, None)?;
        match &entry.draft {
            Draft::Lead(d) => self.send_lead(entry, d).await,
            Draft::Contact(d) => self.send_contact(entry, d).await,
            Draft::Followup(d) => self.send_followup(entry, d).await,
        }
    }

    /// The connected account's host, recorded with what it created.
    fn domain(&self) -> Result<Option<String>> {
        Ok(self.ctx.store.account().load()?.map(|r| r.domain))
    }

    /// Lead + contact + company in one `/leads/complex` call, then the note, then the task: at
    /// most three requests.
    async fn send_lead(&self, entry: &Entry, d: &LeadDraft) -> Result<()> {
        let store = self.ctx.store.outbox();
        let api = self.ctx.amo.api();
        let mut lead_id = entry.lead_id;
        if lead_id.is_none() && entry.create_sent && d.unsorted {
            // An incoming lead still waiting in Incoming leads is found exactly by the
            // `source_uid` it was sent with; one accepted meanwhile, like any lead, below.
            if let Some(found) = self.session.with_token(|a| api.unsorted_by_source_uid(a, &entry.request_id)).await? {
                tracing::info!(id = entry.id, "found in Incoming leads after an interrupted send; not sending again");
                store.record_created(
                    entry.id,
                    Some(found.id),
                    found.contact_id,
                    false,
                    self.domain()?.as_deref(),
                    now(),
                )?;
                lead_id = Some(found.id);
            }
        }
        if lead_id.is_none() && entry.create_sent {
            if let Some(found) = self.reconcile_lead(entry, d).await? {
                tracing::info!(id = entry.id, "found in amoCRM after an interrupted send; not sending again");
                store.record_created(
                    entry.id,
                    Some(found.id),
                    found.contact_ids.first().copied(),
                    false,
                    self.domain()?.as_deref(),
                    now(),
                )?;
                lead_id = Some(found.id);
            }
        }
        let lead_id = match lead_id {
            Some(id) => id,
            None => {
                // An incoming lead goes through the unsorted API, which takes the same lead,
                // contact and company (docs/amocrm-api.md §8.13).
                let body = if d.unsorted {
                    wire::unsorted_form_body(d, entry.marker_at, &entry.request_id)
                } else {
                    wire::complex_lead_body(d, entry.marker_at, &entry.request_id)
                };
                store.set_flag(entry.id, EntryFlag::CreateSent, true)?;
                let (api, body) = (&api, &body);
                let send = |a: Access| async move {
                    self.check_bound(entry, Some(&a))?;
                    if d.unsorted {
                        api.add_unsorted_form(a, body).await
                    } else {
                        api.add_lead_complex(a, body).await
                    }
                };
                match self.session.with_token(send).await {
                    Ok(r) => {
                        store.record_created(
                            entry.id,
                            Some(r.id),
                            r.contact_id,
                            r.merged,
                            self.domain()?.as_deref(),
                            now(),
                        )?;
                        r.id
                    }
                    Err(e) => {
                        if never_processed(&e) {
                            store.set_flag(entry.id, EntryFlag::CreateSent, false)?;
                        }
                        return Err(e);
                    }
                }
            }
        };
        self.send_note(entry, lead_id, &d.note).await?;
        match &d.task {
            Some(t) => self.send_task(entry, lead_id, t, d.responsible_user_id).await,
            None => Ok(()),
        }
    }

    /// A note and/or a task on a lead that already exists (the existing customer's open lead).
    async fn send_followup(&self, entry: &Entry, d: &FollowupDraft) -> Result<()> {
        self.send_note(entry, d.lead_id, &d.note).await?;
        if let Some(t) = &d.task {
            self.send_task(entry, d.lead_id, t, d.responsible_user_id).await?;
        }
        // The lead it went to, for History's link (recorded once everything is there, so an
        // entry not yet sent stays editable).
        self.ctx.store.outbox().record_created(entry.id, Some(d.lead_id), None, false, self.domain()?.as_deref(), now())
    }

    /// The entry's note on `lead_id`, once: a note that may have arrived is looked for first.
    async fn send_note(&self, entry: &Entry, lead_id: i64, text: &str) -> Result<()> {
        if text.is_empty() || entry.note_id.is_some() {
            return Ok(());
        }
        let store = self.ctx.store.outbox();
        let api = self.ctx.amo.api();
        if entry.note_sent {
            let notes = self.session.with_token(|a| api.lead_notes(a, lead_id)).await?;
            let ours = super::reconcile::normalized_note(text);
            let me = self.me().await?;
            // On an existing lead others' notes are there already: ours is the connected
            // user's, made after the entry was queued, with its text.
            if let Some(n) = notes.iter().find(|n| {
                n.note_type == "common"
                    && n.created_by == me
                    && super::reconcile::made_after(n.created_at, entry.queued_at)
                    && super::reconcile::normalized_note(&n.text) == ours
            }) {
                return store.record_note(entry.id, n.id, now());
            }
        }
        store.set_flag(entry.id, EntryFlag::NoteSent, true)?;
        let api = &api;
        let send = |a: Access| async move {
            self.check_bound(entry, Some(&a))?;
            api.add_lead_note(a, lead_id, text).await
        };
        match self.session.with_token(send).await {
            Ok(note_id) => store.record_note(entry.id, note_id, now()),
            Err(e) => {
                if never_processed(&e) {
                    store.set_flag(entry.id, EntryFlag::NoteSent, false)?;
                }
                // A refused note is the note field — or the lead, when amoCRM has no such lead.
                Err(match e {
                    Error::Entry(EntryError::Validation(raw)) => Error::validation(wire::remap_fields(&raw, |p| {
                        if p.contains("entity_id") { "lead_id" } else { "note" }.to_string()
                    })),
                    e => e,
                })
            }
        }
    }

    /// The entry's task on `lead_id`, once: a task that may have arrived (same text, same due
    /// moment, on that lead) is looked for first (docs/amocrm-api.md §8.8).
    async fn send_task(&self, entry: &Entry, lead_id: i64, t: &TaskDraft, responsible: Option<i64>) -> Result<()> {
        if entry.task_id.is_some() {
            return Ok(());
        }
        let store = self.ctx.store.outbox();
        let api = self.ctx.amo.api();
        let due = t.complete_till().ok_or_else(|| Error::internal("a queued task has a fixed due time"))?;
        if entry.task_sent {
            let tasks = self.session.with_token(|a| api.lead_tasks(a, lead_id)).await?;
            let (me, ours) = (self.me().await?, super::reconcile::normalized_note(&t.text));
            if let Some(found) = tasks.iter().find(|x| {
                x.complete_till == due
                    && x.created_by == me
                    && super::reconcile::made_after(x.created_at, entry.queued_at)
                    && super::reconcile::normalized_note(&x.text) == ours
            }) {
                tracing::info!(id = entry.id, "task found in amoCRM after an interrupted send; not sending again");
                return store.record_task(entry.id, found.id, now());
            }
        }
        let body = wire::task_body(t, lead_id, responsible, &entry.request_id);
        store.set_flag(entry.id, EntryFlag::TaskSent, true)?;
        let (api, body) = (&api, &body);
        let send = |a: Access| async move {
            self.check_bound(entry, Some(&a))?;
            api.add_task(a, body).await
        };
        match self.session.with_token(send).await {
            Ok(task_id) => store.record_task(entry.id, task_id, now()),
            Err(e) => {
                if never_processed(&e) {
                    store.set_flag(entry.id, EntryFlag::TaskSent, false)?;
                }
                // The task's own paths, named as the form's task fields before the entry's
                // mapping sees them (it keeps `task.` names as they are).
                Err(match e {
                    Error::Entry(EntryError::Validation(raw)) => {
                        Error::validation(wire::remap_fields(&raw, |p| wire::task_field("task.", p)))
                    }
                    e => e,
                })
            }
        }
    }

    /// The contact, then its company (a new one created, or the one picked), then the link
    /// between them: at most three requests (docs/amocrm-api.md §8.14).
    async fn send_contact(&self, entry: &Entry, d: &ContactDraft) -> Result<()> {
        let contact_id = match entry.contact_id {
            Some(id) => id,
            None => self.create_contact(entry, d).await?,
        };
        let company_id = match (d.existing_company_id, &d.company) {
            (Some(id), _) => id,
            (None, Some(c)) => self.create_company(entry, c, d.responsible_user_id).await?,
            (None, None) => return Ok(()),
        };
        // Linking twice changes nothing, so an interrupted link is simply sent again.
        let api = self.ctx.amo.api();
        let api = &api;
        let send = |a: Access| async move {
            self.check_bound(entry, Some(&a))?;
            api.link_contact_to_company(a, contact_id, company_id).await
        };
        self.session.with_token(send).await.map_err(|e| match e {
            // The company the contact was to join is gone or refused.
            Error::Entry(EntryError::Validation(raw)) => Error::validation(wire::remap_fields(&raw, |_| {
                if d.existing_company_id.is_some() { "existing_company_id" } else { "company.name" }.into()
            })),
            e => e,
        })
    }

    async fn create_contact(&self, entry: &Entry, d: &ContactDraft) -> Result<i64> {
        let store = self.ctx.store.outbox();
        if entry.create_sent {
            if let Some(found) = self.reconcile_contact(entry, d).await? {
                tracing::info!(id = entry.id, "found in amoCRM after an interrupted send; not sending again");
                store.record_created(entry.id, None, Some(found.id), false, self.domain()?.as_deref(), now())?;
                return Ok(found.id);
            }
        }
        let body = wire::contact_body(d, Some(entry.marker_at), Some(&entry.request_id));
        store.set_flag(entry.id, EntryFlag::CreateSent, true)?;
        let api = self.ctx.amo.api();
        let (api, body) = (&api, &body);
        let send = |a: Access| async move {
            self.check_bound(entry, Some(&a))?;
            api.add_contact(a, body).await
        };
        match self.session.with_token(send).await {
            Ok(id) => {
                store.record_created(entry.id, None, Some(id), false, self.domain()?.as_deref(), now())?;
                Ok(id)
            }
            Err(e) => {
                if never_processed(&e) {
                    store.set_flag(entry.id, EntryFlag::CreateSent, false)?;
                }
                Err(match e {
                    Error::Entry(EntryError::Validation(raw)) => {
                        Error::validation(wire::remap_fields(&raw, |p| wire::contact_field(d, "", p)))
                    }
                    e => e,
                })
            }
        }
    }

    /// A contact's new company, once: one that may have arrived is looked for first (same
    /// name, made by the connected user in the entry's marker second, not another entry's).
    async fn create_company(&self, entry: &Entry, c: &CompanyDraft, responsible: Option<i64>) -> Result<i64> {
        if let Some(id) = entry.company_id {
            return Ok(id);
        }
        let store = self.ctx.store.outbox();
        let api = self.ctx.amo.api();
        if entry.company_sent {
            if let Some(found) = self.reconcile_company(entry, c).await? {
                tracing::info!(id = entry.id, "company found in amoCRM after an interrupted send; not sending again");
                store.record_company(entry.id, found.id, now())?;
                return Ok(found.id);
            }
        }
        let body = wire::company_body(c, responsible, entry.marker_at, Some(&entry.request_id));
        store.set_flag(entry.id, EntryFlag::CompanySent, true)?;
        let (api, body) = (&api, &body);
        let send = |a: Access| async move {
            self.check_bound(entry, Some(&a))?;
            api.add_company(a, body).await
        };
        match self.session.with_token(send).await {
            Ok(id) => {
                store.record_company(entry.id, id, now())?;
                Ok(id)
            }
            Err(e) => {
                if never_processed(&e) {
                    store.set_flag(entry.id, EntryFlag::CompanySent, false)?;
                }
                // The company's own paths, named as the form's company fields before the
                // entry's mapping sees them (it keeps `company.` names as they are).
                Err(match e {
                    Error::Entry(EntryError::Validation(raw)) => {
                        Error::validation(wire::remap_fields(&raw, |p| wire::company_field(c, p)))
                    }
                    e => e,
                })
            }
        }
    }
}

/// Errors after which amoCRM certainly did not act on the request, so no reconciliation is
/// needed next time: refusals, and a connection that was never made (refused, unresolved).
/// A timeout, a dropped connection or a 5xx may have been processed.
fn never_processed(e: &Error) -> bool {
    matches!(
        e,
        Error::Entry(EntryError::Validation(_))
            | Error::Amo(AmoError::Network {
                problem: NetworkProblem::Refused | NetworkProblem::Unresolved | NetworkProblem::CannotConnect
            })
            | Error::Amo(
                AmoError::RateLimited
                    | AmoError::Unauthorized
                    | AmoError::AccountBanned
                    | AmoError::Forbidden { .. }
                    | AmoError::NotConnected
                    | AmoError::NotPaid
                    | AmoError::RequestRefused { .. }
            )
            | Error::Entry(EntryError::OtherAccount { .. })
            | Error::SignIn(SignInError::TokenRevoked { .. } | SignInError::TokenRejected { .. })
    )
}
