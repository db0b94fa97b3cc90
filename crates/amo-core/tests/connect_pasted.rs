//! Connecting without a redirect: a code pasted from the integration's Keys tab ("easy auth"),
//! and a long-lived token pasted by an admin (docs/amocrm-api.md §2.3, §5).

use std::sync::Arc;

mod common;

use amo_core::domain::account::AuthKind;
use amo_core::keychain::memory::MemoryStore;
use amo_core::AmoConnect;
use amo_sim::{SimConfig, Simulator, DEMO_REDIRECT_URI};

async fn setup() -> (Simulator, AmoConnect, tempfile::TempDir) {
    let sim = Simulator::start(SimConfig::default(), 0).await.expect("sim");
    let tmp = tempfile::tempdir().expect("tmp");
    let app = common::configured(tmp.path(), Arc::new(MemoryStore::new()), &sim.url(), DEMO_REDIRECT_URI).await;
    (sim, app, tmp)
}

#[tokio::test]
async fn a_pasted_code_connects_once() {
    let (sim, app, _tmp) = setup().await;
    let code = sim.issue_code();
    let st = app.connect_with_code(&format!("  {code}\n"), "https://acme.amocrm.ru/").await.expect("connect");
    assert!(st.connected);
    assert_eq!((st.domain.as_deref(), st.account_name.as_deref()), (Some("acme.amocrm.ru"), Some("Acme Trading")));
    assert_eq!(st.auth_kind, Some(AuthKind::Oauth));
    assert!(!st.expires_soon, "a refreshable token never warns");
    // The same code again: amoCRM says it was used.
    assert_eq!(
        app.connect_with_code(&code, "acme.amocrm.ru").await.expect_err("reuse").code().as_str(),
        "code_revoked"
    );
}

#[tokio::test]
async fn pasted_code_errors_are_specific() {
    let (sim, app, _tmp) = setup().await;
    let code = sim.issue_code();
    assert_eq!(
        app.connect_with_code(&code, "acme.example.com").await.expect_err("domain").code().as_str(),
        "invalid_setting"
    );
    assert_eq!(
        app.connect_with_code("two words", "acme.amocrm.ru").await.expect_err("shape").code(),
        "invalid_setting"
    );
    assert_eq!(
        app.connect_with_code("def50200nonsense", "acme.amocrm.ru").await.expect_err("bad").code(),
        "code_invalid"
    );
    sim.expire_codes();
    assert_eq!(app.connect_with_code(&code, "acme.amocrm.ru").await.expect_err("old").code().as_str(), "code_expired");
    assert!(!app.status().await.connected);
}

#[tokio::test]
async fn a_long_lived_token_connects_without_refresh_and_warns_a_week_ahead() {
    let (sim, app, _tmp) = setup().await;
    let token = sim.issue_long_lived(3 * 24 * 3600);
    let st = app.connect_with_long_lived_token(&format!("{token}\n"), "acme.amocrm.ru").await.expect("connect");
    assert!(st.connected);
    assert_eq!(st.auth_kind, Some(AuthKind::LongLived));
    assert!(st.expires_soon, "3 days left: warn");
    let stored = app.load_tokens().await.expect("load").expect("tokens");
    assert_eq!(stored.refresh_token, None);
    // Its expiry is the JWT's exp, not a guess.
    let exp = amo_core::domain::tokens::jwt_claims(&token).and_then(|c| c.exp).expect("exp");
    assert_eq!(stored.expires_at, exp);
    // amoCRM revokes it: no refresh is attempted, the call fails as unauthorized.
    sim.expire_access_tokens();
    assert_eq!(app.verify().await.expect_err("revoked").code().as_str(), "unauthorized");
    assert_eq!(sim.stats().refreshes, 0);
    // A year-long token does not warn.
    let long = sim.issue_long_lived(365 * 24 * 3600);
    assert!(!app.connect_with_long_lived_token(&long, "acme.amocrm.ru").await.expect("again").expires_soon);
}

#[tokio::test]
async fn long_lived_token_errors_are_specific_and_nothing_is_stored() {
    let (sim, app, _tmp) = setup().await;
    let code = |r: amo_core::Result<amo_core::domain::views::StatusView>| r.expect_err("must fail").code();
    assert_eq!(code(app.connect_with_long_lived_token("not-a-jwt", "acme.amocrm.ru").await), "token_invalid");
    assert_eq!(code(app.connect_with_long_lived_token("a.b.c", "acme.amocrm.ru").await), "token_invalid");
    let expired = sim.issue_long_lived(-60);
    assert_eq!(code(app.connect_with_long_lived_token(&expired, "acme.amocrm.ru").await), "token_expired");
    // Well-formed and unexpired, but amoCRM never issued it.
    let forged = {
        let real = sim.issue_long_lived(3600);
        let mut parts: Vec<&str> = real.split('.').collect();
        parts[2] = "Zm9yZ2Vk";
        parts.join(".")
    };
    assert_eq!(code(app.connect_with_long_lived_token(&forged, "acme.amocrm.ru").await), "unauthorized");
    let good = sim.issue_long_lived(3600);
    assert_eq!(code(app.connect_with_long_lived_token(&good, "evil.example").await), "invalid_setting");
    assert!(!app.status().await.connected);
    assert!(app.load_tokens().await.expect("load").is_none());
}
