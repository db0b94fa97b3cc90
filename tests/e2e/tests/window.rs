//! The real window (WebKitGTK under Xvfb, driven through tauri-driver) against the simulator,
//! with the real Secret Service. Run by scripts/test-all.sh; needs a built app.

use amo_e2e::*;

/// Settings → Connect → the test acts as the browser and clicks Allow → the status panel shows
/// the account by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_through_the_window_shows_the_account() -> anyhow::Result<()> {
    let (sim, redirect_uri) = simulator(Decision::Manual).await?;
    let env = AppEnv::new(&sim)?;
    let w = Window::open(&env).await?;

    w.wait_attr("#status-panel", "data-connected", "false", 20).await?;
    assert!(w.text("#simulator-banner").await?.contains("simulator"));
    w.screenshot("01-not-connected.png").await?;

    w.click("#nav-settings").await?;
    w.fill("#client-id", DEMO_CLIENT_ID).await?;
    w.fill("#client-secret", DEMO_CLIENT_SECRET).await?;
    let port = url::Url::parse(&redirect_uri)?.port().unwrap_or_default().to_string();
    w.click("#mode-loopback").await?;
    w.fill("#loopback-port", &port).await?;
    assert_eq!(w.text("#redirect-uri").await?, redirect_uri, "what to paste into amoCRM");
    w.click("#btn-save").await?;
    w.find("#settings-saved").await?;
    w.wait_attr("#secret-state", "data-set", "true", 10).await?;
    w.screenshot("02-settings.png").await?;

    w.click("#nav-connection").await?;
    w.click("#btn-connect").await?;
    let url = w.find("#authorize-url").await?.prop("value").await?.unwrap_or_default();
    assert!(url.starts_with(&format!("{}/oauth?client_id={DEMO_CLIENT_ID}&state=", sim.url())), "{url}");

    let (status, page) = browser_decide(&url, true).await?;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("You can close this tab"));

    w.wait_attr("#status-panel", "data-connected", "true", 20).await?;
    // The account's name arrives a moment after the connection (a second request).
    w.wait_text_contains("#account-name", "Acme Trading", 10).await?;
    assert_eq!(w.text("#domain").await?, "acme.amocrm.ru");
    let masked = w.text("#token-masked").await?;
    assert!(masked.contains('…'), "{masked}");
    w.wait_attr("#expires-at", "data-expired", "false", 5).await?;
    let shot = w.screenshot("03-connected.png").await?;
    println!("screenshot of the connected panel: {}", shot.display());

    // amoCRM stops accepting the access token: "Refresh now" gets a new one (one refresh).
    sim.expire_access_tokens();
    w.click("#btn-refresh").await?;
    w.wait_text("#notice", "Tokens refreshed.", 20).await?;
    assert_eq!((sim.stats().refreshes, sim.stats().reused_refresh_tokens), (1, 0));
    w.wait_attr("#status-panel", "data-connected", "true", 5).await?;

    // No token in the page, on disk, or anywhere but the keychain.
    let source = w.client.source().await?;
    let files = env.all_file_bytes();
    for token in sim.issued_tokens() {
        assert!(!source.contains(tail(&token)), "a token reached the DOM");
        assert!(!contains(&files, tail(&token)), "a token reached the data directory");
    }
    // The CLI, reading the same data directory and the real keychain, agrees.
    let (code, out, err) = env.cli(&["status", "--json"], None)?;
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out)?;
    assert_eq!((v["connected"].as_bool(), v["account_name"].as_str()), (Some(true), Some("Acme Trading")));

    // Disconnect from the window.
    w.click("#btn-disconnect").await?;
    w.click("#btn-disconnect-confirm").await?;
    w.wait_attr("#status-panel", "data-connected", "false", 10).await?;
    let (_, out, _) = env.cli(&["status", "--json"], None)?;
    assert_eq!(serde_json::from_str::<serde_json::Value>(&out)?["connected"], false);
    w.close().await?;
    Ok(())
}

/// Settings made by the CLI, Connect in the window, the user clicks Deny: the window says so by
/// code, and nothing is connected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deny_in_amocrm_is_shown_in_the_window() -> anyhow::Result<()> {
    let (sim, redirect_uri) = simulator(Decision::Manual).await?;
    let env = AppEnv::new(&sim)?;
    for args in
        [["config", "set", "client-id", DEMO_CLIENT_ID], ["config", "set", "redirect-uri", redirect_uri.as_str()]]
    {
        let (code, _, err) = env.cli(&args, None)?;
        assert_eq!(code, 0, "{err}");
    }
    let (code, _, err) = env.cli(&["config", "set-secret"], Some(DEMO_CLIENT_SECRET))?;
    assert_eq!(code, 0, "{err}");

    let w = Window::open(&env).await?;
    w.wait_attr("#status-panel", "data-connected", "false", 20).await?;
    // Connect, change one's mind, Connect again: the second sign-in gets the same port at once.
    w.click("#btn-connect").await?;
    let first = w.find("#authorize-url").await?.prop("value").await?.unwrap_or_default();
    w.click("#btn-cancel").await?;
    w.find("#btn-connect").await?;
    assert!(reqwest::get(&redirect_uri).await.is_err(), "the cancelled sign-in's listener is closed");
    w.click("#btn-connect").await?;
    let url = w.find("#authorize-url").await?.prop("value").await?.unwrap_or_default();
    assert_ne!(url, first, "a new sign-in has a new state");
    // The abandoned sign-in's state is refused by the new listener.
    let stale =
        reqwest::get(format!("{redirect_uri}?code=def502x&state={}&referer=acme.amocrm.ru", state_of(&first))).await?;
    assert_eq!(stale.status(), 400);
    assert!(stale.text().await?.contains("state_replayed"));
    let (status, page) = browser_decide(&url, false).await?;
    assert_eq!(status, 400);
    assert!(page.contains("access_denied"));
    w.wait_attr("#connect-error", "data-code", "access_denied", 20).await?;
    assert!(w.text("#connect-error").await?.contains("denied"));
    w.wait_attr("#status-panel", "data-connected", "false", 5).await?;
    w.screenshot("04-denied.png").await?;
    assert_eq!(sim.stats().code_exchanges, 0);
    w.close().await?;
    Ok(())
}

fn state_of(authorize_url: &str) -> String {
    url::Url::parse(authorize_url)
        .ok()
        .and_then(|u| u.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned()))
        .unwrap_or_default()
}

/// No redirect at all: an admin pastes a long-lived token in the window; the panel shows it and
/// warns that it expires within a week.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_lived_token_pasted_in_the_window_connects_and_warns() -> anyhow::Result<()> {
    let (sim, _redirect_uri) = simulator(Decision::Manual).await?;
    let env = AppEnv::new(&sim)?;
    let token = sim.issue_long_lived(3 * 24 * 3600);
    let w = Window::open(&env).await?;
    w.wait_attr("#status-panel", "data-connected", "false", 20).await?;
    w.click("#paste-connect summary").await?;
    w.click("#mode-token").await?;
    w.fill("#paste-secret", &token).await?;
    w.fill("#paste-domain", "acme.amocrm.ru").await?;
    w.click("#btn-paste-connect").await?;
    w.wait_attr("#status-panel", "data-connected", "true", 20).await?;
    assert!(w.text("#auth-kind").await?.contains("Long-lived"));
    w.find("#expires-soon").await?;
    assert!(!w.client.source().await?.contains(tail(&token)), "the token reached the DOM");
    w.screenshot("05-long-lived.png").await?;
    w.close().await?;
    Ok(())
}

/// The Redirect URI is the deep link. The app is running; the browser's redirect to
/// amoconnect://… starts a second instance, which hands the URL over and exits; the window
/// connects. A forged link changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_link_to_the_running_app_connects_and_a_forged_one_changes_nothing() -> anyhow::Result<()> {
    let (sim, _) = simulator_with(SimConfig::default()).await?;
    sim.set_redirect_uri(DEEP_LINK);
    let env = AppEnv::new(&sim)?;
    env.configure(DEEP_LINK)?;
    let w = Window::open(&env).await?;
    w.wait_attr("#status-panel", "data-connected", "false", 20).await?;
    w.click("#btn-connect").await?;
    let url = w.find("#authorize-url").await?.prop("value").await?.unwrap_or_default();

    let forged = "amoconnect://oauth/callback?code=def502evil&state=d.forged&referer=acme.amocrm.ru&platform=1";
    assert!(second_launch(&env, forged).await?.success());
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    w.wait_attr("#status-panel", "data-connected", "false", 1).await?;
    assert_eq!(sim.stats().code_exchanges, 0);

    let link = decide(&url, true).await?;
    assert!(link.starts_with("amoconnect://oauth/callback?code="), "{link}");
    assert!(second_launch(&env, &link).await?.success(), "the second instance exits after handing over");
    w.wait_attr("#status-panel", "data-connected", "true", 20).await?;
    // The account's name arrives a moment after the connection (a second request).
    w.wait_text_contains("#account-name", "Acme Trading", 10).await?;
    w.screenshot("06-deep-link.png").await?;
    w.close().await?;
    Ok(())
}

/// Cold start: no window is open; `connect` in the CLI waits, the browser's link starts the
/// app, which completes the sign-in; the CLI sees it and exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_link_cold_starts_the_app_and_the_waiting_cli_sees_the_connection() -> anyhow::Result<()> {
    let (sim, _) = simulator_with(SimConfig { decision: Decision::Approve, ..SimConfig::default() }).await?;
    sim.set_redirect_uri(DEEP_LINK);
    let env = AppEnv::new(&sim)?;
    env.configure(DEEP_LINK)?;
    let run = env.spawn_connect(60)?;
    let link = redirect_location(&run.url).await?;
    let mut app = Group::spawn(std::process::Command::new(app_binary()).arg(&link).envs(env.vars()))?;
    let (code, out, err) = run.finish().await?;
    app.kill();
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "Connected: Acme Trading (acme.amocrm.ru)");
    assert_eq!(sim.stats().code_exchanges, 1);
    Ok(())
}

/// A softphone runs `amo-connect new --phone NUMBER` when a call rings: the running window comes
/// up on New lead with the caller's number filled in and the cursor in the lead's name, and the
/// second process exits at once (single instance).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amo_connect_new_raises_the_window_on_new_lead_with_the_callers_number() -> anyhow::Result<()> {
    let (sim, redirect_uri) = simulator(Decision::Approve).await?;
    let env = AppEnv::new(&sim)?;
    env.connect_via_cli(&redirect_uri).await?;
    let w = Window::open(&env).await?;
    w.wait_attr("#status-panel", "data-connected", "true", 20).await?;
    let mut cmd = std::process::Command::new(app_binary());
    cmd.args(["new", "--phone", "+7 912 555-01-02"]).envs(env.vars());
    let started = std::time::Instant::now();
    let status = tokio::task::spawn_blocking(move || cmd.status()).await??;
    assert!(status.success(), "the second instance hands over and exits");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let phone = w.find("#contact-phone").await.ok();
        let value = match phone {
            Some(p) => p.prop("value").await?.unwrap_or_default(),
            None => String::new(),
        };
        let focused = w.client.active_element().await.ok();
        let focused_id = match focused {
            Some(f) => f.attr("id").await?.unwrap_or_default(),
            None => String::new(),
        };
        if value == "+7 912 555-01-02" && focused_id == "lead-name" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "phone {value:?}, focus on {focused_id:?}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    w.screenshot("10-new-lead-from-a-call.png").await?;
    w.close().await?;
    Ok(())
}

const DEEP_LINK: &str = "amoconnect://oauth/callback";

/// Starts the app binary with a URL, as the OS does for a link; returns its exit status.
async fn second_launch(env: &AppEnv, url: &str) -> anyhow::Result<std::process::ExitStatus> {
    let mut cmd = std::process::Command::new(app_binary());
    cmd.arg(url).envs(env.vars());
    Ok(tokio::task::spawn_blocking(move || cmd.status()).await??)
}
