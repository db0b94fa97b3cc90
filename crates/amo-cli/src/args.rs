//! The command line's shape (clap). Other programs rely on it: renaming a command or a flag is a
//! breaking change.

use amo_core::domain::secret::Secret;
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(name = "amo-connect", version, about = "Amo Connect: amoCRM / Kommo from the desktop and the command line")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Read or change settings.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Connect to amoCRM: prints the authorize URL, opens the browser, waits for the callback.
    /// With --code, --code-stdin or --long-lived-token-stdin, connects with a pasted code or
    /// token instead.
    Connect {
        /// Only print the URL; do not open a browser.
        #[arg(long)]
        no_browser: bool,
        /// A code from the integration's Keys tab (valid 20 minutes); needs --domain. It shows in
        /// the process list while the command runs: prefer --code-stdin.
        #[arg(long, requires = "domain", conflicts_with_all = ["long_lived_token_stdin", "code_stdin"])]
        code: Option<Secret>,
        /// Read the code from standard input instead (never in argv); needs --domain.
        #[arg(long, requires = "domain", conflicts_with = "long_lived_token_stdin")]
        code_stdin: bool,
        /// Read a long-lived token from standard input; needs --domain.
        #[arg(long, requires = "domain")]
        long_lived_token_stdin: bool,
        /// The account address, e.g. mycompany.amocrm.ru (with --code or --long-lived-token-stdin).
        #[arg(long)]
        domain: Option<String>,
        /// Seconds to wait for amoCRM's redirect (at most 900, the life of a state).
        #[arg(long, default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..=900))]
        timeout: u64,
    },
    /// Show the connection.
    Status {
        #[arg(long)]
        json: bool,
        /// Check the connection with amoCRM first: refreshes the tokens if they are (about to be)
        /// expired or rejected, and re-reads the account.
        #[arg(long)]
        refresh: bool,
    },
    /// Remove expired sign-in states.
    Cleanup,
    /// Forget the connection (keychain tokens and account facts).
    Disconnect,
    /// Add leads (through the outbox) or list them (from amoCRM).
    Lead {
        #[command(subcommand)]
        action: LeadAction,
    },
    /// Add a contact (through the outbox).
    Contact {
        #[command(subcommand)]
        action: ContactAction,
    },
    /// Show the outbox (entries waiting, sent, needing attention); retry, resume, edit, discard.
    Outbox {
        #[command(subcommand)]
        action: Option<OutboxAction>,
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// The account's pipelines and their stages (from amoCRM; the cache when offline).
    Pipelines {
        #[arg(long)]
        json: bool,
    },
    /// The account's users (admins see everyone; other users see themselves).
    Users {
        #[arg(long)]
        json: bool,
    },
}

/// How long `lead add` / `contact add` wait for amoCRM before leaving the entry queued.
#[derive(clap::Args, Debug)]
pub struct WaitArgs {
    /// Queue and return at once; the window (or `outbox retry`) sends it.
    #[arg(long)]
    pub no_wait: bool,
    /// Seconds to wait for amoCRM; the entry stays queued after that.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,
}

// Parsed once per process; boxing the big variant would only obscure the clap definitions.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum LeadAction {
    /// Queue a lead (with an optional contact and note) and wait until amoCRM has it; prints the
    /// lead id.
    Add {
        #[arg(long)]
        name: String,
        /// A whole number, 0 or more.
        #[arg(long)]
        price: Option<String>,
        #[arg(long, requires = "status")]
        pipeline: Option<i64>,
        #[arg(long, requires = "pipeline")]
        status: Option<i64>,
        #[arg(long)]
        responsible: Option<i64>,
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// The contact's name ("First Last").
        #[arg(long)]
        contact_name: Option<String>,
        #[arg(long = "phone")]
        phones: Vec<String>,
        #[arg(long)]
        email: Option<String>,
        /// Attach the lead to this existing contact instead of creating one.
        #[arg(long, conflicts_with_all = ["contact_name", "phones", "email"])]
        contact_id: Option<i64>,
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// The newest leads in amoCRM.
    List {
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        limit: u64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ContactAction {
    /// Queue a contact and wait until amoCRM has it; prints the contact id.
    Add {
        /// "First Last"
        #[arg(long)]
        name: String,
        #[arg(long = "phone")]
        phones: Vec<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        responsible: Option<i64>,
        #[command(flatten)]
        wait: WaitArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum OutboxAction {
    /// Send waiting entries now (and an entry needing attention, given its id). Waits for them
    /// like `lead add`. An API block stays: see `outbox resume`.
    Retry {
        id: Option<i64>,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// amoCRM support lifted the API block: send again. Waits for the entries like `retry`.
    Resume {
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Change an entry that needs attention (or waits and was never sent), then send it.
    /// FIELD is one of name, price, pipeline, status, responsible, tags (comma-separated), note,
    /// contact-name, phone (several separated by |), email, contact-id; an empty VALUE clears it.
    Edit {
        id: i64,
        /// FIELD=VALUE, as often as needed.
        #[arg(long = "field", value_name = "FIELD=VALUE", required = true)]
        fields: Vec<String>,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Remove an entry that needs attention (waiting and sent entries cannot be removed).
    Discard { id: i64 },
}

#[derive(Subcommand, Debug)]
pub enum ConfigAction {
    /// Set one setting.
    Set { key: ConfigKey, value: String },
    /// Read the integration's Secret key from standard input and store it in the OS keychain.
    SetSecret,
    /// Print the settings (the Secret key only as set / not set).
    Show {
        #[arg(long)]
        json: bool,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ConfigKey {
    Platform,
    ClientId,
    RedirectUri,
    Domain,
    Language,
    KeepaliveDays,
    /// Days sent entries keep what was typed (1–3650, default 30).
    RetentionDays,
    /// Where the HTTPS bounce page forwards: loopback or deep-link.
    BounceVia,
    /// The loopback port the bounce page forwards to (1024–65535).
    BouncePort,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_on_the_command_line_does_not_show_in_debug() {
        let cli = Cli::try_parse_from([
            "amo-connect",
            "connect",
            "--code",
            "def50200-secret-code-123",
            "--domain",
            "a.amocrm.ru",
        ])
        .expect("parses");
        let debug = format!("{cli:?}");
        assert!(!debug.contains("secret-code"), "{debug}");
        let Command::Connect { code: Some(code), .. } = cli.command else { panic!("connect") };
        assert_eq!(code.expose(), "def50200-secret-code-123");
    }

    #[test]
    fn the_code_can_come_from_stdin_and_not_both_ways() {
        assert!(Cli::try_parse_from(["amo-connect", "connect", "--code-stdin", "--domain", "a.amocrm.ru"]).is_ok());
        assert!(
            Cli::try_parse_from(["amo-connect", "connect", "--code-stdin", "--code", "x", "--domain", "d"]).is_err()
        );
        assert!(Cli::try_parse_from(["amo-connect", "connect", "--code-stdin"]).is_err(), "needs --domain");
    }
}
