//! One error type for the whole core. Every variant has a stable machine `code` (the UI and the
//! CLI switch on it; other programs parse it from `error[code]: …`) and a human message in
//! Russian and English. Messages never contain a token, a code, a secret or a callback URL.

use serde::Serialize;
use ts_rs::TS;

use crate::lang::Lang;
use crate::updates::UpdateStage;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not configured: {0}")]
    NotConfigured(&'static str),
    #[error("invalid setting {field}: {reason}")]
    InvalidSetting { field: &'static str, reason: String },
    #[error("unknown state")]
    StateUnknown,
    #[error("expired state")]
    StateExpired,
    #[error("state already used")]
    StateReplayed,
    #[error("callback without code")]
    CallbackMissingCode,
    #[error("callback is malformed: {0}")]
    CallbackInvalid(String),
    #[error("access denied by the user")]
    AccessDenied,
    #[error("amoCRM returned error {0} on the callback")]
    CallbackError(String),
    #[error("wrong Integration ID")]
    InvalidClientId,
    #[error("wrong Secret key")]
    InvalidClientSecret,
    #[error("redirect URI mismatch")]
    RedirectUriMismatch,
    #[error("authorization code expired")]
    CodeExpired,
    #[error("authorization code already used")]
    CodeRevoked,
    #[error("authorization code invalid")]
    CodeInvalid,
    #[error("token request rejected: {0}")]
    TokenRejected(String),
    #[error("the connection was revoked: {0}")]
    TokenRevoked(String),
    #[error("long-lived token malformed: {0}")]
    TokenInvalid(String),
    #[error("long-lived token expired")]
    TokenExpired,
    #[error("not connected")]
    NotConnected,
    #[error("amoCRM rejected the access token")]
    Unauthorized,
    #[error("rate limited by amoCRM")]
    RateLimited,
    #[error("account blocked by amoCRM")]
    AccountBanned,
    #[error("amoCRM server error {0}")]
    ServerError(u16),
    #[error("unexpected response from amoCRM: {0}")]
    UnexpectedResponse(String),
    #[error("network error: {0}")]
    Network(String),
    #[error("timed out waiting for the amoCRM callback")]
    ConnectTimeout,
    #[error("sign-in was cancelled")]
    Cancelled,
    #[error("port {0} is in use")]
    PortInUse(u16),
    #[error("keychain unavailable: {0}")]
    KeychainUnavailable(String),
    #[error("keychain locked: {0}")]
    KeychainLocked(String),
    /// Field-level problems, found by us before sending or by amoCRM (`validation-errors`).
    #[error("validation failed: {} field(s)", .0.len())]
    Validation(Vec<crate::model::FieldError>),
    /// amoCRM answered 403 with JSON: the token's user may not do this (e.g. list users).
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// An outbox entry that may not be edited or removed (it may be in amoCRM already, or is
    /// still to be sent).
    #[error("outbox entry {id} cannot be changed: {reason}")]
    EntryNotEditable { id: i64, reason: String },
    /// The item is safe in the outbox but not in amoCRM yet (the CLI stopped waiting).
    #[error("outbox item {id} is still queued")]
    StillQueued { id: i64, reason: String },
    /// Updating the app failed at `stage`; `detail` is the updater's reason (no secrets: the
    /// update source is public).
    #[error("update failed ({stage:?}): {detail}")]
    Update { stage: crate::updates::UpdateStage, detail: String },
    #[error("storage error: {0}")]
    Storage(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The stable code. Changing one is a breaking change for the UI and for scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotConfigured(_) => "not_configured",
            Error::InvalidSetting { .. } => "invalid_setting",
            Error::StateUnknown => "state_unknown",
            Error::StateExpired => "state_expired",
            Error::StateReplayed => "state_replayed",
            Error::CallbackMissingCode => "callback_missing_code",
            Error::CallbackInvalid(_) => "callback_invalid",
            Error::AccessDenied => "access_denied",
            Error::CallbackError(_) => "callback_error",
            Error::InvalidClientId => "invalid_client_id",
            Error::InvalidClientSecret => "invalid_client_secret",
            Error::RedirectUriMismatch => "redirect_uri_mismatch",
            Error::CodeExpired => "code_expired",
            Error::CodeRevoked => "code_revoked",
            Error::CodeInvalid => "code_invalid",
            Error::TokenRejected(_) => "token_rejected",
            Error::TokenRevoked(_) => "token_revoked",
            Error::TokenInvalid(_) => "token_invalid",
            Error::TokenExpired => "token_expired",
            Error::NotConnected => "not_connected",
            Error::Unauthorized => "unauthorized",
            Error::RateLimited => "rate_limited",
            Error::AccountBanned => "account_banned",
            Error::ServerError(_) => "server_error",
            Error::UnexpectedResponse(_) => "unexpected_response",
            Error::Network(_) => "network",
            Error::ConnectTimeout => "connect_timeout",
            Error::Cancelled => "cancelled",
            Error::PortInUse(_) => "port_in_use",
            Error::KeychainUnavailable(_) => "keychain_unavailable",
            Error::KeychainLocked(_) => "keychain_locked",
            Error::Validation(_) => "validation",
            Error::Forbidden(_) => "forbidden",
            Error::NotFound(_) => "not_found",
            Error::EntryNotEditable { .. } => "entry_not_editable",
            Error::StillQueued { .. } => "still_queued",
            Error::Update { stage, .. } => match stage {
                UpdateStage::NotConfigured => "update_not_configured",
                UpdateStage::Check => "update_check_failed",
                UpdateStage::Download => "update_download_failed",
                UpdateStage::Signature => "update_signature_invalid",
                UpdateStage::Install => "update_install_failed",
            },
            Error::Storage(_) => "storage",
            Error::Internal(_) => "internal",
        }
    }

    /// A message for a person, in their language. Details that help (which field, which port)
    /// are included; secrets never are, because no variant carries one.
    pub fn message(&self, lang: Lang) -> String {
        let ru = lang == Lang::Ru;
        match self {
            Error::NotConfigured(what) => {
                let what_ru = match *what {
                    "client_id" => "Integration ID",
                    "client_secret" => "Секретный ключ",
                    "redirect_uri" => "Redirect URI",
                    other => other,
                };
                let what_en = match *what {
                    "client_id" => "Integration ID",
                    "client_secret" => "Secret key",
                    "redirect_uri" => "Redirect URI",
                    other => other,
                };
                if ru {
                    format!("Не задано: {what_ru}. Заполните его в Настройках (или `amo-connect config`).")
                } else {
                    format!("{what_en} is not set. Fill it in Settings (or with `amo-connect config`).")
                }
            }
            Error::InvalidSetting { field, reason } => {
                if ru {
                    format!("Неверное значение «{field}»: {reason}")
                } else {
                    format!("Invalid {field}: {reason}")
                }
            }
            Error::StateUnknown => t(
                ru,
                "Ответ amoCRM не относится ни к одному начатому подключению (неизвестный state). Нажмите «Подключить» ещё раз.",
                "The amoCRM response does not belong to any sign-in this app started (unknown state). Press Connect again.",
            ),
            Error::StateExpired => t(
                ru,
                "Ссылка для входа устарела (действует 15 минут). Нажмите «Подключить» ещё раз.",
                "The sign-in link has expired (it is valid for 15 minutes). Press Connect again.",
            ),
            Error::StateReplayed => t(
                ru,
                "Этот ответ amoCRM больше не действует: он уже был использован или его заменил более новый вход. Ответ отклонён.",
                "This amoCRM response is no longer valid: it was already used, or a newer sign-in replaced it. It is refused.",
            ),
            Error::CallbackMissingCode => t(
                ru,
                "amoCRM вернул ответ без кода авторизации. Попробуйте подключиться ещё раз.",
                "amoCRM redirected back without an authorization code. Try connecting again.",
            ),
            Error::CallbackInvalid(why) => {
                if ru {
                    format!("Ответ amoCRM некорректен: {why}")
                } else {
                    format!("The amoCRM response is malformed: {why}")
                }
            }
            Error::AccessDenied => t(
                ru,
                "Доступ не предоставлен: в amoCRM нажали «Отказать». Подключение не создано.",
                "Access was denied in amoCRM. No connection was made.",
            ),
            Error::CallbackError(e) => {
                if ru {
                    format!("amoCRM вернул ошибку «{e}» вместо кода авторизации.")
                } else {
                    format!("amoCRM returned the error \"{e}\" instead of an authorization code.")
                }
            }
            Error::InvalidClientId => t(
                ru,
                "amoCRM не узнал Integration ID. Скопируйте его заново со вкладки «Ключи и доступы» интеграции.",
                "amoCRM does not recognise the Integration ID. Copy it again from the integration's Keys tab.",
            ),
            Error::InvalidClientSecret => t(
                ru,
                "amoCRM отклонил Секретный ключ. Скопируйте его заново со вкладки «Ключи и доступы» интеграции.",
                "amoCRM rejected the Secret key. Copy it again from the integration's Keys tab.",
            ),
            Error::RedirectUriMismatch => t(
                ru,
                "Redirect URI в настройках приложения не совпадает с указанным в интеграции amoCRM (важен каждый символ, включая «/» в конце).",
                "The Redirect URI in the app's settings differs from the one registered in the amoCRM integration (every character counts, including a trailing slash).",
            ),
            Error::CodeExpired => t(
                ru,
                "Код авторизации истёк (он действует 20 минут). Подключитесь ещё раз.",
                "The authorization code has expired (codes last 20 minutes). Connect again.",
            ),
            Error::CodeRevoked => t(
                ru,
                "Код авторизации уже был использован. Подключитесь ещё раз.",
                "The authorization code was already used. Connect again.",
            ),
            Error::CodeInvalid => t(
                ru,
                "amoCRM не принял код авторизации. Подключитесь ещё раз.",
                "amoCRM did not accept the authorization code. Connect again.",
            ),
            Error::TokenRejected(hint) => {
                if ru {
                    format!("amoCRM отклонил запрос токена: {hint}")
                } else {
                    format!("amoCRM rejected the token request: {hint}")
                }
            }
            Error::TokenRevoked(hint) => {
                if ru {
                    format!("amoCRM отозвал доступ ({hint}). Нужно переподключиться.")
                } else {
                    format!("amoCRM revoked access ({hint}). Reconnect to continue.")
                }
            }
            Error::TokenInvalid(why) => {
                if ru {
                    format!("Это не долгосрочный токен amoCRM: {why}. Скопируйте токен целиком со вкладки «Ключи и доступы».")
                } else {
                    format!("This is not an amoCRM long-lived token: {why}. Copy the whole token from the integration's Keys tab.")
                }
            }
            Error::TokenExpired => t(
                ru,
                "Срок действия долгосрочного токена истёк. Создайте новый на вкладке «Ключи и доступы» интеграции.",
                "The long-lived token has expired. Generate a new one in the integration's Keys tab.",
            ),
            Error::NotConnected => t(
                ru,
                "Нет подключения к amoCRM. Нажмите «Подключить amoCRM».",
                "Not connected to amoCRM. Press Connect amoCRM.",
            ),
            Error::Unauthorized => t(
                ru,
                "amoCRM не принял токен доступа. Переподключитесь.",
                "amoCRM did not accept the access token. Reconnect.",
            ),
            Error::RateLimited => t(
                ru,
                "amoCRM ограничил частоту запросов (429). Повторите чуть позже.",
                "amoCRM is rate limiting requests (429). Try again shortly.",
            ),
            Error::AccountBanned => t(
                ru,
                "amoCRM заблокировал доступ к API аккаунта (403) из-за превышения лимита запросов. Снять блокировку может только поддержка amoCRM.",
                "amoCRM has blocked API access for this account (403) after too many requests. Only amoCRM support can lift the block.",
            ),
            Error::ServerError(status) => {
                if ru {
                    format!("Сервер amoCRM ответил ошибкой {status}. Повторите позже.")
                } else {
                    format!("The amoCRM server answered with error {status}. Try again later.")
                }
            }
            Error::UnexpectedResponse(what) => {
                if ru {
                    format!("Неожиданный ответ amoCRM: {what}")
                } else {
                    format!("Unexpected response from amoCRM: {what}")
                }
            }
            Error::Network(what) => {
                if ru {
                    format!("Нет связи с amoCRM: {what}. Проверьте интернет.")
                } else {
                    format!("Cannot reach amoCRM: {what}. Check the internet connection.")
                }
            }
            Error::ConnectTimeout => t(
                ru,
                "amoCRM так и не вернул пользователя в приложение (время ожидания вышло). Нажмите «Подключить» ещё раз.",
                "amoCRM never redirected back to the app (the wait timed out). Press Connect again.",
            ),
            Error::Cancelled => t(ru, "Подключение отменено.", "Sign-in was cancelled."),
            Error::PortInUse(port) => {
                if ru {
                    format!("Порт {port} на 127.0.0.1 занят другой программой. Закройте её или выберите другой порт в Redirect URI (и в интеграции amoCRM).")
                } else {
                    format!("Port {port} on 127.0.0.1 is used by another program. Close it or choose another port in the Redirect URI (and in the amoCRM integration).")
                }
            }
            Error::KeychainUnavailable(_) => t(
                ru,
                "Системное хранилище паролей недоступно (Secret Service / Связка ключей / Диспетчер учётных данных). Токены не сохраняются в открытом виде, поэтому подключение невозможно.",
                "The system keychain is not available (Secret Service / Keychain / Credential Manager). Tokens are never stored in plain text, so the app cannot connect.",
            ),
            Error::KeychainLocked(_) => t(
                ru,
                "Системное хранилище паролей заблокировано. Разблокируйте его (войдите в сеанс) и повторите.",
                "The system keychain is locked. Unlock it (log in to your session) and try again.",
            ),
            Error::Validation(fields) => {
                let list: Vec<String> = fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
                if ru {
                    format!("Проверьте поля — {}", list.join("; "))
                } else {
                    format!("Check the fields — {}", list.join("; "))
                }
            }
            Error::Forbidden(what) => {
                if ru {
                    format!("amoCRM запретил это действие для вашего пользователя (403): {what}")
                } else {
                    format!("amoCRM does not allow this for your user (403): {what}")
                }
            }
            Error::NotFound(what) => {
                if ru {
                    format!("Не найдено: {what}")
                } else {
                    format!("Not found: {what}")
                }
            }
            Error::EntryNotEditable { id, reason } => {
                if ru {
                    format!("Запись №{id} нельзя изменить или удалить здесь: {reason}.")
                } else {
                    format!("Entry #{id} cannot be changed or removed here: {reason}.")
                }
            }
            Error::StillQueued { id, reason } => {
                if ru {
                    format!("Запись №{id} сохранена в очереди и будет отправлена, когда amoCRM станет доступен ({reason}).")
                } else {
                    format!("Entry #{id} is kept in the outbox and will be sent when amoCRM is reachable ({reason}).")
                }
            }
            Error::Update { stage, detail } => update_message(ru, *stage, detail),
            Error::Storage(what) => {
                if ru {
                    format!("Ошибка локальной базы данных: {what}")
                } else {
                    format!("Local database error: {what}")
                }
            }
            Error::Internal(what) => {
                if ru {
                    format!("Внутренняя ошибка: {what}")
                } else {
                    format!("Internal error: {what}")
                }
            }
        }
    }

    pub fn to_payload(&self, lang: Lang) -> ErrorPayload {
        let fields = match self {
            Error::Validation(f) => Some(f.clone()),
            _ => None,
        };
        ErrorPayload { code: self.code().to_string(), message: self.message(lang), fields }
    }
}

fn update_message(ru: bool, stage: UpdateStage, detail: &str) -> String {
    match stage {
        UpdateStage::NotConfigured => t(
            ru,
            "В этой сборке не настроен источник обновлений (она собрана локально). Новые версии — на странице выпусков.",
            "This build has no update source (it was built locally). Get new versions from the releases page.",
        ),
        UpdateStage::Check if ru => format!("Не удалось проверить обновления: {detail}. Проверьте интернет и повторите."),
        UpdateStage::Check => format!("Could not check for updates: {detail}. Check the internet connection and try again."),
        UpdateStage::Download if ru => format!("Не удалось скачать обновление: {detail}. Повторите позже."),
        UpdateStage::Download => format!("Could not download the update: {detail}. Try again later."),
        UpdateStage::Signature => t(
            ru,
            "Скачанное обновление не подписано разработчиками Amo Connect, поэтому оно не установлено.",
            "The downloaded update is not signed by the Amo Connect developers, so it was not installed.",
        ),
        UpdateStage::Install if ru => format!(
            "Обновление скачано, но не установлено: {detail}. Установите новую версию вручную со страницы выпусков."
        ),
        UpdateStage::Install => format!(
            "The update was downloaded but not installed: {detail}. Install the new version by hand from the releases page."
        ),
    }
}

fn t(ru: bool, ru_text: &str, en_text: &str) -> String {
    if ru { ru_text } else { en_text }.to_string()
}

/// What an error looks like on the wire to the UI: the UI switches on `code`.
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct ErrorPayload {
    pub code: String,
    pub message: String,
    /// With `validation`: each field's problem, so the form marks the field.
    #[ts(optional = nullable)]
    pub fields: Option<Vec<crate::model::FieldError>>,
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Storage(e.to_string())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Storage(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_messages_exist_in_both_languages() {
        let all = [
            Error::NotConfigured("client_id"),
            Error::InvalidSetting { field: "x", reason: "y".into() },
            Error::StateUnknown,
            Error::StateExpired,
            Error::StateReplayed,
            Error::CallbackMissingCode,
            Error::CallbackInvalid("x".into()),
            Error::AccessDenied,
            Error::CallbackError("x".into()),
            Error::InvalidClientId,
            Error::InvalidClientSecret,
            Error::RedirectUriMismatch,
            Error::CodeExpired,
            Error::CodeRevoked,
            Error::CodeInvalid,
            Error::TokenRejected("x".into()),
            Error::TokenRevoked("x".into()),
            Error::TokenInvalid("x".into()),
            Error::TokenExpired,
            Error::NotConnected,
            Error::Unauthorized,
            Error::RateLimited,
            Error::AccountBanned,
            Error::ServerError(502),
            Error::UnexpectedResponse("x".into()),
            Error::Network("x".into()),
            Error::ConnectTimeout,
            Error::Cancelled,
            Error::PortInUse(1),
            Error::KeychainUnavailable("x".into()),
            Error::KeychainLocked("x".into()),
            Error::Validation(vec![]),
            Error::Forbidden("x".into()),
            Error::NotFound("x".into()),
            Error::EntryNotEditable { id: 1, reason: "x".into() },
            Error::StillQueued { id: 1, reason: "x".into() },
            Error::Storage("x".into()),
            Error::Internal("x".into()),
        ];
        let mut seen = std::collections::HashSet::new();
        for e in &all {
            let code = e.code();
            assert!(seen.insert(code), "duplicate code {code}");
            assert!(code.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{code}");
            let (ru, en) = (e.message(Lang::Ru), e.message(Lang::En));
            assert!(!ru.is_empty() && !en.is_empty());
            assert_ne!(ru, en, "{code} has no Russian text");
            assert!(ru.chars().any(|c| ('а'..='я').contains(&c.to_lowercase().next().unwrap_or(c))), "{code}: {ru}");
        }
    }
}
