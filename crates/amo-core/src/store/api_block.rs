//! Table `api_block`: amoCRM banned the account's API (403 with an HTML page). While the row
//! exists nothing is sent, in any process, until the user says support lifted the block.

use super::Store;
use crate::error::Result;

pub struct ApiBlock<'a>(pub(super) &'a Store);

impl ApiBlock<'_> {
    pub fn is_banned(&self) -> Result<bool> {
        Ok(self.0.conn().query_row("SELECT COUNT(*) FROM api_block", [], |r| r.get::<_, i64>(0))? > 0)
    }

    pub fn set_banned(&self, now: i64) -> Result<()> {
        self.0.conn().execute("INSERT OR IGNORE INTO api_block (id, banned_at) VALUES (1, ?1)", [now])?;
        Ok(())
    }

    /// Returns whether a ban was recorded.
    pub fn lift(&self) -> Result<bool> {
        Ok(self.0.conn().execute("DELETE FROM api_block", [])? > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ban_stays_until_lifted() {
        let store = Store::open_in_memory().expect("db");
        let b = store.api_block();
        assert!(!b.is_banned().expect("q"));
        b.set_banned(1).expect("ban");
        b.set_banned(2).expect("again");
        assert!(b.is_banned().expect("q"));
        assert!(b.lift().expect("lift"));
        assert!(!b.is_banned().expect("q") && !b.lift().expect("lift"));
    }
}
