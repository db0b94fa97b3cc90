//! amoCRM's answers to API calls: any status, content type and body a server (or something in
//! between, like a captive portal or a proxy) can send. Runs the real `amocrm::client::classify`,
//! `amocrm::http::Problem`, `wire::validation_problems` and the decoders of leads, contacts,
//! pipelines, the account and `/leads/complex` answers.
//!
//! Checked: every failed answer becomes an error of the API's codes (the ones the outbox decides
//! retries by), with server text shortened and printable, which the outbox can store and read
//! back; statuses keep their meaning whatever the body says; decoders take what is there and
//! never invent ids.
#![no_main]

mod common;

use amo_core::amocrm::client::{classify, ComplexResult, CurrentSubdomain};
use amo_core::amocrm::http::Problem;
use amo_core::amocrm::wire::{contact_match, lead_summary, validation_problems, RawPipeline};
use amo_core::domain::account::AccountInfo;
use amo_core::domain::reference::User;
use amo_core::error::{AmoError, Error};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The input: the status (two bytes, big-endian), one byte choosing the content type, then the
/// body. Plain text after three bytes, so seeds are readable.
fn read(data: &[u8]) -> Option<(u16, &'static str, String)> {
    let &[hi, lo, ct] = data.first_chunk::<3>()?;
    let body = &data[3..];
    let ct = ["application/problem+json", "application/hal+json", "text/html; charset=utf-8", "", "text/plain"]
        [usize::from(ct) % 5];
    Some((u16::from_be_bytes([hi, lo]), ct, String::from_utf8_lossy(body).into_owned()))
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

fuzz_target!(|data: &[u8]| {
    let Some((status, ct, body)) = read(data) else { return };
    let body = body.as_str();

    let e = classify(status, ct, body);
    common::check_error(&e, API_CODES);
    let code = e.code();
    let html_403 = status == 403 && (ct.contains("text/html") || body.trim_start().starts_with('<'));
    match status {
        _ if html_403 => assert_eq!(code, "account_banned"),
        401 => assert_eq!(code, "unauthorized"),
        402 => assert_eq!(code, "not_paid"),
        403 => assert_eq!(code, "forbidden"),
        404 => assert_eq!(code, "amo_not_found"),
        408 => assert_eq!(code, "network"),
        429 => assert_eq!(code, "rate_limited"),
        500..=599 => assert_eq!(e, AmoError::ServerError { status }.into()),
        400 => assert!(matches!(code.as_str(), "validation" | "request_refused")),
        405..=499 => assert_eq!(code, "request_refused"),
        _ => assert_eq!(code, "unexpected_response"),
    }
    match &e {
        Error::Amo(
            AmoError::RequestRefused { hint, .. } | AmoError::Forbidden { hint } | AmoError::AmoNotFound { hint },
        ) => {
            assert!(hint.chars().count() <= 160);
            common::assert_printable(hint);
        }
        Error::Entry(amo_core::error::EntryError::Validation(fields)) => {
            assert!(!fields.is_empty(), "a validation error without fields");
            for f in fields {
                assert!(f.amo_code.as_deref().unwrap_or_default().chars().count() <= 60);
                assert!(f.detail.as_deref().unwrap_or_default().chars().count() <= 200);
            }
        }
        _ => {}
    }

    let summary = Problem::parse(body).summary();
    assert!(summary.chars().count() <= 160);
    common::assert_printable(&summary);
    if let Some(problems) = validation_problems(body) {
        assert!(!problems.is_empty());
    }

    if let Ok(v) = serde_json::from_str::<Value>(body) {
        decoders(&v);
        for key in ["leads", "contacts", "pipelines", "users", "notes"] {
            if let Some(items) = v.pointer(&format!("/_embedded/{key}")).and_then(Value::as_array) {
                items.iter().for_each(decoders);
            }
        }
    }
});

/// Each decoder either declines or returns what the JSON says.
fn decoders(v: &Value) {
    if let Some(l) = lead_summary(v) {
        assert_eq!(Some(l.id), v["id"].as_i64());
        assert_eq!(l.price, v["price"].as_i64().unwrap_or(0));
        let ids = v.pointer("/_embedded/contacts").and_then(Value::as_array).map_or(0, |a| a.len());
        assert!(l.contact_ids.len() <= ids);
    }
    if let Some(c) = contact_match(v) {
        assert_eq!(Some(c.id), v["id"].as_i64());
        let strings = v.to_string();
        for p in c.phones.iter().chain(&c.emails) {
            assert!(strings.contains(&serde_json::to_string(p).expect("s")), "{p:?} is not in the answer");
        }
    }
    if let Ok(p) = serde_json::from_value::<RawPipeline>(v.clone()) {
        let p = p.into_pipeline();
        assert!(p.statuses.windows(2).all(|w| w[0].sort <= w[1].sort), "stages are in amoCRM's order");
    }
    let _ = serde_json::from_value::<AccountInfo>(v.clone());
    let _ = serde_json::from_value::<User>(v.clone());
    let _ = serde_json::from_value::<CurrentSubdomain>(v.clone());
    let _ = serde_json::from_value::<Vec<ComplexResult>>(v.clone());
}
