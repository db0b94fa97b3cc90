//! What each command does. Thin: the logic is in `amo-core`; here the window's side effects
//! (opening the browser, pushing events, the waiting sign-in) are added. Every handler takes the
//! app handle and the shared state first, then the contract's arguments.

use amo_core::auth::CONNECT_TIMEOUT;
use amo_core::domain::settings::SettingsPatch;
use amo_core::domain::views::{ConnectOutcome, ConnectStarted, OpenRequest, SettingsView, StatusView};
use amo_core::Result;
use tauri::AppHandle;
use tauri_plugin_opener::OpenerExt;

pub use crate::desktop::{desktop_view, dismiss_autostart_offer, set_autostart, set_quick_entry_shortcut};
pub use crate::entries::{
    find_duplicates, list_leads, open_amocrm_record, open_in_amocrm, outbox_discard, outbox_list, outbox_resume,
    outbox_retry, outbox_summary, outbox_update, queue_contact, queue_followup, queue_lead, reference_data,
    save_form_layout, search_amocrm, search_companies,
};
pub use crate::lead_cards::{lead_card, loss_reasons, outbox_send_mine, queue_lead_change, queue_task_change};
pub use crate::people::{find_customer, log_call, people_status, set_people_copy, sync_people};
pub use crate::tasks::customer_phone;
pub use crate::tasks::my_tasks;
pub use crate::updates::{check_for_update, install_update, update_status};

use crate::events;
use crate::state::AppState;

/// Set to `1` to never open a browser (tests drive the authorize page themselves; headless use).
const NO_BROWSER_ENV: &str = "AMO_CONNECT_NO_BROWSER";

pub async fn status(_app: &AppHandle, state: &AppState) -> Result<StatusView> {
    Ok(state.core().status().await)
}

pub async fn settings_view(_app: &AppHandle, state: &AppState) -> Result<SettingsView> {
    state.core().settings_view().await
}

pub async fn save_settings(app: &AppHandle, state: &AppState, patch: SettingsPatch) -> Result<SettingsView> {
    let language = patch.language.is_some();
    let view = state.core().save_settings(patch).await?;
    if language {
        crate::tray::language_changed(app);
    }
    Ok(view)
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
/// and returns at once. The outcome arrives later as `connect-finished` (and `status-changed`).
pub async fn start_connect(app: &AppHandle, state: &AppState) -> Result<ConnectStarted> {
    // Free the port of an earlier, abandoned sign-in before binding it again.
    state.cancel_pending().await;
    let pending = state.core().start_connect().await?;
    let authorize_url = pending.authorize_url().to_string();
    let browser_opened = open_in_browser(app, &authorize_url);
    if !pending.listens() {
        // The redirect comes back as a deep link, handled by deep_links.rs.
        return Ok(ConnectStarted { authorize_url, browser_opened });
    }
    let (core, app) = (state.core().clone(), app.clone());
    let task = tauri::async_runtime::spawn(async move {
        let outcome = match pending.wait(CONNECT_TIMEOUT).await {
            Ok(status) => ConnectOutcome { status, error: None },
            Err(e) => ConnectOutcome { status: core.status().await, error: Some(e.to_payload(core.lang())) },
        };
        events::connect_finished(&app, &outcome);
    });
    state.set_pending(task);
    Ok(ConnectStarted { authorize_url, browser_opened })
}

/// Stops waiting for amoCRM: the listener closes and the sign-in's state is spent, so an app
/// link that arrives later cannot connect after all.
pub async fn cancel_connect(_app: &AppHandle, state: &AppState) -> Result<bool> {
    let listened = state.cancel_pending().await;
    let cancelled = state.core().cancel_connect()?;
    Ok(listened || cancelled > 0)
}

/// Connects with a code from the integration's Keys tab (amoCRM's "easy auth").
pub async fn connect_with_code(_app: &AppHandle, state: &AppState, code: String, domain: String) -> Result<StatusView> {
    state.cancel_pending().await;
    state.core().connect_with_code(&code, &domain).await
}

/// Connects with a long-lived token pasted by an admin. The token goes from the form straight
/// to Rust and the keychain; it is never sent back to the UI.
pub async fn connect_with_long_lived_token(
    _app: &AppHandle,
    state: &AppState,
    token: String,
    domain: String,
) -> Result<StatusView> {
    state.cancel_pending().await;
    state.core().connect_with_long_lived_token(&token, &domain).await
}

pub async fn disconnect(_app: &AppHandle, state: &AppState, discard_pending: bool) -> Result<StatusView> {
    state.core().disconnect(discard_pending).await?;
    // The status panel, History and the banner hear of it from `watch.rs`.
    Ok(state.core().status().await)
}

/// "Refresh now": refreshes the tokens (single-flight with every other task and process) and
/// re-reads the account; pushes the new status either way.
pub async fn refresh_now(_app: &AppHandle, state: &AppState) -> Result<StatusView> {
    state.core().refresh_now().await
}

pub async fn cleanup_states(_app: &AppHandle, state: &AppState) -> Result<u32> {
    Ok(u32::try_from(state.core().cleanup_states()?).unwrap_or(u32::MAX))
}

/// What `amo-connect new …` started the window to show, once.
pub async fn take_open_request(_app: &AppHandle, state: &AppState) -> Result<Option<OpenRequest>> {
    Ok(state.take_open_request())
}

/// "Quit anyway": the user confirmed quitting with entries still waiting (they are sent at the
/// next start). Quits as every quit does — after a token refresh in flight (`quit.rs`).
pub async fn quit_app(app: &AppHandle, _state: &AppState) -> Result<()> {
    tracing::info!("quitting with entries still waiting, as the user confirmed");
    crate::quit::request(app, amo_core::quit::QuitCause::Confirmed);
    Ok(())
}
