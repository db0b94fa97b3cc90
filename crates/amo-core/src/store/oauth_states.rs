//! Table `oauth_states`: sign-in states, stored only as a SHA-256 hash, valid 15 minutes, usable
//! once (the states themselves are made in `auth::state`). Used states are kept until they expire
//! so that a replay is recognised as a replay (`state_replayed`) rather than reported as unknown;
//! [`OAuthStates::cleanup`] removes expired ones.

use rusqlite::{params, OptionalExtension};
use sha2::{Digest, Sha256};

use super::Store;
use crate::error::{Error, Result, SignInError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateRecord {
    /// The Redirect URI this sign-in was started with; the code exchange must repeat it exactly.
    pub redirect_uri: String,
    pub created_at: i64,
}

fn hash(state: &str) -> String {
    Sha256::digest(state.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

pub struct OAuthStates<'a>(pub(super) &'a Store);

impl OAuthStates<'_> {
    /// Remembers a new state (its hash) for `ttl` seconds.
    pub fn insert(&self, state: &str, redirect_uri: &str, now: i64, ttl: i64) -> Result<()> {
        self.0.conn().execute(
            "INSERT INTO oauth_states (state_hash, redirect_uri, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![hash(state), redirect_uri, now, now.saturating_add(ttl)],
        )?;
        Ok(())
    }

    /// Marks the state used and returns what it was created with, or says precisely why not.
    /// Atomic: of two concurrent callers with the same state, exactly one succeeds.
    pub fn consume(&self, state: &str, now: i64) -> Result<StateRecord> {
        if state.is_empty() || state.len() > 256 {
            return Err(SignInError::StateUnknown.into());
        }
        let h = hash(state);
        let conn = self.0.conn();
        let updated = conn.execute(
            "UPDATE oauth_states SET used_at = ?2 WHERE state_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
            params![h, now],
        )?;
        let row = conn
            .query_row(
                "SELECT redirect_uri, created_at, expires_at, used_at FROM oauth_states WHERE state_hash = ?1",
                [&h],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get::<_, Option<i64>>(3)?)),
            )
            .optional()?;
        match (updated, row) {
            (1, Some((redirect_uri, created_at, _, _))) => Ok(StateRecord { redirect_uri, created_at }),
            (_, None) => Err(SignInError::StateUnknown.into()),
            (_, Some((_, _, _, Some(_)))) => Err(SignInError::StateReplayed.into()),
            (_, Some((_, _, expires_at, None))) if expires_at <= now => Err(SignInError::StateExpired.into()),
            _ => Err(crate::error::Error::internal("state store in an impossible condition")),
        }
    }

    /// Makes every unused state unusable: one sign-in at a time. Called when a new sign-in starts
    /// or the user cancels, so a late callback for an abandoned one can never complete or end the
    /// new one. Their outcome is `cancelled` (a process waiting on one stops).
    pub fn supersede_unused(&self, now: i64) -> Result<usize> {
        let cancelled = serde_json::to_string(&Error::from(SignInError::Cancelled)).map_err(Error::internal)?;
        Ok(self.0.conn().execute(
            "UPDATE oauth_states SET used_at = ?1, outcome = ?2 WHERE used_at IS NULL",
            params![now, cancelled],
        )?)
    }

    /// Ends one sign-in whose state has not been used, expired or not: the state becomes
    /// unusable and `outcome` says why (a process waiting on it stops with that error). Whether
    /// it was still unused. (`auth` ends only the sign-ins of its own process this way.)
    pub fn end_unused(&self, state: &str, now: i64, outcome: &Error) -> Result<bool> {
        let json = serde_json::to_string(outcome).map_err(Error::internal)?;
        let n = self.0.conn().execute(
            "UPDATE oauth_states SET used_at = ?2, outcome = ?3 WHERE state_hash = ?1 AND used_at IS NULL",
            params![hash(state), now, json],
        )?;
        Ok(n == 1)
    }

    /// Records why the sign-in of a used `state` did not connect.
    pub fn record_failure(&self, state: &str, error: &Error) -> Result<()> {
        let json = serde_json::to_string(error).map_err(Error::internal)?;
        self.0
            .conn()
            .execute("UPDATE oauth_states SET outcome = ?2 WHERE state_hash = ?1", params![hash(state), json])?;
        Ok(())
    }

    /// Why the sign-in of `state` did not connect, if that is known.
    pub fn failure(&self, state: &str) -> Result<Option<Error>> {
        let json: Option<Option<String>> = self
            .0
            .conn()
            .query_row("SELECT outcome FROM oauth_states WHERE state_hash = ?1", [hash(state)], |r| r.get(0))
            .optional()?;
        Ok(json.flatten().and_then(|j| serde_json::from_str(&j).ok()))
    }

    /// Says whether a state could be consumed now, without consuming it.
    pub fn peek(&self, state: &str, now: i64) -> Result<()> {
        let row = self
            .0
            .conn()
            .query_row("SELECT expires_at, used_at FROM oauth_states WHERE state_hash = ?1", [hash(state)], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?))
            })
            .optional()?;
        match row {
            None => Err(SignInError::StateUnknown.into()),
            Some((_, Some(_))) => Err(SignInError::StateReplayed.into()),
            Some((exp, None)) if exp <= now => Err(SignInError::StateExpired.into()),
            Some(_) => Ok(()),
        }
    }

    /// Deletes expired states (used or not). Returns how many.
    pub fn cleanup(&self, now: i64) -> Result<usize> {
        Ok(self.0.conn().execute("DELETE FROM oauth_states WHERE expires_at <= ?1", [now])?)
    }

    /// How many states are stored (for status and tests).
    pub fn count(&self) -> Result<i64> {
        Ok(self.0.conn().query_row("SELECT COUNT(*) FROM oauth_states", [], |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str = "http://127.0.0.1:53682/callback";
    const TTL: i64 = 15 * 60;

    /// A state as `auth::state` makes them (here just unique per call).
    fn create(store: &Store, uri: &str, now: i64) -> crate::error::Result<String> {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let s = format!("test-state-{}-{now}", N.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
        store.oauth_states().insert(&s, uri, now, TTL)?;
        Ok(s)
    }

    #[test]
    fn a_state_is_usable_exactly_once() {
        let db = Store::open_in_memory().expect("db");
        let s = create(&db, URI, 1000).expect("create");
        assert_eq!(db.oauth_states().consume(&s, 1001).expect("first").redirect_uri, URI);
        assert_eq!(db.oauth_states().consume(&s, 1002).expect_err("second").code().as_str(), "state_replayed");
    }

    #[test]
    fn unknown_and_expired_states_are_told_apart() {
        let db = Store::open_in_memory().expect("db");
        let s = create(&db, URI, 1000).expect("create");
        assert_eq!(db.oauth_states().consume("forged", 1001).expect_err("forged").code().as_str(), "state_unknown");
        assert_eq!(db.oauth_states().consume("", 1001).expect_err("empty").code().as_str(), "state_unknown");
        assert_eq!(db.oauth_states().consume(&s, 1000 + TTL).expect_err("expired").code().as_str(), "state_expired");
        // An expired state stays expired; it never becomes usable.
        assert_eq!(db.oauth_states().consume(&s, 1000 + TTL + 5).expect_err("still").code().as_str(), "state_expired");
    }

    #[test]
    fn the_database_holds_only_a_hash_of_the_state() {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join("s.sqlite3");
        let db = Store::open(&path).expect("db");
        let s = create(&db, URI, 1000).expect("create");
        drop(db);
        let mut bytes = std::fs::read(&path).expect("read");
        for f in ["s.sqlite3-wal"] {
            if let Ok(more) = std::fs::read(tmp.path().join(f)) {
                bytes.extend(more);
            }
        }
        assert!(!bytes.windows(s.len()).any(|w| w == s.as_bytes()));
    }

    #[test]
    fn peek_classifies_without_consuming() {
        let db = Store::open_in_memory().expect("db");
        let s = create(&db, URI, 1000).expect("create");
        assert!(db.oauth_states().peek(&s, 1001).is_ok());
        assert!(db.oauth_states().peek(&s, 1001).is_ok(), "peeking twice does not use it");
        assert_eq!(db.oauth_states().peek("nope", 1001).expect_err("unknown").code().as_str(), "state_unknown");
        assert_eq!(db.oauth_states().peek(&s, 1000 + TTL).expect_err("expired").code().as_str(), "state_expired");
        db.oauth_states().consume(&s, 1002).expect("consume");
        assert_eq!(db.oauth_states().peek(&s, 1003).expect_err("used").code().as_str(), "state_replayed");
    }

    #[test]
    fn a_new_sign_in_supersedes_unused_states() {
        let db = Store::open_in_memory().expect("db");
        let old = create(&db, URI, 1000).expect("old");
        assert_eq!(db.oauth_states().supersede_unused(1001).expect("supersede"), 1);
        let new = create(&db, URI, 1001).expect("new");
        assert_eq!(db.oauth_states().consume(&old, 1002).expect_err("old").code().as_str(), "state_replayed");
        assert!(db.oauth_states().consume(&new, 1002).is_ok());
    }

    #[test]
    fn cleanup_removes_only_expired_states() {
        let db = Store::open_in_memory().expect("db");
        let old = create(&db, URI, 0).expect("old");
        let used_old = create(&db, URI, 10).expect("used");
        db.oauth_states().consume(&used_old, 11).expect("consume");
        let fresh = create(&db, URI, 2000).expect("fresh");
        assert_eq!(db.oauth_states().cleanup(2000).expect("cleanup"), 2);
        assert_eq!(db.oauth_states().count().expect("count"), 1);
        assert_eq!(db.oauth_states().consume(&old, 2001).expect_err("gone").code().as_str(), "state_unknown");
        assert!(db.oauth_states().consume(&fresh, 2001).is_ok());
    }

    #[test]
    fn concurrent_consumers_get_exactly_one_success() {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join("c.sqlite3");
        let s = create(&Store::open(&path).expect("db"), URI, 1000).expect("create");
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (p, s) = (path.clone(), s.clone());
                std::thread::spawn(move || Store::open(&p).expect("db").oauth_states().consume(&s, 1001).is_ok())
            })
            .collect();
        let ok = handles.into_iter().map(|h| h.join().expect("join")).filter(|x| *x).count();
        assert_eq!(ok, 1);
    }
}
