//! `amoconnect://oauth/callback?…` links, from a running app (forwarded by single-instance) or
//! at a cold start. Every link is checked by the core (scheme, path, single-use unexpired state);
//! a refused one changes nothing, and the window is told why (`link-refused`, and
//! `take_link_problem` for a link that came before the window listened) — the log gets the code,
//! never the URL itself, which holds a code.
//!
//! A sign-in that waits for a link has no listener to time out: the timer here ends the
//! window's once its state's 15 minutes are over (`connect-finished` with `connect_timeout`),
//! as the loopback listener does for the others.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use amo_core::auth::loopback::Verdict;
use amo_core::domain::views::ConnectOutcome;
use amo_core::{Error, ErrorPayload, Result};
use tauri::{App, AppHandle, Manager};
use tauri_plugin_deep_link::DeepLinkExt;

use crate::events;
use crate::state::AppState;

/// What the last link went wrong with, until the window takes it.
#[derive(Default)]
struct LinkProblems {
    last: Mutex<Option<Error>>,
    /// The window has asked once: it listens to events from now on.
    window_asked: AtomicBool,
}

impl LinkProblems {
    /// A refused link: kept (the window may not be on the Connection tab, or not loaded yet).
    fn refused(&self, e: &Error) {
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.clone());
    }

    /// A sign-in the link finished without connecting: its `connect-finished` reaches a
    /// window that listens; kept only for one that never asked yet (a cold start).
    fn failed(&self, e: &Error) {
        if !self.window_asked.load(Ordering::Acquire) {
            self.refused(e);
        }
    }

    fn take(&self) -> Option<Error> {
        self.window_asked.store(true, Ordering::Release);
        self.last.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

pub fn install(app: &mut App) -> std::result::Result<(), Box<dyn std::error::Error>> {
    app.manage(LinkProblems::default());
    // The .deb/.rpm desktop entry and the Windows/macOS installers register the scheme. Builds
    // no installer placed — dev builds, and the AppImage — register it at run time
    // (docs/tauri-platform.md §2.4), so an installed app never rewrites the user's MIME defaults.
    #[cfg(any(target_os = "linux", all(debug_assertions, windows)))]
    if cfg!(debug_assertions) || std::env::var_os("APPIMAGE").is_some() {
        if let Err(e) = app.deep_link().register_all() {
            tracing::warn!("could not register the amoconnect:// scheme: {e}");
        }
    }
    let handle = app.handle().clone();
    app.deep_link().on_open_url(move |event| {
        for url in event.urls() {
            handle_link(handle.clone(), url.to_string());
        }
    });
    // Started by the link itself.
    if let Ok(Some(urls)) = app.deep_link().get_current() {
        for url in urls {
            handle_link(app.handle().clone(), url.to_string());
        }
    }
    watch_timeouts(app.handle().clone());
    Ok(())
}

/// Why the last link was refused (or, at a cold start, why the sign-in it finished failed),
/// once; in the current language.
pub async fn take_link_problem(app: &AppHandle, state: &AppState) -> Result<Option<ErrorPayload>> {
    let lang = state.core().lang();
    Ok(app.try_state::<LinkProblems>().and_then(|p| p.take()).map(|e| e.to_payload(lang)))
}

fn handle_link(app: AppHandle, url: String) {
    let core = app.state::<AppState>().core().clone();
    tauri::async_runtime::spawn(async move {
        match core.complete_deep_link(&url).await {
            Verdict::Reject(e) => {
                tracing::warn!(code = %e.code(), "deep link refused");
                app.state::<LinkProblems>().refused(&e);
                events::link_refused(&app, &e.to_payload(core.lang()));
            }
            Verdict::Finish(result) => {
                app.state::<AppState>().forget_pending();
                let outcome = match result {
                    Ok(status) => ConnectOutcome { status, error: None },
                    Err(e) => {
                        app.state::<LinkProblems>().failed(&e);
                        ConnectOutcome { status: core.status().await, error: Some(e.to_payload(core.lang())) }
                    }
                };
                events::connect_finished(&app, &outcome);
            }
        }
    });
}

/// When a sign-in of this window that waits for a link runs out of time, the window stops
/// waiting and says so. The core's timer sleeps until that deadline (and not at all while no
/// sign-in waits): the idle window does not wake for it.
fn watch_timeouts(app: AppHandle) {
    let core = app.state::<AppState>().core().clone();
    let timer = core.watch_sign_in_timeouts(move |e| {
        let (app, core) = (app.clone(), app.state::<AppState>().core().clone());
        tauri::async_runtime::spawn(async move {
            let outcome = ConnectOutcome { status: core.status().await, error: Some(e.to_payload(core.lang())) };
            events::connect_finished(&app, &outcome);
        });
    });
    tauri::async_runtime::spawn(timer);
}
