//! Keeping the connection alive while the app runs — the window's timer and the CLI's
//! `outbox run`, which a headless machine may leave running for months, run this same loop
//! (through `AmoConnect::keep_alive_loop`).
//!
//! Two rules, one loop:
//! - a refresh token unused for three months dies (docs/amocrm-api.md §4.3), so tokens older
//!   than the keep-alive age (Settings, default 7 days) are refreshed (`Session::keep_alive`);
//! - the access token is refreshed before it expires, so a quiet process always holds a valid
//!   one: it wakes at the refresh point — [`REFRESH_LEEWAY_SECS`] before expiry (half the
//!   lifetime for tokens shorter than twice that) — rather than waiting for the next hourly look,
//!   and `Session::access` refreshes then (single-flight with every task and process).
//!
//! A refusal marks the account `reconnect_needed`, which stops further attempts; other failures
//! are tried again at the next hourly look (the access token is refreshed on demand meanwhile).

use std::sync::Arc;
use std::time::Duration;

use crate::auth::session::{Session, REFRESH_LEEWAY_SECS};
use crate::clock::now;
use crate::context::Ctx;
use crate::domain::account::AuthKind;
use crate::domain::tokens::TokenSet;
use crate::error::Result;

/// How often the loop looks at least (the window's and `outbox run`'s timer).
pub const CHECK_EVERY: Duration = Duration::from_secs(3600);

/// When the access token of `tokens` should be refreshed (Unix seconds): the leeway before it
/// expires, or half its lifetime before then when that is shorter.
pub fn refresh_point(tokens: &TokenSet) -> i64 {
    let lifetime = (tokens.expires_at - tokens.obtained_at).max(0);
    tokens.expires_at - REFRESH_LEEWAY_SECS.min(lifetime / 2)
}

/// How long to wait before the next look, `now` being the time of this one and `refresh_at`
/// the tokens' refresh point (`None`: nothing to refresh, such as a long-lived token). A refresh
/// point already past after a look means the look could not move it (tokens the keychain did not
/// take yet, say): the next one is at the usual hour, not at once. Times are whole seconds, so
/// the loop never looks more than once a second, even for tokens shorter-lived than the leeway.
pub fn next_look(now: i64, refresh_at: Option<i64>, every: Duration) -> Duration {
    match refresh_at {
        Some(at) if at > now => Duration::from_secs((at - now) as u64).min(every),
        _ => every,
    }
}

/// The loop: a look now and then again at the next refresh point or after `every`, whichever
/// comes first; `on_change` when a look starts or stops failing (the window tells the user: a
/// closed app must not lose its connection silently). Runs until dropped.
pub(crate) async fn run(ctx: Arc<Ctx>, session: Arc<Session>, every: Duration, on_change: impl Fn() + Send + Sync) {
    loop {
        let outcome = look(&ctx, &session).await;
        let failed = outcome.is_err();
        if let Err(e) = &outcome {
            tracing::warn!(code = %e.code(), "keep-alive refresh failed: {e}");
        }
        if session.note_keep_alive(outcome.err()) {
            on_change();
        }
        let wait = if failed { every } else { next_look(now(), refresh_at(&ctx).await, every) };
        tokio::time::sleep(wait).await;
    }
}

/// One look: the age rule, then the access token if its refresh point has passed.
async fn look(ctx: &Ctx, session: &Session) -> Result<()> {
    session.keep_alive().await?;
    if refresh_at(ctx).await.is_some_and(|at| now() >= at) {
        session.access().await?;
    }
    Ok(())
}

/// The refresh point of the connected account's tokens, when they are OAuth tokens that can be
/// refreshed and the connection is not waiting for a new sign-in.
async fn refresh_at(ctx: &Ctx) -> Option<i64> {
    let row = ctx.store.account().load().ok().flatten()?;
    if row.auth_kind != AuthKind::Oauth || row.reconnect_needed {
        return None;
    }
    let tokens = ctx.keychain.tokens().await.ok().flatten()?;
    tokens.refresh_token.as_ref()?;
    Some(refresh_point(&tokens))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::secret::Secret;

    fn tokens(obtained_at: i64, expires_at: i64) -> TokenSet {
        TokenSet {
            access_token: Secret::new("a".to_string()),
            refresh_token: Some(Secret::new("r".to_string())),
            expires_at,
            obtained_at,
            raw: None,
        }
    }

    #[test]
    fn the_refresh_point_is_the_leeway_before_expiry_or_half_a_short_lifetime() {
        // amoCRM's day-long token: five minutes before it expires.
        assert_eq!(refresh_point(&tokens(1_000, 1_000 + 86_400)), 1_000 + 86_400 - 300);
        // A four-second token (a test server's): half-way.
        assert_eq!(refresh_point(&tokens(1_000, 1_004)), 1_002);
        assert_eq!(refresh_point(&tokens(1_000, 1_000)), 1_000);
        assert_eq!(refresh_point(&tokens(1_000, 900)), 900, "an odd token is due at its expiry");
    }

    #[test]
    fn the_next_look_is_at_the_refresh_point_within_a_second_and_the_hour() {
        let hour = Duration::from_secs(3600);
        assert_eq!(next_look(100, Some(160), hour), Duration::from_secs(60));
        assert_eq!(next_look(100, Some(100 + 86_000), hour), hour, "at least hourly");
        assert_eq!(next_look(100, Some(100), hour), hour, "a point not moved by the look: the usual hour");
        assert_eq!(next_look(100, Some(50), hour), hour);
        assert_eq!(next_look(100, None, hour), hour);
        assert_eq!(next_look(100, Some(101), hour), Duration::from_secs(1), "never busier than a look a second");
        let fast = Duration::from_millis(50);
        assert_eq!(next_look(100, Some(160), fast), fast, "a test's short timer still rules");
    }
}
