//! The crash test: a process sending the outbox is killed (SIGKILL) at random moments, over and
//! over, while the simulator answers slowly, fails now and then, drops answers after acting, and a
//! Salesbot renames every new lead at once. Meanwhile a second desk — a colleague signed in as
//! another user — types a lead of the same name and price in the same second, round after round.
//! Afterwards every lead of each desk is in amoCRM exactly once, with its contact and exactly one
//! note and one follow-up task; neither desk took the other's lead for its own. Contacts typed
//! alone with a new company, queued between the leads, are each there once, in their one company.
//! Calls logged between them — a known customer's, an unknown caller's (an incoming lead) — are
//! each in amoCRM once (amoCRM does not de-duplicate calls: the app's own id does). Changes of
//! tasks (done with a result) and of leads (a new price and a tag) that amoCRM already has are
//! queued among them: each is sent to amoCRM exactly once (a `PATCH` found after a lost answer
//! is not sent again), and none is taken for a conflict with itself.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;

mod common;

use amo_core::domain::change::{LeadChangeDraft, TaskChangeDraft};
use amo_core::domain::draft::{CallDirection, CallDraft, CompanyDraft, ContactDraft, LeadDraft};
use amo_core::domain::task::TaskDraft;
use amo_core::keychain::memory::MemoryStore;
use amo_core::outbox::RetryTiming;
use amo_core::AmoConnect;
use amo_sim::{Faults, SimConfig};
use common::FileStore;

const CHILD_ENV: &str = "AMO_TEST_OUTBOX_CHILD";
const KILLS: usize = 60;
/// Leads (each with an open task) that the changes among the kills change.
const UPDATES: usize = 10;

fn lead(i: usize) -> LeadDraft {
    LeadDraft {
        name: format!("Kill test {i}"),
        price: format!("{}", 100 * i),
        contact: Some(ContactDraft {
            first_name: format!("Client {i}"),
            phones: vec![format!("+7 900 {:03} {:02} {:02}", i, i % 100, (i * 7) % 100)],
            ..Default::default()
        }),
        note: format!("Note for {i}"),
        task: Some(TaskDraft { text: format!("Call back {i}"), due: "+1d".into(), ..Default::default() }),
        ..Default::default()
    }
}

/// A contact typed alone, with a new company (three requests: contact, company, link).
fn lone_contact(i: usize) -> ContactDraft {
    ContactDraft {
        first_name: format!("Lone client {i}"),
        company: Some(CompanyDraft { name: format!("Kill test company {i}"), ..Default::default() }),
        ..Default::default()
    }
}

/// A call to log: a known customer's (`known`), or an unknown caller's, who becomes an incoming lead.
fn call(i: usize, known: bool) -> CallDraft {
    CallDraft {
        phone: if known {
            "+7 915 000-11-22".into()
        } else {
            format!("+7 901 {:03} {:02} {:02}", i, i % 100, (i * 3) % 100)
        },
        direction: CallDirection::Inbound,
        duration_secs: 60,
        uniq: format!("kill-call-{i}-{known}"),
        ..Default::default()
    }
}

fn open(data: &Path, store: &Path, server: &str) -> AmoConnect {
    let app = common::open(data, Arc::new(FileStore(store.to_path_buf())), server);
    app.set_retry_timing(RetryTiming { base: Duration::from_millis(10), max: Duration::from_millis(100) });
    app
}

/// The child: sends the outbox until nothing waits. Started (and killed) by the parent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "started as a child process by every_lead_is_in_amocrm_exactly_once_after_sixty_kills"]
async fn outbox_child_process() {
    let spec = std::env::var(CHILD_ENV).expect("child spec");
    let mut parts = spec.split('|');
    let (data, store, server) =
        (parts.next().expect("data"), parts.next().expect("store"), parts.next().expect("server"));
    let app = open(Path::new(data), Path::new(store), server);
    loop {
        let wait = app.outbox_pass().await;
        if app.outbox_summary().expect("summary").queued == 0 {
            return;
        }
        tokio::time::sleep(wait.min(Duration::from_millis(50))).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_lead_is_in_amocrm_exactly_once_after_sixty_kills() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (data, store_dir) = (tmp.path().join("data"), tmp.path().join("keychain"));
    std::fs::create_dir_all(&store_dir).expect("mkdir");
    let (sim, _connected) = common::connected_with(
        SimConfig { rate_limit_per_sec: 100_000, ..SimConfig::default() },
        Arc::new(FileStore(store_dir.clone())),
        &data,
    )
    .await;
    // The parent only queues, as the window's form does; children send.
    let queuer = open(&data, &store_dir, &sim.url());
    sim.seed_contact("Known", "Caller", Some("+79150001122"), None);
    // What the changes change: leads and their open tasks amoCRM already has.
    // Each desk changes its own half (both desks queue as many entries, so their seconds stay in step).
    sim.seed_leads(2 * UPDATES, "Update target ");
    let targets: Vec<amo_sim::SimLead> =
        sim.leads().into_iter().filter(|l| l.name.starts_with("Update target ")).collect();
    let token = queuer.access().await.expect("token").token.expose().to_string();
    let due = amo_core::clock::now() + 7 * 86_400;
    let body: Vec<serde_json::Value> = targets
        .iter()
        .map(|l| {
            serde_json::json!({"text": format!("Update task {}", l.id), "complete_till": due,
                                    "entity_type": "leads", "entity_id": l.id})
        })
        .collect();
    let posted = reqwest::Client::new()
        .post(format!("{}/api/v4/tasks", sim.url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("tasks");
    assert!(posted.status().is_success());
    let target_tasks: Vec<amo_sim::SimTask> =
        sim.tasks().into_iter().filter(|t| t.text.starts_with("Update task ")).collect();
    assert_eq!((targets.len(), target_tasks.len()), (2 * UPDATES, 2 * UPDATES));
    let mut changes = 0;
    // The colleague's desk, signed in as another user, sending as it goes.
    let colleague = SimConfig::default().user_id + 1;
    sim.sign_in_as(colleague);
    let desk_b = Arc::new(common::connect_desk(&sim, Arc::new(MemoryStore::new()), &tmp.path().join("desk-b")).await);
    desk_b.set_retry_timing(RetryTiming { base: Duration::from_millis(10), max: Duration::from_millis(100) });
    let sender_b = {
        let b = desk_b.clone();
        tokio::spawn(async move {
            loop {
                let wait = b.outbox_pass().await;
                tokio::time::sleep(wait.min(Duration::from_millis(50))).await;
            }
        })
    };
    sim.set_faults(Faults {
        delay_ms: 60,
        drop_after_percent: 15,
        fail_percent: 5,
        bot_renames: true,
        ..Faults::default()
    });
    let me = std::env::current_exe().expect("exe");
    let spec = format!("{}|{}|{}", data.display(), store_dir.display(), sim.url());
    let mut queued = 0;
    let mut lone = 0;
    let mut calls: Vec<String> = Vec::new();
    let mut calls_b: Vec<String> = Vec::new();
    let mut unknown_callers = 0;
    let mut killed_running = 0;
    for round in 0..KILLS {
        if round % 3 == 0 {
            common::at_the_start_of_a_second().await;
        }
        for _ in 0..rand::thread_rng().gen_range(1..=2) {
            queuer.queue_lead(&lead(queued)).expect("queue");
            // The colleague, the same second, the same name and price, another customer.
            let mut twin = lead(queued);
            twin.contact =
                Some(ContactDraft { first_name: format!("Colleague's client {queued}"), ..Default::default() });
            twin.note = String::new();
            twin.task = None;
            desk_b.queue_lead(&twin).expect("queue b");
            if queued % 6 == 0 {
                // Both desks, so their seconds stay in step: the same company name, the same
                // second, each desk's own company.
                queuer.queue_contact(&lone_contact(lone)).expect("queue contact");
                let mut twin = lone_contact(lone);
                twin.first_name = format!("Colleague's lone client {lone}");
                desk_b.queue_contact(&twin).expect("queue contact b");
                lone += 1;
            }
            if queued % 3 == 0 {
                let known = queued % 2 == 0;
                queuer.log_call(&call(queued, known)).expect("log call");
                calls.push(call(queued, known).uniq);
                // The colleague logs a call of theirs the same second (keeps the desks in step).
                let theirs = CallDraft { uniq: format!("kill-call-b-{queued}"), ..call(queued, true) };
                desk_b.log_call(&theirs).expect("log call b");
                calls_b.push(theirs.uniq);
                unknown_callers += usize::from(!known);
            }
            if queued % 4 == 1 && changes < UPDATES {
                for (desk, k) in [(&queuer, changes), (&*desk_b, UPDATES + changes)] {
                    let (l, t) = (&targets[k], &target_tasks[k]);
                    desk.queue_task_change(&TaskChangeDraft {
                        task_id: t.id,
                        title: t.text.clone(),
                        seen_updated_at: t.updated_at.max(t.created_at),
                        done: true,
                        result: format!("Done {k}"),
                        ..Default::default()
                    })
                    .expect("queue a task change");
                    desk.queue_lead_change(&LeadChangeDraft {
                        lead_id: l.id,
                        lead_name: l.name.clone(),
                        seen_updated_at: l.updated_at.max(l.created_at),
                        seen_pipeline_id: l.pipeline_id,
                        price: (7_000 + k).to_string(),
                        tags_to_add: vec!["changed".into()],
                        ..Default::default()
                    })
                    .expect("queue a lead change");
                }
                changes += 1;
            }
            queued += 1;
        }
        let mut child = std::process::Command::new(&me)
            .args(["outbox_child_process", "--exact", "--ignored", "--test-threads=1"])
            .env(CHILD_ENV, &spec)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn child");
        let ms = rand::thread_rng().gen_range(30..450);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        if child.try_wait().expect("try_wait").is_none() {
            killed_running += 1;
        }
        child.kill().expect("kill");
        let status = tokio::task::spawn_blocking(move || child.wait()).await.expect("join").expect("wait");
        assert!(status.code().is_none() || status.success(), "round {round}: child failed: {status:?}");
    }
    // The last sender runs to the end (faults still on, then healed).
    let mut finisher = std::process::Command::new(&me)
        .args(["outbox_child_process", "--exact", "--ignored", "--test-threads=1"])
        .env(CHILD_ENV, &spec)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn finisher");
    tokio::time::sleep(Duration::from_secs(2)).await;
    sim.set_faults(Faults::default());
    let out = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        while finisher.try_wait().expect("try_wait").is_none() {
            if std::time::Instant::now() > deadline {
                let _ = finisher.kill();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        finisher.wait_with_output()
    })
    .await
    .expect("join")
    .expect("finisher");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while desk_b.outbox_summary().expect("b").queued > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sender_b.abort();

    let summary = queuer.outbox_summary().expect("summary");
    assert_eq!(
        (summary.queued, summary.attention, summary.sent as usize),
        (0, 0, queued + lone + calls.len() + 2 * changes)
    );
    let summary_b = desk_b.outbox_summary().expect("summary b");
    assert_eq!(
        (summary_b.queued, summary_b.attention, summary_b.sent as usize),
        (0, 0, queued + lone + calls_b.len() + 2 * changes)
    );
    let me = SimConfig::default().user_id;
    assert!(changes >= UPDATES / 2, "too few changes queued ({changes})");
    let changed = (0..changes).chain(UPDATES..UPDATES + changes);
    for (i, l) in changed.map(|k| (k, &targets[k])) {
        let now = sim.leads().into_iter().find(|x| x.id == l.id).expect("lead");
        assert_eq!((now.api_changes, now.price), (1, 7_000 + i as i64), "lead {}: changed once", l.id);
        assert!(now.tags.iter().any(|t| t == "changed"));
        let t = sim.tasks().into_iter().find(|x| x.id == target_tasks[i].id).expect("task");
        assert_eq!(t.api_changes, 1, "task {}: changed once", t.id);
        assert!(t.is_completed && t.result_text == Some(format!("Done {i}")));
    }
    let targeted = |id: i64| targets.iter().any(|l| l.id == id);
    let leads: Vec<_> = sim.leads().into_iter().filter(|l| !targeted(l.id)).collect();
    let notes: Vec<_> = sim.notes().into_iter().filter(|n| n.note_type == "common").collect();
    let tasks: Vec<_> = sim.tasks().into_iter().filter(|t| !t.entity_id.is_some_and(targeted)).collect();
    let call_notes = sim.calls();
    for uniq in calls.iter().chain(&calls_b) {
        let n = call_notes.iter().filter(|c| c.uniq() == Some(uniq.as_str())).count();
        assert_eq!(n, 1, "call {uniq} is in amoCRM {n} times");
    }
    assert_eq!(call_notes.len(), calls.len() + calls_b.len(), "no stray calls");
    let mut same_second = 0;
    for i in 0..queued {
        // The Salesbot renamed every lead that arrived before the faults were healed.
        let name = format!("Kill test {i}");
        let is = |l: &&amo_sim::SimLead| l.name == name || l.name == format!("{name} — бот");
        let ours: Vec<_> = leads.iter().filter(|l| is(l) && l.created_by == me).collect();
        let theirs: Vec<_> = leads.iter().filter(|l| is(l) && l.created_by == colleague).collect();
        assert_eq!(
            (ours.len(), theirs.len()),
            (1, 1),
            "{name}: in amoCRM {} times for us, {} for the colleague",
            ours.len(),
            theirs.len()
        );
        assert_eq!(notes.iter().filter(|n| n.entity_id == ours[0].id).count(), 1, "{name}: one note");
        assert_eq!(tasks.iter().filter(|t| t.entity_id == Some(ours[0].id)).count(), 1, "{name}: one task");
        assert_eq!(ours[0].contact_ids.len(), 1);
        same_second += usize::from(ours[0].created_at == theirs[0].created_at);
    }
    let (contacts, companies) = (sim.contacts(), sim.companies());
    for i in 0..lone {
        for (who, name) in [(me, format!("Lone client {i}")), (colleague, format!("Colleague's lone client {i}"))] {
            let c: Vec<_> = contacts.iter().filter(|c| c.first_name == name).collect();
            let co: Vec<_> = companies
                .iter()
                .filter(|c| c.name == format!("Kill test company {i}") && c.created_by == who)
                .collect();
            assert_eq!((c.len(), co.len()), (1, 1), "{name}: {} contacts, {} companies", c.len(), co.len());
            assert_eq!(c[0].company_id, Some(co[0].id), "{name} is in its desk's company");
        }
    }
    assert_eq!(companies.len(), 2 * lone, "no stray companies");
    // An unknown caller becomes an incoming lead with a contact; the known caller was seeded.
    assert_eq!(leads.len(), 2 * queued + unknown_callers, "no stray leads");
    assert_eq!(contacts.len(), 2 * (queued + lone) + 1 + unknown_callers, "no stray contacts");
    assert_eq!(notes.len(), queued, "no stray notes");
    assert_eq!(tasks.len(), queued, "no stray tasks");
    assert!(same_second >= queued / 3, "the desks must often collide in one second ({same_second} of {queued})");

    let renamed = leads.iter().filter(|l| l.name.ends_with(" — бот")).count();
    // Leads sent after the faults were healed keep their names; a sixth of them at least must
    // have met the bot for the test to mean anything (the changes among them take their share
    // of the sending time: 39 of 180 on a busy 2-core machine).
    assert!(renamed >= queued / 3, "too few leads were renamed by the bot ({renamed} of {})", 2 * queued);
    let s = sim.stats();
    println!(
        "kill test: {KILLS} kills ({killed_running} while the sender was running), {queued} leads queued on each of \
         two desks ({same_second} pairs in the same second, {renamed} leads renamed by a bot), {} in amoCRM, each \
         once with one contact (and ours with one note and one task: {} tasks); {lone} contacts with a new company, \
         on each desk, each once in its own company; {} calls ({unknown_callers} from unknown callers, now \
         incoming leads), each once; {} task changes and as many lead changes on the two desks, each sent once \
         ({} PATCHes of tasks, {} of leads); {} complex requests, {} answers dropped or failed",
        leads.len(),
        tasks.len(),
        calls.len() + calls_b.len(),
        2 * changes,
        s.tasks_changed,
        s.leads_changed,
        s.complex_requests,
        s.faults_injected
    );
    assert!(killed_running >= 50, "at least 50 kills must hit a running sender ({killed_running})");
}
