//! What "My day" reads from amoCRM (docs/amocrm-api.md §8.8, §18): any bytes as the body of
//! `GET /api/v4/tasks?filter[is_completed]=0…` (the open tasks), of `GET /api/v4/leads/{id}?
//! with=contacts,loss_reason` (a lead's card) and of its notes (one body read as all three), with
//! the moment it is and a zone of this build's database. Runs the real `amocrm::wire::parse`,
//! `open_tasks_page`, `domain::my_tasks::my_tasks` (the piles), `wire::lead_card`,
//! `domain::lead_card::card_fields` (custom values as people read them), `wire::card_notes` and
//! `wire::task_now` (a task as a change reads it before sending).
//!
//! Checked: no panic; a body that is not JSON, or has no list, is `unexpected_response`; the open
//! tasks are exactly the listed ones with an integer id, due time and responsible user that are
//! not marked completed, in amoCRM's order — nothing invented; each shown once, soonest first, in
//! the pile `DueBucket::of` names for it, with its due time as RFC 3339 text naming exactly that
//! moment (empty only for a year RFC 3339 cannot write: `corpus/my_day_answers/due_in_milliseconds`
//! was written as `+58897-04-21T…` before `Zone::rfc3339` left such a moment empty); a lead's card is read only from an integer `id` and keeps it, and shows exactly the
//! answer's fields that have a value, in its order, a checkbox as yes/no by its state; the notes
//! are at most those listed.
#![no_main]

mod common;

use amo_core::amocrm::wire::{card_notes, lead_card, open_tasks_page, parse, task_now};
use amo_core::domain::fields::FieldType;
use amo_core::domain::lead_card::card_fields;
use amo_core::domain::my_tasks::{my_tasks, DueBucket, OpenTask};
use amo_core::domain::zone::Zone;
use chrono::{DateTime, Datelike};
use chrono_tz::TZ_VARIANTS;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

// The input: the moment it is (four bytes, big-endian, seconds after 2000-01-01, so 2000–2136),
// a zone (two bytes, big-endian, an index into `chrono_tz::TZ_VARIANTS`), then the body as text
// (bytes that are not UTF-8 read lossily, as the HTTP client reads them).
fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let now = 946_684_800 + i64::from(u32::from_be_bytes([data[0], data[1], data[2], data[3]]));
    let tz = TZ_VARIANTS[usize::from(u16::from_be_bytes([data[4], data[5]])) % TZ_VARIANTS.len()];
    let zone = Zone::named(tz.name()).expect("every zone of the database is known by its name");
    let body = String::from_utf8_lossy(&data[6..]);
    let v = match parse(&body) {
        Ok(v) => v,
        Err(e) => {
            common::check_error(&e, &["unexpected_response"]);
            return;
        }
    };

    let listed = v.pointer("/_embedded/tasks").and_then(Value::as_array).cloned();
    match open_tasks_page(v.clone()) {
        Ok((rows, next)) => {
            assert_eq!(next, v.pointer("/_links/next").is_some());
            let want: Vec<OpenTask> = listed
                .expect("tasks are read only from a list")
                .iter()
                .filter(|t| t.get("is_completed").and_then(Value::as_bool) != Some(true))
                .filter_map(|t| {
                    Some(OpenTask {
                        id: t.get("id")?.as_i64()?,
                        text: t.get("text").and_then(Value::as_str).unwrap_or_default().to_string(),
                        task_type_id: t.get("task_type_id").and_then(Value::as_i64).unwrap_or(1),
                        complete_till: t.get("complete_till")?.as_i64()?,
                        entity_type: t.get("entity_type").and_then(Value::as_str).map(str::to_string),
                        entity_id: t.get("entity_id").and_then(Value::as_i64),
                        responsible_user_id: t.get("responsible_user_id")?.as_i64()?,
                        updated_at: t.get("updated_at").and_then(Value::as_i64).unwrap_or_default(),
                    })
                })
                .collect();
            assert_eq!(rows, want, "the open tasks are not those the answer lists");
            let mut ids: Vec<i64> = rows.iter().map(|t| t.id).collect();
            ids.sort_unstable();
            ids.dedup();
            let shown = my_tasks(rows, &[], &[], zone, now);
            assert_eq!(shown.len(), ids.len(), "each task shown once");
            for pair in shown.windows(2) {
                assert!((pair[0].complete_till, pair[0].id) <= (pair[1].complete_till, pair[1].id), "soonest first");
            }
            for t in &shown {
                assert_eq!(t.bucket, DueBucket::of(t.complete_till, now, zone));
                assert_eq!(t.bucket == DueBucket::Overdue, t.complete_till < now);
                // The due text names exactly the moment; it is empty only for a moment RFC 3339
                // cannot write (a year outside 0000–9999 on the zone's clock, which the offset
                // written to the minute may move by less than a minute).
                if t.due.is_empty() {
                    let year = zone.at(t.complete_till).map(|d| d.year());
                    assert!(year.map_or(true, |y| !(1..=9998).contains(&y)), "due {} left empty", t.complete_till);
                } else {
                    let back = DateTime::parse_from_rfc3339(&t.due).map(|d| d.timestamp());
                    assert_eq!(back, Ok(t.complete_till), "due {:?} does not name {}", t.due, t.complete_till);
                }
            }
        }
        Err(e) => {
            common::check_error(&e, &["unexpected_response"]);
            assert!(listed.is_none(), "a list of tasks refused: {e:?}");
        }
    }

    if let Some(lead) = lead_card(&v) {
        assert_eq!(Some(lead.id), v.get("id").and_then(Value::as_i64));
        let with_values: Vec<i64> = lead.fields.iter().filter(|f| !f.values.is_empty()).map(|f| f.field_id).collect();
        let fields = card_fields(lead.fields, &[], zone);
        // Without the account's definitions the answer's order is kept, and only fields with a
        // value are shown; a checkbox is on when one of its values is true.
        assert_eq!(fields.iter().map(|f| f.field_id).collect::<Vec<_>>(), with_values);
        for f in &fields {
            match f.checked {
                Some(on) => assert_eq!(f.value, if on { "yes" } else { "no" }),
                None => assert_ne!(f.field_type, FieldType::Checkbox),
            }
        }
    } else {
        assert!(v.get("id").and_then(Value::as_i64).is_none(), "a lead with an integer id was not read");
    }

    // One task as a change reads it before sending (`GET /api/v4/tasks/{id}`): read whenever
    // the answer has an integer id, its done flag as amoCRM wrote it.
    match task_now(&v) {
        Some(t) => {
            assert_eq!(Some(t.id), v.get("id").and_then(Value::as_i64));
            assert_eq!(t.is_completed, v.get("is_completed").and_then(Value::as_bool) == Some(true));
        }
        None => assert!(v.get("id").and_then(Value::as_i64).is_none(), "a task with an integer id was not read"),
    }

    match card_notes(v.clone()) {
        Ok(notes) => {
            let listed = v.pointer("/_embedded/notes").and_then(Value::as_array).expect("notes come from a list");
            assert!(notes.len() <= listed.len());
        }
        Err(e) => common::check_error(&e, &["unexpected_response"]),
    }
});
