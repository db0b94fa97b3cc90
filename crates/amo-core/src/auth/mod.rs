//! Signing in and staying signed in: the authorize URL and its `state`, amoCRM's redirect
//! however it arrives (loopback listener, deep link, or waiting for another process that got the
//! link), pasted codes and long-lived tokens, the status panel's facts, and `session` — the one
//! place that hands out access tokens. amoCRM documents no PKCE, so `state` is the CSRF guard.

pub mod callback;
pub mod keep_alive;
pub mod loopback;
pub mod session;
mod signins;
pub mod state;

use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::amocrm::token_client::ClientCredentials;
use crate::clock::{now, rfc3339};
use crate::context::Ctx;
use crate::domain::account::{Account, AuthKind};
use crate::domain::platform::Platform;
use crate::domain::secret::Secret;
use crate::domain::settings::{validate_domain, validate_pasted_code, BounceVia, RedirectMode};
use crate::domain::tokens::{jwt_claims, mask, Access, TokenSet};
use crate::domain::views::{StatusView, EXPIRY_WARNING_SECS};
use crate::error::{AmoError, CallbackProblem, Error, Result, Setting, SignInError, TokenProblem};
use crate::store::SettingKey;
use callback::CallbackQuery;
use loopback::{LoopbackListener, LoopbackTarget, Verdict};
use signins::{SignIn, SignIns};
use state::STATE_TTL_SECS;

/// How long a sign-in waits for amoCRM's redirect: as long as a state lives.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(STATE_TTL_SECS as u64);

/// The sign-in service.
pub struct Auth {
    ctx: Arc<Ctx>,
    /// The sign-ins this process started and that have not ended (see [`signins`]).
    sign_ins: SignIns,
    /// One new connection stored at a time in this process: tokens and account row together.
    storing: tokio::sync::Mutex<()>,
}

impl Auth {
    pub(crate) fn new(ctx: Arc<Ctx>) -> Auth {
        Auth { ctx, sign_ins: SignIns::default(), storing: tokio::sync::Mutex::new(()) }
    }

    /// Removes OAuth states whose 15 minutes are over.
    pub fn cleanup_states(&self) -> Result<usize> {
        let n = self.ctx.store.oauth_states().cleanup(now())?;
        tracing::info!(removed = n, "expired states cleaned up");
        Ok(n)
    }

    async fn client_secret(&self) -> Result<Secret> {
        self.ctx.keychain.client_secret().await?.map(Secret::new).ok_or(Error::not_configured(Setting::ClientSecret))
    }

    /// Step one of Connect: checks the settings, binds the loopback listener when the redirect
    /// comes that way (so a busy port is reported before the browser opens), stores a fresh state
    /// and builds the authorize URL. The Redirect URI decides the way (see [`RedirectMode`]).
    pub async fn start_connect(self: &Arc<Self>) -> Result<PendingConnect> {
        let s = self.ctx.store.settings().load()?;
        let client_id = s.client_id.clone().ok_or(Error::not_configured(Setting::ClientId))?;
        let mode = s.redirect_mode()?;
        let redirect_uri = s.redirect_uri.clone().ok_or(Error::not_configured(Setting::RedirectUri))?;
        let client_secret = self.client_secret().await?;
        let (listener, prefix) = match &mode {
            RedirectMode::Loopback { port, path, localhost } => {
                let target = LoopbackTarget { port: *port, path: path.clone(), also_ipv6: *localhost };
                (Some(LoopbackListener::bind(target).await?), String::new())
            }
            RedirectMode::DeepLink => (None, "d.".to_string()),
            RedirectMode::Bounce { via: BounceVia::DeepLink, .. } => (None, "d.".to_string()),
            RedirectMode::Bounce { via: BounceVia::Loopback, port } => (
                Some(
                    LoopbackListener::bind(LoopbackTarget { port: *port, path: "/callback".into(), also_ipv6: false })
                        .await?,
                ),
                format!("l{port}."),
            ),
        };
        let t = now();
        // A new sign-in replaces this process's earlier ones (the window shows one at a time);
        // another process's — a CLI `connect` beside the window — stay valid.
        self.end_own(SignInError::Cancelled, t)?;
        let state = state::new_state(&prefix);
        self.ctx.store.oauth_states().insert(&state, &redirect_uri, t, STATE_TTL_SECS)?;
        let sign_in = self.sign_ins.start(&state, t.saturating_add(STATE_TTL_SECS), listener.is_none());
        let authorize_url = self.ctx.amo.endpoints().authorize_url(s.platform, &client_id, &state)?;
        tracing::info!(platform = s.platform.as_str(), mode = ?mode, "sign-in started");
        Ok(PendingConnect {
            auth: self.clone(),
            authorize_url,
            state,
            listener,
            started_at: t,
            platform: s.platform,
            creds: ClientCredentials { client_id, client_secret, redirect_uri },
            sign_in,
        })
    }

    /// Ends every sign-in this process started that has not ended: its state becomes unusable
    /// (recorded with `why`, so a process waiting on it stops) and a code exchange under way
    /// for it stores nothing. Returns how many were still open.
    fn end_own(&self, why: SignInError, t: i64) -> Result<usize> {
        let open = self.sign_ins.abandon_all();
        let why = Error::from(why);
        for s in &open {
            self.ctx.store.oauth_states().end_unused(s.state(), t, &why)?;
        }
        Ok(open.len())
    }

    /// Ends this process's sign-ins that wait for a deep link once their state's 15 minutes
    /// are over — what the loopback listener's own timeout does for the others — so the window
    /// stops waiting. Their states are spent: a link that comes later is refused. `now` is
    /// passed in (the window's timer gives the clock; tests a later one). Returns the error to
    /// show when one ended.
    /// Runs until the process ends: sleeps until the earliest deadline of this process's
    /// sign-ins waiting for an app link (or until a new sign-in starts), then ends the overdue
    /// ones and tells `on_timeout`. With none open it waits without waking (the idle window).
    pub async fn watch_sign_in_timeouts(self: Arc<Self>, on_timeout: impl Fn(Error) + Send + Sync + 'static) {
        loop {
            match self.sign_ins.next_link_deadline() {
                None => self.sign_ins.started().await,
                Some(deadline) => {
                    let wait = u64::try_from(deadline.saturating_sub(crate::clock::now())).unwrap_or(0);
                    tokio::select! {
                        _ = tokio::time::sleep(std::time::Duration::from_secs(wait)) => {}
                        _ = self.sign_ins.started() => continue,
                    }
                    match self.time_out_sign_ins(crate::clock::now()) {
                        Ok(Some(e)) => on_timeout(e),
                        Ok(None) => {}
                        Err(e) => {
                            tracing::warn!(code = %e.code(), "could not look for a timed-out sign-in");
                            // Not at once again: a store that fails now fails on the next look too.
                            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                        }
                    }
                }
            }
        }
    }

    pub fn time_out_sign_ins(&self, now: i64) -> Result<Option<Error>> {
        let timeout = Error::from(SignInError::ConnectTimeout);
        let mut ended = 0;
        for s in self.sign_ins.overdue(now) {
            // A state already used is being completed (its link came in time, and its end
            // forgets it): not timed out.
            if self.ctx.store.oauth_states().end_unused(s.state(), now, &timeout)? {
                s.abandon();
                self.sign_ins.forget(&s);
                ended += 1;
            }
        }
        if ended > 0 {
            tracing::info!(ended, "sign-in timed out waiting for the app link");
        }
        Ok((ended > 0).then_some(timeout))
    }

    /// A deep link `amoconnect://oauth/callback?…` (from a running or a cold-started app).
    /// `Reject`: not ours, forged, replayed or expired, or amoCRM's error without a state — it
    /// changes nothing; the window shows why. `Finish`: a valid state; the sign-in ends here,
    /// connected or with its error.
    pub async fn complete_deep_link(self: &Arc<Self>, url: &str) -> Verdict<StatusView> {
        let parsed = match Url::parse(url) {
            Ok(u) if u.scheme() == "amoconnect" && u.host_str() == Some("oauth") && u.path() == "/callback" => u,
            _ => return Verdict::Reject(SignInError::CallbackInvalid { problem: CallbackProblem::NotOurLink }.into()),
        };
        let q = CallbackQuery::parse(parsed.query().unwrap_or(""));
        let Some(state) = q.state.as_deref() else {
            // amoCRM's own error (a denial, a failure on its side) says more than "no state"; it
            // is only shown — without a state it belongs to no sign-in and ends none.
            let why = match q.error {
                Some(_) => callback::authorize(&q, Platform::Amocrm).err(),
                None => None,
            };
            return Verdict::Reject(why.unwrap_or_else(|| SignInError::StateUnknown.into()));
        };
        let record = match self.ctx.store.oauth_states().consume(state, now()) {
            Ok(r) => r,
            Err(e) => return Verdict::Reject(e),
        };
        // This process's own sign-in (Cancel here can still stop it), or another's.
        let sign_in = self.sign_ins.find(state).unwrap_or_else(|| SignIn::unlisted(state));
        let result = async {
            let settings = self.ctx.store.settings().load()?;
            let creds = ClientCredentials {
                client_id: settings.client_id.clone().ok_or(Error::not_configured(Setting::ClientId))?,
                client_secret: self.client_secret().await?,
                redirect_uri: record.redirect_uri,
            };
            self.complete_authorization(&q, settings.platform, &creds, &sign_in).await
        }
        .await;
        self.sign_ins.forget(&sign_in);
        if let Err(e) = &result {
            // A CLI `connect` waiting on this sign-in stops with the same error.
            if let Err(store_err) = self.ctx.store.oauth_states().record_failure(state, e) {
                tracing::warn!(code = %store_err.code(), "could not record how the sign-in ended");
            }
        }
        Verdict::Finish(result)
    }

    /// Cancel: this process's sign-in waiting for amoCRM can no longer complete — its state is
    /// spent, so a link or callback that arrives later is refused (`state_replayed`) instead of
    /// connecting after the user said no, and a code exchange under way stores nothing. Another
    /// process's sign-in is not this Cancel's. Returns how many sign-ins were cancelled.
    pub fn cancel_connect(&self) -> Result<usize> {
        let n = self.end_own(SignInError::Cancelled, now())?;
        tracing::info!(cancelled = n, "sign-in cancelled");
        Ok(n)
    }

    /// Checks one callback query against the sign-in in progress and the state store; on success
    /// exchanges the code. A listener accepts only its own sign-in's state.
    async fn handle_callback(
        self: &Arc<Self>,
        query: &str,
        expected_state: &str,
        pending_platform: Platform,
        creds: &ClientCredentials,
        sign_in: &Arc<SignIn>,
    ) -> Verdict<StatusView> {
        let q = CallbackQuery::parse(query);
        let Some(state) = q.state.as_deref() else {
            return Verdict::Reject(SignInError::StateUnknown.into());
        };
        let states = self.ctx.store.oauth_states();
        if state != expected_state {
            // Not this sign-in's: say why (used, expired, unknown) without touching it.
            let why = match states.peek(state, now()) {
                Ok(()) => SignInError::StateUnknown.into(),
                Err(e) => e,
            };
            return Verdict::Reject(why);
        }
        let record = match states.consume(state, now()) {
            Ok(r) => r,
            Err(e) => return Verdict::Reject(e),
        };
        let creds = ClientCredentials { redirect_uri: record.redirect_uri, ..creds.clone() };
        Verdict::Finish(self.complete_authorization(&q, pending_platform, &creds, sign_in).await)
    }

    /// After a valid state: denial or code → tokens (keychain first) → account facts (SQLite),
    /// for `sign_in` only: see [`Auth::store_for`].
    async fn complete_authorization(
        self: &Arc<Self>,
        q: &CallbackQuery,
        platform: Platform,
        creds: &ClientCredentials,
        sign_in: &Arc<SignIn>,
    ) -> Result<StatusView> {
        let auth = callback::authorize(q, platform)?;
        let tokens = self.ctx.amo.tokens().exchange_code(&auth.domain, creds, &auth.code, now()).await?;
        let new = NewConnection {
            domain: auth.domain,
            platform: auth.platform,
            kind: AuthKind::Oauth,
            tokens,
            redirect_uri: Some(creds.redirect_uri.clone()),
        };
        self.store_for(sign_in, new).await
    }

    /// Stores the connection a sign-in's code exchange (or a pasted code or token) produced —
    /// if that sign-in is still wanted: cancelled or replaced while amoCRM answered, its tokens
    /// are dropped, and the keychain and the account stay as they were. Once claimed, the store
    /// runs to its end in a task of its own, so a caller that stops waiting (the window aborts
    /// a listener on Cancel) cannot leave new tokens beside the old account's row.
    async fn store_for(self: &Arc<Self>, sign_in: &Arc<SignIn>, new: NewConnection) -> Result<StatusView> {
        if !sign_in.claim() {
            tracing::info!("the sign-in ended while amoCRM answered; its tokens are dropped");
            return Err(SignInError::Cancelled.into());
        }
        let auth = self.clone();
        tokio::spawn(async move { auth.store_connection(new).await }).await.map_err(Error::internal)?
    }

    /// Persists a new connection: tokens to the keychain before anything uses them, then the
    /// account row, then the account's name and id from `/api/v4/account`. (Cached pipelines
    /// and users are kept per account: another account's are not offered.) Tokens and row are
    /// written under the refresh lock, so a refresh of the old connection in flight (here or in
    /// another process) cannot write its tokens over these or mark this row afterwards.
    async fn store_connection(&self, new: NewConnection) -> Result<StatusView> {
        let NewConnection { domain, platform, kind, tokens, redirect_uri } = new;
        let (domain, redirect_uri) = (domain.as_str(), redirect_uri.as_deref());
        let storing = self.storing.lock().await;
        let refreshes = session::lock_refresh_file(&self.ctx).await?;
        self.ctx.keychain.save_tokens(&tokens).await?;
        let t = now();
        let accounts = self.ctx.store.account();
        let mut row = Account {
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
        accounts.save(&row)?;
        // Settings shows the account's address (and a pasted code or token defaults to it).
        self.ctx.store.settings().set(SettingKey::Domain, Some(domain))?;
        drop((refreshes, storing));
        let at = Access { domain: domain.to_string(), token: tokens.access_token.clone() };
        match self.ctx.amo.api().account(at).await {
            Ok(info) => {
                row.account_id = Some(info.id);
                row.account_name = Some(info.name);
                row.subdomain = Some(info.subdomain);
                row.current_user_id = info.current_user_id;
                row.updated_at = now();
                accounts.save(&row)?;
            }
            // The tokens are good and saved; the name can be fetched later. Say so in the log.
            Err(e) => tracing::warn!(code = %e.code(), "connected, but reading the account failed"),
        }
        tracing::info!(domain, kind = kind.as_str(), "connected");
        Ok(self.status().await)
    }

    /// Connects with a code copied from the integration's Keys tab (amoCRM's "easy auth"; valid
    /// 20 minutes, single use). The exchange repeats the Redirect URI from Settings exactly.
    pub async fn connect_with_code(self: &Arc<Self>, code: &str, domain: &str) -> Result<StatusView> {
        let code = validate_pasted_code(code)?;
        let domain = validate_domain(domain)?;
        let s = self.ctx.store.settings().load()?;
        let creds = ClientCredentials {
            client_id: s.client_id.ok_or(Error::not_configured(Setting::ClientId))?,
            client_secret: self.client_secret().await?,
            redirect_uri: s.redirect_uri.ok_or(Error::not_configured(Setting::RedirectUri))?,
        };
        let platform = Platform::of_host(&domain).unwrap_or(s.platform);
        let tokens = self.ctx.amo.tokens().exchange_code(&domain, &creds, &Secret::new(code), now()).await?;
        tracing::info!(domain = domain.as_str(), "connected with a pasted code");
        let new =
            NewConnection { domain, platform, kind: AuthKind::Oauth, tokens, redirect_uri: Some(creds.redirect_uri) };
        self.store_for(&SignIn::unlisted(""), new).await
    }

    /// Connects with a long-lived token pasted by an admin (1 day to 5 years, no refresh token).
    /// Its expiry comes from the JWT `exp`; it is checked with amoCRM before it is stored.
    pub async fn connect_with_long_lived_token(self: &Arc<Self>, token: &str, domain: &str) -> Result<StatusView> {
        let token = token.trim();
        let domain = validate_domain(domain)?;
        let claims = jwt_claims(token).ok_or(SignInError::TokenInvalid { problem: TokenProblem::NotAJwt })?;
        let exp = claims.exp.ok_or(SignInError::TokenInvalid { problem: TokenProblem::NoExpiry })?;
        let t = now();
        if exp <= t {
            return Err(SignInError::TokenExpired.into());
        }
        // amoCRM decides whether the token is good; a 401 here means it is not (or was revoked).
        self.ctx.amo.api().account(Access { domain: domain.clone(), token: Secret::from(token) }).await?;
        let tokens = TokenSet {
            access_token: Secret::from(token),
            refresh_token: None,
            expires_at: exp,
            obtained_at: t,
            raw: None,
        };
        let platform = Platform::of_host(&domain).unwrap_or(self.ctx.store.settings().load()?.platform);
        tracing::info!(domain = domain.as_str(), "connected with a long-lived token");
        let new = NewConnection { domain, platform, kind: AuthKind::LongLived, tokens, redirect_uri: None };
        self.store_for(&SignIn::unlisted(""), new).await
    }

    /// The status panel. Never fails: what could not be read is reported in `problem`.
    pub async fn status(&self) -> StatusView {
        let lang = self.ctx.lang();
        let row = match self.ctx.store.account().load() {
            Ok(r) => r,
            Err(e) => return StatusView::empty(Some(e.to_payload(lang))),
        };
        let Some(row) = row else {
            return StatusView::empty(None);
        };
        let (tokens, problem) = match self.ctx.keychain.tokens().await {
            Ok(Some(t)) => (Some(t), None),
            Ok(None) => (None, Some(Error::from(AmoError::NotConnected).to_payload(lang))),
            Err(e) => (None, Some(e.to_payload(lang))),
        };
        let expires_at = tokens.as_ref().map(|t| t.expires_at).unwrap_or(row.expires_at);
        let problem = if row.reconnect_needed {
            Some(Error::from(SignInError::TokenRevoked { hint: None }).to_payload(lang))
        } else {
            problem
        };
        let cannot_refresh = tokens.as_ref().is_some_and(|t| t.refresh_token.is_none());
        let t = now();
        StatusView {
            expires_soon: cannot_refresh && expires_at - t < EXPIRY_WARNING_SECS,
            reconnect_needed: row.reconnect_needed,
            last_refresh_at: row.last_refresh_at.map(rfc3339),
            connected: tokens.is_some(),
            domain: Some(row.domain),
            account_id: row.account_id,
            account_name: row.account_name,
            platform: Some(row.platform),
            auth_kind: Some(row.auth_kind),
            access_token_masked: tokens.as_ref().map(|t| mask(t.access_token.expose())),
            token_info: tokens.as_ref().map(TokenSet::info),
            expires_at: Some(rfc3339(expires_at)),
            is_expired: expires_at <= t,
            created_at: Some(rfc3339(row.created_at)),
            updated_at: Some(rfc3339(row.updated_at)),
            problem,
        }
    }

    /// Forgets the connection: keychain tokens and the account row. Settings and the Secret key stay.
    pub async fn disconnect(&self) -> Result<bool> {
        self.ctx.keychain.delete_tokens().await?;
        let had = self.ctx.store.account().delete()?;
        tracing::info!(had_account = had, "disconnected");
        Ok(had)
    }
}

/// What a finished sign-in stores.
struct NewConnection {
    /// The account host the tokens are for.
    domain: String,
    platform: Platform,
    kind: AuthKind,
    tokens: TokenSet,
    /// The Redirect URI its code was exchanged with (none for a long-lived token).
    redirect_uri: Option<String>,
}

/// A sign-in waiting for amoCRM's redirect. Dropping it closes the listener; its state stays
/// valid (a deep link can still complete it) until it is used, expires, or this process starts
/// another sign-in or cancels.
pub struct PendingConnect {
    auth: Arc<Auth>,
    authorize_url: Url,
    state: String,
    /// `None` when the redirect arrives as a deep link (to whichever instance the OS starts).
    listener: Option<LoopbackListener>,
    started_at: i64,
    platform: Platform,
    creds: ClientCredentials,
    sign_in: Arc<SignIn>,
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
    /// However the wait ends — done, timed out, or dropped (the window's Cancel aborts it) — the
    /// sign-in ends with it: its state is spent and an exchange not yet stored stores nothing.
    pub async fn wait(self, timeout: Duration) -> Result<StatusView> {
        let PendingConnect { auth, listener, platform, creds, state, started_at, sign_in, .. } = self;
        let _ends = EndsWithTheWait { auth: auth.clone(), sign_in: sign_in.clone() };
        let Some(listener) = listener else {
            return wait_for_connection(&auth, &state, started_at, timeout).await;
        };
        let (auth, creds, state, sign_in) = (&auth, &creds, state.as_str(), &sign_in);
        listener
            .serve(timeout, |query| async move { auth.handle_callback(&query, state, platform, creds, sign_in).await })
            .await
    }
}

/// Ends a sign-in when whoever waits for it stops waiting (see [`PendingConnect::wait`]).
struct EndsWithTheWait {
    auth: Arc<Auth>,
    sign_in: Arc<SignIn>,
}

impl Drop for EndsWithTheWait {
    fn drop(&mut self) {
        if self.sign_in.abandon() {
            let cancelled = Error::from(SignInError::Cancelled);
            if let Err(e) = self.auth.ctx.store.oauth_states().end_unused(self.sign_in.state(), now(), &cancelled) {
                tracing::warn!(code = %e.code(), "could not spend the state of a sign-in nobody waits for");
            }
        }
        self.auth.sign_ins.forget(&self.sign_in);
    }
}

/// How long a waiting `connect` gives the process that finished the sign-in to read the
/// account's name after saving the connection.
const NAME_GRACE: Duration = Duration::from_secs(5);

/// Polls until this sign-in's state has been used and the account row was written after it
/// started (by whichever process handled the deep link), or that process recorded why it did
/// not connect (a denial, a failed exchange, Cancel), which ends the wait with that error.
async fn wait_for_connection(auth: &Auth, state: &str, started_at: i64, timeout: Duration) -> Result<StatusView> {
    let deadline = tokio::time::Instant::now() + timeout;
    // The other process saves the account row as soon as the tokens are kept, then asks amoCRM
    // for the account's name: give that a moment, so the answer names the account.
    let mut connected_since: Option<tokio::time::Instant> = None;
    loop {
        if let Err(Error::SignIn(SignInError::StateReplayed)) = auth.ctx.store.oauth_states().peek(state, now()) {
            // Used: by our deep link (then the account is fresh, or the failure recorded) or
            // superseded by a newer sign-in or Cancel (recorded as `cancelled`).
            if let Some(e) = auth.ctx.store.oauth_states().failure(state)? {
                return Err(e);
            }
            match auth.ctx.store.account().load()? {
                Some(row) if row.updated_at >= started_at => {
                    let since = *connected_since.get_or_insert_with(tokio::time::Instant::now);
                    if row.account_name.is_some() || since.elapsed() >= NAME_GRACE {
                        return Ok(auth.status().await);
                    }
                }
                _ => {}
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(SignInError::ConnectTimeout.into());
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
