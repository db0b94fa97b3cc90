//! The command line, in the same binary as the window (`amo-connect <command>`). It mirrors the
//! original integration's console commands; other programs rely on this surface.
//!
//! The commands, their options, exit status and environment are defined once, in [`args`]
//! (clap): `amo-connect --help`, `amo-connect COMMAND --help` and the man pages
//! (`man amo-connect`, one page per subcommand, generated from it by
//! `tests/packaging_files.rs`) all come from there.
//!
//! Exit status 0 on success; 1 with one line `error[code]: message` on stderr otherwise; 2 for
//! usage errors. This crate only parses and prints; everything it does is `amo_core`'s.

pub mod args;
mod browser;
mod edit;
mod exec;
mod interrupt;
mod print;
mod text;
mod tty;

use std::ffi::OsString;
use std::io::{BufRead, IsTerminal, Write};

use amo_core::domain::views::{OpenRequest, Screen};
use amo_core::{AmoConnect, Error, Lang, Result};
use clap::Parser;

/// The command line's definition, for the man pages and the argv fuzz target.
pub fn command() -> clap::Command {
    <args::Cli as clap::CommandFactory>::command()
}

/// True when the arguments ask for the CLI rather than the window. The window is started with no
/// arguments, with a deep-link URL (`amoconnect://…`) as the only one, or as `new [--phone N]`.
pub fn is_cli_invocation(args: &[OsString]) -> bool {
    match args.get(1).and_then(|a| a.to_str()) {
        None => false,
        Some("new") => open_request(args).is_none(),
        // The autostart entry's `amo-connect --hidden`: the window, started to the tray.
        Some("--hidden") if args.len() == 2 => false,
        Some(a) => !a.contains("://"),
    }
}

/// `amo-connect new [--phone NUMBER]` as a request to the window; `None` for anything else (or a
/// malformed `new`, which then goes to the CLI and gets clap's error and help). The number is
/// passed on as typed, without control characters; the form checks it like a typed one.
pub fn open_request(args: &[OsString]) -> Option<OpenRequest> {
    let args: Vec<&str> = args.iter().skip(1).map(|a| a.to_str()).collect::<Option<_>>()?;
    let phone = match args.as_slice() {
        ["new"] => None,
        ["new", "--phone", p] => Some(*p),
        ["new", p] if p.starts_with("--phone=") => Some(&p["--phone=".len()..]),
        _ => return None,
    };
    let phone = phone.map(|p| p.chars().filter(|c| !c.is_control()).take(64).collect::<String>());
    Some(OpenRequest { screen: Screen::NewLead, phone: phone.filter(|p| !p.trim().is_empty()) })
}

/// Entry point for `main`: real stdin/stdout/stderr, the environment's data directory and server.
pub fn main(args: Vec<OsString>) -> i32 {
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let mut input = stdin.lock();
    let stderr_is_terminal = std::io::stderr().is_terminal();
    run(args, &mut input, interactive, &mut std::io::stdout(), &mut std::io::stderr(), || {
        let app = AmoConnect::open_default()?;
        // A person at a terminal is told when their commands do not go to amoCRM; scripts reading
        // stderr keep getting one line per error.
        if let (Some(server), true) = (app.server_override(), stderr_is_terminal) {
            eprintln!("{}", text::text(text::Msg::ServerOverride { server }, Lang::from_env()));
        }
        Ok(app)
    })
}

/// Where a command reads and writes; tests pass buffers.
pub(crate) struct Io<'a> {
    pub stdin: &'a mut dyn BufRead,
    pub stdin_is_terminal: bool,
    pub out: &'a mut (dyn Write + Send),
    pub err: &'a mut dyn Write,
    pub lang: Lang,
}

/// The CLI with its I/O and the way it opens the app passed in, so tests can run it in-process.
pub fn run(
    argv: Vec<OsString>,
    stdin: &mut dyn BufRead,
    stdin_is_terminal: bool,
    out: &mut (dyn Write + Send),
    err: &mut dyn Write,
    open: impl FnOnce() -> Result<AmoConnect>,
) -> i32 {
    let lang = Lang::from_env();
    let cli = match args::Cli::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = if e.use_stderr() { write!(err, "{}", e.render()) } else { write!(out, "{}", e.render()) };
            return code;
        }
    };
    let app = match open() {
        Ok(a) => a,
        Err(e) => return fail(err, &e, lang),
    };
    amo_core::logging::init(app.data_dir());
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(err, &Error::internal(e), lang),
    };
    let mut io = Io { stdin, stdin_is_terminal, out, err, lang };
    let result = runtime.block_on(async {
        // An interrupt never cuts a token refresh in half (interrupt.rs).
        tokio::spawn(interrupt::exit_when_safe());
        exec::execute(cli.command, &app, &mut io).await
    });
    match result {
        Ok(()) => 0,
        Err(e) => fail(io.err, &e, lang),
    }
}

fn fail(err: &mut dyn Write, e: &Error, lang: Lang) -> i32 {
    // The message is for the person; the log keeps the detail (amoCRM's hint, the OS error),
    // which the Russian message leaves out.
    tracing::warn!(code = %e.code(), "command failed: {e}");
    let _ = writeln!(err, "error[{}]: {}", e.code(), print::clean(&e.message(lang)));
    1
}

#[cfg(test)]
mod tests {

    fn argv(a: &[&str]) -> Vec<OsString> {
        std::iter::once("amo-connect").chain(a.iter().copied()).map(OsString::from).collect()
    }

    #[test]
    fn new_opens_the_window_with_the_callers_number() {
        assert!(!is_cli_invocation(&argv(&["new"])));
        assert_eq!(open_request(&argv(&["new"])), Some(OpenRequest { screen: Screen::NewLead, phone: None }));
        let want = Some(OpenRequest { screen: Screen::NewLead, phone: Some("+7 912 555-01-02".into()) });
        assert_eq!(open_request(&argv(&["new", "--phone", "+7 912 555-01-02"])), want);
        assert_eq!(open_request(&argv(&["new", "--phone=+7 912 555-01-02"])), want);
        // Control characters from a softphone's template are dropped; an empty number is none.
        let odd = open_request(&argv(&["new", "--phone", "8912\u{1b}[2J5550102\n"])).and_then(|r| r.phone);
        assert_eq!(odd.as_deref(), Some("8912[2J5550102"));
        assert_eq!(open_request(&argv(&["new", "--phone", " "])).and_then(|r| r.phone), None);
        // Anything else is the CLI's (clap explains).
        assert!(is_cli_invocation(&argv(&["new", "--phone"])));
        assert!(is_cli_invocation(&argv(&["new", "--name", "x"])));
        assert!(is_cli_invocation(&argv(&["status"])));
        assert!(!is_cli_invocation(&argv(&["amoconnect://oauth/callback?code=x"])));
    }

    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn window_or_cli() {
        assert!(!is_cli_invocation(&args(&["amo-connect"])));
        assert!(!is_cli_invocation(&args(&["amo-connect", "amoconnect://oauth/callback?x=1"])));
        assert!(is_cli_invocation(&args(&["amo-connect", "status"])));
        assert!(is_cli_invocation(&args(&["amo-connect", "bogus"])));
        assert!(!is_cli_invocation(&args(&["amo-connect", "--hidden"])), "the autostart entry starts the window");
        assert!(is_cli_invocation(&args(&["amo-connect", "--hidden", "status"])));
    }
}
