//! Table `api_block`: amoCRM banned an account's API (403 with an HTML page). While its row
//! exists nothing is sent to that account, by any process, until the user says support lifted
//! the block. One row per account host: another account connected meanwhile is not blocked.

use super::Store;
use crate::error::Result;

pub struct ApiBlock<'a>(pub(super) &'a Store);

impl ApiBlock<'_> {
    pub fn is_banned(&self, domain: &str) -> Result<bool> {
        Ok(self
            .0
            .conn()
            .query_row("SELECT COUNT(*) FROM api_block WHERE domain = ?1", [domain], |r| r.get::<_, i64>(0))?
            > 0)
    }

    pub fn set_banned(&self, domain: &str, now: i64) -> Result<()> {
        self.0.conn().execute(
            "INSERT OR IGNORE INTO api_block (domain, banned_at) VALUES (?1, ?2)",
            rusqlite::params![domain, now],
        )?;
        Ok(())
    }

    /// Returns whether a ban was recorded.
    pub fn lift(&self, domain: &str) -> Result<bool> {
        Ok(self.0.conn().execute("DELETE FROM api_block WHERE domain = ?1", [domain])? > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ban_stays_until_lifted_and_is_one_accounts() {
        let store = Store::open_in_memory().expect("db");
        let b = store.api_block();
        assert!(!b.is_banned("a.amocrm.ru").expect("q"));
        b.set_banned("a.amocrm.ru", 1).expect("ban");
        b.set_banned("a.amocrm.ru", 2).expect("again");
        assert!(b.is_banned("a.amocrm.ru").expect("q"));
        assert!(!b.is_banned("b.amocrm.ru").expect("q"), "another account is not banned");
        assert!(!b.lift("b.amocrm.ru").expect("lift"));
        assert!(b.lift("a.amocrm.ru").expect("lift"));
        assert!(!b.is_banned("a.amocrm.ru").expect("q") && !b.lift("a.amocrm.ru").expect("lift"));
    }
}
