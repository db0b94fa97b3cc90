//! Changes seen across processes. The window learns of every change to the outbox and the
//! connection, whoever made it — an entry queued or sent by `amo-connect lead add`, `outbox run`
//! or a softphone's command, a sign-in finished by `amo-connect connect` — from the store's change
//! counters (`store::changes`, bumped by triggers in every process), and of a change that leaves
//! no row behind (the keep-alive starting or stopping to fail) from [`Changes::poke`]. One watcher
//! turns them into what the shell pushes to the window.
//!
//! When to look: this process's writes signal at once (the store's update hook); another
//! process's writes reach the database file, and the OS says so (`notify`: inotify, FSEvents,
//! ReadDirectoryChangesW on the file's folder) — so an idle window reads nothing and wakes for
//! nothing. The caller's `poll` stays as a safety net (a file system that reports no changes,
//! such as some network shares) and is the only way when the folder cannot be watched.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify::Watcher;

use crate::context::Ctx;
use crate::error::Result;
use crate::store::Versions;

/// At most this many looks a second after this process's own writes (a send is a burst of them).
const SETTLE: Duration = Duration::from_millis(100);

/// After the OS reports a write to the database file: when to look (from the report, then from
/// the look before) until a change is seen.
const FILE_LOOKS: [Duration; 2] = [Duration::from_millis(30), Duration::from_millis(300)];

/// What changed since the last look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Changed {
    /// Entries, their steps, a ban: the banner, History, the tray's line, notifications.
    pub outbox: bool,
    /// The connection: the status panel.
    pub account: bool,
    /// The copy of the account's people (a sync's progress, its end, a wipe): Settings.
    pub people: bool,
}

impl Changed {
    pub fn any(&self) -> bool {
        self.outbox || self.account || self.people
    }
}

pub struct Changes {
    ctx: Arc<Ctx>,
    seen: Mutex<Versions>,
    poked: AtomicBool,
}

impl Changes {
    pub(crate) fn new(ctx: Arc<Ctx>) -> Changes {
        // The first look: what is there already is not news.
        let seen = ctx.store.changes().versions().unwrap_or_default();
        Changes { ctx, seen: Mutex::new(seen), poked: AtomicBool::new(false) }
    }

    /// What changed since the last call.
    pub fn check(&self) -> Result<Changed> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        self.since(&mut seen)
    }

    /// What changed since `seen`, which becomes now.
    fn since(&self, seen: &mut Versions) -> Result<Changed> {
        let now = self.ctx.store.changes().versions()?;
        let poked = self.poked.swap(false, Ordering::AcqRel);
        let changed = Changed {
            outbox: now.outbox != seen.outbox,
            account: now.account != seen.account || poked,
            people: now.people != seen.people,
        };
        *seen = now;
        Ok(changed)
    }

    /// The connection changed without a row changing (a keep-alive refresh failing): the next
    /// look reports it.
    pub fn poke(&self) {
        self.poked.store(true, Ordering::Release);
        self.ctx.store.changed().notify_one();
    }

    /// Looks after each write of this process, after the OS reports a write to the database file
    /// (another process's), and at least every `poll`, and calls `on_change` with what changed
    /// since this call (what happened before is what the watcher starts from, not news). The
    /// future runs until the process ends.
    pub fn watch(
        self: Arc<Self>,
        poll: Duration,
        on_change: impl Fn(Changed) + Send + Sync + 'static,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        // Its own baseline: a caller of `check` does not take its events.
        let mut seen = self.ctx.store.changes().versions().unwrap_or_default();
        let signal = self.ctx.store.changed();
        // Set up now, not at the first poll of the future: a write right after this call is heard.
        let file_signal = Arc::new(tokio::sync::Notify::new());
        let file_watch = self.ctx.store.changes().file().and_then(|f| watch_file(&f, file_signal.clone()));
        async move {
            // Kept for as long as the loop runs: dropping it stops the OS's reports.
            let _file_watch = file_watch;
            loop {
                let looks: &[Duration] = tokio::select! {
                    _ = signal.notified() => &[Duration::ZERO],
                    // The OS reports the log's bytes written before the writer marks its
                    // transaction committed (in the shared-memory index, which makes no event):
                    // look a moment later, and once more if that was still too early.
                    _ = file_signal.notified() => &FILE_LOOKS,
                    _ = tokio::time::sleep(poll) => &[Duration::ZERO],
                };
                for wait in looks {
                    tokio::time::sleep(*wait).await;
                    match self.since(&mut seen) {
                        Ok(c) if c.any() => {
                            on_change(c);
                            tokio::time::sleep(SETTLE).await;
                            break;
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(code = %e.code(), "could not read what changed"),
                    }
                }
            }
        }
    }
}

/// Wakes `signal` whenever the OS reports a change to the database file or its write-ahead log
/// (`amo-connect.db`, `amo-connect.db-wal`): the folder is watched, since SQLite writes the log and
/// replaces neither file. `None` (logged) when the folder cannot be watched — the poll then
/// does the work.
fn watch_file(db: &Path, signal: Arc<tokio::sync::Notify>) -> Option<notify::RecommendedWatcher> {
    let dir = db.parent()?.to_path_buf();
    let name = db.file_name()?.to_string_lossy().into_owned();
    let handler = move |event: notify::Result<notify::Event>| {
        let ours = |p: &std::path::PathBuf| {
            p.file_name().map(|f| f.to_string_lossy()).is_some_and(|f| f == name || f == format!("{name}-wal"))
        };
        if let Ok(e) = event {
            if !matches!(e.kind, notify::EventKind::Access(_)) && e.paths.iter().any(ours) {
                signal.notify_one();
            }
        }
    };
    let started = notify::recommended_watcher(handler)
        .and_then(|mut w| w.watch(&dir, notify::RecursiveMode::NonRecursive).map(|()| w));
    match started {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::info!("the data folder cannot be watched ({e}); other processes' changes are read every poll");
            None
        }
    }
}
