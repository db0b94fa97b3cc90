//! amoCRM's answers about calls: any status, content type and body as the answer to
//! `POST /api/v4/calls`, and the body as a page of call notes. Runs the real
//! `amocrm::client::call_landing` (what `ApiClient::add_call` makes of its answer) and
//! `call_notes_page` (each page `ApiClient::call_notes_since` reads to find a call whose answer
//! was lost).
//!
//! Checked: no panic; an answer lands exactly one way, decided by its status and body alone —
//! a call note on a card only from a 200/201 whose first call has an id and a card, "unknown
//! number" only from a 200/201 with no call or a 400 saying "Entity not found", anything else
//! one error: `unexpected_response` for a 200/201 that is neither, else exactly what `classify`
//! makes of the status (a typed error of the API's codes, stored and read back unchanged); the
//! card is `leads`, `contacts` or `companies` as amoCRM named it, singular or plural. The notes
//! page never invents a note or an id: it is every note with an id and a card, in amoCRM's order,
//! each with the call id it carries.
#![no_main]

mod common;

use amo_core::amocrm::client::{call_landing, call_notes_page, classify, CallLanding, CallNote};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The input: the status (two bytes, big-endian), one byte choosing the content type, then the
/// body — as `api_answer`'s, so seeds are plain text after three bytes.
fn read(data: &[u8]) -> Option<(u16, &'static str, String)> {
    let &[hi, lo, ct] = data.first_chunk::<3>()?;
    let ct = ["application/hal+json", "application/problem+json", "text/html; charset=utf-8", "", "text/plain"]
        [usize::from(ct) % 5];
    Some((u16::from_be_bytes([hi, lo]), ct, String::from_utf8_lossy(&data[3..]).into_owned()))
}

const API_CODES: &[&str] = &[
    "account_banned",
    "unexpected_response",
    "validation",
    "request_refused",
    "unauthorized",
    "not_paid",
    "forbidden",
    "amo_not_found",
    "rate_limited",
    "server_error",
    "network",
];

/// How an answer must land, from what it says.
#[derive(Debug, PartialEq, Eq)]
enum Expected {
    Logged {
        note_id: i64,
        entity: &'static str,
        entity_id: i64,
    },
    Unknown,
    /// A 200/201 that is neither.
    Unexpected,
    /// Whatever `classify` makes of it.
    Classified,
}

fn says_entity_not_found(v: &Value) -> bool {
    v.get("errors").and_then(Value::as_array).is_some_and(|errors| {
        errors
            .iter()
            .any(|e| e.get("title").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("entity not found")))
    })
}

fn expected(status: u16, json: Option<&Value>) -> Expected {
    let unknown = json.is_some_and(says_entity_not_found);
    match status {
        200 | 201 => match json.and_then(|v| v.pointer("/_embedded/calls/0")) {
            Some(call) => {
                let id = call.get("id").and_then(Value::as_i64);
                let card = call
                    .get("entity_id")
                    .and_then(Value::as_i64)
                    .or_else(|| call.pointer("/_embedded/entity/id").and_then(Value::as_i64));
                let entity = match call.get("entity_type").and_then(Value::as_str) {
                    Some("lead" | "leads") => "leads",
                    Some("company" | "companies") => "companies",
                    _ => "contacts",
                };
                match (id, card) {
                    (Some(note_id), Some(entity_id)) => Expected::Logged { note_id, entity, entity_id },
                    _ => Expected::Unexpected,
                }
            }
            None if unknown => Expected::Unknown,
            None => Expected::Unexpected,
        },
        400 if unknown => Expected::Unknown,
        _ => Expected::Classified,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((status, ct, body)) = read(data) else { return };
    let json = serde_json::from_str::<Value>(&body).ok();

    let landed = call_landing(status, ct, &body);
    assert_eq!(landed, call_landing(status, ct, &body), "the same answer landed two ways");
    match (expected(status, json.as_ref()), landed) {
        (
            Expected::Logged { note_id, entity, entity_id },
            Ok(CallLanding::Logged { note_id: n, entity: e, entity_id: i }),
        ) => {
            assert_eq!((n, e.as_str(), i), (note_id, entity, entity_id));
        }
        (Expected::Unknown, Ok(CallLanding::UnknownNumber)) => {}
        (Expected::Unexpected, Err(e)) => common::check_error(&e, &["unexpected_response"]),
        (Expected::Classified, Err(e)) => {
            assert_eq!(e, classify(status, ct, &body), "not what classify says of HTTP {status}");
            common::check_error(&e, API_CODES);
        }
        (want, got) => panic!("HTTP {status} should land as {want:?}, landed as {got:?}"),
    }

    // The body as a page of call notes (what a 200 to the notes list carries).
    let Some(v) = json else { return };
    let items = v.pointer("/_embedded/notes").and_then(Value::as_array).cloned();
    match call_notes_page(v.clone()) {
        Ok((notes, has_next)) => {
            assert_eq!(has_next, v.pointer("/_links/next").is_some());
            let items = items.expect("a page is read only from a list of notes");
            let want: Vec<CallNote> = items
                .iter()
                .filter_map(|n| {
                    Some(CallNote {
                        id: n.get("id")?.as_i64()?,
                        entity_id: n.get("entity_id")?.as_i64()?,
                        uniq: n.pointer("/params/uniq").and_then(Value::as_str).unwrap_or("").to_string(),
                    })
                })
                .collect();
            assert_eq!(notes, want);
        }
        Err(e) => {
            common::check_error(&e, &["unexpected_response"]);
            assert!(items.is_none(), "a list of notes refused: {e:?}");
        }
    }
});
