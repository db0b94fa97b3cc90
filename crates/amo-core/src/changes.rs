//! Changes seen across processes. The window learns of every change to the outbox and the
//! connection, whoever made it — an entry queued or sent by `amo-connect lead add`, `outbox run`
//! or a softphone's command, a sign-in finished by `amo-connect connect` — from the store's change
//! counters (`store::changes`, bumped by triggers in every process), and of a change that leaves
//! no row behind (the keep-alive starting or stopping to fail) from [`Changes::poke`]. One watcher
//! turns them into what the shell pushes to the window.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::context::Ctx;
use crate::error::Result;
use crate::store::Versions;

/// At most this many looks a second after this process's own writes (a send is a burst of them).
const SETTLE: Duration = Duration::from_millis(100);

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

    /// Looks after each write of this process and at least every `poll` (another process's),
    /// and calls `on_change` with what changed since this call (what happened before is what the
    /// watcher starts from, not news). The future runs until the process ends.
    pub fn watch(
        self: Arc<Self>,
        poll: Duration,
        on_change: impl Fn(Changed) + Send + Sync + 'static,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        // Its own baseline: a caller of `check` does not take its events.
        let mut seen = self.ctx.store.changes().versions().unwrap_or_default();
        let signal = self.ctx.store.changed();
        async move {
            loop {
                tokio::select! {
                    _ = signal.notified() => {}
                    _ = tokio::time::sleep(poll) => {}
                }
                match self.since(&mut seen) {
                    Ok(c) if c.any() => {
                        on_change(c);
                        tokio::time::sleep(SETTLE).await;
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(code = %e.code(), "could not read what changed"),
                }
            }
        }
    }
}
