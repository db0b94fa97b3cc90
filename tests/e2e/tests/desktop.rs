//! The app on the desktop, in the real window under Xvfb (no window manager, so the tests send
//! what a window manager would): closing with entries waiting hides the window and the app keeps
//! sending; the autostart offer after a lead waited writes the autostart entry; a start from that
//! entry (`--hidden`) shows no window until asked; the global quick-entry shortcut opens the lead
//! form and one held by another program is reported; the window comes back at the size it had.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use amo_e2e::{app_binary, simulator, x11, AppEnv, Window};
use amo_sim::Decision;

/// Where the autostart plugin writes the entry on Linux (`~/.config/autostart`, from `HOME`).
fn autostart_entry() -> PathBuf {
    PathBuf::from(std::env::var("HOME").expect("HOME")).join(".config/autostart/Amo Connect.desktop")
}

async fn until(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `amo-connect new`, as a desktop shortcut or a softphone runs it.
async fn run_new(env: &AppEnv) -> anyhow::Result<()> {
    let mut cmd = std::process::Command::new(app_binary());
    cmd.arg("new").envs(env.vars());
    let status = tokio::task::spawn_blocking(move || cmd.status()).await??;
    anyhow::ensure!(status.success(), "amo-connect new: {status}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_window_with_a_lead_waiting_keeps_the_app_sending_and_autostart_is_offered() -> anyhow::Result<()> {
    let _ = std::fs::remove_file(autostart_entry());
    let _tray = amo_e2e::tray_host()?;
    let (mut sim, redirect_uri) = simulator(Decision::Approve).await?;
    let env = AppEnv::new(&sim)?;
    env.connect_via_cli(&redirect_uri).await?;
    let w = Window::open(&env).await?;
    w.wait_attr("#status-panel", "data-connected", "true", 20).await?;
    assert!(w.client.find(fantoccini::Locator::Css("#autostart-offer")).await.is_err(), "nothing waited yet");

    // amoCRM unreachable: a lead typed now waits, and the offer to start with the computer comes.
    sim.go_down().await;
    w.click("#nav-lead").await?;
    w.fill("#lead-name", "Typed before closing").await?;
    w.click("#lead-submit").await?;
    w.find("#offline-banner").await?;
    w.find("#autostart-offer").await?;
    w.screenshot("12-autostart-offer.png").await?;
    w.click("#autostart-accept").await?;
    until("the autostart entry was written", 10, || autostart_entry().exists()).await;
    let entry = std::fs::read_to_string(autostart_entry())?;
    let exec = entry.lines().find(|l| l.starts_with("Exec=")).unwrap_or_default().to_string();
    assert!(exec.ends_with(" --hidden") && exec.contains("amo-connect"), "{entry}");
    for _ in 0..50 {
        if w.client.find(fantoccini::Locator::Css("#autostart-offer")).await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(w.client.find(fantoccini::Locator::Css("#autostart-offer")).await.is_err(), "answered: not offered again");

    // The window manager's close button: the window goes, the app stays and keeps sending.
    assert_eq!(x11::visible_windows().len(), 1, "one window before closing");
    // Now and then (one run in five to ten here) a close request leaves the window up, and the
    // app's log shows it never heard of it: the ClientMessage sent without a window manager does
    // not reach the window's delete handler. A user would click the close button again; each miss
    // is reported with the app's log, and a window that four requests cannot hide fails.
    for attempt in 1..=4 {
        assert!(x11::request_close()? >= 1);
        let deadline = Instant::now() + Duration::from_secs(4);
        while !x11::visible_windows().is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if x11::visible_windows().is_empty() {
            break;
        }
        let asked = w.client.find(fantoccini::Locator::Css("#quit-ask")).await.is_ok();
        x11::screenshot(&amo_e2e::artifacts_dir().join(format!("close-not-hidden-{attempt}.png")))?;
        let log = std::fs::read_to_string(env.data_dir.path().join("logs/amo-connect.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(12).collect();
        eprintln!(
            "desktop: close request {attempt} left the window up (quit asked: {asked}); the app's log ends:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
        assert!(
            !asked,
            "closing asked to quit: the app did not see the tray (screenshot close-not-hidden-{attempt}.png)"
        );
    }
    until("the window was hidden", 10, || x11::visible_windows().is_empty()).await;
    sim.come_up().await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !sim.leads().iter().any(|l| l.name == "Typed before closing") {
        assert!(Instant::now() < deadline, "the lead never reached amoCRM with the window closed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(x11::visible_windows().is_empty(), "sending did not bring the window back");

    // `amo-connect new` (or the tray's New lead) brings it back.
    run_new(&env).await?;
    until("the window came back", 10, || x11::visible_windows().len() == 1).await;

    // Autostart off again from Settings: the entry is gone.
    w.click("#nav-settings").await?;
    w.click("#autostart").await?;
    until("the autostart entry was removed", 10, || !autostart_entry().exists()).await;
    w.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn started_by_the_autostart_entry_the_app_shows_no_window_until_asked() -> anyhow::Result<()> {
    let tray = amo_e2e::tray_host()?;
    let (sim, redirect_uri) = simulator(Decision::Approve).await?;
    let env = AppEnv::new(&sim)?;
    env.connect_via_cli(&redirect_uri).await?;
    let w = Window::open_with(&env, &["--hidden"]).await?;
    // The page runs (its status is loaded) while no window is shown.
    w.wait_attr("#status-panel", "data-connected", "true", 20).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(x11::visible_windows().is_empty(), "started to the tray: no window");
    run_new(&env).await?;
    until("the window came up on New lead", 10, || x11::visible_windows().len() == 1).await;
    w.find("#lead-name").await?;
    w.close().await?;
    drop(tray);

    // No tray on the screen (GNOME without its AppIndicator extension): hiding would lose the
    // app, so a start from the autostart entry shows the window.
    let w = Window::open_with(&env, &["--hidden"]).await?;
    w.wait_attr("#status-panel", "data-connected", "true", 20).await?;
    until("without a tray the window shows", 10, || x11::visible_windows().len() == 1).await;
    w.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quick_entry_shortcut_opens_the_lead_form_and_a_taken_one_is_named() -> anyhow::Result<()> {
    use global_hotkey::hotkey::{Code, HotKey, Modifiers};
    let (sim, redirect_uri) = simulator(Decision::Approve).await?;
    let env = AppEnv::new(&sim)?;
    env.connect_via_cli(&redirect_uri).await?;
    // Another program holds the default Ctrl+Alt+N before the app starts.
    let other_program = global_hotkey::GlobalHotKeyManager::new()?;
    other_program.register(HotKey::new(Some(Modifiers::CONTROL | Modifiers::ALT), Code::KeyN))?;

    let w = Window::open(&env).await?;
    w.wait_attr("#status-panel", "data-connected", "true", 20).await?;
    w.click("#nav-settings").await?;
    w.wait_attr("#shortcut-problem", "data-problem", "taken", 20).await?;
    assert!(w.text("#shortcut-problem").await?.starts_with("Ctrl+Alt+N is taken by another program"));

    // Choosing the taken one again is refused with its name; another one works.
    w.fill("#shortcut-input", "ctrl+alt+n").await?;
    w.click("#shortcut-save").await?;
    let refused = w.text("#desktop-error").await?;
    assert!(refused.contains("Ctrl+Alt+N is already taken by another program"), "{refused}");
    w.fill("#shortcut-input", "ctrl+alt+k").await?;
    w.click("#shortcut-save").await?;
    w.wait_text("#shortcut-state", "Ctrl+Alt+K opens the lead form. Empty turns it off.", 10).await?;
    w.screenshot("13-settings-desktop.png").await?;
    let (_, shown, _) = env.cli(&["config", "show"], None)?;
    assert!(shown.contains("shortcut      Ctrl+Alt+K"), "saved: {shown}");

    // Pressed anywhere: the lead form, focus in the name.
    x11::press("ctrl+alt+k")?;
    w.wait_focus("lead-name", 10).await?;
    drop(other_program);
    w.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_comes_back_at_the_size_it_was_left() -> anyhow::Result<()> {
    let (sim, _) = simulator(Decision::Approve).await?;
    let env = AppEnv::new(&sim)?;
    let size = |w: &Window| {
        let c = w.client.clone();
        async move {
            let v = c.execute("return [window.innerWidth, window.innerHeight]", vec![]).await?;
            anyhow::Ok((v[0].as_i64().unwrap_or(0), v[1].as_i64().unwrap_or(0)))
        }
    };
    let w = Window::open(&env).await?;
    w.find("#status-panel").await?;
    let first = size(&w).await?;
    w.client.set_window_size(1100, 640).await?;
    let deadline = Instant::now() + Duration::from_secs(10);
    let resized = loop {
        let now = size(&w).await?;
        if now != first {
            break now;
        }
        assert!(Instant::now() < deadline, "the window did not resize");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tokio::time::sleep(Duration::from_secs(2)).await; // saved half a second after the change
    w.close().await?; // killed, as by a crash: nothing is saved at exit
    let w = Window::open(&env).await?;
    w.find("#status-panel").await?;
    let again = size(&w).await?;
    w.close().await?;
    // Leave the next tests the default size.
    let config = std::env::var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".config"));
    let _ = std::fs::remove_file(config.join("com.amoconnect.desktop/.window-state.json"));
    assert_eq!(again, resized, "first {first:?}");
    Ok(())
}

/// The tray's menu item `n` (0-based; a separator after the fourth): its point on the screen,
/// from the menu's place. GTK draws each item 25 px high after 4 px of padding, the separator 1 px.
fn menu_item(menu: (i32, i32, i32, i32), n: i32) -> (i32, i32) {
    // New lead, Tasks due, the outbox's line, Send now, a separator, Open, Quit.
    let y = menu.1 + 16 + n * 25 + if n >= 4 { 1 } else { 0 };
    (menu.0 + 60, y)
}

/// Clicks the tray icon and returns the menu's geometry once it is shown.
async fn open_tray_menu(icon: (i32, i32, i32, i32)) -> anyhow::Result<(i32, i32, i32, i32)> {
    x11::click(icon.0 + icon.2 / 2, icon.1 + icon.3 / 2)?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // The popup menu is an unnamed-by-us window of the app ("amo-connect"), taller than the icon.
        for w in x11::named("^amo-connect$") {
            let g = x11::geometry(w)?;
            if g.3 > 100 {
                return Ok(g);
            }
        }
        anyhow::ensure!(Instant::now() < deadline, "the tray menu did not open");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn until_menu_closed() {
    until("the tray menu closed", 10, || {
        x11::named("^amo-connect$").iter().all(|w| x11::geometry(*w).map(|g| g.3 <= 100).unwrap_or(true))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tray_menu_shows_the_outbox_and_its_items_open_history_my_tasks_new_lead_and_ask_before_quitting(
) -> anyhow::Result<()> {
    // trayer: an XEmbed system tray, as in Xfce, MATE or LXDE panels; with no StatusNotifier host
    // on the bus the app's indicator docks there.
    let mut trayer = amo_e2e::tray_host()?;
    let (mut sim, redirect_uri) = simulator(Decision::Approve).await?;
    let env = AppEnv::new(&sim)?;
    env.connect_via_cli(&redirect_uri).await?;
    let w = Window::open(&env).await?;
    w.wait_attr("#status-panel", "data-connected", "true", 20).await?;
    sim.go_down().await;
    w.click("#nav-lead").await?;
    w.fill("#lead-name", "Waiting in the tray").await?;
    w.click("#lead-submit").await?;
    w.find("#offline-banner").await?;

    // The icon in the tray: trayer's panel holds one docked window, the app's.
    let mut icon = None;
    let deadline = Instant::now() + Duration::from_secs(15);
    while icon.is_none() {
        icon = x11::named("^panel$").first().map(|p| x11::geometry(*p)).transpose()?.filter(|g| g.2 > 8);
        anyhow::ensure!(Instant::now() < deadline, "no tray icon docked in trayer");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let icon = icon.expect("found");
    w.click("#nav-settings").await?;
    let menu = open_tray_menu(icon).await?;
    tokio::time::sleep(Duration::from_millis(500)).await; // drawn
    x11::screenshot(&amo_e2e::artifacts_dir().join("14-tray-menu.png"))?;

    // Outbox → History.
    let (x, y) = menu_item(menu, 2);
    x11::click(x, y)?;
    w.find("#history-heading").await?;
    until_menu_closed().await;
    // Tasks due → My tasks.
    let menu = open_tray_menu(icon).await?;
    let (x, y) = menu_item(menu, 1);
    x11::click(x, y)?;
    w.find("#tasks-heading").await?;
    until_menu_closed().await;
    // New lead → the form, focus in the name.
    let menu = open_tray_menu(icon).await?;
    let (x, y) = menu_item(menu, 0);
    x11::click(x, y)?;
    w.wait_focus("lead-name", 10).await?;
    until_menu_closed().await;
    // Quit with a lead waiting: the window asks first; Keep running leaves everything as it was.
    let menu = open_tray_menu(icon).await?;
    let (x, y) = menu_item(menu, 5);
    x11::click(x, y)?;
    let asked = w.text("#quit-ask").await?;
    assert!(asked.contains("1 entry still waits to be sent"), "{asked}");
    w.click("#quit-keep").await?;
    assert_eq!(x11::visible_windows().len(), 1, "still running");
    w.close().await?;
    trayer.kill();
    Ok(())
}
