//! Error messages. English ones may quote amoCRM's or the OS's own (English) detail; Russian ones
//! never do — that detail is in the log.

use super::{plural, tr};
use crate::domain::lang::Lang;
use crate::domain::steps::StepKind;
use crate::error::{
    AmoError, CallbackProblem, EntryError, Error, KeychainError, LocalError, NetworkProblem, NotEditable, Setting,
    SettingProblem, SetupError, SignInError, TokenProblem, UpdateError,
};

pub(super) fn message(e: &Error, lang: Lang) -> String {
    match e {
        Error::Setup(e) => setup(e, lang),
        Error::SignIn(e) => sign_in(e, lang),
        Error::Amo(e) => amo(e, lang),
        Error::Keychain(e) => keychain(e, lang),
        Error::Local(e) => local(e, lang),
        Error::Entry(e) => entry(e, lang),
        Error::Update(e) => update(e, lang),
    }
}

/// The setting's name as the window labels it.
pub(crate) fn setting_name(s: Setting, lang: Lang) -> &'static str {
    let ru = lang == Lang::Ru;
    match s {
        Setting::Platform => {
            if ru {
                "Платформа"
            } else {
                "Platform"
            }
        }
        Setting::ClientId => "Integration ID",
        Setting::ClientSecret => {
            if ru {
                "Секретный ключ"
            } else {
                "Secret key"
            }
        }
        Setting::RedirectUri => "Redirect URI",
        Setting::Domain => {
            if ru {
                "Адрес аккаунта"
            } else {
                "Account address"
            }
        }
        Setting::Language => {
            if ru {
                "Язык"
            } else {
                "Language"
            }
        }
        Setting::KeepaliveDays => {
            if ru {
                "Обновлять токены каждые (дней)"
            } else {
                "Keep-alive age (days)"
            }
        }
        Setting::RetentionDays => {
            if ru {
                "Хранить отправленные записи (дней)"
            } else {
                "Keep sent entries (days)"
            }
        }
        Setting::BounceVia => {
            if ru {
                "Куда пересылает страница-посредник"
            } else {
                "Bounce page forwards to"
            }
        }
        Setting::Notifications => {
            if ru {
                "Уведомления"
            } else {
                "Notifications"
            }
        }
        Setting::NotificationDetails => {
            if ru {
                "Подробности в уведомлениях"
            } else {
                "Customer details in notifications"
            }
        }
        Setting::TaskNotifications => {
            if ru {
                "Уведомления о сроках задач"
            } else {
                "Notifications when tasks fall due"
            }
        }
        Setting::CloseToTray => {
            if ru {
                "Оставаться в трее при закрытии окна"
            } else {
                "Keep running in the tray"
            }
        }
        Setting::QuickEntryShortcut => {
            if ru {
                "Сочетание клавиш для новой сделки"
            } else {
                "Quick-entry shortcut"
            }
        }
        Setting::Autostart => {
            if ru {
                "Запуск вместе с компьютером"
            } else {
                "Start with the computer"
            }
        }
        Setting::BouncePort => {
            if ru {
                "Порт для страницы-посредника"
            } else {
                "Bounce page port"
            }
        }
        Setting::Server => "AMO_CONNECT_SERVER",
        Setting::Code => {
            if ru {
                "Код авторизации"
            } else {
                "Authorization code"
            }
        }
    }
}

fn problem(p: &SettingProblem, lang: Lang) -> String {
    use SettingProblem as P;
    match p {
        P::UnknownPlatform { value } => tr(
            lang,
            format!("«{value}» — не платформа; укажите amocrm или kommo"),
            format!("\"{value}\" is not a platform; use amocrm or kommo"),
        ),
        P::NotAUuid => tr(
            lang,
            "Integration ID выглядит так: 1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718 (скопируйте его со вкладки «Ключи и доступы» интеграции)",
            "an Integration ID looks like 1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718 (copy it from the integration's Keys tab)",
        ),
        P::Empty => tr(lang, "значение пустое", "the value is empty"),
        P::NotOneLine { max } => tr(
            lang,
            format!("нужна одна строка без пробелов, не длиннее {max} символов"),
            format!("it must be one line without spaces, at most {max} characters"),
        ),
        P::NotAnAbsoluteUrl => tr(
            lang,
            "нужен полный адрес, например http://127.0.0.1:53682/callback",
            "it must be a full address, e.g. http://127.0.0.1:53682/callback",
        ),
        P::HasFragment => tr(lang, "адрес не должен содержать «#…»", "it must not contain a #fragment"),
        P::HasQuery => tr(
            lang,
            "адрес не должен содержать «?…» — amoCRM добавляет свои параметры",
            "it must not contain a ?query; amoCRM appends its own",
        ),
        P::PlainHttpNotLoopback => tr(
            lang,
            "без шифрования (http) можно только для адреса этого компьютера 127.0.0.1; иначе используйте https",
            "plain http is only allowed for this computer's address 127.0.0.1; use https otherwise",
        ),
        P::NeedsPort => tr(
            lang,
            "для адреса этого компьютера укажите порт, например http://127.0.0.1:53682/callback",
            "a loopback address needs an explicit port, e.g. http://127.0.0.1:53682/callback",
        ),
        P::UnsupportedScheme { scheme } => tr(
            lang,
            format!("схема «{scheme}» не поддерживается; используйте http://127.0.0.1:ПОРТ/… или https://"),
            format!("scheme \"{scheme}\" is not supported here; use http://127.0.0.1:PORT/... or https://"),
        ),
        P::NotAnAccountAddress { value } => tr(
            lang,
            format!("«{value}» — не адрес аккаунта вида mycompany.amocrm.ru или mycompany.kommo.com"),
            format!("\"{value}\" is not an account address like mycompany.amocrm.ru or mycompany.kommo.com"),
        ),
        P::PortOutOfRange { port } => {
            tr(lang, format!("{port} — не порт от 1024 до 65535"), format!("{port} is not a port from 1024 to 65535"))
        }
        P::OutOfRange { value, min, max } => tr(
            lang,
            format!("{value} — вне допустимого диапазона {min}–{max}"),
            format!("{value} is not between {min} and {max}"),
        ),
        P::NotANumber { value } => {
            tr(lang, format!("«{value}» — не целое число"), format!("\"{value}\" is not a whole number"))
        }
        P::UnknownBounceVia { value } => tr(
            lang,
            format!("«{value}» — не вариант; укажите loopback или deep-link"),
            format!("\"{value}\" is not a choice; use loopback or deep-link"),
        ),
        P::NotOnOff { value } => tr(
            lang,
            format!("«{value}» — укажите on или off (да или нет)"),
            format!("\"{value}\" is not on or off (yes or no)"),
        ),
        P::BadShortcut { value } => tr(
            lang,
            format!("«{value}» — не сочетание клавиш; пример: Ctrl+Alt+N (нужен Ctrl, Alt или Super; пусто — выключить)"),
            format!("\"{value}\" is not a key combination; e.g. Ctrl+Alt+N (with Ctrl, Alt or Super; empty turns it off)"),
        ),
        P::ShortcutTaken { value } => tr(
            lang,
            format!("{value} уже занято другой программой; выберите другое сочетание"),
            format!("{value} is already taken by another program; choose another combination"),
        ),
        P::ShortcutUnavailable => tr(
            lang,
            "этот рабочий стол (Wayland) не даёт программам своих сочетаний клавиш; назначьте в настройках системы сочетание на команду «amo-connect new»",
            "this desktop (Wayland) does not let programs own key combinations; bind one to the command `amo-connect new` in the system's keyboard settings",
        ),
        P::AutostartFailed { detail } => tr(
            lang,
            "система не дала записать автозапуск (подробности в журнале)".to_string(),
            format!("the system refused the autostart entry: {detail}"),
        ),
        P::UnknownLanguage { value } => {
            tr(lang, format!("«{value}» — не ru и не en"), format!("\"{value}\" is not ru or en"))
        }
        P::NotLoopback => tr(
            lang,
            "в этой сборке это может быть только адрес этого компьютера (127.0.0.1, ::1 или localhost): туда уходят Секретный ключ и токены",
            "in this build it may only be this computer (127.0.0.1, ::1 or localhost): the Secret key and tokens are sent there",
        ),
        P::NotABaseUrl => tr(
            lang,
            "нужен адрес сервера вида http://127.0.0.1:8765",
            "it must be an http(s) base URL such as http://127.0.0.1:8765",
        ),
    }
}

fn setup(e: &SetupError, lang: Lang) -> String {
    match e {
        SetupError::NotConfigured(what) => {
            let name = setting_name(*what, lang);
            tr(
                lang,
                format!("Не задано: {name}. Заполните это в Настройках (или командой amo-connect config)."),
                format!("{name} is not set. Fill it in Settings (or with `amo-connect config`)."),
            )
        }
        SetupError::InvalidSetting { field, problem: p } => {
            let name = setting_name(*field, lang);
            tr(
                lang,
                format!("Неверное значение «{name}»: {}", problem(p, lang)),
                format!("Invalid {name}: {}", problem(p, lang)),
            )
        }
    }
}

fn sign_in(e: &SignInError, lang: Lang) -> String {
    use SignInError as E;
    match e {
        E::StateUnknown => tr(
            lang,
            "Ответ amoCRM не относится ни к одному начатому подключению (неизвестный state). Нажмите «Подключить» ещё раз.",
            "The amoCRM response does not belong to any sign-in this app started (unknown state). Press Connect again.",
        ),
        E::StateExpired => tr(
            lang,
            "Ссылка для входа устарела (действует 15 минут). Нажмите «Подключить» ещё раз.",
            "The sign-in link has expired (it is valid for 15 minutes). Press Connect again.",
        ),
        E::StateReplayed => tr(
            lang,
            "Этот ответ amoCRM больше не действует: он уже был использован или его заменил более новый вход. Ответ отклонён.",
            "This amoCRM response is no longer valid: it was already used, or a newer sign-in replaced it. It is refused.",
        ),
        E::CallbackMissingCode => tr(
            lang,
            "amoCRM вернул ответ без кода авторизации. Попробуйте подключиться ещё раз.",
            "amoCRM redirected back without an authorization code. Try connecting again.",
        ),
        E::CallbackInvalid { problem } => {
            let (ru, en) = match problem {
                CallbackProblem::NotOurLink => ("это не ссылка входа Amo Connect", "it is not an Amo Connect sign-in link"),
                CallbackProblem::NoReferer => ("в нём нет адреса аккаунта", "it has no account address (referer)"),
                CallbackProblem::ForeignReferer => (
                    "адрес аккаунта в нём — не адрес amoCRM или Kommo",
                    "its account address is not an amoCRM or Kommo address",
                ),
                CallbackProblem::CodeTooLong => ("код в нём неправдоподобно длинный", "its code is implausibly long"),
            };
            tr(lang, format!("Ответ amoCRM некорректен: {ru}."), format!("The amoCRM response is malformed: {en}."))
        }
        E::AccessDenied => tr(
            lang,
            "Доступ не предоставлен: в amoCRM нажали «Отказать». Подключение не создано.",
            "Access was denied in amoCRM. No connection was made.",
        ),
        E::CallbackError { error } => tr(
            lang,
            "amoCRM вернул ошибку вместо кода авторизации. Попробуйте подключиться ещё раз.",
            format!("amoCRM returned the error \"{error}\" instead of an authorization code. Try connecting again."),
        ),
        E::InvalidClientId => tr(
            lang,
            "amoCRM не узнал Integration ID. Скопируйте его заново со вкладки «Ключи и доступы» интеграции.",
            "amoCRM does not recognise the Integration ID. Copy it again from the integration's Keys tab.",
        ),
        E::InvalidClientSecret => tr(
            lang,
            "amoCRM отклонил Секретный ключ. Скопируйте его заново со вкладки «Ключи и доступы» интеграции.",
            "amoCRM rejected the Secret key. Copy it again from the integration's Keys tab.",
        ),
        E::RedirectUriMismatch => tr(
            lang,
            "Redirect URI в настройках приложения не совпадает с указанным в интеграции amoCRM (важен каждый символ, включая «/» в конце).",
            "The Redirect URI in the app's settings differs from the one registered in the amoCRM integration (every character counts, including a trailing slash).",
        ),
        E::CodeExpired => tr(
            lang,
            "Код авторизации истёк (он действует 20 минут). Подключитесь ещё раз.",
            "The authorization code has expired (codes last 20 minutes). Connect again.",
        ),
        E::CodeRevoked => tr(
            lang,
            "Код авторизации уже был использован. Подключитесь ещё раз.",
            "The authorization code was already used. Connect again.",
        ),
        E::CodeInvalid => tr(
            lang,
            "amoCRM не принял код авторизации. Подключитесь ещё раз.",
            "amoCRM did not accept the authorization code. Connect again.",
        ),
        E::TokenRejected { status, hint } => tr(
            lang,
            format!("amoCRM отклонил запрос токена (ответ HTTP {status})."),
            format!("amoCRM rejected the token request (HTTP {status}: {hint})."),
        ),
        E::TokenRevoked { hint } => match hint {
            Some(h) => tr(
                lang,
                "amoCRM отозвал доступ этого подключения. Нужно переподключиться.",
                format!("amoCRM revoked this connection's access ({h}). Reconnect to continue."),
            ),
            None => tr(
                lang,
                "amoCRM ранее отказал в обновлении токенов этого подключения. Нужно переподключиться.",
                "amoCRM refused to refresh this connection's tokens earlier. Reconnect to continue.",
            ),
        },
        E::TokenInvalid { problem } => {
            let (ru, en) = match problem {
                TokenProblem::NotAJwt => ("в нём нет трёх частей через точку", "it is not three dot-separated parts"),
                TokenProblem::NoExpiry => ("в нём не указан срок действия", "it has no expiry"),
            };
            tr(
                lang,
                format!("Это не долгосрочный токен amoCRM: {ru}. Скопируйте токен целиком со вкладки «Ключи и доступы»."),
                format!("This is not an amoCRM long-lived token: {en}. Copy the whole token from the integration's Keys tab."),
            )
        }
        E::TokenExpired => tr(
            lang,
            "Срок действия долгосрочного токена истёк. Создайте новый на вкладке «Ключи и доступы» интеграции.",
            "The long-lived token has expired. Generate a new one in the integration's Keys tab.",
        ),
        E::ConnectTimeout => tr(
            lang,
            "amoCRM так и не вернул пользователя в приложение (время ожидания вышло). Нажмите «Подключить» ещё раз.",
            "amoCRM never redirected back to the app (the wait timed out). Press Connect again.",
        ),
        E::Cancelled => tr(lang, "Подключение отменено.", "Sign-in was cancelled."),
        E::PortInUse { port } => tr(
            lang,
            format!("Порт {port} на 127.0.0.1 занят другой программой. Закройте её или выберите другой порт в Redirect URI (и в интеграции amoCRM)."),
            format!("Port {port} on 127.0.0.1 is used by another program. Close it or choose another port in the Redirect URI (and in the amoCRM integration)."),
        ),
    }
}

fn network(p: NetworkProblem, lang: Lang) -> String {
    let (ru, en) = match p {
        NetworkProblem::TimedOut => ("время ожидания ответа вышло", "the request timed out"),
        NetworkProblem::Unresolved => ("адрес не найден (DNS)", "the address could not be resolved"),
        NetworkProblem::Refused => ("соединение отклонено", "the connection was refused"),
        NetworkProblem::CannotConnect => ("не удалось соединиться", "could not connect"),
        NetworkProblem::Interrupted => ("соединение оборвалось", "the connection broke"),
    };
    tr(lang, ru, en)
}

fn amo(e: &AmoError, lang: Lang) -> String {
    match e {
        AmoError::NotConnected => tr(
            lang,
            "Нет подключения к amoCRM. Нажмите «Подключить amoCRM».",
            "Not connected to amoCRM. Press Connect amoCRM.",
        ),
        AmoError::Unauthorized => tr(
            lang,
            "amoCRM не принял токен доступа. Переподключитесь.",
            "amoCRM did not accept the access token. Reconnect.",
        ),
        AmoError::RateLimited => tr(
            lang,
            "amoCRM ограничил частоту запросов (429). Повторите чуть позже.",
            "amoCRM is rate limiting requests (429). Try again shortly.",
        ),
        AmoError::AccountBanned => tr(
            lang,
            "amoCRM заблокировал доступ к API аккаунта (403) из-за превышения лимита запросов. Снять блокировку может только поддержка amoCRM.",
            "amoCRM has blocked API access for this account (403) after too many requests. Only amoCRM support can lift the block.",
        ),
        AmoError::ServerError { status } => tr(
            lang,
            format!("Сервер amoCRM ответил ошибкой {status}. Повторите позже."),
            format!("The amoCRM server answered with error {status}. Try again later."),
        ),
        AmoError::NotPaid => tr(
            lang,
            "Аккаунт amoCRM не оплачен (402): amoCRM не принимает запросы, пока подписка не продлена.",
            "The amoCRM account is not paid (402): amoCRM accepts no requests until the subscription is renewed.",
        ),
        AmoError::Forbidden { hint } => tr(
            lang,
            "amoCRM запретил это действие для вашего пользователя (403).",
            format!("amoCRM does not allow this for your user (403): {hint}"),
        ),
        AmoError::AmoNotFound { hint } => tr(
            lang,
            "amoCRM не нашёл запрошенный объект (404): возможно, его удалили.",
            format!("amoCRM does not have the requested object (404): {hint}"),
        ),
        AmoError::RequestRefused { status, hint } => tr(
            lang,
            format!("amoCRM не принял запрос (ответ HTTP {status}) и не примет его без изменений."),
            format!("amoCRM refused the request (HTTP {status}: {hint}) and will not take it unchanged."),
        ),
        AmoError::UnexpectedResponse { detail } => tr(
            lang,
            "amoCRM ответил не так, как ожидалось. Подробности — в журнале приложения.",
            format!("Unexpected response from amoCRM: {detail}"),
        ),
        AmoError::Network { problem } => {
            let why = network(*problem, lang);
            tr(
                lang,
                format!("Нет связи с amoCRM: {why}. Проверьте интернет."),
                format!("Cannot reach amoCRM: {why}. Check the internet connection."),
            )
        }
        AmoError::LeadNotFound { id } => tr(
            lang,
            format!("В amoCRM нет сделки {id}: её удалили, объединили с другой или номер набран с ошибкой."),
            format!("amoCRM has no lead {id}: it was deleted, merged into another, or the id is mistyped."),
        ),
    }
}

fn keychain(e: &KeychainError, lang: Lang) -> String {
    match e {
        KeychainError::KeychainUnavailable { .. } => tr(
            lang,
            "Системное хранилище паролей недоступно (Secret Service / Связка ключей / Диспетчер учётных данных). Токены не сохраняются в открытом виде, поэтому подключение невозможно.",
            "The system keychain is not available (Secret Service / Keychain / Credential Manager). Tokens are never stored in plain text, so the app cannot connect.",
        ),
        KeychainError::KeychainLocked { .. } => tr(
            lang,
            "Системное хранилище паролей заблокировано. Разблокируйте его (войдите в сеанс) и повторите.",
            "The system keychain is locked. Unlock it (log in to your session) and try again.",
        ),
        KeychainError::KeychainCorrupt { .. } => tr(
            lang,
            "Запись Amo Connect в системном хранилище паролей повреждена. Переподключитесь, чтобы записать её заново.",
            "Amo Connect's entry in the system keychain is damaged. Reconnect to write it again.",
        ),
        KeychainError::KeychainTimeout { secs } => tr(
            lang,
            format!("Системное хранилище паролей не ответило за {secs} с. Возможно, оно ждёт разблокировки или зависло; разблокируйте его или перезапустите сеанс и повторите."),
            format!("The system keychain did not answer within {secs} s. It may be waiting to be unlocked, or stuck; unlock it or restart the session, and try again."),
        ),
        KeychainError::KeychainRefused { detail } => tr(
            lang,
            "Системное хранилище паролей не приняло значение.",
            format!("The system keychain refused the value: {detail}."),
        ),
    }
}

fn local(e: &LocalError, lang: Lang) -> String {
    match e {
        LocalError::Storage { detail } => tr(
            lang,
            "Ошибка локальной базы данных приложения. Подробности — в журнале приложения.",
            format!("Local database error: {detail}"),
        ),
        LocalError::DataDir { path: Some(path), detail } => tr(
            lang,
            format!("Не удалось открыть папку данных {path}. Проверьте права доступа к ней."),
            format!("Cannot use the data directory {path}: {detail}"),
        ),
        LocalError::DataDir { path: None, .. } => tr(
            lang,
            "В этой системе нет папки для данных программ. Укажите папку в переменной окружения AMO_CONNECT_DATA_DIR.",
            "This system has no folder for application data. Name one in the AMO_CONNECT_DATA_DIR environment variable.",
        ),
        LocalError::LockFile { detail } => tr(
            lang,
            "Не удалось взять файл блокировки в папке данных. Проверьте права доступа к ней.",
            format!("Cannot take a lock file in the data directory: {detail}"),
        ),
        LocalError::Output { detail } => {
            tr(lang, "Не удалось вывести результат.", format!("Cannot write the output: {detail}"))
        }
        LocalError::Input { detail } => {
            tr(lang, "Не удалось прочитать стандартный ввод.", format!("Cannot read standard input: {detail}"))
        }
        LocalError::Internal { detail } => tr(
            lang,
            "Внутренняя ошибка приложения. Подробности — в журнале приложения.",
            format!("Internal error: {detail}"),
        ),
        LocalError::NoCopy { off: true } => tr(
            lang,
            "Копия клиентов аккаунта на этом компьютере выключена (Настройки). Поиск идёт только в amoCRM.",
            "The copy of the account's customers on this computer is turned off (Settings). Search amoCRM instead.",
        ),
        LocalError::NoCopy { off: false } => tr(
            lang,
            "На этом компьютере ещё нет копии клиентов аккаунта: она заполнится после первой синхронизации (кнопка «Обновить» в Настройках).",
            "This computer has no copy of the account's customers yet: the first sync fills it (Refresh in Settings).",
        ),
    }
}

fn entry(e: &EntryError, lang: Lang) -> String {
    match e {
        EntryError::Validation(fields) => {
            let list: Vec<String> = fields
                .iter()
                .map(|f| {
                    let label = f.label.clone().unwrap_or_else(|| super::fields::field_label(&f.field, lang));
                    format!("{label}: {}", super::field_message(f, lang))
                })
                .collect();
            let n = fields.len() as u64;
            tr(
                lang,
                format!("Проверьте {} — {}", plural(lang, n, ("поле", "поля", "поля")), list.join("; ")),
                format!("Check the {} — {}", plural(lang, n, ("field", "", "fields")), list.join("; ")),
            )
        }
        EntryError::EntryNotEditable { id, why } => {
            let (ru, en) = match why {
                NotEditable::MayBeInAmocrm => (
                    "она, возможно, уже есть в amoCRM — измените её там",
                    "it may already be in amoCRM; change it there",
                ),
                NotEditable::KindChanges => {
                    ("сделка не может стать контактом и наоборот", "an entry keeps its kind (lead or contact)")
                }
                NotEditable::StillToBeSent => (
                    "удалить можно только записи, требующие внимания; ожидающие ещё будут отправлены",
                    "only entries needing attention can be removed; waiting ones are still to be sent",
                ),
                NotEditable::BeingSent => (
                    "она отправляется прямо сейчас — посмотрите, чем это закончится, и попробуйте снова",
                    "it is being sent right now; see how that ends, then try again",
                ),
                NotEditable::NoConflict => (
                    "она не ждёт решения о чужом изменении",
                    "it is not waiting on a change somebody else made",
                ),
                NotEditable::Damaged => (
                    "её сохранённую копию не удаётся прочитать — удалите её и введите заново",
                    "its stored copy cannot be read; discard it and type it again",
                ),
                NotEditable::PartInAmocrm { part } => {
                    let name = |l| StepKind::parse(part).map_or_else(|| part.clone(), |k| super::step_label(k, l));
                    return tr(
                        lang,
                        format!(
                            "Запись №{id} можно исправить только в том, что ещё не дошло до amoCRM: часть «{}» уже может быть там и измениться не может.",
                            name(Lang::Ru)
                        ),
                        format!(
                            "Entry #{id} can be fixed only where it has not reached amoCRM: its {} may already be there and cannot change.",
                            name(Lang::En)
                        ),
                    );
                }
            };
            tr(
                lang,
                format!("Запись №{id} нельзя изменить или удалить здесь: {ru}."),
                format!("Entry #{id} cannot be changed or removed here: {en}."),
            )
        }
        EntryError::StillQueued { id, cause } => {
            let why = cause.as_ref().map(|c| message(c, lang));
            match why {
                Some(why) => tr(
                    lang,
                    format!("Запись №{id} сохранена в очереди и будет отправлена, когда amoCRM станет доступен. Последняя ошибка: {why}"),
                    format!("Entry #{id} is kept in the outbox and will be sent when amoCRM is reachable. Last error: {why}"),
                ),
                None => tr(
                    lang,
                    format!("Запись №{id} сохранена в очереди и ещё не отправлена."),
                    format!("Entry #{id} is kept in the outbox and not sent yet."),
                ),
            }
        }
        // Nothing was refused: somebody changed the record; the conflict says it all.
        EntryError::EntryNeedsAttention { cause: Some(c), .. }
            if matches!(c.as_ref(), Error::Entry(EntryError::Conflict { .. })) =>
        {
            message(c, lang)
        }
        EntryError::EntryNeedsAttention { id, cause } => {
            let why = cause.as_ref().map(|c| message(c, lang)).unwrap_or_default();
            tr(
                lang,
                format!("amoCRM не принял запись №{id}; она ждёт исправления в Истории. {why}"),
                format!("amoCRM refused entry #{id}; it waits in History to be fixed. {why}"),
            )
            .trim_end()
            .to_string()
        }
        EntryError::ReconcileAmbiguous { id, candidates } => tr(
            lang,
            format!(
                "Связь оборвалась, когда запись №{id} отправлялась, и в amoCRM теперь {candidates} {} от вашего имени в ту же секунду с теми же данными. Проверьте в amoCRM, есть ли среди них ваша, затем удалите запись здесь или введите её заново.",
                plural(lang, u64::from(*candidates), ("подходящая запись", "подходящие записи", "подходящих записей"))
            ),
            format!(
                "The connection broke while entry #{id} was being sent, and amoCRM now has {candidates} matching objects made as you in that same second. Check in amoCRM whether yours is among them, then remove the entry here or type it again."
            ),
        ),
        EntryError::NotFound { id } => {
            tr(lang, format!("В очереди нет записи №{id}."), format!("There is no outbox entry #{id}."))
        }
        EntryError::Conflict { id, conflict } => {
            let who = match (&conflict.updated_by_name, conflict.updated_by) {
                (Some(name), _) => name.clone(),
                (None, 0) => tr(lang, "amoCRM (робот или интеграция)", "amoCRM (a robot or an integration)"),
                (None, n) => tr(lang, format!("пользователь №{n}"), format!("user #{n}")),
            };
            let what = if conflict.entity == "tasks" {
                tr(lang, format!("задачу №{}", conflict.record_id), format!("task #{}", conflict.record_id))
            } else {
                tr(lang, format!("сделку №{}", conflict.record_id), format!("lead #{}", conflict.record_id))
            };
            let fields: Vec<String> = conflict
                .fields
                .iter()
                .map(|f| {
                    tr(
                        lang,
                        format!("{} — у них: {}, у вас: {}", f.field, f.theirs, f.mine),
                        format!("{} — theirs: {}, yours: {}", f.field, f.theirs, f.mine),
                    )
                })
                .collect();
            let list = if fields.is_empty() { String::new() } else { format!(" ({})", fields.join("; ")) };
            tr(
                lang,
                format!("Запись №{id} не отправлена: {who} изменил(а) {what} в amoCRM после того, как вы её открыли{list}. Оставьте их версию (удалите запись) или отправьте свою поверх."),
                format!("Entry #{id} was not sent: {who} changed {what} in amoCRM after you opened it{list}. Keep theirs (discard the entry) or send yours over it."),
            )
        }
        EntryError::OtherAccount { id, domain } => tr(
            lang,
            format!("Запись №{id} введена для аккаунта {domain} и будет отправлена только туда — когда он снова будет подключён. Её можно удалить в Истории."),
            format!("Entry #{id} was typed for the account {domain} and goes only there, when it is connected again. You can discard it in History."),
        ),
    }
}

fn update(e: &UpdateError, lang: Lang) -> String {
    match e {
        UpdateError::UpdateNotConfigured => tr(
            lang,
            "В этой сборке не настроен источник обновлений (она собрана локально). Новые версии — на странице выпусков.",
            "This build has no update source (it was built locally). Get new versions from the releases page.",
        ),
        UpdateError::UpdateCheckFailed { detail } => tr(
            lang,
            "Не удалось проверить обновления. Проверьте интернет и повторите.",
            format!("Could not check for updates: {detail}. Check the internet connection and try again."),
        ),
        UpdateError::UpdateDownloadFailed { detail } => tr(
            lang,
            "Не удалось скачать обновление. Повторите позже.",
            format!("Could not download the update: {detail}. Try again later."),
        ),
        UpdateError::UpdateSignatureInvalid { .. } => tr(
            lang,
            "Скачанное обновление не подписано разработчиками Amo Connect, поэтому оно не установлено.",
            "The downloaded update is not signed by the Amo Connect developers, so it was not installed.",
        ),
        UpdateError::UpdateInstallFailed { detail } => tr(
            lang,
            "Обновление скачано, но не установлено. Установите новую версию вручную со страницы выпусков.",
            format!("The update was downloaded but not installed: {detail}. Install the new version by hand from the releases page."),
        ),
        UpdateError::NoUpdate => tr(
            lang,
            "Нечего устанавливать: сначала проверьте обновления.",
            "There is no update to install: check for updates first.",
        ),
        UpdateError::UpdateInProgress => tr(
            lang,
            "Обновление уже устанавливается. Дождитесь перезапуска программы.",
            "The update is already being installed. Wait for the app to restart.",
        ),
    }
}
