//! A local stand-in for amoCRM / Kommo, built from `docs/amocrm-api.md`, for the tests and the
//! demo. It listens on 127.0.0.1 only and implements what the app uses, as amoCRM does it, one
//! module per amoCRM resource:
//!
//! - OAuth — the authorize page, `POST /oauth2/access_token`, codes, JWT-shaped and long-lived
//!   tokens, the bearer check ([`oauth`]; docs/amocrm-api.md §2–4);
//! - `GET /api/v4/account` and the current-subdomain lookup ([`account`]; docs/amocrm-api.md
//!   §6.3, §8.1);
//! - the CRM endpoints of a lead-entry client: pipelines ([`pipelines`]), users ([`users`]),
//!   contacts ([`contacts`]), leads and the complex add ([`leads`]), notes ([`notes`]), custom
//!   fields ([`fields`]);
//! - companies ([`companies`]), tasks ([`tasks`]), incoming (unsorted) form and call leads
//!   ([`unsorted`]) and entity links ([`links`]), as amo-docs describes them
//!   (docs/amocrm-api.md §8.6, §8.8, §8.13, §8.14);
//! - calls filed by phone number ([`calls`]) and notes of leads, contacts and companies
//!   ([`notes`]) (docs/amocrm-api.md §16–17);
//! - `PATCH` of tasks and leads, loss reasons ([`loss_reasons`]) and `updated_at` / `updated_by`
//!   kept on every change (docs/amocrm-api.md §18);
//! - `/_sim/*` — controls and counters for tests ([`control`]; not part of amoCRM), and a
//!   colleague's change of a task or lead ([`colleague`]).
//!
//! What they share, each in one place: the gate every `/api/v4/*` request passes first — more
//! than 7 API requests in a second → 429, the 403 HTML ban after repeated 429s, injected faults
//! ([`gate`]; docs/amocrm-api.md §9.1, §9.2); HAL answers and paging ([`hal`]; §7.2–7.3);
//! problem+json and `validation-errors` ([`problem`]; §7.4); the full-text `query`
//! ([`search`]); and the account's state behind one lock ([`state`], configured by [`config`]).

mod account;
mod calls;
mod colleague;
mod companies;
mod config;
mod contacts;
mod control;
pub mod demo;
mod fields;
mod gate;
mod hal;
mod leads;
mod links;
mod loss_reasons;
mod notes;
mod oauth;
mod pipelines;
mod problem;
mod search;
mod state;
mod tasks;
mod unsorted;
mod users;

pub use companies::SimCompany;
pub use config::{Decision, SimConfig, SimPlatform, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URI};
pub use contacts::SimContact;
pub use fields::SimField;
pub use gate::Faults;
pub use leads::SimLead;
pub use loss_reasons::SimLossReason;
pub use notes::SimNote;
pub use pipelines::{SimPipeline, SimStatus};
pub use state::Stats;
pub use tasks::SimTask;
pub use unsorted::{SimUnsorted, KOMMO_DUPLICATE_TAG};
pub use users::SimUser;

use std::net::SocketAddr;

use axum::routing::{get, post};
use axum::Router;

use state::Shared;

pub struct Simulator {
    addr: SocketAddr,
    down: bool,
    shared: Shared,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Simulator {
    /// Starts on `127.0.0.1:port` (0 = any free port) inside the current Tokio runtime.
    pub async fn start(cfg: SimConfig, port: u16) -> anyhow::Result<Simulator> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let shared = Shared::new(cfg);
        let (tx, task) = serve(listener, shared.clone());
        Ok(Simulator { addr, down: false, shared, shutdown: Some(tx), task: Some(task) })
    }

    /// An outage: stops listening, so connections are refused, until [`Simulator::come_up`].
    /// Everything stored (tokens, leads) survives, as it would on amoCRM's side.
    pub async fn go_down(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
        self.down = true;
    }

    /// Listens again on the same port after [`Simulator::go_down`].
    pub async fn come_up(&mut self) -> anyhow::Result<()> {
        if !self.down {
            return Ok(());
        }
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        let (tx, task) = serve(listener, self.shared.clone());
        self.shutdown = Some(tx);
        self.task = Some(task);
        self.down = false;
        Ok(())
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn config(&self) -> SimConfig {
        self.shared.lock().cfg.clone()
    }

    pub fn stats(&self) -> Stats {
        self.shared.lock().stats.clone()
    }

    pub fn set_decision(&self, d: Decision) {
        self.shared.lock().cfg.decision = d;
    }

    /// Changes the registered Redirect URI (as an admin editing the integration would).
    pub fn set_redirect_uri(&self, uri: &str) {
        self.shared.lock().cfg.redirect_uri = uri.to_string();
    }

    /// Who is signed in to amoCRM in the browser from now on (one of `users()`): the next access
    /// allowed acts as this user — another colleague's desk. The first user is the admin.
    pub fn sign_in_as(&self, user_id: i64) {
        self.shared.lock().signed_in_user = user_id;
    }

    /// A code as the integration's Keys tab shows it ("easy auth", 20 minutes, single use).
    pub fn issue_code(&self) -> String {
        oauth::new_code(&mut self.shared.lock())
    }

    /// A long-lived token as the Keys tab generates it: a JWT valid `seconds`, no refresh token.
    pub fn issue_long_lived(&self, seconds: i64) -> String {
        oauth::new_long_lived(&mut self.shared.lock(), seconds)
    }

    /// Renames the account's subdomain, as an admin can in amoCRM: the old host stops answering
    /// for the account (token endpoint 404, API 401) and the lookup endpoint tells the new one.
    pub fn rename_subdomain(&self, new: &str) {
        self.shared.lock().cfg.subdomain = new.to_string();
    }

    /// Every access and refresh token issued so far (tests check none of them leaks to disk).
    pub fn issued_tokens(&self) -> Vec<String> {
        let inner = self.shared.lock();
        inner.access_tokens.keys().chain(inner.refresh_tokens.keys()).cloned().collect()
    }

    /// Makes every issued access token expired (tests of expiry handling).
    pub fn expire_access_tokens(&self) {
        oauth::expire_access_tokens(&mut self.shared.lock());
    }

    /// Ages every unused code past its 20 minutes.
    pub fn expire_codes(&self) {
        for c in self.shared.lock().codes.values_mut() {
            c.issued_at -= 24 * 3600;
        }
    }

    /// From now on every API request answers 401 "Authorization failed", whatever the token,
    /// while refreshes still succeed — what a client meets when the integration's user was
    /// deactivated: each refresh hands out a token that is refused at once.
    pub fn deny_api(&self, on: bool) {
        self.shared.lock().api_denied = on;
    }

    /// Holds every token answer back `ms` after the grant was carried out.
    pub fn set_token_answer_delay(&self, ms: u64) {
        self.shared.lock().token_answer_delay_ms = ms;
    }

    pub fn set_faults(&self, f: Faults) {
        self.shared.lock().gate.faults = f;
    }

    /// Whether `/api/v4/users` answers (an admin's token) or refuses with 403 (docs/amocrm-api.md §8.10).
    pub fn set_users_admin(&self, admin: bool) {
        self.shared.lock().crm.users_admin = admin;
    }

    pub fn set_duplicate_control(&self, on: bool) {
        self.shared.lock().crm.duplicate_control = on;
    }

    /// Bans the account as amoCRM does after repeated 429s: every API request gets 403 HTML.
    pub fn ban(&self) {
        self.shared.lock().gate.banned = true;
    }

    /// What support does when asked to lift a ban.
    pub fn unban(&self) {
        let mut inner = self.shared.lock();
        inner.gate.banned = false;
    }

    pub fn is_banned(&self) -> bool {
        self.shared.lock().gate.banned
    }

    /// Adds an existing customer to the account.
    pub fn seed_contact(&self, first: &str, last: &str, phone: Option<&str>, email: Option<&str>) -> i64 {
        self.shared.lock().crm.seed_contact(first, last, phone, email)
    }

    /// Adds `n` leads to the account (named `{prefix}0`…, newest last).
    pub fn seed_leads(&self, n: usize, prefix: &str) {
        self.shared.lock().crm.seed_leads(n, prefix)
    }

    /// From now on, `n` new leads are added after every page of `GET /api/v4/leads` is read (as
    /// colleagues adding leads while a list is paged; `POST /_sim/leads/between-pages`).
    pub fn add_leads_between_pages(&self, n: usize) {
        self.shared.lock().crm.leads_added_per_page = n;
    }

    /// The leads' custom fields as the account's admin has them now (tests change them to
    /// play an admin editing fields after the app cached them).
    pub fn lead_fields(&self) -> Vec<SimField> {
        self.shared.lock().crm.lead_fields.clone()
    }

    /// The account's time zone as `datetime_settings` gives it (e.g. "America/Sao_Paulo",
    /// "-03:00", -10800); dates are stored at midnight there.
    pub fn set_timezone(&self, name: &'static str, offset: &'static str, secs: i64) {
        self.shared.lock().crm.timezone = (name, offset, secs);
    }

    pub fn set_lead_fields(&self, fields: Vec<SimField>) {
        self.shared.lock().crm.lead_fields = fields;
    }

    pub fn leads(&self) -> Vec<SimLead> {
        self.shared.lock().crm.leads.clone()
    }

    pub fn contacts(&self) -> Vec<SimContact> {
        self.shared.lock().crm.contacts.clone()
    }

    pub fn companies(&self) -> Vec<SimCompany> {
        self.shared.lock().crm.companies.clone()
    }

    /// Adds an existing company to the account (no custom fields); its id.
    pub fn seed_company(&self, name: &str) -> i64 {
        self.shared.lock().crm.seed_company(name)
    }

    pub fn tasks(&self) -> Vec<SimTask> {
        self.shared.lock().crm.tasks.clone()
    }

    /// Adds a task type to the account (as an admin does in its settings); its id.
    pub fn add_task_type(&self, name: &str) -> i64 {
        let mut inner = self.shared.lock();
        let id = inner.crm.task_types.iter().map(|t| t.0).max().unwrap_or(0).max(1000) + 1;
        inner.crm.task_types.push((id, name.to_string(), None));
        id
    }

    pub fn unsorted(&self) -> Vec<SimUnsorted> {
        self.shared.lock().crm.unsorted.clone()
    }

    /// The account's "Неразобранное" switch (`is_unsorted_on` of `/api/v4/account`); off, every
    /// `POST /leads/unsorted/forms` is refused.
    pub fn set_unsorted_on(&self, on: bool) {
        self.shared.lock().crm.unsorted_on = on;
    }

    /// A pipeline's unsorted switch (`is_unsorted_on` in the pipelines list).
    pub fn set_pipeline_unsorted(&self, pipeline_id: i64, on: bool) {
        if let Some(p) = self.shared.lock().crm.pipelines.iter_mut().find(|p| p.id == pipeline_id) {
            p.is_unsorted_on = on;
        }
    }

    pub fn contact_fields(&self) -> Vec<SimField> {
        self.shared.lock().crm.contact_fields.clone()
    }

    pub fn set_contact_fields(&self, fields: Vec<SimField>) {
        self.shared.lock().crm.contact_fields = fields;
    }

    pub fn company_fields(&self) -> Vec<SimField> {
        self.shared.lock().crm.company_fields.clone()
    }

    pub fn set_company_fields(&self, fields: Vec<SimField>) {
        self.shared.lock().crm.company_fields = fields;
    }

    /// Every note, of leads, contacts and companies.
    pub fn notes(&self) -> Vec<SimNote> {
        self.shared.lock().crm.notes.clone()
    }

    /// The call notes (`call_in`, `call_out`) — what `POST /api/v4/calls` and a sip incoming
    /// lead wrote; count one call's notes with [`SimNote::uniq`].
    pub fn calls(&self) -> Vec<SimNote> {
        self.shared.lock().crm.notes.iter().filter(|n| n.is_call()).cloned().collect()
    }

    /// Whether the account has amoCRM's "API filtering (alpha)": off, `filter[updated_at]` on
    /// leads, contacts and companies is refused with 400 (docs/amocrm-api.md §17.2). On at start.
    pub fn set_updated_at_filter(&self, enabled: bool) {
        self.shared.lock().crm.updated_at_filter = enabled;
    }

    /// Deletes a contact as a user would in amoCRM (its leads lose it); whether it existed.
    pub fn delete_contact(&self, id: i64) -> bool {
        self.shared.lock().crm.delete_contact(id)
    }

    /// Deletes a company (its contacts and leads lose it); whether it existed.
    pub fn delete_company(&self, id: i64) -> bool {
        self.shared.lock().crm.delete_company(id)
    }

    /// Merges contact `gone` into `keep` as amoCRM's duplicate merge does: `gone` disappears, its
    /// phones, e-mails, leads and notes move to `keep`, whose `updated_at` moves. Whether both
    /// existed.
    pub fn merge_contacts(&self, keep: i64, gone: i64) -> bool {
        self.shared.lock().crm.merge_contacts(keep, gone)
    }

    /// Renames a contact (moves its `updated_at`); whether it exists.
    pub fn rename_contact(&self, id: i64, name: &str) -> bool {
        self.shared.lock().crm.rename_contact(id, name)
    }

    /// Replaces a contact's phones (moves its `updated_at`); whether it exists.
    pub fn set_contact_phones(&self, id: i64, phones: Vec<String>) -> bool {
        self.shared.lock().crm.set_contact_phones(id, phones)
    }

    /// Adds `count` customers at once — "Customer 00001"…, phones `+7` and ten digits counting
    /// up from `first_phone`, every 10th with an open lead in the first pipeline, every 20th with
    /// a company — and returns their ids. 50 000 take well under a second.
    pub fn seed_contacts(&self, count: usize, first_phone: u64) -> Vec<i64> {
        self.shared.lock().crm.seed_contacts(count, first_phone)
    }

    pub fn pipelines(&self) -> Vec<SimPipeline> {
        self.shared.lock().crm.pipelines.clone()
    }

    pub fn users(&self) -> Vec<SimUser> {
        self.shared.lock().crm.users.clone()
    }

    /// The account's loss reasons (`GET /api/v4/leads/loss_reasons`).
    pub fn loss_reasons(&self) -> Vec<SimLossReason> {
        self.shared.lock().crm.loss_reasons.clone()
    }

    /// Replaces the account's loss reasons (none: the list answers 204 and every
    /// `loss_reason_id` is refused).
    pub fn set_loss_reasons(&self, reasons: Vec<SimLossReason>) {
        self.shared.lock().crm.loss_reasons = reasons;
    }

    /// Whether `PATCH /api/v4/leads` refuses a move into a stage whose required fields are empty
    /// (on at start; amoCRM's behaviour is not documented, docs/amocrm-api.md §18.2).
    pub fn set_required_fields_enforced(&self, on: bool) {
        self.shared.lock().crm.required_fields_enforced = on;
    }

    /// Whether `GET /api/v4/tasks` honours `filter[complete_till][from|to]`, which amo-docs does
    /// not list (off at start: ignored like any unknown filter; docs/amocrm-api.md §18.1).
    pub fn set_task_due_filter(&self, on: bool) {
        self.shared.lock().crm.task_due_filter = on;
    }

    /// Whether `GET /api/v4/tasks` honours `filter[is_completed]` (on at start, as amo-docs
    /// lists it); off, done tasks are listed too — a page can then hold no open task at all.
    pub fn set_task_completed_filter(&self, on: bool) {
        self.shared.lock().crm.task_completed_filter = on;
    }

    /// The colleague [`Simulator::change_task_as_colleague`] acts as: the first user who is not
    /// the admin.
    pub fn colleague_id(&self) -> i64 {
        let inner = self.shared.lock();
        inner.crm.users.iter().map(|u| u.id).find(|id| *id != inner.cfg.user_id).unwrap_or(inner.cfg.user_id)
    }

    /// Changes task `id` as a colleague would in amoCRM meanwhile: `patch` is what a `PATCH` of
    /// the task takes, checked the same way; `updated_by` becomes the colleague, `updated_at`
    /// moves. `Ok(updated_at)`, or `Err` with the status and body the API would have answered.
    pub async fn change_task_as_colleague(&self, id: i64, patch: serde_json::Value) -> Result<i64, String> {
        self.change_as(colleague::Kind::Task, id, patch, None).await
    }

    /// Changes lead `id` as a colleague would (see [`Simulator::change_task_as_colleague`]).
    pub async fn change_lead_as_colleague(&self, id: i64, patch: serde_json::Value) -> Result<i64, String> {
        self.change_as(colleague::Kind::Lead, id, patch, None).await
    }

    /// Changes lead `id` as user `user_id` (with `patch`, as a `PATCH` takes it) right before the
    /// `nth` `GET /api/v4/leads/{id}` from now is answered (1: the next one) — a colleague's
    /// change landing between a command's own read and the outbox's read before its send.
    pub fn change_lead_on_read(&self, id: i64, nth: u32, user_id: i64, patch: serde_json::Value) {
        let mut inner = self.shared.lock();
        inner.on_read.push(colleague::OnRead { lead_id: id, reads_left: nth.max(1), user: user_id, patch });
    }

    /// Changes lead `id` as user `user_id` (one of [`Simulator::users`]).
    pub async fn change_lead_as(&self, user_id: i64, id: i64, patch: serde_json::Value) -> Result<i64, String> {
        self.change_as(colleague::Kind::Lead, id, patch, Some(user_id)).await
    }

    /// Changes task `id` as user `user_id` (one of [`Simulator::users`]).
    pub async fn change_task_as(&self, user_id: i64, id: i64, patch: serde_json::Value) -> Result<i64, String> {
        self.change_as(colleague::Kind::Task, id, patch, Some(user_id)).await
    }

    async fn change_as(
        &self,
        kind: colleague::Kind,
        id: i64,
        patch: serde_json::Value,
        user_id: Option<i64>,
    ) -> Result<i64, String> {
        let answer = colleague::change(&mut self.shared.lock(), kind, id, patch, user_id);
        let status = answer.status();
        let body = axum::body::to_bytes(answer.into_body(), usize::MAX).await.map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&body).into_owned();
        if !status.is_success() {
            return Err(format!("{status}: {text}"));
        }
        serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["updated_at"].as_i64())
            .ok_or_else(|| format!("unreadable answer: {text}"))
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn serve(
    listener: tokio::net::TcpListener,
    shared: Shared,
) -> (tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let app = router(shared);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    (tx, task)
}

fn router(shared: Shared) -> Router {
    let api = Router::new()
        .route("/api/v4/account", get(account::account))
        .route("/api/v4/leads/pipelines", get(pipelines::pipelines))
        .route("/api/v4/leads/custom_fields", get(fields::list_leads))
        .route("/api/v4/contacts/custom_fields", get(fields::list_contacts))
        .route("/api/v4/companies/custom_fields", get(fields::list_companies))
        .route("/api/v4/users", get(users::users))
        .route("/api/v4/contacts", get(contacts::list_contacts).post(contacts::add_contacts))
        .route("/api/v4/companies", get(companies::list_companies).post(companies::add_companies))
        .route("/api/v4/companies/{id}", get(companies::get_company))
        .route("/api/v4/tasks", get(tasks::list_tasks).post(tasks::add_tasks).patch(tasks::patch_task_list))
        .route("/api/v4/tasks/{id}", get(tasks::get_task).patch(tasks::patch_task))
        .route("/api/v4/leads/unsorted", get(unsorted::list_unsorted))
        .route("/api/v4/leads/unsorted/forms", post(unsorted::add_forms))
        .route("/api/v4/leads/unsorted/sip", post(unsorted::add_sip))
        .route("/api/v4/leads/unsorted/{uid}", get(unsorted::get_unsorted))
        .route("/api/v4/leads", get(leads::list_leads).patch(leads::patch_lead_list))
        .route("/api/v4/leads/loss_reasons", get(loss_reasons::list))
        .route("/api/v4/leads/loss_reasons/{id}", get(loss_reasons::get_one))
        .route("/api/v4/leads/complex", post(leads::add_complex))
        .route("/api/v4/leads/{id}", get(leads::get_lead).patch(leads::patch_lead))
        .route("/api/v4/calls", post(calls::add_calls).get(calls::no_list))
        .route("/api/v4/{entity}/{id}/links", get(links::list))
        .route("/api/v4/{entity}/{id}/link", post(links::link))
        .route("/api/v4/{entity}/{id}/unlink", post(links::unlink));
    let api = notes::NOTE_ENTITIES
        .into_iter()
        .flat_map(notes::routes)
        .fold(api, |api, (path, route)| api.route(&path, route))
        .route_layer(axum::middleware::from_fn_with_state(shared.clone(), gate::api_layer));
    Router::new()
        .merge(api)
        .route("/oauth", get(oauth::authorize_page))
        .route("/oauth/decision", post(oauth::decision))
        .route("/oauth2/access_token", post(oauth::access_token))
        .route("/oauth2/account/current/subdomain", get(account::current_subdomain))
        .route("/_sim/stats", get(control::sim_stats))
        .route("/_sim/decision", post(control::sim_decision))
        .route("/_sim/expire-tokens", post(control::sim_expire_tokens))
        .route("/_sim/keys/code", post(control::sim_issue_code))
        .route("/_sim/keys/long-lived", post(control::sim_issue_long_lived))
        .route("/_sim/faults", post(control::sim_faults))
        .route("/_sim/unban", post(control::sim_unban))
        .route("/_sim/filtering", post(control::sim_filtering))
        .route("/_sim/contacts/seed", post(control::sim_seed_contacts))
        .route("/_sim/demo/seed", post(demo::sim_seed_demo))
        .route("/_sim/leads/between-pages", post(control::sim_leads_between_pages))
        .route("/_sim/contacts/merge", post(control::sim_merge_contacts))
        .route("/_sim/contacts/{id}", axum::routing::delete(control::sim_delete_contact))
        .route("/_sim/contacts/{id}/name", post(control::sim_rename_contact))
        .route("/_sim/contacts/{id}/phones", post(control::sim_set_contact_phones))
        .route("/_sim/companies/{id}", axum::routing::delete(control::sim_delete_company))
        .route("/_sim/notes", get(control::sim_notes))
        .route("/_sim/calls", get(control::sim_calls))
        .route("/_sim/tasks/{id}/as-colleague", post(colleague::sim_task_as_colleague))
        .route("/_sim/leads/{id}/as-colleague", post(colleague::sim_lead_as_colleague))
        .with_state(shared)
}
