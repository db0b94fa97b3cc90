//! The quick-entry shortcut on Linux/X11, without the global-shortcut plugin: its global-hotkey
//! crate polls the X server and sleeps 50 ms in a loop for as long as the app runs (20 wake-ups
//! a second with no shortcut pressed, or none registered). Here one X connection is shared by a
//! thread blocked in `wait_for_event` — it wakes only for a key press of ours — and by
//! `register`/`unregister_all`, which grab and release the key on the root window and get the
//! server's answer on the same connection. docs/tauri-platform.md §11 has the details: what is
//! grabbed (every keycode typing the key, with and without Caps Lock and Num Lock) and how a key
//! held by another program is told (`BadAccess`, shown as *taken*).
//!
//! The connection is opened at the first registration, so a shortcut turned off, or a Wayland
//! session (refused before this is reached), costs no connection and no thread.

use std::sync::{Arc, Mutex, MutexGuard};

use amo_core::domain::desktop::ShortcutProblem;
use x11rb::connection::Connection;
use x11rb::errors::ReplyError;
use x11rb::protocol::xproto::{ConnectionExt, GrabMode, Keycode, ModMask, Window};
use x11rb::protocol::{xkb, ErrorKind, Event};
use x11rb::rust_connection::RustConnection;

/// X11 modifier bits (`ModMask`) as plain numbers, so the mapping is a pure function.
const SHIFT: u16 = 1 << 0;
const LOCK: u16 = 1 << 1;
const CONTROL: u16 = 1 << 2;
/// Alt on every common keymap.
const MOD1: u16 = 1 << 3;
/// Num Lock on every common keymap.
const MOD2: u16 = 1 << 4;
/// Super (the Windows key) on every common keymap.
const MOD4: u16 = 1 << 6;
/// The modifiers a shortcut is made of; the others in a key event's state (Caps Lock, Num Lock,
/// the keyboard group XKB adds in bits 13–14) are ignored.
const SHORTCUT_MODS: u16 = SHIFT | CONTROL | MOD1 | MOD4;

/// A shortcut as the X server knows it: the modifier mask and the keysyms that type the key
/// (a letter's lower- and upper-case one; keycodes are looked up from them at grab time, since
/// they depend on the keyboard's layout).
#[derive(Debug, Clone, PartialEq, Eq)]
struct X11Key {
    mods: u16,
    keysyms: Vec<u32>,
}

/// The X11 form of a shortcut written the way `amo_core::domain::desktop::parse_shortcut`
/// writes it (`Ctrl+Alt+N`). `None` for a name X11 has no key for here (the core refuses those
/// before they get here). Cmd is Super and CmdOrCtrl is Ctrl, as the global-shortcut plugin reads
/// them off macOS.
fn x11_key(shortcut: &str) -> Option<X11Key> {
    let parts: Vec<&str> = shortcut.split('+').map(str::trim).collect();
    let (key, mods) = parts.split_last()?;
    let mut mask = 0;
    for m in mods {
        mask |= match m.to_ascii_lowercase().as_str() {
            "ctrl" | "control" | "cmdorctrl" => CONTROL,
            "alt" => MOD1,
            "shift" => SHIFT,
            "super" | "cmd" => MOD4,
            _ => return None,
        };
    }
    Some(X11Key { mods: mask, keysyms: keysyms(key)? })
}

/// The keysyms of a key name (values from X11/keysymdef.h).
fn keysyms(key: &str) -> Option<Vec<u32>> {
    let mut chars = key.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        // Latin letters and digits: their keysym is their ASCII code.
        return match c {
            'a'..='z' | 'A'..='Z' => Some(vec![u32::from(c.to_ascii_lowercase()), u32::from(c.to_ascii_uppercase())]),
            '0'..='9' => Some(vec![u32::from(c)]),
            _ => None,
        };
    }
    let upper = key.to_ascii_uppercase();
    if let Some(n) = upper.strip_prefix('F').and_then(|n| n.parse::<u32>().ok()).filter(|n| (1..=24).contains(n)) {
        // XK_F1 = 0xffbe … XK_F24 = 0xffd5, one after another.
        return Some(vec![0xffbe + n - 1]);
    }
    let sym = match upper.as_str() {
        "SPACE" => 0x0020,
        "ENTER" => 0xff0d, // XK_Return
        "TAB" => 0xff09,
        "INSERT" => 0xff63,
        "HOME" => 0xff50,
        "END" => 0xff57,
        "PAGEUP" => 0xff55,   // XK_Prior
        "PAGEDOWN" => 0xff56, // XK_Next
        "BACKSPACE" => 0xff08,
        "DELETE" => 0xffff,
        _ => return None,
    };
    Some(vec![sym])
}

/// The masks a shortcut is grabbed with: a grab matches the modifier state exactly, and Caps Lock
/// and Num Lock are modifiers while on, so without these the shortcut would die with either lit.
fn grab_masks(mods: u16) -> [u16; 4] {
    [mods, mods | LOCK, mods | MOD2, mods | LOCK | MOD2]
}

/// The keycodes whose row of the keyboard mapping (`GetKeyboardMapping`, `per_keycode` keysyms a
/// row from `min_keycode` on) holds one of `keysyms`: every key that types it, in any layout
/// group of this keyboard.
fn keycodes_for(keysyms: &[u32], mapping: &[u32], per_keycode: u8, min_keycode: Keycode) -> Vec<Keycode> {
    if per_keycode == 0 {
        return Vec::new();
    }
    mapping
        .chunks(usize::from(per_keycode))
        .zip(min_keycode..=Keycode::MAX)
        .filter(|(row, _)| row.iter().any(|s| keysyms.contains(s)))
        .map(|(_, code)| code)
        .collect()
}

/// The shortcut grabbed now, and whether its key is down (auto-repeat sends more presses while
/// it is held; the form opens once).
#[derive(Debug)]
struct Grab {
    /// As registered, to tell whether the saved one is the one grabbed.
    shortcut: String,
    keycodes: Vec<Keycode>,
    mods: u16,
    pressed: bool,
}

impl Grab {
    /// A key press: true when it is the shortcut going down (not a repeat while held).
    fn press(&mut self, keycode: Keycode, state: u16) -> bool {
        if !self.keycodes.contains(&keycode) || state & SHORTCUT_MODS != self.mods || self.pressed {
            return false;
        }
        self.pressed = true;
        true
    }

    /// A key release: the next press of the shortcut counts again.
    fn release(&mut self, keycode: Keycode) {
        if self.keycodes.contains(&keycode) {
            self.pressed = false;
        }
    }
}

/// The app's X connection for the shortcut and what is grabbed on it.
struct Listener {
    conn: RustConnection,
    root: Window,
    grab: Mutex<Option<Grab>>,
}

/// The global shortcut on X11, managed as app state (one per app).
pub struct Hotkeys {
    on_press: Arc<dyn Fn() + Send + Sync>,
    /// Opened at the first registration; `None` until then, or while no X server answers.
    listener: Mutex<Option<Arc<Listener>>>,
}

/// A poisoned lock only means a panic elsewhere; the data is still what was last written.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Hotkeys {
    /// `on_press` runs on the listener's thread each time the shortcut is pressed.
    pub fn new(on_press: impl Fn() + Send + Sync + 'static) -> Self {
        Hotkeys { on_press: Arc::new(on_press), listener: Mutex::new(None) }
    }

    /// Whether `shortcut` is the one grabbed now.
    pub fn is_registered(&self, shortcut: &str) -> bool {
        lock(&self.listener)
            .as_ref()
            .is_some_and(|l| lock(&l.grab).as_ref().is_some_and(|g| g.shortcut.eq_ignore_ascii_case(shortcut)))
    }

    /// Releases the grabbed shortcut, if any.
    pub fn unregister_all(&self) {
        if let Some(listener) = lock(&self.listener).as_ref() {
            let mut grab = lock(&listener.grab);
            if let Some(old) = grab.take() {
                listener.ungrab(&old.keycodes, old.mods);
            }
        }
    }

    /// Grabs `shortcut` (canonical form, not empty) in place of the one grabbed now. `Taken`
    /// when another X client holds it; `Unavailable` when there is no X server to ask, or this
    /// keyboard has no key for it.
    pub fn register(&self, shortcut: &str) -> Result<(), ShortcutProblem> {
        let Some(key) = x11_key(shortcut) else {
            tracing::warn!(shortcut, "X11 has no key for this shortcut");
            return Err(ShortcutProblem::Unavailable);
        };
        let listener = self.listener()?;
        let mut grab = lock(&listener.grab);
        if let Some(old) = grab.take() {
            listener.ungrab(&old.keycodes, old.mods);
        }
        let keycodes = listener.keycodes(&key.keysyms).map_err(|e| {
            tracing::warn!("could not read the keyboard mapping: {e}");
            ShortcutProblem::Unavailable
        })?;
        if keycodes.is_empty() {
            tracing::warn!(shortcut, "no key on this keyboard types the shortcut's key");
            return Err(ShortcutProblem::Unavailable);
        }
        listener.grab(&keycodes, key.mods)?;
        *grab = Some(Grab { shortcut: shortcut.to_owned(), keycodes, mods: key.mods, pressed: false });
        Ok(())
    }

    /// The connection, opened (with its listening thread) the first time.
    fn listener(&self) -> Result<Arc<Listener>, ShortcutProblem> {
        let mut slot = lock(&self.listener);
        if let Some(l) = slot.as_ref() {
            return Ok(l.clone());
        }
        let (conn, screen) = RustConnection::connect(None).map_err(|e| {
            tracing::warn!("no X server for the global shortcut: {e}");
            ShortcutProblem::Unavailable
        })?;
        let Some(root) = conn.setup().roots.get(screen).map(|s| s.root) else {
            tracing::warn!(screen, "the X server has no such screen");
            return Err(ShortcutProblem::Unavailable);
        };
        detectable_auto_repeat(&conn);
        let listener = Arc::new(Listener { conn, root, grab: Mutex::new(None) });
        let (l, on_press) = (listener.clone(), self.on_press.clone());
        std::thread::Builder::new().name("x11-hotkey".into()).spawn(move || l.listen(on_press.as_ref())).map_err(
            |e| {
                tracing::warn!("could not start the shortcut's thread: {e}");
                ShortcutProblem::Unavailable
            },
        )?;
        *slot = Some(listener.clone());
        Ok(listener)
    }
}

/// Asks XKB to send no key release between auto-repeated presses, so a held shortcut reads as
/// one press (`Grab::press`). Without XKB a held shortcut opens the form again with each repeat
/// — harmless, so only noted.
fn detectable_auto_repeat(conn: &RustConnection) {
    let flag = xkb::PerClientFlag::DETECTABLE_AUTO_REPEAT;
    let done = xkb::ConnectionExt::xkb_use_extension(conn, 1, 0)
        .map_err(ReplyError::from)
        .and_then(|c| c.reply())
        .and_then(|_| {
            xkb::ConnectionExt::xkb_per_client_flags(
                conn,
                xkb::ID::USE_CORE_KBD.into(),
                flag,
                flag,
                Default::default(),
                Default::default(),
                Default::default(),
            )
            .map_err(ReplyError::from)
            .and_then(|c| c.reply())
        });
    if let Err(e) = done {
        tracing::info!("no XKB detectable auto-repeat (a held shortcut repeats): {e}");
    }
}

impl Listener {
    /// The thread's loop: blocked in `wait_for_event` until the server sends something — with
    /// nothing grabbed or pressed that is never.
    fn listen(&self, on_press: &(dyn Fn() + Send + Sync)) {
        loop {
            let event = match self.conn.wait_for_event() {
                Ok(e) => e,
                Err(e) => {
                    tracing::warn!("the global shortcut's X connection closed: {e}");
                    return;
                }
            };
            match event {
                Event::KeyPress(e) => {
                    // Decided under the lock, acted on after it: opening the form may take a while.
                    let ours = lock(&self.grab).as_mut().is_some_and(|g| g.press(e.detail, u16::from(e.state)));
                    if ours {
                        on_press();
                    }
                }
                Event::KeyRelease(e) => {
                    if let Some(g) = lock(&self.grab).as_mut() {
                        g.release(e.detail);
                    }
                }
                Event::Error(e) => tracing::debug!(?e, "X11 error on the shortcut's connection"),
                _ => {}
            }
        }
    }

    /// The keycodes typing one of `keysyms` on this keyboard now.
    fn keycodes(&self, keysyms: &[u32]) -> Result<Vec<Keycode>, ReplyError> {
        let setup = self.conn.setup();
        let (min, max) = (setup.min_keycode, setup.max_keycode);
        let map = self.conn.get_keyboard_mapping(min, max.saturating_sub(min).saturating_add(1))?.reply()?;
        Ok(keycodes_for(keysyms, &map.keysyms, map.keysyms_per_keycode, min))
    }

    /// Grabs each keycode with each of `grab_masks(mods)`; any refusal releases them all again.
    fn grab(&self, keycodes: &[Keycode], mods: u16) -> Result<(), ShortcutProblem> {
        for &code in keycodes {
            for mask in grab_masks(mods) {
                let done = self
                    .conn
                    .grab_key(false, self.root, ModMask::from(mask), code, GrabMode::ASYNC, GrabMode::ASYNC)
                    .map_err(ReplyError::from)
                    .and_then(|c| c.check());
                if let Err(e) = done {
                    self.ungrab(keycodes, mods);
                    return Err(match e {
                        // The server refuses a grab another client holds (XGrabKey: BadAccess).
                        ReplyError::X11Error(x) if x.error_kind == ErrorKind::Access => ShortcutProblem::Taken,
                        e => {
                            tracing::warn!("the shortcut could not be grabbed: {e}");
                            ShortcutProblem::Unavailable
                        }
                    });
                }
            }
        }
        Ok(())
    }

    /// Releases what `grab` took (a release of a grab that is not ours does nothing).
    fn ungrab(&self, keycodes: &[Keycode], mods: u16) {
        for &code in keycodes {
            for mask in grab_masks(mods) {
                if let Ok(c) = self.conn.ungrab_key(code, self.root, ModMask::from(mask)) {
                    c.ignore_error();
                }
            }
        }
        if let Err(e) = self.conn.flush() {
            tracing::warn!("could not release the old shortcut: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use amo_core::domain::desktop::parse_shortcut;

    fn key(shortcut: &str) -> X11Key {
        x11_key(shortcut).unwrap_or_else(|| panic!("{shortcut} has no X11 key"))
    }

    #[test]
    fn hotkey_modifiers_map_to_their_x11_bits() {
        assert_eq!(key("Ctrl+Alt+N"), X11Key { mods: CONTROL | MOD1, keysyms: vec![0x6e, 0x4e] });
        assert_eq!(key("Shift+Super+F5"), X11Key { mods: SHIFT | MOD4, keysyms: vec![0xffc2] });
        assert_eq!(key("CmdOrCtrl+Shift+L").mods, CONTROL | SHIFT);
        assert_eq!(key("Cmd+1"), X11Key { mods: MOD4, keysyms: vec![0x31] });
        assert_eq!(key("F9"), X11Key { mods: 0, keysyms: vec![0xffc6] });
        assert_eq!(key("Ctrl+Alt+Shift+Super+Z").mods, CONTROL | MOD1 | SHIFT | MOD4);
    }

    #[test]
    fn hotkey_keys_map_to_their_keysyms() {
        let sym = |k: &str| key(&format!("Ctrl+{k}")).keysyms;
        assert_eq!(sym("A"), [0x61, 0x41]);
        assert_eq!(sym("Z"), [0x7a, 0x5a]);
        assert_eq!(sym("0"), [0x30]);
        assert_eq!(sym("9"), [0x39]);
        assert_eq!(sym("F1"), [0xffbe]);
        assert_eq!(sym("F12"), [0xffc9]);
        assert_eq!(sym("F13"), [0xffca]);
        assert_eq!(sym("F24"), [0xffd5]);
        assert_eq!(sym("Space"), [0x20]);
        assert_eq!(sym("Enter"), [0xff0d]);
        assert_eq!(sym("Tab"), [0xff09]);
        assert_eq!(sym("Insert"), [0xff63]);
        assert_eq!(sym("Home"), [0xff50]);
        assert_eq!(sym("End"), [0xff57]);
        assert_eq!(sym("PageUp"), [0xff55]);
        assert_eq!(sym("PageDown"), [0xff56]);
        assert_eq!(sym("Backspace"), [0xff08]);
        assert_eq!(sym("Delete"), [0xffff]);
    }

    /// Every key and modifier the core accepts has an X11 form (the core's list is private, so
    /// its spellings are tried and the core's answer decides).
    #[test]
    fn hotkey_every_accepted_shortcut_maps() {
        let mut keys: Vec<String> = ('A'..='Z').chain('0'..='9').map(String::from).collect();
        keys.extend((1..=24).map(|n| format!("F{n}")));
        keys.extend(
            ["Space", "Enter", "Tab", "Insert", "Home", "End", "PageUp", "PageDown", "Backspace", "Delete"]
                .map(String::from),
        );
        for k in &keys {
            for mods in ["Ctrl+Alt", "Shift+Super", "Cmd", "CmdOrCtrl+Shift", "control+option", "meta", "win+ctrl"] {
                let canonical = parse_shortcut(&format!("{mods}+{k}")).expect(k);
                assert!(x11_key(&canonical).is_some(), "{canonical}");
            }
        }
    }

    #[test]
    fn hotkey_unknown_names_have_no_x11_key() {
        for bad in ["Ctrl+Alt+Escape", "Hyper+N", "Ctrl+F25", "Ctrl+F0", "Ctrl+Ä", "Ctrl+", ""] {
            assert_eq!(x11_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn hotkey_is_grabbed_with_and_without_caps_lock_and_num_lock() {
        let masks = grab_masks(CONTROL | MOD1);
        assert_eq!(masks, [CONTROL | MOD1, CONTROL | MOD1 | LOCK, CONTROL | MOD1 | MOD2, CONTROL | MOD1 | LOCK | MOD2]);
        // No modifiers (a function key alone): the lock masks alone.
        assert_eq!(grab_masks(0), [0, LOCK, MOD2, LOCK | MOD2]);
        // The lock bits are what the constants say in X11's ModMask.
        assert_eq!((LOCK, MOD2), (u16::from(ModMask::LOCK), u16::from(ModMask::M2)));
        assert_eq!(
            (SHIFT, CONTROL, MOD1, MOD4),
            (u16::from(ModMask::SHIFT), u16::from(ModMask::CONTROL), u16::from(ModMask::M1), u16::from(ModMask::M4))
        );
    }

    #[test]
    fn hotkey_keycodes_are_every_row_holding_the_keysym() {
        // min keycode 8, two keysyms a row: 8 = a/A, 9 = n/N, 10 = 1/!, 11 = (Cyrillic te)/n.
        let mapping = [0x61, 0x41, 0x6e, 0x4e, 0x31, 0x21, 0x6e2, 0x6e];
        assert_eq!(keycodes_for(&[0x6e, 0x4e], &mapping, 2, 8), [9, 11]);
        assert_eq!(keycodes_for(&[0x31], &mapping, 2, 8), [10]);
        assert_eq!(keycodes_for(&[0xffbe], &mapping, 2, 8), [] as [Keycode; 0]);
        assert_eq!(keycodes_for(&[0x61], &mapping, 0, 8), [] as [Keycode; 0]);
    }

    #[test]
    fn hotkey_press_ignores_lock_keys_and_auto_repeat() {
        let mut g = Grab { shortcut: "Ctrl+Alt+N".into(), keycodes: vec![57], mods: CONTROL | MOD1, pressed: false };
        // Caps Lock, Num Lock and an XKB group in the state do not matter.
        assert!(g.press(57, CONTROL | MOD1 | LOCK | MOD2 | 0x2000));
        // Held: auto-repeat presses (XKB sends no release between them) open nothing more.
        assert!(!g.press(57, CONTROL | MOD1));
        g.release(58);
        assert!(!g.press(57, CONTROL | MOD1), "another key's release does not end the hold");
        g.release(57);
        assert!(g.press(57, CONTROL | MOD1));
        g.release(57);
        // Another key, or other modifiers, are not the shortcut.
        assert!(!g.press(58, CONTROL | MOD1));
        assert!(!g.press(57, CONTROL | MOD1 | SHIFT));
        assert!(!g.press(57, CONTROL));
    }

    /// Against a real X server (the tests run under `xvfb-run`; without `DISPLAY` there is none
    /// to ask and these return early, saying so). One at a time: the idle test tells its thread
    /// from the others by when it appeared.
    fn x_server() -> Option<(RustConnection, MutexGuard<'static, ()>)> {
        static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
        let guard = lock(&ONE_AT_A_TIME);
        match RustConnection::connect(None) {
            Ok((c, _)) => Some((c, guard)),
            Err(e) => {
                eprintln!("no X server ({e}): skipped");
                None
            }
        }
    }

    /// The listener threads of this process: thread id → voluntary context switches so far.
    fn listener_threads() -> std::collections::BTreeMap<String, u64> {
        let mut found = std::collections::BTreeMap::new();
        for t in std::fs::read_dir("/proc/self/task").expect("/proc").flatten() {
            if std::fs::read_to_string(t.path().join("comm")).unwrap_or_default().trim() != "x11-hotkey" {
                continue;
            }
            let status = std::fs::read_to_string(t.path().join("status")).unwrap_or_default();
            if let Some(n) = status.lines().find_map(|l| l.strip_prefix("voluntary_ctxt_switches:")) {
                found.insert(t.file_name().to_string_lossy().into_owned(), n.trim().parse().expect("a number"));
            }
        }
        found
    }

    fn other_client_grabs(other: &RustConnection, shortcut: &str, mask_extra: u16) -> Result<(), ReplyError> {
        let k = key(shortcut);
        let root = other.setup().roots[0].root;
        let setup = other.setup();
        let map = other.get_keyboard_mapping(setup.min_keycode, setup.max_keycode - setup.min_keycode + 1)?.reply()?;
        let code = keycodes_for(&k.keysyms, &map.keysyms, map.keysyms_per_keycode, setup.min_keycode)[0];
        other.grab_key(false, root, ModMask::from(k.mods | mask_extra), code, GrabMode::ASYNC, GrabMode::ASYNC)?.check()
    }

    #[test]
    fn hotkey_held_by_another_client_is_taken_and_ours_is_held_with_every_lock() {
        let Some((other, _one)) = x_server() else { return };
        let hotkeys = Hotkeys::new(|| {});
        // Another program holds Ctrl+Alt+F7 (with Num Lock only): ours is refused as taken.
        other_client_grabs(&other, "Ctrl+Alt+F7", MOD2).expect("the other client grabs");
        assert_eq!(hotkeys.register("Ctrl+Alt+F7"), Err(ShortcutProblem::Taken));
        assert!(!hotkeys.is_registered("Ctrl+Alt+F7"));
        // A free one is ours with Caps Lock and Num Lock in any state: the other client is refused.
        assert_eq!(hotkeys.register("Ctrl+Alt+F8"), Ok(()));
        assert!(hotkeys.is_registered("Ctrl+Alt+F8"));
        for extra in [0, LOCK, MOD2, LOCK | MOD2] {
            let e = other_client_grabs(&other, "Ctrl+Alt+F8", extra).expect_err("ours");
            assert!(matches!(e, ReplyError::X11Error(ref x) if x.error_kind == ErrorKind::Access), "{extra}: {e:?}");
        }
        // Released: the other client gets it.
        hotkeys.unregister_all();
        assert!(!hotkeys.is_registered("Ctrl+Alt+F8"));
        other_client_grabs(&other, "Ctrl+Alt+F8", LOCK).expect("released");
    }

    /// The listener's thread sleeps while nothing is pressed: over a second it is not switched
    /// in at all (global-hotkey's loop wakes 20 times a second).
    #[test]
    fn hotkey_listener_does_not_wake_while_idle() {
        let Some((_x, _one)) = x_server() else { return };
        let earlier = listener_threads();
        let hotkeys = Hotkeys::new(|| {});
        assert_eq!(hotkeys.register("Ctrl+Alt+F9"), Ok(()));
        let ours: Vec<String> = listener_threads().into_keys().filter(|t| !earlier.contains_key(t)).collect();
        assert_eq!(ours.len(), 1, "one new listener thread: {ours:?}");
        std::thread::sleep(std::time::Duration::from_millis(200));
        let before = listener_threads()[&ours[0]];
        std::thread::sleep(std::time::Duration::from_secs(1));
        let after = listener_threads()[&ours[0]];
        hotkeys.unregister_all();
        assert!(after - before <= 1, "the listener woke {} times in a second", after - before);
    }
}
