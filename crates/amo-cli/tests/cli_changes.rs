//! `task done`, `task move`, `lead move`, `lead won`, `lead lost`, `lead set` and `outbox
//! send-mine`, run in-process against the simulator (issue 21): each change reaches amoCRM once
//! through the outbox; each refusal names its flag; a colleague's change between the read and
//! the send exits non-zero naming who changed what (both versions, by name), and `outbox
//! send-mine` then sends it.

mod common;

use common::{english, Desk};
use serde_json::json;

/// A lead in "Первичный контакт" of the main pipeline, and an open task on it; their ids.
fn lead_with_task(desk: &Desk) -> (i64, i64) {
    let v = desk.call(
        reqwest::Method::POST,
        "/api/v4/leads/complex",
        json!([{"name": "Kitchen", "price": 100, "pipeline_id": 3_383_152, "status_id": 33_929_752}]),
    );
    let lead = v[0]["id"].as_i64().expect("lead id");
    let due = amo_core::clock::now() + 3 * 86_400;
    let task =
        desk.add_tasks(json!([{"text": "Call back", "complete_till": due, "entity_type": "leads", "entity_id": lead}]));
    (lead, task[0])
}

#[test]
fn a_task_is_done_with_its_result_and_moved_and_refusals_name_the_flag() {
    english();
    let desk = Desk::new(true);
    let (_, task) = lead_with_task(&desk);
    let id = task.to_string();

    let r = desk.run(&["task", "move", &id, "--due", "someday"]);
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(r.err.contains("--due"), "{}", r.err);

    let r = desk.run(&["task", "move", &id, "--due", "2031-06-02 10:00"]);
    assert_eq!((r.code, r.out.trim()), (0, id.as_str()), "{}", r.err);
    let t = desk.sim.tasks().into_iter().find(|t| t.id == task).expect("task");
    // 10:00 in Moscow (the account's zone).
    assert_eq!(t.complete_till, 1_938_150_000);

    let r = desk.run(&["task", "done", &id, "--result", "Ordered the blue one"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let t = desk.sim.tasks().into_iter().find(|t| t.id == task).expect("task");
    assert!(t.is_completed);
    assert_eq!(t.result_text.as_deref(), Some("Ordered the blue one"));
    assert_eq!(t.api_changes, 2, "each change once");

    let r = desk.run(&["task", "done", "999999"]);
    assert_eq!(r.code, 1);
    assert!(r.err.contains("amo_not_found"), "{}", r.err);
}

#[test]
fn a_lead_is_moved_with_the_field_its_stage_needs_set_and_lost_with_a_reason_named_by_flag() {
    english();
    let desk = Desk::new(true);
    let (lead, _) = lead_with_task(&desk);
    let id = lead.to_string();

    // "Переговоры" needs the delivery date; the lead has none.
    let r = desk.run(&["lead", "move", &id, "--status", "переговоры"]);
    assert_eq!(r.code, 1);
    assert!(r.err.contains("--field Дата доставки"), "{}", r.err);
    let r = desk.run(&["lead", "move", &id, "--status", "Nowhere"]);
    assert!(r.code == 1 && r.err.contains("--status Nowhere"), "{}", r.err);
    assert!(r.err.contains("no such choice; there are: ") && r.err.contains("Переговоры"), "{}", r.err);

    let r = desk.run(&["lead", "move", &id, "--status", "Переговоры", "--field", "Дата доставки=2031-06-02"]);
    assert_eq!((r.code, r.out.lines().next()), (0, Some(id.as_str())), "{}", r.err);
    let l = desk.sim.leads().into_iter().find(|l| l.id == lead).expect("lead");
    assert_eq!(l.status_id, 33_929_755);

    let r = desk.run(&["lead", "set", &id, "--price", "12 500", "--tag", "vip", "--name", "Kitchen, oak"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let l = desk.sim.leads().into_iter().find(|l| l.id == lead).expect("lead");
    assert_eq!((l.price, l.name.as_str(), l.tags.contains(&"vip".to_string())), (12_500, "Kitchen, oak", true));
    let r = desk.run(&["lead", "set", &id, "--price=-1"]);
    assert!(r.code == 1 && r.err.contains("--price"), "{}", r.err);
    let r = desk.run(&["lead", "set", &id]);
    assert!(r.code == 1 && r.err.contains("FLAGS"), "nothing to change: {}", r.err);

    let reason = desk.sim.loss_reasons()[0].clone();
    let r = desk.run(&["lead", "lost", &id, "--reason", "no such reason"]);
    assert!(r.code == 1 && r.err.contains("--reason no such reason"), "{}", r.err);
    assert!(r.err.contains(&reason.name), "the account's reasons are listed: {}", r.err);
    let r = desk.run(&["lead", "lost", &id, "--reason", &reason.name.to_uppercase()]);
    assert_eq!(r.code, 0, "{}", r.err);
    let l = desk.sim.leads().into_iter().find(|l| l.id == lead).expect("lead");
    assert_eq!((l.status_id, l.loss_reason_id), (143, Some(reason.id)));

    let r = desk.run(&["lead", "won", &id]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(desk.sim.leads().into_iter().find(|l| l.id == lead).expect("lead").status_id, 142);
}

#[test]
fn a_colleagues_change_in_between_exits_non_zero_naming_who_and_what_then_send_mine_sends_it() {
    english();
    let desk = Desk::new(true);
    let (lead, _) = lead_with_task(&desk);
    let id = lead.to_string();
    // The colleague changes the price between `lead set`'s read and its send: the simulator
    // does it when the outbox asks for the lead the second time (the read right before the PATCH).
    let colleague = desk.sim.colleague_id();
    desk.sim.change_lead_on_read(lead, 2, colleague, json!({"price": 99_000}));

    let r = desk.run(&["lead", "set", &id, "--price", "50000"]);
    assert_eq!(r.code, 1, "{}\n{}", r.out, r.err);
    assert!(r.err.contains("Борис Петров changed it in amoCRM"), "{}", r.err);
    assert!(r.err.contains("price: amoCRM has \"99000\", yours is \"50000\""), "{}", r.err);
    assert!(r.err.contains("outbox send-mine"), "{}", r.err);
    assert!(r.err.contains("error[entry_needs_attention]"), "{}", r.err);
    assert!(!r.err.contains("refused"), "nothing was refused: {}", r.err);
    let error_line = r.err.lines().find(|l| l.contains("error[entry_needs_attention]")).expect("the error line");
    assert!(error_line.contains("Борис Петров"), "{error_line}");
    let l = desk.sim.leads().into_iter().find(|l| l.id == lead).expect("lead");
    assert_eq!((l.price, l.api_changes), (99_000, 0), "theirs stands");

    let entry = desk.run(&["outbox", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&entry.out).expect("json");
    let entry_id = list[0]["id"].as_i64().expect("entry id").to_string();
    let r = desk.run(&["outbox", "send-mine", &entry_id]);
    assert_eq!(r.code, 0, "{}", r.err);
    let l = desk.sim.leads().into_iter().find(|l| l.id == lead).expect("lead");
    assert_eq!((l.price, l.api_changes), (50_000, 1), "mine, once");
    let r = desk.run(&["outbox", "send-mine", &entry_id]);
    assert_eq!(r.code, 1, "a sent entry has no conflict: {}", r.err);
}
