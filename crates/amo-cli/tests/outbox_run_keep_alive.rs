//! `amo-connect outbox run` left running (a headless sender): it keeps the connection alive
//! itself, as the window does — the tokens are refreshed before they expire while nothing is
//! sent, and an entry queued long after the first token expired still goes out. Run in-process
//! against the simulator with a three-second access token, so several lifetimes pass in seconds.
//! (A file of its own: the `outbox run` under test never returns, and its thread must not keep
//! another test's simulator busy.)

use std::ffi::OsString;
use std::io::{BufReader, Cursor};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use amo_core::amocrm::endpoints::Endpoints;
use amo_core::domain::settings::SettingsPatch;
use amo_core::keychain::memory::MemoryStore;
use amo_core::keychain::SecretStore;
use amo_core::paths::DataDir;
use amo_core::AmoConnect;
use amo_sim::{Decision, SimConfig, Simulator, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};

/// The simulator's access-token lifetime here (amoCRM's is a day).
const TOKEN_TTL_SECS: i64 = 3;

#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }
}

/// Runs the CLI in this process on `dir` (the in-memory keychain `store`, the simulator at
/// `server`); its exit code and what it printed.
fn cli(dir: PathBuf, store: Arc<MemoryStore>, server: String, args: &[&str], out: Sink, err: Sink) -> i32 {
    let argv: Vec<OsString> = std::iter::once("amo-connect").chain(args.iter().copied()).map(OsString::from).collect();
    let mut input = BufReader::new(Cursor::new(Vec::new()));
    let s: Arc<dyn SecretStore> = store;
    amo_cli::run(argv, &mut input, false, &mut out.clone(), &mut err.clone(), move || {
        AmoConnect::open(DataDir::at(&dir)?, s, Endpoints::with_override(&server)?)
    })
}

/// Waits for `what` (checked every 50 ms), at most `limit`.
fn until(limit: Duration, what: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if what() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    what()
}

#[test]
fn outbox_run_keeps_the_connection_alive_across_token_lifetimes_and_sends_what_is_queued_later() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("p").local_addr().expect("a").port();
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    let cfg = SimConfig {
        redirect_uri: redirect_uri.clone(),
        decision: Decision::Approve,
        rate_limit_per_sec: 100_000,
        access_token_ttl: TOKEN_TTL_SECS,
        ..SimConfig::default()
    };
    let sim = rt.block_on(Simulator::start(cfg, 0)).expect("sim");
    let (tmp, store) = (tempfile::tempdir().expect("tmp"), Arc::new(MemoryStore::new()));
    let dir = tmp.path().to_path_buf();
    {
        let s: Arc<dyn SecretStore> = store.clone();
        let app = AmoConnect::open(DataDir::at(&dir).expect("d"), s, Endpoints::with_override(&sim.url()).expect("e"))
            .expect("app");
        rt.block_on(async {
            app.save_settings(SettingsPatch {
                client_id: Some(DEMO_CLIENT_ID.into()),
                redirect_uri: Some(redirect_uri),
                client_secret: Some(DEMO_CLIENT_SECRET.into()),
                ..Default::default()
            })
            .await
            .expect("settings");
            let pending = app.start_connect().await.expect("start");
            let url = pending.authorize_url().to_string();
            let browser = tokio::spawn(async move { reqwest::get(url).await.map(|r| r.status().as_u16()) });
            assert!(pending.wait(Duration::from_secs(30)).await.expect("connected").connected);
            browser.await.expect("join").expect("browse");
        });
    }
    let connected_at = Instant::now();
    let at_start = sim.stats().refreshes;

    // The headless sender, with nothing to send. It never returns; the test ends with it running.
    let (run_out, run_err) = (Sink::default(), Sink::default());
    {
        let (dir, store, server, out, err) = (dir.clone(), store.clone(), sim.url(), run_out.clone(), run_err.clone());
        std::thread::spawn(move || cli(dir, store, server, &["outbox", "run"], out, err));
    }

    // Idle, it refreshes before each token expires: several lifetimes, several refreshes.
    let lifetimes = 3;
    let refreshed = until(Duration::from_secs(30), || sim.stats().refreshes >= at_start + lifetimes);
    assert!(
        refreshed,
        "an idle `outbox run` refreshed {} times in {:?} of {TOKEN_TTL_SECS}-second tokens; out: {} err: {}",
        sim.stats().refreshes - at_start,
        connected_at.elapsed(),
        run_out.text(),
        run_err.text()
    );
    assert!(connected_at.elapsed() > Duration::from_secs(TOKEN_TTL_SECS as u64), "the first token has expired");

    // An entry queued now (by another command, as a softphone's hook would) is sent by it.
    let (out, err) = (Sink::default(), Sink::default());
    let code = cli(
        dir.clone(),
        store.clone(),
        sim.url(),
        &["lead", "add", "--name", "Queued after expiry", "--no-wait"],
        out.clone(),
        err.clone(),
    );
    assert_eq!(code, 0, "{}", err.text());
    let sent = until(Duration::from_secs(30), || sim.leads().iter().any(|l| l.name == "Queued after expiry"));
    assert!(sent, "the entry never reached amoCRM; out: {} err: {}", run_out.text(), run_err.text());

    // Still connected, and refreshing at the pace of the tokens, not in a tight loop.
    let before = sim.stats().refreshes;
    assert!(until(Duration::from_secs(30), || sim.stats().refreshes >= before + 2), "refreshes stopped");
    let (out, err) = (Sink::default(), Sink::default());
    assert_eq!(cli(dir, store, sim.url(), &["status", "--json"], out.clone(), err.clone()), 0, "{}", err.text());
    let status: serde_json::Value = serde_json::from_str(&out.text()).expect("json");
    assert_eq!(status["connected"], true, "{status}");
    assert_eq!(status["reconnect_needed"], false, "{status}");
    let (refreshes, secs) = (sim.stats().refreshes - at_start, connected_at.elapsed().as_secs());
    assert!(refreshes <= secs + 4, "{refreshes} refreshes in {secs} s: faster than the tokens need");
    drop(rt);
}
