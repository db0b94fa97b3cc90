//! The copy of the account's people, measured (scripts/bench.sh runs this in release mode; not a
//! test: numbers, not pass/fail). Against the simulator at amoCRM's real limit of 7 requests per
//! second, in one run, each figure beside a baseline measured in the same run:
//!
//! - sync: the first full sync of 50 000 contacts (`AmoConnect::sync_people(true, …)`), pages per
//!   second, beside the rate the app's own limiter grants when answers take no time at all — the
//!   ceiling a sync could reach. The limiter is the per-process one (`amocrm::limiter`:
//!   `DEFAULT_PER_SECOND` = 5 in any 1.1 s) in front of the budget every process on the data
//!   directory shares (`amocrm::budget`: `CEILING` = 6 in any `WINDOW_MS` = 1.2 s, i.e. 5/s), so
//!   the measured ceiling is about 5 / 1.1 s = 4.55 requests/s. Also the 429s the simulator
//!   answered and the most requests it saw in one second.
//! - lookup: p50 and p95 of `find_customer(phone, offline = true)` in-process for random seeded
//!   numbers, at 50 000 contacts, beside the same at 1 000 contacts (so the ratio shows how the
//!   lookup grows with the copy). With `--cli PATH`: the whole process time of
//!   `PATH contact find NUMBER --offline` (median of 20) beside `PATH --version` (the bare process).
//! - disk: the SQLite file (and its WAL, if any is left) after the sync and the app closed, beside
//!   a freshly opened empty database.
//!
//! Output: `key=value` lines on stdout (scripts/bench.sh reads them); progress on stderr.
//!
//!   cargo run --release -p amo-core --example people_bench -- [--cli target/release/amo-connect]
//!     [--contacts 50000] [--lookups 500]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use amo_core::amocrm::budget::SharedBudget;
use amo_core::amocrm::endpoints::Endpoints;
use amo_core::amocrm::limiter::{RateLimiter, DEFAULT_PER_SECOND};
use amo_core::domain::people::CopyStatus;
use amo_core::domain::settings::SettingsPatch;
use amo_core::keychain::memory::MemoryStore;
use amo_core::paths::DataDir;
use amo_core::AmoConnect;
use amo_sim::{Decision, SimConfig, Simulator, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};
use rand::{Rng, SeedableRng};

/// The first seeded number: +7 900 000-00-00 and up.
const FIRST_PHONE: u64 = 9_000_000_000;
/// The small copy the lookup is compared with.
const SMALL: usize = 1_000;
/// Grants taken from a bare limiter to measure its ceiling: 1 + 8 windows of 5.
const CEILING_GRANTS: usize = 41;
const CLI_RUNS: usize = 20;

struct Args {
    contacts: usize,
    lookups: usize,
    cli: Option<PathBuf>,
    /// Keep the big copy's data directory here (the window's card and memory are measured on
    /// it by scripts/bench.sh).
    keep: Option<PathBuf>,
}

fn args() -> Args {
    let mut a = Args { contacts: 50_000, lookups: 500, cli: None, keep: None };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--contacts" => a.contacts = v().parse().expect("--contacts N"),
            "--lookups" => a.lookups = v().parse().expect("--lookups N"),
            "--cli" => a.cli = Some(PathBuf::from(v())),
            "--keep" => a.keep = Some(PathBuf::from(v())),
            _ => panic!("unknown argument {k}"),
        }
    }
    a
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// A simulator at amoCRM's real 7 requests/s with `contacts` seeded, and an app in `data`
/// connected to it over loopback (as crates/amo-core/tests/common/mod.rs connects one).
async fn connected(data: &Path, contacts: usize) -> (Simulator, AmoConnect) {
    let redirect_uri = format!("http://127.0.0.1:{}/callback", free_port());
    let cfg = SimConfig {
        redirect_uri: redirect_uri.clone(),
        decision: Decision::Approve,
        rate_limit_per_sec: 7,
        ..SimConfig::default()
    };
    let sim = Simulator::start(cfg, 0).await.expect("sim");
    sim.seed_contacts(contacts, FIRST_PHONE);
    let app = AmoConnect::open(
        DataDir::at(data).expect("data"),
        Arc::new(MemoryStore::new()),
        Endpoints::with_override(&sim.url()).expect("endpoints"),
    )
    .expect("app");
    app.save_settings(SettingsPatch {
        client_id: Some(DEMO_CLIENT_ID.into()),
        redirect_uri: Some(redirect_uri),
        client_secret: Some(DEMO_CLIENT_SECRET.into()),
        ..Default::default()
    })
    .await
    .expect("settings");
    let pending = loop {
        match app.start_connect().await {
            Ok(p) => break p,
            // The port was taken since it was picked: another one, in the app and the simulator.
            Err(e) if e.code().as_str() == "port_in_use" => {
                let uri = format!("http://127.0.0.1:{}/callback", free_port());
                sim.set_redirect_uri(&uri);
                app.save_settings(SettingsPatch { redirect_uri: Some(uri), ..Default::default() })
                    .await
                    .expect("settings");
            }
            Err(e) => panic!("connect: {e:?}"),
        }
    };
    let url = pending.authorize_url().to_string();
    let browser = tokio::spawn(async move { reqwest::get(url).await.map(|r| r.status().as_u16()) });
    assert!(pending.wait(Duration::from_secs(30)).await.expect("connected").connected);
    assert_eq!(browser.await.expect("join").expect("browse"), 200);
    (sim, app)
}

fn phone(i: usize) -> String {
    format!("+7{:010}", FIRST_PHONE + i as u64)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// p50 and p95 (ms) of `n` offline lookups of random numbers among the first `contacts` seeded;
/// every one must find exactly its contact.
async fn lookups(app: &AmoConnect, contacts: usize, n: usize, seed: u64) -> (f64, f64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    // A few untimed lookups first: SQLite's statement cache and the page cache warm up.
    for _ in 0..10 {
        app.find_customer(&phone(rng.gen_range(0..contacts)), true).await.expect("warm-up");
    }
    let mut ms = Vec::with_capacity(n);
    for _ in 0..n {
        let number = phone(rng.gen_range(0..contacts));
        let t = Instant::now();
        let found = app.find_customer(&number, true).await.expect("find");
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(found.customers.len(), 1, "{number}: {found:?}");
    }
    ms.sort_by(f64::total_cmp);
    (percentile(&ms, 50.0), percentile(&ms, 95.0))
}

/// Bytes of the database file and of its WAL and shared-memory files, if any are left.
fn db_bytes(data: &Path) -> (u64, u64) {
    let db = DataDir::at(data).expect("data").db_path();
    let size = |p: PathBuf| std::fs::metadata(p).map_or(0, |m| m.len());
    let mut side = db.clone().into_os_string();
    side.push("-wal");
    let mut shm = db.clone().into_os_string();
    shm.push("-shm");
    (size(db), size(PathBuf::from(side)) + size(PathBuf::from(shm)))
}

/// The rate (grants per second, steady state) the app's limiter and a fresh shared budget give
/// requests answered at once: the first grant to the last, over the grants between.
async fn limiter_ceiling(dir: &Path) -> f64 {
    let limiter = RateLimiter::with_budget(DEFAULT_PER_SECOND, SharedBudget::at(dir.join("amocrm-budget")));
    let mut first = None;
    let mut last = Instant::now();
    for _ in 0..CEILING_GRANTS {
        let g = limiter.acquire().await;
        last = Instant::now();
        first.get_or_insert(last);
        limiter.finished(g);
    }
    let first = first.expect("a grant");
    (CEILING_GRANTS - 1) as f64 / (last - first).as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    percentile(&v, 50.0)
}

/// Median milliseconds of the whole process `cli args…` on data directory `data`, for `--version`
/// and for an offline `contact find` of random seeded numbers, alternating (drift on the machine
/// hits both alike).
fn cli_times(cli: &Path, data: &Path, contacts: usize) -> (f64, f64) {
    let run = |args: &[&str]| -> f64 {
        let t = Instant::now();
        let out = Command::new(cli)
            .args(args)
            .env("AMO_CONNECT_DATA_DIR", data)
            .env("AMO_CONNECT_LANG", "en")
            .env_remove("AMO_CONNECT_SERVER")
            .stdin(Stdio::null())
            .output()
            .expect("run the CLI");
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        assert!(
            out.status.success() && !out.stdout.is_empty(),
            "{} {args:?}: {}{}",
            cli.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        ms
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    // Warm the page cache for the binary and the database.
    run(&["--version"]);
    run(&["contact", "find", &phone(0), "--offline"]);
    let (mut version, mut found) = (Vec::new(), Vec::new());
    for _ in 0..CLI_RUNS {
        version.push(run(&["--version"]));
        found.push(run(&["contact", "find", &phone(rng.gen_range(0..contacts)), "--offline"]));
    }
    (median(version), median(found))
}

fn quiet(_: &CopyStatus) {}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let a = args();
    let tmp = tempfile::tempdir().expect("tmp");
    let say = |what: &str| eprintln!("people_bench: {what}");

    // (a) baseline: the ceiling the app's limiter grants, nothing else running.
    say("measuring the limiter's ceiling (about 9 s)");
    let ceiling = limiter_ceiling(tmp.path()).await;

    // (c) baseline: a freshly opened empty database, closed.
    let empty_dir = tmp.path().join("empty");
    drop(
        AmoConnect::open(
            DataDir::at(&empty_dir).expect("data"),
            Arc::new(MemoryStore::new()),
            Endpoints::with_override("http://127.0.0.1:9").expect("endpoints"),
        )
        .expect("empty app"),
    );
    let (empty_db, empty_side) = db_bytes(&empty_dir);

    // (b) baseline: lookups in a copy of 1 000.
    say(&format!("syncing a copy of {SMALL} contacts"));
    let small_dir = tmp.path().join("small");
    let (small_sim, small) = connected(&small_dir, SMALL).await;
    small.sync_people(true, &quiet).await.expect("small sync");
    let (small_p50, small_p95) = lookups(&small, SMALL, a.lookups, 1).await;
    drop(small);
    drop(small_sim);

    // (a) the first sync of the big copy.
    say(&format!("syncing a copy of {} contacts at 7 requests/s (about a minute)", a.contacts));
    let big_dir = tmp.path().join("big");
    let (sim, app) = connected(&big_dir, a.contacts).await;
    // Let the connect's requests leave the limiter's window, as for the ceiling's first grant.
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let before = sim.stats();
    let started = Instant::now();
    let report = app.sync_people(true, &quiet).await.expect("sync");
    let secs = started.elapsed().as_secs_f64();
    let after = sim.stats();
    let status = app.people_status().expect("status");
    assert_eq!(status.contacts, a.contacts as i64, "{status:?}");

    // (b) lookups in the big copy.
    say(&format!("{} lookups", a.lookups));
    let (p50, p95) = lookups(&app, a.contacts, a.lookups, 2).await;

    // (c) the file once the app has closed it (the last connection checkpoints the WAL).
    drop(app);
    let (big_db, big_side) = db_bytes(&big_dir);

    let cli = a.cli.as_ref().map(|cli| {
        say(&format!("timing {} ({CLI_RUNS} runs each)", cli.display()));
        cli_times(cli, &big_dir, a.contacts)
    });
    drop(sim);
    if let Some(keep) = &a.keep {
        std::fs::create_dir_all(keep).expect("keep dir");
        for e in std::fs::read_dir(&big_dir).expect("big dir").flatten() {
            if e.path().is_file() {
                std::fs::copy(e.path(), keep.join(e.file_name())).expect("keep the copy");
            }
        }
        println!("people_kept={}", keep.display());
    }

    println!("people_contacts={}", a.contacts);
    println!("people_companies={}", status.companies);
    println!("people_open_leads={}", status.open_leads);
    println!("people_ceiling_rps={ceiling:.3}");
    println!("people_sync_pages={}", report.pages);
    println!("people_sync_requests={}", after.api_requests - before.api_requests);
    println!("people_sync_s={secs:.1}");
    println!("people_sync_pps={:.3}", report.pages as f64 / secs);
    println!("people_sync_429s={}", after.rate_limited - before.rate_limited);
    println!("people_sync_max_second={}", after.max_requests_per_second);
    println!("people_lookups={}", a.lookups);
    println!("people_lookup_small_p50_ms={small_p50:.3}");
    println!("people_lookup_small_p95_ms={small_p95:.3}");
    println!("people_lookup_p50_ms={p50:.3}");
    println!("people_lookup_p95_ms={p95:.3}");
    if let Some((version, find)) = cli {
        println!("people_cli_version_ms={version:.1}");
        println!("people_cli_find_ms={find:.1}");
    }
    println!("people_db_empty_bytes={}", empty_db + empty_side);
    println!("people_db_bytes={}", big_db + big_side);
    println!("people_db_wal_bytes={big_side}");
    println!("people_copy_estimate_bytes={}", status.bytes);
}
