//! The in-process CLI harness the CLI's tests share: a simulator that approves sign-ins by
//! itself, a data directory connected to it (or not), `amo_cli::run` with captured output, and
//! requests to the simulator as amoCRM's API would take them (to set up what a test reads).

#![allow(dead_code)] // each test file uses its own part of the harness

use std::ffi::OsString;
use std::io::{BufReader, Cursor};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use amo_core::amocrm::endpoints::Endpoints;
use amo_core::domain::settings::SettingsPatch;
use amo_core::keychain::memory::MemoryStore;
use amo_core::keychain::SecretStore;
use amo_core::paths::DataDir;
use amo_core::AmoConnect;
use amo_sim::{Decision, SimConfig, Simulator, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};
use serde_json::Value;

#[derive(Clone, Default)]
pub struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub struct Desk {
    pub dir: tempfile::TempDir,
    pub store: Arc<MemoryStore>,
    pub sim: Simulator,
    // Keeps the simulator serving between the CLI's own runtimes.
    pub rt: tokio::runtime::Runtime,
}

/// One command's exit code and output.
pub struct Run {
    pub code: i32,
    pub out: String,
    pub err: String,
}

impl Desk {
    /// A simulator that approves by itself, and a data directory connected to it (`connect`
    /// false: a data directory that never connected).
    pub fn new(connect: bool) -> Desk {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("p").local_addr().expect("a").port();
        let redirect_uri = format!("http://127.0.0.1:{port}/callback");
        let cfg = SimConfig {
            redirect_uri: redirect_uri.clone(),
            decision: Decision::Approve,
            rate_limit_per_sec: 100_000,
            ..SimConfig::default()
        };
        let sim = rt.block_on(Simulator::start(cfg, 0)).expect("sim");
        let (dir, store) = (tempfile::tempdir().expect("tmp"), Arc::new(MemoryStore::new()));
        let s: Arc<dyn SecretStore> = store.clone();
        let app =
            AmoConnect::open(DataDir::at(dir.path()).expect("d"), s, Endpoints::with_override(&sim.url()).expect("e"))
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
            if connect {
                let pending = app.start_connect().await.expect("start");
                let url = pending.authorize_url().to_string();
                let browser = tokio::spawn(async move { reqwest::get(url).await.map(|r| r.status().as_u16()) });
                assert!(pending.wait(Duration::from_secs(30)).await.expect("connected").connected);
                browser.await.expect("join").expect("browse");
            }
        });
        Desk { dir, store, sim, rt }
    }

    /// `amo-connect ARGS…` on this desk's data directory, in-process.
    pub fn run(&self, args: &[&str]) -> Run {
        let argv: Vec<OsString> =
            std::iter::once("amo-connect").chain(args.iter().copied()).map(OsString::from).collect();
        let (out, err) = (Sink::default(), Sink::default());
        let mut input = BufReader::new(Cursor::new(Vec::new()));
        let s: Arc<dyn SecretStore> = self.store.clone();
        let server = self.sim.url();
        let code = amo_cli::run(argv, &mut input, false, &mut out.clone(), &mut err.clone(), || {
            AmoConnect::open(DataDir::at(self.dir.path())?, s, Endpoints::with_override(&server)?)
        });
        let text = |s: &Sink| String::from_utf8(s.0.lock().expect("lock").clone()).expect("utf8");
        Run { code, out: text(&out), err: text(&err) }
    }

    /// A request as amoCRM's API would take it; the JSON answer.
    pub fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let token = self.sim.issue_long_lived(3600);
        let url = format!("{}{path}", self.sim.url());
        self.rt.block_on(async {
            let r = reqwest::Client::new()
                .request(method, url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("request");
            assert!(r.status().is_success(), "{path}: {}", r.status());
            r.json().await.expect("json")
        })
    }

    /// Adds tasks as amoCRM's API would (`POST /api/v4/tasks`); their ids in order.
    pub fn add_tasks(&self, tasks: Value) -> Vec<i64> {
        let v = self.call(reqwest::Method::POST, "/api/v4/tasks", tasks);
        v["_embedded"]["tasks"].as_array().expect("tasks").iter().map(|t| t["id"].as_i64().expect("id")).collect()
    }
}

/// Messages and labels in English, whatever the machine's locale (every test that reads them
/// sets the same).
pub fn english() {
    std::env::set_var("AMO_CONNECT_LANG", "en");
}
