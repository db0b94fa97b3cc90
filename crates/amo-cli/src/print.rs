//! What the CLI prints: status, settings, leads, the outbox. Text from amoCRM (names of leads and
//! accounts) is cleaned before it reaches the terminal, so a lead named with escape sequences
//! cannot rewrite the screen, nor one named with a line break add a row ([`cell`]).

use std::io::Write;

use amo_core::clock::rfc3339;
use amo_core::domain::fields::CustomField;
use amo_core::domain::lead_card::LeadCard;
use amo_core::domain::my_tasks::{DueBucket, MyTask};
use amo_core::domain::outbox::{OutboxItem, OutboxState, OutboxSummary};
use amo_core::domain::people::{CopyStatus, CustomerLookup, PersonKind};
use amo_core::domain::reference::{LeadSummary, Pipeline, ReferenceData, StageKind};
use amo_core::domain::views::{SettingsView, StatusView};
use amo_core::error::{is_bidi_control, AmoError};
use amo_core::i18n::{step_label, step_state_label};
use amo_core::{Error, Lang, Result};

use crate::text::{label, text, Label, Msg};

/// Text for a terminal: no control characters (escape sequences) and no direction overrides.
pub fn clean(s: &str) -> String {
    s.chars().filter(|c| (!c.is_control() || *c == '\n' || *c == '\t') && !is_bidi_control(*c)).collect()
}

/// One cell of a table row (a name, a title, a message on a row): [`clean`], and line breaks,
/// tabs and line separators shown as `\n`, `\t`, `\u{2028}` — a lead named with a line break
/// would otherwise print as two rows, the second one forged.
pub fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{85}' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c if c.is_control() || is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Every line written goes through here: a closed pipe becomes an `output` error.
pub fn line(out: &mut (dyn Write + Send), s: &str) -> Result<()> {
    writeln!(out, "{s}").map_err(Error::output)
}

pub fn json<T: serde::Serialize>(out: &mut (dyn Write + Send), v: &T) -> Result<()> {
    line(out, &serde_json::to_string_pretty(v).map_err(Error::internal)?)
}

pub fn connected(out: &mut (dyn Write + Send), s: &StatusView, lang: Lang) -> Result<()> {
    let name = cell(s.account_name.as_deref().unwrap_or("?"));
    let domain = cell(s.domain.as_deref().unwrap_or_default());
    line(out, &text(Msg::Connected { name: &name, domain: &domain }, lang))
}

pub fn settings(out: &mut (dyn Write + Send), v: &SettingsView, lang: Lang) -> Result<()> {
    let s = &v.settings;
    let or_dash = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
    line(out, &format!("platform      {}", s.platform.as_str()))?;
    line(out, &format!("client-id     {}", or_dash(&s.client_id)))?;
    line(out, &format!("redirect-uri  {}", or_dash(&s.redirect_uri)))?;
    line(out, &format!("domain        {}", or_dash(&s.domain)))?;
    line(out, &format!("language      {}", s.language.as_str()))?;
    line(out, &format!("keepalive     {} {}", s.keepalive_days, label(Label::Days, lang)))?;
    line(out, &format!("retention     {} {}", s.retention_days, label(Label::Days, lang)))?;
    line(out, &format!("bounce-via    {}", s.bounce_via.as_str()))?;
    line(out, &format!("bounce-port   {}", s.bounce_port))?;
    line(out, &format!("notifications {}", if s.notifications { "on" } else { "off" }))?;
    line(out, &format!("notification-details {}", if s.notification_details { "on" } else { "off" }))?;
    line(out, &format!("task-notifications {}", if s.task_notifications { "on" } else { "off" }))?;
    line(out, &format!("close-to-tray {}", if s.close_to_tray { "on" } else { "off" }))?;
    let shortcut = if s.quick_entry_shortcut.is_empty() { "off" } else { s.quick_entry_shortcut.as_str() };
    line(out, &format!("shortcut      {shortcut}"))?;
    let secret = if v.client_secret_set { Label::SecretSet } else { Label::SecretNotSet };
    line(out, &format!("secret        {}", label(secret, lang)))
}

pub fn status(out: &mut (dyn Write + Send), s: &StatusView, lang: Lang) -> Result<()> {
    let l = |x| label(x, lang);
    let dash = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
    line(out, &format!("{:<14}{}", l(Label::Connected), l(if s.connected { Label::Yes } else { Label::No })))?;
    if let Some(domain) = &s.domain {
        let id = s.account_id.map(|i| format!(" (id {i})")).unwrap_or_default();
        line(out, &format!("{:<14}{}{id}", l(Label::Account), cell(&dash(&s.account_name))))?;
        line(out, &format!("{:<14}{}", l(Label::Domain), cell(domain)))?;
        line(out, &format!("{:<14}{}", l(Label::Auth), s.auth_kind.map(|k| k.as_str()).unwrap_or("-")))?;
        line(out, &format!("{:<14}{}", l(Label::Token), dash(&s.access_token_masked)))?;
        let state = if s.is_expired {
            Label::Expired
        } else if s.expires_soon {
            Label::ExpiresSoon
        } else {
            Label::Valid
        };
        line(out, &format!("{:<14}{} ({})", l(Label::ExpiresAt), dash(&s.expires_at), l(state)))?;
        line(out, &format!("{:<14}{}", l(Label::Created), dash(&s.created_at)))?;
        line(out, &format!("{:<14}{}", l(Label::Updated), dash(&s.updated_at)))?;
    }
    if let Some(p) = &s.problem {
        line(out, &format!("{:<14}[{}] {}", l(Label::Problem), p.code, cell(&p.message)))?;
    }
    Ok(())
}

pub fn leads(out: &mut (dyn Write + Send), leads: &[LeadSummary], lang: Lang) -> Result<()> {
    if leads.is_empty() {
        return line(out, &text(Msg::NoLeads, lang));
    }
    let l = |x| label(x, lang);
    line(
        out,
        &format!("{:<12}{:<22}{:>12}  {}", "id", l(Label::CreatedColumn), l(Label::PriceColumn), l(Label::NameColumn)),
    )?;
    for x in leads {
        line(out, &format!("{:<12}{:<22}{:>12}  {}", x.id, rfc3339(x.created_at), x.price, cell(&x.name)))?;
    }
    Ok(())
}

/// `task list`: one row per task — id, its pile, when it is due (the account's wall clock),
/// type, what it is on, who does it, its text — soonest first.
pub fn tasks(out: &mut (dyn Write + Send), tasks: &[MyTask], lang: Lang) -> Result<()> {
    if tasks.is_empty() {
        return line(out, &text(Msg::NoTasks, lang));
    }
    let l = |x| label(x, lang);
    let row = |id: &str, when: &str, due: &str, kind: &str, on: &str, who: &str, what: &str| {
        format!("{id:<12}{when:<12}{due:<18}{kind:<14}{on:<18}{who:<22}{what}")
    };
    line(
        out,
        &row(
            "id",
            l(Label::WhenColumn),
            l(Label::DueColumn),
            l(Label::TypeColumn),
            l(Label::OnColumn),
            l(Label::ResponsibleColumn),
            l(Label::TextColumn),
        ),
    )?;
    for t in tasks {
        let when = match t.bucket {
            DueBucket::Overdue => Label::Overdue,
            DueBucket::Today => Label::Today,
            DueBucket::Tomorrow => Label::Tomorrow,
            DueBucket::ThisWeek => Label::ThisWeek,
            DueBucket::Later => Label::Later,
        };
        // RFC 3339 in the account's zone; its date and time are the account's wall clock.
        let due = t.due.get(..16).map_or_else(|| t.due.clone(), |d| d.replacen('T', " ", 1));
        let on = match (t.entity_type.as_deref(), t.entity_id) {
            (Some(kind), Some(id)) => {
                let kind = match kind {
                    "leads" => l(Label::LeadEntity),
                    "contacts" => l(Label::ContactEntity),
                    "companies" => l(Label::CompanyEntity),
                    "customers" => l(Label::CustomerEntity),
                    other => other,
                };
                format!("{} {id}", cell(kind))
            }
            _ => "-".into(),
        };
        let who = t.responsible_name.as_deref().map_or_else(|| t.responsible_user_id.to_string(), cell);
        line(out, &row(&t.id.to_string(), l(when), &due, &cell(&t.task_type), &on, &who, &cell(&t.text)))?;
    }
    Ok(())
}

/// An RFC 3339 moment in the account's zone as its wall clock, `YYYY-MM-DD HH:MM`.
fn wall_clock(rfc3339: &str) -> String {
    rfc3339.get(..16).map_or_else(|| rfc3339.to_string(), |d| d.replacen('T', " ", 1))
}

/// `lead show`: one `label: value` line per property, then the fields, the newest notes and the
/// open tasks, each indented on its own line. Everything from amoCRM goes through [`cell`] (a
/// text area's lines too: a field cannot forge a line of the card).
pub fn lead_card(out: &mut (dyn Write + Send), c: &LeadCard, lang: Lang) -> Result<()> {
    let l = |x| label(x, lang);
    let row = |what: Label, value: &str| format!("{:<16}{value}", format!("{}:", l(what)));
    let named = |name: &Option<String>, id: i64| name.as_deref().map_or_else(|| id.to_string(), cell);
    line(out, &row(Label::CardLead, &format!("{} {}", c.id, cell(&c.name))))?;
    line(out, &row(Label::CardPrice, &c.price.to_string()))?;
    line(out, &row(Label::CardPipeline, &named(&c.pipeline_name, c.pipeline_id)))?;
    let kind = match c.stage_kind {
        StageKind::Open => Label::StageOpen,
        StageKind::Unsorted => Label::StageUnsorted,
        StageKind::Won => Label::StageWon,
        StageKind::Lost => Label::StageLost,
    };
    line(out, &row(Label::CardStage, &format!("{} ({})", named(&c.status_name, c.status_id), l(kind))))?;
    line(out, &row(Label::CardResponsible, &named(&c.responsible_name, c.responsible_user_id)))?;
    match (&c.loss_reason, c.loss_reason_id) {
        (Some(reason), _) => line(out, &row(Label::CardLossReason, &cell(reason)))?,
        (None, Some(id)) => line(out, &row(Label::CardLossReason, &id.to_string()))?,
        (None, None) => {}
    }
    if !c.tags.is_empty() {
        let tags: Vec<String> = c.tags.iter().map(|t| cell(t)).collect();
        line(out, &row(Label::CardTags, &tags.join(", ")))?;
    }
    if !c.contacts.is_empty() {
        let contacts: Vec<String> = c
            .contacts
            .iter()
            .map(|x| x.name.as_deref().map_or_else(|| x.id.to_string(), |n| format!("{} {}", x.id, cell(n))))
            .collect();
        line(out, &row(Label::CardContacts, &contacts.join(", ")))?;
    }
    line(out, &row(Label::Created, &wall_clock(&c.created)))?;
    let by = named(&c.updated_by_name, c.updated_by);
    line(out, &row(Label::Updated, &format!("{}, {by}", wall_clock(&c.updated))))?;
    if !c.fields.is_empty() {
        line(out, &format!("{}:", l(Label::CardFields)))?;
        for f in &c.fields {
            let value = match f.checked {
                Some(on) => l(if on { Label::Yes } else { Label::No }).to_string(),
                None => cell(&f.value),
            };
            line(out, &format!("  {}: {value}", cell(&f.name)))?;
        }
    }
    if !c.notes.is_empty() {
        line(out, &format!("{}:", l(Label::CardNotes)))?;
        for n in &c.notes {
            let who = named(&n.created_by_name, n.created_by);
            line(out, &format!("  {}  {who}  [{}]  {}", wall_clock(&n.created), cell(&n.note_type), cell(&n.text)))?;
        }
    }
    if !c.tasks.is_empty() {
        line(out, &format!("{}:", l(Label::CardOpenTasks)))?;
        for t in &c.tasks {
            let who = t.responsible_name.as_deref().map_or_else(|| t.responsible_user_id.to_string(), cell);
            line(out, &format!("  {}  {}  {who}  {}", wall_clock(&t.due), cell(&t.task_type), cell(&t.text)))?;
        }
    }
    Ok(())
}

pub fn pipelines(out: &mut (dyn Write + Send), pipelines: &[Pipeline], lang: Lang) -> Result<()> {
    if pipelines.is_empty() {
        return line(out, &text(Msg::NoPipelines, lang));
    }
    let l = |x| label(x, lang);
    line(
        out,
        &format!("{:<12}{:<12}{:<10}  {}", l(Label::Pipeline), l(Label::Stage), l(Label::Kind), l(Label::NameColumn)),
    )?;
    for p in pipelines {
        line(
            out,
            &format!("{:<12}{:<12}{:<10}  {}{}", p.id, "", "", cell(&p.name), if p.is_main { " *" } else { "" }),
        )?;
        for s in &p.statuses {
            let kind = match s.kind {
                StageKind::Open => "open",
                StageKind::Unsorted => "unsorted",
                StageKind::Won => "won",
                StageKind::Lost => "lost",
            };
            line(out, &format!("{:<12}{:<12}{:<10}  {}", "", s.id, kind, cell(&s.name)))?;
        }
    }
    Ok(())
}

/// `contact find`: each customer (id, name, company, phones and e-mails) and its open leads (id,
/// name, pipeline · stage, responsible) — names from the account's cached reference data; then
/// where the answer came from when it is the copy's alone.
pub fn customers(
    out: &mut (dyn Write + Send),
    found: &CustomerLookup,
    reference: Option<&ReferenceData>,
    offline: bool,
    lang: Lang,
) -> Result<()> {
    if found.customers.is_empty() {
        line(out, &text(Msg::NoCustomer, lang))?;
    }
    for c in &found.customers {
        let company = c.company_name.as_deref().map(|n| format!("  ({})", cell(n))).unwrap_or_default();
        let kind = if c.kind == PersonKind::Company { "  [company]" } else { "" };
        line(
            out,
            &format!(
                "{:<12}{}{kind}{company}  {}",
                c.id,
                cell(&c.name),
                cell(&[c.phones.clone(), c.emails.clone()].concat().join(", "))
            ),
        )?;
        for l in &c.open_leads {
            let pipeline = reference.and_then(|r| r.pipelines.iter().find(|p| p.id == l.pipeline_id));
            let stage = pipeline.and_then(|p| p.statuses.iter().find(|s| s.id == l.status_id));
            let where_ = match (pipeline, stage) {
                (Some(p), Some(s)) => format!("{} · {}", p.name, s.name),
                _ => format!("{}/{}", l.pipeline_id, l.status_id),
            };
            let who = reference
                .and_then(|r| r.users.iter().find(|u| u.id == l.responsible_user_id))
                .map_or_else(|| l.responsible_user_id.to_string(), |u| u.name.clone());
            line(out, &format!("  {:<12}{}  [{}]  {}", l.id, cell(&l.name), cell(&where_), cell(&who)))?;
        }
    }
    if let Some(secs) = found.copy_age_secs {
        line(out, &text(Msg::FromCopy { mins: secs / 60, asked: !offline }, lang))?;
    }
    Ok(())
}

/// `sync status`: the copy's size and freshness.
pub fn copy_status(out: &mut (dyn Write + Send), s: &CopyStatus, lang: Lang) -> Result<()> {
    if !s.enabled {
        return line(out, &text(Msg::CopyOff, lang));
    }
    let kib = s.bytes / 1024;
    line(out, &text(Msg::Copy { contacts: s.contacts, companies: s.companies, open_leads: s.open_leads, kib }, lang))?;
    if let Some(pages) = s.full_pass_pages {
        line(out, &text(Msg::CopyPassUnderWay { pages }, lang))?;
    }
    match s.fresh_at {
        Some(at) => line(out, &text(Msg::CopyFresh { mins: (amo_core::clock::now() - at).max(0) / 60 }, lang)),
        None => line(out, &text(Msg::CopyNeverSynced, lang)),
    }
}

/// `fields`: one line per field (id, type, code, name, `*` when only integrations set it), its
/// choices indented, and the stages that require it.
pub fn custom_fields(out: &mut (dyn Write + Send), fields: &[CustomField], lang: Lang) -> Result<()> {
    line(
        out,
        &format!("{:<12}{:<16}{:<16}  {}", "id", label(Label::Kind, lang), "code", label(Label::NameColumn, lang)),
    )?;
    for f in fields {
        let t =
            serde_json::to_value(f.field_type).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        let api_only = if f.is_api_only { " *api" } else { "" };
        line(
            out,
            &format!(
                "{:<12}{:<16}{:<16}  {}{api_only}",
                f.id,
                t,
                cell(f.code.as_deref().unwrap_or("-")),
                cell(&f.name)
            ),
        )?;
        for e in &f.enums {
            line(
                out,
                &format!("{:<12}{:<16}{:<16}    {}", "", e.id, cell(e.code.as_deref().unwrap_or("")), cell(&e.value)),
            )?;
        }
        for r in &f.required_statuses {
            line(
                out,
                &format!("{:<12}{}", "", text(Msg::RequiredIn { pipeline: r.pipeline_id, status: r.status_id }, lang)),
            )?;
        }
    }
    Ok(())
}

pub fn users(out: &mut (dyn Write + Send), r: &ReferenceData, lang: Lang) -> Result<()> {
    if r.users_restricted {
        line(out, &text(Msg::OnlyYou, lang))?;
    }
    line(out, &format!("{:<12}{:<30}  {}", "id", label(Label::NameColumn, lang), label(Label::Email, lang)))?;
    for u in &r.users {
        let mark = if Some(u.id) == r.current_user_id { " *" } else { "" };
        line(out, &format!("{:<12}{:<30}  {}{mark}", u.id, cell(&u.name), cell(u.email.as_deref().unwrap_or("-"))))?;
    }
    Ok(())
}

pub fn outbox_summary(out: &mut (dyn Write + Send), s: &OutboxSummary, lang: Lang) -> Result<()> {
    line(out, &text(Msg::Summary { waiting: s.queued, attention: s.attention, sent: s.sent }, lang))?;
    if s.banned {
        line(out, &Error::from(AmoError::AccountBanned).message(lang))
    } else if let Some(e) = &s.last_error {
        line(out, &format!("[{}] {}", e.code, cell(&e.message)))
    } else {
        Ok(())
    }
}

/// One line per entry; under an entry not yet sent, its steps: what reached amoCRM (with its id)
/// and what waits, may be there, or was refused.
pub fn outbox_items(out: &mut (dyn Write + Send), items: &[OutboxItem], lang: Lang) -> Result<()> {
    for i in items {
        let link = i.lead_url.clone().or(i.contact_url.clone()).unwrap_or_default();
        let why = i
            .error
            .as_ref()
            .filter(|_| i.state != OutboxState::Sent)
            .map(|e| format!(" [{}] {}", e.code, cell(&e.message)))
            .unwrap_or_default();
        line(out, &format!("#{:<5}{:<10}{:<30} {link}{why}", i.id, i.state.as_str(), cell(&i.title)))?;
        if i.state != OutboxState::Sent && !i.steps.is_empty() {
            let steps: Vec<String> = i
                .steps
                .iter()
                .map(|s| {
                    let id = s.amo_id.map(|id| format!(" {id}")).unwrap_or_default();
                    format!("{}: {}{id}", step_label(s.kind, lang), step_state_label(s.state, lang))
                })
                .collect();
            line(out, &format!("      {}", steps.join(" · ")))?;
        }
    }
    Ok(())
}

/// How one field's value of a conflict is shown.
type Shown<'a> = Box<dyn Fn(&str) -> String + 'a>;

/// A change that met somebody else's newer one (`amo_core::domain::change::Conflict`): who
/// changed the record and when, and each field the change sets as amoCRM has it now and as the
/// user meant it — stages, users, task types and loss reasons by name (the account's reference
/// data, when read), due times in the account's zone — then what the user can do.
pub fn conflict(
    out: &mut dyn Write,
    id: i64,
    c: &amo_core::domain::change::Conflict,
    r: Option<&ReferenceData>,
    reasons: &[amo_core::domain::change::LossReason],
    lang: Lang,
) -> Result<()> {
    let ru = lang == Lang::Ru;
    let pick = |a: &'static str, b: &'static str| if ru { a } else { b };
    let zone = r.map_or(amo_core::domain::zone::Zone::Local, ReferenceData::zone);
    let moment = |secs: i64| {
        let t = zone.rfc3339(secs);
        t.get(..16).map_or(t.clone(), |d| d.replacen('T', " ", 1))
    };
    let user = |uid: i64| -> String {
        match (uid, r.and_then(|r| r.users.iter().find(|u| u.id == uid))) {
            (_, Some(u)) if !u.name.trim().is_empty() => clean(&u.name),
            (0, _) => pick("робот или интеграция", "a robot or an integration").to_string(),
            (n, _) => format!("{} #{n}", pick("пользователь", "user")),
        }
    };
    let who = c.updated_by_name.clone().map_or_else(|| user(c.updated_by), |n| clean(&n));
    writeln!(out, "{}", text(Msg::ConflictHead { id, who: &who, when: &moment(c.updated_at) }, lang))
        .map_err(Error::output)?;
    let stage = |v: &str| -> String {
        let name = r.and_then(|r| {
            r.pipelines.iter().flat_map(|p| p.statuses.iter()).find(|s| s.id.to_string() == v).map(|s| s.name.clone())
        });
        name.map_or_else(|| v.to_string(), |n| clean(&n))
    };
    for f in &c.fields {
        let (label, shown): (String, Shown<'_>) = match f.field.as_str() {
            "status" => (pick("этап", "stage").into(), Box::new(stage)),
            "pipeline" => (
                pick("воронка", "pipeline").into(),
                Box::new(|v: &str| {
                    r.and_then(|r| r.pipelines.iter().find(|p| p.id.to_string() == v))
                        .map_or_else(|| v.to_string(), |p| clean(&p.name))
                }),
            ),
            "responsible_user_id" => (
                pick("ответственный", "responsible").into(),
                Box::new(|v: &str| v.parse().map_or_else(|_| v.to_string(), user)),
            ),
            "loss_reason_id" => (
                pick("причина отказа", "loss reason").into(),
                Box::new(|v: &str| {
                    reasons.iter().find(|x| x.id.to_string() == v).map_or_else(|| v.to_string(), |x| clean(&x.name))
                }),
            ),
            "task_type_id" => (
                pick("тип задачи", "task type").into(),
                Box::new(|v: &str| {
                    r.and_then(|r| r.task_types.iter().find(|t| t.id.to_string() == v))
                        .map_or_else(|| v.to_string(), |t| clean(&t.name))
                }),
            ),
            "due" => (pick("срок", "due").into(), Box::new(|v: &str| v.parse().map_or_else(|_| v.to_string(), moment))),
            "done" => (
                pick("выполнена", "done").into(),
                Box::new(|v: &str| label(if v == "true" { Label::Yes } else { Label::No }, lang).to_string()),
            ),
            "price" => (pick("бюджет", "price").into(), Box::new(|v: &str| v.to_string())),
            "name" => (pick("название", "name").into(), Box::new(|v: &str| clean(v))),
            "tags" => (pick("теги", "tags").into(), Box::new(|v: &str| clean(v))),
            "text" => (pick("текст", "text").into(), Box::new(|v: &str| clean(v))),
            "result" => (pick("результат", "result").into(), Box::new(|v: &str| clean(v))),
            other => {
                // `custom_fields.<id>`: the field's name as the account calls it.
                let id = other.strip_prefix("custom_fields.").unwrap_or(other);
                let name = r
                    .and_then(|r| r.lead_fields.iter().find(|x| x.id.to_string() == id))
                    .map_or_else(|| other.to_string(), |x| clean(&x.name));
                (name, Box::new(|v: &str| clean(v)))
            }
        };
        let (theirs, mine) = (shown(&f.theirs), shown(&f.mine));
        writeln!(out, "{}", text(Msg::ConflictRow { field: &label, theirs: &theirs, mine: &mine }, lang))
            .map_err(Error::output)?;
    }
    writeln!(out, "{}", text(Msg::ConflictHint { id }, lang)).map_err(Error::output)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lead named with a line break would print as two rows, the second one forged.
    #[test]
    fn a_name_cannot_forge_rows() {
        let forged = LeadSummary {
            id: 7,
            name: "Real\n999         2026-01-01T00:00:00Z            0  Forged\r\tx\u{2028}y\u{85}z".into(),
            price: 0,
            pipeline_id: 1,
            status_id: 2,
            responsible_user_id: 3,
            created_by: 3,
            created_at: 0,
            contact_ids: Vec::new(),
        };
        let mut out = Vec::new();
        leads(&mut out, &[forged], Lang::En).expect("print");
        let text = String::from_utf8(out).expect("utf-8");
        assert_eq!(text.lines().count(), 2, "the header and one row: {text}");
        assert!(text.contains(r"Real\n999 ") && text.contains(r"Forged\r\tx\u{2028}y\u{85}z"), "{text}");
        assert_eq!(cell("Order\u{1b}[2J \u{202e}1"), "Order[2J 1", "and what clean drops");
    }

    #[test]
    fn terminal_text_loses_escape_sequences_and_direction_overrides() {
        assert_eq!(clean("Order\u{1b}]0;pwned\u{7}\u{1b}[2J 1\u{202e}7"), "Order]0;pwned[2J 17");
        assert_eq!(clean("two\nlines\tok"), "two\nlines\tok");
    }
}
