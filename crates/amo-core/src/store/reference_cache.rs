//! Table `reference_cache`: reference data fetched from amoCRM (pipelines, users), as JSON with
//! the time it was fetched, so the forms open at once and work offline. Keys start with the
//! account's host (`reference`), so each account has its own.

use rusqlite::{named_params, params, OptionalExtension};

use super::Store;
use crate::domain::account::AccountRef;
use crate::error::Result;

pub struct ReferenceCache<'a>(pub(super) &'a Store);

impl ReferenceCache<'_> {
    /// The cached JSON under `key` and when it was fetched.
    pub fn get(&self, key: &str) -> Result<Option<(String, i64)>> {
        Ok(self
            .0
            .conn()
            .query_row("SELECT json, fetched_at FROM reference_cache WHERE key = ?1", [key], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }

    /// Stores what was read from amoCRM for `account` only if that account is still the one
    /// connected — in one statement, so no other process's Disconnect or sign-in can slip in
    /// between. A read that another account's sign-in overtook (its requests may have gone
    /// out with the new tokens) is not kept as either account's. Whether it was stored.
    pub fn put_for(&self, account: &AccountRef, key: &str, json: &str, fetched_at: i64) -> Result<bool> {
        let n = self.0.conn().execute(
            "INSERT INTO reference_cache (key, json, fetched_at)
             SELECT :key, :json, :at WHERE EXISTS (
                 SELECT 1 FROM account WHERE id = 1 AND (
                     (account_id IS NOT NULL AND :aid IS NOT NULL AND account_id = :aid)
                     OR ((account_id IS NULL OR :aid IS NULL) AND domain = :domain COLLATE NOCASE)))
             ON CONFLICT(key) DO UPDATE SET json = excluded.json, fetched_at = excluded.fetched_at",
            named_params! {
                ":key": key, ":json": json, ":at": fetched_at,
                ":aid": account.account_id, ":domain": account.domain,
            },
        )?;
        Ok(n > 0)
    }

    pub fn put(&self, key: &str, json: &str, fetched_at: i64) -> Result<()> {
        self.0.conn().execute(
            "INSERT INTO reference_cache (key, json, fetched_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(key) DO UPDATE SET json = excluded.json, fetched_at = excluded.fetched_at",
            params![key, json, fetched_at],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::{Account, AuthKind};
    use crate::domain::platform::Platform;

    fn connect(store: &Store, id: Option<i64>, domain: &str) {
        let row = Account {
            domain: domain.into(),
            platform: Platform::Amocrm,
            auth_kind: AuthKind::Oauth,
            account_id: id,
            account_name: None,
            subdomain: None,
            current_user_id: None,
            expires_at: 0,
            created_at: 0,
            updated_at: 0,
            redirect_uri: None,
            last_refresh_at: None,
            reconnect_needed: false,
        };
        store.account().save(&row).expect("account");
    }

    #[test]
    fn a_read_is_kept_only_for_the_account_still_connected() {
        let store = Store::open_in_memory().expect("db");
        let acme = AccountRef { account_id: Some(1), domain: "acme.amocrm.ru".into() };
        let cache = store.reference_cache();
        assert!(!cache.put_for(&acme, "acme.amocrm.ru/lead_form", "{}", 1).expect("put"), "none connected");
        connect(&store, Some(1), "acme.amocrm.ru");
        assert!(cache.put_for(&acme, "acme.amocrm.ru/lead_form", "{\"a\":1}", 2).expect("put"));
        assert!(cache.put_for(&acme, "acme.amocrm.ru/lead_form", "{\"a\":2}", 3).expect("again"), "replaced");
        assert_eq!(cache.get("acme.amocrm.ru/lead_form").expect("get"), Some(("{\"a\":2}".into(), 3)));
        // Beta was connected while acme's read was under way: it is kept as nobody's.
        connect(&store, Some(2), "beta.amocrm.ru");
        assert!(!cache.put_for(&acme, "acme.amocrm.ru/lead_form", "{\"a\":3}", 4).expect("put"));
        assert_eq!(cache.get("acme.amocrm.ru/lead_form").expect("get").map(|c| c.1), Some(3));
        // Acme renamed its subdomain: the id says it is still acme; before the id is known, the host.
        connect(&store, Some(1), "new.amocrm.ru");
        assert!(cache.put_for(&acme, "acme.amocrm.ru/lead_form", "{}", 5).expect("renamed"));
        connect(&store, None, "ACME.amocrm.ru");
        assert!(cache.put_for(&acme, "acme.amocrm.ru/lead_form", "{}", 6).expect("by host"));
    }
}
