//! The command line's shape (clap). Other programs rely on it: renaming a command or a flag is a
//! breaking change.

use amo_core::domain::secret::Secret;
use clap::{Parser, Subcommand, ValueEnum};

/// What `--help` and the man pages (src-tauri/linux/generated, made from this definition) say
/// after the options, for scripts and admins: one table each, rendered as text by
/// [`after_long_help`] and as man page sections by the packaging test.
pub const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "Success."),
    (
        "1",
        "The command failed; stderr has one line `error[CODE]: message`. CODE is stable (changes are \
         listed in CHANGELOG.md); `--json` outputs carry it as `code`.",
    ),
    ("2", "Usage error: unknown command, missing or invalid argument."),
];

pub const ENVIRONMENT: &[(&str, &str)] = &[
    ("AMO_CONNECT_LANG", "ru or en: the language of messages (else LC_ALL, LC_MESSAGES, LANG)."),
    ("AMO_CONNECT_DATA_DIR", "The data directory (database, log) instead of the platform's."),
    ("AMO_CONNECT_LOG", "The log filter, e.g. debug (default info)."),
    (
        "AMO_CONNECT_SERVER",
        "A loopback amoCRM stand-in (the simulator) instead of amoCRM; release builds accept only \
         127.0.0.1, [::1] or localhost.",
    ),
    ("AMO_CONNECT_NO_BROWSER", "When 1, `connect` prints the authorize URL and opens no browser."),
];

pub const FILES: &[(&str, &str)] = &[
    (
        "$XDG_DATA_HOME/com.amoconnect.desktop/amo-connect.sqlite3",
        "Settings, sign-in states and the outbox ($XDG_DATA_HOME is ~/.local/share unless set).",
    ),
    ("$XDG_DATA_HOME/com.amoconnect.desktop/logs/", "The log; it holds no token, code or secret."),
    ("OS keychain", "Tokens and the Secret key, only there (Secret Service on Linux)."),
];

/// The three tables as plain text under `--help`.
fn after_long_help() -> String {
    let mut s = String::new();
    for (title, rows) in [("Exit status", EXIT_STATUS), ("Environment", ENVIRONMENT), ("Files", FILES)] {
        if !s.is_empty() {
            s.push('\n');
        }
        s.push_str(title);
        s.push_str(":\n");
        for (name, text) in rows {
            s.push_str(&format!("  {name}\n      {text}\n"));
        }
    }
    s
}

/// The whole command line; `amo-connect` with no arguments (or only an amoconnect:// link) opens
/// the window instead.
#[derive(Parser, Debug)]
#[command(
    name = "amo-connect",
    version,
    about = "Amo Connect: amoCRM / Kommo from the desktop and the command line",
    long_about = "Amo Connect connects to an amoCRM or Kommo account and enters leads and contacts \
through a durable outbox: nothing typed is lost to an outage or a crash, and nothing is created \
twice. Without arguments it opens the window; with a command it works on the command line, \
sharing the window's settings, keychain entries and outbox.",
    after_long_help = after_long_help()
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per process; boxing the big variants would only obscure the clap definitions.
#[allow(clippy::large_enum_variant)]
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
        /// Print JSON (stable keys) instead of text.
        #[arg(long)]
        json: bool,
        /// Check the connection with amoCRM first: refreshes the tokens if they are (about to be)
        /// expired or rejected, and re-reads the account.
        #[arg(long)]
        refresh: bool,
    },
    /// Remove expired sign-in states.
    Cleanup,
    /// Forget the connection (keychain tokens and account facts). Entries still waiting for the
    /// account are kept for it and sent only to it, when it is connected again.
    Disconnect {
        /// Remove the account's waiting entries instead of keeping them.
        #[arg(long)]
        discard_pending: bool,
    },
    /// Open the window on New lead with focus in the name field (raising the running window, or
    /// starting it). Bind it to a key in your desktop's settings, or let a softphone run it when
    /// a call rings: `--phone` fills the caller's number and looks the customer up.
    New {
        /// The caller's number, as the softphone passes it.
        #[arg(long, value_name = "NUMBER")]
        phone: Option<String>,
    },
    /// Add leads (through the outbox) or list them (from amoCRM).
    Lead {
        #[command(subcommand)]
        action: LeadAction,
    },
    /// Your open tasks in amoCRM (everyone's with --all).
    Task {
        #[command(subcommand)]
        action: TaskAction,
    },
    /// Add a contact (through the outbox).
    Contact {
        #[command(subcommand)]
        action: ContactAction,
    },
    /// Log a phone call in amoCRM (for softphones and PBX scripts): amoCRM puts it on the
    /// customer's card by the number; an unknown caller's inbound call becomes an incoming lead.
    Call {
        #[command(subcommand)]
        action: CallAction,
    },
    /// Bring this computer's copy of the account's contacts and companies up to date (the
    /// caller's card and `contact find` answer from it, offline too). The first run reads the
    /// whole account; later runs read what changed. Progress on a terminal.
    Sync {
        #[command(subcommand)]
        action: Option<SyncAction>,
        /// Read the whole account again (drops what amoCRM no longer has: deleted or merged).
        #[arg(long)]
        full: bool,
        /// Print JSON (stable keys) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show the outbox (entries waiting, sent, needing attention); retry, resume, edit, discard.
    Outbox {
        #[command(subcommand)]
        action: Option<OutboxAction>,
        /// Print JSON (stable keys) instead of text.
        #[arg(long)]
        json: bool,
        /// Show at most this many entries, newest first.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// The account's pipelines and their stages (from amoCRM; the cache when offline).
    Pipelines {
        /// Print JSON (stable keys) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The account's users (admins see everyone; other users see themselves).
    Users {
        /// Print JSON (stable keys) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The account's custom fields (from amoCRM): id, type, code, name, choices, and the stages
    /// that require them. Use an id, code or name with `lead add --field`.
    Fields {
        /// Whose fields.
        #[arg(long, value_enum, default_value = "leads")]
        entity: FieldEntity,
        /// Print JSON (stable keys) instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// An amoCRM entity with custom fields.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum FieldEntity {
    Leads,
    Contacts,
    Companies,
}

impl FieldEntity {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldEntity::Leads => "leads",
            FieldEntity::Contacts => "contacts",
            FieldEntity::Companies => "companies",
        }
    }
}

/// A follow-up task: `--task` and `--task-due` together.
#[derive(clap::Args, Debug)]
pub struct TaskArgs {
    /// The follow-up task's text, e.g. "Call back".
    #[arg(long, requires = "task_due")]
    pub task: Option<String>,
    /// When the task is due, in the account's time zone: "tomorrow 10:00", "+1h", "+3d",
    /// "next week", "2026-12-01 10:00" or RFC 3339.
    #[arg(long, requires = "task", value_name = "WHEN")]
    pub task_due: Option<String>,
    /// The task type's id or name (see `fields`' account); default: Call.
    #[arg(long, requires = "task", value_name = "ID_OR_NAME")]
    pub task_type: Option<String>,
    /// Who does the task (a user id, see `users`); default: the lead's responsible user for
    /// `lead add`, you for `lead note` / `lead task`.
    #[arg(long, requires = "task")]
    pub task_responsible: Option<i64>,
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
    #[command(group(clap::ArgGroup::new("status_or_unsorted").args(["status", "unsorted"]).multiple(false)))]
    Add {
        /// The lead's name, e.g. "Order by phone".
        #[arg(long)]
        name: String,
        /// A whole number, 0 or more.
        #[arg(long)]
        price: Option<String>,
        /// The pipeline id (see `pipelines`); needs --status (or --unsorted).
        #[arg(long, requires = "status_or_unsorted")]
        pipeline: Option<i64>,
        /// The stage id within --pipeline (see `pipelines`).
        #[arg(long, requires = "pipeline")]
        status: Option<i64>,
        /// The responsible user's id (see `users`); default: the connected user.
        #[arg(long)]
        responsible: Option<i64>,
        /// A tag, as often as needed.
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// The contact's name ("First Last").
        #[arg(long)]
        contact_name: Option<String>,
        /// The contact's phone, as often as needed; normalised for the account's country. A type
        /// may follow a colon: MOB, WORK, WORKDD, HOME, FAX, OTHER (default WORK).
        #[arg(long = "phone", value_name = "VALUE[:TYPE]")]
        phones: Vec<String>,
        /// The contact's e-mail, as often as needed; a type may follow a colon: WORK, PRIV,
        /// OTHER (default WORK).
        #[arg(long = "email", value_name = "VALUE[:TYPE]")]
        emails: Vec<String>,
        /// Attach the lead to this existing contact instead of creating one.
        #[arg(long, conflicts_with_all = ["contact_name", "phones", "emails"])]
        contact_id: Option<i64>,
        /// Create the new contact although a contact in amoCRM has one of its phones or e-mails
        /// (otherwise that is refused, naming the contact: use --contact-id to attach to it).
        #[arg(long, conflicts_with = "contact_id")]
        allow_duplicate: bool,
        /// A note added to the lead.
        #[arg(long)]
        note: Option<String>,
        /// A custom field (see `fields`), as often as needed: its id, code or name, `=`, the
        /// value. Dates YYYY-MM-DD, date-times RFC 3339, checkboxes true/false (да/нет), choices
        /// by text or id, several choices separated by `|`.
        #[arg(long = "field", value_name = "ID_OR_CODE_OR_NAME=VALUE")]
        fields: Vec<String>,
        /// A custom field of the new contact (see `fields --entity contacts`), as --field.
        #[arg(long = "contact-field", value_name = "ID_OR_CODE_OR_NAME=VALUE")]
        contact_fields: Vec<String>,
        /// A new company for the lead (and its new contact), by name.
        #[arg(long, conflicts_with = "company_id")]
        company: Option<String>,
        /// A custom field of the new company (see `fields --entity companies`), as --field.
        #[arg(long = "company-field", value_name = "ID_OR_CODE_OR_NAME=VALUE", requires = "company")]
        company_fields: Vec<String>,
        /// Attach the lead to this existing company.
        #[arg(long)]
        company_id: Option<i64>,
        /// Send it to the pipeline's Incoming leads (unsorted), for someone to accept, instead
        /// of a stage.
        #[arg(long, conflicts_with = "status")]
        unsorted: bool,
        #[command(flatten)]
        task: TaskArgs,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Add a note (and/or a follow-up task) to an existing lead, through the outbox.
    Note {
        /// The lead's id in amoCRM.
        id: i64,
        /// The note's text.
        #[arg(long)]
        text: String,
        #[command(flatten)]
        task: TaskArgs,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Add a follow-up task to an existing lead, through the outbox.
    Task {
        /// The lead's id in amoCRM.
        id: i64,
        #[command(flatten)]
        task: TaskArgs,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// One lead as amoCRM has it now: its pipeline and stage (open, won or lost), responsible
    /// user, loss reason, tags, custom fields, contacts, its newest notes and its open tasks,
    /// with dates and due times in the account's time zone.
    Show {
        /// The lead's id in amoCRM.
        #[arg(value_parser = clap::value_parser!(i64).range(1..))]
        id: i64,
        /// Print JSON (stable keys) instead of text: one object with id, name, price,
        /// pipeline_id, pipeline_name, status_id, status_name, stage_kind (open, unsorted, won,
        /// lost), responsible_user_id, responsible_name, loss_reason_id, loss_reason, tags,
        /// fields [{field_id, name, field_type, value, checked}], contacts [{id, name}],
        /// created_at, created, updated_at, updated, updated_by, updated_by_name, notes [{id,
        /// note_type, text, created_at, created, created_by, created_by_name}] (newest first) and
        /// tasks (as `task list --json` prints them); names are null when unknown, times are Unix
        /// seconds, and their RFC 3339 twins are in the account's zone.
        #[arg(long)]
        json: bool,
    },
    /// Move a lead to another stage, through the outbox: read first, then sent only if nobody
    /// changed the lead since (else it waits in the outbox showing both versions, and this exits
    /// non-zero naming what changed and who changed it). A stage that requires fields the lead
    /// lacks is refused naming them: give them with `lead set`'s --field in the same command.
    Move {
        /// The lead's id in amoCRM.
        #[arg(value_parser = clap::value_parser!(i64).range(1..))]
        id: i64,
        /// The stage's name or id (see `pipelines`), in the lead's pipeline or --pipeline's.
        #[arg(long, value_name = "NAME_OR_ID")]
        status: String,
        /// Another pipeline to move the lead to (its name or id).
        #[arg(long, value_name = "NAME_OR_ID")]
        pipeline: Option<String>,
        /// A custom field the stage needs (as `lead add --field`), as often as needed.
        #[arg(long = "field", value_name = "ID_OR_CODE_OR_NAME=VALUE")]
        fields: Vec<String>,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Mark a lead won (as `lead move`).
    Won {
        /// The lead's id in amoCRM.
        #[arg(value_parser = clap::value_parser!(i64).range(1..))]
        id: i64,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Mark a lead lost, with one of the account's loss reasons (as `lead move`).
    Lost {
        /// The lead's id in amoCRM.
        #[arg(value_parser = clap::value_parser!(i64).range(1..))]
        id: i64,
        /// The loss reason's name or id, from the account's list (a name it does not have is
        /// refused, listing the account's reasons).
        #[arg(long, value_name = "NAME_OR_ID")]
        reason: Option<String>,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Change a lead's name, price, responsible user, tags (added) or custom fields (as `lead
    /// move`: never over a colleague's newer change).
    Set {
        /// The lead's id in amoCRM.
        #[arg(value_parser = clap::value_parser!(i64).range(1..))]
        id: i64,
        /// The lead's new name.
        #[arg(long)]
        name: Option<String>,
        /// A whole number, 0 or more.
        #[arg(long)]
        price: Option<String>,
        /// The new responsible user's id (see `users`).
        #[arg(long)]
        responsible: Option<i64>,
        /// A tag to add, as often as needed (the lead's other tags stay).
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// A custom field (see `fields`): its id, code or name, `=`, the value (as `lead add`).
        #[arg(long = "field", value_name = "ID_OR_CODE_OR_NAME=VALUE")]
        fields: Vec<String>,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// The newest leads in amoCRM.
    List {
        /// How many leads, newest first (1–10000).
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        limit: u64,
        /// Print JSON (stable keys) instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum TaskAction {
    /// Mark a task done, with what came of it, through the outbox: read first, then sent only
    /// if nobody changed the task since (else it waits in the outbox showing both versions, and
    /// this exits non-zero naming what changed and who changed it).
    Done {
        /// The task's id (see `task list`).
        #[arg(value_parser = clap::value_parser!(i64).range(1..))]
        id: i64,
        /// What came of it (amoCRM keeps it as the task's result).
        #[arg(long)]
        result: Option<String>,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Move a task to another due time (as `task done`).
    Move {
        /// The task's id (see `task list`).
        #[arg(value_parser = clap::value_parser!(i64).range(1..))]
        id: i64,
        /// The new due time in the account's time zone: "tomorrow 10:00", "+1h", "+3d", "next
        /// week", "2026-12-01 10:00" or RFC 3339.
        #[arg(long, value_name = "WHEN")]
        due: String,
        /// A new text too.
        #[arg(long)]
        text: Option<String>,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Your open tasks, soonest first, each marked overdue, today, tomorrow, this week or later
    /// by the account's time zone (weeks run Monday to Sunday); with its type, due time, what it
    /// is on (a lead, contact or company id) and who does it. Without a flag, every open task.
    /// Each flag lists what must be done by then, so an overdue task, still to do, is in
    /// --today and --week too.
    #[command(group(clap::ArgGroup::new("due_by").args(["overdue", "today", "week"]).multiple(false)))]
    List {
        /// Only the overdue tasks (due before now).
        #[arg(long)]
        overdue: bool,
        /// What must be done today: the overdue tasks and those due by midnight.
        #[arg(long)]
        today: bool,
        /// What must be done this week: the overdue tasks and those due by Sunday midnight
        /// (tomorrow's when tomorrow is in this week).
        #[arg(long)]
        week: bool,
        /// Everyone's open tasks you may see in amoCRM, not only yours.
        #[arg(long)]
        all: bool,
        /// Print JSON (stable keys) instead of text: an array of tasks, each with id, text,
        /// task_type_id, task_type (its name), complete_till (Unix seconds), due (RFC 3339 in the
        /// account's time zone), bucket (overdue, today, tomorrow, this_week, later),
        /// entity_type, entity_id, responsible_user_id, responsible_name (null when unknown) and
        /// updated_at (Unix seconds: when amoCRM last changed it).
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
        /// A phone, as often as needed; normalised for the account's country. A type may follow
        /// a colon: MOB, WORK, WORKDD, HOME, FAX, OTHER (default WORK).
        #[arg(long = "phone", value_name = "VALUE[:TYPE]")]
        phones: Vec<String>,
        /// An e-mail, as often as needed; a type may follow a colon: WORK, PRIV, OTHER.
        #[arg(long = "email", value_name = "VALUE[:TYPE]")]
        emails: Vec<String>,
        /// The responsible user's id (see `users`); default: the connected user.
        #[arg(long)]
        responsible: Option<i64>,
        /// A custom field of the contact (see `fields --entity contacts`), as often as needed: its
        /// id, code or name, `=`, the value.
        #[arg(long = "field", value_name = "ID_OR_CODE_OR_NAME=VALUE")]
        fields: Vec<String>,
        /// A new company, by name, created and the contact put in it.
        #[arg(long, conflicts_with = "company_id")]
        company: Option<String>,
        /// A custom field of the new company (see `fields --entity companies`), as --field.
        #[arg(long = "company-field", value_name = "ID_OR_CODE_OR_NAME=VALUE", requires = "company")]
        company_fields: Vec<String>,
        /// Put the contact in this existing company (see the lead form's company search, or
        /// amoCRM).
        #[arg(long)]
        company_id: Option<i64>,
        /// Create it although a contact in amoCRM has one of its phones or e-mails (otherwise
        /// that is refused, naming the contact; `contact find` shows it).
        #[arg(long)]
        allow_duplicate: bool,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Find the existing customer: contacts and companies with this phone (by its last ten
    /// digits, so +7…, 8… and ten digits are one number), e-mail or name, with their open leads.
    /// Answers from this computer's copy (see `sync`) and confirms it with amoCRM; without a
    /// copy, asks amoCRM. Nothing found is an empty answer and exit 0.
    Find {
        /// A phone number, an e-mail address or a name.
        phone_or_email_or_name: String,
        /// Never ask amoCRM: the copy's answer, with its age.
        #[arg(long)]
        offline: bool,
        /// Print JSON (stable keys) instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum CallAction {
    /// Queue the call and wait until amoCRM has it; prints the lead or contact it landed on. The
    /// same --uniq logged twice is logged once.
    Log {
        /// The other side's number.
        #[arg(long)]
        phone: String,
        /// Which way the call went.
        #[arg(long, value_enum)]
        direction: Direction,
        /// How long it lasted, in seconds.
        #[arg(long, value_name = "SECONDS")]
        duration: i64,
        /// How it ended.
        #[arg(long, value_enum)]
        status: Option<CallEnd>,
        /// What came of it, in words.
        #[arg(long)]
        result: Option<String>,
        /// The recording's address (http or https).
        #[arg(long, value_name = "URL")]
        link: Option<String>,
        /// When it began: Unix seconds or RFC 3339 (default: now).
        #[arg(long, value_name = "WHEN")]
        started: Option<String>,
        /// The call's id from the softphone or PBX (default: one is made).
        #[arg(long)]
        uniq: Option<String>,
        /// The user who took or made the call (see `users`); default: the connected user.
        #[arg(long)]
        responsible: Option<i64>,
        #[command(flatten)]
        wait: WaitArgs,
        /// Print the entry as JSON (stable keys) instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// A call's direction.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
}

/// How a call ended (amoCRM's seven call statuses).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallEnd {
    Talked,
    NoAnswer,
    Busy,
    LeftMessage,
    CallBack,
    NotAvailable,
    WrongNumber,
}

#[derive(Subcommand, Debug)]
pub enum SyncAction {
    /// How big and how fresh the copy is.
    Status {
        /// Print JSON (stable keys) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Stop keeping a copy, and wipe it from this computer.
    Off,
    /// Keep a copy again (the next sync fills it).
    On,
}

#[derive(Subcommand, Debug)]
pub enum OutboxAction {
    /// Send waiting entries now (and an entry needing attention, given its id). Waits for them
    /// like `lead add`. An API block stays: see `outbox resume`.
    Retry {
        /// One entry (also one needing attention); without it, every waiting entry.
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
    /// contact-name, phone and email (several separated by |, each VALUE[:TYPE]), contact-id, company, company-id, task,
    /// task-due, task-type, task-responsible; an empty VALUE clears it.
    Edit {
        /// The entry's id (see `outbox`).
        id: i64,
        /// FIELD=VALUE, as often as needed.
        #[arg(long = "field", value_name = "FIELD=VALUE", required = true)]
        fields: Vec<String>,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Run the sender in the foreground, as the window does in the background: sends waiting
    /// entries (reconciling interrupted ones) and keeps the connection alive, until Ctrl-C — for
    /// machines without the window, e.g. a systemd user timer with --until-empty.
    Run {
        /// Stop once nothing waits for the connected account (or after --timeout) instead of
        /// running until interrupted; exits 1 with error[still_queued] if entries still wait.
        #[arg(long)]
        until_empty: bool,
        /// With --until-empty: give up after this many seconds.
        #[arg(long, default_value_t = 300, value_name = "SECS")]
        timeout: u64,
    },
    /// "Send mine": a change that waits because somebody changed the lead or task since it was
    /// read is sent over exactly that version (to keep theirs, `outbox discard` it). Waits like
    /// `retry`.
    SendMine {
        /// The entry's id (see `outbox`).
        id: i64,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Remove an entry that needs attention, or one waiting for another account than the one
    /// connected (entries waiting for the connected account, and sent ones, cannot be removed).
    Discard {
        /// The entry's id (see `outbox`).
        id: i64,
    },
}

#[derive(Subcommand, Debug)]
pub enum ConfigAction {
    /// Set one setting.
    Set {
        /// Which setting.
        key: ConfigKey,
        /// The new value.
        value: String,
    },
    /// Read the integration's Secret key from standard input and store it in the OS keychain.
    SetSecret,
    /// Print the settings (the Secret key only as set / not set).
    Show {
        /// Print JSON (stable keys) instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ConfigKey {
    /// amocrm or kommo.
    Platform,
    /// The integration's ID (a UUID from its Keys tab).
    ClientId,
    /// The Redirect URI exactly as entered in the integration.
    RedirectUri,
    /// The account address, e.g. mycompany.amocrm.ru.
    Domain,
    /// ru or en.
    Language,
    /// Refresh an idle connection when the last refresh is older than this many days (1–60).
    KeepaliveDays,
    /// Days sent entries keep what was typed (1–3650, default 30).
    RetentionDays,
    /// Where the HTTPS bounce page forwards: loopback or deep-link.
    BounceVia,
    /// The loopback port the bounce page forwards to (1024–65535).
    BouncePort,
    /// System notifications of the window: on or off.
    Notifications,
    /// Notifications name the customer and the lead (on), or only count (off: for a lock screen
    /// others can see).
    NotificationDetails,
    /// A notification when my tasks fall due (on, the default), or none (off).
    TaskNotifications,
    /// Closing the window always keeps the app in the tray (on), or only while entries wait (off).
    CloseToTray,
    /// The window's global key combination for a new lead, e.g. Ctrl+Alt+N; "off" turns it off.
    QuickEntryShortcut,
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
