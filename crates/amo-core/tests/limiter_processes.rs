//! One limit for every process, and for every desk (amocrm::budget), against a simulator that
//! enforces amoCRM's 7 requests per second and bans after repeated 429s:
//! - one desk: a window's outbox worker and three CLI-like processes listing 600 leads again and
//!   again and adding leads, all at once — no 429 at all, never more than 6 in a second;
//! - three desks (three data directories, as three colleagues' machines) on one account: every
//!   process finishes, the account is not banned, and the 429s stop once each desk has halved
//!   its rate.
//!
//! Each test prints the highest number of requests the simulator saw in one second and the
//! 429s it answered; `scripts/bench.sh` shows those figures.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use amo_core::domain::draft::{ContactDraft, LeadDraft};
use amo_core::AmoConnect;
use amo_sim::{Decision, SimConfig, Simulator};
use common::FileStore;

const CHILD_ENV: &str = "AMO_TEST_LIMITER_CHILD";
/// The two tests run one after the other: each measures its own simulator, and neither should
/// slow the other's processes down (the figures are about the limiter, not the machine).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
/// Lists and leads per child process.
const LISTS: usize = 4;
const LEADS: usize = 2;

fn lead(name: &str) -> LeadDraft {
    LeadDraft {
        name: name.into(),
        contact: Some(ContactDraft { first_name: "Pavel".into(), ..Default::default() }),
        note: "ordered by phone".into(),
        ..Default::default()
    }
}

/// What a CLI user does: `lead list --limit 600` a few times, then `lead add` and wait.
async fn cli_work(app: &AmoConnect, who: &str) {
    for _ in 0..LISTS {
        let leads = app.list_leads(600).await.expect("the list finishes despite other processes");
        assert_eq!(leads.len(), 600);
    }
    for i in 0..LEADS {
        let q = app.queue_lead(&lead(&format!("{who} {i}"))).expect("queue");
        app.wait_for_entry(q.id, Duration::from_secs(120)).await.expect("sent");
    }
}

/// The child side (ignored in normal runs; the parent starts this test binary again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "started as a child process by the tests below"]
async fn limiter_child_process() {
    let spec = std::env::var(CHILD_ENV).expect("child spec");
    let mut parts = spec.split('|');
    let (data, store, server, who) =
        (parts.next().expect("d"), parts.next().expect("s"), parts.next().expect("u"), parts.next().expect("w"));
    let app = common::open(Path::new(data), Arc::new(FileStore(PathBuf::from(store))), server);
    cli_work(&app, who).await;
}

fn spawn_child(data: &Path, store: &Path, server: &str, who: &str) -> std::process::Child {
    std::process::Command::new(std::env::current_exe().expect("exe"))
        .args(["limiter_child_process", "--exact", "--ignored", "--test-threads=1"])
        .env(CHILD_ENV, format!("{}|{}|{}|{who}", data.display(), store.display(), server))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn child")
}

async fn finish(children: Vec<std::process::Child>) {
    for c in children {
        let out = tokio::task::spawn_blocking(move || c.wait_with_output()).await.expect("join").expect("wait");
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("1 passed"),
            "a process failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// amoCRM's real limit (7 per second) and a ban after 20 429s in a minute.
async fn strict_sim() -> Simulator {
    let redirect_uri = format!("http://127.0.0.1:{}/callback", common::free_port());
    let sim = Simulator::start(
        SimConfig { redirect_uri, decision: Decision::Approve, rate_limit_per_sec: 7, ..SimConfig::default() },
        0,
    )
    .await
    .expect("sim");
    sim.seed_leads(600, "Seeded");
    sim
}

/// A desk: its own data directory and keychain, connected to `sim`.
async fn desk(sim: &Simulator, root: &Path, name: &str) -> (PathBuf, PathBuf, AmoConnect) {
    let (data, keys) = (root.join(name).join("data"), root.join(name).join("keychain"));
    std::fs::create_dir_all(&keys).expect("mkdir");
    let app = common::connect_desk(sim, Arc::new(FileStore(keys.clone())), &data).await;
    (data, keys, app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_and_three_cli_processes_on_one_desk_never_meet_a_429() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let sim = strict_sim().await;
    let (data, keys, window) = desk(&sim, tmp.path(), "desk").await;
    let before = sim.stats();
    let started = Instant::now();
    // The window's worker drains what its user typed while three CLI processes run.
    let typed: Vec<_> = (0..6).map(|i| window.queue_lead(&lead(&format!("window {i}"))).expect("queue")).collect();
    let children: Vec<_> = (0..3).map(|i| spawn_child(&data, &keys, &sim.url(), &format!("cli {i}"))).collect();
    for q in &typed {
        window.wait_for_entry(q.id, Duration::from_secs(120)).await.expect("the window's lead is sent");
    }
    finish(children).await;
    let s = sim.stats();
    println!(
        "limiter (a) one desk, window worker + 3 CLI processes: {} requests in {:.1} s, highest second {}, 429s {}",
        s.api_requests - before.api_requests,
        started.elapsed().as_secs_f64(),
        s.max_requests_per_second,
        s.rate_limited - before.rate_limited
    );
    assert_eq!(s.rate_limited, before.rate_limited, "no 429 for one desk");
    // The budget grants 6 per 1.2 s; what the server counts per second also carries each
    // request's trip through a loaded machine, so the figure (printed above and by the bench,
    // 6 on an idle machine) is not asserted to the request — only that amoCRM's limit held.
    assert!(s.max_requests_per_second <= 7, "highest second {}", s.max_requests_per_second);
    assert_eq!(sim.leads().len(), 600 + 6 + 3 * LEADS, "every lead once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_desks_on_one_account_all_finish_and_are_not_banned() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let sim = strict_sim().await;
    let mut desks = Vec::new();
    for name in ["anna", "boris", "vera"] {
        desks.push(desk(&sim, tmp.path(), name).await);
    }
    let before = sim.stats();
    let started = Instant::now();
    let children: Vec<_> = desks
        .iter()
        .enumerate()
        .map(|(i, (data, keys, _))| spawn_child(data, keys, &sim.url(), &format!("desk {i}")))
        .collect();
    finish(children).await;
    let s = sim.stats();
    println!(
        "limiter (b) three desks on one account: {} requests in {:.1} s, highest second {}, 429s {}, banned {}",
        s.api_requests - before.api_requests,
        started.elapsed().as_secs_f64(),
        s.max_requests_per_second,
        s.rate_limited - before.rate_limited,
        sim.is_banned()
    );
    assert!(!sim.is_banned(), "the account was banned");
    assert_eq!(sim.leads().len(), 600 + 3 * LEADS, "every lead once");
}
