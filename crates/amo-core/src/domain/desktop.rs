//! Living on the desktop: the quick-entry shortcut's grammar, when to offer starting with the
//! computer, and what the window shows about both. The shell registers the shortcut and writes
//! the autostart entry (Tauri plugins, docs/tauri-platform.md §11); the rules are here so they are
//! tested without a desktop.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::outbox::OutboxSummary;
use crate::error::{Error, Result, Setting, SettingProblem};

/// The shortcut a new install offers: N for "new lead". Not taken by GNOME, KDE, Xfce or
/// Windows by default (Ctrl+Alt+L locks the screen on several desktops, Ctrl+Alt+T opens a
/// terminal); a conflict on a given machine is reported in Settings, not hidden.
pub const DEFAULT_SHORTCUT: &str = "Ctrl+Alt+N";

/// What the window shows about the desktop integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DesktopView {
    /// The app starts with the computer (hidden in the tray).
    pub autostart: bool,
    /// Whether this system can start the app with the computer at all.
    pub autostart_available: bool,
    /// Offer autostart now (a lead waited for amoCRM and nobody answered the offer yet).
    pub autostart_offer: bool,
    /// The quick-entry shortcut as saved ("" = off).
    pub shortcut: String,
    /// The shortcut is registered and opens the lead form.
    pub shortcut_active: bool,
    /// Why the saved shortcut does not work here (taken by another program, Wayland, …).
    pub shortcut_problem: Option<ShortcutProblem>,
    /// Closing the window always keeps the app running in the tray (not only while entries wait).
    pub close_to_tray: bool,
    /// A tray icon exists (without one, closing the window quits).
    pub tray: bool,
}

/// Why a global shortcut is not active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ShortcutProblem {
    /// Another program holds this key combination.
    Taken,
    /// The desktop does not allow global shortcuts (Wayland): use a desktop shortcut running
    /// `amo-connect new` instead.
    Unavailable,
}

/// Offer "start with the computer" once a lead had to wait for amoCRM (the case where a closed
/// app would have left it waiting), unless autostart is on or the user answered the offer.
pub fn autostart_offer_due(summary: &OutboxSummary, autostart_on: bool, answered: bool) -> bool {
    !autostart_on && !answered && summary.queued > 0 && summary.offline
}

const MODIFIERS: [(&str, &str); 11] = [
    ("ctrl", "Ctrl"),
    ("control", "Ctrl"),
    ("alt", "Alt"),
    ("option", "Alt"),
    ("shift", "Shift"),
    ("super", "Super"),
    ("meta", "Super"),
    ("win", "Super"),
    ("cmd", "Cmd"),
    ("command", "Cmd"),
    ("cmdorctrl", "CmdOrCtrl"),
];

/// The order modifiers are written in, whatever order they were typed in.
const MODIFIER_ORDER: [&str; 6] = ["CmdOrCtrl", "Ctrl", "Cmd", "Alt", "Shift", "Super"];

/// Checks a shortcut typed in Settings or `config set quick-entry-shortcut` and writes it the
/// one way (`ctrl+alt+n` → `Ctrl+Alt+N`). "" (or "off") turns the shortcut off. A shortcut needs
/// at least one of Ctrl, Alt, Cmd or Super (Shift alone would steal a capital letter from every
/// program), except function keys F1–F24.
pub fn parse_shortcut(raw: &str) -> Result<String> {
    let bad = || {
        Error::invalid(Setting::QuickEntryShortcut, SettingProblem::BadShortcut { value: crate::error::shown(raw, 40) })
    };
    let t = raw.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("off") {
        return Ok(String::new());
    }
    let parts: Vec<&str> = t.split('+').map(str::trim).collect();
    let (key, mods) = parts.split_last().ok_or_else(bad)?;
    let mut names: Vec<&'static str> = Vec::new();
    for m in mods {
        let name = MODIFIERS.iter().find(|(k, _)| k.eq_ignore_ascii_case(m)).map(|(_, v)| *v).ok_or_else(bad)?;
        if names.contains(&name) {
            return Err(bad());
        }
        names.push(name);
    }
    let key = key_name(key).ok_or_else(bad)?;
    let function_key = key.len() > 1 && key.starts_with('F') && key[1..].chars().all(|c| c.is_ascii_digit());
    if !function_key && !names.iter().any(|n| *n != "Shift") {
        return Err(bad());
    }
    names.sort_by_key(|n| MODIFIER_ORDER.iter().position(|o| o == n));
    names.push(key);
    Ok(names.join("+"))
}

/// The key's one spelling: letters and digits upper-case, F1–F24, and a few named keys.
fn key_name(k: &str) -> Option<&'static str> {
    const NAMED: [&str; 10] =
        ["Space", "Enter", "Tab", "Insert", "Home", "End", "PageUp", "PageDown", "Backspace", "Delete"];
    const KEYS: [&str; 36] = [
        "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T", "U", "V",
        "W", "X", "Y", "Z", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
    ];
    const FKEYS: [&str; 24] = [
        "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10", "F11", "F12", "F13", "F14", "F15", "F16", "F17",
        "F18", "F19", "F20", "F21", "F22", "F23", "F24",
    ];
    KEYS.iter().chain(FKEYS.iter()).chain(NAMED.iter()).find(|n| n.eq_ignore_ascii_case(k)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts_are_written_one_way() {
        assert_eq!(parse_shortcut("ctrl+alt+n").expect("valid"), "Ctrl+Alt+N");
        assert_eq!(parse_shortcut(" Alt + Control + n ").expect("valid"), "Ctrl+Alt+N");
        assert_eq!(parse_shortcut("super+shift+f5").expect("valid"), "Shift+Super+F5");
        assert_eq!(parse_shortcut("CmdOrCtrl+Shift+L").expect("valid"), "CmdOrCtrl+Shift+L");
        assert_eq!(parse_shortcut("F9").expect("valid"), "F9");
        assert_eq!(parse_shortcut("Ctrl+Alt+space").expect("valid"), "Ctrl+Alt+Space");
        assert_eq!(parse_shortcut("").expect("valid"), "");
        assert_eq!(parse_shortcut("off").expect("valid"), "");
    }

    #[test]
    fn a_bad_shortcut_is_named() {
        for bad in ["N", "Shift+N", "Ctrl+Ctrl+N", "Ctrl+Hyper+N", "Ctrl+Alt+", "Ctrl+Alt+NN", "Ctrl+Alt+Ё", "+"] {
            let e = parse_shortcut(bad).expect_err(bad);
            assert_eq!(e.code().to_string(), "invalid_setting", "{bad}");
            let text = e.message(crate::domain::lang::Lang::En);
            assert!(text.contains("Quick-entry shortcut: \""), "{bad}: {text}");
        }
    }

    #[test]
    fn autostart_is_offered_only_after_a_lead_waited_and_only_until_answered() {
        let waiting_offline = OutboxSummary { queued: 1, offline: true, ..Default::default() };
        assert!(autostart_offer_due(&waiting_offline, false, false));
        assert!(!autostart_offer_due(&waiting_offline, true, false), "already on");
        assert!(!autostart_offer_due(&waiting_offline, false, true), "answered");
        let just_queued = OutboxSummary { queued: 1, offline: false, ..Default::default() };
        assert!(!autostart_offer_due(&just_queued, false, false), "sent at once: nothing to offer");
        let sent_after_outage = OutboxSummary { queued: 0, offline: true, sent: 1, ..Default::default() };
        assert!(!autostart_offer_due(&sent_after_outage, false, false));
    }
}
