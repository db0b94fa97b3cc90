//! The tray icon: the app keeps running — sending the outbox, keeping the connection alive —
//! with its window closed. On Linux the tray shows only its menu (click events are not emitted,
//! docs/tauri-platform.md §7), so everything is in the menu: New lead, the outbox's counts (opens
//! History), Send now, Open, Quit. Labels follow the app's language at start.

use amo_core::domain::outbox::OutboxSummary;
use amo_core::domain::views::{OpenRequest, Screen};
use amo_core::i18n::{tray_label, tray_outbox_line, TrayItem};
use amo_core::Lang;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

use crate::events;
use crate::state::AppState;

const NEW_LEAD: &str = "tray-new-lead";
const OUTBOX: &str = "tray-outbox";
const SEND_NOW: &str = "tray-send-now";
const OPEN: &str = "tray-open";
const QUIT: &str = "tray-quit";

/// The menu item showing the outbox's counts, changed as the outbox changes.
pub struct TrayStatus<R: Runtime> {
    outbox: MenuItem<R>,
    lang: Lang,
}

/// Builds the tray icon and its menu. An error means no tray on this desktop: the window then
/// closes as usual instead of hiding where nobody could find it (`keeps_running_hidden`).
pub fn install<R: Runtime>(app: &AppHandle<R>, lang: Lang, summary: &OutboxSummary) -> tauri::Result<()> {
    let item = |id: &str, what: TrayItem| MenuItem::with_id(app, id, tray_label(what, lang), true, None::<&str>);
    let new_lead = item(NEW_LEAD, TrayItem::NewLead)?;
    let outbox = MenuItem::with_id(app, OUTBOX, tray_outbox_line(summary, lang), true, None::<&str>)?;
    let send_now = item(SEND_NOW, TrayItem::SendNow)?;
    let open = item(OPEN, TrayItem::Open)?;
    let quit = item(QUIT, TrayItem::Quit)?;
    let menu =
        Menu::with_items(app, &[&new_lead, &outbox, &send_now, &PredefinedMenuItem::separator(app)?, &open, &quit])?;
    let mut tray = TrayIconBuilder::with_id("main").menu(&menu).tooltip("Amo Connect").show_menu_on_left_click(true);
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.on_menu_event(|app, event| on_menu(app, event.id().as_ref())).build(app)?;
    app.manage(TrayStatus { outbox, lang });
    Ok(())
}

/// Whether the tray icon can be seen: it was made and a tray host shows it. Without one nothing
/// may hide — the app could not be found again.
pub fn exists<R: Runtime>(app: &AppHandle<R>) -> bool {
    app.try_state::<TrayStatus<R>>().is_some() && host_present()
}

/// Linux: building the icon succeeds with no tray on the screen at all (GNOME without the
/// AppIndicator extension, a bare X server), so ask whether a host is there now: a
/// StatusNotifierWatcher on the session bus (KDE, Xfce, GNOME's extension, …) or an XEmbed
/// system tray on X11 (`_NET_SYSTEM_TRAY_S0` has an owner). Other systems always have one.
#[cfg(target_os = "linux")]
pub fn host_present() -> bool {
    sni_watcher() || xembed_tray()
}

#[cfg(not(target_os = "linux"))]
pub fn host_present() -> bool {
    true
}

#[cfg(target_os = "linux")]
fn sni_watcher() -> bool {
    let Ok(conn) = dbus::blocking::Connection::new_session() else { return false };
    let proxy = conn.with_proxy("org.freedesktop.DBus", "/org/freedesktop/DBus", std::time::Duration::from_millis(500));
    proxy
        .method_call::<(bool,), _, _, _>("org.freedesktop.DBus", "NameHasOwner", ("org.kde.StatusNotifierWatcher",))
        .is_ok_and(|(owned,)| owned)
}

#[cfg(target_os = "linux")]
fn xembed_tray() -> bool {
    use x11rb::protocol::xproto::ConnectionExt;
    if std::env::var_os("DISPLAY").is_none() {
        return false;
    }
    let Ok((conn, screen)) = x11rb::connect(None) else { return false };
    let name = format!("_NET_SYSTEM_TRAY_S{screen}");
    let owner = conn
        .intern_atom(true, name.as_bytes())
        .ok()
        .and_then(|c| c.reply().ok())
        .filter(|a| a.atom != x11rb::NONE)
        .and_then(|a| conn.get_selection_owner(a.atom).ok())
        .and_then(|c| c.reply().ok());
    owner.is_some_and(|o| o.owner != x11rb::NONE)
}

/// Whether closing the window should hide it: the tray exists, and the user chose "keep running
/// in the tray" or something still waits to be sent (the worker keeps running while hidden).
pub fn keeps_running_hidden<R: Runtime>(app: &AppHandle<R>) -> bool {
    let state = app.state::<AppState>();
    let core = state.core();
    exists(app) && (core.settings().is_ok_and(|s| s.close_to_tray) || core.outbox_summary().is_ok_and(|s| s.queued > 0))
}

/// The outbox's counts in the menu.
pub fn outbox_changed<R: Runtime>(app: &AppHandle<R>, summary: &OutboxSummary) {
    if let Some(status) = app.try_state::<TrayStatus<R>>() {
        if let Err(e) = status.outbox.set_text(tray_outbox_line(summary, status.lang)) {
            tracing::warn!("could not update the tray menu: {e}");
        }
    }
}

/// Shows, unminimises and focuses the main window.
pub fn raise<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

/// Raises the window on `request`'s screen.
pub fn open<R: Runtime>(app: &AppHandle<R>, request: &OpenRequest) {
    raise(app);
    events::open_requested(app, request);
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    match id {
        NEW_LEAD => open(app, &OpenRequest { screen: Screen::NewLead, phone: None }),
        OUTBOX => open(app, &OpenRequest { screen: Screen::History, phone: None }),
        OPEN => raise(app),
        SEND_NOW => {
            let core = app.state::<AppState>().core().clone();
            match core.outbox_retry(None) {
                Ok(n) => tracing::info!(due = n, "tray: send now"),
                Err(e) => tracing::warn!(code = %e.code(), "tray: send now failed"),
            }
        }
        QUIT => crate::quit::request(app, amo_core::quit::QuitCause::TrayQuit),
        _ => {}
    }
}
