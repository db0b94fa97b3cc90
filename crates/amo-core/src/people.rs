//! The copy of the account's people (the phone desk): a sync that fills it and keeps it fresh,
//! and lookups that answer from it at once — offline too — and confirm online when amoCRM is
//! reachable (docs/people-copy.md).
//!
//! The sync only reads, within the shared request budget like every other request: a full pass
//! pages contacts then companies by id (resumable: each page is written with the place to go on
//! from), then reads which of their leads are still in work; between passes a quick poll reads
//! what changed most recently (`order[updated_at]=desc`) until it meets what the copy already
//! has — with `filter[updated_at]` where the account takes it (amoCRM's paid filtering), by the
//! order alone where it is refused (docs/amocrm-api.md §17). Deletions and merges leave no trace in that order: the periodic
//! full pass drops what it did not see — unless it saw much less than the copy holds, which is a
//! partial read, not a purge.

use std::sync::Arc;

use crate::auth::session::Session;
use crate::clock::now;
use crate::context::Ctx;
use crate::domain::people::{looks_like_phone, newer, CopyStatus, Customer, CustomerLookup, PersonKind, SyncReport};
use crate::domain::phone::valid_email;
use crate::domain::reference::{ContactMatch, LeadSummary, RecordKind, LOST_STATUS_ID, WON_STATUS_ID};
use crate::domain::tokens::Access;
use crate::error::{AmoError, Error, ErrorCode, LocalError, Result};
use crate::store::SyncState;

/// A full pass runs again after this long (deletions and merges are caught then).
pub const FULL_PASS_EVERY_SECS: i64 = 24 * 3600;
/// The quick poll re-reads this much before its mark: clocks differ, and a row can change
/// while the pages are read.
pub const POLL_OVERLAP_SECS: i64 = 5 * 60;
/// A poll that finds more changes than this many pages hold starts a full pass instead.
pub const MAX_POLL_PAGES: i64 = 20;
/// The window's background sync looks this often.
pub const POLL_EVERY_SECS: u64 = 60;
/// The newest note and call are read for this many customers (and as many of their leads).
pub const MAX_CARDS_WITH_NOTES: usize = 2;
/// At most this many customers a name lookup shows.
pub const MAX_NAME_MATCHES: usize = 20;

pub struct People {
    ctx: Arc<Ctx>,
    session: Arc<Session>,
    /// One sync at a time in this process (a lookup's confirming poll skips when one runs).
    running: tokio::sync::Mutex<()>,
}

fn closed(l: &LeadSummary) -> bool {
    l.status_id == WON_STATUS_ID || l.status_id == LOST_STATUS_ID
}

impl People {
    pub(crate) fn new(ctx: Arc<Ctx>, session: Arc<Session>) -> People {
        People { ctx, session, running: tokio::sync::Mutex::new(()) }
    }

    /// The connected account's key in the copy: its host, lower case.
    fn account(&self) -> Result<String> {
        let Some(a) = self.ctx.store.account().load()? else { return Err(AmoError::NotConnected.into()) };
        Ok(a.domain.to_ascii_lowercase())
    }

    /// The number to call a task's customer on ("Call" on a task, issue 21): a contact's or a
    /// company's first phone, or a lead's first contact's — from this computer's copy when it
    /// holds them, else from amoCRM. `None`: none of them has a phone.
    pub async fn phone_of(&self, kind: RecordKind, id: i64) -> Result<Option<String>> {
        let account = self.account()?;
        let store = self.ctx.store.people();
        let copied = |k: PersonKind, id: i64| -> Result<Option<String>> {
            Ok(store.customer(&account, k, id)?.and_then(|c| c.phones.into_iter().next()))
        };
        let api = self.ctx.amo.api();
        let contacts = match kind {
            RecordKind::Company => return copied(PersonKind::Company, id),
            RecordKind::Contact => vec![id],
            RecordKind::Lead => {
                self.session
                    .with_token(|a| api.lead_card(a, id))
                    .await?
                    .ok_or(AmoError::LeadNotFound { id })?
                    .contact_ids
            }
        };
        for c in &contacts {
            if let Some(phone) = copied(PersonKind::Contact, *c)? {
                return Ok(Some(phone));
            }
        }
        if contacts.is_empty() {
            return Ok(None);
        }
        let found = self.session.with_token(|a| api.contacts_by_ids(a, &contacts)).await?;
        // In the lead's order of contacts (its main contact first), not amoCRM's list order.
        Ok(contacts.iter().find_map(|c| found.iter().find(|f| f.id == *c).and_then(|f| f.phones.first().cloned())))
    }

    pub fn status(&self) -> Result<CopyStatus> {
        self.ctx.store.people().status(&self.account()?)
    }

    /// Turns the copy on or off (off wipes it).
    pub fn set_enabled(&self, on: bool) -> Result<CopyStatus> {
        let account = self.account()?;
        self.ctx.store.people().set_enabled(&account, on)?;
        self.ctx.store.people().status(&account)
    }

    /// Brings the copy up to date: a full pass when asked, when one is under way (it resumes),
    /// when none ever ended or the last is older than [`FULL_PASS_EVERY_SECS`]; else the quick
    /// poll. `progress` hears the copy's status after every page.
    pub async fn sync(&self, full: bool, progress: &(dyn Fn(&CopyStatus) + Send + Sync)) -> Result<SyncReport> {
        let _one = self.running.lock().await;
        self.sync_locked(full, progress).await
    }

    async fn sync_locked(&self, full: bool, progress: &(dyn Fn(&CopyStatus) + Send + Sync)) -> Result<SyncReport> {
        let account = self.account()?;
        let state = self.ctx.store.people().state(&account)?;
        if !state.enabled {
            return Err(LocalError::NoCopy { off: true }.into());
        }
        let due = state.full_done_at.is_none_or(|at| now() - at >= FULL_PASS_EVERY_SECS);
        let mut report = SyncReport::default();
        if full || due || state.full_at.is_some() {
            self.full_pass(&account, &mut report, progress).await?;
        } else if !self.poll(&account, &state, &mut report).await? {
            tracing::info!("too many changes for the quick poll; a full pass reads them");
            self.full_pass(&account, &mut report, progress).await?;
        }
        report.status = self.ctx.store.people().status(&account)?;
        Ok(report)
    }

    /// A read of the account the copy is for (never written under another account's key).
    async fn read<T, F, Fut>(&self, account: &str, call: F) -> Result<T>
    where
        F: Fn(Access) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let call = &call;
        self.session
            .with_token(|a| async move {
                if !a.domain.eq_ignore_ascii_case(account) {
                    return Err(Error::internal("the connected account changed during the sync"));
                }
                call(a).await
            })
            .await
    }

    async fn full_pass(
        &self,
        account: &str,
        report: &mut SyncReport,
        progress: &(dyn Fn(&CopyStatus) + Send + Sync),
    ) -> Result<()> {
        let table = self.ctx.store.people();
        let state = table.begin_full_pass(account, now())?;
        let api = self.ctx.amo.api();
        let Some((mut kind, mut page)) = state.full_at else { return Err(Error::internal("no full pass begun")) };
        loop {
            let (people, has_next) = self.read(account, |a| api.people_page(a, kind, page, "order[id]=asc")).await?;
            let next = match (has_next && !people.is_empty(), kind) {
                (true, _) => Some((kind, page + 1)),
                (false, PersonKind::Contact) => Some((PersonKind::Company, 1)),
                (false, PersonKind::Company) => None,
            };
            table.save_full_page(account, state.pass, &people, next)?;
            report.pages += 1;
            report.people += people.len() as i64;
            progress(&table.status(account)?);
            match next {
                Some((k, p)) => (kind, page) = (k, p),
                None => break,
            }
        }
        // Which of the customers' leads are still in work.
        let ids = table.linked_lead_ids(account)?;
        for chunk in ids.chunks(crate::amocrm::client::MAX_PAGE) {
            let leads = self.read(account, |a| api.leads_by_ids(a, chunk)).await?;
            table.save_leads(account, chunk, &leads, closed)?;
            report.pages += 1;
        }
        let (seen, held) = table.pass_counts(account, state.pass)?;
        // A pass that saw less than half of what the copy holds read only part of the account
        // (a permission change, a broken page): keep the copy rather than wipe customers.
        let drop_unseen = seen * 2 >= held;
        if !drop_unseen {
            tracing::warn!(seen, held, "the full pass saw less than half of the copy; nothing dropped");
        }
        let ended = now();
        report.removed = table.end_full_pass(account, state.pass, ended, drop_unseen)?;
        report.full = true;
        // Changes made while the pass read are caught by the next poll, from the pass's start.
        let mark = state.full_started_at.unwrap_or(ended);
        table.set_fresh(account, ended, mark, mark)?;
        progress(&table.status(account)?);
        Ok(())
    }

    /// The quick poll: what changed since the marks, newest first. `false` when there was more
    /// than [`MAX_POLL_PAGES`] of it.
    async fn poll(&self, account: &str, state: &SyncState, report: &mut SyncReport) -> Result<bool> {
        let table = self.ctx.store.people();
        let api = self.ctx.amo.api();
        let started = now();
        let mut people_mark = state.people_mark;
        let mut filter = state.updated_filter != Some(false);
        for kind in [PersonKind::Contact, PersonKind::Company] {
            let since = state.people_mark - POLL_OVERLAP_SECS;
            let mut page = 1;
            loop {
                // Where the account takes `filter[updated_at]`, amoCRM leaves out what did not
                // change; where it refuses it (400), the order alone does, and the refusal is
                // remembered (docs/people-copy.md).
                let query = if filter {
                    format!("order[updated_at]=desc&filter[updated_at][from]={since}")
                } else {
                    "order[updated_at]=desc".to_string()
                };
                let (people, has_next) = match self.read(account, |a| api.people_page(a, kind, page, &query)).await {
                    Err(e) if filter && e.code() == ErrorCode::RequestRefused => {
                        tracing::info!("the account does not take filter[updated_at]; polling by order alone");
                        table.set_updated_filter(account, false)?;
                        filter = false;
                        continue;
                    }
                    r => r?,
                };
                if filter && state.updated_filter.is_none() {
                    table.set_updated_filter(account, true)?;
                }
                report.pages += 1;
                let fresh: Vec<_> = people.iter().filter(|p| p.updated_at >= since).cloned().collect();
                people_mark = people.iter().map(|p| p.updated_at).fold(people_mark, i64::max);
                table.save_changed(account, &fresh)?;
                report.people += fresh.len() as i64;
                if !has_next || fresh.len() < people.len() {
                    break;
                }
                if page >= MAX_POLL_PAGES {
                    return Ok(false);
                }
                page += 1;
            }
        }
        let mut leads_mark = state.leads_mark;
        let since = state.leads_mark - POLL_OVERLAP_SECS;
        let mut page = 1;
        loop {
            let (leads, has_next) = self.read(account, |a| api.leads_by_update(a, page)).await?;
            report.pages += 1;
            let fresh: Vec<LeadSummary> = leads.iter().filter(|(_, at)| *at >= since).map(|(l, _)| l.clone()).collect();
            leads_mark = leads.iter().map(|(_, at)| *at).fold(leads_mark, i64::max);
            let asked: Vec<i64> = fresh.iter().map(|l| l.id).collect();
            table.save_leads(account, &asked, &fresh, closed)?;
            if !has_next || fresh.len() < leads.len() {
                break;
            }
            if page >= MAX_POLL_PAGES {
                return Ok(false);
            }
            page += 1;
        }
        table.set_fresh(account, started, people_mark, leads_mark)?;
        Ok(true)
    }

    /// Customers with this phone (by its last ten digits), e-mail or name. From the copy; unless
    /// `offline`, a quick poll first confirms it with amoCRM (skipped while a sync runs — that
    /// sync is bringing it up to date anyway). `no_copy` when there is no copy to answer from.
    pub async fn find(&self, query: &str, offline: bool) -> Result<CustomerLookup> {
        let account = self.account()?;
        let state = self.ctx.store.people().state(&account)?;
        let have_copy = state.enabled && state.fresh_at.is_some();
        let mut confirmed = false;
        if !offline && have_copy {
            if let Ok(_one) = self.running.try_lock() {
                // Only the quick poll: a full pass that is due is the background sync's.
                match self.poll(&account, &state, &mut SyncReport::default()).await {
                    Ok(caught_up) => confirmed = caught_up,
                    // Offline or refused: the copy still answers, with its age.
                    Err(e) => tracing::info!(code = %e.code(), "the copy could not be confirmed online"),
                }
            }
        }
        if !have_copy {
            return Err(LocalError::NoCopy { off: !state.enabled }.into());
        }
        let mut customers = self.find_in_copy(&account, query)?;
        if confirmed {
            self.add_latest_notes(&account, &mut customers).await;
        }
        let fresh_at = self.ctx.store.people().state(&account)?.fresh_at.unwrap_or(0);
        Ok(CustomerLookup { customers, copy_age_secs: (!confirmed).then(|| (now() - fresh_at).max(0)) })
    }

    /// The newest note and call of the first few customers (their card and their leads in work):
    /// best effort — a card that cannot be read shows without them.
    async fn add_latest_notes(&self, account: &str, customers: &mut [Customer]) {
        let api = self.ctx.amo.api();
        for c in customers.iter_mut().take(MAX_CARDS_WITH_NOTES) {
            let mut cards = vec![(c.kind.entity(), c.id)];
            cards.extend(c.open_leads.iter().take(MAX_CARDS_WITH_NOTES).map(|l| ("leads", l.id)));
            for (entity, id) in cards {
                match self.read(account, |a| api.latest_notes(a, entity, id)).await {
                    Ok((note, call)) => {
                        c.last_note = newer(c.last_note.take(), note, |n| n.created_at);
                        c.last_call = newer(c.last_call.take(), call, |n| n.created_at);
                    }
                    Err(e) => {
                        tracing::info!(code = %e.code(), "a card's notes could not be read");
                        return;
                    }
                }
            }
        }
    }

    /// The copy's answer alone (no network): phone, e-mail or name.
    pub fn find_in_copy(&self, account: &str, query: &str) -> Result<Vec<Customer>> {
        let table = self.ctx.store.people();
        let q = query.trim();
        let ids = if looks_like_phone(q) {
            table.by_phone(account, q)?
        } else if valid_email(&q.to_lowercase()) {
            table.by_email(account, q)?
        } else {
            table.by_name(account, q, MAX_NAME_MATCHES)?
        };
        let mut out = Vec::new();
        for (kind, id) in ids {
            if let Some(c) = table.customer(account, kind, id)? {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// The copy's contacts with this phone or e-mail, as the duplicate offer shows them; `None`
    /// when there is no copy to answer from.
    pub fn contacts_with(&self, phone: &str, email: &str) -> Result<Option<Vec<ContactMatch>>> {
        let account = self.account()?;
        let state = self.ctx.store.people().state(&account)?;
        if !state.enabled || state.fresh_at.is_none() {
            return Ok(None);
        }
        let table = self.ctx.store.people();
        let mut ids = Vec::new();
        if looks_like_phone(phone) {
            ids.extend(table.by_phone(&account, phone)?);
        }
        if valid_email(&email.trim().to_lowercase()) {
            ids.extend(table.by_email(&account, email)?);
        }
        let mut out: Vec<ContactMatch> = Vec::new();
        for (kind, id) in ids.into_iter().filter(|(k, _)| *k == PersonKind::Contact) {
            if let Some(c) = table.customer(&account, kind, id)? {
                if !out.iter().any(|o| o.id == c.id) {
                    out.push(ContactMatch {
                        id: c.id,
                        name: c.name,
                        phones: c.phones,
                        emails: c.emails,
                        open_leads: c.open_leads,
                    });
                }
            }
        }
        Ok(Some(out))
    }
}
