//! The one SQLite file: WAL mode, a busy timeout for the window and the CLI using it at once, and
//! versioned migrations keyed on `PRAGMA user_version`. It holds settings, pending OAuth states
//! (hashed) and account facts — never a token or a secret.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::Connection;

use crate::error::{Error, Result};

/// Each entry moves the schema from version `i` to `i + 1`. Append only.
const MIGRATIONS: &[&str] = &[
    // 1: settings, OAuth states, the connected account.
    "CREATE TABLE settings (
        key   TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
     );
     CREATE TABLE oauth_states (
        state_hash   TEXT PRIMARY KEY NOT NULL,
        redirect_uri TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        used_at      INTEGER
     );
     CREATE INDEX oauth_states_expires ON oauth_states (expires_at);
     CREATE TABLE account (
        id            INTEGER PRIMARY KEY CHECK (id = 1),
        domain        TEXT NOT NULL,
        platform      TEXT NOT NULL,
        auth_kind     TEXT NOT NULL,
        account_id    INTEGER,
        account_name  TEXT,
        subdomain     TEXT,
        current_user_id INTEGER,
        expires_at    INTEGER NOT NULL,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
     );",
    // 2: what the session manager needs: the Redirect URI the connection was made with (the
    // refresh grant must repeat it exactly), when tokens were last refreshed, and whether amoCRM
    // refused a refresh so only a new sign-in can help.
    "ALTER TABLE account ADD COLUMN redirect_uri TEXT;
     ALTER TABLE account ADD COLUMN last_refresh_at INTEGER;
     ALTER TABLE account ADD COLUMN reconnect_needed INTEGER NOT NULL DEFAULT 0;",
    // 3: lead and contact entry. Every entry the user submits is a row here *before* any network
    // call (see `outbox`). `marker_at` is the `created_at` we send to amoCRM: unique per entry,
    // so after a crash the entry can be found in amoCRM by name + created_at instead of being
    // sent twice. `create_sent` / `note_sent` say a request may have reached amoCRM.
    "CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        draft TEXT NOT NULL,
        state TEXT NOT NULL,
        marker_at INTEGER NOT NULL UNIQUE,
        request_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL,
        create_sent INTEGER NOT NULL DEFAULT 0,
        note_sent INTEGER NOT NULL DEFAULT 0,
        lead_id INTEGER,
        contact_id INTEGER,
        note_id INTEGER,
        merged INTEGER NOT NULL DEFAULT 0,
        last_error_code TEXT,
        last_error_message TEXT,
        field_errors TEXT,
        sent_at INTEGER,
        domain TEXT
     );
     CREATE INDEX outbox_due ON outbox (state, next_attempt_ms);
     CREATE TABLE reference_cache (
        key TEXT PRIMARY KEY,
        json TEXT NOT NULL,
        fetched_at INTEGER NOT NULL
     );
     CREATE TABLE api_block (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        banned_at INTEGER NOT NULL
     );",
];

pub struct Db {
    conn: Mutex<Connection>,
}

impl Db {
    pub fn open(path: &Path) -> Result<Db> {
        let conn =
            Connection::open(path).map_err(|e| Error::Storage(format!("cannot open {}: {e}", path.display())))?;
        Db::init(conn)
    }

    pub fn open_in_memory() -> Result<Db> {
        Db::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Db> {
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL, not NORMAL: a lead the user typed must survive a power cut, not only a crash.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrate(&mut conn)?;
        Ok(Db { conn: Mutex::new(conn) })
    }

    pub fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite itself consistent (transactions roll back),
        // so a poisoned mutex is safe to reuse.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let version = usize::try_from(version).map_err(|_| Error::Storage("negative schema version".into()))?;
    if version > MIGRATIONS.len() {
        return Err(Error::Storage(format!(
            "the database was written by a newer Amo Connect (schema {version}, this build knows {})",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_reopen_cleanly() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("t.sqlite3");
        {
            let db = Db::open(&path).expect("open");
            db.conn().execute("INSERT INTO settings (key, value) VALUES ('a', 'b')", []).expect("insert");
        }
        let db = Db::open(&path).expect("reopen");
        let v: String = db.conn().query_row("SELECT value FROM settings WHERE key='a'", [], |r| r.get(0)).expect("q");
        assert_eq!(v, "b");
        let uv: i64 = db.conn().query_row("PRAGMA user_version", [], |r| r.get(0)).expect("uv");
        assert_eq!(uv as usize, MIGRATIONS.len());
    }

    #[test]
    fn refuses_a_newer_schema() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("t.sqlite3");
        {
            let c = Connection::open(&path).expect("c");
            c.pragma_update(None, "user_version", 99).expect("set");
        }
        let err = Db::open(&path).err().expect("must fail");
        assert_eq!(err.code(), "storage");
    }
}
