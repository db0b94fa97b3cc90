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

/// The code of a file without its `#[cfg(test)]` module (tests may use anything).
fn without_tests(text: &str) -> &str {
    text.find("#[cfg(test)]").map_or(text, |i| &text[..i])
}

/// The rooms a file imports (`crate::store::…`, `use crate::{a, b}` is not used in this crate).
fn imports(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let code = without_tests(text);
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if !name.is_empty() {
            out.insert(name);
        }
    }
    out
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, text) in files() {
        let r = room(&rel);
        let deps = g.entry(r.clone()).or_default();
        for d in imports(&text) {
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
    ];
    for (r, ok) in allowed {
        let deps = g.get(*r).cloned().unwrap_or_default();
        let extra: Vec<_> = deps.iter().filter(|d| !ok.contains(&d.as_str())).collect();
        assert!(extra.is_empty(), "`{r}` imports {extra:?}; it may import only {ok:?}");
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
