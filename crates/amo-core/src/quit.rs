//! Quitting, decided once for every way the window's app can end: its window closed with no
//! tray to keep it in, the tray's Quit, the macOS app menu's Quit, the user's session ending,
//! and "Quit anyway". Two rules:
//!
//! - Entries still waiting are sent only while the app runs, so quitting with some waiting asks
//!   first — wherever a window can ask (a session that is ending cannot wait for an answer, and
//!   "Quit anyway" is the answer).
//! - A token refresh in flight is never cut in half: amoCRM may already have spent the old
//!   refresh token, and only its answer carries the new one (docs/amocrm-api.md §4.3). The app
//!   waits for it — at most [`REFRESH_WAIT_LIMIT`], so a hung request cannot keep it from ending
//!   (the token client's own timeout is shorter).
//!
//! The CLI holds Ctrl-C and SIGTERM back for the same reason (`amo-cli`'s `interrupt.rs`).

use std::time::{Duration, Instant};

/// The longest a quit waits for a refresh in flight.
pub const REFRESH_WAIT_LIMIT: Duration = Duration::from_secs(10);

/// How often the wait looks whether the refresh is done.
const POLL: Duration = Duration::from_millis(10);

/// What asked the app to quit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuitCause {
    /// The window was closed and nothing keeps the app running hidden (no tray host, or the
    /// tray is not wanted and nothing waits).
    WindowClosed,
    /// The tray menu's Quit.
    TrayQuit,
    /// The app menu's Quit (macOS, ⌘Q).
    AppMenuQuit,
    /// The user's session is ending (logout, shutdown): no time to ask.
    SessionEnd,
    /// The user answered the question: quit anyway.
    Confirmed,
}

/// What a quit request leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuitStep {
    /// Ask the user first (the window shows how many entries wait); nothing ends yet.
    Ask { waiting: u32 },
    /// End the app, once no refresh is in flight ([`wait_for_refresh`]).
    Exit,
}

/// The decision: ask when entries wait and a window can ask, else exit. `waiting` counts the
/// connected account's entries still to be sent; `window` says whether there is a window to ask in.
pub fn decide(cause: QuitCause, waiting: u32, window: bool) -> QuitStep {
    match cause {
        QuitCause::Confirmed | QuitCause::SessionEnd => QuitStep::Exit,
        QuitCause::WindowClosed | QuitCause::TrayQuit | QuitCause::AppMenuQuit if waiting > 0 && window => {
            QuitStep::Ask { waiting }
        }
        _ => QuitStep::Exit,
    }
}

/// Waits until no token refresh is in flight in this process, at most `limit`; true if none
/// is (false: the limit passed with one still under way).
pub async fn wait_for_refresh(limit: Duration) -> bool {
    wait_while(crate::auth::session::refresh_in_flight, limit).await
}

/// [`wait_for_refresh`] for a thread that must not return before (the app's last event, on
/// its main thread, while the refresh runs on the async runtime's threads).
pub fn wait_for_refresh_blocking(limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while crate::auth::session::refresh_in_flight() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(POLL);
    }
    true
}

/// Waits while `busy` says so, at most `limit`; whether it stopped being busy.
pub async fn wait_while(busy: impl Fn() -> bool, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while busy() {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(POLL).await;
    }
    true
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use super::*;

    #[test]
    fn every_way_to_quit_asks_while_entries_wait_and_a_window_can_ask() {
        use QuitCause::*;
        for cause in [WindowClosed, TrayQuit, AppMenuQuit] {
            assert_eq!(decide(cause, 2, true), QuitStep::Ask { waiting: 2 }, "{cause:?}");
            assert_eq!(decide(cause, 0, true), QuitStep::Exit, "{cause:?} with nothing waiting");
            assert_eq!(decide(cause, 2, false), QuitStep::Exit, "{cause:?} with no window to ask in");
        }
        assert_eq!(decide(SessionEnd, 2, true), QuitStep::Exit, "an ending session cannot wait for an answer");
        assert_eq!(decide(Confirmed, 2, true), QuitStep::Exit, "the answer was quit anyway");
    }

    #[tokio::test]
    async fn a_quit_waits_for_the_refresh_in_flight_and_no_longer_than_its_limit() {
        // Nothing in flight: at once.
        let t = Instant::now();
        assert!(wait_for_refresh(REFRESH_WAIT_LIMIT).await);
        assert!(t.elapsed() < Duration::from_millis(500));
        // A refresh that ends after 200 ms: waited for.
        let busy = Arc::new(AtomicBool::new(true));
        let ends = busy.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            ends.store(false, Ordering::SeqCst);
        });
        let t = Instant::now();
        let b = busy.clone();
        assert!(wait_while(move || b.load(Ordering::SeqCst), Duration::from_secs(10)).await);
        assert!(t.elapsed() >= Duration::from_millis(200), "returned before the refresh ended");
        assert!(t.elapsed() < Duration::from_secs(5));
        // One that never ends: given up at the limit.
        let t = Instant::now();
        assert!(!wait_while(|| true, Duration::from_millis(300)).await);
        assert!(t.elapsed() >= Duration::from_millis(300) && t.elapsed() < Duration::from_secs(5));
        assert!(wait_for_refresh_blocking(REFRESH_WAIT_LIMIT));
    }
}
