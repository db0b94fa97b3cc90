//! The OAuth token set and the few things we read from amoCRM's JWT access tokens.
//! `Debug` never prints a token; use [`mask`] for anything a person sees.

use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize};
use ts_rs::TS;

use crate::domain::secret::Secret;

/// What the keychain holds for one connection.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenSet {
    pub access_token: Secret,
    /// `None` for a long-lived token (no refresh exists).
    pub refresh_token: Option<Secret>,
    /// Unix seconds.
    pub expires_at: i64,
    /// Unix seconds of the last grant or refresh.
    pub obtained_at: i64,
    /// amoCRM's whole answer to the grant or refresh, as it came (it holds the tokens, so it is a
    /// secret and lives only here, in the keychain): kept for diagnostics, as the original
    /// integration kept it. `None` for a long-lived token, and for tokens stored before.
    #[serde(default)]
    pub raw: Option<Secret>,
}

/// What may be shown of the tokens: the non-secret parts of amoCRM's answer and of the access
/// token's claims (`status --json`, the status panel's details).
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq, Default)]
#[ts(export)]
pub struct TokenInfo {
    pub token_type: Option<String>,
    #[ts(type = "number | null")]
    pub expires_in: Option<i64>,
    /// RFC 3339: amoCRM's clock when it answered.
    pub server_time: Option<String>,
    pub api_domain: Option<String>,
    #[ts(type = "number | null")]
    pub account_id: Option<i64>,
}

impl TokenSet {
    /// The non-secret facts about these tokens.
    pub fn info(&self) -> TokenInfo {
        let answer: Option<serde_json::Value> = self.raw.as_ref().and_then(|r| serde_json::from_str(r.expose()).ok());
        let field = |k: &str| answer.as_ref().and_then(|a| a.get(k).cloned());
        let claims = jwt_claims(self.access_token.expose()).unwrap_or_default();
        TokenInfo {
            token_type: field("token_type").and_then(|v| v.as_str().map(|s| crate::error::shown(s, 20))),
            expires_in: field("expires_in").and_then(|v| v.as_i64()),
            server_time: field("server_time").and_then(|v| v.as_i64()).map(crate::clock::rfc3339),
            api_domain: claims.api_domain.map(|d| crate::error::shown(&d, 100)),
            account_id: claims.account_id,
        }
    }
}

/// What an API call needs: the account host and a valid access token (handed out by
/// `auth::session`).
#[derive(Debug, Clone)]
pub struct Access {
    pub domain: String,
    pub token: Secret,
}

/// A token as a person may see it: the first 6 and last 4 characters and the length.
/// Short values are masked completely.
pub fn mask(token: &str) -> String {
    let n = token.chars().count();
    if n < 24 {
        return "•".repeat(n.clamp(1, 8));
    }
    let head: String = token.chars().take(6).collect();
    let tail: String = token.chars().skip(n - 4).collect();
    format!("{head}…{tail} ({n})")
}

/// Claims of an amoCRM access token we use. The signature is not checked: the key is amoCRM's
/// and unknown to clients (docs/amocrm-api.md §6.2); the claims only guide, the server decides.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct JwtClaims {
    #[serde(default, deserialize_with = "lenient_int")]
    pub exp: Option<i64>,
    #[serde(default, deserialize_with = "lenient_int")]
    pub account_id: Option<i64>,
    pub api_domain: Option<String>,
    pub base_domain: Option<String>,
}

/// A JSON number as an integer, also when written as a float (`1.9e9`, `1900000000.0`) or a
/// string of digits — JWT libraries differ. Anything else (or out of range) is `None`.
fn lenient_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match v {
        Some(serde_json::Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15).map(|f| f as i64)),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

/// Reads the payload of a JWT. `None` if the token is not JWT-shaped.
pub fn jwt_claims(token: &str) -> Option<JwtClaims> {
    let mut parts = token.split('.');
    let (_h, p, _s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(p.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_hides_the_middle_and_short_values_entirely() {
        let t = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.payload.signature-abcdef1234";
        let m = mask(t);
        assert!(m.starts_with("eyJ0eX…") && m.contains("1234") && m.ends_with(&format!("({})", t.len())));
        assert!(!m.contains("payload"));
        assert_eq!(mask("short-secret"), "••••••••");
    }

    #[test]
    fn debug_of_a_token_set_contains_no_token() {
        let ts = TokenSet {
            access_token: Secret::new("A".repeat(40) + "secretpart"),
            refresh_token: Some(Secret::new("def50200".to_string() + &"9".repeat(40))),
            raw: Some(Secret::new(format!(r#"{{"access_token":"{}secretpart"}}"#, "A".repeat(40)))),
            expires_at: 1,
            obtained_at: 0,
        };
        let d = format!("{ts:?}");
        assert!(!d.contains("secretpart") && !d.contains(&"9".repeat(20)), "{d}");
    }

    #[test]
    fn reads_claims_and_rejects_non_jwts() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"exp":1900000000,"account_id":42,"api_domain":"api-b.amocrm.ru"}"#);
        let c = jwt_claims(&format!("h.{payload}.s")).expect("claims");
        assert_eq!(c.exp, Some(1_900_000_000));
        assert_eq!(c.account_id, Some(42));
        assert_eq!(c.api_domain.as_deref(), Some("api-b.amocrm.ru"));
        assert!(jwt_claims("not-a-jwt").is_none());
        assert!(jwt_claims("a.b.c.d").is_none());
        assert!(jwt_claims("a.!!!.c").is_none());
    }

    #[test]
    fn numbers_in_claims_are_read_leniently() {
        let jwt = |payload: &str| format!("h.{}.s", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload));
        assert_eq!(jwt_claims(&jwt(r#"{"exp":1900000000.0}"#)).expect("float").exp, Some(1_900_000_000));
        assert_eq!(jwt_claims(&jwt(r#"{"exp":1.9e9}"#)).expect("exponent").exp, Some(1_900_000_000));
        assert_eq!(jwt_claims(&jwt(r#"{"exp":"1900000000"}"#)).expect("string").exp, Some(1_900_000_000));
        assert_eq!(jwt_claims(&jwt(r#"{"exp":1.5}"#)).expect("fraction").exp, None);
        assert_eq!(jwt_claims(&jwt(r#"{"exp":1e300}"#)).expect("huge").exp, None);
        assert_eq!(jwt_claims(&jwt(r#"{"exp":null,"account_id":7}"#)).expect("null").account_id, Some(7));
    }
}
