//! What the user sees when there is no usable keychain. Ignored by a plain `cargo test`;
//! scripts/test-all.sh runs it twice with `AMO_TEST_KEYCHAIN` set:
//! - `absent`: no session bus at all → `keychain_unavailable`;
//! - `locked`: a session bus whose keyring is not unlocked → `keychain_locked`.
//!
//! Either way nothing is written anywhere else (there is no plaintext fallback).

use std::sync::Arc;

use amo_core::amocrm::endpoints::Endpoints;
use amo_core::domain::settings::SettingsPatch;
use amo_core::keychain::keyring_store::KeyringStore;
use amo_core::paths::DataDir;
use amo_core::AmoConnect;

#[tokio::test]
#[ignore = "run by scripts/test-all.sh with AMO_TEST_KEYCHAIN=absent|locked"]
async fn a_missing_or_locked_keychain_is_reported_with_its_code_and_no_fallback() {
    let expected = match std::env::var("AMO_TEST_KEYCHAIN").as_deref() {
        Ok("absent") => "keychain_unavailable",
        Ok("locked") => "keychain_locked",
        other => panic!("set AMO_TEST_KEYCHAIN=absent|locked (got {other:?})"),
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let data = DataDir::at(tmp.path()).expect("data");
    let store = Arc::new(KeyringStore::new(&data.keychain_namespace()));
    let app = AmoConnect::open(data, store, Endpoints::default()).expect("app");
    let err = app
        .save_settings(SettingsPatch { client_secret: Some("would-be-secret".into()), ..Default::default() })
        .await
        .expect_err("no keychain, no secret");
    assert_eq!(err.code(), expected, "{err:?}");
    // The status panel still answers, and says what is wrong only if something was connected.
    let status = app.status().await;
    assert!(!status.connected);
    // Settings still show, with the keychain's problem where the Secret key's state would be.
    let view = app.settings_view().await.expect("Settings without a keychain");
    assert_eq!(view.keychain_problem.map(|p| p.code.as_str()), Some(expected), "Settings say why");
    // Nothing fell back to disk.
    let mut bytes = Vec::new();
    for e in std::fs::read_dir(tmp.path()).expect("dir").flatten() {
        if e.path().is_file() {
            bytes.extend(std::fs::read(e.path()).expect("read"));
        }
    }
    assert!(!bytes.windows(15).any(|w| w == b"would-be-secret"));
}

/// The same with the in-memory stand-in (runs in every `cargo test`): a locked keychain hides
/// neither Settings nor the status panel; each says what is wrong in its place.
#[tokio::test]
async fn settings_and_status_show_with_a_locked_keychain() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(amo_core::keychain::memory::MemoryStore::new());
    let app =
        AmoConnect::open(DataDir::at(tmp.path()).expect("data"), store.clone(), Endpoints::default()).expect("app");
    app.save_settings(SettingsPatch {
        client_id: Some("0b6f1f86-3f4c-4a1d-9b5e-1c2d3e4f5a6b".into()),
        ..Default::default()
    })
    .await
    .expect("settings");
    store.fail(Some("locked"));
    let view = app.settings_view().await.expect("Settings without a readable keychain");
    assert_eq!(view.settings.client_id.as_deref(), Some("0b6f1f86-3f4c-4a1d-9b5e-1c2d3e4f5a6b"));
    assert_eq!(view.keychain_problem.map(|p| p.code.as_str()), Some("keychain_locked"));
    assert!(!app.status().await.connected);
}
