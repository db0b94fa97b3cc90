//! The real OS keychain (Secret Service on Linux). Ignored by a plain `cargo test`; run by
//! scripts/test-all.sh inside `dbus-run-session` with an unlocked gnome-keyring:
//! `cargo test -p amo-core --test keychain_secret_service -- --ignored --test-threads=1`.

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
