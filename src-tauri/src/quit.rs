//! Every way the app ends goes through [`request`]: the window closed with nothing to keep it
//! running hidden, the tray's Quit, the macOS app menu's Quit, the session ending (SIGTERM/SIGHUP
//! on Unix), the last window gone some other way, and "Quit anyway". The core decides
//! (`amo_core::quit`): ask first while entries wait and a window can ask; otherwise exit — once
//! no token refresh is in flight, waiting at most `REFRESH_WAIT_LIMIT`. The app's last event
//! (`RunEvent::Exit`, [`at_exit`]) waits the same way for any end that bypassed this (the macOS
//! system ending the app directly, say).

use std::sync::atomic::{AtomicBool, Ordering};

use amo_core::quit::{decide, wait_for_refresh, wait_for_refresh_blocking, QuitCause, QuitStep, REFRESH_WAIT_LIMIT};
use tauri::{AppHandle, Manager, Runtime};

use crate::state::AppState;
use crate::{events, window};

/// The macOS app menu's Quit (its own item, so it asks like the tray's Quit; the system's
/// predefined item would end the app without a word).
pub const APP_MENU_QUIT: &str = "app-quit";

/// Set once the app decided to exit: the exit request that follows is its own and goes through.
static EXITING: AtomicBool = AtomicBool::new(false);

/// Quits as `cause` asks: the question in the window while entries wait (the window is raised
/// to show it), or the exit once no refresh is in flight.
pub fn request<R: Runtime>(app: &AppHandle<R>, cause: QuitCause) {
    let waiting = app.try_state::<AppState>().and_then(|s| s.core().outbox_summary().ok()).map_or(0, |s| s.queued);
    let window = app.get_webview_window("main").is_some();
    match decide(cause, waiting, window) {
        QuitStep::Ask { waiting } => {
            tracing::info!(?cause, waiting, "quit asked while entries wait");
            window::raise(app);
            events::quit_requested(app, &waiting);
        }
        QuitStep::Exit => exit(app, cause),
    }
}

/// Exits once no token refresh is in flight (at most the limit), saving the window's place.
fn exit<R: Runtime>(app: &AppHandle<R>, cause: QuitCause) {
    if EXITING.swap(true, Ordering::SeqCst) {
        return;
    }
    tracing::info!(?cause, "quitting");
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        if amo_core::auth::session::refresh_in_flight() {
            tracing::info!("waiting for the token refresh in flight before quitting");
        }
        if !wait_for_refresh(REFRESH_WAIT_LIMIT).await {
            tracing::warn!("quitting with a token refresh still in flight after {REFRESH_WAIT_LIMIT:?}");
        }
        let handle = app.clone();
        let _ = app.run_on_main_thread(move || window::save_window_state(&handle));
        app.exit(0);
    });
}

/// `RunEvent::ExitRequested`: the app's own exit goes through; any other (the last window
/// destroyed without a close request the app could answer) is held and decided by [`request`].
/// A restart into an installed update carries its own code and cannot be held.
pub fn on_exit_requested<R: Runtime>(app: &AppHandle<R>, code: Option<i32>, api: &tauri::ExitRequestApi) {
    if EXITING.load(Ordering::SeqCst) || code.is_some() {
        return;
    }
    api.prevent_exit();
    request(app, QuitCause::WindowClosed);
}

/// `RunEvent::Exit`, the app's last moment on its main thread: whatever ended it, a refresh
/// in flight is waited for (bounded) before the process goes.
pub fn at_exit() {
    if amo_core::auth::session::refresh_in_flight() {
        tracing::info!("the app is ending during a token refresh; waiting for it");
        if !wait_for_refresh_blocking(REFRESH_WAIT_LIMIT) {
            tracing::warn!("ending with a token refresh still in flight after {REFRESH_WAIT_LIMIT:?}");
        }
    }
}

/// The user's session ending reaches the app as SIGTERM (or SIGHUP when its terminal goes): quit
/// as for the session's end — no question, the refresh in flight waited for.
#[cfg(unix)]
pub fn on_session_end<R: Runtime>(app: &AppHandle<R>) {
    use tokio::signal::unix::{signal, SignalKind};
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let (Ok(mut term), Ok(mut hup)) = (signal(SignalKind::terminate()), signal(SignalKind::hangup())) else {
            tracing::warn!("cannot listen for the session's end; a logout ends the app at once");
            return;
        };
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: the session is ending"),
            _ = hup.recv() => tracing::info!("SIGHUP: the session is ending"),
        }
        request(&app, QuitCause::SessionEnd);
    });
}

#[cfg(not(unix))]
pub fn on_session_end<R: Runtime>(_app: &AppHandle<R>) {}

/// The macOS app menu's Quit item, with its usual shortcut.
#[cfg(target_os = "macos")]
pub fn app_menu_item<R: Runtime>(app: &AppHandle<R>, ru: bool) -> tauri::Result<tauri::menu::MenuItem<R>> {
    let label = if ru { "Завершить Amo Connect" } else { "Quit Amo Connect" };
    tauri::menu::MenuItem::with_id(app, APP_MENU_QUIT, label, true, Some("CmdOrCtrl+Q"))
}

/// Menu events of the app menu that are quitting's.
pub fn on_menu_event<R: Runtime>(app: &AppHandle<R>, id: &str) {
    if id == APP_MENU_QUIT {
        request(app, QuitCause::AppMenuQuit);
    }
}
