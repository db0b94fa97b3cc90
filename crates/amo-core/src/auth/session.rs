//! The one place that hands out access tokens.
//!
//! amoCRM refresh tokens are single-use: a second refresh with the same token kills the
//! connection (docs/amocrm-api.md §4.3, §11.1). So a refresh happens under two locks — an async
//! mutex for the tasks of this process and an OS file lock in the data directory for other
//! processes (the window and a CLI command at once) — and after taking them the tokens are read
//! again from the keychain: whoever waited uses the token the winner stored instead of spending
//! the old refresh token a second time. New tokens are written to the keychain before they are
//! used. A refresh refused with a 4xx marks the account `reconnect_needed` and is never retried
//! blindly: the token may already be consumed server-side.
//!
//! A refresh amoCRM accepted is never lost (docs/amocrm-api.md §4.3): before the old refresh
//! token is spent, the keychain must take a write (the current tokens, unchanged), so a locked
//! keychain stops the refresh instead of the connection. If the write of the new tokens still
//! fails, they are kept in this process, used, and written again at every use until the keychain
//! takes them; the status says to unlock it. Only a process killed between amoCRM's answer and
//! the write loses them — a few milliseconds no client can close. A token amoCRM rejects right
//! after a refresh means the connection itself is gone: `reconnect_needed`, no second refresh.

use std::fs::{File, OpenOptions};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::amocrm::token_client::ClientCredentials;
use crate::clock::now;
use crate::context::Ctx;
use crate::domain::account::{AccountInfo, AuthKind};
use crate::domain::secret::Secret;
use crate::domain::settings::{validate_api_domain, validate_domain};
use crate::domain::tokens::{jwt_claims, Access, TokenSet};
use crate::error::{AmoError, Error, Result, Setting, SignInError};

/// Refresh this long before the access token expires (andrey-tech's library uses 300 s too).
pub const REFRESH_LEEWAY_SECS: i64 = 300;

/// Why a refresh is wanted.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Need {
    /// Only if the stored token expires within the leeway.
    IfExpiring,
    /// amoCRM answered 401 to this token: refresh unless someone already replaced it.
    Rejected,
    /// "Refresh now": refresh unless someone refreshed within the last minute.
    Forced,
    /// Keep-alive: refresh unless the tokens are younger than this many seconds.
    OlderThan(i64),
}

/// Refreshes under way in this process, from the request to amoCRM until the new tokens are
/// kept. The CLI holds Ctrl-C and SIGTERM back while this is non-zero: amoCRM may already have
/// spent the old refresh token, and only the answer carries the new one.
static REFRESHES_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Whether a refresh is under way in this process (see [`REFRESHES_IN_FLIGHT`]).
pub fn refresh_in_flight() -> bool {
    REFRESHES_IN_FLIGHT.load(Ordering::SeqCst) > 0
}

/// Counts one refresh in flight while it lives.
struct InFlight;

impl InFlight {
    fn start() -> InFlight {
        REFRESHES_IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        REFRESHES_IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How often the new tokens' keychain write is tried right after a refresh before they are
/// kept in memory instead.
const SAVE_ATTEMPTS: u32 = 3;
const SAVE_RETRY_AFTER: Duration = Duration::from_millis(200);

/// Tokens amoCRM issued that the keychain has not taken yet.
struct Unsaved {
    /// The account host they belong to.
    domain: String,
    tokens: TokenSet,
    /// Why the last write failed (the status shows it).
    error: Error,
}

/// Hands out valid access tokens; refreshes them single-flight.
pub struct Session {
    ctx: Arc<Ctx>,
    /// In-process half of single-flight refresh; the other half is a file lock.
    refresh_gate: tokio::sync::Mutex<()>,
    unsaved: Mutex<Option<Unsaved>>,
    /// Why the last keep-alive refresh failed (cleared by the next one that works).
    keep_alive_failure: Mutex<Option<Error>>,
}

impl Session {
    pub(crate) fn new(ctx: Arc<Ctx>) -> Session {
        Session {
            ctx,
            refresh_gate: tokio::sync::Mutex::new(()),
            unsaved: Mutex::new(None),
            keep_alive_failure: Mutex::new(None),
        }
    }

    /// Why the last keep-alive refresh failed, while it keeps failing.
    pub fn keep_alive_failure(&self) -> Option<Error> {
        self.keep_alive_failure.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Records how the last keep-alive went (`crate::keep_alive`); true when that is a change
    /// (it started or stopped failing, or fails for another reason now).
    pub(crate) fn note_keep_alive(&self, failure: Option<Error>) -> bool {
        let mut last = self.keep_alive_failure.lock().unwrap_or_else(|p| p.into_inner());
        let changed = last.as_ref().map(Error::code) != failure.as_ref().map(Error::code);
        *last = failure;
        changed
    }

    /// Why refreshed tokens are only in memory (the keychain refused them), if they are.
    pub fn unsaved_problem(&self) -> Option<Error> {
        self.unsaved.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|u| u.error.clone())
    }

    /// The tokens to use for `domain`: the keychain's, unless this process holds newer ones the
    /// keychain refused — then those, written again now.
    async fn stored_tokens(&self, domain: &str) -> Result<Option<TokenSet>> {
        let pending = {
            let guard = self.unsaved.lock().unwrap_or_else(|p| p.into_inner());
            guard.as_ref().filter(|u| u.domain == domain).map(|u| u.tokens.clone())
        };
        let from_keychain = self.ctx.keychain.tokens().await;
        let Some(pending) = pending else {
            // Another account was connected meanwhile: what this process kept is not its.
            self.unsaved.lock().unwrap_or_else(|p| p.into_inner()).take();
            return from_keychain;
        };
        if let Ok(Some(k)) = &from_keychain {
            if k.obtained_at > pending.obtained_at {
                // Newer tokens reached the keychain (a new sign-in): ours are history.
                self.unsaved.lock().unwrap_or_else(|p| p.into_inner()).take();
                return from_keychain;
            }
        }
        match self.ctx.keychain.save_tokens(&pending).await {
            Ok(()) => {
                self.unsaved.lock().unwrap_or_else(|p| p.into_inner()).take();
                tracing::info!("the refreshed tokens are in the keychain now");
            }
            Err(e) => {
                tracing::warn!(code = %e.code(), "the refreshed tokens are still only in memory");
                if let Some(u) = self.unsaved.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
                    u.error = e;
                }
            }
        }
        Ok(Some(pending))
    }

    /// Writes freshly issued tokens, a few times if needed; on failure keeps them in memory.
    async fn keep(&self, domain: &str, tokens: &TokenSet) {
        let mut last = None;
        for attempt in 0..SAVE_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(SAVE_RETRY_AFTER).await;
            }
            match self.ctx.keychain.save_tokens(tokens).await {
                Ok(()) => {
                    self.unsaved.lock().unwrap_or_else(|p| p.into_inner()).take();
                    return;
                }
                Err(e) => last = Some(e),
            }
        }
        let error = last.unwrap_or_else(|| Error::internal("no attempt"));
        tracing::error!(code = %error.code(), "the keychain refused the refreshed tokens; keeping them in memory");
        *self.unsaved.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(Unsaved { domain: domain.to_string(), tokens: tokens.clone(), error });
    }

    /// A valid access token for the connected account; refreshes first when it is about to expire.
    pub async fn access(&self) -> Result<Access> {
        let (domain, tokens) = self.current().await?;
        if tokens.expires_at - now() > REFRESH_LEEWAY_SECS || tokens.refresh_token.is_none() {
            return Ok(Access { domain, token: tokens.access_token });
        }
        self.refresh(Need::IfExpiring, None).await
    }

    /// Runs one API call with a valid token; on a 401 refreshes once and retries once.
    pub async fn with_token<T, F, Fut>(&self, call: F) -> Result<T>
    where
        F: Fn(Access) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let access = self.access().await?;
        match call(access.clone()).await {
            Err(Error::Amo(AmoError::Unauthorized)) => {
                tracing::info!("access token rejected (401); refreshing once");
                let fresh = self.refresh(Need::Rejected, Some(access.token.expose())).await?;
                match call(fresh).await {
                    // A token amoCRM has just issued is refused too: the connection itself is
                    // gone (integration disabled, user deactivated). Refreshing again would only
                    // spend refresh tokens.
                    Err(Error::Amo(AmoError::Unauthorized)) => {
                        tracing::warn!("a just-refreshed token was refused too; reconnect needed");
                        self.ctx.store.account().set_reconnect_needed(now())?;
                        Err(SignInError::TokenRevoked { hint: None }.into())
                    }
                    other => other,
                }
            }
            other => other,
        }
    }

    /// "Refresh now" in the window, `status --refresh` in the CLI: refreshes the tokens (unless
    /// another process did so a moment ago) and re-reads the account's facts.
    pub async fn refresh_now(&self) -> Result<()> {
        self.refresh(Need::Forced, None).await?;
        self.verify().await
    }

    /// Checks the token against amoCRM (refreshing when needed) and re-reads the account's facts.
    pub async fn verify(&self) -> Result<()> {
        let info = self.account_info().await?;
        self.ctx.store.account().set_account_info(&info, now())
    }

    /// `GET /api/v4/account` with a valid token.
    pub async fn account_info(&self) -> Result<AccountInfo> {
        let api = self.ctx.amo.api();
        self.with_token(|a| api.account(a)).await
    }

    /// Keeps a quiet connection alive: a refresh token unused for three months dies, so refresh
    /// when the tokens are older than the keep-alive age (Settings, default 7 days). Returns
    /// whether it refreshed. Long-lived tokens and connections needing a reconnect are left alone.
    pub async fn keep_alive(&self) -> Result<bool> {
        let Some(row) = self.ctx.store.account().load()? else { return Ok(false) };
        if row.auth_kind != AuthKind::Oauth || row.reconnect_needed {
            return Ok(false);
        }
        let Some(tokens) = self.stored_tokens(&row.domain).await? else { return Ok(false) };
        let max_age = i64::from(self.ctx.store.settings().load()?.keepalive_days) * 24 * 3600;
        if now() - tokens.obtained_at < max_age {
            return Ok(false);
        }
        let before = tokens.access_token;
        let after = self.refresh(Need::OlderThan(max_age), None).await?;
        let refreshed = after.token != before;
        if refreshed {
            tracing::info!("keep-alive refresh done");
        }
        Ok(refreshed)
    }

    /// [`Session::keep_alive`] now and then every `every`, calling `on_change` when a refresh
    /// starts or stops failing — a change no row records (the window then tells the user: a
    /// closed app must not lose its connection silently). A refresh itself changes the account's
    /// row, which the window's watcher hears (`changes`). Failures are retried next time; a
    /// refused refresh has marked the account `reconnect_needed`, which stops further attempts.
    pub async fn keep_alive_loop(self: Arc<Self>, every: std::time::Duration, on_change: impl Fn() + Send + Sync) {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let outcome = self.keep_alive().await;
            let failure = outcome.as_ref().err().cloned();
            let changed = {
                let mut last = self.keep_alive_failure.lock().unwrap_or_else(|p| p.into_inner());
                let changed = last.as_ref().map(Error::code) != failure.as_ref().map(Error::code);
                *last = failure;
                changed
            };
            match outcome {
                Ok(_) if changed => on_change(),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(code = %e.code(), "keep-alive refresh failed: {e}");
                    if changed {
                        on_change();
                    }
                }
            }
        }
    }

    /// The connected domain and stored tokens, or why there are none.
    async fn current(&self) -> Result<(String, TokenSet)> {
        let row = self.ctx.store.account().load()?.ok_or(AmoError::NotConnected)?;
        if row.reconnect_needed {
            return Err(SignInError::TokenRevoked { hint: None }.into());
        }
        let tokens = self.stored_tokens(&row.domain).await?.ok_or(AmoError::NotConnected)?;
        Ok((row.domain, tokens))
    }

    async fn refresh(&self, need: Need, rejected: Option<&str>) -> Result<Access> {
        let _in_process = self.refresh_gate.lock().await;
        let _across_processes = self.lock_file().await?;
        // Under both locks: the keychain is the truth now, not what we read before waiting.
        let row = self.ctx.store.account().load()?.ok_or(AmoError::NotConnected)?;
        if row.reconnect_needed {
            return Err(SignInError::TokenRevoked { hint: None }.into());
        }
        let tokens = self.stored_tokens(&row.domain).await?.ok_or(AmoError::NotConnected)?;
        let t = now();
        let someone_else_refreshed = match need {
            Need::IfExpiring => tokens.expires_at - t > REFRESH_LEEWAY_SECS,
            Need::Rejected => rejected.is_some_and(|old| tokens.access_token != old),
            Need::Forced => t - tokens.obtained_at < 60,
            Need::OlderThan(age) => t - tokens.obtained_at < age,
        };
        if someone_else_refreshed {
            tracing::info!(?need, "tokens were refreshed meanwhile; using them");
            return Ok(Access { domain: row.domain, token: tokens.access_token });
        }
        if row.auth_kind == AuthKind::LongLived {
            return Err(AmoError::Unauthorized.into());
        }
        let Some(refresh_token) = tokens.refresh_token.clone() else {
            return self.without_refresh_token(need, row.domain, tokens.access_token, t);
        };
        let settings = self.ctx.store.settings().load()?;
        let creds = ClientCredentials {
            client_id: settings.client_id.ok_or(Error::not_configured(Setting::ClientId))?,
            client_secret: self
                .ctx
                .keychain
                .client_secret()
                .await?
                .map(Secret::new)
                .ok_or(Error::not_configured(Setting::ClientSecret))?,
            redirect_uri: row
                .redirect_uri
                .or(settings.redirect_uri)
                .ok_or(Error::not_configured(Setting::RedirectUri))?,
        };
        // The old refresh token is single-use: spend it only if its successor can be kept. The
        // keychain must take a write now (the current tokens, unchanged) — a locked keychain or
        // a dismissed prompt stops the refresh here, not after amoCRM has answered.
        self.ctx.keychain.save_tokens(&tokens).await?;
        // From the request until the new tokens are kept, an interrupt waits (the CLI).
        let _in_flight = InFlight::start();
        let client = self.ctx.amo.tokens();
        let mut domain = row.domain.clone();
        let mut result = client.refresh(&domain, &creds, &refresh_token, t).await;
        if matches!(result, Err(Error::SignIn(SignInError::TokenRevoked { .. } | SignInError::TokenRejected { .. }))) {
            // Perhaps the account's subdomain was renamed: ask amoCRM where it lives now and, if it
            // moved, try once more there (what the official library does; docs/amocrm-api.md §4.6, §6.3).
            if let Some(moved) = self.find_moved_domain(&tokens, &refresh_token, &domain).await {
                tracing::info!(
                    from = domain.as_str(),
                    to = moved.as_str(),
                    "account moved; retrying the refresh there"
                );
                self.ctx.store.account().set_domain(&moved, t)?;
                domain = moved;
                result = client.refresh(&domain, &creds, &refresh_token, t).await;
            }
        }
        match result {
            Ok(new) => {
                // Persist before use: the old refresh token is already spent server-side. If the
                // keychain still refuses, the tokens live on in this process (`keep`).
                self.keep(&domain, &new).await;
                self.ctx.store.account().mark_refreshed(new.expires_at, t)?;
                tracing::info!(?need, "tokens refreshed");
                if new.refresh_token.is_none() {
                    tracing::warn!(
                        "the refresh answer had no refresh token: the connection ends with this access token"
                    );
                }
                Ok(Access { domain, token: new.access_token })
            }
            Err(e) if refusal_means_reconnect(&e) => {
                tracing::warn!(code = %e.code(), "refresh refused; reconnect needed");
                self.ctx.store.account().set_reconnect_needed(t)?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// An OAuth connection whose last token answer carried no refresh token (amoCRM left it
    /// out): the access token it has is used as long as amoCRM accepts it; once amoCRM refuses
    /// it, only a new sign-in helps — "reconnect needed", never a bare `unauthorized` that every
    /// later call repeats. The status warns beforehand (`expires_soon`).
    fn without_refresh_token(&self, need: Need, domain: String, token: Secret, t: i64) -> Result<Access> {
        match need {
            Need::Rejected => {
                tracing::warn!("access token refused and no refresh token to renew it; reconnect needed");
                self.ctx.store.account().set_reconnect_needed(t)?;
                Err(SignInError::TokenRevoked { hint: None }.into())
            }
            // "Refresh now": nothing to refresh with — say what helps; the token still works.
            Need::Forced => Err(SignInError::TokenRevoked { hint: None }.into()),
            // Before expiry and for the keep-alive: the token as it is, until amoCRM refuses it.
            Need::IfExpiring | Need::OlderThan(_) => Ok(Access { domain, token }),
        }
    }

    /// The account's current host if amoCRM says it is not `domain` any more. Uses `api_domain`
    /// from the access token's claims; any failure means "not moved".
    async fn find_moved_domain(&self, tokens: &TokenSet, refresh_token: &Secret, domain: &str) -> Option<String> {
        let api_domain = jwt_claims(tokens.access_token.expose())?.api_domain?;
        let api_domain = validate_api_domain(&api_domain)?;
        match self.ctx.amo.api().current_subdomain(&api_domain, refresh_token).await {
            Ok(current) => {
                let moved = validate_domain(&current.domain).ok()?;
                (moved != domain).then_some(moved)
            }
            Err(e) => {
                tracing::info!(code = %e.code(), "subdomain lookup failed");
                None
            }
        }
    }

    /// Takes the data directory's refresh lock (an OS advisory lock, released when the file
    /// handle drops — also when a process dies holding it).
    async fn lock_file(&self) -> Result<File> {
        lock_refresh_file(&self.ctx).await
    }
}

/// The data directory's refresh lock, also taken while a new sign-in stores its tokens and
/// account row (`auth`), so a refresh of the old connection never writes over them. Released
/// when the handle drops.
pub(crate) async fn lock_refresh_file(ctx: &Ctx) -> Result<File> {
    let path = ctx.data.root().join("refresh.lock");
    tokio::task::spawn_blocking(move || -> Result<File> {
        let file = OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(Error::lock_file)?;
        file.lock().map_err(Error::lock_file)?;
        Ok(file)
    })
    .await
    .map_err(Error::internal)?
}

/// A 4xx from the token endpoint: the refresh token (or the client) is no longer accepted.
fn refusal_means_reconnect(e: &Error) -> bool {
    matches!(
        e,
        Error::SignIn(
            SignInError::TokenRevoked { .. }
                | SignInError::TokenRejected { .. }
                | SignInError::InvalidClientId
                | SignInError::InvalidClientSecret
                | SignInError::RedirectUriMismatch
        )
    )
}
