//! "My tasks" against the simulator (issue 21, docs/amocrm-api.md §18.1): the connected user's
//! open tasks — not a colleague's, not done ones — or everyone's with `all`, read 250 a page
//! (204: none), each in its pile by the account's time zone (the simulator's account is
//! Europe/Moscow, UTC+3; the tests run on whatever zone the machine has, usually UTC), named by
//! the account's task types and users. Not connected and amoCRM unreachable are their own errors.

use std::sync::Arc;

mod common;

use amo_core::domain::my_tasks::{DueBucket, DueScope, MyTask};
use amo_core::keychain::memory::MemoryStore;
use amo_core::AmoConnect;
use amo_sim::Simulator;
use chrono::{Datelike, Duration, FixedOffset, NaiveDate, TimeZone};
use serde_json::{json, Value};

/// Moscow: UTC+3 all year since 2014.
fn msk() -> FixedOffset {
    FixedOffset::east_opt(3 * 3600).expect("offset")
}

/// `date` `h:m` in Moscow, as Unix seconds.
fn msk_at(date: NaiveDate, h: u32, m: u32) -> i64 {
    msk().from_local_datetime(&date.and_hms_opt(h, m, 0).expect("time")).single().expect("moment").timestamp()
}

/// Adds `tasks` to the simulator as amoCRM's API would (`POST /api/v4/tasks`); their ids in order.
async fn add_tasks(sim: &Simulator, app: &AmoConnect, tasks: Vec<Value>) -> Vec<i64> {
    let token = app.access().await.expect("token").token.expose().to_string();
    let r = reqwest::Client::new()
        .post(format!("{}/api/v4/tasks", sim.url()))
        .bearer_auth(token)
        .json(&Value::Array(tasks))
        .send()
        .await
        .expect("request");
    assert!(r.status().is_success(), "{}", r.status());
    let v: Value = r.json().await.expect("json");
    v["_embedded"]["tasks"].as_array().expect("tasks").iter().map(|t| t["id"].as_i64().expect("id")).collect()
}

fn shown(t: &MyTask) -> (i64, DueBucket, &str, Option<&str>) {
    (t.id, t.bucket, t.task_type.as_str(), t.responsible_name.as_deref())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mine_by_default_everyones_with_all_each_in_its_pile_by_the_accounts_zone() {
    // Moscow's day must not end while the test runs (the piles are read against the clock).
    let left = 86_400 - (amo_core::clock::now() + 3 * 3600).rem_euclid(86_400);
    if left < 300 {
        tokio::time::sleep(std::time::Duration::from_secs(left as u64 + 1)).await;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    let (me, colleague) = (sim.config().user_id, sim.colleague_id());
    let today = msk().timestamp_opt(amo_core::clock::now(), 0).single().expect("now").date_naive();
    let (yesterday, tomorrow) = (today - Duration::days(1), today + Duration::days(1));
    let after_tomorrow = today + Duration::days(2);
    let sunday = today + Duration::days(6 - i64::from(today.weekday().num_days_from_monday()));
    sim.seed_leads(1, "Sofa");
    let lead = sim.leads()[0].id;
    let task = |text: &str, due: i64, extra: Value| -> Value {
        let mut v = json!({"text": text, "complete_till": due, "entity_type": "leads", "entity_id": lead});
        for (k, x) in extra.as_object().expect("object") {
            v[k] = x.clone();
        }
        v
    };
    let ids = add_tasks(
        &sim,
        &app,
        vec![
            task("Later: in eight days", msk_at(today + Duration::days(8), 10, 0), json!({})),
            task("Yesterday's call", msk_at(yesterday, 10, 0), json!({})),
            // 00:30 in Moscow is 21:30 UTC the day before: by UTC's calendar still today.
            task("Just after Moscow's midnight", msk_at(tomorrow, 0, 30), json!({})),
            task("Meeting tonight", msk_at(today, 23, 59), json!({"task_type_id": 2})),
            task("The day after tomorrow", msk_at(after_tomorrow, 12, 0), json!({})),
            task("Done already", msk_at(today, 23, 0), json!({"is_completed": true})),
            task("Boris's call", msk_at(today, 23, 30), json!({"responsible_user_id": colleague})),
        ],
    )
    .await;
    let [later, overdue, after_midnight, tonight, day_after, _done, boris] = ids[..] else { panic!("{ids:?}") };
    let day_after_pile = if after_tomorrow <= sunday { DueBucket::ThisWeek } else { DueBucket::Later };

    let mine = app.my_tasks(false, DueScope::All).await.expect("my tasks");
    assert!(!mine.truncated);
    let anna = Some("Анна Смирнова");
    let got: Vec<_> = mine.tasks.iter().map(shown).collect();
    assert_eq!(
        got,
        [
            (overdue, DueBucket::Overdue, "Связаться", anna),
            (tonight, DueBucket::Today, "Встреча", anna),
            (after_midnight, DueBucket::Tomorrow, "Связаться", anna),
            (day_after, day_after_pile, "Связаться", anna),
            (later, DueBucket::Later, "Связаться", anna),
        ],
        "{:#?}",
        mine.tasks
    );
    let t = &mine.tasks[2];
    assert_eq!(t.complete_till, msk_at(tomorrow, 0, 30));
    assert_eq!(t.due, format!("{}T00:30:00+03:00", tomorrow.format("%Y-%m-%d")), "due in the account's zone");
    assert_eq!((t.text.as_str(), t.responsible_user_id, t.task_type_id), ("Just after Moscow's midnight", me, 1));
    assert_eq!((t.entity_type.as_deref(), t.entity_id), (Some("leads"), Some(lead)));

    // What must be done today: the overdue call and tonight's meeting; only the overdue one.
    let today_list = app.my_tasks(false, DueScope::Today).await.expect("today");
    assert_eq!(today_list.tasks.iter().map(|t| t.id).collect::<Vec<_>>(), [overdue, tonight]);
    let overdue_list = app.my_tasks(false, DueScope::Overdue).await.expect("overdue");
    assert_eq!(overdue_list.tasks.iter().map(|t| t.id).collect::<Vec<_>>(), [overdue]);

    // Everyone's: Boris's task too, with his name; still no done task.
    let all = app.my_tasks(true, DueScope::All).await.expect("all tasks");
    let ids: Vec<i64> = all.tasks.iter().map(|t| t.id).collect();
    assert_eq!(ids, [overdue, boris, tonight, after_midnight, day_after, later]);
    let b = &all.tasks[1];
    assert_eq!(shown(b), (boris, DueBucket::Today, "Связаться", Some("Борис Петров")));
    assert_eq!(b.responsible_user_id, colleague);
}

/// A server that lists done tasks despite `filter[is_completed]=0`: the first page holds 250
/// done tasks and no open one. The read goes on while amoCRM says there is a next page (it
/// stopped at the first page with nothing open, and the open task on page 2 was not shown).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_with_no_open_task_does_not_end_the_list() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    let base = amo_core::clock::now() + 30 * 86_400;
    let done: Vec<Value> = (0..250)
        .map(|i| json!({"text": format!("Done {i}"), "complete_till": base + i * 60, "is_completed": true}))
        .collect();
    add_tasks(&sim, &app, done).await;
    let open = add_tasks(&sim, &app, vec![json!({"text": "Still open", "complete_till": base + 86_400})]).await;
    sim.set_task_completed_filter(false);
    let list = app.my_tasks(false, DueScope::All).await.expect("list");
    let got: Vec<(i64, &str)> = list.tasks.iter().map(|t| (t.id, t.text.as_str())).collect();
    assert_eq!(got, vec![(open[0], "Still open")]);
    assert!(!list.truncated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn none_is_an_empty_list_and_more_than_a_page_is_read_whole_250_a_page() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    // No task at all: amoCRM answers 204.
    let none = app.my_tasks(false, DueScope::All).await.expect("none");
    assert!(none.tasks.is_empty() && !none.truncated, "{none:?}");

    // 260 tasks, the first made due last: the list is by due time, not by id.
    let base = amo_core::clock::now() + 30 * 86_400;
    let tasks =
        (0..260).map(|i| json!({"text": format!("Task {i}"), "complete_till": base + (260 - i) * 60})).collect();
    let ids = add_tasks(&sim, &app, tasks).await;
    let before = sim.stats().api_requests;
    let list = app.my_tasks(false, DueScope::All).await.expect("list");
    // The reference data are cached since the first call: two pages of tasks, nothing else.
    assert_eq!(sim.stats().api_requests - before, 2, "250 a page: two requests for 260 tasks");
    assert_eq!(list.tasks.len(), 260);
    let got: Vec<i64> = list.tasks.iter().map(|t| t.id).collect();
    let want: Vec<i64> = ids.iter().rev().copied().collect();
    assert_eq!(got, want, "soonest first, every task once");
    assert_eq!(list.tasks[0].text, "Task 259");
    assert_eq!(list.tasks[0].complete_till, base + 60);
    assert!(list.tasks.iter().all(|t| t.bucket == DueBucket::Later));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_connected_and_amocrm_unreachable_are_said_as_such() {
    let tmp = tempfile::tempdir().expect("tmp");
    let app = common::open(tmp.path(), Arc::new(MemoryStore::new()), "http://127.0.0.1:9");
    let e = app.my_tasks(false, DueScope::All).await.expect_err("not connected");
    assert_eq!(e.code().as_str(), "not_connected", "{e:?}");

    let tmp = tempfile::tempdir().expect("tmp");
    let (mut sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    app.reference_data(true).await.expect("the account's shape");
    sim.go_down().await;
    // The account's shape is cached; the tasks were never read, so there is no copy: the
    // network is named.
    let e = app.my_tasks(false, DueScope::All).await.expect_err("offline");
    assert_eq!(e.code().as_str(), "network", "{e:?}");
}

/// Offline, the list is the copy of the last read, its piles made again at now and the tasks
/// the user already closed (an outbox entry waiting to be sent) left out; the tray's count comes
/// from the same copy without a request. A refused connection is not hidden by the copy, and
/// Disconnect removes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_the_list_is_the_copy_re_sorted_at_now_and_a_401_is_not_hidden() {
    // Moscow's day must not end while the test runs.
    let left = 86_400 - (amo_core::clock::now() + 3 * 3600).rem_euclid(86_400);
    if left < 300 {
        tokio::time::sleep(std::time::Duration::from_secs(left as u64 + 1)).await;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let (mut sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    let now = amo_core::clock::now();
    let ids = add_tasks(
        &sim,
        &app,
        vec![
            json!({"text": "Due in two seconds", "complete_till": now + 2}),
            json!({"text": "Closed offline", "complete_till": now + 3600}),
            json!({"text": "In ten days", "complete_till": now + 10 * 86_400}),
            json!({"text": "A colleague's", "complete_till": now + 60, "responsible_user_id": sim.colleague_id()}),
        ],
    )
    .await;
    let online = app.my_tasks(false, DueScope::All).await.expect("online");
    assert_eq!(online.read_at, None, "just read");
    let piles: Vec<(i64, DueBucket)> = online.tasks.iter().map(|t| (t.id, t.bucket)).collect();
    assert_eq!(piles, [(ids[0], DueBucket::Today), (ids[1], DueBucket::Today), (ids[2], DueBucket::Later)]);
    let everyone = app.my_tasks(true, DueScope::All).await.expect("everyone's");
    assert_eq!(everyone.tasks.len(), 4);

    sim.go_down().await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    app.queue_task_change(&amo_core::domain::change::TaskChangeDraft {
        task_id: ids[1],
        title: "Closed offline".into(),
        seen_updated_at: online.tasks[1].updated_at,
        done: true,
        ..Default::default()
    })
    .expect("queued");
    let before = sim.stats().api_requests;
    let offline = app.my_tasks(false, DueScope::All).await.expect("from the copy");
    let read_at = offline.read_at.as_deref().expect("read_at says it is the copy");
    let read_at = amo_core::clock::parse_rfc3339(read_at).expect("RFC 3339");
    assert!((now..=amo_core::clock::now()).contains(&read_at), "{read_at}");
    let piles: Vec<(i64, DueBucket)> = offline.tasks.iter().map(|t| (t.id, t.bucket)).collect();
    // Due two seconds after the read: overdue now, offline too; the closed one is left out.
    assert_eq!(piles, [(ids[0], DueBucket::Overdue), (ids[2], DueBucket::Later)]);
    let overdue = app.my_tasks(false, DueScope::Overdue).await.expect("scope on the copy");
    assert_eq!(overdue.tasks.iter().map(|t| t.id).collect::<Vec<_>>(), [ids[0]]);
    assert_eq!(app.my_tasks(true, DueScope::All).await.expect("everyone's copy").tasks.len(), 3);

    let due = app.tasks_due(amo_core::clock::now()).expect("due");
    assert_eq!((due.due_now, due.next_due_at), (1, Some(now + 10 * 86_400)));
    assert_eq!(sim.stats().api_requests, before, "the copy answers without a request");

    // A refused token is the user's to act on, not hidden behind the copy.
    sim.come_up().await.expect("up");
    sim.deny_api(true);
    let e = app.my_tasks(false, DueScope::All).await.expect_err("401");
    assert_ne!(e.code().as_str(), "network", "{e:?}");
    assert!(["unauthorized", "token_revoked"].contains(&e.code().as_str()), "{e:?}");

    // Disconnect takes the copy with the account's data.
    sim.deny_api(false);
    app.disconnect(false).await.expect("disconnect");
    assert_eq!(app.tasks_due(amo_core::clock::now()).expect("due"), Default::default());
}

/// A task falling due is told once, in one notice, from the copy (no request); the first look
/// only remembers what was overdue already; nothing is told with `task_notifications` off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_falling_due_is_told_once_and_not_with_the_switch_off() {
    use amo_core::domain::notice::Notice;
    use amo_core::domain::settings::SettingsPatch;
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    let now = amo_core::clock::now();
    add_tasks(
        &sim,
        &app,
        vec![
            json!({"text": "Overdue since yesterday", "complete_till": now - 86_400}),
            json!({"text": "Call back Ivan", "complete_till": now + 2}),
            json!({"text": "Send the offer", "complete_till": now + 3}),
            json!({"text": "Later", "complete_till": now + 4}),
        ],
    )
    .await;
    app.my_tasks(false, DueScope::All).await.expect("read");
    let notices = app.due_notices();
    let before = sim.stats().api_requests;
    assert_eq!(notices.check(now).expect("first look"), [], "the first look only remembers");
    let told = notices.check(now + 3).expect("look");
    let titles = vec!["Call back Ivan".to_string(), "Send the offer".into()];
    assert_eq!(told, [Notice::TasksDue { count: 2, titles }]);
    assert_eq!(notices.check(now + 3).expect("again"), [], "told once");

    app.save_settings(SettingsPatch { task_notifications: Some(false), ..Default::default() }).await.expect("off");
    assert_eq!(notices.check(now + 4).expect("off"), [], "switched off");
    app.save_settings(SettingsPatch { task_notifications: Some(true), ..Default::default() }).await.expect("on");
    assert_eq!(notices.check(now + 5).expect("on"), [], "what fell due while off is not told later");
    assert_eq!(sim.stats().api_requests, before, "from the copy only");
}
