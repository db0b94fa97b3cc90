//! The connected account as the app remembers it (in SQLite): where it lives, how it signed in,
//! and when its tokens were last granted. The tokens themselves are in the keychain.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::platform::Platform;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AuthKind {
    /// Authorization code + refresh token.
    Oauth,
    /// A long-lived token pasted by an admin (no refresh).
    LongLived,
}

impl AuthKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthKind::Oauth => "oauth",
            AuthKind::LongLived => "long_lived",
        }
    }

    pub fn parse(s: &str) -> AuthKind {
        if s == "long_lived" {
            AuthKind::LongLived
        } else {
            AuthKind::Oauth
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub domain: String,
    pub platform: Platform,
    pub auth_kind: AuthKind,
    pub account_id: Option<i64>,
    pub account_name: Option<String>,
    pub subdomain: Option<String>,
    pub current_user_id: Option<i64>,
    pub expires_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// The Redirect URI of the sign-in; the refresh grant repeats it.
    pub redirect_uri: Option<String>,
    pub last_refresh_at: Option<i64>,
    /// amoCRM refused a refresh with a 4xx: only a new sign-in helps. Never retried blindly.
    pub reconnect_needed: bool,
}

/// The part of `GET /api/v4/account` the app shows and keeps.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct AccountInfo {
    pub id: i64,
    pub name: String,
    pub subdomain: String,
    #[serde(default)]
    pub current_user_id: Option<i64>,
}
