//! OAuth `state` values: random, stored in SQLite (only as a SHA-256 hash), valid 15 minutes,
//! usable once. Used states are kept until they expire so that a replay is recognised as a
//! replay (`state_replayed`) rather than reported as unknown; [`cleanup`] removes expired ones.

use base64::Engine;
use rand::RngCore;
use rusqlite::{params, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::db::Db;
use crate::error::{Error, Result};

/// 15 minutes, as in the original integration.
pub const STATE_TTL_SECS: i64 = 15 * 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateRecord {
    /// The Redirect URI this sign-in was started with; the code exchange must repeat it exactly.
    pub redirect_uri: String,
    pub created_at: i64,
}

fn hash(state: &str) -> String {
    Sha256::digest(state.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh state: 32 random bytes, base64url (43 characters).
pub fn create(db: &Db, redirect_uri: &str, now: i64) -> Result<String> {
    create_with_prefix(db, "", redirect_uri, now)
}

/// A fresh state after a visible prefix. The HTTPS bounce page reads the prefix to know where to
/// forward (`l53682.` → loopback port 53682, `d.` → deep link); the random part is the guard.
pub fn create_with_prefix(db: &Db, prefix: &str, redirect_uri: &str, now: i64) -> Result<String> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let state = format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes));
    db.conn().execute(
        "INSERT INTO oauth_states (state_hash, redirect_uri, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![hash(&state), redirect_uri, now, now + STATE_TTL_SECS],
    )?;
    Ok(state)
}

/// Marks the state used and returns what it was created with, or says precisely why not.
/// Atomic: of two concurrent callers with the same state, exactly one succeeds.
pub fn consume(db: &Db, state: &str, now: i64) -> Result<StateRecord> {
    if state.is_empty() || state.len() > 256 {
        return Err(Error::StateUnknown);
    }
    let h = hash(state);
    let conn = db.conn();
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
        (_, None) => Err(Error::StateUnknown),
        (_, Some((_, _, _, Some(_)))) => Err(Error::StateReplayed),
        (_, Some((_, _, expires_at, None))) if expires_at <= now => Err(Error::StateExpired),
        _ => Err(Error::Internal("state store in an impossible condition".into())),
    }
}

/// Makes every unused state unusable: one sign-in at a time. Called when a new sign-in starts,
/// so a late callback for an abandoned one can never complete or end the new one.
pub fn supersede_unused(db: &Db, now: i64) -> Result<usize> {
    Ok(db.conn().execute("UPDATE oauth_states SET used_at = ?1 WHERE used_at IS NULL", [now])?)
}

/// Says whether a state could be consumed now, without consuming it.
pub fn peek(db: &Db, state: &str, now: i64) -> Result<()> {
    let row = db
        .conn()
        .query_row("SELECT expires_at, used_at FROM oauth_states WHERE state_hash = ?1", [hash(state)], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?))
        })
        .optional()?;
    match row {
        None => Err(Error::StateUnknown),
        Some((_, Some(_))) => Err(Error::StateReplayed),
        Some((exp, None)) if exp <= now => Err(Error::StateExpired),
        Some(_) => Ok(()),
    }
}

/// Deletes expired states (used or not). Returns how many.
pub fn cleanup(db: &Db, now: i64) -> Result<usize> {
    Ok(db.conn().execute("DELETE FROM oauth_states WHERE expires_at <= ?1", [now])?)
}

/// How many states are stored (for status and tests).
pub fn count(db: &Db) -> Result<i64> {
    Ok(db.conn().query_row("SELECT COUNT(*) FROM oauth_states", [], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str = "http://127.0.0.1:53682/callback";

    #[test]
    fn a_state_is_usable_exactly_once() {
        let db = Db::open_in_memory().expect("db");
        let s = create(&db, URI, 1000).expect("create");
        assert_eq!(s.len(), 43);
        assert_eq!(consume(&db, &s, 1001).expect("first").redirect_uri, URI);
        assert_eq!(consume(&db, &s, 1002).expect_err("second").code(), "state_replayed");
    }

    #[test]
    fn unknown_and_expired_states_are_told_apart() {
        let db = Db::open_in_memory().expect("db");
        let s = create(&db, URI, 1000).expect("create");
        assert_eq!(consume(&db, "forged", 1001).expect_err("forged").code(), "state_unknown");
        assert_eq!(consume(&db, "", 1001).expect_err("empty").code(), "state_unknown");
        assert_eq!(consume(&db, &s, 1000 + STATE_TTL_SECS).expect_err("expired").code(), "state_expired");
        // An expired state stays expired; it never becomes usable.
        assert_eq!(consume(&db, &s, 1000 + STATE_TTL_SECS + 5).expect_err("still").code(), "state_expired");
    }

    #[test]
    fn the_database_holds_only_a_hash_of_the_state() {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join("s.sqlite3");
        let db = Db::open(&path).expect("db");
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
        let db = Db::open_in_memory().expect("db");
        let s = create(&db, URI, 1000).expect("create");
        assert!(peek(&db, &s, 1001).is_ok());
        assert!(peek(&db, &s, 1001).is_ok(), "peeking twice does not use it");
        assert_eq!(peek(&db, "nope", 1001).expect_err("unknown").code(), "state_unknown");
        assert_eq!(peek(&db, &s, 1000 + STATE_TTL_SECS).expect_err("expired").code(), "state_expired");
        consume(&db, &s, 1002).expect("consume");
        assert_eq!(peek(&db, &s, 1003).expect_err("used").code(), "state_replayed");
    }

    #[test]
    fn a_new_sign_in_supersedes_unused_states() {
        let db = Db::open_in_memory().expect("db");
        let old = create(&db, URI, 1000).expect("old");
        assert_eq!(supersede_unused(&db, 1001).expect("supersede"), 1);
        let new = create(&db, URI, 1001).expect("new");
        assert_eq!(consume(&db, &old, 1002).expect_err("old").code(), "state_replayed");
        assert!(consume(&db, &new, 1002).is_ok());
    }

    #[test]
    fn cleanup_removes_only_expired_states() {
        let db = Db::open_in_memory().expect("db");
        let old = create(&db, URI, 0).expect("old");
        let used_old = create(&db, URI, 10).expect("used");
        consume(&db, &used_old, 11).expect("consume");
        let fresh = create(&db, URI, 2000).expect("fresh");
        assert_eq!(cleanup(&db, 2000).expect("cleanup"), 2);
        assert_eq!(count(&db).expect("count"), 1);
        assert_eq!(consume(&db, &old, 2001).expect_err("gone").code(), "state_unknown");
        assert!(consume(&db, &fresh, 2001).is_ok());
    }

    #[test]
    fn concurrent_consumers_get_exactly_one_success() {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join("c.sqlite3");
        let s = create(&Db::open(&path).expect("db"), URI, 1000).expect("create");
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (p, s) = (path.clone(), s.clone());
                std::thread::spawn(move || consume(&Db::open(&p).expect("db"), &s, 1001).is_ok())
            })
            .collect();
        let ok = handles.into_iter().map(|h| h.join().expect("join")).filter(|x| *x).count();
        assert_eq!(ok, 1);
    }
}
