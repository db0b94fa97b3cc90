//! "My tasks": the open tasks of the connected user (or everyone's), as amoCRM lists them, sorted
//! into the piles a sales manager works from — overdue, today, tomorrow, this week, later — by
//! the **account's** time zone with its summer-time rules (`domain::zone`, docs/amocrm-api.md
//! §11.14, §18.1). amoCRM has no documented due-time filter (§18.1), so the whole open list is
//! read and the piles are made here; "today" is the account's today, not this computer's: on a
//! UTC machine at 22:00 a Moscow account is already in tomorrow.
//!
//! Weeks run Monday to Sunday, as the due presets' "next week" (Monday 10:00) does
//! (`domain::task`). No I/O: the caller passes `now`.

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::reference::User;
use crate::domain::task::TaskType;
use crate::domain::zone::Zone;

/// Pages of 250 a task list reads at most (10 000 tasks): a bound, so a broken `next` link or a
/// vast account cannot keep the reading going for ever (the list says it was cut short).
pub const MAX_TASK_PAGES: usize = 40;

/// Which pile a task is in, soonest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DueBucket {
    /// Its due moment has passed (amoCRM shows it red).
    Overdue,
    /// Due later today, in the account's zone.
    Today,
    /// Due tomorrow (also when tomorrow is the next week's Monday).
    Tomorrow,
    /// Due after tomorrow and by the end of Sunday.
    ThisWeek,
    /// Due after this week.
    Later,
}

impl DueBucket {
    /// The pile of a task due at `due` (Unix seconds) when it is `now`, by `zone`'s calendar.
    pub fn of(due: i64, now: i64, zone: Zone) -> DueBucket {
        if due < now {
            return DueBucket::Overdue;
        }
        let (Some(today), Some(day)) = (zone.day(now), zone.day(due)) else { return DueBucket::Later };
        if day <= today {
            DueBucket::Today
        } else if Some(day) == today.succ_opt() {
            DueBucket::Tomorrow
        } else if day <= week_end(today) {
            DueBucket::ThisWeek
        } else {
            DueBucket::Later
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DueBucket::Overdue => "overdue",
            DueBucket::Today => "today",
            DueBucket::Tomorrow => "tomorrow",
            DueBucket::ThisWeek => "this_week",
            DueBucket::Later => "later",
        }
    }
}

/// The Sunday that ends `day`'s week.
fn week_end(day: NaiveDate) -> NaiveDate {
    let left = 6 - i64::from(day.weekday().num_days_from_monday());
    day.checked_add_signed(Duration::days(left)).unwrap_or(day)
}

/// Which tasks a list shows (`task list --overdue|--today|--week`). Each is "what must be done
/// by then": an overdue task is still to do, so today's and this week's lists include it —
/// a manager planning the day starts with what slipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DueScope {
    /// Every open task.
    #[default]
    All,
    /// Only the overdue ones.
    Overdue,
    /// Overdue and due by the end of today.
    Today,
    /// Overdue and due by the end of this week's Sunday (tomorrow's tasks only while tomorrow
    /// is in this week).
    Week,
}

impl DueScope {
    /// Whether a task due at `due` is in the list when it is `now`, by `zone`'s calendar.
    pub fn keeps(self, due: i64, now: i64, zone: Zone) -> bool {
        let by_day = |last: fn(NaiveDate) -> NaiveDate| {
            due < now || matches!((zone.day(now), zone.day(due)), (Some(t), Some(d)) if d <= last(t))
        };
        match self {
            DueScope::All => true,
            DueScope::Overdue => due < now,
            DueScope::Today => by_day(|t| t),
            DueScope::Week => by_day(week_end),
        }
    }
}

/// An open task as amoCRM lists it (`GET /api/v4/tasks`, docs/amocrm-api.md §8.8, §18.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenTask {
    pub id: i64,
    pub text: String,
    pub task_type_id: i64,
    /// Unix seconds.
    pub complete_till: i64,
    /// `leads`, `contacts`, `companies` or `customers`; none for a task on nothing.
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
    pub responsible_user_id: i64,
    /// When amoCRM last changed it: a change compares with this before it is sent.
    pub updated_at: i64,
}

/// A task as "my tasks" shows it: its pile and due time in the account's zone, its type and
/// responsible user by name when the account's reference data know them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MyTask {
    #[ts(type = "number")]
    pub id: i64,
    pub text: String,
    #[ts(type = "number")]
    pub task_type_id: i64,
    /// The type's name from the account's task types; its id as text when they do not name it.
    pub task_type: String,
    /// When it is due, Unix seconds (amoCRM's `complete_till`).
    #[ts(type = "number")]
    pub complete_till: i64,
    /// The same moment as RFC 3339 in the account's zone, with the offset in force then.
    pub due: String,
    pub bucket: DueBucket,
    pub entity_type: Option<String>,
    #[ts(type = "number | null")]
    pub entity_id: Option<i64>,
    #[ts(type = "number")]
    pub responsible_user_id: i64,
    /// None when the user list does not name them (a user who may not list users knows only
    /// themselves, docs/amocrm-api.md §8.10).
    pub responsible_name: Option<String>,
    /// When amoCRM last changed it (the version a change made from this list is checked against).
    #[ts(type = "number")]
    pub updated_at: i64,
}

/// The open tasks read, as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TaskList {
    /// Soonest first (then by id).
    pub tasks: Vec<MyTask>,
    /// More open tasks than a list reads ([`MAX_TASK_PAGES`] pages): the latest ones are left out.
    pub truncated: bool,
    /// When amoCRM could not be reached, the list is this computer's copy, read then (RFC 3339
    /// in the account's zone, like `due`): "offline — as of 09:12". None (null) when the list
    /// was just read.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub read_at: Option<String>,
}

/// One list as it was read and kept (`store::tasks_copy`): what answers while amoCRM cannot
/// be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TasksCopy {
    /// Whose tasks a copy of "mine" holds (none for everyone's).
    pub user_id: Option<i64>,
    pub tasks: Vec<MyTask>,
    pub truncated: bool,
    /// When amoCRM was read, Unix seconds.
    pub read_at: i64,
}

/// A task due within this many seconds counts as due now (the tray's count is looked at every
/// half minute).
pub const DUE_SOON: i64 = 60;

/// The tray's line: how many tasks are due now, and when the next one falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DueSummary {
    /// Overdue, or due within the next minute ([`DUE_SOON`]).
    pub due_now: u32,
    /// The soonest due time (Unix seconds) not yet counted in `due_now`.
    #[ts(type = "number | null")]
    pub next_due_at: Option<i64>,
}

/// `tasks` counted at `now`.
pub fn due_summary(tasks: &[MyTask], now: i64) -> DueSummary {
    let soon = now.saturating_add(DUE_SOON);
    DueSummary {
        due_now: u32::try_from(tasks.iter().filter(|t| t.complete_till <= soon).count()).unwrap_or(u32::MAX),
        next_due_at: tasks.iter().map(|t| t.complete_till).filter(|d| *d > soon).min(),
    }
}

/// `rows` as shown at `now`: each in its pile by `zone`, its type and responsible named from
/// `types` and `users`, soonest first; a task listed twice (a row shifted between pages) once.
pub fn my_tasks(rows: Vec<OpenTask>, types: &[TaskType], users: &[User], zone: Zone, now: i64) -> Vec<MyTask> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<MyTask> = rows
        .into_iter()
        .filter(|t| seen.insert(t.id))
        .map(|t| MyTask {
            task_type: types
                .iter()
                .find(|x| x.id == t.task_type_id && !x.name.trim().is_empty())
                .map_or_else(|| t.task_type_id.to_string(), |x| x.name.clone()),
            due: zone.rfc3339(t.complete_till),
            bucket: DueBucket::of(t.complete_till, now, zone),
            responsible_name: users
                .iter()
                .find(|u| u.id == t.responsible_user_id && !u.name.trim().is_empty())
                .map(|u| u.name.clone()),
            id: t.id,
            text: t.text,
            task_type_id: t.task_type_id,
            complete_till: t.complete_till,
            entity_type: t.entity_type,
            entity_id: t.entity_id,
            responsible_user_id: t.responsible_user_id,
            updated_at: t.updated_at,
        })
        .collect();
    out.sort_by_key(|t| (t.complete_till, t.id));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn at(rfc3339: &str) -> i64 {
        DateTime::parse_from_rfc3339(rfc3339).expect("valid").timestamp()
    }

    fn moscow() -> Zone {
        Zone::of_account(Some("Europe/Moscow"), Some(3 * 3600))
    }

    fn berlin_as_read_in_summer() -> Zone {
        Zone::of_account(Some("Europe/Berlin"), Some(2 * 3600))
    }

    /// Friday 2026-12-04 21:30 UTC: on a UTC machine still Friday evening, in Moscow already
    /// Saturday 00:30 — the account's Saturday decides.
    #[test]
    fn a_utc_plus_3_account_on_a_utc_machine_just_after_its_midnight() {
        let now = at("2026-12-04T21:30:00Z");
        let cases = [
            // Moscow's Saturday 00:10: a moment ago.
            ("2026-12-04T21:10:00Z", DueBucket::Overdue),
            // Saturday 23:00 in Moscow; still "tomorrow" by UTC's calendar.
            ("2026-12-05T20:00:00Z", DueBucket::Today),
            // Sunday 00:30 in Moscow.
            ("2026-12-05T21:30:00Z", DueBucket::Tomorrow),
            // Monday 00:30 in Moscow: next week (by UTC's calendar Sunday, this week).
            ("2026-12-06T21:30:00Z", DueBucket::Later),
        ];
        for (due, want) in cases {
            assert_eq!(DueBucket::of(at(due), now, moscow()), want, "{due}");
        }
        // The same instants by UTC's own calendar, to show the account's zone made the difference.
        let utc = Zone::from(0);
        assert_eq!(DueBucket::of(at("2026-12-05T20:00:00Z"), now, utc), DueBucket::Tomorrow);
        assert_eq!(DueBucket::of(at("2026-12-06T21:30:00Z"), now, utc), DueBucket::ThisWeek);
        // Exactly now is not yet overdue.
        assert_eq!(DueBucket::of(now, now, moscow()), DueBucket::Today);
    }

    #[test]
    fn this_week_ends_on_sunday_and_tomorrow_may_be_next_monday() {
        // Tuesday 2026-12-01 10:00 in Moscow.
        let now = at("2026-12-01T10:00:00+03:00");
        assert_eq!(DueBucket::of(at("2026-12-03T09:00:00+03:00"), now, moscow()), DueBucket::ThisWeek);
        assert_eq!(DueBucket::of(at("2026-12-06T23:59:59+03:00"), now, moscow()), DueBucket::ThisWeek);
        assert_eq!(DueBucket::of(at("2026-12-07T00:00:00+03:00"), now, moscow()), DueBucket::Later);
        // Sunday: tomorrow is Monday, of the next week; nothing is "this week" after today.
        let sunday = at("2026-12-06T12:00:00+03:00");
        assert_eq!(DueBucket::of(at("2026-12-07T10:00:00+03:00"), sunday, moscow()), DueBucket::Tomorrow);
        assert_eq!(DueBucket::of(at("2026-12-08T10:00:00+03:00"), sunday, moscow()), DueBucket::Later);
        // --week on Sunday: tomorrow's Monday task is next week's.
        assert!(!DueScope::Week.keeps(at("2026-12-07T10:00:00+03:00"), sunday, moscow()));
        assert!(DueScope::Week.keeps(at("2026-12-06T23:00:00+03:00"), sunday, moscow()));
    }

    /// Berlin, as amoCRM reports it in summer ("+02:00"). The day a task falls on follows the
    /// zone's rules, not one offset: on the spring switch's eve, Monday 00:30 CEST (Sunday 22:30
    /// UTC) would read Sunday 23:30 with winter's +01:00; on the autumn switch's eve, Sunday
    /// 23:30 CET (22:30 UTC) would read Monday 00:30 with summer's +02:00.
    #[test]
    fn a_summer_time_zone_puts_tasks_on_the_days_its_rules_say() {
        let berlin = berlin_as_read_in_summer();
        let spring_eve = at("2027-03-27T23:30:00+01:00");
        assert_eq!(DueBucket::of(at("2027-03-28T23:30:00+02:00"), spring_eve, berlin), DueBucket::Tomorrow);
        // Monday 00:30 CEST, exactly 24 hours later: next week.
        assert_eq!(DueBucket::of(at("2027-03-29T00:30:00+02:00"), spring_eve, berlin), DueBucket::Later);
        // A fixed +01:00 (winter's offset) would put that Monday 00:30 CEST on Sunday 23:30.
        assert_eq!(DueBucket::of(at("2027-03-29T00:30:00+02:00"), spring_eve, Zone::from(3600)), DueBucket::Tomorrow);

        let autumn_eve = at("2027-10-30T20:00:00+02:00");
        let sunday_late = at("2027-10-31T23:30:00+01:00");
        assert_eq!(DueBucket::of(sunday_late, autumn_eve, berlin), DueBucket::Tomorrow);
        assert_eq!(DueBucket::of(sunday_late, autumn_eve, Zone::from(2 * 3600)), DueBucket::Later);
        assert_eq!(berlin.rfc3339(sunday_late), "2027-10-31T23:30:00+01:00");
    }

    #[test]
    fn each_scope_is_what_must_be_done_by_then() {
        // Wednesday 2026-12-02 12:00 in Moscow.
        let now = at("2026-12-02T12:00:00+03:00");
        let z = moscow();
        let dues = [
            ("2026-11-20T10:00:00+03:00", DueBucket::Overdue),
            ("2026-12-02T11:59:00+03:00", DueBucket::Overdue),
            ("2026-12-02T18:00:00+03:00", DueBucket::Today),
            ("2026-12-03T10:00:00+03:00", DueBucket::Tomorrow),
            ("2026-12-06T10:00:00+03:00", DueBucket::ThisWeek),
            ("2026-12-07T10:00:00+03:00", DueBucket::Later),
        ];
        let kept = |scope: DueScope| -> Vec<DueBucket> {
            dues.iter().filter(|(d, _)| scope.keeps(at(d), now, z)).map(|(_, b)| *b).collect()
        };
        use DueBucket::*;
        assert_eq!(kept(DueScope::All), [Overdue, Overdue, Today, Tomorrow, ThisWeek, Later]);
        assert_eq!(kept(DueScope::Overdue), [Overdue, Overdue]);
        assert_eq!(kept(DueScope::Today), [Overdue, Overdue, Today]);
        assert_eq!(kept(DueScope::Week), [Overdue, Overdue, Today, Tomorrow, ThisWeek]);
        for (d, b) in dues {
            assert_eq!(DueBucket::of(at(d), now, z), b, "{d}");
        }
    }

    #[test]
    fn tasks_are_named_sorted_and_listed_once() {
        let now = at("2026-12-02T12:00:00+03:00");
        let row = |id: i64, due: &str, task_type_id: i64, responsible_user_id: i64| OpenTask {
            id,
            text: format!("task {id}"),
            task_type_id,
            complete_till: at(due),
            entity_type: Some("leads".into()),
            entity_id: Some(500 + id),
            responsible_user_id,
            updated_at: 0,
        };
        let rows = vec![
            row(3, "2026-12-03T10:00:00+03:00", 2, 7),
            row(1, "2026-12-01T10:00:00+03:00", 1, 8),
            row(2, "2026-12-03T10:00:00+03:00", 1001, 9),
            // A row shifted onto the next page is read twice.
            row(1, "2026-12-01T10:00:00+03:00", 1, 8),
        ];
        let types = [
            TaskType { id: 1, name: "Связаться".into(), code: Some("FOLLOW_UP".into()) },
            TaskType { id: 2, name: "Встреча".into(), code: Some("MEETING".into()) },
        ];
        let users = [
            User { id: 7, name: "Анна".into(), email: None },
            // A user who may not list users knows only themselves, without a name.
            User { id: 8, name: String::new(), email: None },
        ];
        let list = my_tasks(rows, &types, &users, moscow(), now);
        let got: Vec<_> = list
            .iter()
            .map(|t| (t.id, t.task_type.as_str(), t.bucket, t.responsible_name.as_deref(), t.due.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (1, "Связаться", DueBucket::Overdue, None, "2026-12-01T10:00:00+03:00"),
                (2, "1001", DueBucket::Tomorrow, None, "2026-12-03T10:00:00+03:00"),
                (3, "Встреча", DueBucket::Tomorrow, Some("Анна"), "2026-12-03T10:00:00+03:00"),
            ]
        );
        assert_eq!((list[0].entity_type.as_deref(), list[0].entity_id), (Some("leads"), Some(501)));
        let json = serde_json::to_value(&list[1]).expect("json");
        assert_eq!(json["bucket"], "tomorrow");
        assert_eq!(json["complete_till"], at("2026-12-03T10:00:00+03:00"));
        assert_eq!(serde_json::to_value(DueBucket::ThisWeek).expect("json"), "this_week");
        assert_eq!(DueBucket::ThisWeek.as_str(), "this_week");
    }

    #[test]
    fn due_now_counts_overdue_and_the_next_minute_and_says_when_the_next_falls_due() {
        let now = at("2026-12-02T12:00:00+03:00");
        let task = |id: i64, due: i64| MyTask {
            id,
            text: String::new(),
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
        };
        let tasks =
            [task(1, now - 3600), task(2, now), task(3, now + DUE_SOON), task(4, now + 3600), task(5, now + 61)];
        assert_eq!(due_summary(&tasks, now), DueSummary { due_now: 3, next_due_at: Some(now + 61) });
        assert_eq!(due_summary(&[], now), DueSummary { due_now: 0, next_due_at: None });
    }
}
