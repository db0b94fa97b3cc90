//! The Tauri shell: wires plugins, holds the core, exposes a handful of commands and pushes
//! events. Everything with logic lives in `amo-core`, which has no Tauri dependency.

mod commands;
mod deep_links;
mod entry_commands;
mod updates;

use std::sync::Arc;

use amo_core::{AmoConnect, Lang};
use tauri::{Emitter, Manager};

/// How often the window checks whether the tokens need a keep-alive refresh.
const KEEP_ALIVE_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

pub use commands::AppState;

pub fn run() {
    let core = match AmoConnect::open_default() {
        Ok(c) => Arc::new(c),
        Err(e) => {
            // Nothing can work without the data directory; say why where it can be seen.
            eprintln!("error[{}]: {}", e.code(), e.message(Lang::from_env()));
            std::process::exit(1);
        }
    };
    amo_core::logging::init(core.data_dir());
    if let Err(e) = core.cleanup_states() {
        tracing::warn!(code = e.code(), "cleanup of expired states at start failed");
    }

    let mut builder = tauri::Builder::default();
    // Single instance first (tauri-notes §1.3): a second launch — e.g. the OS opening an
    // amoconnect:// link — hands its URL to this instance (deep-link feature) and exits.
    #[cfg(desktop)]
    {
        builder = builder.plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            if let Some(w) = app.get_webview_window("main") {
                let _ = w.unminimize();
                let _ = w.set_focus();
            }
        }));
    }
    let result = builder
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(updates::UpdateState::default())
        .on_menu_event(|app, event| updates::on_menu_event(app, event.id().as_ref()))
        .setup(move |app| {
            // The version users and the updater see (tauri.conf.json; the core's tests keep it
            // equal to Cargo's).
            tracing::info!(version = %app.package_info().version, "window starting");
            app.manage(AppState::new(core.clone()));
            app.set_menu(updates::menu(app.handle(), core.lang() == Lang::Ru)?)?;
            deep_links::install(app)?;
            updates::check_at_start(app.handle());
            // Keep a quiet connection alive (refresh tokens die after 3 months unused): check at
            // start and every hour; push the new status when a refresh happened.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(amo_core::session::run_keep_alive(
                core.clone(),
                KEEP_ALIVE_CHECK_EVERY,
                move |status| {
                    let _ = handle.emit("status-changed", &status);
                },
            ));
            // The outbox worker: sends queued leads and contacts, retries forever, pushes every
            // change to the window.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(amo_core::outbox::run_worker(core.clone(), move || {
                let state = handle.state::<AppState>();
                entry_commands::emit_outbox(&handle, &state);
            }));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::get_status,
            commands::get_settings,
            commands::save_settings,
            commands::connect_start,
            commands::connect_cancel,
            commands::disconnect,
            commands::cleanup_states,
            commands::refresh_now,
            commands::connect_with_code,
            commands::connect_with_token,
            entry_commands::reference_data,
            entry_commands::find_duplicates,
            entry_commands::submit_lead,
            entry_commands::submit_contact,
            entry_commands::outbox_list,
            entry_commands::outbox_summary,
            entry_commands::outbox_retry,
            entry_commands::outbox_update,
            entry_commands::outbox_discard,
            entry_commands::open_in_amocrm,
            updates::check_for_update,
            updates::update_status,
            updates::install_update,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!("the window could not start: {e}");
        eprintln!("error[internal]: the window could not start: {e}");
        std::process::exit(1);
    }
}
