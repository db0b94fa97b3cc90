//! `AmoConnect`: the one facade the window's commands and the CLI both call, so the two can never
//! disagree about what "connected" means or how a callback is checked.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use ts_rs::TS;
use url::Url;

use crate::account_store::{self, AccountRow, AuthKind};
use crate::api::ApiClient;
use crate::config::{self, BounceVia, Platform, RedirectMode, Settings, SettingsPatch};
use crate::db::Db;
use crate::endpoints::Endpoints;
use crate::error::{Error, ErrorPayload, Result};
use crate::lang::Lang;
use crate::oauth::callback::{self, CallbackQuery};
use crate::oauth::loopback::{LoopbackListener, LoopbackTarget, Verdict};
use crate::oauth::state_store;
use crate::oauth::token_client::{ClientCredentials, TokenClient};
use crate::paths::DataDir;
use crate::secrets::chunked::ChunkedStore;
use crate::secrets::keyring_store::KeyringStore;
use crate::secrets::{SecretStore, CLIENT_SECRET_KEY, TOKENS_KEY};
use crate::tokens::{mask, TokenSet};

/// Warn this long before a long-lived token expires (it cannot be refreshed).
pub const EXPIRY_WARNING_SECS: i64 = 7 * 24 * 3600;

/// How long the loopback listener waits: as long as a state lives.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(state_store::STATE_TTL_SECS as u64);

pub fn now() -> i64 {
    Utc::now().timestamp()
}

pub fn rfc3339(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0).unwrap_or_default().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The status panel's facts; also `amo-connect status --json`.
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct StatusView {
    pub connected: bool,
    pub domain: Option<String>,
    #[ts(type = "number | null")]
    pub account_id: Option<i64>,
    pub account_name: Option<String>,
    pub platform: Option<Platform>,
    pub auth_kind: Option<AuthKind>,
    pub access_token_masked: Option<String>,
    /// RFC 3339, UTC.
    pub expires_at: Option<String>,
    pub is_expired: bool,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// RFC 3339: the last token grant or refresh.
    pub last_refresh_at: Option<String>,
    /// amoCRM refused a refresh: only Reconnect helps.
    pub reconnect_needed: bool,
    /// A token that cannot be refreshed (long-lived) expires within a week.
    pub expires_soon: bool,
    /// Set when something prevents a full answer (e.g. the keychain is locked).
    pub problem: Option<ErrorPayload>,
}

/// Settings as the window shows them: never the Secret key itself, only whether one is stored.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SettingsView {
    pub settings: Settings,
    pub client_secret_set: bool,
    /// The simulator or other server all amoCRM URLs are redirected to, if any.
    pub server_override: bool,
}

/// Returned by the window's Connect command.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ConnectStarted {
    /// Shown in the window so the user can open it by hand if no browser opened.
    pub authorize_url: String,
    pub browser_opened: bool,
}

/// Sent to the window (event `connect-finished`) when a sign-in ends, however it ends.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ConnectOutcome {
    pub status: StatusView,
    pub error: Option<ErrorPayload>,
}

pub struct AmoConnect {
    pub(crate) data: DataDir,
    pub(crate) db: Db,
    secrets: Arc<dyn SecretStore>,
    pub(crate) endpoints: Endpoints,
    pub(crate) http: reqwest::Client,
    /// In-process half of single-flight refresh; the other half is a file lock (see `session`).
    pub(crate) refresh_gate: tokio::sync::Mutex<()>,
    /// Every amoCRM API call of the process waits here (≤ 5 per second; see `api::limiter`).
    pub(crate) limiter: Arc<crate::api::limiter::RateLimiter>,
    /// Wakes the outbox worker when an entry is queued or a retry is asked for.
    pub(crate) outbox_wake: tokio::sync::Notify,
    pub(crate) retry_timing: std::sync::Mutex<crate::outbox::RetryTiming>,
}

impl AmoConnect {
    /// The data directory and server from the environment, the OS keychain.
    pub fn open_default() -> Result<AmoConnect> {
        let data = DataDir::from_env()?;
        let secrets = Arc::new(ChunkedStore::new(KeyringStore::new(&data.keychain_namespace())));
        AmoConnect::open(data, secrets, Endpoints::from_env()?)
    }

    pub fn open(data: DataDir, secrets: Arc<dyn SecretStore>, endpoints: Endpoints) -> Result<AmoConnect> {
        let db = Db::open(&data.db_path())?;
        Ok(AmoConnect {
            data,
            db,
            secrets,
            endpoints,
            http: crate::http::client()?,
            refresh_gate: tokio::sync::Mutex::new(()),
            limiter: Arc::new(crate::api::limiter::RateLimiter::default()),
            outbox_wake: tokio::sync::Notify::new(),
            retry_timing: std::sync::Mutex::new(crate::outbox::RetryTiming::default()),
        })
    }

    pub fn data_dir(&self) -> &DataDir {
        &self.data
    }

    pub fn settings(&self) -> Result<Settings> {
        config::load(&self.db)
    }

    pub fn lang(&self) -> Lang {
        self.settings().map(|s| s.language).unwrap_or_default()
    }

    pub async fn settings_view(&self) -> Result<SettingsView> {
        Ok(SettingsView {
            settings: self.settings()?,
            client_secret_set: self.secret_get(CLIENT_SECRET_KEY).await?.is_some(),
            server_override: self.endpoints.is_overridden(),
        })
    }

    /// Validates every field of the patch first, then stores them all: a form with one bad field
    /// changes nothing.
    pub async fn apply_settings(&self, patch: SettingsPatch) -> Result<SettingsView> {
        let client_id = patch.client_id.as_deref().map(config::validate_client_id).transpose()?;
        let redirect_uri = patch.redirect_uri.as_deref().map(config::validate_redirect_uri).transpose()?;
        let domain = match patch.domain.as_deref().map(str::trim) {
            Some("") => Some(None),
            Some(d) => Some(Some(config::validate_domain(d)?)),
            None => None,
        };
        let secret = patch.client_secret.as_deref().map(config::validate_client_secret).transpose()?;
        let keepalive = patch.keepalive_days.map(config::validate_keepalive_days).transpose()?;
        let bounce_port = patch.bounce_port.map(config::validate_port).transpose()?;
        if let Some(s) = secret {
            self.secret_set(CLIENT_SECRET_KEY, s.into_bytes()).await?;
        }
        if let Some(p) = patch.platform {
            config::store(&self.db, "platform", Some(p.as_str()))?;
        }
        if let Some(v) = client_id {
            config::store(&self.db, "client_id", Some(&v))?;
        }
        if let Some(v) = redirect_uri {
            config::store(&self.db, "redirect_uri", Some(&v))?;
        }
        if let Some(v) = domain {
            config::store(&self.db, "domain", v.as_deref())?;
        }
        if let Some(l) = patch.language {
            config::store(&self.db, "language", Some(l.as_str()))?;
        }
        if let Some(d) = keepalive {
            config::store(&self.db, "keepalive_days", Some(&d.to_string()))?;
        }
        if let Some(v) = patch.bounce_via {
            config::store(
                &self.db,
                "bounce_via",
                Some(if v == BounceVia::DeepLink { "deep_link" } else { "loopback" }),
            )?;
        }
        if let Some(p) = bounce_port {
            config::store(&self.db, "bounce_port", Some(&p.to_string()))?;
        }
        tracing::info!("settings updated");
        self.settings_view().await
    }

    /// Removes OAuth states whose 15 minutes are over.
    pub fn cleanup_states(&self) -> Result<usize> {
        let n = state_store::cleanup(&self.db, now())?;
        tracing::info!(removed = n, "expired states cleaned up");
        Ok(n)
    }

    /// Step one of Connect: checks the settings, binds the loopback listener when the redirect
    /// comes that way (so a busy port is reported before the browser opens), stores a fresh state
    /// and builds the authorize URL. The Redirect URI decides the way (see [`RedirectMode`]).
    pub async fn start_connect(&self) -> Result<PendingConnect> {
        let s = self.settings()?;
        let client_id = s.client_id.clone().ok_or(Error::NotConfigured("client_id"))?;
        let mode = s.redirect_mode()?;
        let redirect_uri = s.redirect_uri.clone().ok_or(Error::NotConfigured("redirect_uri"))?;
        let client_secret = self.client_secret().await?;
        let (listener, prefix) = match &mode {
            RedirectMode::Loopback { port, path } => {
                (Some(LoopbackListener::bind(LoopbackTarget { port: *port, path: path.clone() }).await?), String::new())
            }
            RedirectMode::DeepLink => (None, "d.".to_string()),
            RedirectMode::Bounce { via: BounceVia::DeepLink, .. } => (None, "d.".to_string()),
            RedirectMode::Bounce { via: BounceVia::Loopback, port } => (
                Some(LoopbackListener::bind(LoopbackTarget { port: *port, path: "/callback".into() }).await?),
                format!("l{port}."),
            ),
        };
        let t = now();
        state_store::supersede_unused(&self.db, t)?;
        let state = state_store::create_with_prefix(&self.db, &prefix, &redirect_uri, t)?;
        let authorize_url = self.endpoints.authorize_url(s.platform, &client_id, &state)?;
        tracing::info!(platform = s.platform.as_str(), mode = ?mode, "sign-in started");
        Ok(PendingConnect {
            authorize_url,
            state,
            listener,
            started_at: t,
            platform: s.platform,
            creds: ClientCredentials { client_id, client_secret, redirect_uri },
        })
    }

    /// A deep link `amoconnect://oauth/callback?…` (from a running or a cold-started app).
    /// `Reject`: not ours, forged, replayed or expired — it changes nothing and is only logged.
    /// `Finish`: a valid state; the sign-in ends here, connected or with its error.
    pub async fn complete_deep_link(&self, url: &str) -> Verdict<StatusView> {
        let parsed = match url::Url::parse(url) {
            Ok(u) if u.scheme() == "amoconnect" && u.host_str() == Some("oauth") && u.path() == "/callback" => u,
            _ => return Verdict::Reject(Error::CallbackInvalid("not an Amo Connect sign-in link".into())),
        };
        let q = CallbackQuery::parse(parsed.query().unwrap_or(""));
        let Some(state) = q.state.as_deref() else { return Verdict::Reject(Error::StateUnknown) };
        let record = match state_store::consume(&self.db, state, now()) {
            Ok(r) => r,
            Err(e) => return Verdict::Reject(e),
        };
        let settings = match self.settings() {
            Ok(s) => s,
            Err(e) => return Verdict::Finish(Err(e)),
        };
        let result = async {
            let creds = ClientCredentials {
                client_id: settings.client_id.clone().ok_or(Error::NotConfigured("client_id"))?,
                client_secret: self.client_secret().await?,
                redirect_uri: record.redirect_uri,
            };
            self.complete_authorization(&q, settings.platform, &creds).await
        }
        .await;
        Verdict::Finish(result)
    }

    /// Checks one callback query against the sign-in in progress and the state store; on success
    /// exchanges the code. A listener accepts only its own sign-in's state.
    async fn handle_callback(
        &self,
        query: &str,
        expected_state: &str,
        pending_platform: Platform,
        creds: &ClientCredentials,
    ) -> Verdict<StatusView> {
        let q = CallbackQuery::parse(query);
        let Some(state) = q.state.as_deref() else {
            return Verdict::Reject(Error::StateUnknown);
        };
        if state != expected_state {
            // Not this sign-in's: say why (used, expired, unknown) without touching it.
            let why = match state_store::peek(&self.db, state, now()) {
                Ok(()) | Err(Error::StateUnknown) => Error::StateUnknown,
                Err(e) => e,
            };
            return Verdict::Reject(why);
        }
        let record = match state_store::consume(&self.db, state, now()) {
            Ok(r) => r,
            Err(e) => return Verdict::Reject(e),
        };
        let creds = ClientCredentials { redirect_uri: record.redirect_uri, ..creds.clone() };
        Verdict::Finish(self.complete_authorization(&q, pending_platform, &creds).await)
    }

    /// After a valid state: denial or code → tokens (keychain first) → account facts (SQLite).
    async fn complete_authorization(
        &self,
        q: &CallbackQuery,
        platform: Platform,
        creds: &ClientCredentials,
    ) -> Result<StatusView> {
        let auth = callback::authorize(q, platform)?;
        let t = now();
        let tokens = TokenClient::new(self.http.clone(), self.endpoints.clone())
            .exchange_code(&auth.domain, creds, &auth.code, t)
            .await?;
        self.store_connection(&auth.domain, auth.platform, AuthKind::Oauth, &tokens, Some(&creds.redirect_uri)).await
    }

    /// Persists a new connection: tokens to the keychain before anything uses them, then the
    /// account row, then the account's name and id from `/api/v4/account`.
    async fn store_connection(
        &self,
        domain: &str,
        platform: Platform,
        kind: AuthKind,
        tokens: &TokenSet,
        redirect_uri: Option<&str>,
    ) -> Result<StatusView> {
        self.save_tokens(tokens).await?;
        let t = now();
        let mut row = AccountRow {
            domain: domain.to_string(),
            platform,
            auth_kind: kind,
            account_id: None,
            account_name: None,
            subdomain: None,
            current_user_id: None,
            expires_at: tokens.expires_at,
            created_at: t,
            updated_at: t,
            redirect_uri: redirect_uri.map(str::to_string),
            last_refresh_at: Some(t),
            reconnect_needed: false,
        };
        account_store::save(&self.db, &row)?;
        match self.api().account(domain, &tokens.access_token).await {
            Ok(info) => {
                row.account_id = Some(info.id);
                row.account_name = Some(info.name);
                row.subdomain = Some(info.subdomain);
                row.current_user_id = info.current_user_id;
                row.updated_at = now();
                account_store::save(&self.db, &row)?;
            }
            // The tokens are good and saved; the name can be fetched later. Say so in the log.
            Err(e) => tracing::warn!(code = e.code(), "connected, but reading the account failed"),
        }
        tracing::info!(domain, kind = kind.as_str(), "connected");
        Ok(self.status().await)
    }

    /// Connects with a code copied from the integration's Keys tab (amoCRM's "easy auth"; valid
    /// 20 minutes, single use). The exchange repeats the Redirect URI from Settings exactly.
    pub async fn connect_with_code(&self, code: &str, domain: &str) -> Result<StatusView> {
        let code = code.trim();
        if code.is_empty() || code.len() > 4096 || code.chars().any(char::is_whitespace) {
            return Err(Error::InvalidSetting { field: "code", reason: "paste the whole code, one line".into() });
        }
        let domain = config::validate_domain(domain)?;
        let s = self.settings()?;
        let creds = ClientCredentials {
            client_id: s.client_id.ok_or(Error::NotConfigured("client_id"))?,
            client_secret: self.client_secret().await?,
            redirect_uri: s.redirect_uri.ok_or(Error::NotConfigured("redirect_uri"))?,
        };
        let platform = Platform::of_host(&domain).unwrap_or(s.platform);
        let tokens = TokenClient::new(self.http.clone(), self.endpoints.clone())
            .exchange_code(&domain, &creds, code, now())
            .await?;
        tracing::info!(domain = domain.as_str(), "connected with a pasted code");
        self.store_connection(&domain, platform, AuthKind::Oauth, &tokens, Some(&creds.redirect_uri)).await
    }

    /// Connects with a long-lived token pasted by an admin (1 day to 5 years, no refresh token).
    /// Its expiry comes from the JWT `exp`; it is checked with amoCRM before it is stored.
    pub async fn connect_with_long_lived_token(&self, token: &str, domain: &str) -> Result<StatusView> {
        let token = token.trim();
        let domain = config::validate_domain(domain)?;
        let claims = crate::tokens::jwt_claims(token)
            .ok_or_else(|| Error::TokenInvalid("it is not a JWT (three dot-separated parts)".into()))?;
        let exp = claims.exp.ok_or_else(|| Error::TokenInvalid("it has no expiry (exp)".into()))?;
        let t = now();
        if exp <= t {
            return Err(Error::TokenExpired);
        }
        // amoCRM decides whether the token is good; a 401 here means it is not (or was revoked).
        self.api().account(&domain, token).await?;
        let tokens = TokenSet { access_token: token.to_string(), refresh_token: None, expires_at: exp, obtained_at: t };
        let platform = Platform::of_host(&domain).unwrap_or(self.settings()?.platform);
        tracing::info!(domain = domain.as_str(), "connected with a long-lived token");
        self.store_connection(&domain, platform, AuthKind::LongLived, &tokens, None).await
    }

    /// The status panel. Never fails: what could not be read is reported in `problem`.
    pub async fn status(&self) -> StatusView {
        let lang = self.lang();
        let row = match account_store::load(&self.db) {
            Ok(r) => r,
            Err(e) => return StatusView::empty(Some(e.to_payload(lang))),
        };
        let Some(row) = row else {
            return StatusView::empty(None);
        };
        let (tokens, problem) = match self.load_tokens().await {
            Ok(Some(t)) => (Some(t), None),
            Ok(None) => (None, Some(Error::NotConnected.to_payload(lang))),
            Err(e) => (None, Some(e.to_payload(lang))),
        };
        let expires_at = tokens.as_ref().map(|t| t.expires_at).unwrap_or(row.expires_at);
        let problem = if row.reconnect_needed {
            Some(Error::TokenRevoked("a refresh was refused".into()).to_payload(lang))
        } else {
            problem
        };
        let cannot_refresh = tokens.as_ref().is_some_and(|t| t.refresh_token.is_none());
        StatusView {
            expires_soon: cannot_refresh && expires_at - now() < EXPIRY_WARNING_SECS,
            reconnect_needed: row.reconnect_needed,
            last_refresh_at: row.last_refresh_at.map(rfc3339),
            connected: tokens.is_some(),
            domain: Some(row.domain),
            account_id: row.account_id,
            account_name: row.account_name,
            platform: Some(row.platform),
            auth_kind: Some(row.auth_kind),
            access_token_masked: tokens.as_ref().map(|t| mask(&t.access_token)),
            expires_at: Some(rfc3339(expires_at)),
            is_expired: expires_at <= now(),
            created_at: Some(rfc3339(row.created_at)),
            updated_at: Some(rfc3339(row.updated_at)),
            problem,
        }
    }

    /// Forgets the connection: keychain tokens and the account row. Settings and the Secret key stay.
    pub async fn disconnect(&self) -> Result<bool> {
        self.secret_delete(TOKENS_KEY).await?;
        let had = account_store::delete(&self.db)?;
        tracing::info!(had_account = had, "disconnected");
        Ok(had)
    }

    pub async fn load_tokens(&self) -> Result<Option<TokenSet>> {
        match self.secret_get(TOKENS_KEY).await? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|_| Error::Internal("the keychain entry for tokens is not readable".into())),
        }
    }

    pub(crate) fn api(&self) -> ApiClient {
        ApiClient::new(self.http.clone(), self.endpoints.clone(), self.limiter.clone())
    }

    pub(crate) async fn save_tokens(&self, tokens: &TokenSet) -> Result<()> {
        let json = serde_json::to_vec(tokens).map_err(|e| Error::Internal(e.to_string()))?;
        self.secret_set(TOKENS_KEY, json).await
    }

    pub(crate) async fn client_secret(&self) -> Result<String> {
        self.secret_get(CLIENT_SECRET_KEY)
            .await?
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(Error::NotConfigured("client_secret"))
    }

    // Keychain calls are blocking IPC (D-Bus on Linux): keep them off the async workers.
    async fn secret_get(&self, key: &'static str) -> Result<Option<Vec<u8>>> {
        let s = self.secrets.clone();
        tokio::task::spawn_blocking(move || s.get(key)).await.map_err(|e| Error::Internal(e.to_string()))?
    }

    async fn secret_set(&self, key: &'static str, value: Vec<u8>) -> Result<()> {
        let s = self.secrets.clone();
        tokio::task::spawn_blocking(move || s.set(key, &value)).await.map_err(|e| Error::Internal(e.to_string()))?
    }

    async fn secret_delete(&self, key: &'static str) -> Result<()> {
        let s = self.secrets.clone();
        tokio::task::spawn_blocking(move || s.delete(key)).await.map_err(|e| Error::Internal(e.to_string()))?
    }
}

impl StatusView {
    fn empty(problem: Option<ErrorPayload>) -> StatusView {
        StatusView {
            connected: false,
            domain: None,
            account_id: None,
            account_name: None,
            platform: None,
            auth_kind: None,
            access_token_masked: None,
            expires_at: None,
            is_expired: false,
            created_at: None,
            updated_at: None,
            last_refresh_at: None,
            reconnect_needed: false,
            expires_soon: false,
            problem,
        }
    }
}

/// A sign-in waiting for amoCRM's redirect. Dropping it closes the listener.
pub struct PendingConnect {
    authorize_url: Url,
    state: String,
    /// `None` when the redirect arrives as a deep link (to whichever instance the OS starts).
    listener: Option<LoopbackListener>,
    started_at: i64,
    platform: Platform,
    creds: ClientCredentials,
}

impl PendingConnect {
    /// The page to open in the browser. Carries the `state`, never a secret.
    pub fn authorize_url(&self) -> &Url {
        &self.authorize_url
    }

    /// Whether this sign-in listens on loopback (else it ends with a deep link).
    pub fn listens(&self) -> bool {
        self.listener.is_some()
    }

    /// Waits for the one valid callback (forged and replayed ones are refused and the wait goes
    /// on), completes the connection and returns the new status. Without a listener (deep link),
    /// waits until the instance that receives the link has connected — possibly another process.
    pub async fn wait(self, app: &AmoConnect, timeout: Duration) -> Result<StatusView> {
        let PendingConnect { listener, platform, creds, state, started_at, .. } = self;
        let Some(listener) = listener else {
            return wait_for_connection(app, &state, started_at, timeout).await;
        };
        let (creds, state) = (&creds, state.as_str());
        listener.serve(timeout, |query| async move { app.handle_callback(&query, state, platform, creds).await }).await
    }
}

/// Polls until this sign-in's state has been used and the account row was written after it
/// started (by whichever process handled the deep link), or the state was refused.
async fn wait_for_connection(app: &AmoConnect, state: &str, started_at: i64, timeout: Duration) -> Result<StatusView> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Err(Error::StateReplayed) = state_store::peek(&app.db, state, now()) {
            // Used: by our deep link (then the account is fresh) or superseded by a newer sign-in.
            match account_store::load(&app.db)? {
                Some(row) if row.updated_at >= started_at => return Ok(app.status().await),
                _ => {}
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(Error::ConnectTimeout);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
