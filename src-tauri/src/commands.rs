//! The window's command surface. Every command returns `Result<T, ErrorPayload>`: errors reach
//! the UI as `{code, message}` (message in the user's language) and the UI switches on `code`.
//! Types are generated for TypeScript from the core (ts-rs), not copied by hand.

use std::sync::{Arc, Mutex};

use amo_core::config::SettingsPatch;
use amo_core::service::{ConnectOutcome, ConnectStarted, CONNECT_TIMEOUT};
use amo_core::{AmoConnect, Error, ErrorPayload, SettingsView, StatusView};
use tauri::async_runtime::JoinHandle;
use tauri::{AppHandle, Emitter, State};
use tauri_plugin_opener::OpenerExt;

/// Set to `1` to never open a browser (tests drive the authorize page themselves; headless use).
const NO_BROWSER_ENV: &str = "AMO_CONNECT_NO_BROWSER";

pub struct AppState {
    core: Arc<AmoConnect>,
    /// The sign-in waiting for amoCRM's redirect, if any. At most one: a new Connect cancels it.
    pending: Mutex<Option<JoinHandle<()>>>,
}

impl AppState {
    pub fn new(core: Arc<AmoConnect>) -> AppState {
        AppState { core, pending: Mutex::new(None) }
    }

    /// Stops the waiting sign-in, if any, and returns once its listener is closed (the task is
    /// dropped), so a new sign-in can bind the same port at once.
    async fn cancel_pending(&self) -> bool {
        let handle = self.pending.lock().unwrap_or_else(|p| p.into_inner()).take();
        match handle {
            Some(h) => {
                h.abort();
                let _ = h.await;
                true
            }
            None => false,
        }
    }

    pub fn core(&self) -> Arc<AmoConnect> {
        self.core.clone()
    }

    /// A sign-in ended elsewhere (a deep link): stop its listener, if it had one.
    pub fn forget_pending(&self) {
        if let Some(h) = self.pending.lock().unwrap_or_else(|p| p.into_inner()).take() {
            h.abort();
        }
    }

    pub fn err(&self, e: Error) -> ErrorPayload {
        e.to_payload(self.core.lang())
    }
}

#[tauri::command]
pub async fn get_status(state: State<'_, AppState>) -> Result<StatusView, ErrorPayload> {
    Ok(state.core.status().await)
}

#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> Result<SettingsView, ErrorPayload> {
    state.core.settings_view().await.map_err(|e| state.err(e))
}

#[tauri::command]
pub async fn save_settings(state: State<'_, AppState>, patch: SettingsPatch) -> Result<SettingsView, ErrorPayload> {
    state.core.apply_settings(patch).await.map_err(|e| state.err(e))
}

/// Opens `url` in the system browser unless `AMO_CONNECT_NO_BROWSER=1`; whether it opened.
/// Only Rust opens URLs: the window has no opener permission.
pub fn open_in_browser(app: &AppHandle, url: &str) -> bool {
    if std::env::var(NO_BROWSER_ENV).is_ok_and(|v| v == "1") {
        return false;
    }
    match app.opener().open_url(url, None::<&str>) {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!("could not open the browser: {e}");
            false
        }
    }
}

/// Starts Connect: binds the loopback listener if the Redirect URI needs one, opens the browser,
/// and returns at once. The outcome arrives later as the `connect-finished` event (and
/// `status-changed`).
#[tauri::command]
pub async fn connect_start(app: AppHandle, state: State<'_, AppState>) -> Result<ConnectStarted, ErrorPayload> {
    // Free the port of an earlier, abandoned sign-in before binding it again.
    state.cancel_pending().await;
    let pending = state.core.start_connect().await.map_err(|e| state.err(e))?;
    let authorize_url = pending.authorize_url().to_string();
    let browser_opened = open_in_browser(&app, &authorize_url);
    if !pending.listens() {
        // The redirect comes back as a deep link, handled by deep_links.rs.
        return Ok(ConnectStarted { authorize_url, browser_opened });
    }
    let core = state.core.clone();
    let task = tauri::async_runtime::spawn(async move {
        let result = pending.wait(&core, CONNECT_TIMEOUT).await;
        let lang = core.lang();
        let outcome = match result {
            Ok(status) => ConnectOutcome { status, error: None },
            Err(e) => ConnectOutcome { status: core.status().await, error: Some(e.to_payload(lang)) },
        };
        let _ = app.emit("status-changed", &outcome.status);
        let _ = app.emit("connect-finished", &outcome);
    });
    *state.pending.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
    Ok(ConnectStarted { authorize_url, browser_opened })
}

/// Connects with a code from the integration's Keys tab (amoCRM's "easy auth").
#[tauri::command]
pub async fn connect_with_code(
    app: AppHandle,
    state: State<'_, AppState>,
    code: String,
    domain: String,
) -> Result<StatusView, ErrorPayload> {
    state.cancel_pending().await;
    let status = state.core.connect_with_code(&code, &domain).await.map_err(|e| state.err(e))?;
    let _ = app.emit("status-changed", &status);
    Ok(status)
}

/// Connects with a long-lived token pasted by an admin. The token goes from the form straight
/// to Rust and the keychain; it is never sent back to the UI.
#[tauri::command]
pub async fn connect_with_token(
    app: AppHandle,
    state: State<'_, AppState>,
    token: String,
    domain: String,
) -> Result<StatusView, ErrorPayload> {
    state.cancel_pending().await;
    let status = state.core.connect_with_long_lived_token(&token, &domain).await.map_err(|e| state.err(e))?;
    let _ = app.emit("status-changed", &status);
    Ok(status)
}

/// Stops waiting for amoCRM (the listener closes). The state stays unusable after its 15 minutes.
#[tauri::command]
pub async fn connect_cancel(state: State<'_, AppState>) -> Result<bool, ErrorPayload> {
    Ok(state.cancel_pending().await)
}

#[tauri::command]
pub async fn disconnect(app: AppHandle, state: State<'_, AppState>) -> Result<StatusView, ErrorPayload> {
    state.core.disconnect().await.map_err(|e| state.err(e))?;
    let status = state.core.status().await;
    let _ = app.emit("status-changed", &status);
    Ok(status)
}

/// "Refresh now": refreshes the tokens (single-flight with every other task and process) and
/// re-reads the account; pushes the new status.
#[tauri::command]
pub async fn refresh_now(app: AppHandle, state: State<'_, AppState>) -> Result<StatusView, ErrorPayload> {
    let result = state.core.refresh_now().await;
    let status = state.core.status().await;
    let _ = app.emit("status-changed", &status);
    result.map_err(|e| state.err(e))
}

#[tauri::command]
pub async fn cleanup_states(state: State<'_, AppState>) -> Result<u32, ErrorPayload> {
    let n = state.core.cleanup_states().map_err(|e| state.err(e))?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}
