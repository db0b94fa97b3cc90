//! The one SQLite file, and the only code that runs SQL. WAL mode, a busy timeout for the window
//! and the CLI using it at once, `synchronous=FULL` (a typed lead must survive a power cut), and
//! versioned migrations (`migrations.rs`).
//!
//! One file per table; each table is reached through its own handle (`store.outbox()`,
//! `store.account()`, …) whose methods each take the connection lock for one statement or one
//! transaction and give it back before returning. Nothing outside this module holds the lock, so
//! no caller can call back into the store while holding it. It holds settings, hashed OAuth
//! states, account facts, the outbox, cached reference data and the copy of the account's people — never a token or a
//! secret.

mod account;
mod api_block;
mod changes;
mod draft_column;
mod form_layout;
mod marker;
pub(crate) mod migrations;
mod oauth_states;
mod outbox;
mod outbox_steps;
mod people;
mod reference_cache;
mod settings;
mod tasks_copy;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, LocalError, Result};

pub use account::AccountTable;
pub use api_block::ApiBlock;
pub use changes::{ChangesTable, Versions};
pub use form_layout::FormLayoutTable;
pub use oauth_states::{OAuthStates, StateRecord};
pub use outbox::{Entry, NewEntry, OutboxRow, OutboxTable, Replan, SummaryCounts};
pub use outbox_steps::{OutboxSteps, StepRow};
pub use people::{PeopleTable, SyncState};
pub use reference_cache::ReferenceCache;
pub use settings::{SettingKey, SettingsTable};
pub use tasks_copy::TasksCopyTable;

pub struct Store {
    conn: Mutex<Connection>,
    /// Woken when this process's writes move a change counter (`changes.rs`).
    changed: Arc<tokio::sync::Notify>,
}

impl Store {
    /// Opens (or creates) the database at `path`, never through a symlink planted in its place
    /// or in place of its journal (SQLite's `NOFOLLOW` for the file itself; the journals are
    /// looked at first, in a directory only the user can write to — `paths::DataDir`).
    pub fn open(path: &Path) -> Result<Store> {
        let fail = |detail: String| Error::from(LocalError::Storage { detail });
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let p = std::path::PathBuf::from(p);
            if crate::paths::is_symlink(&p) {
                return Err(fail(crate::paths::symlink_refused(&p).to_string()));
            }
        }
        let flags = OpenFlags::default() | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|e| fail(format!("cannot open {}: {e}", path.display())))?;
        Store::init(conn)
    }

    pub fn open_in_memory() -> Result<Store> {
        Store::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Store> {
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL, not NORMAL: a lead the user typed must survive a power cut, not only a crash.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Deleted content is overwritten, not left in free pages: customer data removed after
        // the retention period is really gone from the file.
        conn.pragma_update(None, "secure_delete", "ON")?;
        migrate(&mut conn)?;
        // The triggers of schema 12 bump `changes` on every write that matters; hearing that
        // here wakes whoever watches, without waiting for its next look.
        let changed = Arc::new(tokio::sync::Notify::new());
        let signal = changed.clone();
        conn.update_hook(Some(move |_: rusqlite::hooks::Action, _: &str, table: &str, _: i64| {
            if table == "changes" {
                signal.notify_one();
            }
        }));
        Ok(Store { conn: Mutex::new(conn), changed })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite itself consistent (transactions roll back),
        // so a poisoned mutex is safe to reuse.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn settings(&self) -> SettingsTable<'_> {
        SettingsTable(self)
    }

    pub fn oauth_states(&self) -> OAuthStates<'_> {
        OAuthStates(self)
    }

    pub fn account(&self) -> AccountTable<'_> {
        AccountTable(self)
    }

    pub fn outbox(&self) -> OutboxTable<'_> {
        OutboxTable(self)
    }

    pub fn outbox_steps(&self) -> OutboxSteps<'_> {
        OutboxSteps(self)
    }

    pub fn people(&self) -> PeopleTable<'_> {
        PeopleTable(self)
    }

    pub fn reference_cache(&self) -> ReferenceCache<'_> {
        ReferenceCache(self)
    }

    pub fn api_block(&self) -> ApiBlock<'_> {
        ApiBlock(self)
    }

    pub fn form_layouts(&self) -> FormLayoutTable<'_> {
        FormLayoutTable(self)
    }

    pub fn changes(&self) -> ChangesTable<'_> {
        ChangesTable(self)
    }

    /// The last lists of open tasks read ("My tasks" offline; schema 15).
    pub fn tasks_copy(&self) -> TasksCopyTable<'_> {
        TasksCopyTable(self)
    }

    /// How phones typed without a country code are read ([`Platform::for_phones`]) for what this
    /// store holds now: the connected account, else the account address configured in Settings.
    pub fn platform_for_phones(&self) -> crate::domain::platform::Platform {
        use crate::domain::platform::Platform;
        match self.account().load().ok().flatten() {
            Some(a) => Platform::for_phones(Some((a.platform, &a.domain)), None),
            None => Platform::for_phones(None, self.settings().load().ok().and_then(|s| s.domain).as_deref()),
        }
    }

    /// Notified when a write of this process moved a change counter (one permit is kept for a
    /// watcher that was not waiting yet).
    pub fn changed(&self) -> Arc<tokio::sync::Notify> {
        self.changed.clone()
    }
}

fn migrate(conn: &mut Connection) -> Result<()> {
    use migrations::MIGRATIONS;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let version = usize::try_from(version).map_err(|_| Error::storage("negative schema version"))?;
    if version > MIGRATIONS.len() {
        return Err(Error::storage(format!(
            "the database was written by a newer Amo Connect (schema {version}, this build knows {})",
            MIGRATIONS.len()
        )));
    }
    for (i, step) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        step.apply(&tx)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::settings::Settings;

    #[test]
    fn migrations_apply_once_and_reopen_cleanly() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("t.sqlite3");
        {
            let store = Store::open(&path).expect("open");
            store.settings().set(SettingKey::ClientId, Some("b")).expect("set");
        }
        let store = Store::open(&path).expect("reopen");
        assert_eq!(store.settings().load().expect("load").client_id.as_deref(), Some("b"));
        let uv: i64 = store.conn().query_row("PRAGMA user_version", [], |r| r.get(0)).expect("uv");
        assert_eq!(uv as usize, migrations::MIGRATIONS.len());
        assert_ne!(store.settings().load().expect("load"), Settings::default());
    }

    /// A symlink planted where the database or its journal goes is refused, not followed: the
    /// file it points to is left as it was.
    #[cfg(unix)]
    #[test]
    fn a_symlink_in_place_of_the_database_is_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let target = tmp.path().join("elsewhere");
        std::fs::write(&target, "precious").expect("write");
        for planted in ["t.sqlite3", "t.sqlite3-wal", "t.sqlite3-shm", "t.sqlite3-journal"] {
            let dir = tmp.path().join(planted.replace('.', "_"));
            std::fs::create_dir(&dir).expect("mkdir");
            std::os::unix::fs::symlink(&target, dir.join(planted)).expect("symlink");
            let err = Store::open(&dir.join("t.sqlite3")).err().expect("refused");
            assert_eq!(err.code().as_str(), "storage", "{planted}");
            assert!(err.to_string().contains(planted), "{planted}: {err}");
            assert_eq!(std::fs::read_to_string(&target).expect("read"), "precious", "{planted}");
        }
        // A plain file is opened as before.
        Store::open(&tmp.path().join("plain.sqlite3")).expect("plain");
    }

    #[test]
    fn refuses_a_newer_schema() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("t.sqlite3");
        {
            let c = Connection::open(&path).expect("c");
            c.pragma_update(None, "user_version", 99).expect("set");
        }
        let err = Store::open(&path).err().expect("must fail");
        assert_eq!(err.code().as_str(), "storage");
    }
}
