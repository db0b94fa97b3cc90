//! What the token endpoint answers and what tokens say about themselves: a 200 body (the tokens,
//! kept whole in the keychain), a refusal (status and body, for both grants), and the JWT claims
//! read from an access token or from a long-lived token a person pastes. Runs the real
//! `token_client::token_set_from_answer` and `classify`, `tokens::jwt_claims`, `TokenSet::info`
//! (shown by `status --json` and the status panel) and `mask`.
//!
//! Checked: tokens come out non-empty with an expiry within amoCRM's longest lifetime (no
//! overflow, whatever `expires_in` says); the set survives the keychain's JSON; neither `Debug`
//! nor the shown facts nor an error ever contain a token; refusals are the sign-in codes.
#![no_main]

mod common;

use amo_core::amocrm::token_client::{classify, token_set_from_answer, Grant, MAX_LIFETIME_SECS};
use amo_core::domain::secret::Secret;
use amo_core::domain::settings::validate_api_domain;
use amo_core::domain::tokens::{jwt_claims, mask, TokenSet};
use base64::Engine;
use libfuzzer_sys::fuzz_target;

/// What one run checks. Read from a byte saying which, then plain text (seeds stay readable).
enum Input {
    /// `g` + the time of the answer (8 bytes, big-endian) + a 200 answer's body.
    Granted { body: String, now: i64 },
    /// `r` (authorization code) or `R` (refresh) + status (2 bytes) + `h` (HTML) or any byte + body.
    Refused { status: u16, html: bool, body: String, refresh: bool },
    /// `t` + a token as pasted (or received).
    Token(String),
    /// `c` + the payload of a JWT.
    Claims(Vec<u8>),
}

impl Input {
    fn read(data: &[u8]) -> Option<Input> {
        let (&kind, rest) = data.split_first()?;
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        Some(match kind {
            b'g' => {
                let now = i64::from_be_bytes(*rest.first_chunk::<8>()?);
                Input::Granted { body: text(&rest[8..]), now }
            }
            b'r' | b'R' => {
                let &[hi, lo, html] = rest.first_chunk::<3>()?;
                let status = u16::from_be_bytes([hi, lo]);
                Input::Refused { status, html: html == b'h', body: text(&rest[3..]), refresh: kind == b'R' }
            }
            b't' => Input::Token(text(rest)),
            b'c' => Input::Claims(rest.to_vec()),
            _ => return None,
        })
    }
}

const TOKEN_CODES: &[&str] = &[
    "account_banned",
    "rate_limited",
    "server_error",
    "invalid_client_id",
    "invalid_client_secret",
    "redirect_uri_mismatch",
    "code_expired",
    "code_revoked",
    "code_invalid",
    "token_revoked",
    "token_rejected",
    "unexpected_response",
];

fuzz_target!(|data: &[u8]| match Input::read(data) {
    None => {}
    Some(Input::Granted { body, now }) => granted(body, now),
    Some(Input::Refused { status, html, body, refresh }) => {
        let grant = if refresh { Grant::RefreshToken } else { Grant::AuthorizationCode };
        let e = classify(status, if html { "text/html" } else { "application/problem+json" }, &body, grant);
        common::check_error(&e, TOKEN_CODES);
        if (500..=599).contains(&status) {
            assert_eq!(e.code(), "server_error");
        }
        if status == 429 {
            assert_eq!(e.code(), "rate_limited");
        }
    }
    Some(Input::Token(t)) => token(&t),
    Some(Input::Claims(payload)) => {
        let jwt =
            format!("eyJhbGciOiJSUzI1NiJ9.{}.c2ln", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&payload));
        let claims = jwt_claims(&jwt);
        // Any JSON object is claims; numbers are read leniently, nothing else panics or fails.
        let object = serde_json::from_slice::<serde_json::Value>(&payload).ok().filter(|v| v.is_object());
        if let Some(v) = &object {
            let distinct = v.as_object().map_or(0, serde_json::Map::len);
            if serde_json::from_slice::<KeyCount>(&payload).is_ok_and(|k| k.0 == distinct)
                && v.get("api_domain").is_none_or(|d| d.is_string() || d.is_null())
                && v.get("base_domain").is_none_or(|d| d.is_string() || d.is_null())
            {
                let c = claims.clone().expect("a JSON object with string domains is claims");
                if let Some(n) = v.get("exp").and_then(serde_json::Value::as_i64) {
                    assert_eq!(c.exp, Some(n));
                }
                if let Some(n) = v.get("account_id").and_then(serde_json::Value::as_i64) {
                    assert_eq!(c.account_id, Some(n));
                }
            }
        } else if std::str::from_utf8(&payload).is_ok()
            && serde_json::from_slice::<serde::de::IgnoredAny>(&payload).is_err()
        {
            // (`IgnoredAny`, not `Value`: an unknown claim is skipped unread, so a number out of
            // f64 range in it, which `Value` refuses, is still valid JSON to the claims parser.)
            // (Bytes that are not UTF-8 may still be claims, since serde skips unknown claims
            // unread; and serde reads a struct from an array too.)
            assert!(claims.is_none(), "claims from a payload that is not JSON");
        }
        token(&jwt);
    }
});

/// How many keys a JSON object has, duplicates included (a JWT with a claim twice is refused).
struct KeyCount(usize);

impl<'de> serde::Deserialize<'de> for KeyCount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = KeyCount;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<KeyCount, A::Error> {
                let mut n = 0;
                while map.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {
                    n += 1;
                }
                Ok(KeyCount(n))
            }
        }
        d.deserialize_map(V)
    }
}

fn granted(body: String, now: i64) {
    let secrets: Vec<String> = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .map(|v| {
            ["access_token", "refresh_token"]
                .iter()
                .filter_map(|k| v.get(*k).and_then(serde_json::Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    match token_set_from_answer(body.clone(), now) {
        Ok(t) => {
            assert!(!t.access_token.is_empty());
            assert!(t.refresh_token.as_ref().is_none_or(|r| !r.is_empty()));
            assert!(t.expires_at > now || now.checked_add(1).is_none(), "already expired when granted");
            assert!(t.expires_at.saturating_sub(now) <= MAX_LIFETIME_SECS, "a lifetime longer than amoCRM issues");
            assert_eq!(t.obtained_at, now);
            assert_eq!(t.raw.as_ref().map(Secret::expose), Some(body.as_str()), "the answer is kept whole");
            // The keychain keeps the set as JSON.
            let stored = serde_json::to_vec(&t).expect("serialise");
            assert_eq!(serde_json::from_slice::<TokenSet>(&stored).expect("read back"), t);
            // Debug depends on the tokens' lengths only.
            let twin = TokenSet {
                access_token: Secret::new(common::stand_in(t.access_token.expose())),
                refresh_token: t.refresh_token.as_ref().map(|r| Secret::new(common::stand_in(r.expose()))),
                raw: t.raw.as_ref().map(|r| Secret::new(common::stand_in(r.expose()))),
                ..t.clone()
            };
            assert_eq!(format!("{t:?}"), format!("{twin:?}"), "Debug shows a token");
            shown_facts(&t);
        }
        Err(e) => {
            common::check_error(&e, &["unexpected_response"]);
            let shown = format!("{e:?} {e} {}", e.message(amo_core::Lang::En));
            // A token could only be in the text by being echoed (a token that also stands
            // elsewhere in the answer may be there for that other place).
            for s in secrets.iter().filter(|s| s.chars().count() >= 16 && body.matches(s.as_str()).count() == 1) {
                assert!(!shown.contains(s.as_str()), "the error shows a token: {shown}");
            }
        }
    }
}

/// What `status --json` and the status panel show of a token set never contains a token.
fn shown_facts(t: &TokenSet) {
    let info = t.info();
    let json = serde_json::to_string(&info).expect("info serialises");
    for s in [Some(&t.access_token), t.refresh_token.as_ref()].into_iter().flatten() {
        // Each shown fact is short (20 and 100 characters at most, or a number or a date): a
        // token longer than that can only be there if it leaked.
        if s.expose().chars().count() > 120 {
            assert!(!json.contains(s.expose()), "token facts show a token: {json}");
        }
    }
    assert!(info.token_type.as_deref().is_none_or(|s| s.chars().count() <= 20));
    assert!(info.api_domain.as_deref().is_none_or(|s| s.chars().count() <= 100));
    for s in [&info.token_type, &info.api_domain, &info.server_time].into_iter().flatten() {
        common::assert_printable(s);
    }
}

fn token(t: &str) {
    let m = mask(t);
    let n = t.chars().count();
    if n >= 24 {
        // The first 6 and last 4 characters and the length: never the token.
        assert!(!m.contains(t), "mask shows the token: {m}");
        assert!(m.chars().count() <= 6 + 1 + 4 + 2 + 1 + 20, "{m}");
    } else {
        assert!(m.chars().all(|c| c == '•'), "a short token is masked whole: {m}");
    }
    if let Some(c) = jwt_claims(t) {
        if let Some(d) = c.api_domain {
            let _ = validate_api_domain(&d);
        }
    }
    let set = TokenSet { access_token: Secret::new(t), refresh_token: None, expires_at: 0, obtained_at: 0, raw: None };
    shown_facts(&set);
}
