//! One error type for the whole core, grouped by concern: the user's settings, signing in,
//! talking to amoCRM, the keychain, this machine's files, outbox entries, app updates.
//!
//! Every error has a stable [`ErrorCode`]: the UI switches on it (the TypeScript union is
//! generated from this enum), other programs parse it from the CLI's `error[code]: …`, and the
//! outbox stores it. An error carries codes and parameters only — never a sentence. Text for a
//! person is rendered from them when it is shown, in the language of that moment (`i18n`).
//! No variant carries a token, a code, a secret or a callback URL.
//!
//! Errors serialise as `{"code": "...", "params": ...}` so an entry's last failure can be kept in
//! SQLite and re-rendered later; a test checks that the stored code is [`Error::code`].

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Error {
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error(transparent)]
    SignIn(#[from] SignInError),
    #[error(transparent)]
    Amo(#[from] AmoError),
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    #[error(transparent)]
    Local(#[from] LocalError),
    #[error(transparent)]
    Entry(#[from] EntryError),
    #[error(transparent)]
    Update(#[from] UpdateError),
}

/// What the user configured: missing or invalid settings and inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", content = "params", rename_all = "snake_case")]
pub enum SetupError {
    #[error("not configured: {0:?}")]
    NotConfigured(Setting),
    #[error("invalid {field:?}: {problem:?}")]
    InvalidSetting { field: Setting, problem: SettingProblem },
}

/// A setting or input the user gives (also the `AMO_CONNECT_SERVER` override).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    Platform,
    ClientId,
    ClientSecret,
    RedirectUri,
    Domain,
    Language,
    KeepaliveDays,
    RetentionDays,
    BounceVia,
    BouncePort,
    Notifications,
    /// Customer details in notifications (shown or hidden).
    NotificationDetails,
    /// A notification when tasks fall due.
    TaskNotifications,
    CloseToTray,
    QuickEntryShortcut,
    /// Starting with the computer (the OS's autostart entry).
    Autostart,
    /// The `AMO_CONNECT_SERVER` environment variable.
    Server,
    /// A pasted authorization code.
    Code,
}

/// Why a setting's value is refused. Untrusted text kept here is shortened and stripped of
/// control characters when it is made ([`shown`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SettingProblem {
    UnknownPlatform {
        value: String,
    },
    NotAUuid,
    Empty,
    /// More than one line, spaces, or too long.
    NotOneLine {
        max: usize,
    },
    NotAnAbsoluteUrl,
    HasFragment,
    HasQuery,
    PlainHttpNotLoopback,
    NeedsPort,
    UnsupportedScheme {
        scheme: String,
    },
    NotAnAccountAddress {
        value: String,
    },
    PortOutOfRange {
        port: u32,
    },
    OutOfRange {
        value: i64,
        min: i64,
        max: i64,
    },
    NotANumber {
        value: String,
    },
    UnknownLanguage {
        value: String,
    },
    UnknownBounceVia {
        value: String,
    },
    /// Not on/off (yes/no, да/нет).
    NotOnOff {
        value: String,
    },
    /// Not a key combination like Ctrl+Alt+N.
    BadShortcut {
        value: String,
    },
    /// Another program already holds this key combination.
    ShortcutTaken {
        value: String,
    },
    /// This desktop does not let programs register global shortcuts (Wayland).
    ShortcutUnavailable,
    /// The OS refused the autostart entry (`detail` from the OS, English).
    AutostartFailed {
        detail: String,
    },
    /// `AMO_CONNECT_SERVER` is not an http(s) base URL.
    NotABaseUrl,
    /// `AMO_CONNECT_SERVER` names another machine (a release build sends secrets only to loopback).
    NotLoopback,
}

/// Signing in: the OAuth state, amoCRM's redirect, the token endpoint's refusals.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", content = "params", rename_all = "snake_case")]
pub enum SignInError {
    #[error("unknown state")]
    StateUnknown,
    #[error("expired state")]
    StateExpired,
    #[error("state already used")]
    StateReplayed,
    #[error("callback without code")]
    CallbackMissingCode,
    #[error("callback is malformed: {problem:?}")]
    CallbackInvalid { problem: CallbackProblem },
    #[error("access denied by the user")]
    AccessDenied,
    /// amoCRM redirected back with an `error` other than `access_denied`.
    #[error("amoCRM returned error {error} on the callback")]
    CallbackError { error: String },
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
    /// Another 4xx from the token endpoint; `hint` is amoCRM's own (English) text.
    #[error("token request rejected: HTTP {status}: {hint}")]
    TokenRejected { status: u16, hint: String },
    /// amoCRM refused a refresh (`hint` from amoCRM), or refused one earlier (`None`): only a new
    /// sign-in helps.
    #[error("the connection was revoked: {hint:?}")]
    TokenRevoked { hint: Option<String> },
    #[error("long-lived token malformed: {problem:?}")]
    TokenInvalid { problem: TokenProblem },
    #[error("long-lived token expired")]
    TokenExpired,
    #[error("timed out waiting for the amoCRM callback")]
    ConnectTimeout,
    #[error("sign-in was cancelled")]
    Cancelled,
    #[error("port {port} is in use")]
    PortInUse { port: u16 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackProblem {
    /// Not `amoconnect://oauth/callback`.
    NotOurLink,
    NoReferer,
    /// `referer` is not an amoCRM/Kommo account host: the Secret key is never sent there.
    ForeignReferer,
    CodeTooLong,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenProblem {
    NotAJwt,
    NoExpiry,
}

/// Talking to amoCRM's API: transport, limits, refusals.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", content = "params", rename_all = "snake_case")]
pub enum AmoError {
    #[error("not connected")]
    NotConnected,
    #[error("amoCRM rejected the access token")]
    Unauthorized,
    #[error("rate limited by amoCRM")]
    RateLimited,
    /// 403 with an HTML page: the account's API is blocked until amoCRM support lifts it.
    #[error("account blocked by amoCRM")]
    AccountBanned,
    #[error("amoCRM server error {status}")]
    ServerError { status: u16 },
    /// 402: the account's subscription has lapsed.
    #[error("the amoCRM account is not paid")]
    NotPaid,
    /// 403 with JSON: this user may not do this (e.g. list users).
    #[error("forbidden: {hint}")]
    Forbidden { hint: String },
    /// 404 from amoCRM.
    #[error("amoCRM has no such object: {hint}")]
    AmoNotFound { hint: String },
    /// Another 4xx: amoCRM (or its front end) will not take this request as it is — a body too
    /// large (413), a 400 without field errors. Retrying the same request does not help.
    #[error("amoCRM refused the request: HTTP {status}: {hint}")]
    RequestRefused { status: u16, hint: String },
    /// An answer we cannot use; `detail` is for the log and for developers.
    #[error("unexpected response from amoCRM: {detail}")]
    UnexpectedResponse { detail: String },
    #[error("network error: {problem:?}")]
    Network { problem: NetworkProblem },
    /// A lead read by id (the lead card) that amoCRM does not have: deleted, merged, or a
    /// mistyped id (204 on `GET /api/v4/leads/{id}`, docs/amocrm-api.md §8.2).
    #[error("amoCRM has no lead {id}")]
    LeadNotFound { id: i64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkProblem {
    TimedOut,
    Unresolved,
    Refused,
    CannotConnect,
    /// The connection broke while the answer was read.
    Interrupted,
}

/// The OS keychain. There is no plaintext fallback, so each of these stops what needed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", content = "params", rename_all = "snake_case")]
pub enum KeychainError {
    #[error("keychain unavailable: {detail}")]
    KeychainUnavailable { detail: String },
    #[error("keychain locked: {detail}")]
    KeychainLocked { detail: String },
    /// An entry exists but cannot be read back (a missing part of a split value, bad JSON).
    #[error("keychain entry unreadable: {detail}")]
    KeychainCorrupt { detail: String },
    /// The keychain refused to store a value (too long for the platform).
    #[error("keychain refused the value: {detail}")]
    KeychainRefused { detail: String },
    /// The keychain did not answer within `secs` seconds (a Secret Service that hangs, an
    /// unlock prompt nobody answered): the call is given up on, the app goes on.
    #[error("keychain did not answer within {secs} s")]
    KeychainTimeout { secs: u64 },
}

/// This machine: the database, the data directory, lock files, the terminal. Each says which.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", content = "params", rename_all = "snake_case")]
pub enum LocalError {
    /// The SQLite database.
    #[error("database error: {detail}")]
    Storage { detail: String },
    /// The data directory cannot be used; `path` is `None` when the system has none at all.
    #[error("data directory {path:?}: {detail}")]
    DataDir { path: Option<String>, detail: String },
    #[error("lock file: {detail}")]
    LockFile { detail: String },
    /// Writing to the terminal or a pipe (e.g. a closed stdout).
    #[error("output: {detail}")]
    Output { detail: String },
    /// Reading standard input.
    #[error("input: {detail}")]
    Input { detail: String },
    /// A bug or an impossible condition; `detail` is for developers.
    #[error("internal error: {detail}")]
    Internal { detail: String },
    /// This computer keeps no copy of the account's people to answer from: it is turned off,
    /// or no sync has filled it yet (docs/people-copy.md).
    #[error("no copy of the account's people on this computer (turned off: {off})")]
    NoCopy { off: bool },
}

/// Entries typed by the user and the outbox that keeps them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", content = "params", rename_all = "snake_case")]
pub enum EntryError {
    /// Field-level problems, found by us before queueing or by amoCRM (`validation-errors`).
    #[error("validation failed: {} field(s)", .0.len())]
    Validation(Vec<FieldError>),
    #[error("outbox entry {id} cannot be changed: {why:?}")]
    EntryNotEditable { id: i64, why: NotEditable },
    /// Safe in the outbox but not in amoCRM yet (the CLI stopped waiting); `cause` is the last
    /// failure, if there was one.
    #[error("outbox entry {id} is still queued")]
    StillQueued { id: i64, cause: Option<Box<Error>> },
    /// amoCRM refused the entry for a reason only the user can fix.
    #[error("outbox entry {id} needs attention")]
    EntryNeedsAttention { id: i64, cause: Option<Box<Error>> },
    #[error("no outbox entry {id}")]
    NotFound { id: i64 },
    /// After an interrupted send, more than one lead in amoCRM could be this entry (same second,
    /// same user, same details): the user decides, the app never guesses.
    #[error("outbox entry {id} matches {candidates} objects in amoCRM")]
    ReconcileAmbiguous { id: i64, candidates: u32 },
    /// The entry was typed for another account than the one connected now: it waits for that
    /// account and is never sent to this one (`domain::account::AccountRef`).
    #[error("outbox entry {id} belongs to the account at {domain}")]
    OtherAccount { id: i64, domain: String },
    /// A change of a lead or task that somebody else changed since the user read it: nothing
    /// was sent; the user keeps theirs (discards this) or sends this one over it
    /// (`domain::change`).
    #[error("outbox entry {id}: the {} changed in amoCRM since it was read", .conflict.entity)]
    Conflict { id: i64, conflict: Box<Conflict> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotEditable {
    /// A create may already have reached amoCRM: an edited copy could not be matched.
    MayBeInAmocrm,
    /// Lead or contact: an entry keeps its kind.
    KindChanges,
    /// Only entries needing attention can be removed; waiting ones are still to be sent.
    StillToBeSent,
    /// This part of it (a step of its plan: `lead`, `note`, `company`, …) may already be in
    /// amoCRM and would change or go; the parts that have not reached amoCRM can change.
    PartInAmocrm { part: String },
    /// It is being sent right now (or was just sent): nothing is changed.
    BeingSent,
    /// Its stored copy cannot be read (History shows it damaged): an edit would start from an
    /// empty form and lose what was typed; it can only be discarded and typed again.
    Damaged,
    /// "Send mine" answers a conflict; this entry is not waiting on one.
    NoConflict,
}

/// Somebody changed the record between the user's read and the send: what they changed that
/// this change also sets, both versions, who and when. Nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Conflict {
    /// `leads` or `tasks`.
    pub entity: String,
    #[ts(type = "number")]
    pub record_id: i64,
    /// amoCRM's `updated_by` (0: amoCRM itself, a robot or an integration).
    #[ts(type = "number")]
    pub updated_by: i64,
    /// Their name, when the account's users were known.
    pub updated_by_name: Option<String>,
    #[ts(type = "number")]
    pub updated_at: i64,
    /// The fields this change sets, as amoCRM has them now and as the user meant them.
    pub fields: Vec<ConflictField>,
}

/// One field of a conflict, both values as amoCRM's API writes them: ids for a stage, pipeline,
/// user, task type or loss reason, Unix seconds for a due time, `true`/`false` for done, a custom
/// field's values as text. The window and the CLI name them from the account's data when shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ConflictField {
    /// The form's field: `status_id`, `price`, `due`, `custom_fields.701001`, …
    pub field: String,
    pub theirs: String,
    pub mine: String,
}

/// App updates, by the step that failed. `detail` is the updater's (English) reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", content = "params", rename_all = "snake_case")]
pub enum UpdateError {
    /// This build has no update source (a local build).
    #[error("no update source")]
    UpdateNotConfigured,
    #[error("update check failed: {detail}")]
    UpdateCheckFailed { detail: String },
    #[error("update download failed: {detail}")]
    UpdateDownloadFailed { detail: String },
    /// Not signed by the key this build trusts, or signed for another version: never installed.
    #[error("update signature invalid: {detail}")]
    UpdateSignatureInvalid { detail: String },
    #[error("update install failed: {detail}")]
    UpdateInstallFailed { detail: String },
    /// Install was asked for, but no check found an update.
    #[error("no update to install")]
    NoUpdate,
    /// Install was asked for while an install is running.
    #[error("an update is already being installed")]
    UpdateInProgress,
}

/// One field's problem. `field` uses the form's names: `name`, `price`, `status`,
/// `responsible_user_id`, `tags`, `note`, `contact.first_name`, `contact.phones.0`,
/// `contact.email`, … (`form` when amoCRM's path maps to no field). The message is rendered
/// from `code` (and amoCRM's own `amo_code` / `detail`) when it is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub code: FieldCode,
    /// amoCRM's error code (`NotSupportedChoice`, …) when amoCRM found the problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amo_code: Option<String>,
    /// amoCRM's own text (English), kept for the log and for English messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The field's own name where the app has no label for it: a custom field's name, as the
    /// account's admin wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: FieldCode) -> FieldError {
        FieldError { field: field.into(), code, amo_code: None, detail: None, label: None }
    }
}

/// Why a field is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FieldCode {
    Required,
    TooLong,
    TooMany,
    InvalidPhone,
    PhoneNeedsCountryCode,
    InvalidEmail,
    InvalidPrice,
    InvalidTag,
    /// amoCRM: not one of the field's choices (`NotSupportedChoice`).
    NotAChoice,
    /// amoCRM: this field may not be sent here (`FieldNotExpected`).
    NotExpected,
    /// amoCRM refused the value for another reason (see `amo_code`).
    Rejected,
    /// The form (or the command line) has no field of that name.
    UnknownField,
    /// A whole number (an id) was expected.
    NotANumber,
    /// The chosen stage requires this custom field.
    RequiredForStage,
    /// Over amoCRM's 256 characters for a text field.
    TooLongForAmo,
    /// A number amoCRM can store: digits, one decimal point, at most 15 digits.
    InvalidNumber,
    /// A checkbox takes yes/no (true/false, да/нет).
    InvalidFlag,
    /// A date like 2026-12-01 (or 01.12.2026).
    InvalidDate,
    /// A date and time with its offset, like 2026-12-01T10:00:00+03:00.
    InvalidDateTime,
    /// An address starting with http:// or https://.
    InvalidUrl,
    /// A field type the app cannot write (shown, not sent).
    ReadOnlyField,
    /// Custom-field values were typed but the account's field list is not loaded yet.
    FieldsNotLoaded,
    /// `--field KEY=…` names no custom field of the account (or has no `=`).
    UnknownCustomField,
    /// A task's due time: a preset, `+2h`, `tomorrow 10:00`, `2026-12-01 10:00` or RFC 3339.
    InvalidDue,
    /// A task due before now.
    DueInPast,
    /// The account or the chosen pipeline does not take incoming (unsorted) leads.
    UnsortedOff,
    /// amoCRM has no contact or company with this number, and an outbound call cannot make one:
    /// the contact must be added first (docs/amocrm-api.md §16).
    UnknownCaller,
    /// A contact in amoCRM has this phone or e-mail (`detail` names it): attach to it, or
    /// create the new one anyway.
    DuplicateContact,
    /// An amoCRM id (pipeline, stage, user, contact, company) that is not the connected
    /// account's: typed in a form still showing another account's choices, or while no account
    /// is connected (it would reach whichever account is connected next).
    NotInAccount,
    /// A change that changes nothing (no part of the record was given a new value).
    NothingToChange,
}

/// An error as the window receives it (and `--json` output shows it): the code the UI switches
/// on, the remedy it offers, and the message rendered in the language of that moment.
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct ErrorPayload {
    pub code: ErrorCode,
    pub message: String,
    pub remedy: Remedy,
    /// With `validation`: each field's problem, so the form marks the field.
    #[ts(optional = nullable)]
    pub fields: Option<Vec<FieldErrorView>>,
}

/// One field's problem as the form shows it.
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct FieldErrorView {
    pub field: String,
    pub code: FieldCode,
    /// amoCRM's own code (`NotSupportedChoice`, …) when amoCRM refused the value.
    #[ts(optional = nullable)]
    pub amo_code: Option<String>,
    pub message: String,
    /// The field's name as the user knows it (the admin's name of a custom field, "Phone 2").
    pub label: String,
}

/// Every error code, flat: what the UI switches on and what `error[code]` prints. The
/// TypeScript union `ErrorCode` is generated from this enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ErrorCode {
    NotConfigured,
    InvalidSetting,
    StateUnknown,
    StateExpired,
    StateReplayed,
    CallbackMissingCode,
    CallbackInvalid,
    AccessDenied,
    CallbackError,
    InvalidClientId,
    InvalidClientSecret,
    RedirectUriMismatch,
    CodeExpired,
    CodeRevoked,
    CodeInvalid,
    TokenRejected,
    TokenRevoked,
    TokenInvalid,
    TokenExpired,
    ConnectTimeout,
    Cancelled,
    PortInUse,
    NotConnected,
    Unauthorized,
    RateLimited,
    AccountBanned,
    ServerError,
    NotPaid,
    Forbidden,
    AmoNotFound,
    RequestRefused,
    UnexpectedResponse,
    Network,
    KeychainUnavailable,
    KeychainLocked,
    KeychainCorrupt,
    KeychainRefused,
    KeychainTimeout,
    Storage,
    DataDir,
    LockFile,
    Output,
    Input,
    Internal,
    NoCopy,
    Validation,
    EntryNotEditable,
    StillQueued,
    EntryNeedsAttention,
    NotFound,
    ReconcileAmbiguous,
    OtherAccount,
    Conflict,
    UpdateNotConfigured,
    UpdateCheckFailed,
    UpdateDownloadFailed,
    UpdateSignatureInvalid,
    UpdateInstallFailed,
    NoUpdate,
    UpdateInProgress,
    LeadNotFound,
}

/// What the user can do about an error; the window shows the matching hint and button.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Remedy {
    /// Fix something in Settings (or `amo-connect config`).
    Settings,
    /// Unlock or install the system keychain.
    Keychain,
    /// Sign in again.
    Reconnect,
    /// Wait for the network or amoCRM and try again.
    Network,
    /// Start the sign-in again.
    Retry,
    /// Install the new version by hand.
    Update,
    None,
}

/// `ErrorCode::ALL` and `as_str` from one list; the match makes the list exhaustive, and a test
/// checks each name against serde's.
macro_rules! code_names {
    ($($v:ident => $s:literal),* $(,)?) => {
        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$v),*];

            /// The code as printed and stored (`not_configured`, …).
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$v => $s),* }
            }
        }
    };
}

code_names! {
            NotConfigured => "not_configured", InvalidSetting => "invalid_setting",
            StateUnknown => "state_unknown", StateExpired => "state_expired", StateReplayed => "state_replayed",
            CallbackMissingCode => "callback_missing_code", CallbackInvalid => "callback_invalid",
            AccessDenied => "access_denied", CallbackError => "callback_error",
            InvalidClientId => "invalid_client_id", InvalidClientSecret => "invalid_client_secret",
            RedirectUriMismatch => "redirect_uri_mismatch", CodeExpired => "code_expired",
            CodeRevoked => "code_revoked", CodeInvalid => "code_invalid", TokenRejected => "token_rejected",
            TokenRevoked => "token_revoked", TokenInvalid => "token_invalid", TokenExpired => "token_expired",
            ConnectTimeout => "connect_timeout", Cancelled => "cancelled", PortInUse => "port_in_use",
            NotConnected => "not_connected", Unauthorized => "unauthorized", RateLimited => "rate_limited",
            AccountBanned => "account_banned", ServerError => "server_error", NotPaid => "not_paid",
            Forbidden => "forbidden", AmoNotFound => "amo_not_found", RequestRefused => "request_refused",
            UnexpectedResponse => "unexpected_response",
            Network => "network", KeychainUnavailable => "keychain_unavailable", KeychainLocked => "keychain_locked",
            KeychainCorrupt => "keychain_corrupt", KeychainRefused => "keychain_refused",
            KeychainTimeout => "keychain_timeout", Storage => "storage",
            DataDir => "data_dir", LockFile => "lock_file", Output => "output", Input => "input",
            Internal => "internal", NoCopy => "no_copy", Validation => "validation", EntryNotEditable => "entry_not_editable",
            StillQueued => "still_queued", EntryNeedsAttention => "entry_needs_attention", NotFound => "not_found",
            ReconcileAmbiguous => "reconcile_ambiguous", OtherAccount => "other_account", Conflict => "conflict",
            UpdateNotConfigured => "update_not_configured", UpdateCheckFailed => "update_check_failed",
            UpdateDownloadFailed => "update_download_failed", UpdateSignatureInvalid => "update_signature_invalid",
            UpdateInstallFailed => "update_install_failed", NoUpdate => "no_update",
            UpdateInProgress => "update_in_progress", LeadNotFound => "lead_not_found",
}

impl ErrorCode {
    pub fn remedy(self) -> Remedy {
        use ErrorCode as C;
        match self {
            C::NotConfigured
            | C::InvalidSetting
            | C::InvalidClientId
            | C::InvalidClientSecret
            | C::RedirectUriMismatch
            | C::PortInUse => Remedy::Settings,
            C::KeychainUnavailable | C::KeychainLocked | C::KeychainRefused | C::KeychainTimeout => Remedy::Keychain,
            // A damaged entry is replaced by signing in again.
            C::TokenRevoked | C::Unauthorized | C::NotConnected | C::KeychainCorrupt => Remedy::Reconnect,
            C::Network | C::ServerError | C::RateLimited | C::UpdateCheckFailed | C::UpdateDownloadFailed => {
                Remedy::Network
            }
            C::StateUnknown
            | C::StateExpired
            | C::StateReplayed
            | C::CodeExpired
            | C::CodeRevoked
            | C::CodeInvalid
            | C::TokenInvalid
            | C::TokenExpired
            | C::ConnectTimeout
            | C::CallbackMissingCode
            | C::CallbackInvalid
            | C::CallbackError => Remedy::Retry,
            C::UpdateInstallFailed | C::UpdateSignatureInvalid | C::UpdateNotConfigured => Remedy::Update,
            C::AccessDenied
            | C::Cancelled
            | C::TokenRejected
            | C::AccountBanned
            | C::NotPaid
            | C::Forbidden
            | C::AmoNotFound
            | C::RequestRefused
            | C::UnexpectedResponse
            | C::Storage
            | C::DataDir
            | C::LockFile
            | C::Output
            | C::Input
            | C::Internal
            | C::NoCopy
            | C::Validation
            | C::EntryNotEditable
            | C::StillQueued
            | C::EntryNeedsAttention
            | C::NotFound
            | C::ReconcileAmbiguous
            | C::OtherAccount
            | C::Conflict
            | C::NoUpdate
            | C::UpdateInProgress
            | C::LeadNotFound => Remedy::None,
        }
    }
}

/// `code == "not_found"`: scripts and tests compare codes with their printed form.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// The stable code. Changing one is a breaking change for the UI, for scripts and for
    /// entries already stored in the outbox.
    pub fn code(&self) -> ErrorCode {
        use ErrorCode as C;
        match self {
            Error::Setup(e) => match e {
                SetupError::NotConfigured(_) => C::NotConfigured,
                SetupError::InvalidSetting { .. } => C::InvalidSetting,
            },
            Error::SignIn(e) => match e {
                SignInError::StateUnknown => C::StateUnknown,
                SignInError::StateExpired => C::StateExpired,
                SignInError::StateReplayed => C::StateReplayed,
                SignInError::CallbackMissingCode => C::CallbackMissingCode,
                SignInError::CallbackInvalid { .. } => C::CallbackInvalid,
                SignInError::AccessDenied => C::AccessDenied,
                SignInError::CallbackError { .. } => C::CallbackError,
                SignInError::InvalidClientId => C::InvalidClientId,
                SignInError::InvalidClientSecret => C::InvalidClientSecret,
                SignInError::RedirectUriMismatch => C::RedirectUriMismatch,
                SignInError::CodeExpired => C::CodeExpired,
                SignInError::CodeRevoked => C::CodeRevoked,
                SignInError::CodeInvalid => C::CodeInvalid,
                SignInError::TokenRejected { .. } => C::TokenRejected,
                SignInError::TokenRevoked { .. } => C::TokenRevoked,
                SignInError::TokenInvalid { .. } => C::TokenInvalid,
                SignInError::TokenExpired => C::TokenExpired,
                SignInError::ConnectTimeout => C::ConnectTimeout,
                SignInError::Cancelled => C::Cancelled,
                SignInError::PortInUse { .. } => C::PortInUse,
            },
            Error::Amo(e) => match e {
                AmoError::NotConnected => C::NotConnected,
                AmoError::Unauthorized => C::Unauthorized,
                AmoError::RateLimited => C::RateLimited,
                AmoError::AccountBanned => C::AccountBanned,
                AmoError::ServerError { .. } => C::ServerError,
                AmoError::NotPaid => C::NotPaid,
                AmoError::Forbidden { .. } => C::Forbidden,
                AmoError::AmoNotFound { .. } => C::AmoNotFound,
                AmoError::RequestRefused { .. } => C::RequestRefused,
                AmoError::UnexpectedResponse { .. } => C::UnexpectedResponse,
                AmoError::Network { .. } => C::Network,
                AmoError::LeadNotFound { .. } => C::LeadNotFound,
            },
            Error::Keychain(e) => match e {
                KeychainError::KeychainUnavailable { .. } => C::KeychainUnavailable,
                KeychainError::KeychainLocked { .. } => C::KeychainLocked,
                KeychainError::KeychainCorrupt { .. } => C::KeychainCorrupt,
                KeychainError::KeychainRefused { .. } => C::KeychainRefused,
                KeychainError::KeychainTimeout { .. } => C::KeychainTimeout,
            },
            Error::Local(e) => match e {
                LocalError::Storage { .. } => C::Storage,
                LocalError::DataDir { .. } => C::DataDir,
                LocalError::LockFile { .. } => C::LockFile,
                LocalError::Output { .. } => C::Output,
                LocalError::Input { .. } => C::Input,
                LocalError::Internal { .. } => C::Internal,
                LocalError::NoCopy { .. } => C::NoCopy,
            },
            Error::Entry(e) => match e {
                EntryError::Validation(_) => C::Validation,
                EntryError::EntryNotEditable { .. } => C::EntryNotEditable,
                EntryError::StillQueued { .. } => C::StillQueued,
                EntryError::EntryNeedsAttention { .. } => C::EntryNeedsAttention,
                EntryError::NotFound { .. } => C::NotFound,
                EntryError::ReconcileAmbiguous { .. } => C::ReconcileAmbiguous,
                EntryError::OtherAccount { .. } => C::OtherAccount,
                EntryError::Conflict { .. } => C::Conflict,
            },
            Error::Update(e) => match e {
                UpdateError::UpdateNotConfigured => C::UpdateNotConfigured,
                UpdateError::UpdateCheckFailed { .. } => C::UpdateCheckFailed,
                UpdateError::UpdateDownloadFailed { .. } => C::UpdateDownloadFailed,
                UpdateError::UpdateSignatureInvalid { .. } => C::UpdateSignatureInvalid,
                UpdateError::UpdateInstallFailed { .. } => C::UpdateInstallFailed,
                UpdateError::NoUpdate => C::NoUpdate,
                UpdateError::UpdateInProgress => C::UpdateInProgress,
            },
        }
    }

    // Shorthands for the errors made in many places.

    pub fn not_configured(what: Setting) -> Error {
        SetupError::NotConfigured(what).into()
    }

    pub fn invalid(field: Setting, problem: SettingProblem) -> Error {
        SetupError::InvalidSetting { field, problem }.into()
    }

    pub fn internal(detail: impl std::fmt::Display) -> Error {
        LocalError::Internal { detail: detail.to_string() }.into()
    }

    pub fn storage(detail: impl std::fmt::Display) -> Error {
        LocalError::Storage { detail: detail.to_string() }.into()
    }

    pub fn lock_file(e: std::io::Error) -> Error {
        LocalError::LockFile { detail: e.to_string() }.into()
    }

    pub fn output(e: std::io::Error) -> Error {
        LocalError::Output { detail: e.to_string() }.into()
    }

    pub fn input(e: std::io::Error) -> Error {
        LocalError::Input { detail: e.to_string() }.into()
    }

    pub fn unexpected(detail: impl std::fmt::Display) -> Error {
        AmoError::UnexpectedResponse { detail: detail.to_string() }.into()
    }

    pub fn validation(fields: Vec<FieldError>) -> Error {
        EntryError::Validation(fields).into()
    }

    /// Field errors, when this is a validation error.
    pub fn fields(&self) -> Option<&[FieldError]> {
        match self {
            Error::Entry(EntryError::Validation(f)) => Some(f),
            _ => None,
        }
    }
}

/// Untrusted text (a value the user typed, a hint from a server) as it may appear in a message
/// or a log line: printable characters only, at most `max` of them.
pub fn shown(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control() && !is_bidi_control(*c)).take(max).collect()
}

/// Unicode direction overrides and isolates, which can make text display as something else.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::storage(e)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// One error of every code (used by the i18n tests too).
    pub(crate) fn one_of_each() -> Vec<Error> {
        let boxed = || Some(Box::new(Error::from(AmoError::Network { problem: NetworkProblem::Refused })));
        vec![
            Error::not_configured(Setting::ClientId),
            Error::invalid(Setting::Domain, SettingProblem::NotAnAccountAddress { value: "evil.com".into() }),
            SignInError::StateUnknown.into(),
            SignInError::StateExpired.into(),
            SignInError::StateReplayed.into(),
            SignInError::CallbackMissingCode.into(),
            SignInError::CallbackInvalid { problem: CallbackProblem::ForeignReferer }.into(),
            SignInError::AccessDenied.into(),
            SignInError::CallbackError { error: "server_error".into() }.into(),
            SignInError::InvalidClientId.into(),
            SignInError::InvalidClientSecret.into(),
            SignInError::RedirectUriMismatch.into(),
            SignInError::CodeExpired.into(),
            SignInError::CodeRevoked.into(),
            SignInError::CodeInvalid.into(),
            SignInError::TokenRejected { status: 400, hint: "Something new".into() }.into(),
            SignInError::TokenRevoked { hint: Some("Token has been revoked".into()) }.into(),
            SignInError::TokenInvalid { problem: TokenProblem::NotAJwt }.into(),
            SignInError::TokenExpired.into(),
            SignInError::ConnectTimeout.into(),
            SignInError::Cancelled.into(),
            SignInError::PortInUse { port: 53682 }.into(),
            AmoError::NotConnected.into(),
            AmoError::Unauthorized.into(),
            AmoError::RateLimited.into(),
            AmoError::AccountBanned.into(),
            AmoError::ServerError { status: 502 }.into(),
            AmoError::NotPaid.into(),
            AmoError::Forbidden { hint: "Access denied".into() }.into(),
            AmoError::AmoNotFound { hint: "Not found".into() }.into(),
            AmoError::RequestRefused { status: 413, hint: "Request Entity Too Large".into() }.into(),
            Error::unexpected("the answer is not JSON"),
            AmoError::Network { problem: NetworkProblem::TimedOut }.into(),
            KeychainError::KeychainUnavailable { detail: "no D-Bus".into() }.into(),
            KeychainError::KeychainLocked { detail: "IsLocked".into() }.into(),
            KeychainError::KeychainCorrupt { detail: "part 2 of 3 missing".into() }.into(),
            KeychainError::KeychainRefused { detail: "too long".into() }.into(),
            KeychainError::KeychainTimeout { secs: 30 }.into(),
            Error::storage("disk I/O error"),
            LocalError::DataDir { path: Some("/nope".into()), detail: "permission denied".into() }.into(),
            LocalError::LockFile { detail: "permission denied".into() }.into(),
            LocalError::Output { detail: "broken pipe".into() }.into(),
            LocalError::Input { detail: "stream did not contain valid UTF-8".into() }.into(),
            LocalError::NoCopy { off: false }.into(),
            Error::internal("impossible"),
            Error::validation(vec![FieldError::new("name", FieldCode::Required)]),
            EntryError::EntryNotEditable { id: 7, why: NotEditable::MayBeInAmocrm }.into(),
            EntryError::StillQueued { id: 7, cause: boxed() }.into(),
            EntryError::EntryNeedsAttention { id: 7, cause: boxed() }.into(),
            EntryError::NotFound { id: 7 }.into(),
            EntryError::ReconcileAmbiguous { id: 7, candidates: 2 }.into(),
            EntryError::OtherAccount { id: 7, domain: "beta.amocrm.ru".into() }.into(),
            EntryError::Conflict {
                id: 7,
                conflict: Box::new(Conflict {
                    entity: "leads".into(),
                    record_id: 5,
                    updated_by: 2,
                    updated_by_name: None,
                    updated_at: 1_800_000_000,
                    fields: vec![ConflictField { field: "price".into(), theirs: "1".into(), mine: "2".into() }],
                }),
            }
            .into(),
            UpdateError::UpdateNotConfigured.into(),
            UpdateError::UpdateCheckFailed { detail: "timeout".into() }.into(),
            UpdateError::UpdateDownloadFailed { detail: "timeout".into() }.into(),
            UpdateError::UpdateSignatureInvalid { detail: "bad".into() }.into(),
            UpdateError::UpdateInstallFailed { detail: "pkexec".into() }.into(),
            UpdateError::NoUpdate.into(),
            UpdateError::UpdateInProgress.into(),
            AmoError::LeadNotFound { id: 7 }.into(),
        ]
    }

    #[test]
    fn every_code_is_produced_once_and_is_what_gets_stored() {
        let all = one_of_each();
        let mut seen = std::collections::HashSet::new();
        for e in &all {
            let code = e.code();
            assert!(seen.insert(code), "duplicate code {code}");
            // The stored form names the same code, and reads back as the same error.
            let json = serde_json::to_value(e).expect("serialises");
            assert_eq!(json["code"], code.as_str(), "{json}");
            let back: Error = serde_json::from_value(json).expect("deserialises");
            assert_eq!(&back, e);
            // as_str agrees with serde's name for the code.
            assert_eq!(serde_json::to_value(code).expect("code"), code.as_str());
        }
        // ErrorCode has no code that no error produces.
        let all_codes: std::collections::HashSet<_> = ErrorCode::ALL.iter().copied().collect();
        assert_eq!(seen, all_codes, "one_of_each() must cover every code");
    }

    #[test]
    fn shown_text_loses_controls_and_direction_overrides() {
        assert_eq!(shown("a\u{1b}[31mb\u{202e}c\nd", 10), "a[31mbcd");
        assert_eq!(shown("абвгд", 3), "абв");
    }
}
