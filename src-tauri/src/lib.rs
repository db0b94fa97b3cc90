//! The Tauri shell: wires plugins, holds the core, exposes a handful of commands and pushes
//! events. Everything with logic lives in `amo-core`, which has no Tauri dependency.

mod commands;
mod deep_links;
mod desktop;
mod entries;
mod events;
mod handlers;
mod lead_cards;
mod notify;
mod people;
mod quit;
mod startup;
mod state;
mod task_watch;
mod tasks;
mod tray;
mod updates;
mod watch;
mod window;

use tauri::Manager;

use state::AppState;

pub fn run() {
    // Nothing can work without the data: if it cannot be opened, say what and where in a
    // dialog (and the log, and stderr), then exit (startup.rs).
    let core = startup::open_or_explain();
    amo_core::logging::init(core.data_dir());
    if let Err(e) = core.cleanup_states() {
        tracing::warn!(code = %e.code(), "cleanup of expired states at start failed");
    }

    // `amo-connect new [--phone N]` started this window (main.rs let it through): what to show.
    let start_request = amo_cli::open_request(&std::env::args_os().collect::<Vec<_>>());
    // Started by the autostart entry: to the tray, without a window (if there is a tray).
    let start_hidden = std::env::args_os().nth(1).is_some_and(|a| a == desktop::HIDDEN_ARG);

    let mut builder = tauri::Builder::default();
    // Single instance first (docs/tauri-platform.md §2.1): a second launch — e.g. the OS opening an
    // amoconnect:// link — hands its URL to this instance (deep-link feature) and exits.
    #[cfg(desktop)]
    {
        builder = builder.plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            // `amo-connect new …` while the window runs (hidden in the tray, perhaps): raise it on
            // that screen. Any other second start just raises it.
            let argv: Vec<std::ffi::OsString> = argv.into_iter().map(Into::into).collect();
            match amo_cli::open_request(&argv) {
                Some(request) => tray::open(app, &request),
                // The autostart entry while the app already runs: leave it where it is.
                None if argv.get(1).is_some_and(|a| a == desktop::HIDDEN_ARG) => {}
                None => window::raise(app),
            }
        }));
    }
    let result = desktop::plugins(builder)
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(updates::UpdateState::default())
        .on_menu_event(|app, event| {
            updates::on_menu_event(app, event.id().as_ref());
            quit::on_menu_event(app, event.id().as_ref());
        })
        .setup(move |app| {
            // The version users and the updater see (tauri.conf.json; the core's tests keep it
            // equal to Cargo's).
            tracing::info!(version = %app.package_info().version, "window starting");
            app.manage(AppState::new(core.clone(), start_request.clone()));
            // A menu only where it is the system's app menu (macOS: About, Check for updates,
            // and Edit, which copy and paste need). On Linux and Windows a menu bar inside the
            // window would hold two items that Settings → Updates already has, and adding it
            // delayed the window's first paint by ~90 ms (docs/tauri-platform.md §10).
            #[cfg(target_os = "macos")]
            app.set_menu(updates::menu(app.handle(), core.lang() == amo_core::Lang::Ru)?)?;
            deep_links::install(app)?;
            // The tray, so the app can keep sending with its window closed. Without one (a desktop
            // with no tray host) the window just closes as usual.
            // Every change of the outbox and the connection, whoever makes it, reaches the window
            // from here (a failing keep-alive is told even with the window closed); watched from
            // before the tray reads the outbox, so nothing falls between.
            watch::install(app.handle(), core.clone());
            // The first look: what is already sent or waiting is not news.
            notify::show_due(app.handle());
            let summary = core.outbox_summary().unwrap_or_default();
            if let Err(e) = tray::install(app.handle(), core.lang(), &summary) {
                tracing::warn!("no tray icon on this desktop: {e}");
            }
            // The window is made hidden (tauri.conf.json) so a start to the tray never flashes
            // it; shown now unless started to the tray — and always when there is no tray.
            if !(start_hidden && tray::exists(app.handle())) {
                window::raise(app.handle());
            } else {
                tracing::info!("started hidden in the tray");
            }
            desktop::install(app.handle());
            // A logout or shutdown ends the app through the same quit as its menus.
            quit::on_session_end(app.handle());
            updates::check_at_start(app.handle());
            // Keep a quiet connection alive (refresh tokens die after 3 months unused; the access
            // token is refreshed before it expires): the core's loop, which `outbox run` runs too.
            tauri::async_runtime::spawn(core.keep_alive_loop(amo_core::auth::keep_alive::CHECK_EVERY));
            // The outbox worker: sends queued entries, retries forever.
            tauri::async_runtime::spawn(core.outbox_worker());
            // The copy of the account's people, for the caller's card: fresh every minute.
            tauri::async_runtime::spawn(people::keep_fresh(core.clone()));
            // My tasks: read every five minutes; the tray's count and the due notification from
            // the copy every half minute.
            tauri::async_runtime::spawn(task_watch::run(app.handle().clone(), core.clone()));
            Ok(())
        })
        .on_window_event(|window, event| match event {
            // Closing the window while entries wait (or always, if chosen in Settings) hides it
            // to the tray: the worker and keep-alive go on; the tray's Quit (or Open) is there.
            // Otherwise closing is quitting, and goes the one way every quit goes: the window
            // stays to ask while entries wait (with no tray host, say), and a refresh in flight
            // is waited for.
            tauri::WindowEvent::CloseRequested { api, .. } => {
                window::save_window_state(window.app_handle());
                api.prevent_close();
                if tray::keeps_running_hidden(window.app_handle()) {
                    let _ = window.hide();
                    tracing::info!("window hidden to the tray");
                } else {
                    tracing::info!("window closing: no tray to keep it running in");
                    quit::request(window.app_handle(), amo_core::quit::QuitCause::WindowClosed);
                }
            }
            tauri::WindowEvent::Resized(_) | tauri::WindowEvent::Moved(_) => window::window_moved(window.app_handle()),
            _ => {}
        })
        .invoke_handler(commands::handler())
        .build(tauri::generate_context!());
    match result {
        Ok(app) => app.run(|handle, event| match event {
            // The last window gone without a close the app could answer: decided as a quit.
            tauri::RunEvent::ExitRequested { code, api, .. } => quit::on_exit_requested(handle, code, &api),
            // Whatever ended the app, a token refresh in flight is not cut in half.
            tauri::RunEvent::Exit => quit::at_exit(),
            // macOS: a click on the Dock icon of an app whose window is hidden brings it back.
            #[cfg(target_os = "macos")]
            tauri::RunEvent::Reopen { .. } => window::raise(handle),
            _ => {}
        }),
        Err(e) => {
            tracing::error!("the window could not start: {e}");
            eprintln!("error[internal]: the window could not start: {e}");
            std::process::exit(1);
        }
    }
}
