//! Shared set-up for the core's integration tests: a free loopback port, and an app in a temp
//! data directory configured for the simulator's demo integration.
// Each test file uses a different part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use amo_core::amocrm::endpoints::Endpoints;
use amo_core::domain::settings::SettingsPatch;
use amo_core::keychain::SecretStore;
use amo_core::paths::DataDir;
use amo_core::AmoConnect;
use amo_sim::{Decision, SimConfig, Simulator, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// An app whose every amoCRM URL goes to `server`, with no settings yet.
pub fn open(data: &Path, store: Arc<dyn SecretStore>, server: &str) -> AmoConnect {
    AmoConnect::open(DataDir::at(data).expect("data"), store, Endpoints::with_override(server).expect("e"))
        .expect("app")
}

/// Integration ID, Secret key and this Redirect URI of the simulator's demo integration.
pub async fn configure(app: &AmoConnect, redirect_uri: &str) {
    app.save_settings(SettingsPatch {
        client_id: Some(DEMO_CLIENT_ID.into()),
        redirect_uri: Some(redirect_uri.into()),
        client_secret: Some(DEMO_CLIENT_SECRET.into()),
        ..Default::default()
    })
    .await
    .expect("settings");
}

/// `open` + `configure`.
pub async fn configured(data: &Path, store: Arc<dyn SecretStore>, server: &str, redirect_uri: &str) -> AmoConnect {
    let app = open(data, store, server);
    configure(&app, redirect_uri).await;
    app
}

/// A keychain stand-in that several processes can share: one file per entry, replaced
/// atomically. Tests only; the app has no plaintext store.
pub struct FileStore(pub PathBuf);

impl SecretStore for FileStore {
    fn get(&self, key: &str) -> amo_core::Result<Option<Vec<u8>>> {
        match std::fs::read(self.0.join(key)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(amo_core::Error::internal(e)),
        }
    }
    fn set(&self, key: &str, value: &[u8]) -> amo_core::Result<()> {
        let tmp = self.0.join(format!("{key}.{}.tmp", std::process::id()));
        std::fs::write(&tmp, value).map_err(amo_core::Error::internal)?;
        std::fs::rename(tmp, self.0.join(key)).map_err(amo_core::Error::internal)?;
        Ok(())
    }
    fn delete(&self, key: &str) -> amo_core::Result<()> {
        match std::fs::remove_file(self.0.join(key)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(amo_core::Error::internal(e)),
            _ => Ok(()),
        }
    }
}

/// Starts a loopback sign-in. The port was free when it was picked, but another test (or one of
/// their child processes) may have taken it since: then the Redirect URI moves to another free
/// port, in the app and the simulator alike.
pub async fn start_on_a_free_port(app: &AmoConnect, sim: &Simulator) -> amo_core::auth::PendingConnect {
    for _ in 0..5 {
        match app.start_connect().await {
            Ok(p) => return p,
            Err(e) if e.code().as_str() == "port_in_use" => {
                let uri = format!("http://127.0.0.1:{}/callback", free_port());
                sim.set_redirect_uri(&uri);
                app.save_settings(SettingsPatch { redirect_uri: Some(uri), ..Default::default() })
                    .await
                    .expect("settings");
            }
            Err(e) => panic!("start: {e:?}"),
        }
    }
    panic!("no free loopback port in five tries")
}

/// Another desk on the same account: a data directory connected to `sim` as whichever user is
/// signed in there (`sim.sign_in_as`).
pub async fn connect_desk(sim: &Simulator, store: Arc<dyn SecretStore>, data: &Path) -> AmoConnect {
    let app = configured(data, store, &sim.url(), &sim.config().redirect_uri).await;
    let pending = start_on_a_free_port(&app, sim).await;
    let url = pending.authorize_url().to_string();
    let browser = tokio::spawn(async move { reqwest::get(url).await.map(|r| r.status().as_u16()) });
    assert!(pending.wait(Duration::from_secs(30)).await.expect("connected").connected);
    assert_eq!(browser.await.expect("join").expect("browse"), 200);
    app
}

/// Sleeps until just after the next full second, so what follows happens within one second.
pub async fn at_the_start_of_a_second() {
    let ms = amo_core::clock::now_ms().rem_euclid(1000);
    tokio::time::sleep(Duration::from_millis((1000 - ms) as u64 + 20)).await;
}

/// A simulator (approving by itself, no rate limit in the way) and an app connected to it.
pub async fn connected(store: Arc<dyn SecretStore>, data: &Path) -> (Simulator, AmoConnect) {
    connected_with(SimConfig { rate_limit_per_sec: 100_000, ..SimConfig::default() }, store, data).await
}

/// A simulator with `cfg` (approving by itself) and an app connected to it over loopback.
pub async fn connected_with(cfg: SimConfig, store: Arc<dyn SecretStore>, data: &Path) -> (Simulator, AmoConnect) {
    let redirect_uri = format!("http://127.0.0.1:{}/callback", free_port());
    let sim = Simulator::start(SimConfig { redirect_uri: redirect_uri.clone(), decision: Decision::Approve, ..cfg }, 0)
        .await
        .expect("sim");
    let app = configured(data, store, &sim.url(), &redirect_uri).await;
    let pending = start_on_a_free_port(&app, &sim).await;
    let url = pending.authorize_url().to_string();
    let browser = tokio::spawn(async move { reqwest::get(url).await.map(|r| r.status().as_u16()) });
    let st = pending.wait(Duration::from_secs(30)).await.expect("connected");
    assert!(st.connected);
    assert_eq!(browser.await.expect("join").expect("browse"), 200);
    (sim, app)
}

/// Sends the outbox as the worker would until nothing waits (at most 20 s: a test that hangs
/// here has an entry stuck, which its own assertions then name).
pub async fn drain(app: &AmoConnect) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while app.outbox_summary().expect("summary").queued > 0 && std::time::Instant::now() < deadline {
        let wait = app.outbox_pass().await;
        tokio::time::sleep(wait.min(Duration::from_millis(50))).await;
    }
}

/// A desk connected to a fresh simulator, retrying fast, with the account's shape read (what a
/// form has: its zone, fields, task types) — the start of most outbox tests.
pub async fn desk_with_shape() -> (tempfile::TempDir, Simulator, AmoConnect) {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = connected(Arc::new(amo_core::keychain::memory::MemoryStore::new()), tmp.path()).await;
    app.set_retry_timing(amo_core::outbox::RetryTiming {
        base: Duration::from_millis(20),
        max: Duration::from_millis(200),
    });
    app.reference_data(true).await.expect("reference");
    (tmp, sim, app)
}
