//! `task list` run in-process against the simulator (issue 21): the connected user's open tasks
//! in their piles by the account's time zone (the simulator's account is Europe/Moscow, UTC+3),
//! `--today` with the overdue ones, `--all` with a colleague's, `--json`'s stable keys, the table
//! (a task's text cannot forge a row), one bucket flag at most, and the errors for not connected
//! and amoCRM unreachable.

mod common;

use chrono::{FixedOffset, NaiveDate, TimeZone};
use common::Desk;
use serde_json::{json, Value};
use std::time::Duration;

fn msk() -> FixedOffset {
    FixedOffset::east_opt(3 * 3600).expect("offset")
}

/// `date` `h:m` in Moscow (UTC+3 all year), as Unix seconds.
fn msk_at(date: NaiveDate, h: u32, m: u32) -> i64 {
    msk().from_local_datetime(&date.and_hms_opt(h, m, 0).expect("time")).single().expect("moment").timestamp()
}

/// Moscow's today, after waiting out its last five minutes (the piles are read against the clock).
fn moscow_today() -> NaiveDate {
    let left = 86_400 - (amo_core::clock::now() + 3 * 3600).rem_euclid(86_400);
    if left < 300 {
        std::thread::sleep(Duration::from_secs(left as u64 + 1));
    }
    msk().timestamp_opt(amo_core::clock::now(), 0).single().expect("now").date_naive()
}

#[test]
fn task_list_shows_today_with_the_overdue_as_json_and_as_a_table_and_all_adds_a_colleagues() {
    let today = moscow_today();
    let desk = Desk::new(true);
    let (me, colleague) = (desk.sim.config().user_id, desk.sim.colleague_id());
    desk.sim.seed_leads(1, "Sofa");
    let lead = desk.sim.leads()[0].id;
    let ids = desk.add_tasks(json!([
        {"text": "Tomorrow's call", "complete_till": msk_at(today.succ_opt().expect("day"), 12, 0),
         "responsible_user_id": me},
        {"text": "Call back\n999  overdue  forged row", "complete_till": msk_at(today.pred_opt().expect("day"), 10, 0),
         "responsible_user_id": me, "entity_type": "leads", "entity_id": lead},
        {"text": "Meeting tonight", "complete_till": msk_at(today, 23, 59), "task_type_id": 2,
         "responsible_user_id": me},
        {"text": "Boris's call", "complete_till": msk_at(today, 23, 30), "responsible_user_id": colleague},
    ]));
    let [tomorrow, overdue, tonight, boris] = ids[..] else { panic!("{ids:?}") };

    let r = desk.run(&["task", "list", "--today", "--json"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let v: Value = serde_json::from_str(&r.out).expect("json");
    let list = v.as_array().expect("an array");
    let got: Vec<(i64, &str)> =
        list.iter().map(|t| (t["id"].as_i64().expect("id"), t["bucket"].as_str().expect("bucket"))).collect();
    assert_eq!(got, [(overdue, "overdue"), (tonight, "today")], "{}", r.out);
    let keys: Vec<&str> = list[0].as_object().expect("object").keys().map(String::as_str).collect();
    let mut want = [
        "id",
        "text",
        "task_type_id",
        "task_type",
        "complete_till",
        "due",
        "bucket",
        "entity_type",
        "entity_id",
        "responsible_user_id",
        "responsible_name",
        "updated_at",
    ];
    want.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, want, "the stable keys");
    let o = &list[0];
    assert_eq!(o["complete_till"], msk_at(today.pred_opt().expect("day"), 10, 0));
    assert_eq!(o["due"], format!("{}T10:00:00+03:00", today.pred_opt().expect("day")));
    assert_eq!((o["entity_type"].as_str(), o["entity_id"].as_i64()), (Some("leads"), Some(lead)));
    assert_eq!((o["responsible_user_id"].as_i64(), o["responsible_name"].as_str()), (Some(me), Some("Анна Смирнова")));
    assert_eq!((o["task_type_id"].as_i64(), o["task_type"].as_str()), (Some(1), Some("Связаться")));
    let t = &list[1];
    assert_eq!((t["task_type"].as_str(), t["text"].as_str()), (Some("Встреча"), Some("Meeting tonight")));
    assert_eq!(t["due"], format!("{today}T23:59:00+03:00"));
    assert_eq!((t["entity_type"].clone(), t["entity_id"].clone()), (Value::Null, Value::Null));

    // Everyone's: Boris's task is today's too.
    let r = desk.run(&["task", "list", "--today", "--all", "--json"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let v: Value = serde_json::from_str(&r.out).expect("json");
    let got: Vec<i64> = v.as_array().expect("array").iter().map(|t| t["id"].as_i64().expect("id")).collect();
    assert_eq!(got, [overdue, boris, tonight]);
    assert_eq!(v[1]["responsible_name"], "Борис Петров");

    // The table: a header and one row per task; the text's line break shown, not obeyed.
    let r = desk.run(&["task", "list"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let lines: Vec<&str> = r.out.lines().collect();
    assert_eq!(lines.len(), 4, "{}", r.out);
    assert!(lines[0].starts_with("id "), "{}", r.out);
    for (row, id) in lines[1..].iter().zip([overdue, tonight, tomorrow]) {
        assert!(row.starts_with(&format!("{id} ")), "{row}");
        assert!(row.contains("Анна Смирнова"), "{row}");
    }
    assert!(lines[1].contains(r"Call back\n999  overdue  forged row"), "{}", lines[1]);
    assert!(lines[1].contains(&format!(" {lead} ")), "{}", lines[1]);
    assert!(lines[2].contains(&format!("{today} 23:59")) && lines[2].contains("Встреча"), "{}", lines[2]);

    // One bucket flag at most (usage error).
    let r = desk.run(&["task", "list", "--today", "--week"]);
    assert_eq!(r.code, 2, "{}", r.out);
}

#[test]
fn task_list_says_when_not_connected_or_amocrm_unreachable() {
    let desk = Desk::new(false);
    let r = desk.run(&["task", "list"]);
    assert_eq!(r.code, 1);
    assert!(r.err.starts_with("error[not_connected]: "), "{}", r.err);

    let mut desk = Desk::new(true);
    let r = desk.run(&["task", "list", "--json"]);
    assert_eq!((r.code, r.out.trim()), (0, "[]"), "{}", r.err);
    let r = desk.run(&["task", "list"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(r.out.lines().count(), 1, "one line saying there is nothing: {}", r.out);
    desk.rt.block_on(desk.sim.go_down());
    // The list read a moment ago is this computer's copy: shown, and said to be the copy on
    // stderr (stdout stays the JSON array).
    let r = desk.run(&["task", "list", "--overdue", "--json"]);
    assert_eq!((r.code, r.out.trim()), (0, "[]"), "{}", r.err);
    assert!(r.err.starts_with("offline: the copy read at "), "{}", r.err);

    // Never read: no copy, so the network is named.
    let mut desk = Desk::new(true);
    desk.rt.block_on(desk.sim.go_down());
    let r = desk.run(&["task", "list", "--overdue"]);
    assert_eq!(r.code, 1, "{}", r.out);
    assert!(r.err.starts_with("error[network]: "), "{}", r.err);
}
