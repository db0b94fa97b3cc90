//! A lead's tasks and notes as amoCRM lists them (docs/amocrm-api.md §8.7, §8.8, §16.2): any bytes
//! as the body of `GET /api/v4/tasks?filter[entity_id]…` and of `GET /api/v4/{entity}/{id}/notes`
//! (one body read as both). Runs the real `amocrm::wire::parse`, `amocrm::client::tasks_page` and
//! `notes_page` (what `ApiClient::lead_tasks` and `lead_notes` make of each page, to find a task
//! or note whose answer was lost) and `amocrm::wire::latest_notes` (the caller's card's newest
//! note and call).
//!
//! Checked: no panic; a body that is not JSON, or has no list, is `unexpected_response`; a page is
//! exactly the tasks with an integer id and due time (`complete_till`), the notes with an integer
//! id and a type, in amoCRM's order, each with the text, author and time the answer gives (absent
//! ones empty or 0) — nothing invented; whether there is a next page is `_links.next`; the card
//! shows the first of the newest text notes and the first of the newest calls, and only when the
//! list has one.
#![no_main]

mod common;

use amo_core::amocrm::client::{notes_page, tasks_page, NoteSummary, TaskSummary};
use amo_core::amocrm::wire::{latest_notes, parse};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn int(v: &Value, key: &str) -> i64 {
    v.get(key).and_then(Value::as_i64).unwrap_or(0)
}

fn text(v: &Value, pointer: &str) -> String {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("").to_string()
}

/// The first of `items` with the greatest `created_at` (0 when absent), if any.
fn newest<'a>(items: impl Iterator<Item = &'a Value>) -> Option<&'a Value> {
    items.fold(None, |best: Option<&Value>, n| match best {
        Some(b) if int(n, "created_at") <= int(b, "created_at") => Some(b),
        _ => Some(n),
    })
}

// Input: the body, as text (bytes that are not UTF-8 read lossily, as the HTTP client reads them).
fuzz_target!(|data: &[u8]| {
    let body = String::from_utf8_lossy(data);
    let v = match parse(&body) {
        Ok(v) => v,
        Err(e) => {
            common::check_error(&e, &["unexpected_response"]);
            return;
        }
    };
    let list = |key: &str| v.pointer(&format!("/_embedded/{key}")).and_then(Value::as_array).cloned();
    let has_next = v.pointer("/_links/next").is_some();

    let tasks = list("tasks");
    match tasks_page(v.clone()) {
        Ok((got, next)) => {
            assert_eq!(next, has_next);
            let want: Vec<TaskSummary> = tasks
                .expect("tasks are read only from a list")
                .iter()
                .filter_map(|t| {
                    Some(TaskSummary {
                        id: t.get("id")?.as_i64()?,
                        text: text(t, "/text"),
                        complete_till: t.get("complete_till")?.as_i64()?,
                        created_by: int(t, "created_by"),
                        created_at: int(t, "created_at"),
                    })
                })
                .collect();
            assert_eq!(got, want, "the tasks are not those the answer lists");
        }
        Err(e) => {
            common::check_error(&e, &["unexpected_response"]);
            assert!(tasks.is_none(), "a list of tasks refused: {e:?}");
        }
    }

    let notes = list("notes");
    match notes_page(v.clone()) {
        Ok((got, next)) => {
            assert_eq!(next, has_next);
            let want: Vec<NoteSummary> = notes
                .as_ref()
                .expect("notes are read only from a list")
                .iter()
                .filter_map(|n| {
                    Some(NoteSummary {
                        id: n.get("id")?.as_i64()?,
                        note_type: n.get("note_type")?.as_str()?.to_string(),
                        text: text(n, "/params/text"),
                        created_by: int(n, "created_by"),
                        created_at: int(n, "created_at"),
                    })
                })
                .collect();
            assert_eq!(got, want, "the notes are not those the answer lists");
        }
        Err(e) => {
            common::check_error(&e, &["unexpected_response"]);
            assert!(notes.is_none(), "a list of notes refused: {e:?}");
        }
    }

    // The caller's card: the newest text note and call of the card's notes.
    let notes = notes.unwrap_or_default();
    let (note, call) = latest_notes(&notes);
    let of_type = |types: &'static [&'static str]| {
        notes.iter().filter(move |n| n.get("note_type").and_then(Value::as_str).is_some_and(|t| types.contains(&t)))
    };
    match (note, newest(of_type(&["common"]))) {
        (None, None) => {}
        (Some(b), Some(n)) => {
            assert_eq!((b.text, b.created_at), (text(n, "/params/text"), int(n, "created_at")));
        }
        (b, n) => panic!("the card's note {b:?} is not the newest text note {n:?}"),
    }
    match (call, newest(of_type(&["call_in", "call_out"]))) {
        (None, None) => {}
        (Some(b), Some(n)) => {
            assert_eq!(b.inbound, n["note_type"] == "call_in");
            assert_eq!(b.created_at, int(n, "created_at"));
            assert_eq!(b.duration_secs, n.pointer("/params/duration").and_then(Value::as_i64).unwrap_or(0));
            assert_eq!(b.result, text(n, "/params/call_result"));
        }
        (b, n) => panic!("the card's call {b:?} is not the newest call {n:?}"),
    }
});
