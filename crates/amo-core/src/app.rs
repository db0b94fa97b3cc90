//! `AmoConnect`: the composition root. It builds the shared context (database, keychain, the
//! way out to amoCRM) and the services on it, and offers one-line delegations, so the window's
//! commands, the CLI and the tests use one surface and can never disagree about what
//! "connected" means. Its fields are private: nothing outside reaches a service's internals.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::amocrm::endpoints::Endpoints;
use crate::amocrm::AmoCrm;
use crate::auth::loopback::Verdict;
use crate::auth::session::Session;
use crate::auth::{Auth, PendingConnect};
use crate::changes::{Changed, Changes};
use crate::config::Config;
use crate::context::Ctx;
use crate::domain::account::AccountRef;
use crate::domain::draft::{CallDraft, ContactDraft, Draft, FollowupDraft, LeadDraft};
use crate::domain::lang::Lang;
use crate::domain::outbox::{OutboxItem, OutboxSummary};
use crate::domain::people::{CopyStatus, Customer, CustomerLookup, SyncReport};
use crate::domain::platform::Platform;
use crate::domain::reference::{ContactMatch, LeadSummary, ReferenceData};
use crate::domain::settings::{Settings, SettingsPatch};
use crate::domain::tokens::{Access, TokenSet};
use crate::domain::views::Disconnected;
use crate::domain::views::{SettingsView, StatusView};
use crate::error::{Error, Result};
use crate::keychain::{Keychain, SecretStore};
use crate::notices::Notices;
use crate::outbox::{Outbox, RetryTiming};
use crate::paths::DataDir;
use crate::people::People;
use crate::reference::Reference;
use crate::store::Store;

pub struct AmoConnect {
    ctx: Arc<Ctx>,
    config: Config,
    auth: Arc<Auth>,
    session: Arc<Session>,
    reference: Reference,
    people: Arc<People>,
    outbox: Arc<Outbox>,
    notices: Notices,
    changes: Arc<Changes>,
}

impl AmoConnect {
    /// The data directory and server from the environment, the OS keychain.
    pub fn open_default() -> Result<AmoConnect> {
        let data = DataDir::from_env()?;
        let keychain = Keychain::os(&data.keychain_namespace());
        AmoConnect::with_keychain(data, keychain, Endpoints::from_env()?)
    }

    /// With any secret store (tests use an in-memory one).
    pub fn open(data: DataDir, secrets: Arc<dyn SecretStore>, endpoints: Endpoints) -> Result<AmoConnect> {
        AmoConnect::with_keychain(data, Keychain::new(secrets), endpoints)
    }

    fn with_keychain(data: DataDir, keychain: Keychain, endpoints: Endpoints) -> Result<AmoConnect> {
        let store = Store::open(&data.db_path())?;
        // One request budget for every process on this data directory (amocrm::budget).
        let amo = AmoCrm::with_shared_budget(endpoints, &data.budget_path());
        let ctx = Arc::new(Ctx { data, store, keychain, amo });
        let session = Arc::new(Session::new(ctx.clone()));
        Ok(AmoConnect {
            config: Config::new(ctx.clone(), ctx.amo.endpoints().is_overridden()),
            auth: Arc::new(Auth::new(ctx.clone())),
            reference: Reference::new(ctx.clone(), session.clone()),
            people: Arc::new(People::new(ctx.clone(), session.clone())),
            outbox: Arc::new(Outbox::new(ctx.clone(), session.clone())),
            notices: Notices::new(ctx.clone()),
            changes: Arc::new(Changes::new(ctx.clone())),
            session,
            ctx,
        })
    }

    pub fn data_dir(&self) -> &DataDir {
        &self.ctx.data
    }

    /// The server all amoCRM URLs go to instead (`AMO_CONNECT_SERVER`), if set.
    pub fn server_override(&self) -> Option<&str> {
        self.ctx.amo.endpoints().server_override()
    }

    /// The language messages are rendered in right now.
    pub fn lang(&self) -> Lang {
        self.ctx.lang()
    }

    // ---- the copy of the account's people (people)

    /// Brings the copy of the account's contacts and companies up to date (`sync`);
    /// `progress` hears its status after every page.
    pub async fn sync_people(&self, full: bool, progress: &(dyn Fn(&CopyStatus) + Send + Sync)) -> Result<SyncReport> {
        self.people.sync(full, progress).await
    }

    pub fn people_status(&self) -> Result<CopyStatus> {
        self.people.status()
    }

    /// Turns the copy on or off (off wipes it).
    pub fn set_people_copy(&self, on: bool) -> Result<CopyStatus> {
        self.people.set_enabled(on)
    }

    /// The customers with this phone, e-mail or name: from the copy at once, confirmed online
    /// unless `offline`. With no copy (off, or not filled yet) amoCRM's search answers instead,
    /// re-checked as the duplicate check does — unless `offline`.
    pub async fn find_customer(&self, query: &str, offline: bool) -> Result<CustomerLookup> {
        match self.people.find(query, offline).await {
            Err(e) if !offline && e.code() == crate::error::ErrorCode::NoCopy => {
                let q = query.trim();
                let found = if crate::domain::people::looks_like_phone(q) {
                    self.reference.find_duplicates(q, "").await?
                } else if q.contains('@') {
                    self.reference.find_duplicates("", q).await?
                } else {
                    let key = crate::domain::people::name_key(q);
                    let hits = self.reference.search_amocrm(q).await?.contacts;
                    hits.into_iter()
                        .filter(|c| key.split(' ').all(|w| crate::domain::people::name_key(&c.name).contains(w)))
                        .collect()
                };
                Ok(CustomerLookup {
                    customers: found.into_iter().map(Customer::from_match).collect(),
                    copy_age_secs: None,
                })
            }
            r => r,
        }
    }

    // ---- settings (config)

    pub fn settings(&self) -> Result<Settings> {
        self.config.settings()
    }

    pub async fn settings_view(&self) -> Result<SettingsView> {
        self.config.view().await
    }

    pub async fn save_settings(&self, patch: SettingsPatch) -> Result<SettingsView> {
        self.config.apply(patch).await
    }

    // ---- signing in (auth)

    pub fn cleanup_states(&self) -> Result<usize> {
        self.auth.cleanup_states()
    }

    pub async fn start_connect(&self) -> Result<PendingConnect> {
        self.auth.start_connect().await
    }

    /// Cancel on a waiting sign-in: a late callback or link for it is refused.
    pub fn cancel_connect(&self) -> Result<usize> {
        self.auth.cancel_connect()
    }

    pub async fn complete_deep_link(&self, url: &str) -> Verdict<StatusView> {
        self.auth.complete_deep_link(url).await
    }

    /// Ends this process's sign-ins waiting for an app link whose 15 minutes are over; the
    /// error to show when one ended.
    pub fn time_out_sign_ins(&self, now: i64) -> Result<Option<crate::Error>> {
        self.auth.time_out_sign_ins(now)
    }

    /// The window's timer for sign-ins waiting for an app link, to spawn: `on_timeout` when one
    /// runs out of time. It sleeps until the earliest deadline, and without any open sign-in it
    /// does not wake at all.
    pub fn watch_sign_in_timeouts(
        &self,
        on_timeout: impl Fn(crate::Error) + Send + Sync + 'static,
    ) -> impl Future<Output = ()> + Send + 'static {
        self.auth.clone().watch_sign_in_timeouts(on_timeout)
    }

    pub async fn connect_with_code(&self, code: &str, domain: &str) -> Result<StatusView> {
        self.auth.connect_with_code(code, domain).await
    }

    pub async fn connect_with_long_lived_token(&self, token: &str, domain: &str) -> Result<StatusView> {
        self.auth.connect_with_long_lived_token(token, domain).await
    }

    /// The status panel; refreshed tokens the keychain refused (kept in memory meanwhile) are
    /// its problem until the keychain takes them.
    pub async fn status(&self) -> StatusView {
        let mut status = self.auth.status().await;
        if let Some(e) = self.session.unsaved_problem() {
            status.problem = Some(e.to_payload(self.ctx.lang()));
        }
        status
    }

    /// Forgets the connection. The account's entries still waiting are kept for it (sent when it
    /// is connected again; never to another account) unless `discard_pending`.
    pub async fn disconnect(&self, discard_pending: bool) -> Result<Disconnected> {
        let account = self.ctx.store.account().load()?.map(|a| AccountRef::of(&a));
        let pending = self.outbox.pending_for_current()?;
        let had = self.auth.disconnect().await?;
        let discarded = match (&account, discard_pending) {
            (Some(a), true) => u32::try_from(self.outbox.discard_waiting_for(a)?).unwrap_or(u32::MAX),
            _ => 0,
        };
        Ok(Disconnected { had, kept: if discard_pending { 0 } else { pending }, discarded })
    }

    /// Entries of the connected account that wait or need attention (Disconnect asks about them).
    pub fn pending_entries(&self) -> Result<u32> {
        self.outbox.pending_for_current()
    }

    /// The tokens in the keychain (tests and diagnostics; never shown).
    pub async fn load_tokens(&self) -> Result<Option<TokenSet>> {
        self.ctx.keychain.tokens().await
    }

    // ---- staying signed in (session)

    pub async fn access(&self) -> Result<Access> {
        self.session.access().await
    }

    /// "Refresh now": refreshes the tokens and re-reads the account; the new status.
    pub async fn refresh_now(&self) -> Result<StatusView> {
        self.session.refresh_now().await?;
        Ok(self.status().await)
    }

    /// Checks the connection with amoCRM (refreshing when needed); the new status.
    pub async fn verify(&self) -> Result<StatusView> {
        self.session.verify().await?;
        Ok(self.status().await)
    }

    pub async fn keep_alive(&self) -> Result<bool> {
        self.session.keep_alive().await
    }

    /// Keeps the connection alive while the process runs — the window's timer and the CLI's
    /// `outbox run` alike (`keep_alive`, with [`crate::auth::keep_alive::CHECK_EVERY`]): a look now,
    /// then at each token's refresh point or after `every`. A refresh, or a keep-alive that
    /// starts or stops failing, is a change of the connection for the watcher.
    pub fn keep_alive_loop(&self, every: Duration) -> impl Future<Output = ()> + Send + 'static {
        let changes = self.changes.clone();
        crate::auth::keep_alive::run(self.ctx.clone(), self.session.clone(), every, move || changes.poke())
    }

    /// What changed in the outbox and the connection since the last look, whoever changed it.
    pub fn changes(&self) -> Result<Changed> {
        self.changes.check()
    }

    /// The watcher, to spawn: `on_change` with what changed, after each write of this process,
    /// after the OS reports another process's write to the database, and at least every `poll`.
    pub fn watch_changes(
        &self,
        poll: Duration,
        on_change: impl Fn(Changed) + Send + Sync + 'static,
    ) -> impl Future<Output = ()> + Send + 'static {
        self.changes.clone().watch(poll, on_change)
    }

    // ---- the account's shape and content (reference)

    pub fn cached_reference(&self) -> Result<Option<ReferenceData>> {
        self.reference.cached()
    }

    /// Leads and contacts amoCRM finds for a name, phone or e-mail (the window's search).
    pub async fn search_amocrm(&self, query: &str) -> Result<crate::domain::reference::SearchResults> {
        self.reference.search_amocrm(query).await
    }

    /// A record's page in amoCRM, on the connected account.
    pub fn record_url(&self, kind: crate::domain::reference::RecordKind, id: i64) -> Result<String> {
        let account = self.ctx.store.account().load()?.ok_or(crate::error::AmoError::NotConnected)?;
        Ok(crate::domain::reference::record_url(&account.domain, kind, id))
    }

    /// The custom fields of `entity` (leads, contacts, companies), from amoCRM.
    pub async fn custom_fields(&self, entity: &str) -> Result<Vec<crate::domain::fields::CustomField>> {
        self.reference.custom_fields(entity).await
    }

    pub async fn reference_data(&self, refresh: bool) -> Result<ReferenceData> {
        self.reference.data(refresh).await
    }

    /// Existing contacts with this phone or e-mail (the forms' duplicate offer): from this
    /// computer's copy of the account's people at once when it has them — offline too — else
    /// amoCRM's search, re-checked (a contact made minutes ago may not be in the copy yet).
    pub async fn find_duplicates(&self, phone: &str, email: &str) -> Result<Vec<ContactMatch>> {
        let local = self.people.contacts_with(phone, email);
        match local {
            Ok(Some(found)) if !found.is_empty() => Ok(found),
            Ok(Some(none)) => Ok(self.reference.find_duplicates(phone, email).await.unwrap_or(none)),
            Ok(None) | Err(_) => self.reference.find_duplicates(phone, email).await,
        }
    }

    pub async fn list_leads(&self, limit: usize) -> Result<Vec<LeadSummary>> {
        self.reference.list_leads(limit).await
    }

    pub fn platform(&self) -> Platform {
        self.reference.platform()
    }

    /// The open tasks of the connected user (everyone's the token may see with `all`) that
    /// `scope` keeps, soonest first, each in its pile — overdue, today, tomorrow, this week,
    /// later — by the account's time zone, its type and responsible user named from the
    /// account's reference data.
    pub async fn my_tasks(
        &self,
        all: bool,
        scope: crate::domain::my_tasks::DueScope,
    ) -> Result<crate::domain::my_tasks::TaskList> {
        let account = self.reference.data(false).await?;
        crate::my_tasks::MyTasks::new(self.ctx.clone(), self.session.clone())
            .list(all, scope, &account, crate::clock::now())
            .await
    }

    /// The card of lead `id` (issue 21): its stage, responsible user, loss reason, tags, custom
    /// fields, contacts, newest notes and open tasks, named from the account's reference data and
    /// dated in its zone. A lead amoCRM does not have is `lead_not_found`.
    pub async fn lead_card(&self, id: i64) -> Result<crate::domain::lead_card::LeadCard> {
        let account = self.reference.data(false).await?;
        crate::lead_card::LeadCards::new(self.ctx.clone(), self.session.clone())
            .show(id, &account, crate::clock::now())
            .await
    }

    /// One task as it is now (a change is made from its `updated_at`), named and dated like
    /// "my tasks". A task amoCRM does not have is `amo_not_found`.
    pub async fn task(&self, id: i64) -> Result<crate::domain::my_tasks::MyTask> {
        let account = self.reference.data(false).await?;
        crate::my_tasks::MyTasks::new(self.ctx.clone(), self.session.clone())
            .one(id, &account, crate::clock::now())
            .await
    }

    /// The number to call a record's customer on ("Call" on a task): a contact's or company's
    /// first phone, or a lead's first contact's; the copy first, else amoCRM.
    pub async fn customer_phone(&self, kind: crate::domain::reference::RecordKind, id: i64) -> Result<Option<String>> {
        self.people.phone_of(kind, id).await
    }

    /// The tray's line (issue 21): how many of the connected user's tasks are due now (overdue or
    /// due within the next minute) and when the next falls due — from the copy of the last list
    /// read, without a request (nothing due when there is none).
    pub fn tasks_due(&self, now: i64) -> Result<crate::domain::my_tasks::DueSummary> {
        crate::my_tasks::MyTasks::new(self.ctx.clone(), self.session.clone()).due(now)
    }

    /// What tells the user when their tasks fall due (issue 21): keep one for the process and ask
    /// it every half minute; it reads the copy of the last list, never amoCRM.
    pub fn due_notices(&self) -> crate::notices::DueNotices {
        crate::notices::DueNotices::new(self.ctx.clone())
    }

    /// The account's reasons a lead is lost, in amoCRM's order.
    pub async fn loss_reasons(&self) -> Result<Vec<crate::domain::change::LossReason>> {
        crate::lead_card::LeadCards::new(self.ctx.clone(), self.session.clone()).loss_reasons().await
    }

    // ---- entries (outbox)

    /// Checks the lead (with its custom fields, against the account's) and queues it.
    pub fn queue_lead(&self, draft: &LeadDraft) -> Result<OutboxItem> {
        self.queue(&Draft::Lead(draft.clone()))
    }

    /// Checks a note and/or task for an existing lead and queues it.
    pub fn queue_followup(&self, draft: &FollowupDraft) -> Result<OutboxItem> {
        self.queue(&Draft::Followup(draft.clone()))
    }

    /// Checks a change of a task (done, moved, edited) and queues it.
    pub fn queue_task_change(&self, draft: &crate::domain::change::TaskChangeDraft) -> Result<OutboxItem> {
        self.queue(&Draft::TaskChange(draft.clone()))
    }

    /// Checks a change of a lead (stage, won, lost, price, name, …) and queues it.
    pub fn queue_lead_change(&self, draft: &crate::domain::change::LeadChangeDraft) -> Result<OutboxItem> {
        self.queue(&Draft::LeadChange(draft.clone()))
    }

    /// Checks the contact (with its custom fields, against the account's) and queues it.
    pub fn queue_contact(&self, draft: &ContactDraft) -> Result<OutboxItem> {
        self.queue(&Draft::Contact(draft.clone()))
    }

    /// Queues a call to log in amoCRM, once per call id (`true`: it was queued already).
    pub fn log_call(&self, draft: &CallDraft) -> Result<(OutboxItem, bool)> {
        self.outbox.log_call(draft, self.reference.cached()?.as_ref())
    }

    /// Checks any entry against the connected account's shape and queues it.
    pub fn queue(&self, draft: &Draft) -> Result<OutboxItem> {
        self.outbox.queue(draft, self.reference.cached()?.as_ref())
    }

    /// Queues several entries in one transaction (all or none; fields named `<n>.<field>`).
    pub fn queue_many(&self, drafts: &[Draft]) -> Result<Vec<OutboxItem>> {
        self.outbox.queue_many(drafts, self.reference.cached()?.as_ref())
    }

    /// Saves how this computer shows the connected account's `entity` form fields.
    pub fn save_form_layout(
        &self,
        entity: crate::domain::fields::FormEntity,
        layout: &crate::domain::fields::FormLayout,
    ) -> Result<crate::domain::fields::FormLayout> {
        self.reference.save_form_layout(entity, layout)
    }

    /// Companies whose name amoCRM finds (the company field's suggestions).
    pub async fn search_companies(&self, query: &str) -> Result<Vec<crate::domain::reference::CompanyMatch>> {
        self.reference.search_companies(query).await
    }

    pub fn outbox_item(&self, id: i64) -> Result<OutboxItem> {
        let mut item = self.outbox.item(id)?;
        self.name_custom_fields(std::slice::from_mut(&mut item));
        self.name_conflicts(std::slice::from_mut(&mut item));
        Ok(item)
    }

    pub fn outbox_list(&self, limit: usize) -> Result<Vec<OutboxItem>> {
        let mut items = self.outbox.list(limit)?;
        self.name_custom_fields(&mut items);
        self.name_conflicts(&mut items);
        Ok(items)
    }

    /// Field errors amoCRM gave about custom fields are stored by key (`custom_fields.701001`):
    /// named here by the admin's name from the account's cached fields, as the form names them.
    fn name_custom_fields(&self, items: &mut [OutboxItem]) {
        // The window lists the outbox on every change: read the cache only when there is a
        // custom field to name.
        let named = |f: &crate::error::FieldErrorView| f.field.contains("custom_fields.");
        let any = items.iter().any(|i| {
            i.field_errors.iter().any(named) || i.error.iter().flat_map(|e| e.fields.iter().flatten()).any(named)
        });
        if !any {
            return;
        }
        let Ok(Some(r)) = self.reference.cached() else { return };
        let name = |field: &str| -> Option<String> {
            let (fields, key) = match field.split_once('.') {
                Some(("contact", rest)) => (&r.contact_fields, rest),
                Some(("company", rest)) => (&r.company_fields, rest),
                _ => (&r.lead_fields, field),
            };
            let id: i64 = key.strip_prefix("custom_fields.")?.parse().ok()?;
            fields.iter().find(|f| f.id == id).map(|f| f.name.clone())
        };
        for item in items {
            let views =
                item.field_errors.iter_mut().chain(item.error.iter_mut().flat_map(|e| e.fields.iter_mut().flatten()));
            for v in views {
                if let Some(n) = name(&v.field) {
                    v.label = n;
                }
            }
        }
    }

    /// Who changed the record a conflict is about, by the name the account's cached users give
    /// (the outbox records only the id: it does not read the account's shape); the message is
    /// rendered again with it.
    fn name_conflicts(&self, items: &mut [OutboxItem]) {
        if !items.iter().any(|i| i.conflict.as_ref().is_some_and(|c| c.updated_by_name.is_none())) {
            return;
        }
        let Ok(Some(r)) = self.reference.cached() else { return };
        let lang = self.lang();
        for item in items {
            let Some(c) = item.conflict.as_mut().filter(|c| c.updated_by_name.is_none()) else { continue };
            let Some(user) = r.users.iter().find(|u| u.id == c.updated_by && !u.name.trim().is_empty()) else {
                continue;
            };
            c.updated_by_name = Some(user.name.clone());
            let named = crate::error::EntryError::Conflict { id: item.id, conflict: Box::new(c.clone()) };
            item.error = Some(Error::from(named).to_payload(lang));
        }
    }

    /// The same for a conflict that ends a wait (`EntryNeedsAttention`'s cause).
    fn name_conflict_error(&self, e: Error) -> Error {
        use crate::error::EntryError;
        let Error::Entry(EntryError::EntryNeedsAttention { id, cause: Some(cause) }) = &e else { return e };
        let Error::Entry(EntryError::Conflict { conflict, .. }) = cause.as_ref() else { return e };
        if conflict.updated_by_name.is_some() {
            return e;
        }
        let Ok(Some(r)) = self.reference.cached() else { return e };
        let Some(user) = r.users.iter().find(|u| u.id == conflict.updated_by && !u.name.trim().is_empty()) else {
            return e;
        };
        let mut named = (**conflict).clone();
        named.updated_by_name = Some(user.name.clone());
        let cause = Error::from(EntryError::Conflict { id: *id, conflict: Box::new(named) });
        EntryError::EntryNeedsAttention { id: *id, cause: Some(Box::new(cause)) }.into()
    }

    pub fn outbox_summary(&self) -> Result<OutboxSummary> {
        self.outbox.summary()
    }

    pub fn outbox_retry(&self, id: Option<i64>) -> Result<usize> {
        self.outbox.retry(id)
    }

    pub fn outbox_resume(&self) -> Result<usize> {
        self.outbox.resume()
    }

    /// Fixes an entry that waits or needs attention (what has not reached amoCRM changes).
    pub fn outbox_update(&self, id: i64, draft: Draft) -> Result<OutboxItem> {
        self.outbox.update(id, &draft, self.reference.cached()?.as_ref())
    }

    /// "Send mine" on a change that met somebody else's: sent over their version.
    pub fn outbox_send_mine(&self, id: i64) -> Result<OutboxItem> {
        self.outbox.send_over(id, self.reference.cached()?.as_ref())
    }

    pub fn outbox_discard(&self, id: i64) -> Result<()> {
        self.outbox.discard(id)
    }

    pub async fn wait_for_entry(&self, id: i64, timeout: Duration) -> Result<OutboxItem> {
        self.outbox.wait_for_entry(id, timeout).await.map_err(|e| self.name_conflict_error(e))
    }

    pub async fn outbox_pass(&self) -> Duration {
        self.outbox.pass().await
    }

    pub fn outbox_purge(&self) -> Result<usize> {
        self.outbox.purge()
    }

    pub fn set_retry_timing(&self, timing: RetryTiming) {
        self.outbox.set_retry_timing(timing)
    }

    /// What the user should be notified of since the last call, as (summary, body) in the
    /// current language (the first call only looks).
    pub fn notices(&self) -> Result<Vec<(String, String)>> {
        let lang = self.ctx.lang();
        let details = self.ctx.store.settings().load()?.notification_details;
        Ok(self
            .notices
            .check(self.session.keep_alive_failure())?
            .iter()
            .map(|n| crate::i18n::notice_text(n, lang, details))
            .collect())
    }

    /// The outbox worker, to spawn: sends until the process ends (what it changes reaches the
    /// window through [`AmoConnect::watch_changes`]).
    pub fn outbox_worker(&self) -> impl Future<Output = ()> + Send + 'static {
        self.outbox.clone().run()
    }
}
