//! Signed app updates through Tauri's official updater plugin (docs/tauri-platform.md §6): the app looks
//! for a newer version once at start and whenever the user asks (the Help menu, or Settings),
//! shows what is new, and installs only when the user says so. The plugin refuses any download
//! that is not signed by the key in `plugins.updater.pubkey`.
//!
//! The update source (`plugins.updater.endpoints`) is set by the release workflow; a local build
//! has none and says so (`update_not_configured`) instead of pretending to be up to date.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use amo_core::domain::update::{UpdateCheck, UpdateOffer, UpdateProgress, UpdateStatus};
use amo_core::error::UpdateError;
use amo_core::{Error, Result};
#[cfg(target_os = "macos")]
use tauri::menu::{AboutMetadata, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_updater::{Update, UpdaterExt};

use crate::events;
use crate::state::AppState;

/// The Help menu's item; its click asks the window to run the same check as Settings' button.
const CHECK_MENU_ID: &str = "check-for-updates";
/// Looking for `latest.json` must not hang a click for long.
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);
/// A package is a few MB; allow a slow line.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// Bytes between two `update-progress` events.
const PROGRESS_STEP: u64 = 256 * 1024;

/// What the updater knows between the check and the user's consent.
#[derive(Default)]
pub struct UpdateState {
    /// The newer version found by the last check, kept to be installed as announced.
    found: Mutex<Option<Update>>,
    /// Set while a download or install runs: a second click must not start another.
    installing: AtomicBool,
}

fn offer_of(update: &Update) -> UpdateOffer {
    let date = update.raw_json.get("pub_date").and_then(|d| d.as_str()).map(str::to_owned);
    UpdateOffer::new(update.current_version.clone(), update.version.clone(), date, update.body.as_deref())
}

/// Which step of updating failed.
#[derive(Clone, Copy)]
enum Stage {
    Check,
    Download,
    Install,
}

/// Sorts the plugin's errors into the steps the user can act on.
fn failure(stage: Stage, e: tauri_plugin_updater::Error) -> Error {
    use tauri_plugin_updater::Error as E;
    let detail = e.to_string();
    let e = match e {
        E::EmptyEndpoints => UpdateError::UpdateNotConfigured,
        E::Minisign(_) | E::Base64(_) | E::SignatureUtf8(_) | E::SignedVersionMismatch { .. } => {
            UpdateError::UpdateSignatureInvalid { detail }
        }
        _ => match stage {
            Stage::Check => UpdateError::UpdateCheckFailed { detail },
            Stage::Download => UpdateError::UpdateDownloadFailed { detail },
            Stage::Install => UpdateError::UpdateInstallFailed { detail },
        },
    };
    e.into()
}

/// Asks the update source whether a newer signed version exists and remembers it.
async fn check<R: Runtime>(app: &AppHandle<R>) -> Result<UpdateCheck> {
    let updater = app.updater_builder().timeout(CHECK_TIMEOUT).build().map_err(|e| failure(Stage::Check, e))?;
    let found = updater.check().await.map_err(|e| failure(Stage::Check, e))?;
    let state = app.state::<UpdateState>();
    let mut slot = state.found.lock().unwrap_or_else(|p| p.into_inner());
    Ok(match found {
        Some(update) => {
            let offer = offer_of(&update);
            tracing::info!(version = %offer.version, "an update is available");
            *slot = Some(update);
            UpdateCheck::Available { offer }
        }
        None => {
            *slot = None;
            UpdateCheck::UpToDate { current_version: app.package_info().version.to_string() }
        }
    })
}

/// The check at start: quiet when offline or when this build has no update source; a found
/// update reaches the window as `update-available` (and through `update_status`, for a window
/// that was not listening yet).
pub fn check_at_start<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        match check(&app).await {
            Ok(UpdateCheck::Available { offer }) => events::update_available(&app, &offer),
            Ok(UpdateCheck::UpToDate { .. }) => tracing::info!("no newer version"),
            Err(e) => tracing::info!(code = %e.code(), "update check at start skipped: {e}"),
        }
    });
}

/// macOS's app menu: About, Check for updates…, Hide, Quit, and Edit (copy and paste keep their
/// shortcuts only through it). Labels follow the app's language at start. Linux and Windows get
/// no menu bar: Settings → Updates has the same check and the version (see `run`).
#[cfg(target_os = "macos")]
pub fn menu<R: Runtime>(app: &AppHandle<R>, ru: bool) -> tauri::Result<Menu<R>> {
    let info = app.package_info();
    let about = AboutMetadata {
        name: Some(info.name.clone()),
        version: Some(info.version.to_string()),
        copyright: app.config().bundle.copyright.clone(),
        ..Default::default()
    };
    let check_label = if ru { "Проверить обновления…" } else { "Check for updates…" };
    let check = MenuItem::with_id(app, CHECK_MENU_ID, check_label, true, None::<&str>)?;
    let about_label = if ru { "О программе" } else { "About Amo Connect" };
    let about_item = PredefinedMenuItem::about(app, Some(about_label), Some(about))?;
    let app_menu = Submenu::with_items(
        app,
        info.name.clone(),
        true,
        &[
            &about_item,
            &check,
            &PredefinedMenuItem::separator(app)?,
            &PredefinedMenuItem::hide(app, None)?,
            &PredefinedMenuItem::separator(app)?,
            // Its own Quit, not the system's: it asks while entries wait (`quit.rs`).
            &crate::quit::app_menu_item(app, ru)?,
        ],
    )?;
    let edit = Submenu::with_items(
        app,
        if ru { "Правка" } else { "Edit" },
        true,
        &[
            &PredefinedMenuItem::undo(app, None)?,
            &PredefinedMenuItem::redo(app, None)?,
            &PredefinedMenuItem::separator(app)?,
            &PredefinedMenuItem::cut(app, None)?,
            &PredefinedMenuItem::copy(app, None)?,
            &PredefinedMenuItem::paste(app, None)?,
            &PredefinedMenuItem::select_all(app, None)?,
        ],
    )?;
    Menu::with_items(app, &[&app_menu, &edit])
}

/// The menu item asks the window to check (the window shows the answer, as for its own button).
pub fn on_menu_event<R: Runtime>(app: &AppHandle<R>, id: &str) {
    if id == CHECK_MENU_ID {
        if let Some(w) = app.get_webview_window("main") {
            let _ = w.unminimize();
            let _ = w.set_focus();
        }
        events::update_check_requested(app, &());
    }
}

/// "Check for updates": the newer version with its notes, or "up to date".
pub async fn check_for_update(app: &AppHandle, _state: &AppState) -> Result<UpdateCheck> {
    check(app).await
}

/// This version and the update the last check found (the check at start may finish before the
/// window listens for `update-available`).
pub async fn update_status(app: &AppHandle, _state: &AppState) -> Result<UpdateStatus> {
    let updates = app.state::<UpdateState>();
    let offer = updates.found.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(offer_of);
    Ok(UpdateStatus { current_version: app.package_info().version.to_string(), offer })
}

/// Installs the update the user agreed to: downloads it (progress as `update-progress`),
/// verifies its signature, installs it and restarts into the new version. Returns only on
/// failure; the running version stays as it was.
pub async fn install_update(app: &AppHandle, _state: &AppState) -> Result<()> {
    let updates = app.state::<UpdateState>();
    let update = updates.found.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let Some(mut update) = update else {
        return Err(UpdateError::NoUpdate.into());
    };
    if updates.installing.swap(true, Ordering::SeqCst) {
        return Err(UpdateError::UpdateInProgress.into());
    }
    let result = download_and_install(app, &mut update).await;
    updates.installing.store(false, Ordering::SeqCst);
    match result {
        Ok(()) => {
            tracing::info!(version = %update.version, "update installed; restarting");
            app.restart();
        }
        Err(e) => {
            tracing::warn!(code = %e.code(), "update not installed: {e}");
            Err(e)
        }
    }
}

async fn download_and_install(app: &AppHandle, update: &mut Update) -> Result<()> {
    update.timeout = Some(DOWNLOAD_TIMEOUT);
    let mut downloaded: u64 = 0;
    let mut reported: u64 = 0;
    let progress = app.clone();
    // `download` checks the signature before it returns the bytes.
    let bytes = update
        .download(
            move |chunk, total| {
                downloaded += chunk as u64;
                // Chunks are a few KB: tell the window every PROGRESS_STEP and at the end, not
                // hundreds of times per package.
                if downloaded - reported >= PROGRESS_STEP || Some(downloaded) == total {
                    reported = downloaded;
                    events::update_progress(&progress, &UpdateProgress { downloaded, total });
                }
            },
            || {},
        )
        .await
        .map_err(|e| failure(Stage::Download, e))?;
    // Installing may wait for a password prompt (pkexec on Linux): off the async threads.
    let update = update.clone();
    tauri::async_runtime::spawn_blocking(move || update.install(bytes))
        .await
        .map_err(|e| Error::from(UpdateError::UpdateInstallFailed { detail: e.to_string() }))?
        .map_err(|e| failure(Stage::Install, e))
}
