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

/// Which account something belongs to: an outbox entry (recorded when it is queued), the API ban,
/// the reference cache. Customer data typed for one account is never sent to another, even
/// when the user disconnects and connects a different one before it was sent.
///
/// amoCRM's account id is what identifies an account; the host can change (an admin renames the
/// subdomain). The id is unknown until `/api/v4/account` answered once, so the host stands in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRef {
    pub account_id: Option<i64>,
    pub domain: String,
}

impl AccountRef {
    pub fn of(account: &Account) -> AccountRef {
        AccountRef { account_id: account.account_id, domain: account.domain.clone() }
    }

    /// The same account: the same id when both are known, otherwise the same host.
    pub fn same_as(&self, other: &AccountRef) -> bool {
        match (self.account_id, other.account_id) {
            (Some(a), Some(b)) => a == b,
            _ => self.domain.eq_ignore_ascii_case(&other.domain),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(id: Option<i64>, domain: &str) -> AccountRef {
        AccountRef { account_id: id, domain: domain.into() }
    }

    #[test]
    fn an_account_is_its_id_and_its_host_only_while_the_id_is_unknown() {
        // Renamed subdomain: the id still says it is the same account.
        assert!(at(Some(1), "old.amocrm.ru").same_as(&at(Some(1), "new.amocrm.ru")));
        // Another account that took over a host name.
        assert!(!at(Some(1), "a.amocrm.ru").same_as(&at(Some(2), "a.amocrm.ru")));
        assert!(at(None, "A.amocrm.ru").same_as(&at(Some(2), "a.amocrm.ru")));
        assert!(!at(None, "a.amocrm.ru").same_as(&at(Some(2), "b.amocrm.ru")));
        assert!(!at(None, "a.amocrm.ru").same_as(&at(None, "b.kommo.com")));
    }
}
