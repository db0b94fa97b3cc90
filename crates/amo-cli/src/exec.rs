//! What each command does: parse its flags into the core's types, call the core, print.

use std::io::Read;
use std::time::{Duration, Instant};

use amo_core::amocrm::client::MAX_PAGE;
use amo_core::domain::change::{LeadChangeDraft, LossReason, TaskChangeDraft};
use amo_core::domain::draft::{
    CallDirection, CallDraft, CallStatus, CompanyDraft, ContactDraft, Draft, FollowupDraft, LeadDraft,
};
use amo_core::domain::fields::FieldEntry;
use amo_core::domain::lead_card::LeadCard;
use amo_core::domain::my_tasks::{DueScope, MAX_TASK_PAGES};
use amo_core::domain::outbox::OutboxState;
use amo_core::domain::platform::Platform;
use amo_core::domain::reference::{ReferenceData, LOST_STATUS_ID, WON_STATUS_ID};
use amo_core::domain::secret::Secret;
use amo_core::domain::settings::BounceVia;
use amo_core::domain::settings::SettingsPatch;
use amo_core::domain::steps::StepState;
use amo_core::domain::task::TaskDraft;
use amo_core::error::{EntryError, FieldCode, FieldError, Setting, SettingProblem};
use amo_core::{AmoConnect, Error, Lang, Result};

use crate::args::{
    CallAction, CallEnd, Command, ConfigAction, ConfigKey, ContactAction, Direction, LeadAction, OutboxAction,
    SyncAction, TaskAction, TaskArgs, WaitArgs,
};
use crate::print::{self, line};
use crate::text::{text, Msg};
use crate::Io;

pub(crate) async fn execute(command: Command, app: &AmoConnect, io: &mut Io<'_>) -> Result<()> {
    let lang = io.lang;
    match command {
        Command::Config { action: ConfigAction::Set { key, value } } => {
            app.save_settings(config_patch(key, &value)?).await?;
            line(io.out, &text(Msg::Saved, lang))
        }
        Command::Config { action: ConfigAction::SetSecret } => {
            let secret = read_secret(io, &text(Msg::SecretPrompt, lang))?;
            app.save_settings(SettingsPatch { client_secret: Some(secret), ..Default::default() }).await?;
            line(io.out, &text(Msg::SecretSaved, lang))
        }
        Command::Config { action: ConfigAction::Show { json } } => {
            let v = app.settings_view().await?;
            if json {
                print::json(io.out, &v)
            } else {
                print::settings(io.out, &v, lang)
            }
        }
        Command::Connect { code: Some(code), domain: Some(domain), .. } => {
            let status = app.connect_with_code(code.expose(), &domain).await?;
            print::connected(io.out, &status, lang)
        }
        Command::Connect { code_stdin: true, domain: Some(domain), .. } => {
            let code = read_secret(io, &text(Msg::CodePrompt, lang))?;
            let status = app.connect_with_code(code.expose(), &domain).await?;
            print::connected(io.out, &status, lang)
        }
        Command::Connect { long_lived_token_stdin: true, domain: Some(domain), .. } => {
            let token = read_secret(io, &text(Msg::TokenPrompt, lang))?;
            let status = app.connect_with_long_lived_token(token.expose(), &domain).await?;
            print::connected(io.out, &status, lang)
        }
        Command::Connect { no_browser, timeout, .. } => connect(app, io, no_browser, timeout).await,
        Command::Status { json, refresh } => {
            let s = if refresh { app.verify().await? } else { app.status().await };
            if json {
                print::json(io.out, &s)
            } else {
                print::status(io.out, &s, lang)
            }
        }
        Command::Cleanup => {
            let n = app.cleanup_states()?;
            line(io.out, &text(Msg::CleanedUp { n }, lang))
        }
        // `new` starts (or raises) the window before the CLI runs (main.rs, `open_request`); only
        // a form clap accepts but the window does not (e.g. `--phone` twice) arrives here.
        Command::New { .. } => Err(Error::from(amo_core::error::LocalError::Input {
            detail: "usage: amo-connect new [--phone NUMBER]".into(),
        })),
        Command::Disconnect { discard_pending } => {
            let done = app.disconnect(discard_pending).await?;
            line(io.out, &text(if done.had { Msg::Disconnected } else { Msg::NoConnection }, lang))?;
            if done.kept > 0 {
                line(io.out, &text(Msg::KeptForAccount { n: done.kept }, lang))?;
            }
            if done.discarded > 0 {
                line(io.out, &text(Msg::DiscardedPending { n: done.discarded }, lang))?;
            }
            Ok(())
        }
        Command::Lead { action: LeadAction::Add { .. } } => lead_add(command, app, io).await,
        Command::Lead { action: LeadAction::Note { id, text, task, wait } } => {
            lead_followup(app, io, id, text, task, &wait).await
        }
        Command::Lead { action: LeadAction::Task { id, task, wait } } => {
            if task.task.is_none() {
                return Err(Error::validation(vec![FieldError::new("--task", FieldCode::Required)]));
            }
            lead_followup(app, io, id, String::new(), task, &wait).await
        }
        Command::Lead { action: LeadAction::Show { id, json } } => {
            let card = app.lead_card(id).await?;
            if json {
                print::json(io.out, &card)
            } else {
                print::lead_card(io.out, &card, lang)
            }
        }
        Command::Lead { action: LeadAction::Move { id, status, pipeline, fields, wait } } => {
            let card = app.lead_card(id).await?;
            let reference = app.reference_data(false).await?;
            let pipeline_id = match pipeline {
                Some(p) => Some(pick_pipeline(&reference, &p)?),
                None => None,
            };
            let status_id = pick_status(&reference, pipeline_id.unwrap_or(card.pipeline_id), &status)?;
            let custom_fields = lead_fields(app, &fields).await?;
            let draft = LeadChangeDraft { pipeline_id, status_id: Some(status_id), custom_fields, ..seen_lead(&card) };
            change(app, io, Draft::LeadChange(draft), &wait).await
        }
        Command::Lead { action: LeadAction::Won { id, wait } } => {
            let card = app.lead_card(id).await?;
            let draft = LeadChangeDraft { status_id: Some(WON_STATUS_ID), ..seen_lead(&card) };
            change(app, io, Draft::LeadChange(draft), &wait).await
        }
        Command::Lead { action: LeadAction::Lost { id, reason, wait } } => {
            let card = app.lead_card(id).await?;
            let loss_reason_id = match reason.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(r) => Some(pick_reason(&app.loss_reasons().await?, r)?),
            };
            let draft = LeadChangeDraft { status_id: Some(LOST_STATUS_ID), loss_reason_id, ..seen_lead(&card) };
            change(app, io, Draft::LeadChange(draft), &wait).await
        }
        Command::Lead { action: LeadAction::Set { id, name, price, responsible, tags, fields, wait } } => {
            let card = app.lead_card(id).await?;
            let draft = LeadChangeDraft {
                name: name.unwrap_or_default(),
                price: price.unwrap_or_default(),
                responsible_user_id: responsible,
                tags_to_add: tags,
                custom_fields: lead_fields(app, &fields).await?,
                ..seen_lead(&card)
            };
            change(app, io, Draft::LeadChange(draft), &wait).await
        }
        Command::Lead { action: LeadAction::List { limit, json } } => {
            let leads = app.list_leads(usize::try_from(limit).unwrap_or(usize::MAX)).await?;
            if json {
                print::json(io.out, &leads)
            } else {
                print::leads(io.out, &leads, lang)
            }
        }
        Command::Task { action: TaskAction::Done { id, result, wait } } => {
            let task = app.task(id).await?;
            let draft = TaskChangeDraft {
                task_id: id,
                title: task.text,
                seen_updated_at: task.updated_at,
                done: true,
                result: result.unwrap_or_default(),
                ..Default::default()
            };
            change(app, io, Draft::TaskChange(draft), &wait).await
        }
        Command::Task { action: TaskAction::Move { id, due, text, wait } } => {
            let task = app.task(id).await?;
            let draft = TaskChangeDraft {
                task_id: id,
                title: task.text,
                seen_updated_at: task.updated_at,
                due,
                text: text.unwrap_or_default(),
                ..Default::default()
            };
            change(app, io, Draft::TaskChange(draft), &wait).await
        }
        Command::Task { action: TaskAction::List { overdue, today, week, all, json } } => {
            let scope = match (overdue, today, week) {
                (true, _, _) => DueScope::Overdue,
                (_, true, _) => DueScope::Today,
                (_, _, true) => DueScope::Week,
                _ => DueScope::All,
            };
            let list = app.my_tasks(all, scope).await?;
            if let Some(read_at) = list.read_at.as_deref() {
                // Said on stderr, so `--json` stays one array on stdout.
                writeln!(io.err, "{}", text(Msg::TasksOffline { read_at }, lang)).map_err(Error::output)?;
            }
            if list.truncated {
                // Said on stderr, so `--json` stays one array on stdout.
                writeln!(io.err, "{}", text(Msg::TasksTruncated { n: MAX_TASK_PAGES * MAX_PAGE }, lang))
                    .map_err(Error::output)?;
            }
            if json {
                print::json(io.out, &list.tasks)
            } else {
                print::tasks(io.out, &list.tasks, lang)
            }
        }
        Command::Contact {
            action:
                ContactAction::Add {
                    name,
                    phones,
                    emails,
                    responsible,
                    fields,
                    company,
                    company_fields,
                    company_id,
                    allow_duplicate,
                    wait,
                },
        } => {
            let (first_name, last_name) = split_name(&name);
            let custom_fields = if fields.is_empty() {
                Vec::new()
            } else {
                field_entries(app, &fields, Entity::Contact, "--field").await?
            };
            let draft = ContactDraft {
                first_name,
                last_name,
                responsible_user_id: responsible,
                custom_fields,
                company: company_draft(app, company, &company_fields).await?,
                existing_company_id: company_id,
                allow_duplicate,
                ..typed_contact(&phones, &emails)
            };
            let item = app.queue_contact(&draft).map_err(|e| duplicate_hint(e, io))?;
            settle(app, item.id, &wait, io).await
        }
        Command::Contact { action: ContactAction::Find { phone_or_email_or_name, offline, json } } => {
            let found = app.find_customer(&phone_or_email_or_name, offline).await?;
            if json {
                print::json(io.out, &found)
            } else {
                // Pipelines, stages and users by name: the account's shape as last read, or read
                // now (not with --offline, which never asks amoCRM; ids are shown then).
                let reference = match app.cached_reference()? {
                    Some(r) => Some(r),
                    None if !offline => app.reference_data(false).await.ok(),
                    None => None,
                };
                print::customers(io.out, &found, reference.as_ref(), offline, lang)
            }
        }
        Command::Call {
            action:
                CallAction::Log { phone, direction, duration, status, result, link, started, uniq, responsible, wait, json },
        } => {
            let started_at = match started.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(s) => Some(parse_when(s).ok_or_else(|| {
                    Error::validation(vec![FieldError::new("--started", FieldCode::InvalidDateTime)])
                })?),
            };
            let draft = CallDraft {
                phone,
                direction: match direction {
                    Direction::In => CallDirection::Inbound,
                    Direction::Out => CallDirection::Outbound,
                },
                duration_secs: duration,
                status: status.map(|s| match s {
                    CallEnd::Talked => CallStatus::Talked,
                    CallEnd::NoAnswer => CallStatus::NoAnswer,
                    CallEnd::Busy => CallStatus::Busy,
                    CallEnd::LeftMessage => CallStatus::LeftMessage,
                    CallEnd::CallBack => CallStatus::CallBack,
                    CallEnd::NotAvailable => CallStatus::NotAvailable,
                    CallEnd::WrongNumber => CallStatus::WrongNumber,
                }),
                result: result.unwrap_or_default(),
                link: link.unwrap_or_default(),
                started_at,
                uniq: uniq.unwrap_or_default(),
                responsible_user_id: responsible,
            };
            let (item, again) = app.log_call(&draft).map_err(as_flags)?;
            if again {
                writeln!(io.err, "{}", text(Msg::CallLoggedAlready { id: item.id }, lang)).map_err(Error::output)?;
            }
            if json {
                let item = if wait.no_wait {
                    item
                } else {
                    app.wait_for_entry(item.id, Duration::from_secs(wait.timeout)).await.map_err(as_flags)?
                };
                return print::json(io.out, &item);
            }
            settle(app, item.id, &wait, io).await
        }
        Command::Sync { action: Some(SyncAction::Status { json }), .. } => {
            let s = app.people_status()?;
            if json {
                print::json(io.out, &s)
            } else {
                print::copy_status(io.out, &s, lang)
            }
        }
        Command::Sync { action: Some(SyncAction::Off), .. } => {
            app.set_people_copy(false)?;
            line(io.out, &text(Msg::CopyOff, lang))
        }
        Command::Sync { action: Some(SyncAction::On), .. } => {
            app.set_people_copy(true)?;
            line(io.out, &text(Msg::CopyOn, lang))
        }
        Command::Sync { action: None, full, json } => {
            // Progress goes to a terminal only (a script reads the last line or the JSON).
            let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
            let progress = move |s: &amo_core::domain::people::CopyStatus| {
                if tty {
                    let m =
                        Msg::SyncProgress { pages: s.full_pass_pages.unwrap_or(0), people: s.contacts + s.companies };
                    eprint!("\r{}", text(m, lang));
                }
            };
            let r = app.sync_people(full, &progress).await?;
            if tty {
                eprintln!();
            }
            // The account's shape beside its people, so `contact find --offline` names stages and
            // users (read only when the cached one is stale; a failure here loses nothing).
            if let Err(e) = app.reference_data(false).await {
                tracing::info!(code = %e.code(), "the account's pipelines and users were not read with the copy");
            }
            if json {
                print::json(io.out, &r)
            } else {
                line(
                    io.out,
                    &text(Msg::Synced { full: r.full, pages: r.pages, people: r.people, removed: r.removed }, lang),
                )?;
                print::copy_status(io.out, &r.status, lang)
            }
        }
        Command::Outbox { action: Some(OutboxAction::Retry { id, wait }), .. } => {
            let n = app.outbox_retry(id)?;
            writeln!(io.err, "{}", text(Msg::DueNow { n }, io.lang)).map_err(Error::output)?;
            match id {
                Some(id) => settle(app, id, &wait, io).await,
                None => wait_all(app, io, &wait).await,
            }
        }
        Command::Outbox { action: Some(OutboxAction::Resume { wait }), .. } => {
            let n = app.outbox_resume()?;
            writeln!(io.err, "{}", text(Msg::DueNow { n }, io.lang)).map_err(Error::output)?;
            wait_all(app, io, &wait).await
        }
        Command::Outbox { action: Some(OutboxAction::Edit { id, fields, wait }), .. } => {
            let draft = crate::edit::apply(&app.outbox_item(id)?.draft, &fields)?;
            app.outbox_update(id, draft).map_err(as_flags)?;
            settle(app, id, &wait, io).await
        }
        Command::Outbox { action: Some(OutboxAction::Run { until_empty, timeout }), .. } => {
            outbox_run(app, io, until_empty, Duration::from_secs(timeout)).await
        }
        Command::Outbox { action: Some(OutboxAction::SendMine { id, wait }), .. } => {
            app.outbox_send_mine(id)?;
            settle(app, id, &wait, io).await
        }
        Command::Outbox { action: Some(OutboxAction::Discard { id }), .. } => {
            app.outbox_discard(id)?;
            line(io.out, &text(Msg::Discarded { id }, lang))
        }
        Command::Fields { entity, json } => {
            let fields = app.custom_fields(entity.as_str()).await?;
            if json {
                print::json(io.out, &fields)
            } else {
                print::custom_fields(io.out, &fields, lang)
            }
        }
        Command::Pipelines { json } => {
            let r = app.reference_data(true).await?;
            if json {
                print::json(io.out, &r.pipelines)
            } else {
                print::pipelines(io.out, &r.pipelines, lang)
            }
        }
        Command::Users { json } => {
            let r = app.reference_data(true).await?;
            if json {
                print::json(io.out, &r.users)
            } else {
                print::users(io.out, &r, lang)
            }
        }
        Command::Outbox { action: None, json, limit } => {
            let items = app.outbox_list(limit)?;
            if json {
                print::json(io.out, &items)
            } else {
                print::outbox_summary(io.out, &app.outbox_summary()?, lang)?;
                print::outbox_items(io.out, &items, lang)
            }
        }
    }
}

/// on/off, yes/no, true/false, да/нет.
fn on_off(field: Setting, value: &str) -> Result<bool> {
    match value.trim().to_lowercase().as_str() {
        "on" | "yes" | "true" | "да" => Ok(true),
        "off" | "no" | "false" | "нет" => Ok(false),
        _ => Err(Error::invalid(field, SettingProblem::NotOnOff { value: print::clean(value) })),
    }
}

fn config_patch(key: ConfigKey, value: &str) -> Result<SettingsPatch> {
    let mut p = SettingsPatch::default();
    match key {
        ConfigKey::Platform => p.platform = Some(Platform::parse(value)?),
        ConfigKey::ClientId => p.client_id = Some(value.to_string()),
        ConfigKey::RedirectUri => p.redirect_uri = Some(value.to_string()),
        ConfigKey::Domain => p.domain = Some(value.to_string()),
        ConfigKey::KeepaliveDays => {
            p.keepalive_days = Some(value.trim().parse().map_err(|_| {
                Error::invalid(Setting::KeepaliveDays, SettingProblem::NotANumber { value: print::clean(value) })
            })?)
        }
        ConfigKey::RetentionDays => {
            p.retention_days = Some(value.trim().parse().map_err(|_| {
                Error::invalid(Setting::RetentionDays, SettingProblem::NotANumber { value: print::clean(value) })
            })?)
        }
        ConfigKey::BounceVia => p.bounce_via = Some(BounceVia::from_user(value)?),
        ConfigKey::BouncePort => {
            p.bounce_port = Some(value.trim().parse().map_err(|_| {
                Error::invalid(Setting::BouncePort, SettingProblem::NotANumber { value: print::clean(value) })
            })?)
        }
        ConfigKey::Notifications => p.notifications = Some(on_off(Setting::Notifications, value)?),
        ConfigKey::NotificationDetails => p.notification_details = Some(on_off(Setting::NotificationDetails, value)?),
        ConfigKey::TaskNotifications => p.task_notifications = Some(on_off(Setting::TaskNotifications, value)?),
        ConfigKey::CloseToTray => p.close_to_tray = Some(on_off(Setting::CloseToTray, value)?),
        ConfigKey::QuickEntryShortcut => p.quick_entry_shortcut = Some(value.to_string()),
        ConfigKey::Language => {
            p.language = Some(Lang::parse(value).ok_or_else(|| {
                Error::invalid(Setting::Language, SettingProblem::UnknownLanguage { value: print::clean(value) })
            })?)
        }
    }
    Ok(p)
}

async fn connect(app: &AmoConnect, io: &mut Io<'_>, no_browser: bool, timeout: u64) -> Result<()> {
    let pending = app.start_connect().await?;
    // The URL on a line of its own, first, so a script can read it.
    line(io.out, pending.authorize_url().as_str())?;
    io.out.flush().map_err(Error::output)?;
    if !no_browser {
        if let Err(e) = crate::browser::open(pending.authorize_url().as_str()) {
            tracing::warn!("could not open the browser: {e}");
            writeln!(io.err, "{}", text(Msg::BrowserFailed, io.lang)).map_err(Error::output)?;
        }
    }
    writeln!(io.err, "{}", text(Msg::Waiting { secs: timeout }, io.lang)).map_err(Error::output)?;
    let status = pending.wait(Duration::from_secs(timeout)).await?;
    print::connected(io.out, &status, io.lang)
}

async fn lead_add(command: Command, app: &AmoConnect, io: &mut Io<'_>) -> Result<()> {
    let Command::Lead {
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
                emails,
                contact_id,
                allow_duplicate,
                note,
                fields,
                contact_fields,
                company_fields,
                company,
                company_id,
                unsorted,
                task,
                wait,
            },
    } = command
    else {
        return Err(Error::internal("lead_add called for another command"));
    };
    let contact_custom = if contact_fields.is_empty() {
        Vec::new()
    } else {
        field_entries(app, &contact_fields, Entity::Contact, "--contact-field").await?
    };
    let typed = contact_name.is_some() || !phones.is_empty() || !emails.is_empty() || !contact_custom.is_empty();
    let contact = typed.then(|| {
        let (first_name, last_name) = split_name(contact_name.as_deref().unwrap_or_default());
        ContactDraft {
            first_name,
            last_name,
            custom_fields: contact_custom,
            allow_duplicate,
            ..typed_contact(&phones, &emails)
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
        custom_fields: if fields.is_empty() {
            Vec::new()
        } else {
            field_entries(app, &fields, Entity::Lead, "--field").await?
        },
        company: company_draft(app, company, &company_fields).await?,
        existing_company_id: company_id,
        task: task_draft(app, task).await?,
        unsorted,
    };
    let item = app.queue_lead(&draft).map_err(|e| duplicate_hint(e, io))?;
    settle(app, item.id, &wait, io).await
}

/// A change of a lead made from `card`: the version the user read (what a colleague's later
/// change is told apart from), its pipeline, and the fields it already has values in.
fn seen_lead(card: &LeadCard) -> LeadChangeDraft {
    LeadChangeDraft {
        lead_id: card.id,
        lead_name: card.name.clone(),
        seen_updated_at: card.updated_at,
        seen_pipeline_id: card.pipeline_id,
        filled_field_ids: card.fields.iter().filter(|f| !f.value.trim().is_empty()).map(|f| f.field_id).collect(),
        ..Default::default()
    }
}

/// `--field` flags for a lead's custom fields (none: no read of the account's fields).
async fn lead_fields(app: &AmoConnect, flags: &[String]) -> Result<Vec<FieldEntry>> {
    if flags.is_empty() {
        return Ok(Vec::new());
    }
    field_entries(app, flags, Entity::Lead, "--field").await
}

/// A pipeline by id or name (any case), or `--pipeline NAME` refused as not a choice.
fn pick_pipeline(r: &ReferenceData, given: &str) -> Result<i64> {
    let g = given.trim();
    r.pipelines
        .iter()
        .find(|p| p.id.to_string() == g || p.name.trim().to_lowercase() == g.to_lowercase())
        .map(|p| p.id)
        .ok_or_else(|| not_a_choice("--pipeline", g))
}

/// A stage of `pipeline` by id or name (any case); won and lost by their names too.
fn pick_status(r: &ReferenceData, pipeline: i64, given: &str) -> Result<i64> {
    let g = given.trim();
    let statuses = r.pipelines.iter().find(|p| p.id == pipeline).map(|p| p.statuses.as_slice()).unwrap_or_default();
    statuses
        .iter()
        .find(|s| s.id.to_string() == g || s.name.trim().to_lowercase() == g.to_lowercase())
        .map(|s| s.id)
        .or_else(|| g.parse::<i64>().ok().filter(|_| statuses.is_empty()))
        .ok_or_else(|| {
            let names: Vec<&str> = statuses.iter().map(|s| s.name.as_str()).collect();
            Error::validation(vec![FieldError {
                detail: Some(names.join(", ")).filter(|n| !n.is_empty()),
                ..FieldError::new(format!("--status {}", print::clean(g)), FieldCode::NotAChoice)
            }])
        })
}

/// One of the account's loss reasons by id or name (any case).
fn pick_reason(reasons: &[LossReason], given: &str) -> Result<i64> {
    reasons
        .iter()
        .find(|r| r.id.to_string() == given || r.name.trim().to_lowercase() == given.to_lowercase())
        .map(|r| r.id)
        .ok_or_else(|| {
            let names: Vec<&str> = reasons.iter().map(|r| r.name.as_str()).collect();
            Error::validation(vec![FieldError {
                detail: Some(names.join(", ")),
                ..FieldError::new(format!("--reason {}", print::clean(given)), FieldCode::NotAChoice)
            }])
        })
}

fn not_a_choice(flag: &str, given: &str) -> Error {
    Error::validation(vec![FieldError::new(format!("{flag} {}", print::clean(given)), FieldCode::NotAChoice)])
}

/// Queues a change of a task or lead and waits for it like `lead add`; a change that met
/// somebody else's newer one exits non-zero, naming what they changed and who they are.
async fn change(app: &AmoConnect, io: &mut Io<'_>, draft: Draft, wait: &WaitArgs) -> Result<()> {
    let item = app.queue(&draft).map_err(as_flags)?;
    settle(app, item.id, wait, io).await?;
    if let Draft::TaskChange(t) = &draft {
        if !wait.no_wait {
            line(io.out, &t.task_id.to_string())?;
        }
    }
    Ok(())
}

/// Phones and e-mails as given (`VALUE[:TYPE]`), with their types.
fn typed_contact(phones: &[String], emails: &[String]) -> ContactDraft {
    let (phones, phone_types) = phones.iter().map(|p| crate::edit::typed_phone(p)).unzip();
    let (emails, email_types) = emails.iter().map(|e| crate::edit::typed_email(e)).unzip();
    ContactDraft { phones, phone_types, emails, email_types, ..Default::default() }
}

/// `lead note ID --text …` and `lead task ID --task … --task-due …`: a follow-up for a lead
/// that already exists.
async fn lead_followup(
    app: &AmoConnect,
    io: &mut Io<'_>,
    lead_id: i64,
    note: String,
    task: TaskArgs,
    wait: &WaitArgs,
) -> Result<()> {
    // The CLI does not read the lead: a task without --task-responsible is amoCRM's default (you).
    let draft = FollowupDraft {
        lead_id,
        lead_name: String::new(),
        note,
        task: task_draft(app, task).await?,
        responsible_user_id: None,
    };
    let item = app.queue_followup(&draft).map_err(as_flags)?;
    settle(app, item.id, wait, io).await
}

/// The task flags as a draft; a `--task-type` given by name is looked up among the account's
/// task types (the cache, or amoCRM when there is none).
async fn task_draft(app: &AmoConnect, t: TaskArgs) -> Result<Option<TaskDraft>> {
    let Some(text) = t.task else { return Ok(None) };
    let task_type_id = match t.task_type.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(v) => match v.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                let types = app.reference_data(false).await?.task_types;
                let found = types.iter().find(|tt| {
                    tt.name.trim().to_lowercase() == v.to_lowercase()
                        || tt.code.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(v))
                });
                match found {
                    Some(tt) => Some(tt.id),
                    None => {
                        return Err(Error::validation(vec![FieldError::new(
                            format!("--task-type {}", print::clean(v)),
                            FieldCode::NotAChoice,
                        )]))
                    }
                }
            }
        },
    };
    Ok(Some(TaskDraft {
        text,
        due: t.task_due.unwrap_or_default(),
        task_type_id,
        responsible_user_id: t.task_responsible,
    }))
}

/// Whose custom fields a `--field` names.
#[derive(Clone, Copy)]
enum Entity {
    Lead,
    Contact,
    Company,
}

/// `--field KEY=VALUE` flags as entries: KEY is a field's id, code or name (any case), from the
/// account's fields (the cache, or amoCRM when there is none). Each unknown key is named.
async fn field_entries(app: &AmoConnect, flags: &[String], entity: Entity, flag_name: &str) -> Result<Vec<FieldEntry>> {
    let data = app.reference_data(false).await?;
    let fields = match entity {
        Entity::Lead => data.lead_fields,
        Entity::Contact => data.contact_fields,
        Entity::Company => data.company_fields,
    };
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    for flag in flags {
        let (key, value) = flag.split_once('=').unwrap_or((flag.as_str(), ""));
        let key = key.trim();
        let found = fields.iter().find(|f| f.id.to_string() == key).or_else(|| {
            fields.iter().find(|f| {
                f.code.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(key))
                    || f.name.trim().to_lowercase() == key.to_lowercase()
            })
        });
        match (found, flag.contains('=')) {
            (Some(f), true) => entries.push(FieldEntry { field_id: f.id, value: value.to_string(), checked: None }),
            _ => errors
                .push(FieldError::new(format!("{flag_name} {}", print::clean(key)), FieldCode::UnknownCustomField)),
        }
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(Error::validation(errors))
    }
}

/// Sends until nothing waits (or the timeout), then prints the outbox's summary.
async fn wait_all(app: &AmoConnect, io: &mut Io<'_>, wait: &WaitArgs) -> Result<()> {
    if wait.no_wait {
        return Ok(());
    }
    let deadline = Instant::now() + Duration::from_secs(wait.timeout);
    while app.outbox_summary()?.queued > 0 && Instant::now() < deadline {
        let pause = app.outbox_pass().await;
        tokio::time::sleep(pause.min(Duration::from_millis(500))).await;
    }
    print::outbox_summary(io.out, &app.outbox_summary()?, io.lang)
}

/// `outbox run`: the worker — until nothing waits (`until_empty`) or forever — with the
/// connection kept alive beside it. Each change of the counts is printed as a summary line.
async fn outbox_run(app: &AmoConnect, io: &mut Io<'_>, until_empty: bool, timeout: Duration) -> Result<()> {
    // A headless machine may run only this command, for months: it keeps the connection alive
    // exactly as the window does (the same loop in the core) — the tokens refreshed before they
    // expire and before the refresh token's three months run out — not only once at its start.
    let _keep_alive = AbortOnDrop(tokio::spawn(app.keep_alive_loop(amo_core::auth::keep_alive::CHECK_EVERY)));
    let deadline = Instant::now() + timeout;
    let mut shown = None;
    loop {
        let pause = app.outbox_pass().await;
        let summary = app.outbox_summary()?;
        let counts = (summary.queued, summary.attention, summary.sent, summary.banned);
        if shown != Some(counts) {
            print::outbox_summary(io.out, &summary, io.lang)?;
            shown = Some(counts);
        }
        if until_empty && summary.queued == 0 {
            return Ok(());
        }
        if until_empty && Instant::now() >= deadline {
            // Named by the oldest entry still waiting; the summary above says why (last error).
            let waiting = app
                .outbox_list(usize::MAX)?
                .into_iter()
                .rev()
                .find(|i| matches!(i.state, OutboxState::Queued | OutboxState::Sending) && !i.other_account);
            let id = waiting.map_or(0, |i| i.id);
            return Err(EntryError::StillQueued { id, cause: None }.into());
        }
        tokio::time::sleep(pause.min(Duration::from_secs(1))).await;
    }
}

/// Stops a task spawned beside a command when the command returns.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

use crate::edit::split_name;

/// `--company NAME` with its `--company-field`s, for `lead add` and `contact add`.
async fn company_draft(app: &AmoConnect, name: Option<String>, fields: &[String]) -> Result<Option<CompanyDraft>> {
    let Some(name) = name else { return Ok(None) };
    let custom_fields = if fields.is_empty() {
        Vec::new()
    } else {
        field_entries(app, fields, Entity::Company, "--company-field").await?
    };
    Ok(Some(CompanyDraft { name, custom_fields }))
}

/// Field errors named as the CLI's flags rather than the form's fields.
/// `as_flags`, and — when a new contact was refused because amoCRM has one with its phone or
/// e-mail — the options that choose, on stderr.
fn duplicate_hint(e: Error, io: &mut Io<'_>) -> Error {
    if e.fields().is_some_and(|f| f.iter().any(|f| f.code == FieldCode::DuplicateContact)) {
        let _ = writeln!(io.err, "{}", text(Msg::DuplicateHint, io.lang));
    }
    as_flags(e)
}

fn as_flags(e: Error) -> Error {
    let Some(fields) = e.fields() else { return e };
    let renamed = fields
        .iter()
        .map(|f| {
            let flag = match f.field.split('.').collect::<Vec<_>>().as_slice() {
                ["contact", "first_name"] | ["contact", "last_name"] => "--contact-name".to_string(),
                ["first_name"] | ["last_name"] => "--name".to_string(),
                ["contact", "phones", i] | ["phones", i] => {
                    format!("--phone #{}", i.parse::<usize>().map_or(1, |n| n + 1))
                }
                ["contact", "emails", i] | ["emails", i] => {
                    format!("--email #{}", i.parse::<usize>().map_or(1, |n| n + 1))
                }
                ["status"] => "--status".into(),
                ["responsible_user_id"] => "--responsible".into(),
                ["tags"] => "--tag".into(),
                ["task", "text"] => "--task".into(),
                ["task", "due"] => "--task-due".into(),
                ["task", "task_type_id"] => "--task-type".into(),
                ["task", "responsible_user_id"] => "--task-responsible".into(),
                ["company", "name"] => "--company".into(),
                ["existing_company_id"] => "--company-id".into(),
                ["existing_contact_id"] => "--contact-id".into(),
                ["pipeline"] | ["pipeline_id"] => "--pipeline".into(),
                ["lead_id"] | ["task_id"] => "ID".into(),
                ["loss_reason_id"] => "--reason".into(),
                // A change that changes nothing: no flag gave a new value.
                ["form"] => "FLAGS".into(),
                ["unsorted"] => "--unsorted".into(),
                ["duration_secs"] => "--duration".into(),
                ["started_at"] => "--started".into(),
                ["uniq"] => "--uniq".into(),
                ["result"] => "--result".into(),
                ["link"] => "--link".into(),
                ["note"] if f.code == FieldCode::Required => "--text".into(),
                ["custom_fields", _] => format!("--field {}", f.label.as_deref().unwrap_or(&f.field)),
                ["company", "custom_fields", _] => {
                    format!("--company-field {}", f.label.as_deref().unwrap_or(&f.field))
                }
                ["contact", "custom_fields", _] => {
                    format!("--contact-field {}", f.label.as_deref().unwrap_or(&f.field))
                }
                ["custom_fields"] => "--field".into(),
                [one] => format!("--{one}"),
                _ => f.field.clone(),
            };
            FieldError { field: flag, label: None, ..f.clone() }
        })
        .collect();
    Error::validation(renamed)
}

/// After queueing: either say it is queued (`--no-wait`) or wait for amoCRM and print the id.
async fn settle(app: &AmoConnect, id: i64, wait: &WaitArgs, io: &mut Io<'_>) -> Result<()> {
    if wait.no_wait {
        return line(io.out, &text(Msg::Queued { id }, io.lang));
    }
    writeln!(io.err, "{}", text(Msg::Sending { id }, io.lang)).map_err(Error::output)?;
    let item = match app.wait_for_entry(id, Duration::from_secs(wait.timeout)).await {
        Ok(item) => item,
        Err(e) => {
            // Somebody changed the record since it was read: say who and what, both versions.
            if let Some(conflict) = app.outbox_item(id).ok().and_then(|i| i.conflict) {
                let reasons = if conflict.fields.iter().any(|f| f.field == "loss_reason_id") {
                    app.loss_reasons().await.unwrap_or_default()
                } else {
                    Vec::new()
                };
                let reference = app.cached_reference().ok().flatten();
                print::conflict(io.err, id, &conflict, reference.as_ref(), &reasons, io.lang)?;
            }
            // It needs the user, and part of it is in amoCRM already (a contact whose company was
            // refused, a lead whose task was): say which, so nobody adds it again.
            if !matches!(e, Error::Entry(EntryError::StillQueued { .. })) {
                if let Some((kind, amo_id)) = app.outbox_item(id).ok().and_then(|i| in_amocrm(&i.steps)) {
                    let part = amo_core::i18n::step_label(kind, io.lang);
                    writeln!(io.err, "{}", text(Msg::PartlyThere { id, part, amo_id }, io.lang))
                        .map_err(Error::output)?;
                }
            }
            return Err(as_flags(e));
        }
    };
    // The id alone on the first line, for scripts; then the link.
    match (item.lead_id, item.contact_id) {
        (Some(lead), _) => line(io.out, &lead.to_string())?,
        (None, Some(contact)) => line(io.out, &contact.to_string())?,
        _ => {}
    }
    if let Some(url) = item.lead_url.or(item.contact_url) {
        line(io.out, &url)?;
    }
    if item.merged {
        writeln!(io.err, "{}", text(Msg::Merged, io.lang)).map_err(Error::output)?;
    }
    Ok(())
}

/// The part of an entry in amoCRM to name: its lead or contact if done, else what is done first.
fn in_amocrm(steps: &[amo_core::domain::outbox::StepView]) -> Option<(amo_core::domain::steps::StepKind, i64)> {
    use amo_core::domain::steps::StepKind;
    let done = |s: &&amo_core::domain::outbox::StepView| s.state == StepState::Done && s.amo_id.is_some();
    let main = steps
        .iter()
        .filter(done)
        .find(|s| matches!(s.kind, StepKind::Lead | StepKind::IncomingLead | StepKind::Contact));
    main.or_else(|| steps.iter().find(done)).and_then(|s| Some((s.kind, s.amo_id?)))
}

/// A secret from standard input, never argv: one line after a prompt on a terminal, not shown
/// as it is typed (`tty`), else all of it (at most 64 KiB) from a pipe. Trimming and validation
/// are the core's.
fn read_secret(io: &mut Io<'_>, prompt: &str) -> Result<Secret> {
    let mut value = String::new();
    if io.stdin_is_terminal {
        write!(io.err, "{prompt}").map_err(Error::output)?;
        let _echo_off = crate::tty::EchoOff::on_stdin();
        io.stdin.read_line(&mut value).map_err(Error::input)?;
    } else {
        io.stdin.take(64 * 1024).read_to_string(&mut value).map_err(Error::input)?;
    }
    Ok(Secret::new(value))
}

/// `--started`: Unix seconds, or RFC 3339 with its offset.
fn parse_when(s: &str) -> Option<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return Some(n).filter(|n| *n > 0);
    }
    amo_core::clock::parse_rfc3339(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_attached_contact_or_pipeline_is_named_by_its_flag() {
        let e = Error::validation(vec![
            FieldError::new("existing_contact_id", FieldCode::NotInAccount),
            FieldError::new("pipeline", FieldCode::NotInAccount),
            FieldError::new("existing_company_id", FieldCode::NotInAccount),
        ]);
        let named: Vec<String> = as_flags(e).fields().expect("fields").iter().map(|f| f.field.clone()).collect();
        assert_eq!(named, ["--contact-id", "--pipeline", "--company-id"]);
    }
}
