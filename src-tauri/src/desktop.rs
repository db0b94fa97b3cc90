//! Living on the desktop: starting with the computer (autostart plugin: an XDG autostart entry,
//! a login item, a Run key), the global quick-entry shortcut (X11: our own listener,
//! `hotkey_x11`; Windows, macOS: the global-shortcut plugin; not Wayland), and remembering the
//! window's size and place (window-state plugin). What is allowed and when to offer it is
//! decided in `amo_core::domain::desktop`; docs/tauri-platform.md §7 has the platform facts.

use std::sync::Mutex;

use amo_core::domain::desktop::{self, DesktopView, ShortcutProblem};
use amo_core::domain::settings::SettingsPatch;
use amo_core::domain::views::{OpenRequest, Screen};
use amo_core::error::{Setting, SettingProblem};
use amo_core::{Error, Result};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_autostart::ManagerExt;
#[cfg(not(target_os = "linux"))]
use tauri_plugin_global_shortcut::{GlobalShortcutExt, ShortcutState};

use crate::state::AppState;
use crate::tray;

/// The shortcut on X11 (docs/tauri-platform.md §11); it lives in src/hotkey_x11.rs.
#[cfg(target_os = "linux")]
#[path = "hotkey_x11.rs"]
mod hotkey_x11;

/// The argument the autostart entry starts the app with: straight to the tray, no window.
pub const HIDDEN_ARG: &str = "--hidden";

/// What is registered now and why the saved shortcut is not (if it is not), for Settings.
#[derive(Default)]
pub struct ShortcutStatus(Mutex<Registered>);

#[derive(Default, Clone)]
struct Registered {
    /// The combination the last registration was for ("" = none).
    shortcut: String,
    problem: Option<ShortcutProblem>,
}

/// The plugins, in the order they must be added.
pub fn plugins<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    let builder = builder.plugin(tauri_plugin_autostart::Builder::new().args([HIDDEN_ARG]).build());
    // Not on Linux, where its X11 loop wakes 20 times a second: `hotkey_x11` (in `install`).
    #[cfg(not(target_os = "linux"))]
    let builder = builder.plugin(
        tauri_plugin_global_shortcut::Builder::new()
            .with_handler(|app, _shortcut, event| {
                if event.state == ShortcutState::Pressed {
                    open_lead_form(app);
                }
            })
            .build(),
    );
    // Size, maximised and position; never visibility — the app decides that (`--hidden`).
    builder
        .plugin(tauri_plugin_window_state::Builder::new().with_state_flags(crate::window::window_state_flags()).build())
}

/// What the quick-entry shortcut does.
fn open_lead_form<R: Runtime>(app: &AppHandle<R>) {
    tracing::info!("quick-entry shortcut pressed");
    tray::open(app, &OpenRequest { screen: Screen::NewLead, phone: None });
}

/// At start: register the saved shortcut (a failure is shown in Settings, not fatal).
pub fn install<R: Runtime>(app: &AppHandle<R>) {
    app.manage(ShortcutStatus::default());
    #[cfg(target_os = "linux")]
    {
        let handle = app.clone();
        app.manage(hotkey_x11::Hotkeys::new(move || open_lead_form(&handle)));
    }
    sync_shortcut(app);
}

/// Registers the saved shortcut unless it is the one registered already — also when it was
/// changed meanwhile by `config set quick-entry-shortcut` while the window ran.
fn sync_shortcut<R: Runtime>(app: &AppHandle<R>) -> Registered {
    let saved = app.state::<AppState>().core().settings().map(|s| s.quick_entry_shortcut).unwrap_or_default();
    let status = app.state::<ShortcutStatus>();
    let mut current = status.0.lock().unwrap_or_else(|p| p.into_inner());
    if current.shortcut != saved
        || (current.problem.is_none() && !saved.is_empty() && !shortcuts(app).is_registered(saved.as_str()))
    {
        let problem = register(app, &saved).err();
        if let Some(p) = problem {
            tracing::warn!(?p, "the quick-entry shortcut is not active");
        }
        *current = Registered { shortcut: saved, problem };
    }
    current.clone()
}

/// Replaces the registered shortcut with `shortcut` (canonical form, "" = none).
fn register<R: Runtime>(app: &AppHandle<R>, shortcut: &str) -> std::result::Result<(), ShortcutProblem> {
    let keys = shortcuts(app);
    keys.unregister_all();
    if shortcut.is_empty() {
        return Ok(());
    }
    if crate::window::is_wayland() {
        return Err(ShortcutProblem::Unavailable);
    }
    keys.register(shortcut)
}

/// The global shortcuts behind the same three calls: `hotkey_x11` on Linux, the plugin elsewhere.
#[cfg(target_os = "linux")]
fn shortcuts<R: Runtime>(app: &AppHandle<R>) -> tauri::State<'_, hotkey_x11::Hotkeys> {
    app.state()
}

#[cfg(not(target_os = "linux"))]
fn shortcuts<R: Runtime>(app: &AppHandle<R>) -> PluginShortcuts<'_, R> {
    PluginShortcuts(app.global_shortcut())
}

#[cfg(not(target_os = "linux"))]
struct PluginShortcuts<'a, R: Runtime>(&'a tauri_plugin_global_shortcut::GlobalShortcut<R>);

#[cfg(not(target_os = "linux"))]
impl<R: Runtime> PluginShortcuts<'_, R> {
    fn is_registered(&self, shortcut: &str) -> bool {
        self.0.is_registered(shortcut)
    }

    fn unregister_all(&self) {
        if let Err(e) = self.0.unregister_all() {
            tracing::warn!("could not release the old shortcut: {e}");
        }
    }

    fn register(&self, shortcut: &str) -> std::result::Result<(), ShortcutProblem> {
        self.0.register(shortcut).map_err(|e| {
            let e = e.to_string();
            if e.contains("already registered") {
                ShortcutProblem::Taken
            } else {
                tracing::warn!("the shortcut could not be registered: {e}");
                ShortcutProblem::Unavailable
            }
        })
    }
}

fn view<R: Runtime>(app: &AppHandle<R>) -> Result<DesktopView> {
    let core = app.state::<AppState>().core().clone();
    let settings = core.settings()?;
    let autostart = app.autolaunch().is_enabled();
    let autostart_on = autostart.as_ref().is_ok_and(|on| *on);
    let problem = sync_shortcut(app).problem;
    Ok(DesktopView {
        autostart: autostart_on,
        autostart_available: autostart.is_ok(),
        autostart_offer: autostart.is_ok()
            && desktop::autostart_offer_due(&core.outbox_summary()?, autostart_on, settings.autostart_offer_answered),
        shortcut_active: !settings.quick_entry_shortcut.is_empty() && problem.is_none(),
        shortcut: settings.quick_entry_shortcut,
        shortcut_problem: problem,
        close_to_tray: settings.close_to_tray,
        tray: tray::exists(app),
    })
}

pub async fn desktop_view(app: &AppHandle, _state: &AppState) -> Result<DesktopView> {
    view(app)
}

pub async fn set_autostart(app: &AppHandle, state: &AppState, on: bool) -> Result<DesktopView> {
    let manager = app.autolaunch();
    let done = if on { manager.enable() } else { manager.disable() };
    done.map_err(|e| {
        tracing::warn!(on, "the autostart entry could not be changed: {e}");
        Error::invalid(
            Setting::Autostart,
            SettingProblem::AutostartFailed { detail: amo_core::error::shown(&e.to_string(), 200) },
        )
    })?;
    tracing::info!(on, "autostart changed");
    state.core().save_settings(SettingsPatch { autostart_offer_answered: Some(true), ..Default::default() }).await?;
    view(app)
}

pub async fn dismiss_autostart_offer(app: &AppHandle, state: &AppState) -> Result<DesktopView> {
    state.core().save_settings(SettingsPatch { autostart_offer_answered: Some(true), ..Default::default() }).await?;
    view(app)
}

/// Checks the shortcut (core), registers it, and saves it only when it works here: a taken
/// shortcut is refused with its name and the old one stays active.
pub async fn set_quick_entry_shortcut(app: &AppHandle, state: &AppState, shortcut: String) -> Result<DesktopView> {
    let wanted = desktop::parse_shortcut(&shortcut)?;
    let old = state.core().settings()?.quick_entry_shortcut;
    if let Err(problem) = register(app, &wanted) {
        let _ = register(app, &old);
        return Err(Error::invalid(
            Setting::QuickEntryShortcut,
            match problem {
                ShortcutProblem::Taken => SettingProblem::ShortcutTaken { value: wanted },
                ShortcutProblem::Unavailable => SettingProblem::ShortcutUnavailable,
            },
        ));
    }
    // Saved first, then recorded as registered: a view in between finds the saved one and
    // registers it again (harmless), never the old one.
    state
        .core()
        .save_settings(SettingsPatch { quick_entry_shortcut: Some(wanted.clone()), ..Default::default() })
        .await?;
    *app.state::<ShortcutStatus>().0.lock().unwrap_or_else(|p| p.into_inner()) =
        Registered { shortcut: wanted, problem: None };
    view(app)
}
