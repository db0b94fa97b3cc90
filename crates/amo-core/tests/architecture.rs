//! The house rules of the core, checked on its source: which room may import which, that there are
//! no import cycles between rooms (nor between the files of `domain`), which service may reach
//! which part of the shared context, that only the outbox writes to amoCRM, and that only one room
//! touches each outside resource — SQL (`store`), the keychain (`keychain`), sockets (`amocrm` out,
//! the loopback listener in). docs/architecture.md draws the same picture.
//!
//! Each checker is a function over `(path, text)` pairs, so the tests at the end of this file
//! (`the_checkers_bite`) show, on small literals and on a copy of the source with a violation
//! added, that every rule can fail; the tests above them run the checkers on `src/`. Code under
//! `#[cfg(test)]` is left out everywhere (tests may use anything), and so are comments and strings.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Source files as `(path relative to src/, text)`.
type Files = [(String, String)];
type Graph = BTreeMap<String, BTreeSet<String>>;

// ---- reading the source

/// Every `.rs` file under `src/`, with its path relative to `src/` (read once per run).
fn files() -> &'static Files {
    static FILES: OnceLock<Vec<(String, String)>> = OnceLock::new();
    FILES.get_or_init(|| {
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
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut paths = Vec::new();
        walk(&src, &mut paths);
        paths.sort();
        paths
            .into_iter()
            .map(|p| {
                let rel = p.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
                (rel, std::fs::read_to_string(&p).expect("read"))
            })
            .collect()
    })
}

fn source(rel: &str) -> &'static str {
    files().iter().find(|(r, _)| r == rel).map(|(_, t)| t.as_str()).unwrap_or_else(|| panic!("no src/{rel}"))
}

/// The room a file belongs to: its top-level module (`domain/draft.rs` → `domain`).
fn room(rel: &str) -> String {
    let first = rel.split('/').next().unwrap_or(rel);
    first.trim_end_matches(".rs").to_string()
}

/// The module a file is: `outbox/steps/lead.rs` → [outbox, steps, lead]; a `mod.rs` is its
/// folder, `lib.rs` the crate root ([]).
fn module_of(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel.trim_end_matches(".rs").split('/').map(String::from).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

// ---- reading code, not comments, strings or tests

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn ident(s: &str) -> String {
    s.trim_start().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
}

/// `text` with the insides of comments, strings and char literals blanked (every byte a space,
/// line breaks kept): offsets stay the same, and a `{`, `;`, `crate::` or `ctx.keychain` in a doc
/// comment or a message is not taken for code.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let mut blank = |from: usize, to: usize| {
        for c in &mut out[from..to.min(b.len())] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let find = |from: usize, pat: &[u8]| b[from.min(b.len())..].windows(pat.len()).position(|w| w == pat);
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            let end = find(i, b"\n").map_or(b.len(), |n| i + n);
            blank(i, end);
            i = end;
        } else if rest.starts_with(b"/*") {
            // Block comments nest.
            let (mut depth, mut j) = (0usize, i);
            while j < b.len() {
                if b[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if b[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(i, j);
            i = j;
        } else if let Some(hashes) = raw_string_at(b, i) {
            let open = i + 1 + hashes + 1;
            let close = [b"\"".as_slice(), &vec![b'#'; hashes]].concat();
            let end = find(open, &close).map_or(b.len(), |n| open + n);
            blank(open, end);
            i = end + close.len();
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            blank(i + 1, j);
            i = j + 1;
        } else if b[i] == b'\'' {
            // A char literal ('x', '\n', '{'), or a lifetime ('a), which is code.
            let width = text[i + 1..].chars().next().map_or(1, char::len_utf8);
            if b.get(i + 1) == Some(&b'\\') {
                let end = find(i + 3, b"'").map_or(b.len(), |n| i + 3 + n);
                blank(i + 1, end);
                i = end + 1;
            } else if b.get(i + 1 + width) == Some(&b'\'') {
                blank(i + 1, i + 1 + width);
                i += width + 2;
            } else {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    String::from_utf8(out).expect("blanking whole characters keeps UTF-8")
}

/// `r"…"`, `r#"…"#`, `br"…"` at `i`: the number of `#`s.
fn raw_string_at(b: &[u8], i: usize) -> Option<usize> {
    if b[i] != b'r' {
        return None;
    }
    let starts_token = match i.checked_sub(1).map(|p| b[p]) {
        None => true,
        Some(b'b') => i < 2 || !is_ident(b[i - 2]),
        Some(p) => !is_ident(p),
    };
    let hashes = b[i + 1..].iter().take_while(|c| **c == b'#').count();
    (starts_token && b.get(i + 1 + hashes) == Some(&b'"')).then_some(hashes)
}

/// Where the item (or statement) starting at `start` of `code` ends: after its `;` if one comes
/// before any `{` (`use x;`, `mod tests;`, `const X: [u8; 2] = …;` — a `;` inside `()`/`[]` is not
/// the end), else after the brace that closes its first `{`. `code` must come from [`code_only`].
fn item_end(code: &str, start: usize) -> usize {
    let (mut brackets, mut braces) = (0i32, 0i32);
    for (j, c) in code[start..].char_indices() {
        match c {
            '(' | '[' if braces == 0 => brackets += 1,
            ')' | ']' if braces == 0 => brackets -= 1,
            ';' if braces == 0 && brackets == 0 => return start + j + 1,
            '{' => braces += 1,
            // The block around the item closes first: the item ended without `;` (a field).
            '}' if braces == 0 => return start + j,
            '}' => {
                braces -= 1;
                if braces == 0 {
                    return start + j + 1;
                }
            }
            _ => {}
        }
    }
    code.len()
}

/// The text of a file without its `#[cfg(test)]` items (tests may use anything): each is cut from
/// the attribute to its end ([`item_end`]), so the code after a one-line test item
/// (`#[cfg(test)] use x;`) and after a test module is still checked.
fn without_tests(text: &str) -> String {
    const ATTR: &str = "#[cfg(test)]";
    let code = code_only(text);
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    while let Some(i) = code[from..].find(ATTR).map(|i| from + i) {
        out.push_str(&text[from..i]);
        from = item_end(&code, i + ATTR.len());
    }
    out.push_str(&text[from..]);
    out
}

/// What the checks read of a file: its code outside tests, comments and strings blanked.
fn checked_code(text: &str) -> String {
    code_only(&without_tests(text))
}

/// The positions of `word` in `code` as a whole identifier.
fn word_at(code: &str, word: &str) -> Vec<usize> {
    let b = code.as_bytes();
    code.match_indices(word)
        .map(|(i, _)| i)
        .filter(|&i| i.checked_sub(1).is_none_or(|p| !is_ident(b[p])))
        .filter(|&i| b.get(i + word.len()).is_none_or(|n| !is_ident(*n)))
        .collect()
}

// ---- paths into the crate

/// The paths a use tree (or a path in an expression) starting at `s` names, segment by segment:
/// `a::{b, c::{d, self}}` → [a, b], [a, c, d], [a, c]; a glob names its module.
fn use_tree(s: &str) -> Vec<Vec<String>> {
    fn tree(b: &[u8], i: &mut usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        let skip_ws = |i: &mut usize| {
            while b.get(*i).is_some_and(u8::is_ascii_whitespace) {
                *i += 1;
            }
        };
        skip_ws(i);
        if b.get(*i) == Some(&b'{') {
            *i += 1;
            loop {
                tree(b, i, prefix.clone(), out);
                // Past `as name` to the `,` or `}` after this branch.
                while b.get(*i).is_some_and(|c| !matches!(c, b',' | b'}')) {
                    *i += 1;
                }
                *i += 1;
                if b.get(*i - 1) != Some(&b',') {
                    return;
                }
            }
        }
        let start = *i;
        while b.get(*i).is_some_and(|c| is_ident(*c)) {
            *i += 1;
        }
        let name = String::from_utf8_lossy(&b[start..*i]).into_owned();
        if name.is_empty() || name == "self" {
            if !prefix.is_empty() {
                out.push(prefix);
            }
            return;
        }
        let mut path = prefix;
        path.push(name);
        if b[*i..].starts_with(b"::") {
            *i += 2;
            tree(b, i, path, out);
        } else {
            out.push(path);
        }
    }
    let mut out = Vec::new();
    tree(s.as_bytes(), &mut 0, Vec::new(), &mut out);
    out
}

/// Every path into the crate that a file's code names (outside tests), from the crate root:
/// `crate::a::{b, c}` → [a, b], [a, c]; `super::x` from `room/file.rs` → [room, x], from
/// `room/mod.rs` → [x]; `super::super::x` from `room/sub/file.rs` → [room, x].
fn crate_paths(rel: &str, text: &str) -> Vec<Vec<String>> {
    const UP: &str = "super::";
    let code = checked_code(text);
    let module = module_of(rel);
    let mut out = Vec::new();
    for i in word_at(&code, "crate").into_iter().chain(word_at(&code, "super")) {
        let rest = &code[i..];
        // Only where a path starts: not the second `super` of `super::super`, not `pub(crate)`.
        if code[..i].trim_end().ends_with("::") || !(rest.starts_with("crate::") || rest.starts_with(UP)) {
            continue;
        }
        let (base, at) = if rest.starts_with("crate::") {
            (Vec::new(), "crate::".len())
        } else {
            let ups = rest.as_bytes().chunks(UP.len()).take_while(|c| *c == UP.as_bytes()).count();
            let Some(keep) = module.len().checked_sub(ups) else { continue };
            (module[..keep].to_vec(), ups * UP.len())
        };
        out.extend(use_tree(&rest[at..]).into_iter().map(|p| [base.clone(), p].concat()));
    }
    out
}

// ---- rooms and their imports

/// Which room may import which. Every room is listed, except the composition root (`app`, and
/// `lib`, which declares the modules), which composes them all.
const ROOM_IMPORTS: &[(&str, &[&str])] = &[
    ("error", &[]),
    ("clock", &[]),
    ("domain", &["error", "clock"]),
    // `paths`: where the data directory's files are and how they are opened (never through a
    // symlink) — the database (store) and the shared request budget (amocrm) alike.
    ("store", &["domain", "error", "clock", "paths"]),
    ("keychain", &["domain", "error"]),
    ("amocrm", &["domain", "error", "clock", "paths"]),
    ("i18n", &["domain", "error"]),
    ("paths", &["error"]),
    ("logging", &["paths"]),
    // `error`: the window receives errors as `ErrorPayload` (a refused sign-in link's event).
    ("ipc", &["domain", "error"]),
    // What a window that cannot open its data says (a pure mapping, before anything runs).
    ("startup", &["domain", "error", "i18n"]),
    // Quitting waits for a token refresh in flight (the session's flag), nothing else.
    ("quit", &["auth"]),
    ("context", &["amocrm", "domain", "keychain", "paths", "store"]),
    // Services: the shared context and the lower rooms; of each other, the outbox and the
    // reference service use only the session (for tokens).
    ("config", &["context", "domain", "error", "store"]),
    ("auth", &["amocrm", "clock", "context", "domain", "error", "i18n", "store"]),
    ("reference", &["auth", "clock", "context", "domain", "error"]),
    ("outbox", &["amocrm", "auth", "clock", "context", "domain", "error", "store"]),
    // The copy of the account's people: reads only (the house rule below keeps writes in outbox).
    ("people", &["amocrm", "auth", "clock", "context", "domain", "error", "store"]),
    ("notices", &["context", "domain", "error"]),
    ("changes", &["context", "error", "store"]),
    // "My tasks": reads only, through the session's tokens; the piles are domain's.
    ("my_tasks", &["auth", "context", "domain", "error"]),
    // The lead card: reads only, through the session's tokens; naming and showing are domain's.
    ("lead_card", &["auth", "context", "domain", "error"]),
];

/// The rooms a file imports (the first segment of each path into the crate).
fn imports(rel: &str, text: &str) -> BTreeSet<String> {
    crate_paths(rel, text).into_iter().filter_map(|p| p.into_iter().next()).collect()
}

/// Room → the other rooms its files import.
fn room_graph(files: &Files) -> Graph {
    let mut g = Graph::new();
    for (rel, text) in files {
        let r = room(rel);
        let deps: BTreeSet<String> = imports(rel, text).into_iter().filter(|d| *d != r).collect();
        g.entry(r).or_default().extend(deps);
    }
    g
}

/// Rooms missing from `table`, and imports a room's row does not allow.
fn room_problems(files: &Files, table: &[(&str, &[&str])]) -> Vec<String> {
    let g = room_graph(files);
    let listed: BTreeSet<&str> = table.iter().map(|(r, _)| *r).chain(["app", "lib"]).collect();
    let mut problems: Vec<String> = g
        .keys()
        .filter(|r| !listed.contains(r.as_str()))
        .map(|r| format!("room `{r}` has no import rules (add it to ROOM_IMPORTS)"))
        .collect();
    for (r, ok) in table {
        let extra: Vec<_> = g.get(*r).into_iter().flatten().filter(|d| !ok.contains(&d.as_str())).collect();
        if !extra.is_empty() {
            problems.push(format!("`{r}` imports {extra:?}; it may import only {ok:?}"));
        }
    }
    problems
}

/// A cycle in `g` (depth-first search for a back edge), as the nodes along it, first = last.
fn find_cycle(g: &Graph) -> Option<Vec<String>> {
    fn visit(n: &str, g: &Graph, path: &mut Vec<String>, done: &mut BTreeSet<String>) -> Option<Vec<String>> {
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
    g.keys().find_map(|n| visit(n, g, &mut Vec::new(), &mut done))
}

#[test]
fn each_room_imports_only_what_it_may() {
    let problems = room_problems(files(), ROOM_IMPORTS);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn there_are_no_import_cycles_between_rooms() {
    if let Some(cycle) = find_cycle(&room_graph(files())) {
        panic!("import cycle: {}", cycle.join(" → "));
    }
}

/// The services use only the session of `auth`, nothing else of each other.
#[test]
fn services_use_each_other_only_through_the_session() {
    for (rel, text) in files()
        .iter()
        .filter(|(rel, _)| matches!(room(rel).as_str(), "outbox" | "reference" | "my_tasks" | "lead_card"))
    {
        for p in crate_paths(rel, text).into_iter().filter(|p| p[0] == "auth") {
            assert!(p.len() >= 3 && p[..3] == ["auth", "session", "Session"], "{rel} uses crate::{}", p.join("::"));
        }
    }
}

// ---- the files of `domain`, each its own room

/// The domain file (or outside room) a path names: `crate::domain::x` is `domain/x.rs` when there
/// is such a file, else something of `domain/mod.rs`; any other path its room.
fn domain_target(path: &[String], domain_files: &BTreeSet<&str>) -> String {
    match (path[0].as_str(), path.get(1)) {
        ("domain", Some(x)) if domain_files.contains(format!("domain/{x}.rs").as_str()) => format!("domain/{x}.rs"),
        ("domain", _) => "domain/mod.rs".into(),
        (other, _) => other.into(),
    }
}

/// Each file of `domain/` is a room of its own: it may import only what `domain` may (`error`,
/// `clock`) and other domain files, and there is no import cycle among them — so each rule file
/// can be read, and moved, with only what it names.
fn domain_problems(files: &Files) -> Vec<String> {
    let may: &[&str] = ROOM_IMPORTS.iter().find(|(r, _)| *r == "domain").expect("a row for domain").1;
    let domain: Vec<_> = files.iter().filter(|(rel, _)| rel.starts_with("domain/")).collect();
    let names: BTreeSet<&str> = domain.iter().map(|(rel, _)| rel.as_str()).collect();
    let mut problems = Vec::new();
    let mut g = Graph::new();
    for (rel, text) in domain {
        let deps: BTreeSet<String> =
            crate_paths(rel, text).iter().map(|p| domain_target(p, &names)).filter(|d| d != rel).collect();
        let outside: Vec<_> = deps.iter().filter(|d| !d.starts_with("domain/") && !may.contains(&d.as_str())).collect();
        if !outside.is_empty() {
            problems.push(format!("{rel} imports {outside:?}; a domain file may import only {may:?} and domain files"));
        }
        g.insert(rel.clone(), deps.into_iter().filter(|d| d.starts_with("domain/")).collect());
    }
    if let Some(cycle) = find_cycle(&g) {
        problems.push(format!("import cycle among domain files: {}", cycle.join(" → ")));
    }
    problems
}

#[test]
fn each_domain_file_imports_only_error_clock_and_domain_files_without_cycles() {
    let problems = domain_problems(files());
    assert!(problems.is_empty(), "{problems:#?}");
}

// ---- what each room reaches through the shared context

/// What each room may reach through the shared context (`Ctx`, context.rs): a field (`store`), or
/// one part of a field (`amo.api`: the v4 API, not the token endpoint, which only `auth` uses to
/// sign in). The minimum each room needs: a grant the room never uses fails too. `app` builds the
/// context and may reach all of it; a room not listed may reach nothing.
const CTX_REACH: &[(&str, &[&str])] = &[
    ("config", &["store", "keychain"]),
    ("auth", &["data", "store", "keychain", "amo"]),
    ("reference", &["store", "amo.api"]),
    // `data`: the outbox's lock file in the data directory.
    ("outbox", &["data", "store", "amo.api"]),
    ("people", &["store", "amo.api"]),
    ("notices", &["store"]),
    ("changes", &["store"]),
    // `store`: who is signed in now (the account row); `amo.api`: the task list.
    ("my_tasks", &["store", "amo.api"]),
    // `amo.api`: the lead, its notes, tasks and contacts.
    ("lead_card", &["amo.api"]),
];

/// What `Ctx` offers, read from context.rs: its fields, and for each of its methods the fields it
/// uses (`ctx.lang()` reads the store, so it is a reach of the store).
struct CtxShape {
    fields: BTreeSet<String>,
    methods: BTreeMap<String, BTreeSet<String>>,
}

fn ctx_shape(context_rs: &str) -> CtxShape {
    let code = checked_code(context_rs);
    let at = code.find("struct Ctx").expect("`struct Ctx` in context.rs");
    let body = &code[at..item_end(&code, at)];
    let inner = body.split_once('{').map_or("", |(_, b)| b.trim_end_matches('}'));
    let fields: BTreeSet<String> = inner
        .split(',')
        .filter_map(|f| f.split_once(':'))
        .filter_map(|(name, _)| name.split_whitespace().last().map(String::from))
        .collect();
    assert!(!fields.is_empty(), "no fields found in `struct Ctx`");
    let mut methods = BTreeMap::new();
    for at in code.match_indices("impl Ctx").map(|(i, _)| i) {
        let block = &code[at..item_end(&code, at)];
        for f in fn_items(block) {
            let used = member_uses(&f.body, "self").into_iter().map(|(field, _)| field).filter(|x| fields.contains(x));
            methods.insert(f.name, used.collect());
        }
    }
    CtxShape { fields, methods }
}

/// Each `<receiver>.<member>[.<next>]` in `code`, across spaces and line breaks (`self\n.ctx`).
fn member_uses(code: &str, receiver: &str) -> Vec<(String, Option<String>)> {
    let dot_ident = |s: &str| s.trim_start().strip_prefix('.').map(ident).filter(|x| !x.is_empty());
    word_at(code, receiver)
        .into_iter()
        .filter_map(|i| {
            let rest = &code[i + receiver.len()..];
            let member = dot_ident(rest)?;
            let after = &rest[rest.find(member.as_str()).expect("just read") + member.len()..];
            Some((member, dot_ident(after)))
        })
        .collect()
}

/// What a file's code (outside tests) reaches of the context: `ctx.store` → `store`,
/// `self.ctx.amo.api()` → `amo.api`, `ctx.lang()` → what `lang` uses; a `Ctx { .. }` pattern or
/// literal reaches every field.
fn ctx_reaches(text: &str, shape: &CtxShape) -> BTreeSet<String> {
    let code = checked_code(text);
    let mut out = BTreeSet::new();
    for (member, next) in member_uses(&code, "ctx") {
        if shape.fields.contains(&member) {
            out.insert(next.map_or(member.clone(), |n| format!("{member}.{n}")));
        } else if let Some(used) = shape.methods.get(&member) {
            out.extend(used.iter().cloned());
        }
    }
    if word_at(&code, "Ctx").into_iter().any(|i| code[i + 3..].trim_start().starts_with('{')) {
        out.extend(shape.fields.iter().cloned());
    }
    out
}

/// `reach` is within `grant`: the same, or a part of it (`amo.api` within `amo`).
fn within(reach: &str, grant: &str) -> bool {
    reach == grant || reach.strip_prefix(grant).is_some_and(|r| r.starts_with('.'))
}

/// Reaches a room's row does not grant, and grants no file of the room uses.
fn reach_problems(files: &Files, table: &[(&str, &[&str])], shape: &CtxShape) -> Vec<String> {
    let mut problems = Vec::new();
    let mut used: BTreeSet<(String, &str)> = BTreeSet::new();
    for (rel, text) in files {
        let r = room(rel);
        if matches!(r.as_str(), "app" | "context") {
            continue;
        }
        let grants: &[&str] = table.iter().find(|(t, _)| *t == r).map_or(&[], |(_, g)| g);
        for reach in ctx_reaches(text, shape) {
            match grants.iter().find(|g| within(&reach, g)) {
                Some(g) => {
                    used.insert((r.clone(), *g));
                }
                None => problems.push(format!("{rel} reaches ctx.{reach}; `{r}` may reach only {grants:?}")),
            }
        }
    }
    for (r, grants) in table {
        for g in grants.iter().filter(|g| !used.contains(&(r.to_string(), **g))) {
            problems.push(format!("`{r}` may reach ctx.{g} but never does: take it out of CTX_REACH"));
        }
    }
    problems
}

#[test]
fn each_room_reaches_only_its_part_of_the_shared_context() {
    let shape = ctx_shape(source("context.rs"));
    let unknown: Vec<_> = CTX_REACH
        .iter()
        .flat_map(|(r, grants)| grants.iter().map(move |g| (r, g)))
        .filter(|(_, g)| !shape.fields.contains(g.split('.').next().unwrap_or_default()))
        .collect();
    assert!(unknown.is_empty(), "CTX_REACH grants what `Ctx` does not have ({:?}): {unknown:?}", shape.fields);
    let problems = reach_problems(files(), CTX_REACH, &shape);
    assert!(problems.is_empty(), "{problems:#?}");
}

// ---- writes to amoCRM

/// What sends a write in the API client: amoCRM changes data on POST, PATCH, PUT and DELETE, asked
/// for with `reqwest::Method` or the request builder.
const WRITE_SIGNS: &[&str] =
    &["Method::POST", "Method::PATCH", "Method::PUT", "Method::DELETE", ".post(", ".patch(", ".put(", ".delete("];

/// A function of a file: its name, whether it is `pub` (in any form), and its text from `fn` to
/// its closing brace.
struct FnItem {
    name: String,
    public: bool,
    body: String,
}

/// The functions in `code` (from [`code_only`]).
fn fn_items(code: &str) -> Vec<FnItem> {
    word_at(code, "fn")
        .into_iter()
        .filter(|&i| code[i + 2..].starts_with(char::is_whitespace))
        .map(|i| FnItem {
            name: ident(&code[i + 2..]),
            public: code[..i].rsplit('\n').next().unwrap_or_default().trim_start().starts_with("pub"),
            body: code[i..item_end(code, i)].to_string(),
        })
        .collect()
}

/// `code` calls (or names) the method or function `name`: `.name(`, `.name::<`, `Type::name`.
fn calls(code: &str, name: &str) -> bool {
    word_at(code, name).into_iter().any(|i| {
        let before = code[..i].trim_end();
        let after = code[i + name.len()..].trim_start();
        (before.ends_with('.') && (after.starts_with('(') || after.starts_with("::"))) || before.ends_with("::")
    })
}

/// The public methods of the API client (`amocrm/client.rs`) that send a write: those whose body
/// shows a [`WRITE_SIGNS`], or calls a function that does (`post_json`), however many calls deep.
/// The token endpoint (`amocrm/token_client.rs`, used by `auth`) also POSTs, but that is signing
/// in, not a write on behalf of the user: it is not read here.
fn write_methods(client_rs: &str) -> BTreeSet<String> {
    let fns = fn_items(&checked_code(client_rs));
    let mut writers: BTreeSet<&str> =
        fns.iter().filter(|f| WRITE_SIGNS.iter().any(|s| f.body.contains(s))).map(|f| f.name.as_str()).collect();
    loop {
        let more: Vec<&str> = fns
            .iter()
            .filter(|f| !writers.contains(f.name.as_str()) && writers.iter().any(|w| calls(&f.body, w)))
            .map(|f| f.name.as_str())
            .collect();
        if more.is_empty() {
            break;
        }
        writers.extend(more);
    }
    fns.iter().filter(|f| f.public && writers.contains(f.name.as_str())).map(|f| f.name.clone()).collect()
}

/// Calls of a write method from outside `amocrm/` and `outbox/`: only the outbox writes to
/// amoCRM on behalf of the user — durably queued first, sent once, reconciled after a lost
/// answer. (Reads for the forms may stay in `reference`.)
fn write_problems(files: &Files, writers: &BTreeSet<String>) -> Vec<String> {
    files
        .iter()
        .filter(|(rel, _)| !rel.starts_with("amocrm/") && !rel.starts_with("outbox/"))
        .flat_map(|(rel, text)| {
            let code = checked_code(text);
            writers.iter().filter(move |w| calls(&code, w)).map(move |w| format!("{rel} calls the write `{w}`"))
        })
        .collect()
}

#[test]
fn only_the_outbox_writes_to_amocrm() {
    let writers = write_methods(source("amocrm/client.rs"));
    assert!(!writers.is_empty(), "no write methods found in amocrm/client.rs: the rule would check nothing");
    let problems = write_problems(files(), &writers);
    assert!(problems.is_empty(), "writes to amoCRM outside outbox/ (found writes: {writers:?}): {problems:#?}");
}

// ---- one room per outside resource

/// Files (outside their tests) mentioning any of `needles`, except the allowed ones.
fn offenders(needles: &[&str], allowed: impl Fn(&str) -> bool) -> Vec<String> {
    files()
        .iter()
        .filter(|(rel, text)| !allowed(rel) && needles.iter().any(|n| without_tests(text).contains(n)))
        .map(|(rel, _)| rel.clone())
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

// ---- each checker fails when it should (on literals, or a scratch copy of the source; never on src/)

mod the_checkers_bite {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn files_of(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(r, t)| (r.to_string(), t.to_string())).collect()
    }

    #[test]
    fn a_one_line_test_item_does_not_hide_the_next_impl() {
        // The issue's case: cutting to the next `}` took the whole `impl` after the `use`.
        let out = without_tests("#[cfg(test)] use crate::store::y;\nimpl Kept { fn k() { crate::keychain::read() } }");
        assert_eq!(out, "\nimpl Kept { fn k() { crate::keychain::read() } }");
        let text = r#"
use crate::domain::x;
#[cfg(test)]
use crate::store::y;
#[cfg(test)] mod tests;
#[cfg(test)] const X: [u8; 2] = [1, 2];
/// A database as schema `version` left it.
#[allow(dead_code)]
#[cfg(test)]
#[inline]
pub(crate) fn schema_at(conn: &Connection, version: [u8; 4]) {
    let s = "}}}"; // a brace in a string or a comment: }
    crate::store::migrate(conn, '{');
}
impl Kept {
    fn kept() { crate::keychain::read() }
}
#[cfg(test)]
mod tests {
    use crate::amocrm::Hidden;
    fn t() { let _ = "{"; }
}
fn after_the_module() { crate::clock::now() }
"#;
        let out = without_tests(text);
        for kept in ["use crate::domain::x;", "impl Kept {", "crate::keychain::read()", "fn after_the_module()"] {
            assert!(out.contains(kept), "`{kept}` was cut:\n{out}");
        }
        for cut in ["crate::store::y", "mod tests", "const X", "schema_at", "crate::store::migrate", "Hidden"] {
            assert!(!out.contains(cut), "`{cut}` was kept:\n{out}");
        }
        let rooms = imports("x.rs", text);
        assert_eq!(rooms, set(&["clock", "domain", "keychain"]));
    }

    #[test]
    fn imports_are_read_from_groups_super_and_expressions_not_from_comments_or_strings() {
        let text = "use crate::{domain::{a, b::C}, error as e};\nuse super::Store;\n\
                    fn f() { crate::clock::now(); super::super::paths::x(); }\n\
                    /// See [`crate::keychain::Keychain`].\nconst S: &str = \"crate::amocrm\";";
        let paths = crate_paths("store/sub/x.rs", text);
        let shown: BTreeSet<String> = paths.iter().map(|p| p.join("::")).collect();
        let want = ["domain::a", "domain::b::C", "error", "store::sub::Store", "clock::now", "store::paths::x"];
        assert_eq!(shown, set(&want));
        assert_eq!(imports("domain/mod.rs", "use super::store::S;"), set(&["store"]));
        let problems = room_problems(&files_of(&[("store/a.rs", "use crate::{keychain::K};")]), ROOM_IMPORTS);
        assert!(problems.iter().any(|p| p.contains("`store` imports [\"keychain\"]")), "{problems:?}");
        let problems = room_problems(&files_of(&[("newroom.rs", "use crate::error::Result;")]), ROOM_IMPORTS);
        assert!(problems.iter().any(|p| p.contains("`newroom` has no import rules")), "{problems:?}");
    }

    #[test]
    fn domain_files_may_not_import_outside_rooms_nor_each_other_in_a_cycle() {
        let files = files_of(&[
            ("domain/mod.rs", "pub mod a; pub mod b; pub mod c;"),
            ("domain/a.rs", "use crate::domain::b::B;\nuse crate::error::Error;"),
            ("domain/b.rs", "use super::c::C;"),
            ("domain/c.rs", "fn f() -> crate::domain::a::A { todo!() }\nuse crate::{clock, store::Store};"),
        ]);
        let problems = domain_problems(&files);
        assert!(problems.iter().any(|p| p.starts_with("domain/c.rs imports [\"store\"]")), "{problems:?}");
        let cycle = "import cycle among domain files: domain/a.rs → domain/b.rs → domain/c.rs → domain/a.rs";
        assert!(problems.iter().any(|p| p == cycle), "{problems:?}");
        // Without the back edge and the store: clean.
        let files = files_of(&[("domain/a.rs", "use crate::domain::b::B;"), ("domain/b.rs", "use crate::clock::now;")]);
        assert_eq!(domain_problems(&files), Vec::<String>::new());
    }

    #[test]
    fn a_reach_into_the_context_outside_the_table_is_refused() {
        let shape = ctx_shape(
            "pub(crate) struct Ctx {\n    /// Where.\n    pub data: DataDir,\n    pub store: Store,\n    \
             pub keychain: Keychain,\n    pub amo: AmoCrm,\n}\nimpl Ctx {\n    pub fn lang(&self) -> Lang { \
             self.store.settings().language() }\n}",
        );
        assert_eq!(shape.fields, set(&["amo", "data", "keychain", "store"]));
        assert_eq!(shape.methods["lang"], set(&["store"]));
        let table: &[(&str, &[&str])] = &[("notices", &["store"]), ("config", &["store", "amo.endpoints"])];
        let files = files_of(&[
            ("notices.rs", "fn f(&self) { let s = &self.ctx.store; self.ctx\n    .keychain\n    .tokens(); }"),
            ("config.rs", "fn f(&self) { self.ctx.amo.endpoints(); self.ctx.lang(); // ctx.data\n}"),
            ("config.rs", "fn g(&self) { let Ctx { amo, .. } = &*self.ctx; amo.api() }"),
            ("reference.rs", "fn f(&self) { self.session.ctx.amo.api() }"),
            ("notices.rs", "#[cfg(test)]\nmod tests { fn t(ctx: Ctx) { ctx.amo.api(); } }"),
        ]);
        let problems = reach_problems(&files, table, &shape);
        let want = [
            "notices.rs reaches ctx.keychain.tokens; `notices` may reach only [\"store\"]",
            "config.rs reaches ctx.amo; `config` may reach only [\"store\", \"amo.endpoints\"]",
            "config.rs reaches ctx.data; `config` may reach only [\"store\", \"amo.endpoints\"]",
            "config.rs reaches ctx.keychain; `config` may reach only [\"store\", \"amo.endpoints\"]",
            "reference.rs reaches ctx.amo.api; `reference` may reach only []",
        ];
        for w in want {
            assert!(problems.iter().any(|p| p == w), "missing `{w}` in {problems:#?}");
        }
        assert_eq!(problems.len(), want.len(), "{problems:#?}");
        // A grant nobody uses is refused too: the table stays the minimum.
        let problems = reach_problems(&files_of(&[("notices.rs", "")]), &[("notices", &["store"])], &shape);
        assert_eq!(problems, ["`notices` may reach ctx.store but never does: take it out of CTX_REACH"]);
    }

    #[test]
    fn a_write_outside_the_outbox_is_refused() {
        let client = r#"
impl ApiClient {
    async fn get_json(&self, path: &str) -> Result<Value> { self.send(Method::GET, path, None).await }
    async fn patch_json(&self, path: &str, body: &Value) -> Result<Value> {
        self.send(Method::PATCH, path, Some(body)).await
    }
    /// Not a write: "Method::POST" in a string, and `.post_json(` in a comment.
    pub async fn leads(&self) -> Result<Value> { self.get_json("Method::POST").await }
    pub async fn rename_lead(&self, id: i64) -> Result<Value> { self.patch_json(&format!("/leads/{id}"), &v).await }
    pub async fn rename_twice(&self, id: i64) -> Result<()> { self.rename_lead(id).await?; Ok(()) }
    pub async fn drop_lead(&self, id: i64) -> Result<()> { self.http.delete(url).send().await }
    async fn private_write(&self) { self.patch_json("/x", &v).await; }
}
#[cfg(test)]
mod tests { pub async fn fake(&self) { self.patch_json("/t", &v).await } }
"#;
        let writers = write_methods(client);
        assert_eq!(writers, set(&["drop_lead", "rename_lead", "rename_twice"]));
        let files = files_of(&[
            ("reference.rs", "async fn f(api: ApiClient) { api.rename_lead(1).await?; }"),
            ("app.rs", "fn f() { let w = ApiClient::drop_lead; }"),
            ("notices.rs", "// api.rename_lead(1)\nfn f() { api.leads().await; let s = \".drop_lead(\"; }"),
            ("config.rs", "#[cfg(test)]\nfn t() { api.rename_twice(1); }\nfn g() { api.leads(); }"),
            ("outbox/steps/lead.rs", "fn f(api: ApiClient) { api.rename_lead(1); api\n    .drop_lead(2); }"),
            ("amocrm/client.rs", client),
        ]);
        let problems = write_problems(&files, &writers);
        assert_eq!(problems, ["reference.rs calls the write `rename_lead`", "app.rs calls the write `drop_lead`"]);
    }

    /// The real source with one violation added to a copy of one file: each rule refuses it.
    #[test]
    fn the_rules_bite_on_a_scratch_copy_of_the_source() {
        let with = |rel: &str, extra: &str| -> Vec<(String, String)> {
            files()
                .iter()
                .map(|(r, t)| (r.clone(), if r == rel { format!("{t}\n{extra}\n") } else { t.clone() }))
                .collect()
        };
        let writers = write_methods(source("amocrm/client.rs"));
        for w in ["add_lead_complex", "add_contact", "add_company", "link_contact_to_company"] {
            assert!(writers.contains(w), "`{w}` not found among the writes {writers:?}");
        }
        let scratch =
            with("reference.rs", "async fn sneak(api: ApiClient, at: Access) { api.add_contact(at, &json).await; }");
        assert_eq!(write_problems(&scratch, &writers), ["reference.rs calls the write `add_contact`"]);

        let scratch = with("domain/platform.rs", "fn sneak() -> crate::domain::views::StatusView { todo!() }");
        let problems = domain_problems(&scratch);
        let cycle = problems.iter().find(|p| p.starts_with("import cycle among domain files"));
        assert!(
            cycle.is_some_and(|c| c.contains("domain/platform.rs") && c.contains("domain/views.rs")),
            "{problems:?}"
        );

        let shape = ctx_shape(source("context.rs"));
        let scratch = with("notices.rs", "impl Notices { fn sneak(&self) { self.ctx.keychain.tokens(); } }");
        let problems = reach_problems(&scratch, CTX_REACH, &shape);
        assert_eq!(problems, ["notices.rs reaches ctx.keychain.tokens; `notices` may reach only [\"store\"]"]);

        let scratch = with(
            "changes.rs",
            "#[cfg(test)]\nuse crate::store::Store;\nimpl Changes { fn sneak() { crate::auth::x(); } }",
        );
        let problems = room_problems(&scratch, ROOM_IMPORTS);
        assert_eq!(problems, ["`changes` imports [\"auth\"]; it may import only [\"context\", \"error\", \"store\"]"]);
    }
}
