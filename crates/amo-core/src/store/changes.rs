//! Table `changes`: one counter per topic (`outbox` — entries, their steps, a ban; `account` —
//! the connection; `people` — the copy of the account's people), bumped by triggers on every write to those tables, by any process on this
//! data directory (schema 12). Reading the counters is how a window learns that a CLI command
//! sent an entry or finished a sign-in. This process's own writes are heard at once: the store's
//! connection signals [`Store::changed`] whenever a counter moves.

use super::Store;
use crate::error::Result;

pub struct ChangesTable<'a>(pub(super) &'a Store);

/// The counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Versions {
    pub outbox: i64,
    pub account: i64,
    /// The copy of the account's people (`people_sync`: a sync's progress, an end, a wipe).
    pub people: i64,
}

impl ChangesTable<'_> {
    pub fn versions(&self) -> Result<Versions> {
        let conn = self.0.conn();
        let mut st = conn.prepare_cached("SELECT topic, version FROM changes")?;
        let mut v = Versions::default();
        for row in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            match row? {
                (t, n) if t == "outbox" => v.outbox = n,
                (t, n) if t == "account" => v.account = n,
                (t, n) if t == "people" => v.people = n,
                _ => {}
            }
        }
        Ok(v)
    }

    /// The database file other processes write (`None` in memory): watching it tells when to
    /// read the counters again (`changes.rs`).
    pub fn file(&self) -> Option<std::path::PathBuf> {
        self.0.conn().path().filter(|p| !p.is_empty()).map(std::path::PathBuf::from)
    }
}
