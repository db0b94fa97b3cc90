//! The tray icon: the app keeps running — sending the outbox, keeping the connection alive —
//! with its window closed. On Linux the tray shows only its menu (click events are not emitted,
//! docs/tauri-platform.md §7), so everything is in the menu: New lead, the tasks due now (opens
//! My tasks; kept by `task_watch`), the outbox's counts (opens History), Send now, Open, Quit. Labels follow the app's language, also when it is switched
//! while the app runs (Settings, or `amo-connect config set language` — seen at the next outbox change).

use std::sync::Mutex;

use amo_core::domain::outbox::OutboxSummary;
use amo_core::domain::views::{OpenRequest, Screen};
use amo_core::i18n::{tray_label, tray_outbox_line, tray_tasks_line, TrayItem};
use amo_core::Lang;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

use crate::events;
use crate::state::AppState;

const NEW_LEAD: &str = "tray-new-lead";
const TASKS: &str = "tray-tasks";
const OUTBOX: &str = "tray-outbox";
const SEND_NOW: &str = "tray-send-now";
const OPEN: &str = "tray-open";
const QUIT: &str = "tray-quit";

/// The menu's items, relabelled when the language or the outbox changes.
pub struct TrayStatus<R: Runtime> {
    items: Vec<(&'static str, MenuItem<R>)>,
    /// The language the labels are in now.
    lang: Mutex<Lang>,
    /// The tasks due now the tasks line shows (kept for a language switch).
    due_now: Mutex<u32>,
}

/// Every item's label in `lang`, by item id: what the menu shows.
fn labels(lang: Lang, summary: &OutboxSummary, due_now: u32) -> [(&'static str, String); 6] {
    [
        (NEW_LEAD, tray_label(TrayItem::NewLead, lang)),
        (TASKS, tray_tasks_line(due_now, lang)),
        (OUTBOX, tray_outbox_line(summary, lang)),
        (SEND_NOW, tray_label(TrayItem::SendNow, lang)),
        (OPEN, tray_label(TrayItem::Open, lang)),
        (QUIT, tray_label(TrayItem::Quit, lang)),
    ]
}

/// The items whose text differs between what is shown (`shown`) and `lang`: after a language
/// switch all of them; after an outbox change in the same language only the counts line.
fn to_relabel(shown: Lang, lang: Lang, summary: &OutboxSummary, due_now: u32) -> Vec<(&'static str, String)> {
    labels(lang, summary, due_now).into_iter().filter(|(id, _)| shown != lang || *id == OUTBOX).collect()
}

/// Builds the tray icon and its menu. An error means no tray on this desktop: the window then
/// closes as usual instead of hiding where nobody could find it (`keeps_running_hidden`).
pub fn install<R: Runtime>(app: &AppHandle<R>, lang: Lang, summary: &OutboxSummary) -> tauri::Result<()> {
    let mut items = Vec::new();
    // The tasks due now, from the copy of the last list read (no request): `task_watch` keeps it.
    let due_now = app.state::<AppState>().core().tasks_due(amo_core::clock::now()).map_or(0, |d| d.due_now);
    for (id, text) in labels(lang, summary, due_now) {
        items.push((id, MenuItem::with_id(app, id, text, true, None::<&str>)?));
    }
    let [new_lead, tasks, outbox, send_now, open, quit] = [0, 1, 2, 3, 4, 5].map(|i| &items[i].1);
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[new_lead, tasks, outbox, send_now, &separator, open, quit])?;
    let mut tray = TrayIconBuilder::with_id("main").menu(&menu).tooltip("Amo Connect").show_menu_on_left_click(true);
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.on_menu_event(|app, event| on_menu(app, event.id().as_ref())).build(app)?;
    app.manage(TrayStatus { items, lang: Mutex::new(lang), due_now: Mutex::new(due_now) });
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

/// The outbox's counts in the menu — and every label, when the language changed since.
pub fn outbox_changed<R: Runtime>(app: &AppHandle<R>, summary: &OutboxSummary) {
    let Some(status) = app.try_state::<TrayStatus<R>>() else { return };
    let lang = app.state::<AppState>().core().lang();
    let mut shown = status.lang.lock().unwrap_or_else(|p| p.into_inner());
    let due_now = *status.due_now.lock().unwrap_or_else(|p| p.into_inner());
    for (id, text) in to_relabel(*shown, lang, summary, due_now) {
        if let Some((_, item)) = status.items.iter().find(|(i, _)| *i == id) {
            if let Err(e) = item.set_text(text) {
                tracing::warn!("could not update the tray menu: {e}");
            }
        }
    }
    *shown = lang;
}

/// The tasks due now changed (`task_watch`): the tasks line says so, in the language shown.
pub fn tasks_changed<R: Runtime>(app: &AppHandle<R>, due_now: u32) {
    let Some(status) = app.try_state::<TrayStatus<R>>() else { return };
    let mut shown_due = status.due_now.lock().unwrap_or_else(|p| p.into_inner());
    if *shown_due == due_now {
        return;
    }
    *shown_due = due_now;
    let lang = *status.lang.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, item)) = status.items.iter().find(|(i, _)| *i == TASKS) {
        if let Err(e) = item.set_text(tray_tasks_line(due_now, lang)) {
            tracing::warn!("could not update the tray menu: {e}");
        }
    }
}

/// The language was switched in this window: the menu follows at once.
pub fn language_changed<R: Runtime>(app: &AppHandle<R>) {
    match app.state::<AppState>().core().outbox_summary() {
        Ok(summary) => outbox_changed(app, &summary),
        Err(e) => tracing::warn!(code = %e.code(), "could not relabel the tray menu"),
    }
}

/// Raises the window on `request`'s screen.
pub fn open<R: Runtime>(app: &AppHandle<R>, request: &OpenRequest) {
    crate::window::raise(app);
    events::open_requested(app, request);
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    match id {
        NEW_LEAD => open(app, &OpenRequest { screen: Screen::NewLead, phone: None }),
        TASKS => open(app, &OpenRequest { screen: Screen::Tasks, phone: None }),
        OUTBOX => open(app, &OpenRequest { screen: Screen::History, phone: None }),
        OPEN => crate::window::raise(app),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(queued: u32) -> OutboxSummary {
        OutboxSummary { queued, ..Default::default() }
    }

    #[test]
    fn a_language_switch_relabels_every_item_and_an_outbox_change_only_the_counts() {
        let switched = to_relabel(Lang::En, Lang::Ru, &summary(2), 4);
        assert_eq!(
            switched.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            [NEW_LEAD, TASKS, OUTBOX, SEND_NOW, OPEN, QUIT]
        );
        assert_eq!(switched[0].1, "Новая сделка");
        assert_eq!(switched[1].1, "Задачи к сроку: 4");
        assert_eq!(switched[5].1, "Выйти");
        assert_eq!(switched[2].1, tray_outbox_line(&summary(2), Lang::Ru));

        let same = to_relabel(Lang::Ru, Lang::Ru, &summary(3), 4);
        assert_eq!(same, [(OUTBOX, tray_outbox_line(&summary(3), Lang::Ru))]);
    }
}
