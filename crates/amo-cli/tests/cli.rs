//! The CLI surface, run in-process with an in-memory keychain and a temp data directory.

use std::ffi::OsString;
use std::io::{BufReader, Cursor};
use std::sync::{Arc, Mutex};

use amo_core::amocrm::endpoints::Endpoints;
use amo_core::keychain::memory::MemoryStore;
use amo_core::keychain::{SecretStore, CLIENT_SECRET_KEY};
use amo_core::paths::DataDir;
use amo_core::AmoConnect;

struct Run {
    code: i32,
    out: String,
    err: String,
}

/// A `Write` that many threads can share, for reading what the CLI printed.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().expect("lock").clone()).expect("utf8")
    }
}

fn run(dir: &std::path::Path, store: &Arc<MemoryStore>, args: &[&str], stdin: &str) -> Run {
    let argv: Vec<OsString> = std::iter::once("amo-connect").chain(args.iter().copied()).map(OsString::from).collect();
    let (out, err) = (Sink::default(), Sink::default());
    let mut input = BufReader::new(Cursor::new(stdin.as_bytes().to_vec()));
    let s: Arc<dyn SecretStore> = store.clone();
    let code = amo_cli::run(argv, &mut input, false, &mut out.clone(), &mut err.clone(), || {
        AmoConnect::open(DataDir::at(dir)?, s, Endpoints::default())
    });
    Run { code, out: out.text(), err: err.text() }
}

#[test]
fn config_commands_validate_store_and_show() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let d = tmp.path();
    assert_eq!(run(d, &store, &["config", "set", "platform", "kommo"], "").code, 0);
    assert_eq!(run(d, &store, &["config", "set", "client-id", "5C0E6B5E-6A0E-4C55-9A3E-2B8D6A1E7F10"], "").code, 0);
    assert_eq!(run(d, &store, &["config", "set", "redirect-uri", "http://127.0.0.1:53682/callback"], "").code, 0);
    assert_eq!(run(d, &store, &["config", "set", "domain", "https://acme.kommo.com/"], "").code, 0);
    let r = run(d, &store, &["config", "set-secret"], "s3cret-value\n");
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(store.get(CLIENT_SECRET_KEY).expect("g").as_deref(), Some(&b"s3cret-value"[..]));
    let show = run(d, &store, &["config", "show", "--json"], "");
    let v: serde_json::Value = serde_json::from_str(&show.out).expect("json");
    assert_eq!(v["settings"]["platform"], "kommo");
    assert_eq!(v["settings"]["client_id"], "5c0e6b5e-6a0e-4c55-9a3e-2b8d6a1e7f10");
    assert_eq!(v["settings"]["domain"], "acme.kommo.com");
    assert_eq!(v["client_secret_set"], true);
    assert!(!show.out.contains("s3cret"), "the secret is never printed");
}

#[test]
fn bad_input_gets_one_line_with_its_code_and_exit_1() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let d = tmp.path();
    for (args, stdin, code) in [
        (vec!["config", "set", "client-id", "12345"], "", "invalid_setting"),
        (vec!["config", "set", "redirect-uri", "http://example.com/cb"], "", "invalid_setting"),
        (vec!["config", "set", "platform", "bitrix"], "", "invalid_setting"),
        (vec!["config", "set", "domain", "evil.example"], "", "invalid_setting"),
        (vec!["config", "set-secret"], "\n", "invalid_setting"),
        (vec!["connect", "--no-browser"], "", "not_configured"),
    ] {
        let r = run(d, &store, &args, stdin);
        assert_eq!(r.code, 1, "{args:?}");
        assert_eq!(r.err.lines().count(), 1, "{args:?}: {}", r.err);
        assert!(r.err.starts_with(&format!("error[{code}]: ")), "{args:?}: {}", r.err);
    }
    let r = run(d, &store, &["connect", "--timeout", "0"], "");
    assert_eq!(r.code, 2, "usage errors exit 2");
    let r = run(d, &store, &["frobnicate"], "");
    assert_eq!(r.code, 2);
}

#[test]
fn status_json_has_the_documented_keys_and_cleanup_and_disconnect_report() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let d = tmp.path();
    let r = run(d, &store, &["status", "--json"], "");
    assert_eq!(r.code, 0);
    let v: serde_json::Value = serde_json::from_str(&r.out).expect("json");
    for key in [
        "connected",
        "domain",
        "account_id",
        "account_name",
        "auth_kind",
        "access_token_masked",
        "expires_at",
        "is_expired",
        "created_at",
        "updated_at",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["connected"], false);
    let r = run(d, &store, &["cleanup"], "");
    assert_eq!((r.code, r.out.trim()), (0, "Removed 0 expired sign-in states."));
    let r = run(d, &store, &["disconnect"], "");
    assert_eq!((r.code, r.out.trim()), (0, "There was no connection."));
    let r = run(d, &store, &["status"], "");
    assert!(r.out.starts_with("Connected     no"), "{}", r.out);
}

#[test]
fn cleanup_counts_expired_states() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let data = DataDir::at(tmp.path()).expect("d");
    let db = amo_core::store::Store::open(&data.db_path()).expect("db");
    let now = amo_core::clock::now();
    let ttl = amo_core::auth::state::STATE_TTL_SECS;
    for (i, at) in [now - 3600, now - 1000, now].into_iter().enumerate() {
        db.oauth_states().insert(&format!("state-{i}"), "http://127.0.0.1:1/cb", at, ttl).expect("state");
    }
    drop(db);
    let r = run(tmp.path(), &store, &["cleanup"], "");
    assert_eq!(r.out.trim(), "Removed 2 expired sign-in states.");
}

#[test]
fn lead_add_names_every_bad_flag_and_queues_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let d = tmp.path();
    let r = run(
        d,
        &store,
        &["lead", "add", "--name", " ", "--price", "12,5", "--phone", "12", "--email", "x@", "--contact-name", "Ivan"],
        "",
    );
    assert_eq!(r.code, 1, "{}", r.err);
    let line = r.err.trim();
    assert!(line.starts_with("error[validation]: "), "{line}");
    for flag in ["--name:", "--price:", "--phone #1:", "--email #1:"] {
        assert!(line.contains(flag), "{flag} missing in {line}");
    }
    assert_eq!(line.lines().count(), 1);
    let r = run(d, &store, &["outbox", "--json"], "");
    assert_eq!((r.code, r.out.trim()), (0, "[]"), "nothing was queued");
    let r = run(d, &store, &["lead", "add", "--name", "x", "--status", "5"], "");
    assert_eq!(r.code, 2, "--status needs --pipeline: {}", r.err);
    let r = run(d, &store, &["lead", "list", "--limit", "0"], "");
    assert_eq!(r.code, 2);
}

#[test]
fn a_lead_typed_while_not_connected_is_kept_in_the_outbox() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let d = tmp.path();
    let r = run(d, &store, &["lead", "add", "--name", "Phone order", "--price", "900", "--timeout", "1"], "");
    assert_eq!(r.code, 1);
    assert!(r.err.lines().last().expect("line").starts_with("error[still_queued]: "), "{}", r.err);
    let r = run(d, &store, &["outbox", "--json"], "");
    let items: serde_json::Value = serde_json::from_str(&r.out).expect("json");
    assert_eq!(items[0]["state"], "queued");
    assert_eq!(items[0]["kind"], "lead");
    assert_eq!(items[0]["draft"]["name"], "Phone order");
    assert_eq!(items[0]["error"]["code"], "not_connected");
    let r = run(d, &store, &["outbox"], "");
    assert!(r.out.starts_with("Waiting: 1, needing attention: 0, sent: 0"), "{}", r.out);
}

#[test]
fn notifications_are_switched_on_and_off_and_a_bad_value_is_named() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let d = tmp.path();
    let show = |store: &Arc<MemoryStore>| run(d, store, &["config", "show"], "").out;
    assert!(show(&store).contains("notifications on"), "on by default");
    assert_eq!(run(d, &store, &["config", "set", "notifications", "off"], "").code, 0);
    assert!(show(&store).contains("notifications off"));
    let json: serde_json::Value =
        serde_json::from_str(&run(d, &store, &["config", "show", "--json"], "").out).expect("json");
    assert_eq!(json["settings"]["notifications"], false);
    assert_eq!(run(d, &store, &["config", "set", "notifications", "да"], "").code, 0);
    assert!(show(&store).contains("notifications on"));
    let r = run(d, &store, &["config", "set", "notifications", "maybe"], "");
    assert_eq!(r.code, 1);
    assert!(r.err.starts_with("error[invalid_setting]: ") && r.err.contains("Notifications"), "{}", r.err);
}

#[test]
fn customer_details_in_notifications_are_hidden_and_shown_again() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let d = tmp.path();
    let show = |store: &Arc<MemoryStore>| run(d, store, &["config", "show"], "").out;
    assert!(show(&store).contains("notification-details on"), "shown by default");
    assert_eq!(run(d, &store, &["config", "set", "notification-details", "off"], "").code, 0);
    assert!(show(&store).contains("notification-details off"));
    let json: serde_json::Value =
        serde_json::from_str(&run(d, &store, &["config", "show", "--json"], "").out).expect("json");
    assert_eq!(json["settings"]["notification_details"], false);
    let r = run(d, &store, &["config", "set", "notification-details", "sometimes"], "");
    assert_eq!(r.code, 1);
    assert!(r.err.contains("Customer details in notifications"), "{}", r.err);
}

#[test]
fn the_quick_entry_shortcut_and_close_to_tray_are_set_and_a_bad_value_is_named() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryStore::new());
    let d = tmp.path();
    let show = |store: &Arc<MemoryStore>| run(d, store, &["config", "show"], "").out;
    let first = show(&store);
    assert!(first.contains("shortcut      Ctrl+Alt+N") && first.contains("close-to-tray off"), "{first}");
    assert_eq!(run(d, &store, &["config", "set", "quick-entry-shortcut", "shift+super+f5"], "").code, 0);
    assert!(show(&store).contains("shortcut      Shift+Super+F5"), "written the one way");
    assert_eq!(run(d, &store, &["config", "set", "quick-entry-shortcut", "off"], "").code, 0);
    assert!(show(&store).contains("shortcut      off"));
    let json: serde_json::Value =
        serde_json::from_str(&run(d, &store, &["config", "show", "--json"], "").out).expect("json");
    assert_eq!(json["settings"]["quick_entry_shortcut"], "");
    let r = run(d, &store, &["config", "set", "quick-entry-shortcut", "Shift+N"], "");
    assert_eq!(r.code, 1);
    assert!(
        r.err.starts_with("error[invalid_setting]: ") && r.err.contains("Quick-entry shortcut: \"Shift+N\""),
        "{}",
        r.err
    );
    assert!(show(&store).contains("shortcut      off"), "a refused value changes nothing");
    assert_eq!(run(d, &store, &["config", "set", "close-to-tray", "on"], "").code, 0);
    assert!(show(&store).contains("close-to-tray on"));
    let r = run(d, &store, &["config", "set", "close-to-tray", "sometimes"], "");
    assert!(r.code == 1 && r.err.contains("Keep running in the tray"), "{}", r.err);
}
