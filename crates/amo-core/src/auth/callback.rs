//! The query amoCRM appends to the Redirect URI: `code`, `state`, `referer`, `platform` on
//! success, `error=access_denied` on refusal (docs/amocrm-api.md §3.1–3.2). Parsing is separate
//! from the state check so every entry point (loopback, deep link) validates the same way.

use std::collections::HashMap;

use crate::domain::platform::Platform;
use crate::domain::secret::Secret;
use crate::domain::settings::validate_domain;
use crate::error::{shown, CallbackProblem, Result, SignInError};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallbackQuery {
    pub state: Option<String>,
    pub code: Option<Secret>,
    pub referer: Option<String>,
    pub platform: Option<String>,
    pub error: Option<String>,
}

impl CallbackQuery {
    pub fn parse(query: &str) -> CallbackQuery {
        let mut m: HashMap<String, String> = HashMap::new();
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            // The first occurrence wins; a duplicated parameter cannot override it.
            m.entry(k.into_owned()).or_insert_with(|| v.into_owned());
        }
        let nonempty = |k: &str| m.get(k).filter(|v| !v.is_empty()).cloned();
        CallbackQuery {
            state: nonempty("state"),
            code: nonempty("code").map(Secret::new),
            referer: nonempty("referer"),
            platform: nonempty("platform"),
            error: nonempty("error"),
        }
    }
}

/// A callback whose state has been accepted, reduced to what the code exchange needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorized {
    pub code: Secret,
    /// The account host, e.g. `acme.amocrm.ru`; where the code is exchanged.
    pub domain: String,
    pub platform: Platform,
}

/// Everything after the state check: a denial, a missing code, a host that is not amoCRM's.
/// The `referer` decides where the Secret key is sent, so it must be an amoCRM/Kommo account
/// host and nothing else.
pub fn authorize(q: &CallbackQuery, fallback: Platform) -> Result<Authorized> {
    let invalid = |problem| SignInError::CallbackInvalid { problem };
    if let Some(err) = &q.error {
        return Err(if err == "access_denied" {
            SignInError::AccessDenied.into()
        } else {
            SignInError::CallbackError { error: shown(err, 64) }.into()
        });
    }
    let code = q.code.clone().ok_or(SignInError::CallbackMissingCode)?;
    if code.expose().len() > crate::domain::settings::MAX_CODE {
        return Err(invalid(CallbackProblem::CodeTooLong).into());
    }
    let referer = q.referer.as_deref().ok_or(invalid(CallbackProblem::NoReferer))?;
    let domain = validate_domain(referer).map_err(|_| invalid(CallbackProblem::ForeignReferer))?;
    let platform = match q.platform.as_deref() {
        Some("1") => Platform::Amocrm,
        Some("2") => Platform::Kommo,
        _ => Platform::of_host(&domain).unwrap_or(fallback),
    };
    Ok(Authorized { code, domain, platform })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_success_callback() {
        let q = CallbackQuery::parse("code=def&state=st&referer=acme.amocrm.ru&platform=1&from_widget=");
        let a = authorize(&q, Platform::Kommo).expect("ok");
        assert_eq!((a.code.expose(), a.domain.as_str(), a.platform), ("def", "acme.amocrm.ru", Platform::Amocrm));
        assert!(!format!("{a:?}").contains("def"));
    }

    #[test]
    fn denial_missing_code_and_foreign_referer_are_specific_errors() {
        let code = |q: &str| authorize(&CallbackQuery::parse(q), Platform::Amocrm).expect_err(q).code().as_str();
        assert_eq!(code("error=access_denied&state=s"), "access_denied");
        assert_eq!(code("error=server_error&state=s"), "callback_error");
        assert_eq!(code("state=s&referer=acme.amocrm.ru"), "callback_missing_code");
        assert_eq!(code("state=s&code=&referer=acme.amocrm.ru"), "callback_missing_code");
        assert_eq!(code("state=s&code=c"), "callback_invalid");
        assert_eq!(code("state=s&code=c&referer=attacker.example"), "callback_invalid");
        assert_eq!(code("state=s&code=c&referer=acme.amocrm.ru.attacker.example"), "callback_invalid");
    }

    #[test]
    fn first_parameter_wins_and_platform_falls_back_to_the_host() {
        let q = CallbackQuery::parse("state=a&state=b&code=c&referer=acme.kommo.com");
        assert_eq!(q.state.as_deref(), Some("a"));
        assert_eq!(authorize(&q, Platform::Amocrm).expect("ok").platform, Platform::Kommo);
    }
}
