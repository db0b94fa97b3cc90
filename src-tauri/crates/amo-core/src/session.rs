//! The one place that hands out access tokens (shared/DESIGN.md, `session`).
//!
//! amoCRM refresh tokens are single-use: a second refresh with the same token kills the
//! connection (shared/amocrm-api.md §3, §9 #1). So a refresh happens under two locks — an async
//! mutex for the tasks of this process and an OS file lock in the data directory for other
//! processes (the window and a CLI command at once) — and after taking them the tokens are read
//! again from the keychain: whoever waited uses the token the winner stored instead of spending
//! the old refresh token a second time. New tokens are written to the keychain before they are
//! used. A refresh refused with a 4xx marks the account `reconnect_needed` and is never retried
//! blindly: the token may already be consumed server-side.

use std::fs::{File, OpenOptions};
use std::future::Future;

use crate::account_store::{self, AuthKind};
use crate::error::{Error, Result};
use crate::oauth::token_client::{ClientCredentials, TokenClient};
use crate::service::{now, AmoConnect, StatusView};
use crate::tokens::TokenSet;

/// Refresh this long before the access token expires (andrey-tech's library uses 300 s too).
pub const REFRESH_LEEWAY_SECS: i64 = 300;

/// What `with_token` passes to an API call.
#[derive(Clone)]
pub struct Access {
    pub domain: String,
    pub token: String,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access").field("domain", &self.domain).field("token", &"<redacted>").finish()
    }
}

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

impl AmoConnect {
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
            Err(Error::Unauthorized) => {
                tracing::info!("access token rejected (401); refreshing once");
                let fresh = self.refresh(Need::Rejected, Some(&access.token)).await?;
                call(fresh).await
            }
            other => other,
        }
    }

    /// "Refresh now" in the window, `status --refresh` in the CLI: refreshes the tokens (unless
    /// another process did so a moment ago) and re-reads the account's facts.
    pub async fn refresh_now(&self) -> Result<StatusView> {
        self.refresh(Need::Forced, None).await?;
        let info = self.with_token(|a| async move { self.api().account(&a.domain, &a.token).await }).await?;
        account_store::set_account_info(&self.db, &info, now())?;
        Ok(self.status().await)
    }

    /// Checks the token against amoCRM (refreshing when needed) and re-reads the account's facts.
    pub async fn verify(&self) -> Result<StatusView> {
        let info = self.with_token(|a| async move { self.api().account(&a.domain, &a.token).await }).await?;
        account_store::set_account_info(&self.db, &info, now())?;
        Ok(self.status().await)
    }

    /// Keeps a quiet connection alive: a refresh token unused for three months dies, so refresh
    /// when the tokens are older than the keep-alive age (Settings, default 7 days). Returns
    /// whether it refreshed. Long-lived tokens and connections needing a reconnect are left alone.
    pub async fn keep_alive(&self) -> Result<bool> {
        let Some(row) = account_store::load(&self.db)? else { return Ok(false) };
        if row.auth_kind != AuthKind::Oauth || row.reconnect_needed {
            return Ok(false);
        }
        let Some(tokens) = self.load_tokens().await? else { return Ok(false) };
        let max_age = i64::from(self.settings()?.keepalive_days) * 24 * 3600;
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

    /// The connected domain and stored tokens, or why there are none.
    async fn current(&self) -> Result<(String, TokenSet)> {
        let row = account_store::load(&self.db)?.ok_or(Error::NotConnected)?;
        if row.reconnect_needed {
            return Err(Error::TokenRevoked("a refresh was refused earlier".into()));
        }
        let tokens = self.load_tokens().await?.ok_or(Error::NotConnected)?;
        Ok((row.domain, tokens))
    }

    async fn refresh(&self, need: Need, rejected: Option<&str>) -> Result<Access> {
        let _in_process = self.refresh_gate.lock().await;
        let _across_processes = self.lock_file().await?;
        // Under both locks: the keychain is the truth now, not what we read before waiting.
        let row = account_store::load(&self.db)?.ok_or(Error::NotConnected)?;
        if row.reconnect_needed {
            return Err(Error::TokenRevoked("a refresh was refused earlier".into()));
        }
        let tokens = self.load_tokens().await?.ok_or(Error::NotConnected)?;
        let t = now();
        let someone_else_refreshed = match need {
            Need::IfExpiring => tokens.expires_at - t > REFRESH_LEEWAY_SECS,
            Need::Rejected => rejected.is_some_and(|old| old != tokens.access_token),
            Need::Forced => t - tokens.obtained_at < 60,
            Need::OlderThan(age) => t - tokens.obtained_at < age,
        };
        if someone_else_refreshed {
            tracing::info!(?need, "tokens were refreshed meanwhile; using them");
            return Ok(Access { domain: row.domain, token: tokens.access_token });
        }
        if row.auth_kind == AuthKind::LongLived {
            return Err(Error::Unauthorized);
        }
        let refresh_token = tokens.refresh_token.clone().ok_or(Error::Unauthorized)?;
        let settings = self.settings()?;
        let creds = ClientCredentials {
            client_id: settings.client_id.ok_or(Error::NotConfigured("client_id"))?,
            client_secret: self.client_secret().await?,
            redirect_uri: row.redirect_uri.or(settings.redirect_uri).ok_or(Error::NotConfigured("redirect_uri"))?,
        };
        let client = TokenClient::new(self.http.clone(), self.endpoints.clone());
        let mut domain = row.domain.clone();
        let mut result = client.refresh(&domain, &creds, &refresh_token, t).await;
        if matches!(result, Err(Error::TokenRevoked(_)) | Err(Error::TokenRejected(_))) {
            // Perhaps the account's subdomain was renamed: ask amoCRM where it lives now and, if it
            // moved, try once more there (what the official library does; amocrm-api.md §3, §5).
            if let Some(moved) = self.find_moved_domain(&tokens, &refresh_token, &domain).await {
                tracing::info!(
                    from = domain.as_str(),
                    to = moved.as_str(),
                    "account moved; retrying the refresh there"
                );
                account_store::set_domain(&self.db, &moved, t)?;
                domain = moved;
                result = client.refresh(&domain, &creds, &refresh_token, t).await;
            }
        }
        match result {
            Ok(new) => {
                // Persist before use: the old refresh token is already spent server-side.
                self.save_tokens(&new).await?;
                account_store::mark_refreshed(&self.db, new.expires_at, t)?;
                tracing::info!(?need, "tokens refreshed");
                Ok(Access { domain, token: new.access_token })
            }
            Err(e) if refusal_means_reconnect(&e) => {
                tracing::warn!(code = e.code(), "refresh refused; reconnect needed");
                account_store::set_reconnect_needed(&self.db, t)?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// The account's current host if amoCRM says it is not `domain` any more. Uses `api_domain`
    /// from the access token's claims; any failure means "not moved".
    async fn find_moved_domain(&self, tokens: &TokenSet, refresh_token: &str, domain: &str) -> Option<String> {
        let api_domain = crate::tokens::jwt_claims(&tokens.access_token)?.api_domain?;
        let api_domain = crate::config::validate_api_domain(&api_domain)?;
        match self.api().current_subdomain(&api_domain, refresh_token).await {
            Ok(current) => {
                let moved = crate::config::validate_domain(&current.domain).ok()?;
                (moved != domain).then_some(moved)
            }
            Err(e) => {
                tracing::info!(code = e.code(), "subdomain lookup failed");
                None
            }
        }
    }

    /// Takes the data directory's refresh lock (an OS advisory lock, released when the file
    /// handle drops — also when a process dies holding it).
    async fn lock_file(&self) -> Result<File> {
        let path = self.data.root().join("refresh.lock");
        tokio::task::spawn_blocking(move || -> Result<File> {
            let file = OpenOptions::new().create(true).truncate(false).write(true).open(&path)?;
            file.lock()?;
            Ok(file)
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
    }
}

/// A 4xx from the token endpoint: the refresh token (or the client) is no longer accepted.
fn refusal_means_reconnect(e: &Error) -> bool {
    matches!(
        e,
        Error::TokenRevoked(_)
            | Error::TokenRejected(_)
            | Error::InvalidClientId
            | Error::InvalidClientSecret
            | Error::RedirectUriMismatch
    )
}

/// Runs [`AmoConnect::keep_alive`] now and then every `every`, calling `on_refresh` after each
/// refresh (the window pushes the new status). Failures are logged and retried next time; a
/// refused refresh has marked the account `reconnect_needed`, which stops further attempts.
pub async fn run_keep_alive<F>(app: std::sync::Arc<AmoConnect>, every: std::time::Duration, on_refresh: F)
where
    F: Fn(StatusView),
{
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match app.keep_alive().await {
            Ok(true) => on_refresh(app.status().await),
            Ok(false) => {}
            Err(e) => tracing::warn!(code = e.code(), "keep-alive refresh failed"),
        }
    }
}

/// [`run_keep_alive`] on a Tokio task.
pub fn spawn_keep_alive<F>(
    app: std::sync::Arc<AmoConnect>,
    every: std::time::Duration,
    on_refresh: F,
) -> tokio::task::JoinHandle<()>
where
    F: Fn(StatusView) + Send + Sync + 'static,
{
    tokio::spawn(run_keep_alive(app, every, on_refresh))
}
