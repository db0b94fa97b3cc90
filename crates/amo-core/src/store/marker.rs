//! The `created_at` marker of an outbox entry: the second we tell amoCRM the lead (contact,
//! company) was made in, so that after a lost answer it is found again by that second
//! (`outbox::reconcile`). Markers are unique across the outbox (the column is `UNIQUE`) and
//! count up from now, one per entry.
//!
//! They used to count up from the newest marker ever given: one run with the clock a year ahead
//! then pushed every later marker a year into the future, for good — leads stamped in amoCRM as
//! made next year, long after the clock was right again. So a marker more than
//! [`MAX_AHEAD_SECS`] ahead of now is taken for a clock that was wrong and does not count; the
//! new marker is the first free one from now (or just after the newest near one), skipping
//! any that are taken.

use rusqlite::Connection;

use crate::error::Result;

/// How far ahead of now a marker may be and still count: the clocks of amoCRM and this
/// computer may differ this much (`outbox::reconcile`'s slack), and a burst of entries queued
/// together runs ahead one second each.
pub(super) const MAX_AHEAD_SECS: i64 = 300;

/// The first of `n` consecutive free markers for entries queued at `now` (Unix seconds, the
/// caller's clock): at least `now`, after every marker up to `now + MAX_AHEAD_SECS`, and none
/// already taken. Runs inside the inserting transaction (IMMEDIATE: no other process queues
/// meanwhile).
pub(super) fn first_free(conn: &Connection, now: i64, n: usize) -> Result<i64> {
    let n = i64::try_from(n.max(1)).unwrap_or(i64::MAX);
    let near: Option<i64> = conn.query_row(
        "SELECT MAX(marker_at) FROM outbox WHERE marker_at <= ?1",
        [now.saturating_add(MAX_AHEAD_SECS)],
        |r| r.get(0),
    )?;
    let from = near.map_or(now, |m| m.saturating_add(1).max(now));
    // The lowest start of a free run is `from` or just after a marker at or past it.
    let start: Option<i64> = conn.query_row(
        "SELECT MIN(s) FROM (SELECT ?1 AS s UNION ALL SELECT marker_at + 1 FROM outbox WHERE marker_at >= ?1)
         WHERE NOT EXISTS (SELECT 1 FROM outbox WHERE marker_at BETWEEN s AND s + ?2 - 1)",
        [from, n],
        |r| r.get(0),
    )?;
    Ok(start.unwrap_or(from))
}

#[cfg(test)]
mod tests {
    use crate::domain::draft::{Draft, LeadDraft};
    use crate::store::{NewEntry, OutboxTable, Store};

    fn queue(t: &OutboxTable<'_>, n: usize, now: i64) -> Vec<i64> {
        let drafts: Vec<Draft> =
            (0..n).map(|i| Draft::Lead(LeadDraft { name: format!("L{i}"), ..Default::default() })).collect();
        let plans: Vec<_> = drafts.iter().map(crate::domain::steps::plan).collect();
        let entries: Vec<NewEntry<'_>> =
            drafts.iter().zip(&plans).map(|(d, p)| NewEntry { draft: d, steps: p, request_id: "r" }).collect();
        let ids = t.insert_many(&entries, None, now, now * 1000).expect("insert");
        let conn = t.0.conn();
        ids.iter()
            .map(|id| conn.query_row("SELECT marker_at FROM outbox WHERE id = ?1", [id], |r| r.get(0)).expect("marker"))
            .collect()
    }

    /// The clock is injected: each insert is told its `now`.
    #[test]
    fn one_run_with_the_clock_ahead_does_not_push_later_markers_into_the_future() {
        let store = Store::open_in_memory().expect("db");
        let t = store.outbox();
        let right = 1_700_000_000;
        assert_eq!(queue(&t, 1, right), [right]);
        // A run with the clock a year ahead.
        let ahead = right + 365 * 86_400;
        assert_eq!(queue(&t, 2, ahead), [ahead, ahead + 1]);
        // The clock is right again: markers are now's, not next year's.
        let later = right + 60;
        assert_eq!(queue(&t, 1, later), [later]);
        assert_eq!(queue(&t, 1, later), [later + 1], "still unique in the same second");
        // A burst queued together runs ahead one second each, and still counts.
        let burst = queue(&t, 400, later + 10);
        assert_eq!((burst[0], burst[399]), (later + 10, later + 409));
        assert_eq!(queue(&t, 1, later + 10), [later + 410], "after the burst, not inside it");
        // A year on, the clock reaches the markers of the run ahead: they are skipped, not reused.
        assert_eq!(queue(&t, 3, ahead - 1), [ahead + 2, ahead + 3, ahead + 4]);
    }

    #[test]
    fn a_run_of_free_markers_skips_taken_ones() {
        let store = Store::open_in_memory().expect("db");
        let t = store.outbox();
        let now = 1_700_000_000;
        // Taken: now + 300, now + 301 and now + 303.
        assert_eq!(queue(&t, 1, now + 300), [now + 300]);
        assert_eq!(queue(&t, 1, now + 301), [now + 301]);
        assert_eq!(queue(&t, 1, now + 303), [now + 303]);
        let conn = store.conn();
        let free = |at: i64, n: usize| super::first_free(&conn, at, n).expect("free");
        assert_eq!(free(now, 1), now + 302, "after the near one, in the gap");
        assert_eq!(free(now, 2), now + 304, "two in a row fit only after");
        assert_eq!(free(now - 1_000, 1), now - 1_000, "a clock set back: its own second is free");
    }
}
