//! Table `account`: the connected account's facts (one row): domain, platform, auth kind,
//! account id and name, token expiry and timestamps. Not the tokens: those are in the keychain.

use rusqlite::{params, OptionalExtension};

use super::Store;
use crate::domain::account::{Account, AccountInfo, AuthKind};
use crate::domain::platform::Platform;
use crate::error::Result;

pub struct AccountTable<'a>(pub(super) &'a Store);

impl AccountTable<'_> {
    pub fn load(&self) -> Result<Option<Account>> {
        Ok(self
            .0
            .conn()
            .query_row(
                "SELECT domain, platform, auth_kind, account_id, account_name, subdomain, current_user_id,
                    expires_at, created_at, updated_at, redirect_uri, last_refresh_at, reconnect_needed
             FROM account WHERE id = 1",
                [],
                |r| {
                    Ok(Account {
                        domain: r.get(0)?,
                        platform: Platform::parse(&r.get::<_, String>(1)?).unwrap_or_default(),
                        auth_kind: AuthKind::parse(&r.get::<_, String>(2)?),
                        account_id: r.get(3)?,
                        account_name: r.get(4)?,
                        subdomain: r.get(5)?,
                        current_user_id: r.get(6)?,
                        expires_at: r.get(7)?,
                        created_at: r.get(8)?,
                        updated_at: r.get(9)?,
                        redirect_uri: r.get(10)?,
                        last_refresh_at: r.get(11)?,
                        reconnect_needed: r.get::<_, i64>(12)? != 0,
                    })
                },
            )
            .optional()?)
    }

    /// Inserts or replaces the account. `created_at` survives a reconnect to the same domain.
    pub fn save(&self, row: &Account) -> Result<()> {
        self.0.conn().execute(
        "INSERT INTO account (id, domain, platform, auth_kind, account_id, account_name, subdomain, current_user_id,
                              expires_at, created_at, updated_at, redirect_uri, last_refresh_at, reconnect_needed)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT(id) DO UPDATE SET
            created_at = CASE WHEN account.domain = excluded.domain THEN account.created_at ELSE excluded.created_at END,
            domain = excluded.domain, platform = excluded.platform, auth_kind = excluded.auth_kind,
            account_id = excluded.account_id, account_name = excluded.account_name, subdomain = excluded.subdomain,
            current_user_id = excluded.current_user_id, expires_at = excluded.expires_at,
            updated_at = excluded.updated_at, redirect_uri = excluded.redirect_uri,
            last_refresh_at = excluded.last_refresh_at, reconnect_needed = excluded.reconnect_needed",
        params![
            row.domain,
            row.platform.as_str(),
            row.auth_kind.as_str(),
            row.account_id,
            row.account_name,
            row.subdomain,
            row.current_user_id,
            row.expires_at,
            row.created_at,
            row.updated_at,
            row.redirect_uri,
            row.last_refresh_at,
            row.reconnect_needed as i64
        ],
    )?;
        Ok(())
    }

    /// Records a successful refresh: new expiry, refresh time, and a clear `reconnect_needed`.
    pub fn mark_refreshed(&self, expires_at: i64, now: i64) -> Result<()> {
        self.0.conn().execute(
        "UPDATE account SET expires_at = ?1, last_refresh_at = ?2, updated_at = ?2, reconnect_needed = 0 WHERE id = 1",
        params![expires_at, now],
    )?;
        Ok(())
    }

    pub fn set_reconnect_needed(&self, now: i64) -> Result<()> {
        self.0.conn().execute("UPDATE account SET reconnect_needed = 1, updated_at = ?1 WHERE id = 1", [now])?;
        Ok(())
    }

    /// The account moved to another host (its subdomain was renamed in amoCRM).
    pub fn set_domain(&self, domain: &str, now: i64) -> Result<()> {
        self.0.conn().execute("UPDATE account SET domain = ?1, updated_at = ?2 WHERE id = 1", params![domain, now])?;
        Ok(())
    }

    /// Fills in the account's facts from `/api/v4/account`.
    pub fn set_account_info(&self, info: &AccountInfo, now: i64) -> Result<()> {
        self.0.conn().execute(
        "UPDATE account SET account_id = ?1, account_name = ?2, subdomain = ?3, current_user_id = ?4, updated_at = ?5
         WHERE id = 1",
        params![info.id, info.name, info.subdomain, info.current_user_id, now],
    )?;
        Ok(())
    }

    pub fn delete(&self) -> Result<bool> {
        Ok(self.0.conn().execute("DELETE FROM account WHERE id = 1", [])? > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(domain: &str, t: i64) -> Account {
        Account {
            domain: domain.into(),
            platform: Platform::Amocrm,
            auth_kind: AuthKind::Oauth,
            account_id: Some(1),
            account_name: Some("A".into()),
            subdomain: Some("a".into()),
            current_user_id: None,
            expires_at: t + 86400,
            created_at: t,
            updated_at: t,
            redirect_uri: Some("http://127.0.0.1:1/cb".into()),
            last_refresh_at: None,
            reconnect_needed: false,
        }
    }

    #[test]
    fn reconnect_keeps_created_at_for_the_same_domain_only() {
        let store = Store::open_in_memory().expect("db");
        let db = store.account();
        assert_eq!(db.load().expect("l"), None);
        db.save(&row("a.amocrm.ru", 100)).expect("s");
        db.save(&row("a.amocrm.ru", 200)).expect("s");
        let r = db.load().expect("l").expect("row");
        assert_eq!((r.created_at, r.updated_at), (100, 200));
        db.save(&row("b.amocrm.ru", 300)).expect("s");
        assert_eq!(db.load().expect("l").expect("row").created_at, 300);
        db.set_reconnect_needed(301).expect("flag");
        assert!(db.load().expect("l").expect("row").reconnect_needed);
        db.mark_refreshed(999_999, 302).expect("refreshed");
        let r = db.load().expect("l").expect("row");
        assert_eq!((r.reconnect_needed, r.expires_at, r.last_refresh_at), (false, 999_999, Some(302)));
        assert!(db.delete().expect("d"));
        assert!(!db.delete().expect("d"));
    }
}
