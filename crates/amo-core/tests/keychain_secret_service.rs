//! The real OS keychain (Secret Service on Linux). Ignored by a plain `cargo test`; run by
//! scripts/test-all.sh inside `dbus-run-session` with an unlocked gnome-keyring:
//! `cargo test -p amo-core --test keychain_secret_service -- --ignored --test-threads=1`.

mod common;

use amo_core::keychain::keyring_store::KeyringStore;
use amo_core::keychain::SecretStore;

fn unique_ns(tag: &str) -> String {
    format!("test-{tag}-{}-{}", std::process::id(), rand_suffix())
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

#[test]
#[ignore = "needs an unlocked Secret Service (scripts/test-all.sh)"]
fn tokens_round_trip_through_the_secret_service_including_long_ones() {
    let store = KeyringStore::new(&unique_ns("rt"));
    assert_eq!(store.get("oauth-tokens").expect("get empty"), None);
    // amoCRM JWTs and refresh tokens together exceed Windows' 2560-byte limit: store 4 KB here.
    let value: Vec<u8> = (0..4096u32).map(|i| b'a' + (i % 26) as u8).collect();
    store.set("oauth-tokens", &value).expect("set");
    assert_eq!(store.get("oauth-tokens").expect("get").as_deref(), Some(&value[..]));
    // Overwrite, not append.
    store.set("oauth-tokens", b"second").expect("set again");
    assert_eq!(store.get("oauth-tokens").expect("get").as_deref(), Some(&b"second"[..]));
    store.delete("oauth-tokens").expect("delete");
    assert_eq!(store.get("oauth-tokens").expect("get deleted"), None);
    store.delete("oauth-tokens").expect("deleting twice is fine");
}

#[test]
#[ignore = "needs an unlocked Secret Service (scripts/test-all.sh)"]
fn the_chunked_store_keeps_every_entry_under_windows_limit_on_the_real_keychain() {
    use amo_core::keychain::chunked::{ChunkedStore, MAX_CHUNK};
    let ns = unique_ns("chunk");
    let store = ChunkedStore::new(KeyringStore::new(&ns));
    let value: Vec<u8> = (0..9000u32).map(|i| b'A' + (i % 26) as u8).collect();
    store.set("oauth-tokens", &value).expect("set");
    assert_eq!(store.get("oauth-tokens").expect("get").as_deref(), Some(&value[..]));
    // Every entry the keychain holds for this namespace is small.
    let out = std::process::Command::new("secret-tool")
        .args(["search", "--all", "--unlock", "service", &format!("amo-connect/{ns}")])
        .output()
        .expect("secret-tool");
    let text = String::from_utf8_lossy(&out.stdout);
    let secrets: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("secret = ")).collect();
    assert_eq!(secrets.len(), 1 + 9000usize.div_ceil(MAX_CHUNK), "{text}");
    assert!(secrets.iter().all(|s| s.len() <= MAX_CHUNK));
    store.delete("oauth-tokens").expect("delete");
    assert_eq!(store.get("oauth-tokens").expect("get"), None);
}

#[test]
#[ignore = "needs an unlocked Secret Service (scripts/test-all.sh)"]
fn namespaces_keep_data_directories_apart() {
    let (a, b) = (KeyringStore::new(&unique_ns("a")), KeyringStore::new(&unique_ns("b")));
    a.set("client-secret", b"for-a").expect("set a");
    assert_eq!(b.get("client-secret").expect("get b"), None);
    b.set("client-secret", b"for-b").expect("set b");
    assert_eq!(a.get("client-secret").expect("get a").as_deref(), Some(&b"for-a"[..]));
    a.delete("client-secret").expect("del");
    b.delete("client-secret").expect("del");
}

#[test]
#[ignore = "needs an unlocked Secret Service (scripts/test-all.sh)"]
fn the_entry_is_visible_to_secret_tool_under_the_namespaced_service() {
    let ns = unique_ns("st");
    let store = KeyringStore::new(&ns);
    store.set("client-secret", b"visible-to-secret-tool").expect("set");
    let out = std::process::Command::new("secret-tool")
        .args(["lookup", "service", store.service(), "username", "client-secret"])
        .output()
        .expect("secret-tool (libsecret-tools) must be installed");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "visible-to-secret-tool");
    store.delete("client-secret").expect("del");
}

/// The tests' throwaway gnome-keyring, locked and unlocked as a user (or a screen lock) would,
/// over the Secret Service D-Bus API. Unlocking uses gnome-keyring's password interface with the
/// throwaway password scripts/with-keyring.sh exports (there is no prompter on the tests' bus).
mod login_keyring {
    use dbus::blocking::Connection;
    use dbus::Path;
    use std::time::Duration;

    const SERVICE: &str = "org.freedesktop.secrets";
    const LOGIN: &str = "/org/freedesktop/secrets/collection/login";
    const T: Duration = Duration::from_secs(10);

    pub fn lock() {
        let c = Connection::new_session().expect("session bus");
        let p = c.with_proxy(SERVICE, "/org/freedesktop/secrets", T);
        let (locked, _prompt): (Vec<Path>, Path) =
            p.method_call("org.freedesktop.Secret.Service", "Lock", (vec![Path::from(LOGIN)],)).expect("Lock");
        assert_eq!(locked.len(), 1, "the login keyring is locked");
    }

    pub fn unlock() {
        let password = std::env::var("AMO_TEST_KEYRING_PASSWORD").expect("scripts/with-keyring.sh sets it");
        let c = Connection::new_session().expect("session bus");
        let p = c.with_proxy(SERVICE, "/org/freedesktop/secrets", T);
        // A "plain" session: the password travels unencrypted over the private test bus.
        let (_, session): (dbus::arg::Variant<String>, Path) = p
            .method_call("org.freedesktop.Secret.Service", "OpenSession", ("plain", dbus::arg::Variant(String::new())))
            .expect("OpenSession");
        // The Secret struct (oayays): session, parameters, value, content type.
        let secret = (session, Vec::<u8>::new(), password.into_bytes(), "text/plain");
        let msg = dbus::Message::new_method_call(
            SERVICE,
            "/org/freedesktop/secrets",
            "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
            "UnlockWithMasterPassword",
        )
        .expect("message")
        .append2(Path::from(LOGIN), secret);
        c.channel().send_with_reply_and_block(msg, T).expect("UnlockWithMasterPassword");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an unlocked Secret Service (scripts/test-all.sh)"]
async fn a_keyring_locked_mid_run_stops_the_refresh_before_its_token_is_spent_and_unlocking_resumes() {
    use std::sync::Arc;
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(amo_core::keychain::chunked::ChunkedStore::new(KeyringStore::new(&unique_ns("lock"))));
    let (sim, app) = common::connected(store.clone(), tmp.path()).await;
    assert!(app.status().await.connected);
    // Tokens an hour old, so "Refresh now" really refreshes (younger ones count as just refreshed).
    let key = amo_core::keychain::TOKENS_KEY;
    let mut tokens: amo_core::domain::tokens::TokenSet =
        serde_json::from_slice(&store.get(key).expect("get").expect("tokens")).expect("json");
    tokens.obtained_at -= 3600;
    store.set(key, &serde_json::to_vec(&tokens).expect("ser")).expect("set");

    login_keyring::lock();
    // Whatever fails below, the tier's later tests get an unlocked keyring back.
    struct UnlockOnDrop(bool);
    impl Drop for UnlockOnDrop {
        fn drop(&mut self) {
            if self.0 {
                login_keyring::unlock();
            }
        }
    }
    let mut guard = UnlockOnDrop(true);
    let e = app.refresh_now().await.expect_err("the keyring is locked");
    assert_eq!(e.code().as_str(), "keychain_locked", "{e}");
    assert_eq!(sim.stats().refreshes, 0, "no refresh token was spent while the new one could not be kept");
    let status = app.status().await;
    assert!(!status.reconnect_needed, "a locked keyring is not a dead connection");

    login_keyring::unlock();
    guard.0 = false;
    app.refresh_now().await.expect("unlocked: the refresh goes through");
    let stats = sim.stats();
    assert_eq!((stats.refreshes, stats.reused_refresh_tokens), (1, 0), "one refresh, with the unspent token");
    assert!(app.verify().await.is_ok(), "the new tokens were kept");
}
