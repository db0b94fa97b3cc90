//! amoCRM's answers about incoming leads (docs/amocrm-api.md §8.13, §16.3): any bytes as the body
//! of a 200 to `POST /api/v4/leads/unsorted/{forms|sip}` and as a page of
//! `GET /api/v4/leads/unsorted`. Runs the real `amocrm::wire::parse`,
//! `amocrm::client::unsorted_made` (what `ApiClient::add_unsorted_form` and `add_unsorted_sip` make
//! of the answer) and `unsorted_page` (each page `ApiClient::unsorted_by_source_uid` reads to find
//! an incoming lead whose answer was lost), for every `source_uid` on the page and one that is not.
//!
//! Checked: no panic; a body that is not JSON, an add answer without an incoming lead or without
//! its lead id, or a page without a list, is `unexpected_response`; the add reports the ids of the
//! first incoming lead's first lead, contact and company, none invented; a page finds, for a
//! `source_uid`, the first incoming lead sent with it that names its lead — with that lead's,
//! contact's and company's ids — and nothing for a `source_uid` no incoming lead carries; what the
//! add reports for an incoming lead is what the page finds for its `source_uid` when it comes
//! first; whether there is a next page is `_links.next`.
#![no_main]

mod common;

use amo_core::amocrm::client::{unsorted_made, unsorted_page, ComplexResult};
use amo_core::amocrm::wire::parse;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The id of the first element of `made[key]` (amoCRM lists each as an array of `{id}`).
fn first_id(made: &Value, key: &str) -> Option<i64> {
    made.get(key)?.as_array()?.first()?.get("id")?.as_i64()
}

/// Whether `made[key]` is written as an array: JSON pointers (which the decoders use) also read
/// `{"0": …}` as the first element; amoCRM never writes one, so such answers are not compared.
fn arrays_only(made: &Value) -> bool {
    ["leads", "contacts", "companies"].iter().all(|k| made.get(k).is_none_or(Value::is_array))
}

/// What an incoming lead's `_embedded` names, read independently of the decoder.
fn ids(made: &Value) -> Option<ComplexResult> {
    Some(ComplexResult {
        id: first_id(made, "leads")?,
        contact_id: first_id(made, "contacts"),
        company_id: first_id(made, "companies"),
        merged: false,
        request_id: Vec::new(),
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
    let items = v.pointer("/_embedded/unsorted").and_then(Value::as_array).cloned();
    let first = items.as_ref().and_then(|a| a.first()).and_then(|u| u.get("_embedded"));
    let comparable = items.as_ref().is_some_and(|a| a.iter().filter_map(|u| u.get("_embedded")).all(arrays_only));

    // The add's answer.
    let made = unsorted_made(&v);
    match (&made, first) {
        (Ok(r), Some(m)) => {
            assert!(!r.merged && r.request_id.is_empty());
            if comparable {
                assert_eq!(Some(r), ids(m).as_ref(), "the add reports other ids than its incoming lead's");
            }
        }
        (Ok(r), None) => assert!(!comparable, "ids {r:?} from an answer without an incoming lead"),
        (Err(e), m) => {
            common::check_error(e, &["unexpected_response"]);
            if comparable {
                assert!(m.and_then(ids).is_none(), "an incoming lead with a lead id refused: {e:?}");
            }
        }
    }

    // The list's page, for each source_uid on it and one no incoming lead carries.
    let has_next = v.pointer("/_links/next").is_some();
    let mut uids: Vec<String> = items
        .iter()
        .flatten()
        .filter_map(|u| u.get("source_uid").and_then(Value::as_str).map(str::to_string))
        .collect();
    uids.dedup();
    uids.truncate(20);
    let absent = "amo-connect-fuzz-absent";
    if items.iter().flatten().all(|u| u.get("source_uid").and_then(Value::as_str) != Some(absent)) {
        uids.push(absent.to_string());
    }
    for uid in &uids {
        match unsorted_page(v.clone(), uid) {
            Ok((found, next)) => {
                assert_eq!(next, has_next);
                let items = items.as_ref().expect("a page is read only from a list of incoming leads");
                let sent: Vec<&Value> = items
                    .iter()
                    .filter(|u| u.get("source_uid").and_then(Value::as_str) == Some(uid.as_str()))
                    .collect();
                if comparable {
                    let want = sent.iter().find_map(|u| ids(u.get("_embedded")?));
                    assert_eq!(found, want, "not the first incoming lead sent with {uid:?}");
                } else if found.is_some() {
                    assert!(!sent.is_empty(), "found {found:?} for {uid:?}, which no incoming lead carries");
                }
                // What the add reported of the first incoming lead is what the page finds for it.
                let first_uid = items.first().and_then(|u| u.get("source_uid")).and_then(Value::as_str);
                if let (Ok(r), Some(true)) = (&made, first_uid.map(|f| f == uid)) {
                    assert_eq!(found.as_ref(), Some(r), "the page and the add read one incoming lead two ways");
                }
            }
            Err(e) => {
                common::check_error(&e, &["unexpected_response"]);
                assert!(items.is_none(), "a list of incoming leads refused: {e:?}");
            }
        }
    }
});
