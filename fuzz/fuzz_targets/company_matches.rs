//! The companies amoCRM's search finds (docs/amocrm-api.md §8.6): any bytes as the body of
//! `GET /api/v4/companies?query=…`, the list the company field suggests from. Runs the real
//! `amocrm::wire::parse`, `amocrm::client::company_matches` (what `ApiClient::search_companies`
//! makes of a 200) and `amocrm::wire::company_match` (each company, also as
//! `ApiClient::companies_created_at` reads it), and sends the matches as the window gets them.
//!
//! Checked: no panic; a body that is not JSON, or has no list of companies, is
//! `unexpected_response`; the matches are exactly the companies with an integer id and a text
//! name, in amoCRM's order, each with that id and name — none invented, none merged; each reads
//! the same alone; the matches survive the JSON the window gets unchanged.
#![no_main]

mod common;

use amo_core::amocrm::client::company_matches;
use amo_core::amocrm::wire::{company_match, parse};
use amo_core::domain::reference::CompanyMatch;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

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
    let items = v.pointer("/_embedded/companies").and_then(Value::as_array).cloned();
    match company_matches(v) {
        Ok(matches) => {
            let items = items.expect("matches are read only from a list of companies");
            let want: Vec<CompanyMatch> = items
                .iter()
                .filter_map(|c| match (c.get("id").and_then(Value::as_i64), c.get("name").and_then(Value::as_str)) {
                    (Some(id), Some(name)) => Some(CompanyMatch { id, name: name.to_string() }),
                    _ => None,
                })
                .collect();
            assert_eq!(matches, want, "the matches are not the companies the answer names");
            let alone: Vec<CompanyMatch> = items.iter().filter_map(company_match).collect();
            assert_eq!(matches, alone, "a company reads otherwise alone");
            let json = serde_json::to_string(&matches).expect("matches serialise");
            let back: Vec<CompanyMatch> =
                serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json} does not read back: {e}"));
            assert_eq!(back, matches);
        }
        Err(e) => {
            common::check_error(&e, &["unexpected_response"]);
            assert!(items.is_none(), "a list of companies refused: {e:?}");
        }
    }
});
