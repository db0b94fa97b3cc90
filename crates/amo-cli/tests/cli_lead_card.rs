//! `lead show ID [--json]` run in-process against the simulator (issue 21): the card of a lead
//! with fields, a note and a task as text (`label: value` lines, amoCRM's text cell-escaped, dates
//! in the account's zone, Europe/Moscow) and as JSON with stable keys; a lost lead's reason; a
//! lead amoCRM does not have exits non-zero naming the id; a bad id is a usage error naming the
//! argument.

mod common;

use common::Desk;
use serde_json::{json, Value};

/// 2026-03-10 00:00 in Moscow (21:00 UTC the day before).
const MARCH_10_MSK: i64 = 1_773_090_000;

use common::english;

/// A lead with a contact, tags, three fields, a note (with a line break) and an open task; its id.
fn lead(desk: &Desk) -> i64 {
    let v = desk.call(
        reqwest::Method::POST,
        "/api/v4/leads/complex",
        json!([{
            "name": "Sofa\n999  forged", "price": 45_000, "pipeline_id": 3_383_152, "status_id": 33_929_752,
            "custom_fields_values": [
                {"field_id": 701_001, "values": [{"enum_id": 801_002}]},
                {"field_id": 701_006, "values": [{"value": true}]},
                {"field_id": 701_007, "values": [{"value": MARCH_10_MSK}]}
            ],
            "_embedded": {"tags": [{"name": "vip"}], "contacts": [{"first_name": "Ivan", "last_name": "Petrov"}]}
        }]),
    );
    let id = v[0]["id"].as_i64().expect("lead id");
    let notes = format!("/api/v4/leads/{id}/notes");
    desk.call(
        reqwest::Method::POST,
        &notes,
        json!([{"note_type": "common", "params": {"text": "Wants blue\nforged line"}}]),
    );
    let task = json!([{"text": "Call back", "complete_till": MARCH_10_MSK + 40 * 86_400 + 10 * 3600,
                       "entity_type": "leads", "entity_id": id}]);
    desk.call(reqwest::Method::POST, "/api/v4/tasks", task);
    id
}

#[test]
fn lead_show_prints_the_card_as_text_and_as_json_with_stable_keys() {
    english();
    let desk = Desk::new(true);
    let me = desk.sim.config().user_id;
    let id = lead(&desk);
    let contact = desk.sim.leads().into_iter().find(|l| l.id == id).expect("lead").contact_ids[0];
    let task_due = MARCH_10_MSK + 40 * 86_400 + 10 * 3600;

    let r = desk.run(&["lead", "show", &id.to_string(), "--json"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let v: Value = serde_json::from_str(&r.out).expect("json");
    let mut keys: Vec<&str> = v.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut want = [
        "id",
        "name",
        "price",
        "pipeline_id",
        "pipeline_name",
        "status_id",
        "status_name",
        "stage_kind",
        "responsible_user_id",
        "responsible_name",
        "loss_reason_id",
        "loss_reason",
        "tags",
        "fields",
        "contacts",
        "created_at",
        "created",
        "updated_at",
        "updated",
        "updated_by",
        "updated_by_name",
        "notes",
        "tasks",
    ];
    want.sort_unstable();
    assert_eq!(keys, want, "the stable keys");
    assert_eq!(
        (v["id"].as_i64(), v["name"].as_str(), v["price"].as_i64()),
        (Some(id), Some("Sofa\n999  forged"), Some(45_000))
    );
    assert_eq!((v["pipeline_name"].as_str(), v["status_name"].as_str()), (Some("Воронка"), Some("Первичный контакт")));
    assert_eq!((v["stage_kind"].as_str(), v["loss_reason"].clone()), (Some("open"), Value::Null));
    assert_eq!((v["responsible_user_id"].as_i64(), v["responsible_name"].as_str()), (Some(me), Some("Анна Смирнова")));
    assert_eq!(v["tags"], json!(["vip"]));
    assert_eq!(
        v["fields"],
        json!([
            {"field_id": 701_001, "name": "Источник", "field_type": "select", "value": "Звонок", "checked": null},
            {"field_id": 701_006, "name": "Нужна доставка", "field_type": "checkbox", "value": "yes", "checked": true},
            {"field_id": 701_007, "name": "Дата доставки", "field_type": "date", "value": "2026-03-10", "checked": null}
        ])
    );
    assert_eq!(v["contacts"][0]["id"].as_i64(), Some(contact));
    assert!(v["contacts"][0]["name"].as_str().is_some_and(|n| n.contains("Ivan")), "{}", v["contacts"]);
    assert_eq!(
        (v["notes"][0]["note_type"].as_str(), v["notes"][0]["text"].as_str()),
        (Some("common"), Some("Wants blue\nforged line"))
    );
    assert_eq!(v["tasks"][0]["complete_till"].as_i64(), Some(task_due));
    assert_eq!(v["tasks"][0]["due"], "2026-04-19T10:00:00+03:00");
    assert!(v["updated"].as_str().is_some_and(|u| u.ends_with("+03:00")), "{}", v["updated"]);

    let r = desk.run(&["lead", "show", &id.to_string()]);
    assert_eq!(r.code, 0, "{}", r.err);
    let lines: Vec<&str> = r.out.lines().collect();
    let want = [
        format!("Lead:           {id} Sofa\\n999  forged"),
        "Price:          45000".to_string(),
        "Pipeline:       Воронка".to_string(),
        "Stage:          Первичный контакт (open)".to_string(),
        "Responsible:    Анна Смирнова".to_string(),
        "Tags:           vip".to_string(),
    ];
    assert_eq!(lines[..6], want, "{}", r.out);
    assert!(lines[6].starts_with(&format!("Contacts:       {contact} Ivan")), "{}", r.out);
    assert!(lines.contains(&"  Источник: Звонок") && lines.contains(&"  Нужна доставка: yes"), "{}", r.out);
    assert!(lines.contains(&"  Дата доставки: 2026-03-10"), "{}", r.out);
    let note = lines.iter().find(|l| l.contains("[common]")).expect("the note");
    assert!(note.ends_with("Анна Смирнова  [common]  Wants blue\\nforged line"), "{note}");
    assert!(lines.contains(&"  2026-04-19 10:00  Связаться  Анна Смирнова  Call back"), "{}", r.out);
    assert!(!lines.iter().any(|l| l.starts_with("999")), "no forged line: {}", r.out);
}

#[test]
fn lead_show_names_a_lost_leads_reason_and_a_missing_or_bad_id() {
    english();
    let desk = Desk::new(true);
    let id = lead(&desk);
    let reason = desk.sim.loss_reasons()[0].clone();
    desk.call(
        reqwest::Method::PATCH,
        &format!("/api/v4/leads/{id}"),
        json!({"status_id": 143, "loss_reason_id": reason.id}),
    );
    let r = desk.run(&["lead", "show", &id.to_string()]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("Stage:          Закрыто и не реализовано (lost)\n"), "{}", r.out);
    assert!(r.out.contains(&format!("Loss reason:    {}\n", reason.name)), "{}", r.out);

    let r = desk.run(&["lead", "show", "987654321"]);
    assert_eq!((r.code, r.out.as_str()), (1, ""), "{}", r.err);
    assert!(r.err.starts_with("error[lead_not_found]: amoCRM has no lead 987654321"), "{}", r.err);
    let r = desk.run(&["lead", "show", "987654321", "--json"]);
    assert_eq!((r.code, r.out.as_str()), (1, ""), "{}", r.err);

    for bad in ["abc", "0"] {
        let r = desk.run(&["lead", "show", bad]);
        assert_eq!(r.code, 2, "{bad}: {}", r.out);
        assert!(r.err.contains("<ID>"), "{bad}: {}", r.err);
    }
}
