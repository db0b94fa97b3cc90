//! The command line, in the same binary as the window (`amo-connect <command>`). It mirrors the
//! original integration's console commands; other programs rely on this surface:
//!
//! ```text
//! amo-connect config set platform|client-id|redirect-uri|domain|language|keepalive-days VALUE
//! amo-connect config set-secret            # the Secret key from stdin, never argv
//! amo-connect config show [--json]
//! amo-connect connect [--no-browser] [--timeout SECS]
//! amo-connect connect --code CODE --domain HOST
//! amo-connect connect --long-lived-token-stdin --domain HOST
//! amo-connect status [--json] [--refresh]
//! amo-connect cleanup
//! amo-connect disconnect
//! amo-connect lead add --name NAME [--price N] [--pipeline ID --status ID] [--responsible ID] [--tag T]…
//!                      [--contact-name "FIRST LAST"] [--phone P]… [--email E] [--contact-id ID] [--note TEXT]
//!                      [--no-wait] [--timeout SECS]
//! amo-connect lead list [--limit N] [--json]
//! amo-connect contact add --name "FIRST LAST" [--phone P]… [--email E] [--no-wait] [--timeout SECS]
//! amo-connect outbox [--json] [--limit N]
//! amo-connect outbox retry [ID]
//! ```
//!
//! Exit status 0 on success; 1 with one line `error[code]: message` on stderr otherwise; 2 for
//! usage errors.

use std::ffi::OsString;
use std::io::{BufRead, IsTerminal, Read, Write};
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{Platform, SettingsPatch};
use crate::error::{Error, Result};
use crate::lang::Lang;
use crate::model::{ContactDraft, LeadDraft};
use crate::outbox::{OutboxState, OutboxSummary};
use crate::service::{AmoConnect, StatusView};

#[derive(Parser, Debug)]
#[command(name = "amo-connect", version, about = "Amo Connect: amoCRM / Kommo from the desktop and the command line")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Read or change settings.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Connect to amoCRM: prints the authorize URL, opens the browser, waits for the callback.
    /// With --code or --long-lived-token-stdin, connects with a pasted code or token instead.
    Connect {
        /// Only print the URL; do not open a browser.
        #[arg(long)]
        no_browser: bool,
        /// A code from the integration's Keys tab (valid 20 minutes); needs --domain.
        #[arg(long, requires = "domain", conflicts_with = "long_lived_token_stdin")]
        code: Option<String>,
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
    /// Show the outbox (entries waiting, sent, needing attention), or retry now.
    Outbox {
        #[command(subcommand)]
        action: Option<OutboxAction>,
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

/// How long `lead add` / `contact add` wait for amoCRM before leaving the entry queued.
#[derive(clap::Args, Debug)]
struct WaitArgs {
    /// Queue and return at once; the window (or `outbox retry`) sends it.
    #[arg(long)]
    no_wait: bool,
    /// Seconds to wait for amoCRM; the entry stays queued after that.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    timeout: u64,
}

// Parsed once per process; boxing the big variant would only obscure the clap definitions.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
enum LeadAction {
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
enum ContactAction {
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
enum OutboxAction {
    /// Send waiting entries now (and an entry needing attention, given its id); also resumes
    /// after amoCRM support lifted an API block. Waits for them like `lead add`.
    Retry {
        id: Option<i64>,
        #[command(flatten)]
        wait: WaitArgs,
    },
}

#[derive(Subcommand, Debug)]
enum ConfigAction {
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
enum ConfigKey {
    Platform,
    ClientId,
    RedirectUri,
    Domain,
    Language,
    KeepaliveDays,
}

/// True when the arguments ask for the CLI rather than the window. The window is started with no
/// arguments, or with a deep-link URL (`amoconnect://…`) as the only one.
pub fn is_cli_invocation(args: &[OsString]) -> bool {
    match args.get(1).and_then(|a| a.to_str()) {
        None => false,
        Some(a) => !a.contains("://"),
    }
}

/// Entry point for `main`: real stdin/stdout/stderr, the environment's data directory and server.
pub fn main(args: Vec<OsString>) -> i32 {
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let mut input = stdin.lock();
    run(args, &mut input, interactive, &mut std::io::stdout(), &mut std::io::stderr(), AmoConnect::open_default)
}

/// The CLI with its I/O and the way it opens the app passed in, so tests can run it in-process.
pub fn run(
    args: Vec<OsString>,
    stdin: &mut dyn BufRead,
    stdin_is_terminal: bool,
    out: &mut (dyn Write + Send),
    err: &mut dyn Write,
    open: impl FnOnce() -> Result<AmoConnect>,
) -> i32 {
    let lang = Lang::from_env();
    let cli = match Cli::try_parse_from(args) {
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
    crate::logging::init(app.data_dir());
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(err, &Error::Internal(e.to_string()), lang),
    };
    let result = runtime.block_on(execute(cli.command, &app, stdin, stdin_is_terminal, out, err, lang));
    match result {
        Ok(()) => 0,
        Err(e) => fail(err, &e, lang),
    }
}

fn fail(err: &mut dyn Write, e: &Error, lang: Lang) -> i32 {
    tracing::warn!(code = e.code(), "command failed");
    let _ = writeln!(err, "error[{}]: {}", e.code(), e.message(lang));
    1
}

async fn execute(
    command: Command,
    app: &AmoConnect,
    stdin: &mut dyn BufRead,
    stdin_is_terminal: bool,
    out: &mut (dyn Write + Send),
    err: &mut dyn Write,
    lang: Lang,
) -> Result<()> {
    let ru = lang == Lang::Ru;
    match command {
        Command::Config { action: ConfigAction::Set { key, value } } => {
            let mut p = SettingsPatch::default();
            match key {
                ConfigKey::Platform => p.platform = Some(Platform::parse(&value)?),
                ConfigKey::ClientId => p.client_id = Some(value),
                ConfigKey::RedirectUri => p.redirect_uri = Some(value),
                ConfigKey::Domain => p.domain = Some(value),
                ConfigKey::KeepaliveDays => {
                    p.keepalive_days = Some(value.trim().parse().map_err(|_| Error::InvalidSetting {
                        field: "keepalive_days",
                        reason: format!("\"{value}\" is not a whole number of days"),
                    })?)
                }
                ConfigKey::Language => {
                    p.language = Some(Lang::parse(&value).ok_or_else(|| Error::InvalidSetting {
                        field: "language",
                        reason: format!("\"{value}\" is not ru or en"),
                    })?)
                }
            }
            app.apply_settings(p).await?;
            writeln!(out, "{}", if ru { "Сохранено." } else { "Saved." })?;
        }
        Command::Config { action: ConfigAction::SetSecret } => {
            let prompt = if ru {
                "Вставьте Секретный ключ и нажмите Enter: "
            } else {
                "Paste the Secret key and press Enter: "
            };
            let secret = read_secret(stdin, stdin_is_terminal, err, prompt)?;
            app.apply_settings(SettingsPatch { client_secret: Some(secret), ..Default::default() }).await?;
            writeln!(
                out,
                "{}",
                if ru {
                    "Секретный ключ сохранён в системном хранилище паролей."
                } else {
                    "Secret key saved in the OS keychain."
                }
            )?;
        }
        Command::Config { action: ConfigAction::Show { json } } => {
            let v = app.settings_view().await?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&v).map_err(|e| Error::Internal(e.to_string()))?)?;
            } else {
                let s = &v.settings;
                let dash = || "-".to_string();
                writeln!(out, "platform      {}", s.platform.as_str())?;
                writeln!(out, "client-id     {}", s.client_id.clone().unwrap_or_else(dash))?;
                writeln!(out, "redirect-uri  {}", s.redirect_uri.clone().unwrap_or_else(dash))?;
                writeln!(out, "domain        {}", s.domain.clone().unwrap_or_else(dash))?;
                writeln!(out, "language      {}", s.language.as_str())?;
                writeln!(out, "keepalive     {} days", s.keepalive_days)?;
                writeln!(out, "secret        {}", if v.client_secret_set { "set (OS keychain)" } else { "not set" })?;
            }
        }
        Command::Connect { code: Some(code), domain: Some(domain), .. } => {
            let status = app.connect_with_code(&code, &domain).await?;
            print_connected(out, &status, ru)?;
        }
        Command::Connect { long_lived_token_stdin: true, domain: Some(domain), .. } => {
            let prompt = if ru {
                "Вставьте долгосрочный токен и нажмите Enter: "
            } else {
                "Paste the long-lived token and press Enter: "
            };
            let token = read_secret(stdin, stdin_is_terminal, err, prompt)?;
            let status = app.connect_with_long_lived_token(&token, &domain).await?;
            print_connected(out, &status, ru)?;
        }
        Command::Connect { no_browser, timeout, .. } => {
            let pending = app.start_connect().await?;
            // The URL on a line of its own, first, so a script can read it.
            writeln!(out, "{}", pending.authorize_url())?;
            out.flush()?;
            if !no_browser {
                if let Err(e) = crate::browser::open(pending.authorize_url().as_str()) {
                    tracing::warn!("could not open the browser: {e}");
                    writeln!(
                        err,
                        "{}",
                        if ru {
                            "Браузер не открылся — откройте ссылку выше вручную."
                        } else {
                            "Could not open a browser; open the link above yourself."
                        }
                    )?;
                }
            }
            writeln!(
                err,
                "{} ({} s)…",
                if ru {
                    "Жду, пока amoCRM вернёт вас в приложение"
                } else {
                    "Waiting for amoCRM to redirect back"
                },
                timeout
            )?;
            let status = pending.wait(app, Duration::from_secs(timeout)).await?;
            print_connected(out, &status, ru)?;
        }
        Command::Status { json, refresh } => {
            let s = if refresh { app.verify().await? } else { app.status().await };
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&s).map_err(|e| Error::Internal(e.to_string()))?)?;
            } else {
                print_status(out, &s, ru)?;
            }
        }
        Command::Cleanup => {
            let n = app.cleanup_states()?;
            if ru {
                writeln!(out, "Удалено просроченных состояний входа: {n}")?;
            } else {
                writeln!(out, "Removed {n} expired sign-in state(s).")?;
            }
        }
        Command::Disconnect => {
            let had = app.disconnect().await?;
            let msg = match (had, ru) {
                (true, true) => "Отключено: токены удалены из хранилища паролей.",
                (true, false) => "Disconnected: tokens removed from the keychain.",
                (false, true) => "Подключения не было.",
                (false, false) => "There was no connection.",
            };
            writeln!(out, "{msg}")?;
        }
        Command::Lead {
            action:
                LeadAction::Add {
                    name,
                    price,
                    pipeline,
                    status,
                    responsible,
                    tags,
                    contact_name,
                    phones,
                    email,
                    contact_id,
                    note,
                    wait,
                },
        } => {
            let contact = (contact_name.is_some() || !phones.is_empty() || email.is_some()).then(|| {
                let (first, last) = split_name(contact_name.as_deref().unwrap_or_default());
                ContactDraft {
                    first_name: first,
                    last_name: last,
                    phones,
                    email: email.unwrap_or_default(),
                    responsible_user_id: None,
                }
            });
            let draft = LeadDraft {
                name,
                price: price.unwrap_or_default(),
                pipeline_id: pipeline,
                status_id: status,
                responsible_user_id: responsible,
                tags,
                contact,
                existing_contact_id: contact_id,
                note: note.unwrap_or_default(),
            };
            let item = app.queue_lead(&draft).map_err(as_flags)?;
            settle(app, item.id, &wait, out, err, ru).await?;
        }
        Command::Lead { action: LeadAction::List { limit, json } } => {
            let leads = app.list_leads(limit as usize).await?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&leads).map_err(|e| Error::Internal(e.to_string()))?)?;
            } else if leads.is_empty() {
                writeln!(out, "{}", if ru { "Сделок нет." } else { "No leads." })?;
            } else {
                writeln!(
                    out,
                    "{:<12}{:<22}{:>12}  {}",
                    "id",
                    if ru { "создана" } else { "created" },
                    if ru { "бюджет" } else { "price" },
                    if ru { "название" } else { "name" }
                )?;
                for l in leads {
                    writeln!(
                        out,
                        "{:<12}{:<22}{:>12}  {}",
                        l.id,
                        crate::service::rfc3339(l.created_at),
                        l.price,
                        l.name
                    )?;
                }
            }
        }
        Command::Contact { action: ContactAction::Add { name, phones, email, responsible, wait } } => {
            let (first, last) = split_name(&name);
            let draft = ContactDraft {
                first_name: first,
                last_name: last,
                phones,
                email: email.unwrap_or_default(),
                responsible_user_id: responsible,
            };
            let item = app.queue_contact(&draft).map_err(as_flags)?;
            settle(app, item.id, &wait, out, err, ru).await?;
        }
        Command::Outbox { action: Some(OutboxAction::Retry { id, wait }), .. } => {
            let n = app.outbox_retry(id)?;
            writeln!(err, "{}", if ru { format!("К отправке: {n}") } else { format!("Due now: {n}") })?;
            match id {
                Some(id) => settle(app, id, &wait, out, err, ru).await?,
                None if !wait.no_wait => {
                    let deadline = std::time::Instant::now() + Duration::from_secs(wait.timeout);
                    while app.outbox_summary()?.queued > 0 && std::time::Instant::now() < deadline {
                        let pause = app.outbox_pass(&|| {}).await;
                        tokio::time::sleep(pause.min(Duration::from_millis(500))).await;
                    }
                    print_outbox_summary(out, &app.outbox_summary()?, ru)?;
                }
                None => {}
            }
        }
        Command::Outbox { action: None, json, limit } => {
            let items = app.outbox_list(limit)?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&items).map_err(|e| Error::Internal(e.to_string()))?)?;
            } else {
                print_outbox_summary(out, &app.outbox_summary()?, ru)?;
                for i in items {
                    let link = i.lead_url.clone().or(i.contact_url.clone()).unwrap_or_default();
                    let why = i
                        .error
                        .as_ref()
                        .filter(|_| i.state != OutboxState::Sent)
                        .map(|e| format!(" [{}] {}", e.code, e.message))
                        .unwrap_or_default();
                    writeln!(out, "#{:<5}{:<10}{:<30} {link}{why}", i.id, i.state.as_str(), i.title)?;
                }
            }
        }
    }
    Ok(())
}

/// "Ivan Petrov" → ("Ivan", "Petrov"); one word is a first name.
fn split_name(s: &str) -> (String, String) {
    let s = s.trim();
    match s.split_once(char::is_whitespace) {
        Some((f, l)) => (f.to_string(), l.trim().to_string()),
        None => (s.to_string(), String::new()),
    }
}

/// Field errors named as the CLI's flags rather than the form's fields.
fn as_flags(e: Error) -> Error {
    match e {
        Error::Validation(fields) => Error::Validation(
            fields
                .into_iter()
                .map(|mut f| {
                    let flag = match f.field.split('.').collect::<Vec<_>>().as_slice() {
                        ["contact", "first_name"] | ["contact", "last_name"] => "--contact-name".to_string(),
                        ["first_name"] | ["last_name"] => "--name".to_string(),
                        ["contact", "phones", i] | ["phones", i] => {
                            format!("--phone #{}", i.parse::<usize>().map_or(1, |n| n + 1))
                        }
                        ["contact", "email"] | ["email"] => "--email".into(),
                        ["status"] => "--status".into(),
                        ["responsible_user_id"] => "--responsible".into(),
                        ["tags"] => "--tag".into(),
                        [one] => format!("--{one}"),
                        _ => f.field.clone(),
                    };
                    f.field = flag;
                    f
                })
                .collect(),
        ),
        other => other,
    }
}

/// After queueing: either say it is queued (`--no-wait`) or wait for amoCRM and print the id.
async fn settle(
    app: &AmoConnect,
    id: i64,
    wait: &WaitArgs,
    out: &mut (dyn Write + Send),
    err: &mut dyn Write,
    ru: bool,
) -> Result<()> {
    if wait.no_wait {
        writeln!(
            out,
            "{}",
            if ru { format!("В очереди: запись №{id}") } else { format!("Queued: outbox entry #{id}") }
        )?;
        return Ok(());
    }
    writeln!(
        err,
        "{}",
        if ru {
            format!("Запись №{id} в очереди, отправляю…")
        } else {
            format!("Entry #{id} queued; sending…")
        }
    )?;
    let item = app.wait_for_entry(id, Duration::from_secs(wait.timeout)).await.map_err(as_flags)?;
    // The id alone on the first line, for scripts; then the link.
    match (item.lead_id, item.contact_id) {
        (Some(lead), _) => writeln!(out, "{lead}")?,
        (None, Some(contact)) => writeln!(out, "{contact}")?,
        _ => {}
    }
    if let Some(url) = item.lead_url.or(item.contact_url) {
        writeln!(out, "{url}")?;
    }
    if item.merged {
        writeln!(
            err,
            "{}",
            if ru {
                "amoCRM объединил её с существующей сделкой (контроль дублей)."
            } else {
                "amoCRM merged it into an existing lead (duplicate control)."
            }
        )?;
    }
    Ok(())
}

fn print_outbox_summary(out: &mut (dyn Write + Send), s: &OutboxSummary, ru: bool) -> Result<()> {
    if ru {
        writeln!(out, "В очереди: {}, требуют внимания: {}, отправлено: {}", s.queued, s.attention, s.sent)?;
    } else {
        writeln!(out, "Waiting: {}, needing attention: {}, sent: {}", s.queued, s.attention, s.sent)?;
    }
    if s.banned {
        writeln!(out, "{}", Error::AccountBanned.message(if ru { Lang::Ru } else { Lang::En }))?;
    } else if let Some(e) = &s.last_error {
        writeln!(out, "[{}] {}", e.code, e.message)?;
    }
    Ok(())
}

/// A secret from standard input, never argv: one line after a prompt on a terminal, else all of
/// it (at most 64 KiB) from a pipe. Trimming and validation are the core's.
fn read_secret(stdin: &mut dyn BufRead, is_terminal: bool, err: &mut dyn Write, prompt: &str) -> Result<String> {
    let mut value = String::new();
    if is_terminal {
        write!(err, "{prompt}")?;
        stdin.read_line(&mut value)?;
    } else {
        stdin.take(64 * 1024).read_to_string(&mut value)?;
    }
    Ok(value)
}

fn print_connected(out: &mut (dyn Write + Send), status: &StatusView, ru: bool) -> Result<()> {
    writeln!(
        out,
        "{} {} ({})",
        if ru { "Подключено:" } else { "Connected:" },
        status.account_name.clone().unwrap_or_else(|| "?".into()),
        status.domain.clone().unwrap_or_default()
    )?;
    Ok(())
}

fn print_status(out: &mut (dyn Write + Send), s: &StatusView, ru: bool) -> Result<()> {
    let dash = || "-".to_string();
    let l = |r: &'static str, e: &'static str| if ru { r } else { e };
    writeln!(out, "{:<14}{}", l("Подключено", "Connected"), if s.connected { l("да", "yes") } else { l("нет", "no") })?;
    if let Some(domain) = &s.domain {
        writeln!(
            out,
            "{:<14}{}{}",
            l("Аккаунт", "Account"),
            s.account_name.clone().unwrap_or_else(dash),
            s.account_id.map(|i| format!(" (id {i})")).unwrap_or_default()
        )?;
        writeln!(out, "{:<14}{domain}", l("Домен", "Domain"))?;
        writeln!(out, "{:<14}{}", l("Вход", "Auth"), s.auth_kind.map(|k| k.as_str()).unwrap_or("-"))?;
        writeln!(out, "{:<14}{}", l("Токен", "Access token"), s.access_token_masked.clone().unwrap_or_else(dash))?;
        writeln!(
            out,
            "{:<14}{} ({})",
            l("Истекает", "Expires at"),
            s.expires_at.clone().unwrap_or_else(dash),
            if s.is_expired {
                l("истёк", "expired")
            } else if s.expires_soon {
                l("истекает меньше чем через неделю", "expires within a week")
            } else {
                l("действует", "valid")
            }
        )?;
        writeln!(out, "{:<14}{}", l("Создано", "Created"), s.created_at.clone().unwrap_or_else(dash))?;
        writeln!(out, "{:<14}{}", l("Обновлено", "Updated"), s.updated_at.clone().unwrap_or_else(dash))?;
    }
    if let Some(p) = &s.problem {
        writeln!(out, "{:<14}[{}] {}", l("Проблема", "Problem"), p.code, p.message)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
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
    }
}
