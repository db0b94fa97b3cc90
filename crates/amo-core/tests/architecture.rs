//! The house rules of the core, checked on its source: which room may import which, that there are
//! no import cycles between rooms, and that only one room touches each outside resource — SQL
//! (`store`), the keychain (`keychain`), sockets (`amocrm` out, the loopback listener in).
//! docs/architecture.md draws the same picture.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/`, with its path relative to `src/`.
fn files() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut paths = Vec::new();
    walk(&src(), &mut paths);
    paths
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(src()).expect("under src").to_string_lossy().replace('\\', "/");
            (rel, std::fs::read_to_string(&p).expect("read"))
        })
        .collect()
}

/// The room a file belongs to: its top-level module (`domain/draft.rs` → `domain`).
fn room(rel: &str) -> String {
    let first = rel.split('/').next().unwrap_or(rel);
    first.trim_end_matches(".rs").to_string()
}

/// The code of a file without its `#[cfg(test)]` items (tests may use anything): each is cut
/// from the attribute to the brace that closes the item, so code after a test module is still
/// checked.
fn without_tests(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..i]);
        let item = &rest[i..];
        let Some(open) = item.find('{') else { return out };
        let mut depth = 0usize;
        let mut end = item.len();
        for (j, c) in item[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + j + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

fn ident(s: &str) -> String {
    s.trim_start().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
}

/// The rooms a file imports: `crate::store::…`, `crate::{a, b::c}`, and — from a file inside a
/// room (`room/file.rs`) — `super::super::x`, which is the crate root again.
fn imports(rel: &str, text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let code = without_tests(text);
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group: split at commas not inside nested braces.
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(ident(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            out.insert(ident(&item));
        } else {
            out.insert(ident(rest));
        }
    }
    if rel.matches('/').count() == 1 {
        for (i, _) in code.match_indices("super::super::") {
            out.insert(ident(&code[i + "super::super::".len()..]));
        }
    }
    out.retain(|n| !n.is_empty());
    out
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, text) in files() {
        let r = room(&rel);
        let deps = g.entry(r.clone()).or_default();
        for d in imports(&rel, &text) {
            if d != r {
                deps.insert(d);
            }
        }
    }
    g
}

#[test]
fn each_room_imports_only_what_it_may() {
    let g = graph();
    let allowed: &[(&str, &[&str])] = &[
        ("error", &[]),
        ("clock", &[]),
        ("domain", &["error", "clock"]),
        ("store", &["domain", "error", "clock"]),
        ("keychain", &["domain", "error"]),
        ("amocrm", &["domain", "error", "clock"]),
        ("i18n", &["domain", "error"]),
        ("paths", &["error"]),
        ("logging", &["paths"]),
        ("ipc", &["domain"]),
        ("context", &["amocrm", "domain", "keychain", "paths", "store"]),
        // Services: the shared context and the lower rooms; of each other, the outbox and the
        // reference service use only the session (for tokens).
        ("config", &["context", "domain", "error", "store"]),
        ("auth", &["amocrm", "clock", "context", "domain", "error", "i18n", "store"]),
        ("reference", &["auth", "clock", "context", "domain", "error"]),
        ("outbox", &["amocrm", "auth", "clock", "context", "domain", "error", "store"]),
        ("notices", &["context", "domain", "error"]),
    ];
    // Every room is listed, except the composition root, which composes them all.
    let listed: BTreeSet<&str> = allowed.iter().map(|(r, _)| *r).chain(["app", "lib"]).collect();
    let unlisted: Vec<_> = g.keys().filter(|r| !listed.contains(r.as_str())).collect();
    assert!(unlisted.is_empty(), "rooms without import rules: {unlisted:?}");
    for (r, ok) in allowed {
        let deps = g.get(*r).cloned().unwrap_or_default();
        let extra: Vec<_> = deps.iter().filter(|d| !ok.contains(&d.as_str())).collect();
        assert!(extra.is_empty(), "`{r}` imports {extra:?}; it may import only {ok:?}");
    }
}

/// The services use only the session of `auth`, nothing else of each other.
#[test]
fn services_use_each_other_only_through_the_session() {
    for (rel, text) in files() {
        let r = room(&rel);
        if matches!(r.as_str(), "outbox" | "reference") {
            let code = without_tests(&text);
            for (i, _) in code.match_indices("crate::auth::") {
                let what = &code[i + "crate::auth::".len()..];
                assert!(what.starts_with("session::Session"), "{rel} uses crate::auth::{}", ident(what));
            }
        }
    }
}

#[test]
fn there_are_no_import_cycles_between_rooms() {
    let g = graph();
    // Depth-first search for a back edge.
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == n) {
            return Some(path[i..].iter().cloned().chain([n.to_string()]).collect());
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for d in g.get(n).into_iter().flatten() {
            if let Some(cycle) = visit(d, g, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for n in g.keys() {
        if let Some(cycle) = visit(n, &g, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}", cycle.join(" → "));
        }
    }
}

/// Files (outside their tests) mentioning any of `needles`, except the allowed ones.
fn offenders(needles: &[&str], allowed: impl Fn(&str) -> bool) -> Vec<String> {
    files()
        .into_iter()
        .filter(|(rel, text)| !allowed(rel) && needles.iter().any(|n| without_tests(text).contains(n)))
        .map(|(rel, _)| rel)
        .collect()
}

#[test]
fn only_the_store_runs_sql() {
    let found = offenders(&["rusqlite", "execute(", "query_row(", "prepare("], |rel| {
        // error.rs maps rusqlite's error type into `storage`; that is not running SQL.
        rel.starts_with("store/") || rel == "error.rs"
    });
    assert!(found.is_empty(), "SQL outside store/: {found:?}");
}

#[test]
fn only_the_keychain_room_touches_the_keychain() {
    let found = offenders(&["keyring::", "keyring_store", "SecretStore"], |rel| {
        // app.rs accepts a SecretStore to build the keychain (tests hand it an in-memory one).
        rel.starts_with("keychain/") || rel == "app.rs"
    });
    assert!(found.is_empty(), "keychain access outside keychain/: {found:?}");
}

#[test]
fn only_amocrm_and_the_loopback_listener_open_sockets() {
    let found = offenders(&["reqwest::", "TcpListener", "TcpStream", "UdpSocket", "std::net::"], |rel| {
        rel.starts_with("amocrm/") || rel == "auth/loopback.rs"
    });
    assert!(found.is_empty(), "network outside amocrm/ and auth/loopback.rs: {found:?}");
}

#[test]
fn no_terminal_output_and_no_cli_parsing_in_the_core() {
    let found =
        offenders(&["println!", "eprintln!", "print!(", "clap::", "std::io::stdout", "std::io::stderr"], |_| false);
    assert!(found.is_empty(), "terminal output or CLI parsing in the core: {found:?}");
}
