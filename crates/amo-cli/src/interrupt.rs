//! Ctrl-C and SIGTERM wait for a token refresh in flight. amoCRM's refresh tokens are
//! single-use: once the request is out, amoCRM may already have spent the old token, and only
//! its answer carries the new one. A command interrupted in between would leave a spent token in
//! the keychain and the connection dead (docs/amocrm-api.md §4.3). So an interrupt is held until
//! no refresh is in flight (`amo_core::auth::session::refresh_in_flight`), then the process exits
//! as the signal would have ended it (130 for Ctrl-C, 143 for SIGTERM). Everything else a
//! command does is safe to cut short: the outbox is durable and reconciles.

use std::time::Duration;

/// Waits for Ctrl-C or SIGTERM, then for any refresh in flight, then exits.
pub async fn exit_when_safe() {
    let code = wait_for_signal().await;
    while amo_core::auth::session::refresh_in_flight() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    crate::tty::restore_echo(); // a secret being typed: the terminal echoes again
    std::process::exit(code);
}

#[cfg(unix)]
async fn wait_for_signal() -> i32 {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        let _ = tokio::signal::ctrl_c().await;
        return 130;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => 130,
        _ = term.recv() => 143,
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> i32 {
    let _ = tokio::signal::ctrl_c().await;
    130
}
