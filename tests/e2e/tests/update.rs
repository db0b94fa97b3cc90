//! The installed app updates itself (issue 5 §4), end to end, as a user would see it:
//! the installed .deb (built to trust a test key and to look for updates on 127.0.0.1) starts,
//! finds a newer version on a local static server, shows what is new, refuses two forged
//! updates, then on "Install and restart" downloads the genuine one, installs it through the
//! system's package tool and restarts into it.
//!
//! Needs root, the package installed and what `scripts/test-package.sh` prepares in
//! `AMO_UPDATE_DIR`: `port`; `latest.json`, written by the release's own script
//! (`scripts/updater-manifest.mjs`) for `served/`, which holds the newer package with its
//! signature and `old.deb`, the installed version; `old.deb.sig`, that version's genuine
//! signature; and `forged.sig`, the newer package signed by another key.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use amo_e2e::*;
use anyhow::{bail, Context, Result};
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// The update source: `latest.json` (changed by the test between attempts) and the packages.
#[derive(Clone)]
struct Source {
    served: PathBuf,
    manifest: Arc<Mutex<String>>,
    downloads: Arc<Mutex<Vec<String>>>,
}

async fn manifest(State(s): State<Source>) -> Response {
    let body = s.manifest.lock().expect("update source lock").clone();
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn package(State(s): State<Source>, UrlPath(name): UrlPath<String>) -> Response {
    if name.contains('/') || name.starts_with('.') {
        return StatusCode::NOT_FOUND.into_response();
    }
    s.downloads.lock().expect("update source lock").push(name.clone());
    match std::fs::read(s.served.join(&name)) {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/vnd.debian.binary-package")], bytes).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

fn read(dir: &Path, name: &str) -> Result<String> {
    Ok(std::fs::read_to_string(dir.join(name)).with_context(|| format!("{name} in AMO_UPDATE_DIR"))?.trim().to_owned())
}

/// `latest` with its .deb entry changed: another package and/or another signature.
fn forged(latest: &serde_json::Value, url: Option<String>, signature: String) -> String {
    let mut m = latest.clone();
    let entry = &mut m["platforms"]["linux-x86_64-deb"];
    if let Some(url) = url {
        entry["url"] = url.into();
    }
    entry["signature"] = signature.into();
    m.to_string()
}

fn installed_version() -> Result<String> {
    let out = std::process::Command::new("dpkg-query").args(["-W", "-f=${Version}", "amo-connect"]).output()?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Processes running the installed binary as it is on disk now (a process still running a
/// replaced binary shows "/usr/bin/amo-connect (deleted)").
fn app_processes() -> HashSet<u32> {
    let mut pids = HashSet::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        if std::fs::read_link(entry.path().join("exe")).is_ok_and(|exe| exe == Path::new("/usr/bin/amo-connect")) {
            pids.insert(pid);
        }
    }
    pids
}

/// Settings → Check for updates, then Install; returns the refusal's error code.
async fn check_and_install(w: &Window, version: &str) -> Result<String> {
    w.click("#nav-settings").await?;
    w.click("#update-check").await?;
    w.wait_attr("#update-offer", "data-version", version, 30).await?;
    w.click("#update-install").await?;
    let el = w.find("#update-error").await?;
    Ok(el.attr("data-code").await?.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the installed .deb and AMO_UPDATE_DIR; run by scripts/test-package.sh"]
async fn the_installed_app_refuses_forged_updates_and_installs_the_signed_one() -> Result<()> {
    let dir = PathBuf::from(std::env::var("AMO_UPDATE_DIR").context("AMO_UPDATE_DIR")?);
    let port: u16 = read(&dir, "port")?.parse()?;
    let latest: serde_json::Value = serde_json::from_str(&read(&dir, "latest.json")?)?;
    let new_version = latest["version"].as_str().context("version in latest.json")?.to_owned();
    let genuine_url = latest["platforms"]["linux-x86_64-deb"]["url"].as_str().context("a .deb in latest.json")?;
    let genuine_name = genuine_url.rsplit('/').next().unwrap_or_default().replace("%20", " ");
    let old_version = installed_version()?;
    assert_ne!(old_version, new_version, "the test needs an older version installed");

    // A forged latest.json first: the newer version number, but the installed (older) package
    // with its genuine signature — a downgrade that requireSignedVersion refuses.
    let old_url = format!("http://127.0.0.1:{port}/packages/old.deb");
    let source = Source {
        served: dir.join("served"),
        manifest: Arc::new(Mutex::new(forged(&latest, Some(old_url), read(&dir, "old.deb.sig")?))),
        downloads: Arc::default(),
    };
    let app = Router::new()
        .route("/latest.json", get(manifest))
        .route("/packages/{name}", get(package))
        .with_state(source.clone());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.context("bind the update source")?;
    tokio::spawn(async move { axum::serve(listener, app).await });

    let (sim, _) = simulator(Decision::Approve).await?;
    let env = AppEnv::new(&sim)?;
    let w = Window::open(&env).await?;

    // The check at start offers the newer version with its notes, as text.
    w.wait_attr("#update-offer", "data-version", &new_version, 30).await?;
    let title = w.text("#update-title").await?;
    assert!(title.contains(&new_version) && title.contains(&old_version), "offer title: {title}");
    assert_eq!(w.text("#update-notes").await?, "- Faster lead form\n- <b>Markup stays text</b>");
    w.screenshot("11-update-offer.png").await?;
    assert!(
        source.downloads.lock().expect("update source lock").is_empty(),
        "nothing is downloaded before the user agrees"
    );

    w.click("#update-install").await?;
    let code = w.find("#update-error").await?.attr("data-code").await?.unwrap_or_default();
    assert_eq!(code, "update_signature_invalid", "a downgrade dressed as {new_version} must be refused");
    assert_eq!(installed_version()?, old_version);

    // The newer package signed by someone else's key.
    *source.manifest.lock().expect("update source lock") = forged(&latest, None, read(&dir, "forged.sig")?);
    let code = check_and_install(&w, &new_version).await?;
    assert_eq!(code, "update_signature_invalid", "a package signed by another key must be refused");
    assert_eq!(installed_version()?, old_version);
    w.screenshot("12-update-refused.png").await?;

    // The genuine update: installed, and the app restarts into it.
    *source.manifest.lock().expect("update source lock") = latest.to_string();
    let before = app_processes();
    assert!(!before.is_empty(), "the installed app should be running");
    w.click("#update-check").await?;
    w.wait_attr("#update-offer", "data-version", &new_version, 30).await?;
    let t0 = Instant::now();
    w.click("#update-install").await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while installed_version()? != new_version {
        if Instant::now() > deadline {
            bail!("the package was never updated (installed {})", installed_version()?);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let installed_after = t0.elapsed();
    // The restarted app runs the new binary (its exe is the file on disk, not a deleted one) and
    // says which version it is in its log.
    let log = env.data_dir.path().join("logs/amo-connect.log");
    let started = format!("window starting version={new_version}");
    let restarted = loop {
        let fresh: Vec<u32> = app_processes().difference(&before).copied().collect();
        let logged = std::fs::read_to_string(&log).unwrap_or_default().contains(&started);
        if !fresh.is_empty() && logged {
            break fresh;
        }
        if Instant::now() > deadline {
            bail!("the app did not restart into {new_version} (new processes {fresh:?}, log has it: {logged})");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let restarted_after = t0.elapsed();
    let downloads = source.downloads.lock().expect("update source lock").clone();
    println!(
        "update {old_version} -> {new_version}: installed {:.1} s after the click, restarted {:.1} s after it; downloads {downloads:?}",
        installed_after.as_secs_f64(),
        restarted_after.as_secs_f64()
    );
    assert_eq!(downloads.iter().filter(|d| **d == genuine_name).count(), 2, "forged once, genuine once: {downloads:?}");
    for pid in restarted {
        let _ = std::process::Command::new("kill").arg(pid.to_string()).status();
    }
    let _ = w.close().await;
    Ok(())
}
