//! A local stand-in for amoCRM / Kommo, built from `docs/amocrm-api.md`, for the tests and the
//! demo. It listens on 127.0.0.1 only and implements what the app uses, as amoCRM does it:
//!
//! - `GET /oauth?client_id&state&mode` — the authorize page with Allow / Deny (or an automatic
//!   decision for tests), redirecting to the registered Redirect URI with
//!   `code, state, referer, platform` or `error=access_denied` (docs/amocrm-api.md §2–3);
//! - `POST /oauth2/access_token` — both grants, JSON or form bodies, exact `redirect_uri` match,
//!   single-use 20-minute codes, single-use rotating refresh tokens, JWT-shaped access tokens,
//!   problem+json errors with amoCRM's `hint` values (docs/amocrm-api.md §4);
//! - `GET /api/v4/account` — HAL JSON behind a bearer check; 401 problem+json on a bad or expired
//!   token; more than 7 API requests in a second → 429 (docs/amocrm-api.md §7, §8.1, §9.1);
//! - the CRM endpoints of a lead-entry client (pipelines, users, contacts, leads, complex add,
//!   notes) in [`crm`], with fault injection and the 403 HTML ban after repeated 429s;
//! - companies ([`companies`]), tasks ([`tasks`]) and incoming (unsorted) form leads
//!   ([`unsorted`]), as amo-docs describes them (docs/amocrm-api.md §8.6, §8.8, §8.13);
//! - `/_sim/*` — controls and counters for tests (not part of amoCRM).

mod companies;
mod crm;
mod fields;
mod gate;
mod hal;
mod links;
mod problem;
mod search;
mod tasks;
mod unsorted;

pub use companies::SimCompany;
pub use crm::{SimContact, SimLead, SimNote, SimPipeline, SimStatus, SimUser};
pub use fields::SimField;
pub use gate::Faults;
pub use tasks::SimTask;
pub use unsorted::{SimUnsorted, KOMMO_DUPLICATE_TAG};

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};
use serde_json::json;

use hal::hal;
use problem::problem_response;

/// Demo values shared by the README's demo command and the tests. Not secrets of anything real.
pub const DEMO_CLIENT_ID: &str = "5c0e6b5e-6a0e-4c55-9a3e-2b8d6a1e7f10";
pub const DEMO_CLIENT_SECRET: &str = "sim-demo-secret-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ";
pub const DEMO_REDIRECT_URI: &str = "http://127.0.0.1:53682/callback";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Show the Allow / Deny page and wait for a click.
    Manual,
    /// Redirect with a code at once (tests acting as a user who clicks Allow).
    Approve,
    /// Redirect with `error=access_denied` at once.
    Deny,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimPlatform {
    Amocrm,
    Kommo,
}

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    pub subdomain: String,
    pub platform: SimPlatform,
    pub account_id: i64,
    pub account_name: String,
    pub user_id: i64,
    pub access_token_ttl: i64,
    pub code_ttl: i64,
    pub decision: Decision,
    pub rate_limit_per_sec: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            client_id: DEMO_CLIENT_ID.into(),
            client_secret: DEMO_CLIENT_SECRET.into(),
            redirect_uri: DEMO_REDIRECT_URI.into(),
            subdomain: "acme".into(),
            platform: SimPlatform::Amocrm,
            account_id: 31_415_926,
            account_name: "Acme Trading".into(),
            user_id: 8_675_309,
            access_token_ttl: 86_400,
            code_ttl: 20 * 60,
            decision: Decision::Manual,
            rate_limit_per_sec: 7,
        }
    }
}

impl SimConfig {
    pub fn account_host(&self) -> String {
        match self.platform {
            SimPlatform::Amocrm => format!("{}.amocrm.ru", self.subdomain),
            SimPlatform::Kommo => format!("{}.kommo.com", self.subdomain),
        }
    }

    fn platform_code(&self) -> &'static str {
        match self.platform {
            SimPlatform::Amocrm => "1",
            SimPlatform::Kommo => "2",
        }
    }

    fn top_level(&self) -> &'static str {
        match self.platform {
            SimPlatform::Amocrm => "amocrm.ru",
            SimPlatform::Kommo => "kommo.com",
        }
    }
}

/// Counters a test can read (also at `GET /_sim/stats`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stats {
    pub authorize_pages: u64,
    pub codes_issued: u64,
    pub denials: u64,
    pub token_requests: u64,
    pub code_exchanges: u64,
    pub refreshes: u64,
    pub reused_refresh_tokens: u64,
    pub token_errors: u64,
    pub api_requests: u64,
    pub unauthorized: u64,
    pub rate_limited: u64,
    /// The most API requests the simulator saw within any one second.
    pub max_requests_per_second: u64,
    /// Requests answered with the 403 HTML ban page.
    pub banned_requests: u64,
    /// Requests a [`Faults`] setting failed, refused or whose answer it dropped.
    pub faults_injected: u64,
    pub complex_requests: u64,
    pub leads_created: u64,
    pub contacts_created: u64,
    pub notes_created: u64,
    /// `/leads/complex` items that duplicate control merged into an existing lead.
    pub merged: u64,
    /// Companies created (`POST /companies`, or new in a complex or unsorted add).
    #[serde(default)]
    pub companies_created: u64,
    #[serde(default)]
    pub tasks_created: u64,
    /// Incoming leads added through `POST /leads/unsorted/forms`.
    #[serde(default)]
    pub unsorted_created: u64,
    /// Links made or removed through `POST …/{id}/link` and `…/unlink`.
    #[serde(default)]
    pub links_changed: u64,
}

struct CodeEntry {
    issued_at: i64,
    used: bool,
    /// The amoCRM user who allowed access (tokens act with that user's rights).
    user_id: i64,
}

pub(crate) struct Inner {
    cfg: SimConfig,
    stats: Stats,
    codes: HashMap<String, CodeEntry>,
    /// refresh token → already used?
    refresh_tokens: HashMap<String, bool>,
    /// access token → expires at (unix seconds)
    access_tokens: HashMap<String, i64>,
    /// access or refresh token → the user it acts for
    token_users: HashMap<String, i64>,
    /// The user signed in to amoCRM in the browser: who allows access on the authorize page and
    /// whose codes the Keys tab shows.
    signed_in_user: i64,
    /// Every API request answers 401 while the token endpoint still issues tokens: the
    /// integration's user was deactivated or lost API access (see [`Simulator::deny_api`]).
    api_denied: bool,
    /// The token endpoint does its work, then holds the answer back this long (a slow network:
    /// the client is waiting for an answer to a grant amoCRM already carried out).
    token_answer_delay_ms: u64,
    gate: gate::Gate,
    crm: crm::Crm,
}

#[derive(Clone)]
pub(crate) struct Shared(Arc<Mutex<Inner>>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

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
        let crm = crm::Crm::new(cfg.user_id);
        let signed_in = cfg.user_id;
        let shared = Shared(Arc::new(Mutex::new(Inner {
            signed_in_user: signed_in,
            api_denied: false,
            token_answer_delay_ms: 0,
            cfg,
            stats: Stats::default(),
            codes: HashMap::new(),
            refresh_tokens: HashMap::new(),
            access_tokens: HashMap::new(),
            token_users: HashMap::new(),
            gate: gate::Gate::new(),
            crm,
        })));
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
        new_code(&mut self.shared.lock())
    }

    /// A long-lived token as the Keys tab generates it: a JWT valid `seconds`, no refresh token.
    pub fn issue_long_lived(&self, seconds: i64) -> String {
        new_long_lived(&mut self.shared.lock(), seconds)
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
        for exp in self.shared.lock().access_tokens.values_mut() {
            *exp = 0;
        }
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
        let mut inner = self.shared.lock();
        let crm = &mut inner.crm;
        let id = crm.id();
        let admin = crm.users[0].id;
        crm.companies.push(SimCompany {
            id,
            name: name.to_string(),
            responsible_user_id: admin,
            created_by: admin,
            created_at: now(),
            custom_fields_values: Vec::new(),
        });
        id
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

    pub fn notes(&self) -> Vec<SimNote> {
        self.shared.lock().crm.notes.clone()
    }

    pub fn pipelines(&self) -> Vec<SimPipeline> {
        self.shared.lock().crm.pipelines.clone()
    }

    pub fn users(&self) -> Vec<SimUser> {
        self.shared.lock().crm.users.clone()
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
        .route("/api/v4/account", get(account))
        .route("/api/v4/leads/pipelines", get(crm::pipelines))
        .route("/api/v4/leads/custom_fields", get(fields::list_leads))
        .route("/api/v4/contacts/custom_fields", get(fields::list_contacts))
        .route("/api/v4/companies/custom_fields", get(fields::list_companies))
        .route("/api/v4/users", get(crm::users))
        .route("/api/v4/contacts", get(crm::list_contacts).post(crm::add_contacts))
        .route("/api/v4/companies", get(companies::list_companies).post(companies::add_companies))
        .route("/api/v4/companies/{id}", get(companies::get_company))
        .route("/api/v4/tasks", get(tasks::list_tasks).post(tasks::add_tasks))
        .route("/api/v4/tasks/{id}", get(tasks::get_task))
        .route("/api/v4/leads/unsorted", get(unsorted::list_unsorted))
        .route("/api/v4/leads/unsorted/forms", post(unsorted::add_forms))
        .route("/api/v4/leads/unsorted/{uid}", get(unsorted::get_unsorted))
        .route("/api/v4/leads", get(crm::list_leads))
        .route("/api/v4/leads/complex", post(crm::add_complex))
        .route("/api/v4/leads/{id}", get(crm::get_lead))
        .route("/api/v4/leads/notes", post(crm::add_lead_notes))
        .route("/api/v4/leads/{id}/notes", get(crm::list_notes_for_lead).post(crm::add_notes_for_lead))
        .route("/api/v4/{entity}/{id}/links", get(links::list))
        .route("/api/v4/{entity}/{id}/link", post(links::link))
        .route("/api/v4/{entity}/{id}/unlink", post(links::unlink))
        .route_layer(axum::middleware::from_fn_with_state(shared.clone(), gate::api_layer));
    Router::new()
        .merge(api)
        .route("/oauth", get(authorize_page))
        .route("/oauth/decision", post(decision))
        .route("/oauth2/access_token", post(access_token))
        .route("/oauth2/account/current/subdomain", get(current_subdomain))
        .route("/_sim/stats", get(sim_stats))
        .route("/_sim/decision", post(sim_decision))
        .route("/_sim/expire-tokens", post(sim_expire_tokens))
        .route("/_sim/keys/code", post(sim_issue_code))
        .route("/_sim/keys/long-lived", post(sim_issue_long_lived))
        .route("/_sim/faults", post(sim_faults))
        .route("/_sim/unban", post(sim_unban))
        .with_state(shared)
}

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn random_hex(n_bytes: usize) -> String {
    let mut b = vec![0u8; n_bytes];
    rand::thread_rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn uuid_like() -> String {
    let h = random_hex(16);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

// ---------------------------------------------------------------- authorize page

#[derive(Deserialize)]
struct AuthorizeQuery {
    client_id: Option<String>,
    state: Option<String>,
    mode: Option<String>,
}

async fn authorize_page(State(s): State<Shared>, Query(q): Query<AuthorizeQuery>) -> Response {
    let mut inner = s.lock();
    inner.stats.authorize_pages += 1;
    let cfg = inner.cfg.clone();
    if q.client_id.as_deref() != Some(cfg.client_id.as_str()) {
        return (
            StatusCode::BAD_REQUEST,
            Html("<!doctype html><meta charset=utf-8><title>amoCRM</title><h1>Интеграция не найдена</h1><p>Integration not found: check client_id.</p>".to_string()),
        )
            .into_response();
    }
    if let Some(mode) = &q.mode {
        if mode != "popup" && mode != "post_message" {
            return (StatusCode::BAD_REQUEST, Html("<h1>Unknown mode</h1>".to_string())).into_response();
        }
    }
    match cfg.decision {
        Decision::Approve => Redirect::to(&grant(&mut inner, q.state.as_deref())).into_response(),
        Decision::Deny => Redirect::to(&deny(&mut inner, q.state.as_deref())).into_response(),
        Decision::Manual => {
            let state = escape(q.state.as_deref().unwrap_or(""));
            let name = escape(&cfg.account_name);
            Html(format!(
                "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><title>amoCRM — предоставить доступ</title>\
                 <style>body{{font-family:system-ui,sans-serif;max-width:30rem;margin:3rem auto}}button{{font-size:1.1rem;margin-right:1rem}}</style>\
                 </head><body><h1>Amo Connect запрашивает доступ</h1>\
                 <p>Аккаунт: <b id=\"account\">{name}</b> ({host})</p>\
                 <p lang=\"en\">Amo Connect asks for access to this account.</p>\
                 <form method=\"post\" action=\"/oauth/decision\">\
                 <input type=\"hidden\" name=\"client_id\" value=\"{cid}\"><input type=\"hidden\" name=\"state\" value=\"{state}\">\
                 <button id=\"allow\" name=\"decision\" value=\"allow\">Разрешить / Allow</button>\
                 <button id=\"deny\" name=\"decision\" value=\"deny\">Отказать / Deny</button></form>\
                 <p><small>amoCRM simulator (Amo Connect tests)</small></p></body></html>",
                host = escape(&cfg.account_host()),
                cid = escape(&cfg.client_id),
            ))
            .into_response()
        }
    }
}

#[derive(Deserialize)]
struct DecisionForm {
    client_id: String,
    state: Option<String>,
    decision: String,
}

async fn decision(State(s): State<Shared>, Form(f): Form<DecisionForm>) -> Response {
    let mut inner = s.lock();
    if f.client_id != inner.cfg.client_id {
        return (StatusCode::BAD_REQUEST, "unknown client_id").into_response();
    }
    let state = f.state.as_deref().filter(|s| !s.is_empty());
    match f.decision.as_str() {
        "allow" => Redirect::to(&grant(&mut inner, state)).into_response(),
        "deny" => Redirect::to(&deny(&mut inner, state)).into_response(),
        _ => (StatusCode::BAD_REQUEST, "decision must be allow or deny").into_response(),
    }
}

fn redirect_with(base: &str, pairs: &[(&str, &str)]) -> String {
    match url::Url::parse(base) {
        Ok(mut u) => {
            {
                let mut q = u.query_pairs_mut();
                for (k, v) in pairs {
                    q.append_pair(k, v);
                }
            }
            u.to_string()
        }
        Err(_) => base.to_string(),
    }
}

/// Real codes are long opaque strings starting with "def502".
fn new_code(inner: &mut Inner) -> String {
    let code = format!("def50200{}", random_hex(300));
    let user_id = inner.signed_in_user;
    inner.codes.insert(code.clone(), CodeEntry { issued_at: now(), used: false, user_id });
    inner.stats.codes_issued += 1;
    code
}

fn grant(inner: &mut Inner, state: Option<&str>) -> String {
    let code = new_code(inner);
    let host = inner.cfg.account_host();
    let mut pairs = vec![("code", code.as_str())];
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    pairs.push(("referer", host.as_str()));
    pairs.push(("platform", inner.cfg.platform_code()));
    redirect_with(&inner.cfg.redirect_uri, &pairs)
}

fn deny(inner: &mut Inner, state: Option<&str>) -> String {
    inner.stats.denials += 1;
    let mut pairs = vec![("error", "access_denied")];
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    redirect_with(&inner.cfg.redirect_uri, &pairs)
}

// ---------------------------------------------------------------- hosts

/// The host a request was meant for: the `Host` header, unless it names the simulator itself
/// (a test calling 127.0.0.1 directly), which stands for the account's own host.
fn requested_host(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?.to_ascii_lowercase();
    let name = host.split(':').next().unwrap_or_default().to_string();
    if name == "127.0.0.1" || name == "localhost" {
        None
    } else {
        Some(name)
    }
}

/// Whether the request reached the account's current host (or its amocrm.com alias for Kommo).
fn is_account_host(inner: &Inner, headers: &HeaderMap) -> bool {
    match requested_host(headers) {
        None => true,
        Some(h) => {
            let current = inner.cfg.account_host();
            h == current
                || (inner.cfg.platform == SimPlatform::Kommo && h == format!("{}.amocrm.com", inner.cfg.subdomain))
        }
    }
}

// ---------------------------------------------------------------- token endpoint

fn oauth_problem(status: StatusCode, hint: &str) -> Response {
    let body = json!({
        "hint": hint,
        "title": "Некорректный запрос",
        "type": "https://developers.amocrm.ru/v3/errors/OAuthProblemJson",
        "status": status.as_u16(),
        "detail": "В запросе отсутствует ряд параметров или параметры невалидны",
    });
    problem_response(status, body)
}

fn parse_body(headers: &HeaderMap, body: &Bytes) -> Option<HashMap<String, String>> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if ct.starts_with("application/json") {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        let obj = v.as_object()?;
        Some(
            obj.iter()
                .map(|(k, v)| (k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
                .collect(),
        )
    } else if ct.starts_with("application/x-www-form-urlencoded") {
        Some(url::form_urlencoded::parse(body).into_owned().collect())
    } else {
        None
    }
}

fn jwt(cfg: &SimConfig, user_id: i64, iat: i64, exp: i64) -> String {
    let header = json!({"typ": "JWT", "alg": "RS256", "jti": uuid_like()});
    let payload = json!({
        "aud": cfg.client_id,
        "jti": uuid_like(),
        "iat": iat,
        "nbf": iat,
        "exp": exp,
        "sub": user_id.to_string(),
        "grant_type": "",
        "account_id": cfg.account_id,
        "base_domain": cfg.top_level(),
        "version": 2,
        "scopes": ["crm", "files", "files_delete", "notifications", "push_notifications"],
        "hash_uuid": uuid_like(),
        "api_domain": format!("api-b.{}", cfg.top_level()),
    });
    let mut sig = [0u8; 256];
    rand::thread_rng().fill_bytes(&mut sig);
    format!("{}.{}.{}", b64(header.to_string().as_bytes()), b64(payload.to_string().as_bytes()), b64(&sig))
}

fn issue_tokens(inner: &mut Inner, user_id: i64) -> Response {
    let t = now();
    let access = jwt(&inner.cfg, user_id, t, t + inner.cfg.access_token_ttl);
    let refresh = format!("def50200{}", random_hex(512 + rand::thread_rng().gen_range(0..32)));
    inner.access_tokens.insert(access.clone(), t + inner.cfg.access_token_ttl);
    inner.refresh_tokens.insert(refresh.clone(), false);
    inner.token_users.insert(access.clone(), user_id);
    inner.token_users.insert(refresh.clone(), user_id);
    Json(json!({
        "token_type": "Bearer",
        "expires_in": inner.cfg.access_token_ttl,
        "server_time": t,
        "access_token": access,
        "refresh_token": refresh,
    }))
    .into_response()
}

async fn access_token(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let (resp, delay) = {
        let mut inner = s.lock();
        inner.stats.token_requests += 1;
        let resp = token_grant(&mut inner, &headers, &body);
        if !resp.status().is_success() {
            inner.stats.token_errors += 1;
        }
        (resp, inner.token_answer_delay_ms)
    };
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    resp
}

fn token_grant(inner: &mut Inner, headers: &HeaderMap, body: &Bytes) -> Response {
    if !is_account_host(inner, headers) {
        return problem_response(
            StatusCode::NOT_FOUND,
            json!({"title": "Not Found", "type": "https://httpstatus.es/404", "status": 404, "detail": "Account not found"}),
        );
    }
    let Some(p) = parse_body(headers, body) else {
        return oauth_problem(StatusCode::BAD_REQUEST, "Request body must be JSON or form-encoded");
    };
    let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
    if get("client_id") != inner.cfg.client_id {
        return oauth_problem(StatusCode::BAD_REQUEST, "Check the `client_id` parameter");
    }
    if get("client_secret") != inner.cfg.client_secret {
        return oauth_problem(StatusCode::BAD_REQUEST, "Check the `client_secret` parameter");
    }
    if get("redirect_uri") != inner.cfg.redirect_uri {
        return oauth_problem(StatusCode::BAD_REQUEST, "Redirect URI is not associated with client");
    }
    match get("grant_type") {
        "authorization_code" => {
            inner.stats.code_exchanges += 1;
            let code_ttl = inner.cfg.code_ttl;
            match inner.codes.get_mut(get("code")) {
                None => oauth_problem(StatusCode::BAD_REQUEST, "Cannot decrypt the authorization code"),
                Some(c) if c.used => oauth_problem(StatusCode::BAD_REQUEST, "Authorization code has been revoked"),
                Some(c) if now() - c.issued_at > code_ttl => {
                    oauth_problem(StatusCode::BAD_REQUEST, "Authorization code has expired")
                }
                Some(c) => {
                    c.used = true;
                    let user = c.user_id;
                    issue_tokens(inner, user)
                }
            }
        }
        "refresh_token" => {
            inner.stats.refreshes += 1;
            let token = get("refresh_token").to_string();
            match inner.refresh_tokens.get_mut(&token) {
                None => oauth_problem(StatusCode::BAD_REQUEST, "Invalid refresh token"),
                Some(used) if *used => {
                    inner.stats.reused_refresh_tokens += 1;
                    oauth_problem(StatusCode::UNAUTHORIZED, "Token has been revoked")
                }
                Some(used) => {
                    *used = true;
                    let user = inner.token_users.get(&token).copied().unwrap_or(inner.cfg.user_id);
                    issue_tokens(inner, user)
                }
            }
        }
        _ => oauth_problem(
            StatusCode::BAD_REQUEST,
            "The authorization grant type is not supported by the authorization server.",
        ),
    }
}

// ---------------------------------------------------------------- API

fn unauthorized(detail: &str) -> Response {
    problem_response(
        StatusCode::UNAUTHORIZED,
        json!({"title": "Unauthorized", "type": "https://httpstatus.es/401", "status": 401, "detail": detail}),
    )
}

/// Checks that an API request reached the account's host with a valid bearer token; `Some` is
/// the 401 to send instead of an answer. (Counting, 429 and faults happen before, in
/// `gate::api_layer`.)
pub(crate) fn api_gate(inner: &mut Inner, headers: &HeaderMap) -> Option<Response> {
    if !is_account_host(inner, headers) {
        inner.stats.unauthorized += 1;
        // amoCRM answers a request for a subdomain that no longer exists with 401 (code 101).
        return Some(unauthorized("Account does not exist (code 101)"));
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if inner.api_denied {
        inner.stats.unauthorized += 1;
        return Some(unauthorized("Authorization failed"));
    }
    match inner.access_tokens.get(token) {
        Some(exp) if *exp > now() => None,
        Some(_) => {
            inner.stats.unauthorized += 1;
            Some(unauthorized("Access token has expired"))
        }
        None => {
            inner.stats.unauthorized += 1;
            Some(unauthorized("Authorization failed"))
        }
    }
}

/// The user a request's bearer token acts for (call after [`api_gate`] let it through).
pub(crate) fn token_user(inner: &Inner, headers: &HeaderMap) -> i64 {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    inner.token_users.get(token).copied().unwrap_or(inner.cfg.user_id)
}

async fn account(State(s): State<Shared>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut inner = s.lock();
    if let Some(r) = api_gate(&mut inner, &headers) {
        return r;
    }
    let me = token_user(&inner, &headers);
    let with: Vec<&str> = q.get("with").map(|w| w.split(',').collect()).unwrap_or_default();
    let mut embedded = serde_json::Map::new();
    if with.contains(&"datetime_settings") {
        let (zone, offset, _) = inner.crm.timezone;
        embedded.insert(
            "datetime_settings".into(),
            json!({"date_pattern": "d.m.Y H:i", "short_date_pattern": "d.m.Y", "short_time_pattern": "H:i",
                   "date_formant": "d.m.Y", "time_format": "H:i:s", "timezone": zone, "timezone_offset": offset}),
        );
    }
    if with.contains(&"task_types") {
        // The same list `POST /api/v4/tasks` checks `task_type_id` against.
        embedded.insert("task_types".into(), inner.crm.task_types_json());
    }
    let c = &inner.cfg;
    let mut body = json!({
        "id": c.account_id,
        "name": c.account_name,
        "subdomain": c.subdomain,
        "created_at": 1_585_840_134,
        "created_by": 0,
        "updated_at": 1_585_840_134,
        "updated_by": 0,
        "current_user_id": me,
        "country": if c.platform == SimPlatform::Amocrm { "RU" } else { "US" },
        "customers_mode": "disabled",
        "is_unsorted_on": inner.crm.unsorted_on,
        "is_loss_reason_enabled": true,
        "is_helpbot_enabled": false,
        "is_technical_account": false,
        "contact_name_display_order": 1,
        "currency": if c.platform == SimPlatform::Amocrm { "RUB" } else { "USD" },
        "_links": {"self": {"href": format!("https://{}/api/v4/account", c.account_host())}},
    });
    if !embedded.is_empty() {
        body["_embedded"] = serde_json::Value::Object(embedded);
    }
    hal(body)
}

/// `GET https://{api_domain}/oauth2/account/current/subdomain` with `X-Refresh-Token`
/// (docs/amocrm-api.md §6.3): where the account lives now. Only on the `api_domain` host.
async fn current_subdomain(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let inner = s.lock();
    let api_host = format!("api-b.{}", inner.cfg.top_level());
    if requested_host(&headers).is_some_and(|h| h != api_host) {
        return (StatusCode::NOT_FOUND, "not the api_domain host").into_response();
    }
    let token = headers.get("x-refresh-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    match inner.refresh_tokens.get(token) {
        Some(false) => Json(json!({
            "id": inner.cfg.account_id,
            "subdomain": inner.cfg.subdomain,
            "domain": inner.cfg.account_host(),
            "top_level_domain": inner.cfg.top_level().rsplit('.').next().unwrap_or("ru"),
        }))
        .into_response(),
        _ => unauthorized("Refresh token is invalid or was used"),
    }
}

// ---------------------------------------------------------------- test controls

async fn sim_stats(State(s): State<Shared>) -> Json<Stats> {
    Json(s.lock().stats.clone())
}

#[derive(Deserialize)]
struct DecisionQuery {
    mode: Decision,
}

async fn sim_decision(State(s): State<Shared>, Query(q): Query<DecisionQuery>) -> StatusCode {
    s.lock().cfg.decision = q.mode;
    StatusCode::NO_CONTENT
}

async fn sim_expire_tokens(State(s): State<Shared>) -> StatusCode {
    for exp in s.lock().access_tokens.values_mut() {
        *exp = 0;
    }
    StatusCode::NO_CONTENT
}

async fn sim_issue_code(State(s): State<Shared>) -> Json<serde_json::Value> {
    Json(json!({ "code": new_code(&mut s.lock()) }))
}

#[derive(Deserialize)]
struct LongLivedQuery {
    seconds: i64,
}

async fn sim_issue_long_lived(State(s): State<Shared>, Query(q): Query<LongLivedQuery>) -> Json<serde_json::Value> {
    Json(json!({ "token": new_long_lived(&mut s.lock(), q.seconds) }))
}

async fn sim_faults(State(s): State<Shared>, Json(f): Json<Faults>) -> StatusCode {
    s.lock().gate.faults = f;
    StatusCode::NO_CONTENT
}

async fn sim_unban(State(s): State<Shared>) -> StatusCode {
    s.lock().gate.banned = false;
    StatusCode::NO_CONTENT
}

fn new_long_lived(inner: &mut Inner, seconds: i64) -> String {
    let t = now();
    // Only an admin generates long-lived tokens; they act with that admin's rights.
    let token = jwt(&inner.cfg, inner.cfg.user_id, t, t + seconds);
    inner.access_tokens.insert(token.clone(), t + seconds);
    token
}
