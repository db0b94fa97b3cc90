//! Checks every fuzz target applies to what the core returns. Each target includes this module
//! (`mod common;`) and uses the parts it needs.
#![allow(dead_code)]

use amo_core::{Error, Lang};

/// An error is a typed value: its code is one the caller may produce, it renders in both
/// languages without control or bidi characters (untrusted text goes through `shown`), and it
/// survives the JSON round trip the outbox uses to keep an entry's last failure.
pub fn check_error(e: &Error, allowed: &[&str]) {
    let code = e.code();
    assert!(allowed.contains(&code.as_str()), "unexpected error code {code}: {e:?}");
    for lang in [Lang::Ru, Lang::En] {
        let m = e.message(lang);
        assert!(!m.is_empty(), "{code}: empty message");
        assert_printable(&m);
        let payload = e.to_payload(lang);
        assert_eq!(payload.code, code);
    }
    let json = serde_json::to_string(e).expect("an error serialises");
    let back: Error = serde_json::from_str(&json).unwrap_or_else(|x| panic!("{json} does not read back: {x}"));
    assert_eq!(&back, e, "the stored error reads back as another one: {json}");
}

/// No control character (line ends included) and no Unicode direction override: what reaches a
/// terminal, a log line or the window cannot rewrite what is around it.
pub fn assert_printable(s: &str) {
    if let Some(c) = s.chars().find(|c| c.is_control() || amo_core::error::is_bidi_control(*c)) {
        panic!("control character {c:?} in {s:?}");
    }
}

/// A secret's stand-in with the same number of characters: `Debug` of a value holding it must
/// be exactly `Debug` of the value holding the real secret, i.e. print nothing of its content.
pub fn stand_in(secret: &str) -> String {
    let n = secret.chars().count();
    if secret.chars().all(|c| c == '*') {
        "#".repeat(n)
    } else {
        "*".repeat(n)
    }
}
