//! The command line: any argv a script or a person can pass to `amo-connect`. Runs the real
//! `amo_cli::run` — clap's definition of every command — with an `open` that refuses, so a
//! command that parses is never executed (nothing is read, written or sent).
//!
//! Checked: never a panic (in debug builds clap also checks its own definition on first use);
//! exit status 2 with a message on stderr for a usage error, 0 with text on stdout for --help
//! and --version, and otherwise the app is opened exactly once (status 1 here, with the one-line
//! `error[code]: …` the CLI promises).
#![no_main]

use std::cell::Cell;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Arguments are separated by NUL bytes, as in /proc/<pid>/cmdline.
    let mut argv = vec![OsString::from("amo-connect")];
    argv.extend(data.split(|&b| b == 0).take(64).map(|a| OsString::from_vec(a.to_vec())));
    let cli = amo_cli::is_cli_invocation(&argv);
    // `new [--phone N]` is the window's (it raises the window); clap knows it too, for --help.
    let window_new = amo_cli::open_request(&argv).is_some();

    let opened = Cell::new(0);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut stdin: &[u8] = b"";
    let status = amo_cli::run(argv, &mut stdin, false, &mut out, &mut err, || {
        opened.set(opened.get() + 1);
        Err(amo_core::Error::internal("fuzzing: commands are not run"))
    });
    let (out, err) = (String::from_utf8_lossy(&out), String::from_utf8_lossy(&err));
    match status {
        0 => assert!(opened.get() == 0 && !out.is_empty() && err.is_empty(), "help: {out:?} {err:?}"),
        2 => assert!(opened.get() == 0 && out.is_empty() && !err.is_empty(), "usage: {out:?} {err:?}"),
        1 => {
            assert_eq!(opened.get(), 1, "a parsed command opens the app once");
            assert!(cli || window_new, "argv the window would take parsed as a command");
            assert!(out.is_empty());
            assert!(err.starts_with("error[internal]: ") && err.trim_end().lines().count() == 1, "{err:?}");
        }
        other => panic!("exit status {other}"),
    }
});
