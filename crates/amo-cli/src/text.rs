//! Every sentence the CLI prints, in Russian and English. Error messages come from the core
//! (`amo_core::i18n`); these are the CLI's own lines.

use amo_core::i18n::plural;
use amo_core::Lang;

/// A line the CLI prints.
pub enum Msg<'a> {
    Saved,
    SecretPrompt,
    SecretSaved,
    TokenPrompt,
    CodePrompt,
    BrowserFailed,
    Waiting {
        secs: u64,
    },
    Connected {
        name: &'a str,
        domain: &'a str,
    },
    CleanedUp {
        n: usize,
    },
    Disconnected,
    NoConnection,
    KeptForAccount {
        n: u32,
    },
    DiscardedPending {
        n: u32,
    },
    NoLeads,
    Queued {
        id: i64,
    },
    Sending {
        id: i64,
    },
    Merged,
    /// An entry stopped after part of it reached amoCRM (the lead or contact is there).
    PartlyThere {
        id: i64,
        /// The part in amoCRM, named ("contact", "сделка").
        part: String,
        amo_id: i64,
    },
    DueNow {
        n: usize,
    },
    Summary {
        waiting: u32,
        attention: u32,
        sent: u32,
    },
    ServerOverride {
        server: &'a str,
    },
    Discarded {
        id: i64,
    },
    NoPipelines,
    OnlyYou,
    RequiredIn {
        pipeline: i64,
        status: i64,
    },
    NoCustomer,
    /// `call log` with a call id already queued: that entry, not a second call.
    CallLoggedAlready {
        id: i64,
    },
    /// The copy of the account's people: its size, and how fresh.
    Copy {
        contacts: i64,
        companies: i64,
        open_leads: i64,
        kib: i64,
    },
    CopyFresh {
        mins: i64,
    },
    CopyNeverSynced,
    CopyPassUnderWay {
        pages: i64,
    },
    CopyOff,
    CopyOn,
    /// A lookup answered from the copy, this many minutes old.
    FromCopy {
        mins: i64,
        /// amoCRM was asked and did not answer (not `--offline`).
        asked: bool,
    },
    /// A new contact refused because amoCRM has one with its phone or e-mail.
    DuplicateHint,
    /// A sync ran: pages read, people written, dropped.
    Synced {
        full: bool,
        pages: i64,
        people: i64,
        removed: i64,
    },
    SyncProgress {
        pages: i64,
        people: i64,
    },
    /// `task list` with nothing to show.
    NoTasks,
    /// `task list` read as many tasks as it reads (`n`); later ones are left out.
    TasksTruncated {
        n: usize,
    },
    /// amoCRM could not be reached: the list is this computer's copy, read at `read_at`.
    TasksOffline {
        read_at: &'a str,
    },
    /// A change met somebody else's: who, when (the account's wall clock).
    ConflictHead {
        id: i64,
        who: &'a str,
        when: &'a str,
    },
    /// One field of a conflict: amoCRM's value now and the user's.
    ConflictRow {
        field: &'a str,
        theirs: &'a str,
        mine: &'a str,
    },
    /// What the user can do about a conflict.
    ConflictHint {
        id: i64,
    },
}

pub fn text(m: Msg<'_>, lang: Lang) -> String {
    let ru = lang == Lang::Ru;
    let pick = |r: String, e: String| if ru { r } else { e };
    match m {
        Msg::Saved => pick("Сохранено.".into(), "Saved.".into()),
        Msg::SecretPrompt => {
            pick("Вставьте Секретный ключ и нажмите Enter: ".into(), "Paste the Secret key and press Enter: ".into())
        }
        Msg::SecretSaved => pick(
            "Секретный ключ сохранён в системном хранилище паролей.".into(),
            "Secret key saved in the OS keychain.".into(),
        ),
        Msg::TokenPrompt => pick(
            "Вставьте долгосрочный токен и нажмите Enter: ".into(),
            "Paste the long-lived token and press Enter: ".into(),
        ),
        Msg::CodePrompt => pick(
            "Вставьте код авторизации и нажмите Enter: ".into(),
            "Paste the authorization code and press Enter: ".into(),
        ),
        Msg::BrowserFailed => pick(
            "Браузер не открылся — откройте ссылку выше вручную.".into(),
            "Could not open a browser; open the link above yourself.".into(),
        ),
        Msg::Waiting { secs } => pick(
            format!("Жду, пока amoCRM вернёт вас в приложение ({secs} с)…"),
            format!("Waiting for amoCRM to redirect back ({secs} s)…"),
        ),
        Msg::Connected { name, domain } => {
            pick(format!("Подключено: {name} ({domain})"), format!("Connected: {name} ({domain})"))
        }
        Msg::CleanedUp { n } => {
            // "…: N" reads right in Russian for any N; English needs the plural.
            let e = plural(lang, n as u64, ("state", "", "states"));
            pick(format!("Удалено просроченных состояний входа: {n}"), format!("Removed {n} expired sign-in {e}."))
        }
        Msg::Disconnected => pick(
            "Отключено: токены удалены из хранилища паролей.".into(),
            "Disconnected: tokens removed from the keychain.".into(),
        ),
        Msg::NoConnection => pick("Подключения не было.".into(), "There was no connection.".into()),
        Msg::KeptForAccount { n } => {
            let (r, e) = (
                plural(lang, u64::from(n), ("запись ждёт", "записи ждут", "записей ждут")),
                plural(lang, u64::from(n), ("entry waits", "", "entries wait")),
            );
            pick(
                format!("{n} {r} отправки в этот аккаунт: они уйдут только туда, когда он снова будет подключён (удалить: amo-connect outbox discard ID)."),
                format!("{n} {e} for this account: they go only there, when it is connected again (to remove one: amo-connect outbox discard ID)."),
            )
        }
        Msg::DiscardedPending { n } => {
            let e = plural(lang, u64::from(n), ("entry", "", "entries"));
            pick(format!("Удалено неотправленных записей: {n}"), format!("Removed {n} unsent {e}."))
        }
        Msg::NoLeads => pick("Сделок нет.".into(), "No leads.".into()),
        Msg::Queued { id } => pick(format!("В очереди: запись №{id}"), format!("Queued: outbox entry #{id}")),
        Msg::Sending { id } => {
            pick(format!("Запись №{id} в очереди, отправляю…"), format!("Entry #{id} queued; sending…"))
        }
        Msg::PartlyThere { id, part, amo_id } => pick(
            format!(
                "Часть записи уже в amoCRM: {part} ({amo_id}). Исправьте остальное: amo-connect outbox edit {id} --field …; \
                 не добавляйте её заново, иначе будет дубль."
            ),
            format!(
                "Part of it is already in amoCRM: its {part} ({amo_id}). Fix the rest with amo-connect outbox edit {id} --field …; \
                 adding it again would make a duplicate."
            ),
        ),
        Msg::Merged => pick(
            "amoCRM объединил её с существующей сделкой (контроль дублей).".into(),
            "amoCRM merged it into an existing lead (duplicate control).".into(),
        ),
        Msg::DueNow { n } => {
            let r = plural(lang, n as u64, ("запись", "записи", "записей"));
            let e = plural(lang, n as u64, ("entry", "", "entries"));
            pick(format!("К отправке: {n} {r}"), format!("Due now: {n} {e}"))
        }
        Msg::ServerOverride { server } => pick(
            format!("Внимание: задан AMO_CONNECT_SERVER — все запросы к amoCRM уходят на {server}, а не в amoCRM."),
            format!("Note: AMO_CONNECT_SERVER is set — every amoCRM request goes to {server}, not to amoCRM."),
        ),
        Msg::Discarded { id } => pick(format!("Запись №{id} удалена."), format!("Entry #{id} removed.")),
        Msg::NoPipelines => pick("Воронок нет.".into(), "No pipelines.".into()),
        Msg::OnlyYou => pick(
            "Список пользователей видят только администраторы amoCRM; показан только ваш.".into(),
            "Only amoCRM admins may list users; showing only you.".into(),
        ),
        Msg::NoCustomer => pick("Такого клиента в amoCRM нет.".into(), "No such customer in amoCRM.".into()),
        Msg::CallLoggedAlready { id } => pick(
            format!("Этот звонок уже в очереди (запись №{id}): второй раз он не записывается."),
            format!("This call is queued already (entry #{id}): it is not logged twice."),
        ),
        Msg::Copy { contacts, companies, open_leads, kib } => pick(
            format!("Копия на этом компьютере: контактов {contacts}, компаний {companies}, сделок в работе {open_leads}, около {kib} КиБ."),
            format!("Copy on this computer: {contacts} contacts, {companies} companies, {open_leads} open leads, about {kib} KiB."),
        ),
        Msg::CopyFresh { mins } => pick(
            format!("Сверена с amoCRM {mins} мин назад."),
            format!("Caught up with amoCRM {mins} min ago."),
        ),
        Msg::CopyNeverSynced => pick(
            "Ещё не заполнена: выполните amo-connect sync.".into(),
            "Not filled yet: run amo-connect sync.".into(),
        ),
        Msg::CopyPassUnderWay { pages } => pick(
            format!("Идёт полное чтение аккаунта: прочитано страниц {pages} (продолжится после перезапуска)."),
            format!("A full read of the account is under way: {pages} pages so far (it resumes after a restart)."),
        ),
        Msg::CopyOff => pick(
            "Копия выключена и удалена с этого компьютера.".into(),
            "The copy is off and wiped from this computer.".into(),
        ),
        Msg::CopyOn => pick(
            "Копия включена: её заполнит следующая синхронизация.".into(),
            "The copy is on: the next sync fills it.".into(),
        ),
        Msg::FromCopy { mins, asked: true } => pick(
            format!("(из копии на этом компьютере, {mins} мин назад; amoCRM сейчас не ответил)"),
            format!("(from this computer's copy, {mins} min old; amoCRM did not answer just now)"),
        ),
        Msg::FromCopy { mins, asked: false } => pick(
            format!("(из копии на этом компьютере, {mins} мин назад)"),
            format!("(from this computer's copy, {mins} min old)"),
        ),
        Msg::DuplicateHint => pick(
            "Привязать к нему: --contact-id ID (lead add); всё равно создать новый: --allow-duplicate.".into(),
            "To attach to it: --contact-id ID (lead add); to create a new one anyway: --allow-duplicate.".into(),
        ),
        Msg::Synced { full, pages, people, removed } => pick(
            format!(
                "{}: страниц {pages}, записано контактов и компаний {people}, убрано {removed}.",
                if full { "Полная синхронизация" } else { "Синхронизация" }
            ),
            format!(
                "{}: {pages} pages, {people} contacts and companies written, {removed} removed.",
                if full { "Full sync" } else { "Sync" }
            ),
        ),
        Msg::SyncProgress { pages, people } => pick(
            format!("страниц {pages}, контактов и компаний {people}…"),
            format!("{pages} pages, {people} contacts and companies…"),
        ),
        Msg::RequiredIn { pipeline, status } => pick(
            format!("обязательно на этапе {status} воронки {pipeline}"),
            format!("required in stage {status} of pipeline {pipeline}"),
        ),
        Msg::Summary { waiting, attention, sent } => pick(
            format!("В очереди: {waiting}, требуют внимания: {attention}, отправлено: {sent}"),
            format!("Waiting: {waiting}, needing attention: {attention}, sent: {sent}"),
        ),
        Msg::NoTasks => pick("Открытых задач нет.".into(), "No open tasks.".into()),
        Msg::ConflictHead { id, who, when } => pick(
            format!("Запись №{id} не отправлена: {who} изменил(а) это в amoCRM {when}, после того как вы это прочитали."),
            format!("Entry #{id} was not sent: {who} changed it in amoCRM at {when}, after you read it."),
        ),
        Msg::ConflictRow { field, theirs, mine } => pick(
            format!("  {field}: в amoCRM «{theirs}», у вас «{mine}»"),
            format!("  {field}: amoCRM has \"{theirs}\", yours is \"{mine}\""),
        ),
        Msg::ConflictHint { id } => pick(
            format!("Оставить их версию: amo-connect outbox discard {id}. Отправить свою поверх: amo-connect outbox send-mine {id}."),
            format!("Keep theirs: amo-connect outbox discard {id}. Send yours over it: amo-connect outbox send-mine {id}."),
        ),
        Msg::TasksTruncated { n } => pick(
            format!("Открытых задач больше {n}: показаны {n} ближайших по сроку, остальные не прочитаны."),
            format!("More than {n} open tasks: the {n} due soonest are shown, the rest were not read."),
        ),
        Msg::TasksOffline { read_at } => pick(
            format!("нет связи с amoCRM: показана копия, прочитанная {read_at}"),
            format!("offline: the copy read at {read_at}"),
        ),
    }
}

/// Labels of `status`, `lead list` and `config show`.
pub enum Label {
    Connected,
    Yes,
    No,
    Account,
    Domain,
    Auth,
    Token,
    ExpiresAt,
    Expired,
    ExpiresSoon,
    Valid,
    Created,
    Updated,
    Problem,
    CreatedColumn,
    PriceColumn,
    NameColumn,
    SecretSet,
    SecretNotSet,
    Days,
    Pipeline,
    Stage,
    Kind,
    Email,
    // `task list`: its columns, its piles, what a task is on.
    WhenColumn,
    DueColumn,
    TypeColumn,
    OnColumn,
    ResponsibleColumn,
    TextColumn,
    Overdue,
    Today,
    Tomorrow,
    ThisWeek,
    Later,
    LeadEntity,
    ContactEntity,
    CompanyEntity,
    CustomerEntity,
    // `lead show`: its labels and the stage kinds.
    CardLead,
    CardPrice,
    CardPipeline,
    CardStage,
    CardResponsible,
    CardLossReason,
    CardTags,
    CardContacts,
    CardFields,
    CardNotes,
    CardOpenTasks,
    StageOpen,
    StageUnsorted,
    StageWon,
    StageLost,
}

pub fn label(l: Label, lang: Lang) -> &'static str {
    let ru = lang == Lang::Ru;
    let pick = |r: &'static str, e: &'static str| if ru { r } else { e };
    match l {
        Label::Connected => pick("Подключено", "Connected"),
        Label::Yes => pick("да", "yes"),
        Label::No => pick("нет", "no"),
        Label::Account => pick("Аккаунт", "Account"),
        Label::Domain => pick("Домен", "Domain"),
        Label::Auth => pick("Вход", "Auth"),
        Label::Token => pick("Токен", "Access token"),
        Label::ExpiresAt => pick("Истекает", "Expires at"),
        Label::Expired => pick("истёк", "expired"),
        Label::ExpiresSoon => pick("истекает меньше чем через неделю", "expires within a week"),
        Label::Valid => pick("действует", "valid"),
        Label::Created => pick("Создано", "Created"),
        Label::Updated => pick("Обновлено", "Updated"),
        Label::Problem => pick("Проблема", "Problem"),
        Label::CreatedColumn => pick("создана", "created"),
        Label::PriceColumn => pick("бюджет", "price"),
        Label::NameColumn => pick("название", "name"),
        Label::SecretSet => pick("задан (в хранилище паролей)", "set (OS keychain)"),
        Label::SecretNotSet => pick("не задан", "not set"),
        Label::Days => pick("дн.", "days"),
        Label::Pipeline => pick("воронка", "pipeline"),
        Label::Stage => pick("этап", "stage"),
        Label::Kind => pick("вид", "kind"),
        Label::Email => pick("почта", "email"),
        Label::WhenColumn => pick("когда", "when"),
        Label::DueColumn => pick("срок", "due"),
        Label::TypeColumn => pick("тип", "type"),
        Label::OnColumn => pick("к чему", "on"),
        Label::ResponsibleColumn => pick("ответственный", "responsible"),
        Label::TextColumn => pick("текст", "text"),
        Label::Overdue => pick("просрочена", "overdue"),
        Label::Today => pick("сегодня", "today"),
        Label::Tomorrow => pick("завтра", "tomorrow"),
        Label::ThisWeek => pick("на неделе", "this week"),
        Label::Later => pick("позже", "later"),
        Label::LeadEntity => pick("сделка", "lead"),
        Label::ContactEntity => pick("контакт", "contact"),
        Label::CompanyEntity => pick("компания", "company"),
        Label::CustomerEntity => pick("покупатель", "customer"),
        Label::CardLead => pick("Сделка", "Lead"),
        Label::CardPrice => pick("Бюджет", "Price"),
        Label::CardPipeline => pick("Воронка", "Pipeline"),
        Label::CardStage => pick("Этап", "Stage"),
        Label::CardResponsible => pick("Ответственный", "Responsible"),
        Label::CardLossReason => pick("Причина отказа", "Loss reason"),
        Label::CardTags => pick("Теги", "Tags"),
        Label::CardContacts => pick("Контакты", "Contacts"),
        Label::CardFields => pick("Поля", "Fields"),
        Label::CardNotes => pick("Примечания", "Notes"),
        Label::CardOpenTasks => pick("Открытые задачи", "Open tasks"),
        Label::StageOpen => pick("в работе", "open"),
        Label::StageUnsorted => pick("неразобранное", "incoming"),
        Label::StageWon => pick("успешно", "won"),
        Label::StageLost => pick("отказ", "lost"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_use_the_plural_forms() {
        assert_eq!(text(Msg::DueNow { n: 1 }, Lang::Ru), "К отправке: 1 запись");
        assert_eq!(text(Msg::DueNow { n: 3 }, Lang::Ru), "К отправке: 3 записи");
        assert_eq!(text(Msg::DueNow { n: 5 }, Lang::Ru), "К отправке: 5 записей");
        assert_eq!(text(Msg::DueNow { n: 1 }, Lang::En), "Due now: 1 entry");
        assert_eq!(text(Msg::CleanedUp { n: 2 }, Lang::En), "Removed 2 expired sign-in states.");
        assert_eq!(text(Msg::CleanedUp { n: 1 }, Lang::En), "Removed 1 expired sign-in state.");
    }

    #[test]
    fn a_list_from_the_copy_says_when_it_was_read() {
        let m = || Msg::TasksOffline { read_at: "2026-12-05T06:12:00Z" };
        assert_eq!(text(m(), Lang::En), "offline: the copy read at 2026-12-05T06:12:00Z");
        assert_eq!(text(m(), Lang::Ru), "нет связи с amoCRM: показана копия, прочитанная 2026-12-05T06:12:00Z");
    }
}
