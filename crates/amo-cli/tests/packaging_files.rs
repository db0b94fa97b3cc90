//! The files the Linux packages carry besides the program, generated from their sources so they
//! never drift (docs/packaging.md):
//!
//! - `man1/amo-connect*.1.gz`: one man page per command and subcommand, from the CLI's own clap
//!   definition (`amo_cli::command()`), so `man amo-connect-outbox-edit` says what
//!   `amo-connect outbox edit --help` says;
//! - `changelog.gz`: the Debian changelog of this version, from CHANGELOG.md's newest section,
//!   and `rpm-changelog`, the same as the .rpm's `%changelog` (scripts/finish-rpm.sh);
//! - `copyright`: our licence (LICENSE) and the licence of every crate linked into the Linux
//!   program (`cargo tree`, from Cargo.lock).
//!
//! They live in `src-tauri/linux/generated/` (tauri.conf.json maps them into the .deb and .rpm).
//! `packaging_files_are_current` rewrites whatever changed; CI's `generated-files-current` step
//! fails when a commit forgot to include the result. Compression is deterministic (no time stamp,
//! no file name in the gzip header), as lintian requires and as a diff needs.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use flate2::{Compression, GzBuilder};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn out_dir() -> PathBuf {
    root().join("src-tauri/linux/generated")
}

/// The Debian package name, which names /usr/share/doc/<package>.
const PACKAGE: &str = "amo-connect";

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzBuilder::new().mtime(0).write(Vec::new(), Compression::best());
    gz.write_all(bytes).expect("gzip");
    gz.finish().expect("gzip")
}

fn gunzip(bytes: &[u8]) -> String {
    use std::io::Read;
    let mut s = String::new();
    flate2::read::GzDecoder::new(bytes).read_to_string(&mut s).expect("gunzip");
    s
}

// ------------------------------------------------------------------ CHANGELOG.md

/// The newest section of CHANGELOG.md: `## VERSION — YYYY-MM-DD`, then `### Group` headings and
/// `- item` bullets whose continuation lines are indented.
struct Release {
    version: String,
    date: chrono::NaiveDate,
    groups: Vec<(String, Vec<String>)>,
}

fn newest_release() -> Release {
    let text = std::fs::read_to_string(root().join("CHANGELOG.md")).expect("CHANGELOG.md");
    let mut lines = text.lines().skip_while(|l| !l.starts_with("## "));
    let heading = lines.next().expect("CHANGELOG.md has a `## VERSION — DATE` section");
    let (version, date) = heading[3..]
        .split_once(" — ")
        .unwrap_or_else(|| panic!("CHANGELOG.md heading {heading:?} is not `## VERSION — YYYY-MM-DD`"));
    let date = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
        .unwrap_or_else(|e| panic!("CHANGELOG.md heading {heading:?}: date: {e}"));
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for line in lines.take_while(|l| !l.starts_with("## ")) {
        if let Some(group) = line.strip_prefix("### ") {
            groups.push((group.trim().to_string(), Vec::new()));
        } else if let Some(item) = line.strip_prefix("- ") {
            let (_, items) = groups.last_mut().expect("an item under a ### group");
            items.push(item.trim().to_string());
        } else if line.starts_with("  ") && !line.trim().is_empty() {
            let (_, items) = groups.last_mut().expect("an item under a ### group");
            let item = items.last_mut().expect("a continuation line after an item");
            item.push(' ');
            item.push_str(line.trim());
        }
    }
    Release { version: version.trim().to_string(), date, groups }
}

/// Words of `text` in lines of at most `width` columns, the first after `first`, the rest
/// after `rest`.
fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
    let mut out = String::new();
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(&line);
            out.push('\n');
            line = rest.to_string();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// Debian's changelog format (deb-changelog(5)), the one lintian and `apt changelog` read.
fn debian_changelog(release: &Release) -> String {
    let mut s = format!("{PACKAGE} ({}) unstable; urgency=medium\n\n", release.version);
    for (group, items) in &release.groups {
        s.push_str(&format!("  [ {group} ]\n"));
        for item in items {
            s.push_str(&wrap(item, 78, "  * ", "    "));
        }
        s.push('\n');
    }
    let date = release.date.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    s.push_str(&format!(" -- {}  {}\n", env!("CARGO_PKG_AUTHORS"), date.format("%a, %d %b %Y %H:%M:%S +0000")));
    s
}

/// The spec file's `%changelog` (scripts/finish-rpm.sh), whose first line also names the
/// packager.
fn rpm_changelog(release: &Release) -> String {
    let mut s =
        format!("* {} {} - {}-1\n", release.date.format("%a %b %d %Y"), env!("CARGO_PKG_AUTHORS"), release.version);
    for (group, items) in &release.groups {
        for item in items {
            s.push_str(&wrap(&format!("{group}: {item}"), 78, "- ", "  "));
        }
    }
    s
}

// ------------------------------------------------------------------ man pages

/// One page per command: `amo-connect`, `amo-connect-outbox`, `amo-connect-outbox-edit`, …
/// (no page for clap's `help` subcommand: `--help` is on every page).
fn man_pages(release: &Release) -> BTreeMap<String, Vec<u8>> {
    let mut cmd = amo_cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = BTreeMap::new();
    add_pages(&cmd, None, release, &mut pages);
    pages
}

fn add_pages(cmd: &clap::Command, parent: Option<&str>, release: &Release, pages: &mut BTreeMap<String, Vec<u8>>) {
    let name = match parent {
        None => cmd.get_name().to_string(),
        Some(p) => format!("{p}-{}", cmd.get_name()),
    };
    // clap names are `&'static str` without its `string` feature; a test process may leak a few.
    let static_name: &'static str = Box::leak(name.clone().into_boxed_str());
    let page = clap_mangen::Man::new(cmd.clone().name(static_name))
        .section("1")
        .date(release.date.format("%Y-%m-%d").to_string())
        .source(format!("Amo Connect {}", release.version))
        .manual("Amo Connect");
    let mut roff = Vec::new();
    let io = |r: std::io::Result<()>| r.expect("render man page");
    io(page.render_title(&mut roff));
    io(page.render_name_section(&mut roff));
    io(page.render_synopsis_section(&mut roff));
    io(page.render_description_section(&mut roff));
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        io(page.render_options_section(&mut roff));
    }
    if cmd.has_subcommands() {
        io(page.render_subcommands_section(&mut roff));
    }
    if parent.is_none() {
        // The tables `--help` prints as text, as the sections man pages have for them.
        roff.extend(roff_section("EXIT STATUS", amo_cli::args::EXIT_STATUS).as_bytes());
        roff.extend(roff_section("ENVIRONMENT", amo_cli::args::ENVIRONMENT).as_bytes());
        roff.extend(roff_section("FILES", amo_cli::args::FILES).as_bytes());
    }
    if cmd.get_version().is_some() {
        io(page.render_version_section(&mut roff));
    }
    pages.insert(format!("man1/{name}.1.gz"), gzip(&roff));
    for sub in cmd.get_subcommands() {
        add_pages(sub, Some(&name), release, pages);
    }
}

/// Text for roff: backslashes and hyphens escaped, no line read as a request.
fn roff_escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    match escaped.chars().next() {
        Some('.') | Some('\'') => format!("\\&{escaped}"),
        _ => escaped,
    }
}

/// A man section of tagged paragraphs: the name in bold, its text indented below.
fn roff_section(title: &str, rows: &[(&str, &str)]) -> String {
    let mut s = format!(".SH \"{title}\"\n");
    for (name, text) in rows {
        s.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", roff_escape(name), roff_escape(text)));
    }
    s
}

// ------------------------------------------------------------------ copyright

/// `name version: licence` of every crate linked into the Linux program (not the build tools or
/// proc macros, which are not in the package), from Cargo.lock.
fn linked_crates() -> Vec<String> {
    let out = Command::new(env!("CARGO"))
        .current_dir(root())
        .args([
            "tree",
            "--locked",
            "-p",
            "amo-connect",
            "-e",
            "normal",
            "--target",
            "x86_64-unknown-linux-gnu",
            "--prefix",
            "none",
            "-f",
            "{p}\t{l}",
        ])
        .output()
        .expect("run cargo tree");
    assert!(out.status.success(), "cargo tree: {}", String::from_utf8_lossy(&out.stderr));
    let mut crates: Vec<String> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .filter(|l| !l.contains("(proc-macro)") && !l.contains(" (/"))
        .filter_map(|l| {
            let (package, licence) = l.trim_end_matches(" (*)").split_once('\t')?;
            let (name, version) = package.trim_end_matches(" (*)").split_once(" v")?;
            let licence = licence.trim_end_matches(" (*)").trim();
            let licence = if licence.is_empty() { "see the crate's sources" } else { licence };
            Some(format!("{name} {version}: {licence}"))
        })
        .collect();
    crates.sort();
    crates.dedup();
    crates
}

fn copyright(crates: &[String]) -> String {
    let licence = std::fs::read_to_string(root().join("LICENSE")).expect("LICENSE");
    let mut s = format!(
        "Amo Connect\n\
         Upstream-Contact: {authors}\n\
         Source: {repository}\n\n\
         Copyright: 2026 Amo Connect developers\n\
         License: {licence_name}\n\n",
        authors = env!("CARGO_PKG_AUTHORS"),
        repository = env!("CARGO_PKG_REPOSITORY"),
        licence_name = env!("CARGO_PKG_LICENSE"),
    );
    for line in licence.lines() {
        s.push_str(if line.is_empty() { " ." } else { " " });
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s.push_str(
        "\nThe program is statically linked with these Rust crates, each under the licence named\n\
         (Cargo.lock of this release; their texts are in each crate's sources on crates.io, and\n\
         Apache-2.0 is also in /usr/share/common-licenses/Apache-2.0):\n\n",
    );
    for c in crates {
        s.push_str("  ");
        s.push_str(c);
        s.push('\n');
    }
    s
}

// ------------------------------------------------------------------ the files

fn generate() -> BTreeMap<String, Vec<u8>> {
    let release = newest_release();
    let mut files = man_pages(&release);
    files.insert("changelog.gz".into(), gzip(debian_changelog(&release).as_bytes()));
    files.insert("rpm-changelog".into(), rpm_changelog(&release).into_bytes());
    files.insert("copyright".into(), copyright(&linked_crates()).into_bytes());
    files
}

#[test]
fn packaging_files_are_current() {
    let dir = out_dir();
    let files = generate();
    for (rel, bytes) in &files {
        let path = dir.join(rel);
        if std::fs::read(&path).ok().as_deref() != Some(bytes.as_slice()) {
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, bytes).expect("write");
        }
    }
    // A page for a command that no longer exists goes too.
    if let Ok(entries) = std::fs::read_dir(dir.join("man1")) {
        for entry in entries.flatten() {
            let rel = format!("man1/{}", entry.file_name().to_string_lossy());
            if !files.contains_key(&rel) {
                std::fs::remove_file(entry.path()).expect("remove stale page");
            }
        }
    }
}

#[test]
fn every_command_has_its_page_with_every_option_described() {
    let release = newest_release();
    let pages = man_pages(&release);
    for name in [
        "amo-connect",
        "amo-connect-outbox-edit",
        "amo-connect-config-set",
        "amo-connect-lead-add",
        "amo-connect-users",
    ] {
        assert!(pages.contains_key(&format!("man1/{name}.1.gz")), "no page for {name}: {:?}", pages.keys());
    }
    let top = gunzip(&pages["man1/amo-connect.1.gz"]);
    assert!(top.contains(".TH amo-connect 1"), "{top}");
    assert!(top.contains(".SH \"ENVIRONMENT\"\n.TP\n\\fBAMO_CONNECT_LANG\\fR\n"), "{top}");
    assert!(top.contains(".SH \"EXIT STATUS\"") && top.contains(".SH \"FILES\""), "{top}");
    assert!(!top.contains("amo\\-connect\\-help"), "no page and no reference for clap's help subcommand");
    assert!(!pages.contains_key("man1/amo-connect-help.1.gz"));
    let edit = gunzip(&pages["man1/amo-connect-outbox-edit.1.gz"]);
    assert!(edit.contains("amo\\-connect\\-outbox\\-edit"), "{edit}");
    assert!(edit.contains("FIELD=VALUE"), "{edit}");

    // A page listing an option with no description is a page nobody can use.
    fn undescribed(cmd: &clap::Command, path: &str, out: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let builtin = matches!(arg.get_id().as_str(), "help" | "version");
            if !builtin && arg.get_help().is_none() && arg.get_long_help().is_none() {
                out.push(format!("{path} {}", arg.get_id()));
            }
        }
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            if sub.get_about().is_none() {
                out.push(format!("{path} {} (the command)", sub.get_name()));
            }
            undescribed(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }
    let mut cmd = amo_cli::command();
    cmd.build();
    let mut missing = Vec::new();
    undescribed(&cmd, "amo-connect", &mut missing);
    assert!(missing.is_empty(), "undescribed: {missing:?}");
}

#[test]
fn the_changelog_is_for_the_version_the_packages_carry() {
    let release = newest_release();
    let conf: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("src-tauri/tauri.conf.json")).expect("conf"))
            .expect("json");
    assert_eq!(Some(release.version.as_str()), conf["version"].as_str(), "CHANGELOG.md's newest section");
    let log = debian_changelog(&release);
    assert!(log.starts_with(&format!("{PACKAGE} ({}) unstable; urgency=medium\n", release.version)), "{log}");
    // The trailer (" -- maintainer  date") is a fixed format and may be longer.
    assert!(log.lines().filter(|l| !l.starts_with(" -- ")).all(|l| l.chars().count() <= 80), "lines wrapped: {log}");
    let trailer = log.lines().last().expect("trailer");
    assert!(trailer.starts_with(" -- Amo Connect developers <"), "{trailer}");
    assert!(trailer.ends_with(&format!("{} 00:00:00 +0000", release.date.format("%Y"))), "{trailer}");
    assert!(log.contains("  [ Command line ]\n"), "{log}");

    let rpm = rpm_changelog(&release);
    let first = rpm.lines().next().expect("first line");
    let date = chrono::NaiveDate::parse_from_str(&first[2..17], "%a %b %d %Y").expect("rpm date, weekday checked");
    assert_eq!(date, release.date);
    assert!(first.ends_with(&format!(" {} - {}-1", env!("CARGO_PKG_AUTHORS"), release.version)), "{first}");
    assert!(rpm.lines().skip(1).all(|l| l.starts_with("- ") || l.starts_with("  ")), "{rpm}");
    assert!(rpm.lines().all(|l| l.chars().count() <= 80), "{rpm}");
}

#[test]
fn roff_text_cannot_become_a_request() {
    assert_eq!(roff_escape(".TH evil"), "\\&.TH evil");
    assert_eq!(roff_escape("'br"), "\\&'br");
    assert_eq!(roff_escape("a-b \\ c"), "a\\-b \\e c");
}

#[test]
fn wrapping_keeps_every_word_and_the_width() {
    let text = "one two three four five six seven eight nine ten eleven twelve";
    let w = wrap(text, 20, "  * ", "    ");
    assert!(w.lines().all(|l| l.chars().count() <= 20), "{w}");
    assert_eq!(w.split_whitespace().filter(|t| *t != "*").collect::<Vec<_>>().join(" "), text);
    assert!(w.starts_with("  * one"), "{w}");
}

#[test]
fn the_copyright_names_our_licence_and_linked_crates_only() {
    let crates = linked_crates();
    let text = copyright(&crates);
    assert!(text.contains("License: MIT\n"), "{text}");
    assert!(text.contains(" Permission is hereby granted"), "the licence text is included");
    assert!(crates.iter().any(|c| c.starts_with("tauri ")), "the framework is listed: {crates:?}");
    assert!(crates.iter().any(|c| c.starts_with("rusqlite ")), "{crates:?}");
    assert!(!crates.iter().any(|c| c.starts_with("amo-")), "our own crates are not third parties");
    assert!(!crates.iter().any(|c| c.starts_with("serde_derive ")), "proc macros are not linked");
    assert!(!crates.iter().any(|c| c.starts_with("windows ")), "only what the Linux program links");
}
