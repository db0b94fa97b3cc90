//! When the system tells the user something: the window may be hidden in the tray, so what
//! needs them — or what they waited for — gets a notification. Called after every outbox or
//! connection change (the window debounces, so a burst of sends is one notice); compares what
//! the outbox and the account say now with what it saw last time. The first call only looks.
//!
//! Notified: entries that had waited (waiting at the last look while the outbox was failing, or
//! failed at least once themselves) reaching amoCRM, more entries
//! needing attention, an API ban, a connection needing a reconnect. Not notified: an entry sent
//! at the first attempt (the user just saw it queued), anything while notifications are off in
//! Settings.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use crate::context::Ctx;
use crate::domain::notice::Notice;
use crate::domain::outbox::OutboxState;
use crate::domain::reference::{record_url, RecordKind};
use crate::error::{Error, ErrorCode, Result};

/// How many sent entries' titles a burst notice names.
const TITLES_SHOWN: usize = 3;

pub struct Notices {
    ctx: Arc<Ctx>,
    seen: Mutex<Option<Seen>>,
}

#[derive(Default)]
struct Seen {
    sent: BTreeSet<i64>,
    /// Entries waiting to be sent at the last look.
    waiting: BTreeSet<i64>,
    attention: u32,
    banned: bool,
    reconnect: bool,
    keep_alive_failing: bool,
}

impl Notices {
    pub(crate) fn new(ctx: Arc<Ctx>) -> Notices {
        Notices { ctx, seen: Mutex::new(None) }
    }

    /// What changed since the last call that the user should hear about. `keep_alive` is why
    /// the last keep-alive refresh failed, if it did.
    pub fn check(&self, keep_alive: Option<Error>) -> Result<Vec<Notice>> {
        // A refused refresh is told as "reconnect needed"; any other failure on its own.
        let keep_alive = keep_alive.filter(|e| e.code() != ErrorCode::TokenRevoked);
        let store = &self.ctx.store;
        let rows = store.outbox().rows(None, 500)?;
        let account = store.account().load()?;
        let now = Seen {
            sent: rows.iter().filter(|r| r.state == OutboxState::Sent).map(|r| r.id).collect(),
            // Waiting because something failed (amoCRM unreachable, say) — not a lead merely in
            // flight on a slow machine, which the user just saw queued.
            waiting: if rows.iter().any(|r| is_waiting(r.state) && r.last_error.is_some()) {
                rows.iter().filter(|r| is_waiting(r.state)).map(|r| r.id).collect()
            } else {
                BTreeSet::new()
            },
            attention: rows.iter().filter(|r| r.state == OutboxState::Attention).count() as u32,
            banned: account.as_ref().is_some_and(|a| store.api_block().is_banned(&a.domain).unwrap_or(false)),
            reconnect: account.as_ref().is_some_and(|a| a.reconnect_needed),
            keep_alive_failing: keep_alive.is_some(),
        };
        let mut guard = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let Some(before) = guard.replace(now) else { return Ok(Vec::new()) };
        let now = guard.as_ref().expect("just set");
        if !store.settings().load()?.notifications {
            return Ok(Vec::new());
        }
        let mut notices = Vec::new();
        let waited: Vec<_> = rows
            .iter()
            .filter(|r| r.state == OutboxState::Sent && !before.sent.contains(&r.id) && !r.purged)
            .filter(|r| before.waiting.contains(&r.id) || r.attempts > 0)
            .collect();
        match waited.as_slice() {
            [] => {}
            [one] => notices.push(Notice::Sent {
                title: one.draft.title(),
                url: one.lead_id().zip(one.domain.as_deref()).map(|(id, d)| record_url(d, RecordKind::Lead, id)),
            }),
            many => notices.push(Notice::SentMany {
                count: many.len() as u32,
                titles: many.iter().rev().take(TITLES_SHOWN).map(|r| r.draft.title()).collect(),
            }),
        }
        if now.attention > before.attention {
            notices.push(Notice::Attention { count: now.attention });
        }
        if now.banned && !before.banned {
            notices.push(Notice::Banned);
        }
        if now.reconnect && !before.reconnect {
            notices.push(Notice::ReconnectNeeded);
        }
        if let Some(error) = keep_alive.filter(|_| !before.keep_alive_failing) {
            notices.push(Notice::KeepAliveFailed { error });
        }
        Ok(notices)
    }
}

fn is_waiting(s: OutboxState) -> bool {
    matches!(s, OutboxState::Queued | OutboxState::Sending)
}
