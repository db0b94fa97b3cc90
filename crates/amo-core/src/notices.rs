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
//!
//! Tasks falling due ([`DueNotices`], issue 21) are looked at on their own clock (every half
//! minute, from the copy of the last list read — no request): the connected user's tasks whose
//! due time has passed and that were not told before make one notice. The first look (and the
//! first after another account is connected) only remembers what is already due, so a start of
//! the app does not announce yesterday's overdue tasks. Off with `task_notifications` or
//! `notifications`.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use crate::context::Ctx;
use crate::domain::my_tasks::MyTask;
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

/// Remembers which tasks' due times were told, for one process (the window).
pub struct DueNotices {
    ctx: Arc<Ctx>,
    seen: Mutex<Option<DueSeen>>,
}

/// What a look at due tasks left behind.
#[derive(Debug, Default)]
struct DueSeen {
    /// The account host the tasks were of.
    host: String,
    /// Tasks due at a look, by id and due time: a task moved later and falling due again is told
    /// again.
    told: BTreeSet<(i64, i64)>,
}

impl DueNotices {
    pub(crate) fn new(ctx: Arc<Ctx>) -> DueNotices {
        DueNotices { ctx, seen: Mutex::new(None) }
    }

    /// The notice of the connected user's tasks that fell due since the last look at `now`, from
    /// the copy of the last list read (none without one).
    pub fn check(&self, now: i64) -> Result<Vec<Notice>> {
        let store = &self.ctx.store;
        let Some((host, copy)) = store.tasks_copy().current(false)? else { return Ok(Vec::new()) };
        let mut guard = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let due = fell_due(&mut guard, &host, &copy.tasks, now);
        let settings = store.settings().load()?;
        Ok(due_notice(&due, settings.notifications && settings.task_notifications).into_iter().collect())
    }
}

/// One notice for all the tasks that fell due (none when there are none, or `on` is false).
fn due_notice(due: &[&MyTask], on: bool) -> Option<Notice> {
    (on && !due.is_empty()).then(|| Notice::TasksDue {
        count: u32::try_from(due.len()).unwrap_or(u32::MAX),
        titles: due.iter().take(TITLES_SHOWN).map(|t| t.text.clone()).collect(),
    })
}

/// The tasks of `tasks` (host `host`'s) due at `now` that `seen` has not told yet, soonest first;
/// `seen` then knows them. The first look, or the first at another host, tells nothing.
fn fell_due<'a>(seen: &mut Option<DueSeen>, host: &str, tasks: &'a [MyTask], now: i64) -> Vec<&'a MyTask> {
    let mut due: Vec<&MyTask> = tasks.iter().filter(|t| t.complete_till <= now).collect();
    due.sort_by_key(|t| (t.complete_till, t.id));
    let first = seen.as_ref().is_none_or(|s| s.host != host);
    let s = seen.get_or_insert_with(DueSeen::default);
    if first {
        *s = DueSeen { host: host.to_string(), told: due.iter().map(|t| (t.id, t.complete_till)).collect() };
        return Vec::new();
    }
    due.retain(|t| s.told.insert((t.id, t.complete_till)));
    due
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::my_tasks::DueBucket;

    fn task(id: i64, due: i64) -> MyTask {
        MyTask {
            id,
            text: format!("Task {id}"),
            task_type_id: 1,
            task_type: String::new(),
            complete_till: due,
            due: String::new(),
            bucket: DueBucket::Later,
            entity_type: None,
            entity_id: None,
            responsible_user_id: 1,
            responsible_name: None,
            updated_at: 0,
        }
    }

    fn ids(due: &[&MyTask]) -> Vec<i64> {
        due.iter().map(|t| t.id).collect()
    }

    #[test]
    fn the_first_look_only_remembers_then_each_task_is_told_once_when_it_falls_due() {
        let mut seen = None;
        let tasks = [task(1, 900), task(2, 1_030), task(3, 1_010), task(4, 5_000)];
        // At 1000 task 1 is overdue already: the first look remembers it, tells nothing.
        assert!(fell_due(&mut seen, "a.amocrm.ru", &tasks, 1_000).is_empty());
        // 1040: tasks 3 and 2 fell due since, soonest first, in one go.
        assert_eq!(ids(&fell_due(&mut seen, "a.amocrm.ru", &tasks, 1_040)), [3, 2]);
        // Told once.
        assert!(fell_due(&mut seen, "a.amocrm.ru", &tasks, 1_070).is_empty());
        // Task 1 moved to 2000 falls due again; a new task 5 appears overdue (read late).
        let moved = [task(1, 2_000), task(2, 1_030), task(3, 1_010), task(4, 5_000), task(5, 1_500)];
        assert_eq!(ids(&fell_due(&mut seen, "a.amocrm.ru", &moved, 1_600)), [5]);
        assert_eq!(ids(&fell_due(&mut seen, "a.amocrm.ru", &moved, 2_000)), [1]);
        // Another account: its first look only remembers.
        assert!(fell_due(&mut seen, "b.amocrm.ru", &[task(9, 1_900)], 2_000).is_empty());
        assert!(fell_due(&mut seen, "b.amocrm.ru", &[task(9, 1_900)], 2_030).is_empty());
    }

    #[test]
    fn several_tasks_falling_due_make_one_notice_naming_the_first_three() {
        let tasks: Vec<MyTask> = (1..=5).map(|i| task(i, 1_000 + i)).collect();
        let due: Vec<&MyTask> = tasks.iter().collect();
        let titles = vec!["Task 1".to_string(), "Task 2".into(), "Task 3".into()];
        assert_eq!(due_notice(&due, true), Some(Notice::TasksDue { count: 5, titles }));
        assert_eq!(due_notice(&due[..1], true), Some(Notice::TasksDue { count: 1, titles: vec!["Task 1".into()] }));
        assert_eq!(due_notice(&due, false), None, "off in Settings");
        assert_eq!(due_notice(&[], true), None);
    }
}
