//! What a person pastes into Settings, the CLI's `config set` or the paste-a-code dialog, and
//! what amoCRM's tokens claim: account domains, Redirect URIs, the `api_domain` claim, pasted
//! codes, the Integration ID and the Secret key. Runs the real validators in
//! `domain::settings`. Each accepts a value only in its canonical form (validating it again
//! changes nothing), a domain only if requests built from it go to that amoCRM/Kommo host, and
//! refusals are typed errors that never repeat a secret.
#![no_main]

mod common;

use amo_core::amocrm::endpoints::Endpoints;
use amo_core::domain::platform::Platform;
use amo_core::domain::settings::{
    validate_api_domain, validate_client_id, validate_client_secret, validate_domain, validate_pasted_code,
    validate_redirect_uri, RedirectMode, Settings, DEEP_LINK_REDIRECT, MAX_CODE, MAX_SECRET,
};
use amo_core::error::{Setting, SettingProblem};
use amo_core::Error;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    domain(raw);
    redirect_uri(raw);
    api_domain(raw);
    pasted_code(raw);
    client_id(raw);
    client_secret(raw);
});

/// The host every request for this account goes to, with the Secret key and the tokens.
fn assert_requests_go_to(host: &str) {
    let url = Endpoints::default().account_url(host, "/oauth2/access_token").expect("an accepted host makes a URL");
    assert_eq!((url.scheme(), url.host_str()), ("https", Some(host)), "a request for {host:?} goes to {url}");
    assert_eq!((url.port(), url.username(), url.password(), url.path()), (None, "", None, "/oauth2/access_token"));
}

fn domain(raw: &str) {
    match validate_domain(raw) {
        Ok(d) => {
            assert_eq!(validate_domain(&d).as_deref(), Ok(d.as_str()), "not canonical");
            assert!(d.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'));
            assert!(Platform::of_host(&d).is_some() && !d.ends_with(".amocrm.com") && !d.starts_with("www."));
            assert_requests_go_to(&d);
        }
        Err(e) => {
            common::check_error(&e, &["invalid_setting"]);
            match e {
                Error::Setup(amo_core::error::SetupError::InvalidSetting {
                    field: Setting::Domain,
                    problem: SettingProblem::NotAnAccountAddress { value },
                }) => assert!(value.chars().count() <= 80),
                other => panic!("{other:?}"),
            }
        }
    }
}

fn redirect_uri(raw: &str) {
    match validate_redirect_uri(raw) {
        Ok(v) => {
            assert_eq!(v, raw.trim(), "a Redirect URI is stored exactly as typed (amoCRM compares strings)");
            assert_eq!(validate_redirect_uri(&v).as_deref(), Ok(v.as_str()));
            let mode = Settings { redirect_uri: Some(v.clone()), ..Settings::default() }.redirect_mode();
            let url = url::Url::parse(&v).expect("an accepted URI parses");
            assert!(url.query().is_none() && url.fragment().is_none());
            match mode.expect("an accepted URI has a mode") {
                RedirectMode::DeepLink => assert_eq!(v, DEEP_LINK_REDIRECT),
                RedirectMode::Bounce { .. } => assert_eq!(url.scheme(), "https"),
                RedirectMode::Loopback { port, path, localhost } => {
                    // The listener binds loopback only, on the URI's own port, for its own path.
                    assert_eq!(url.scheme(), "http");
                    assert!(matches!(url.host_str(), Some("127.0.0.1" | "localhost")), "{v}");
                    assert_eq!(
                        (Some(port), path.as_str(), localhost),
                        (url.port(), url.path(), url.host_str() == Some("localhost"))
                    );
                }
            }
        }
        Err(e) => common::check_error(&e, &["invalid_setting"]),
    }
}

fn api_domain(raw: &str) {
    if let Some(h) = validate_api_domain(raw) {
        assert_eq!(validate_api_domain(&h).as_deref(), Some(h.as_str()));
        assert!(["amocrm.ru", "kommo.com", "amocrm.com"].iter().any(|b| h.ends_with(&format!(".{b}"))));
        // The refresh token goes there: if a URL can be made of it at all, its host is amoCRM's.
        if let Ok(url) = Endpoints::default().account_url(&h, "/oauth2/account/current/subdomain") {
            let host = url.host_str().unwrap_or_default();
            assert!(["amocrm.ru", "kommo.com", "amocrm.com"].iter().any(|b| host.ends_with(&format!(".{b}"))), "{url}");
        }
    }
}

fn pasted_code(raw: &str) {
    match validate_pasted_code(raw) {
        Ok(c) => {
            assert_eq!(c, raw.trim());
            assert!(!c.is_empty() && c.len() <= MAX_CODE && !c.chars().any(char::is_whitespace));
        }
        // The code is a secret: the error says what is wrong, never what was pasted.
        Err(e) => assert!(
            e == Error::invalid(Setting::Code, SettingProblem::Empty)
                || e == Error::invalid(Setting::Code, SettingProblem::NotOneLine { max: MAX_CODE }),
            "{e:?}"
        ),
    }
}

fn client_id(raw: &str) {
    match validate_client_id(raw) {
        Ok(id) => {
            assert_eq!(validate_client_id(&id).as_deref(), Ok(id.as_str()));
            assert!(
                id.len() == 36 && id.bytes().all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            );
        }
        Err(e) => assert_eq!(e, Error::invalid(Setting::ClientId, SettingProblem::NotAUuid)),
    }
}

fn client_secret(raw: &str) {
    match validate_client_secret(raw) {
        Ok(s) => {
            assert_eq!(validate_client_secret(&s).as_deref(), Ok(s.as_str()));
            assert!(!s.is_empty() && s.len() <= MAX_SECRET && !s.chars().any(char::is_whitespace));
        }
        Err(e) => assert!(
            e == Error::invalid(Setting::ClientSecret, SettingProblem::Empty)
                || e == Error::invalid(Setting::ClientSecret, SettingProblem::NotOneLine { max: MAX_SECRET }),
            "{e:?}"
        ),
    }
}
