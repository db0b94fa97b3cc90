//! What the window's status panel and Settings show, and what Connect answers.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::account::AuthKind;
use crate::domain::platform::Platform;
use crate::domain::settings::Settings;
use crate::domain::tokens::TokenInfo;
use crate::error::ErrorPayload;

/// Warn this long before a long-lived token expires (it cannot be refreshed).
pub const EXPIRY_WARNING_SECS: i64 = 7 * 24 * 3600;

/// The status panel's facts; also `amo-connect status --json`.
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct StatusView {
    pub connected: bool,
    pub domain: Option<String>,
    #[ts(type = "number | null")]
    pub account_id: Option<i64>,
    pub account_name: Option<String>,
    pub platform: Option<Platform>,
    pub auth_kind: Option<AuthKind>,
    pub access_token_masked: Option<String>,
    /// The non-secret parts of amoCRM's token answer and of the token's claims.
    pub token_info: Option<TokenInfo>,
    /// RFC 3339, UTC.
    pub expires_at: Option<String>,
    pub is_expired: bool,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// RFC 3339: the last token grant or refresh.
    pub last_refresh_at: Option<String>,
    /// amoCRM refused a refresh: only Reconnect helps.
    pub reconnect_needed: bool,
    /// A token that cannot be refreshed (long-lived) expires within a week.
    pub expires_soon: bool,
    /// Set when something prevents a full answer (e.g. the keychain is locked).
    pub problem: Option<ErrorPayload>,
}

impl StatusView {
    pub fn empty(problem: Option<ErrorPayload>) -> StatusView {
        StatusView {
            connected: false,
            domain: None,
            account_id: None,
            account_name: None,
            platform: None,
            auth_kind: None,
            access_token_masked: None,
            token_info: None,
            expires_at: None,
            is_expired: false,
            created_at: None,
            updated_at: None,
            last_refresh_at: None,
            reconnect_needed: false,
            expires_soon: false,
            problem,
        }
    }
}

/// Settings as the window shows them: never the Secret key itself, only whether one is stored.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SettingsView {
    pub settings: Settings,
    /// A Secret key is stored (false also when the keychain could not be read: see
    /// `keychain_problem`).
    pub client_secret_set: bool,
    /// The keychain could not be read (locked, absent): Settings still shows and saves everything
    /// else, and says so where the Secret key's state would be.
    pub keychain_problem: Option<ErrorPayload>,
    /// The simulator or other server all amoCRM URLs are redirected to, if any.
    pub server_override: bool,
}

/// Returned by the window's Connect command.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ConnectStarted {
    /// Shown in the window so the user can open it by hand if no browser opened.
    pub authorize_url: String,
    pub browser_opened: bool,
}

/// Sent to the window (event `connect-finished`) when a sign-in ends, however it ends.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ConnectOutcome {
    pub status: StatusView,
    pub error: Option<ErrorPayload>,
}

/// What Disconnect did.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Disconnected {
    /// An account was connected.
    pub had: bool,
    /// Its entries still waiting, kept for it (sent when it is connected again).
    pub kept: u32,
    /// Its entries still waiting, removed as the user chose.
    pub discarded: u32,
}

/// The screens the window can be asked to show from outside it (the tray, `amo-connect new`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Screen {
    Connection,
    NewLead,
    History,
    /// My tasks (the tray's "Tasks due" line).
    Tasks,
}

/// "Show this screen": from the tray's menu, or `amo-connect new [--phone NUMBER]` (a softphone
/// running it when a call rings). The window raises itself and shows it; a phone fills the lead
/// form's contact phone (and so starts the existing-customer lookup), focus in the name field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OpenRequest {
    pub screen: Screen,
    /// The caller's number as the softphone passed it (the form checks it like a typed one).
    pub phone: Option<String>,
}
