//! The main window itself: raising it, and remembering its size and place (window-state plugin:
//! saved a moment after each move and at quit). Called from the tray, quitting, the desktop
//! settings and the app's events — it calls none of them, so none of them calls back in a circle.

use tauri::{AppHandle, Manager, Runtime};

/// Shows, unminimises and focuses the main window.
pub fn raise<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

/// A Wayland session: programs cannot grab keys there (the X11 grab of XWayland sees only keys
/// typed into X11 windows), so the desktop's own shortcut settings run `amo-connect new`.
pub fn is_wayland() -> bool {
    cfg!(target_os = "linux")
        && (std::env::var("XDG_SESSION_TYPE").is_ok_and(|v| v == "wayland")
            || (std::env::var_os("WAYLAND_DISPLAY").is_some() && std::env::var_os("DISPLAY").is_none()))
}

/// The window's size or place changed: save it a moment later (once per burst of changes), so a
/// crash or a power cut keeps it too — the plugin alone saves only when the app exits.
pub fn window_moved<R: Runtime>(app: &AppHandle<R>) {
    use std::sync::atomic::{AtomicBool, Ordering};
    static SCHEDULED: AtomicBool = AtomicBool::new(false);
    if SCHEDULED.swap(true, Ordering::SeqCst) {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        SCHEDULED.store(false, Ordering::SeqCst);
        // On the main thread, like the plugin's own saving: saving reads the window (which
        // waits for the main thread) while holding the plugin's cache lock, and the main thread
        // takes that lock on a close request — from here it would deadlock the app on a close
        // that comes while a save is under way.
        let handle = app.clone();
        if let Err(e) = app.run_on_main_thread(move || save_window_state(&handle)) {
            tracing::warn!("could not save the window's size and place: {e}");
        }
    });
}

/// What is remembered of the window: its size, whether maximised, and its position — except on
/// Wayland, where a position reads as (0,0) and cannot be set (docs/tauri-platform.md §7).
pub fn window_state_flags() -> tauri_plugin_window_state::StateFlags {
    use tauri_plugin_window_state::StateFlags;
    let flags = StateFlags::SIZE | StateFlags::MAXIMIZED;
    if is_wayland() {
        flags
    } else {
        flags | StateFlags::POSITION
    }
}

/// Writes the window's size and place now.
pub fn save_window_state<R: Runtime>(app: &AppHandle<R>) {
    use tauri_plugin_window_state::AppHandleExt;
    if let Err(e) = app.save_window_state(window_state_flags()) {
        tracing::warn!("could not save the window's size and place: {e}");
    }
}
