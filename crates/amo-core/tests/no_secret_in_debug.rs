//! Every type that carries a secret (a token, a code, the Secret key) prints without it, however
//! it is logged or debugged.

use amo_core::amocrm::token_client::ClientCredentials;
use amo_core::auth::callback::{authorize, CallbackQuery};
use amo_core::domain::platform::Platform;
use amo_core::domain::secret::Secret;
use amo_core::domain::settings::SettingsPatch;
use amo_core::domain::tokens::{Access, TokenSet};

const SECRETS: [&str; 4] = [
    "def50200a-refresh-token-0123456789",
    "eyJhbGciOi.access-token-9876543210.sig",
    "the-client-secret-abcdefghijklmnop",
    "def50200c-authorization-code-42424242",
];

fn assert_clean(what: &str, debug: String) {
    for s in SECRETS {
        assert!(!debug.contains(s), "{what} prints a secret: {debug}");
        // Not even a recognisable part of one.
        assert!(!debug.contains(&s[8..20]), "{what} prints part of a secret: {debug}");
    }
}

#[test]
fn no_secret_bearing_type_shows_its_secret_in_debug() {
    let tokens = TokenSet {
        access_token: Secret::from(SECRETS[1]),
        refresh_token: Some(Secret::from(SECRETS[0])),
        expires_at: 1,
        obtained_at: 0,
        raw: Some(Secret::new(format!(r#"{{"access_token":"{}","refresh_token":"{}"}}"#, SECRETS[1], SECRETS[0]))),
    };
    assert_clean("TokenSet", format!("{tokens:?} {tokens:#?}"));
    let access = Access { domain: "acme.amocrm.ru".into(), token: Secret::from(SECRETS[1]) };
    assert_clean("Access", format!("{access:?}"));
    let creds = ClientCredentials {
        client_id: "5c0e6b5e-6a0e-4c55-9a3e-2b8d6a1e7f10".into(),
        client_secret: Secret::from(SECRETS[2]),
        redirect_uri: "http://127.0.0.1:53682/callback".into(),
    };
    assert_clean("ClientCredentials", format!("{creds:?}"));
    let q = CallbackQuery::parse(&format!("code={}&state=s&referer=acme.amocrm.ru", SECRETS[3]));
    assert_clean("CallbackQuery", format!("{q:?}"));
    let authorized = authorize(&q, Platform::Amocrm).expect("authorized");
    assert_clean("Authorized", format!("{authorized:?}"));
    let patch = SettingsPatch { client_secret: Some(Secret::from(SECRETS[2])), ..Default::default() };
    assert_clean("SettingsPatch", format!("{patch:?}"));
    // The values are still there for where they belong.
    assert_eq!(authorized.code.expose(), SECRETS[3]);
}
