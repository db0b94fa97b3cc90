//! Table `outbox`: every lead, contact or follow-up the user submitted, written with its plan of
//! steps (`outbox_steps`) before any network call. What the states mean and when they change is
//! `outbox`'s business; this file only keeps them. Failures are stored as codes with parameters
//! (JSON of [`Error`]), never as sentences.

use rusqlite::{named_params, params, OptionalExtension, Row, TransactionBehavior};

use super::draft_column::{empty_draft, read_draft};
use super::outbox_steps::{delete_steps, insert_plan, insert_row, purge_bodies, steps_of, steps_of_rows, StepRow};
use super::Store;
use crate::domain::account::AccountRef;
use crate::domain::draft::{Draft, DraftKind};
use crate::domain::outbox::OutboxState;
use crate::domain::steps::{Made, StepBody, StepKind, StepState};
use crate::error::{Error, FieldCode, FieldError, Result};

pub struct OutboxTable<'a>(pub(super) &'a Store);

/// A row as the worker needs it: the entry under its claim, and its steps.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: i64,
    /// The `created_at` sent to amoCRM: unique across the outbox.
    pub marker_at: i64,
    pub request_id: String,
    pub attempts: u32,
    /// When the user submitted it (Unix seconds): nothing it made in amoCRM is older.
    pub queued_at: i64,
    /// The account it was typed for (`None`: queued before entries recorded one, while no
    /// account was connected).
    pub account: Option<AccountRef>,
    pub steps: Vec<StepRow>,
}

/// A row as the history shows it, before its texts are rendered.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: i64,
    pub draft: Draft,
    pub state: OutboxState,
    pub created_at: i64,
    pub updated_at: i64,
    pub attempts: u32,
    pub next_attempt_ms: i64,
    pub last_error: Option<Error>,
    pub field_errors: Vec<FieldError>,
    pub sent_at: Option<i64>,
    /// The account host the entry was sent to.
    pub domain: Option<String>,
    /// What was typed was removed after the retention period.
    pub purged: bool,
    /// The account it was typed for (see [`Entry::account`]).
    pub account: Option<AccountRef>,
    pub steps: Vec<StepRow>,
    /// Why the row cannot be read (its kind, draft or a step), if it cannot: History shows it as
    /// damaged. Its `draft` is then an empty one of its kind (a lead's if the kind is unknown)
    /// and `steps` holds only the steps that could be read.
    pub damaged: Option<String>,
}

impl OutboxRow {
    /// What its done step of one of `kinds` made.
    pub fn made(&self, kinds: &[StepKind]) -> Option<&Made> {
        self.steps.iter().find(|s| s.state == StepState::Done && kinds.contains(&s.kind)).map(|s| &s.made)
    }

    /// The lead it made, or the one its note, task or call went to.
    pub fn lead_id(&self) -> Option<i64> {
        self.made(&[StepKind::Lead, StepKind::IncomingLead])
            .and_then(|m| m.id)
            .or_else(|| self.made(&[StepKind::Note, StepKind::Task, StepKind::Call]).and_then(|m| m.lead_id))
            .or(match &self.draft {
                Draft::Followup(f) if f.lead_id > 0 => Some(f.lead_id),
                // A lead's change is about that lead (History links to it).
                Draft::LeadChange(l) if l.lead_id > 0 => Some(l.lead_id),
                _ => None,
            })
    }

    /// The contact it made (alone, or with its lead), or the one its call went to.
    pub fn contact_id(&self) -> Option<i64> {
        self.made(&[StepKind::Contact])
            .and_then(|m| m.id)
            .or_else(|| self.made(&[StepKind::Lead, StepKind::IncomingLead, StepKind::Call]).and_then(|m| m.contact_id))
    }
}

/// One entry to queue: what was typed, its plan, and the request id it is sent with.
pub struct NewEntry<'a> {
    pub draft: &'a Draft,
    pub steps: &'a [StepBody],
    pub request_id: &'a str,
}

/// How an edit went: the plan replaced, or why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replan {
    Replaced,
    /// A step that may be in amoCRM would change (or go): nothing was changed.
    Locked(StepKind),
    /// The entry is being sent, was sent, or is gone.
    NotWaiting,
}

/// The banner's counts.
#[derive(Debug, Clone, Default)]
pub struct SummaryCounts {
    /// Queued or sending, for the connected account.
    pub waiting: u32,
    /// Waiting or needing attention for another account than the one connected (or while none
    /// is): not sent (nor fixed) until that account is connected again.
    pub other_account: u32,
    /// Needing attention, for the connected account.
    pub attention: u32,
    pub sent: u32,
    /// The newest failure of a waiting entry.
    pub last_error: Option<Error>,
}

const ENTRY_COLUMNS: &str = "id, marker_at, request_id, attempts, created_at, account_id, account_domain";
const ROW_COLUMNS: &str = "id, draft, kind, state, created_at, updated_at, attempts, next_attempt_ms, last_error, \
     last_error_code, field_errors, sent_at, domain, purged, account_id, account_domain";

/// "The row belongs to the account `:aid`/`:adomain`" (the rule of [`AccountRef::same_as`]), never
/// NULL. Rows without an account belong to whichever is connected; with `:adomain` NULL (none is
/// connected) only they match.
const FOR_ACCOUNT: &str = "(account_domain IS NULL
       OR (account_id IS NOT NULL AND :aid IS NOT NULL AND account_id = :aid)
       OR ((account_id IS NULL OR :aid IS NULL) AND IFNULL(account_domain = :adomain COLLATE NOCASE, 0)))";

/// `:aid` and `:adomain` of [`FOR_ACCOUNT`].
fn account_params(a: Option<&AccountRef>) -> (Option<i64>, Option<&str>) {
    (a.and_then(|a| a.account_id), a.map(|a| a.domain.as_str()))
}

impl OutboxTable<'_> {
    /// Adds an entry and its steps for `account` (`None`: none is connected; see
    /// [`OutboxTable::claim`]), due now, with a `marker_at` no other entry has (not even one
    /// another process queues at the same moment: the transaction is IMMEDIATE). Returns its id.
    pub fn insert(&self, entry: NewEntry<'_>, account: Option<&AccountRef>, now: i64, now_ms: i64) -> Result<i64> {
        Ok(self.insert_many(&[entry], account, now, now_ms)?[0])
    }

    /// Adds several entries in one transaction: all of them, or none. Returns their ids, in order.
    pub fn insert_many(
        &self,
        entries: &[NewEntry<'_>],
        account: Option<&AccountRef>,
        now: i64,
        now_ms: i64,
    ) -> Result<Vec<i64>> {
        let (aid, adomain) = account_params(account);
        let mut conn = self.0.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut marker = super::marker::first_free(&tx, now, entries.len())?;
        let mut ids = Vec::with_capacity(entries.len());
        for e in entries {
            if e.steps.is_empty() {
                // Nothing to send would be "sent" at once: an entry always writes something.
                return Err(Error::internal("an entry without steps"));
            }
            tx.execute(
                "INSERT INTO outbox (kind, draft, state, marker_at, request_id, created_at, updated_at, next_attempt_ms,
                                     account_id, account_domain)
                 VALUES (?1, ?2, 'queued', ?3, ?4, ?5, ?5, ?6, ?7, ?8)",
                params![e.draft.kind().as_str(), draft_json(e.draft)?, marker, e.request_id, now, now_ms, aid, adomain],
            )?;
            let id = tx.last_insert_rowid();
            insert_plan(&tx, id, marker, e.steps, now)?;
            ids.push(id);
            marker = marker.saturating_add(1);
        }
        tx.commit()?;
        Ok(ids)
    }

    /// Newest first; one entry with `only`.
    pub fn rows(&self, only: Option<i64>, limit: usize) -> Result<Vec<OutboxRow>> {
        let conn = self.0.conn();
        let mut st = conn.prepare_cached(&format!(
            "SELECT {ROW_COLUMNS} FROM outbox WHERE (?1 IS NULL OR id = ?1) ORDER BY id DESC LIMIT ?2"
        ))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut rows = st.query_map(params![only, limit], row_from)?.collect::<rusqlite::Result<Vec<_>>>()?;
        // One unreadable row does not fail the page: it comes back marked `damaged`.
        let mut page = steps_of_rows(&conn, only, limit)?;
        for row in &mut rows {
            row.steps = page.steps.remove(&row.id).unwrap_or_default();
            if let Some(why) = page.damaged.remove(&row.id) {
                row.damaged.get_or_insert(why);
            }
        }
        Ok(rows)
    }

    /// The banner's counts; `current` is the connected account (`None`: none is).
    pub fn counts(&self, current: Option<&AccountRef>) -> Result<SummaryCounts> {
        let conn = self.0.conn();
        let (aid, adomain) = account_params(current);
        let count = |filter: &str| -> Result<u32> {
            let sql = format!("SELECT COUNT(*) FROM outbox WHERE {filter}");
            Ok(if filter.contains(FOR_ACCOUNT) {
                conn.query_row(&sql, named_params! { ":aid": aid, ":adomain": adomain }, |r| r.get(0))?
            } else {
                conn.query_row(&sql, [], |r| r.get(0))?
            })
        };
        let last = conn
            .query_row(
                &format!(
                    "SELECT last_error, last_error_code FROM outbox
                     WHERE state IN ('queued', 'sending') AND last_error_code IS NOT NULL AND {FOR_ACCOUNT}
                     ORDER BY updated_at DESC, id DESC LIMIT 1"
                ),
                named_params! { ":aid": aid, ":adomain": adomain },
                |r| Ok(stored_error(r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .flatten();
        Ok(SummaryCounts {
            waiting: count(&format!("state IN ('queued', 'sending') AND {FOR_ACCOUNT}"))?,
            // Another account's entries are all "for another account", refused ones too: they
            // are fixed and sent only while that account is connected (History says so).
            other_account: count(&format!("state IN ('queued', 'sending', 'attention') AND NOT {FOR_ACCOUNT}"))?,
            attention: count(&format!("state = 'attention' AND {FOR_ACCOUNT}"))?,
            sent: count("state = 'sent'")?,
            last_error: last,
        })
    }

    /// The entry that logs call `uniq` for the account at `domain` (`None`: an entry queued
    /// with no account connected), if there is one.
    pub fn call_entry(&self, uniq: &str, domain: Option<&str>) -> Result<Option<i64>> {
        Ok(self
            .0
            .conn()
            .query_row(
                "SELECT id FROM outbox WHERE kind = 'call' AND IFNULL(account_domain, '') = ?1
                    AND json_extract(draft, '$.uniq') = ?2",
                params![domain.unwrap_or_default(), uniq],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn exists(&self, id: i64) -> Result<bool> {
        Ok(self.0.conn().query_row("SELECT COUNT(*) FROM outbox WHERE id = ?1", [id], |r| r.get::<_, i64>(0))? > 0)
    }

    /// Makes waiting entries due now — or, given an id, that entry even if it needs attention.
    /// Returns how many.
    pub fn make_due(&self, id: Option<i64>, now: i64, now_ms: i64) -> Result<usize> {
        let conn = self.0.conn();
        Ok(match id {
            Some(id) => conn.execute(
                "UPDATE outbox SET state = 'queued', next_attempt_ms = ?2, updated_at = ?3
                 WHERE id = ?1 AND state IN ('queued', 'attention')",
                params![id, now_ms, now],
            )?,
            None => conn.execute("UPDATE outbox SET next_attempt_ms = ?1 WHERE state = 'queued'", [now_ms])?,
        })
    }

    /// The one way an entry is edited: its draft and plan replaced, and the entry queued again
    /// with its failure cleared — if it waits or needs attention (not while it is being sent),
    /// and every step that may be in amoCRM comes out of the new plan exactly as it was (it
    /// keeps its state and what amoCRM made; the steps around it are replaced). All or nothing.
    pub fn replace_plan(&self, id: i64, draft: &Draft, steps: &[StepBody], now: i64, now_ms: i64) -> Result<Replan> {
        let mut conn = self.0.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found: Option<(String, i64)> = tx
            .query_row("SELECT state, marker_at FROM outbox WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((state, marker_at)) = found else { return Ok(Replan::NotWaiting) };
        if steps.is_empty() {
            return Err(Error::internal("an entry without steps"));
        }
        if !matches!(OutboxState::parse(&state), OutboxState::Queued | OutboxState::Attention) {
            return Ok(Replan::NotWaiting);
        }
        let old = steps_of(&tx, id)?;
        // Each step that may be in amoCRM finds an identical twin in the new plan (the first not
        // taken yet), or the edit is refused: what amoCRM may have cannot change behind its back.
        let mut kept: Vec<Option<&StepRow>> = vec![None; steps.len()];
        for o in old.iter().filter(|o| o.state.locked()) {
            let twin = (0..steps.len()).find(|&i| kept[i].is_none() && o.body.as_ref() == Some(&steps[i]));
            match twin {
                Some(i) => kept[i] = Some(o),
                None => return Ok(Replan::Locked(o.kind)),
            }
        }
        delete_steps(&tx, id)?;
        for (seq, (body, old)) in steps.iter().zip(&kept).enumerate() {
            let row = match old {
                Some(o) => StepRow { seq: seq as i64, ..(*o).clone() },
                None => StepRow {
                    entry_id: id,
                    seq: seq as i64,
                    kind: body.kind(),
                    body: Some(body.clone()),
                    state: StepState::Pending,
                    marker_at,
                    made: Default::default(),
                },
            };
            insert_row(&tx, &row, now)?;
        }
        tx.execute(
            "UPDATE outbox SET draft = ?2, state = 'queued', field_errors = NULL, last_error = NULL,
                    last_error_code = NULL, last_error_message = NULL, next_attempt_ms = ?3, updated_at = ?4
             WHERE id = ?1",
            params![id, draft_json(draft)?, now_ms, now],
        )?;
        tx.commit()?;
        Ok(Replan::Replaced)
    }

    /// Removes an entry that needs attention, or one that waits for another account than
    /// `current` (so it is not being sent); false if it is in another state (or gone). Its steps
    /// go with it.
    pub fn discard(&self, id: i64, current: Option<&AccountRef>) -> Result<bool> {
        let (aid, adomain) = account_params(current);
        let n = self.0.conn().execute(
            &format!(
                "DELETE FROM outbox WHERE id = :id
                   AND (state = 'attention' OR (state = 'queued' AND NOT {FOR_ACCOUNT}))"
            ),
            named_params! { ":id": id, ":aid": aid, ":adomain": adomain },
        )?;
        Ok(n > 0)
    }

    /// Removes the entries of `account` that wait or need attention (the user disconnects it
    /// and does not want them sent). Entries being sent right now stay. Returns how many.
    pub fn discard_waiting(&self, account: &AccountRef) -> Result<usize> {
        let (aid, adomain) = account_params(Some(account));
        Ok(self.0.conn().execute(
            &format!("DELETE FROM outbox WHERE state IN ('queued', 'attention') AND {FOR_ACCOUNT}"),
            named_params! { ":aid": aid, ":adomain": adomain },
        )?)
    }

    /// The oldest entry for `current` due now (entries left `sending` by a dead process
    /// included: whoever holds the outbox lock is the only sender).
    ///
    /// Retry times are wall-clock times (they are shared with other processes through this
    /// file), so a clock set back would leave an entry waiting for hours. No back-off is longer
    /// than `horizon_ms`: an entry scheduled further ahead than that was scheduled before the
    /// clock moved back, and is due now.
    pub fn next_due_id(&self, now_ms: i64, horizon_ms: i64, current: Option<&AccountRef>) -> Result<Option<i64>> {
        let (aid, adomain) = account_params(current);
        Ok(self
            .0
            .conn()
            .query_row(
                &format!(
                    "SELECT id FROM outbox WHERE state IN ('queued', 'sending')
                       AND (next_attempt_ms <= :now OR next_attempt_ms > :now + :horizon) AND {FOR_ACCOUNT}
                     ORDER BY id LIMIT 1"
                ),
                named_params! { ":now": now_ms, ":horizon": horizon_ms, ":aid": aid, ":adomain": adomain },
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Milliseconds until the next entry for `current` is due (0 if one is due), if any waits;
    /// the same `horizon_ms` rule as [`OutboxTable::next_due_id`].
    pub fn next_due_in_ms(&self, now_ms: i64, horizon_ms: i64, current: Option<&AccountRef>) -> Result<Option<i64>> {
        let (aid, adomain) = account_params(current);
        let next: Option<i64> = self.0.conn().query_row(
            &format!(
                "SELECT MIN(CASE WHEN next_attempt_ms > :now + :horizon THEN :now ELSE next_attempt_ms END)
                 FROM outbox WHERE state IN ('queued', 'sending') AND {FOR_ACCOUNT}"
            ),
            named_params! { ":now": now_ms, ":horizon": horizon_ms, ":aid": aid, ":adomain": adomain },
            |r| r.get(0),
        )?;
        Ok(next.map(|n| n.saturating_sub(now_ms).max(0)))
    }

    /// Marks an entry `sending` and reads it and its steps under that claim, in one
    /// transaction, so an edit saved just before is what gets sent (and one after it is
    /// refused). An entry queued while no account was connected becomes `current`'s here,
    /// before anything is sent: after this first attempt it can no longer move to another
    /// account.
    pub fn claim(&self, id: i64, current: Option<&AccountRef>, now: i64) -> Result<Entry> {
        let (aid, adomain) = account_params(current);
        let mut conn = self.0.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE outbox SET state = 'sending', updated_at = ?2,
                    account_id = CASE WHEN account_domain IS NULL THEN ?3 ELSE account_id END,
                    account_domain = IFNULL(account_domain, ?4)
             WHERE id = ?1",
            params![id, now, aid, adomain],
        )?;
        let mut entry = tx.query_row(&format!("SELECT {ENTRY_COLUMNS} FROM outbox WHERE id = ?1"), [id], entry_from)?;
        entry.steps = steps_of(&tx, id)?;
        tx.commit()?;
        Ok(entry)
    }

    /// Every step done: the entry is sent.
    pub fn record_sent(&self, id: i64, now: i64) -> Result<()> {
        self.0.conn().execute(
            "UPDATE outbox SET state = 'sent', sent_at = ?2, updated_at = ?2, last_error = NULL,
                    last_error_code = NULL, last_error_message = NULL, field_errors = NULL WHERE id = ?1",
            params![id, now],
        )?;
        Ok(())
    }

    /// Back to `queued`, due at `next_ms`, with the failure that sent it back.
    pub fn record_retry(&self, id: i64, err: &Error, next_ms: i64, now: i64) -> Result<()> {
        self.0.conn().execute(
            "UPDATE outbox SET state = 'queued', attempts = attempts + 1, next_attempt_ms = ?2, last_error = ?3,
                    last_error_code = ?4, last_error_message = NULL, updated_at = ?5 WHERE id = ?1",
            params![id, next_ms, error_json(err)?, err.code().as_str(), now],
        )?;
        Ok(())
    }

    /// `attention`, with the failure and the fields it concerns; the step amoCRM refused (if it
    /// certainly did not take it) is marked `refused` in the same transaction.
    pub fn record_attention(
        &self,
        id: i64,
        err: &Error,
        fields: &[FieldError],
        refused_step: Option<i64>,
        now: i64,
    ) -> Result<()> {
        let fe = serde_json::to_string(fields).map_err(Error::internal)?;
        let mut conn = self.0.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "UPDATE outbox SET state = 'attention', attempts = attempts + 1, last_error = ?2, last_error_code = ?3,
                    last_error_message = NULL, field_errors = ?4, updated_at = ?5 WHERE id = ?1",
            params![id, error_json(err)?, err.code().as_str(), fe, now],
        )?;
        if let Some(seq) = refused_step {
            tx.execute(
                "UPDATE outbox_steps SET state = 'refused', updated_at = ?3
                 WHERE entry_id = ?1 AND seq = ?2 AND state = 'pending'",
                params![id, seq, now],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Removes what was typed from entries sent before `cutoff` (Unix seconds): the draft becomes
    /// an empty one of its kind and the steps lose their bodies; ids, link and times stay.
    /// Returns how many were purged.
    pub fn purge_sent_before(&self, cutoff: i64) -> Result<usize> {
        let mut conn = self.0.conn();
        let tx = conn.transaction()?;
        let n = tx.execute(
            "UPDATE outbox SET draft = '{}', field_errors = NULL, last_error = NULL, purged = 1
             WHERE state = 'sent' AND purged = 0 AND sent_at IS NOT NULL AND sent_at < ?1",
            [cutoff],
        )?;
        purge_bodies(&tx)?;
        tx.commit()?;
        if n > 0 {
            // Fold the WAL into the file so the old pages are overwritten there too.
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        Ok(n)
    }
}

fn draft_json(d: &Draft) -> Result<String> {
    match d {
        Draft::Lead(l) => serde_json::to_string(l),
        Draft::Contact(c) => serde_json::to_string(c),
        Draft::Followup(f) => serde_json::to_string(f),
        Draft::Call(c) => serde_json::to_string(c),
        Draft::TaskChange(t) => serde_json::to_string(t),
        Draft::LeadChange(l) => serde_json::to_string(l),
    }
    .map_err(Error::internal)
}

fn error_json(e: &Error) -> Result<String> {
    serde_json::to_string(e).map_err(Error::internal)
}

/// The `draft` column (column `col` of the row) as the `kind` column says.
pub(super) fn draft_from(r: &Row<'_>, col: usize, kind: &str) -> rusqlite::Result<Draft> {
    let json: String = r.get(col)?;
    let parsed = if kind == DraftKind::Contact.as_str() {
        serde_json::from_str(&json).map(Draft::Contact)
    } else if kind == DraftKind::Followup.as_str() {
        serde_json::from_str(&json).map(Draft::Followup)
    } else if kind == DraftKind::Call.as_str() {
        serde_json::from_str(&json).map(Draft::Call)
    } else if kind == DraftKind::TaskChange.as_str() {
        serde_json::from_str(&json).map(Draft::TaskChange)
    } else if kind == DraftKind::LeadChange.as_str() {
        serde_json::from_str(&json).map(Draft::LeadChange)
    } else {
        serde_json::from_str(&json).map(Draft::Lead)
    };
    parsed.map_err(|e| rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(e)))
}

fn entry_from(r: &Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        id: r.get(0)?,
        marker_at: r.get(1)?,
        request_id: r.get(2)?,
        attempts: r.get(3)?,
        queued_at: r.get(4)?,
        account: account_from(r, 5)?,
        steps: Vec::new(),
    })
}

/// `account_id` and `account_domain` at columns `col` and `col + 1`.
fn account_from(r: &Row<'_>, col: usize) -> rusqlite::Result<Option<AccountRef>> {
    let domain: Option<String> = r.get(col + 1)?;
    Ok(domain.map(|domain| AccountRef { account_id: r.get(col).ok().flatten(), domain }))
}

fn row_from(r: &Row<'_>) -> rusqlite::Result<OutboxRow> {
    let kind: String = r.get(2)?;
    let (json, code): (Option<String>, Option<String>) = (r.get(8)?, r.get(9)?);
    let field_errors = r.get::<_, Option<String>>(10)?.map(|s| stored_fields(&s)).unwrap_or_default();
    // A validation failure's fields live in their own column.
    let last_error = match stored_error(json, code) {
        Some(Error::Entry(crate::error::EntryError::Validation(f))) if f.is_empty() => {
            Some(Error::validation(field_errors.clone()))
        }
        other => other,
    };
    let (draft, damaged) = match read_draft(&kind, &r.get::<_, String>(1)?) {
        Ok(d) => (d, None),
        Err(why) => (empty_draft(&kind), Some(why)),
    };
    Ok(OutboxRow {
        id: r.get(0)?,
        draft,
        state: OutboxState::parse(&r.get::<_, String>(3)?),
        created_at: r.get(4)?,
        updated_at: r.get(5)?,
        attempts: r.get(6)?,
        next_attempt_ms: r.get(7)?,
        last_error,
        field_errors,
        sent_at: r.get(11)?,
        domain: r.get(12)?,
        purged: r.get(13)?,
        account: account_from(r, 14)?,
        steps: Vec::new(),
        damaged,
    })
}

/// A stored failure. Rows written before errors were stored as JSON (schema < 4) have only a
/// code; codes without parameters come back exactly, others as "unexpected response".
fn stored_error(json: Option<String>, code: Option<String>) -> Option<Error> {
    if let Some(e) = json.as_deref().and_then(|j| serde_json::from_str(j).ok()) {
        return Some(e);
    }
    let code = code?;
    serde_json::from_value(serde_json::json!({ "code": code })).ok().or_else(|| Some(Error::unexpected(code)))
}

/// Stored field errors; old rows (`{field, code, message}` with `amo_…` codes) read leniently.
fn stored_fields(json: &str) -> Vec<FieldError> {
    let Ok(items) = serde_json::from_str::<Vec<serde_json::Value>>(json) else { return Vec::new() };
    items
        .into_iter()
        .map(|v| {
            serde_json::from_value::<FieldError>(v.clone()).unwrap_or_else(|_| FieldError {
                field: v["field"].as_str().unwrap_or("form").to_string(),
                code: FieldCode::Rejected,
                amo_code: v["code"].as_str().map(|c| c.trim_start_matches("amo_").to_string()),
                detail: v["message"].as_str().map(str::to_string),
                label: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::draft::LeadDraft;
    use crate::error::AmoError;

    fn lead(name: &str) -> Draft {
        Draft::Lead(LeadDraft { name: name.into(), ..Default::default() })
    }

    /// Queued as the outbox queues it: with its plan.
    fn insert(t: &OutboxTable<'_>, draft: &Draft, account: Option<&AccountRef>, now: i64, now_ms: i64) -> i64 {
        let steps = crate::domain::steps::plan(draft);
        t.insert(NewEntry { draft, steps: &steps, request_id: "r" }, account, now, now_ms).expect("insert")
    }

    fn account(id: Option<i64>, domain: &str) -> AccountRef {
        AccountRef { account_id: id, domain: domain.into() }
    }

    fn acme() -> AccountRef {
        account(Some(1), "acme.amocrm.ru")
    }

    #[test]
    fn a_follow_up_pointing_at_a_lead_does_not_own_it() {
        use crate::domain::steps::{Entity, Made};
        let store = Store::open_in_memory().expect("db");
        let t = store.outbox();
        let follow = Draft::Followup(crate::domain::draft::FollowupDraft {
            lead_id: 42,
            note: "x".into(),
            ..Default::default()
        });
        let f = insert(&t, &follow, Some(&acme()), 1, 0);
        let a = insert(&t, &lead("lost answer"), Some(&acme()), 1, 0);
        store.outbox_steps().record_done(f, 0, &Made::on_lead(7, 42), None, 2).expect("note done");
        let steps = store.outbox_steps();
        assert!(!steps.owned_elsewhere(Entity::Leads, 42, a).expect("q"), "the lost lead may still be found as 42");
        assert!(steps.owned_elsewhere(Entity::Notes, 7, a).expect("q"), "the follow-up owns its note");
        let typed = LeadDraft { contact: Some(Default::default()), ..LeadDraft::default() };
        let made = Made::lead(&typed, 42, Some(5), None, false);
        store.outbox_steps().record_done(a, 0, &made, None, 3).expect("a owns it");
        let b = insert(&t, &lead("another"), Some(&acme()), 1, 0);
        assert!(steps.owned_elsewhere(Entity::Leads, 42, b).expect("q"), "a lead entry owns its lead");
        assert!(steps.owned_elsewhere(Entity::Contacts, 5, b).expect("q"), "and the contact made with it");
        assert!(!steps.owned_elsewhere(Entity::Leads, 42, a).expect("q"), "not from itself");

        // A lead for a picked company and an existing contact points at them; it does not own
        // them (another entry may still be looking for the company it made, whose answer was
        // lost), and a lead amoCRM merged into an existing one owns nothing.
        let picked = LeadDraft { existing_company_id: Some(77), existing_contact_id: Some(8), ..LeadDraft::default() };
        let c = insert(&t, &Draft::Lead(picked.clone()), Some(&acme()), 1, 0);
        store.outbox_steps().record_done(c, 0, &Made::lead(&picked, 43, Some(8), Some(77), false), None, 4).expect("c");
        assert!(!steps.owned_elsewhere(Entity::Companies, 77, b).expect("q"));
        assert!(!steps.owned_elsewhere(Entity::Contacts, 8, b).expect("q"));
        assert!(steps.owned_elsewhere(Entity::Leads, 43, b).expect("q"), "its own lead it owns");
        let d = insert(&t, &lead("merged"), Some(&acme()), 1, 0);
        store.outbox_steps().record_done(d, 0, &Made::lead(&typed, 44, Some(9), None, true), None, 5).expect("d");
        assert!(!steps.owned_elsewhere(Entity::Leads, 44, b).expect("q"));
        assert!(!steps.owned_elsewhere(Entity::Contacts, 9, b).expect("q"));
    }

    #[test]
    fn entries_are_sent_and_counted_only_for_their_account() {
        let store = Store::open_in_memory().expect("db");
        let t = store.outbox();
        let a = insert(&t, &lead("for acme"), Some(&acme()), 1, 0);
        let b = insert(&t, &lead("for beta"), Some(&account(Some(2), "beta.amocrm.ru")), 1, 0);
        // Queued while no account was connected.
        let legacy = insert(&t, &lead("legacy"), None, 1, 0);

        assert_eq!(t.next_due_id(10, 1000, Some(&acme())).expect("q"), Some(a));
        t.record_sent(a, 2).expect("sent");
        assert_eq!(t.next_due_id(10, 1000, Some(&acme())).expect("q"), Some(legacy), "never beta's entry");
        // Its first attempt makes it acme's for good.
        assert_eq!(t.claim(legacy, Some(&acme()), 2).expect("claim").account, Some(acme()));
        t.record_sent(legacy, 2).expect("sent");
        assert_eq!(t.next_due_id(10, 1000, Some(&acme())).expect("q"), None);
        assert_eq!(t.next_due_in_ms(10, 1000, Some(&acme())).expect("q"), None, "nothing waits for acme");
        // Acme renamed its subdomain: the id says it is still acme; beta's entry still waits.
        assert_eq!(t.next_due_id(10, 1000, Some(&account(Some(1), "new.amocrm.ru"))).expect("q"), None);
        assert_eq!(t.next_due_id(10, 1000, Some(&account(None, "beta.amocrm.ru"))).expect("q"), Some(b));

        let c = t.counts(Some(&acme())).expect("counts");
        assert_eq!((c.waiting, c.other_account, c.sent), (0, 1, 2));
        let c = t.counts(None).expect("counts");
        assert_eq!((c.waiting, c.other_account), (0, 1), "with nobody connected, beta's entry waits for beta");

        // Beta's entry can be discarded while acme is connected (it is not being sent) ...
        let mine = insert(&t, &lead("acme again"), Some(&acme()), 3, 0);
        assert!(!t.discard(mine, Some(&acme())).expect("d"), "a waiting entry of the connected account stays");
        assert!(t.discard(b, Some(&acme())).expect("d"));
        // ... and disconnecting acme with "discard" removes what waits for it, not what was sent.
        assert_eq!(t.discard_waiting(&acme()).expect("dw"), 1);
        assert_eq!(t.rows(None, 10).expect("rows").len(), 2);
    }

    /// The banner, the tray and the Disconnect question say "needs attention" of the connected
    /// account's entries only: another account's refused entry waits for that account (History
    /// shows it as such), it is counted with the other account's.
    #[test]
    fn only_the_connected_accounts_entries_need_its_attention() {
        let store = Store::open_in_memory().expect("db");
        let t = store.outbox();
        let beta = account(Some(2), "beta.amocrm.ru");
        let refused = |id| {
            let e = Error::validation(vec![FieldError::new("name", FieldCode::Required)]);
            t.record_attention(id, &e, &[], None, 2).expect("attention");
        };
        refused(insert(&t, &lead("acme's"), Some(&acme()), 1, 0));
        refused(insert(&t, &lead("beta's"), Some(&beta), 1, 0));
        refused(insert(&t, &lead("beta's too"), Some(&beta), 1, 0));
        // Queued while none was connected: whichever account is connected owns it.
        refused(insert(&t, &lead("unbound"), None, 1, 0));
        insert(&t, &lead("beta's, waiting"), Some(&beta), 1, 0);

        let c = t.counts(Some(&acme())).expect("counts");
        assert_eq!((c.attention, c.other_account, c.waiting), (2, 3, 0), "acme connected: {c:?}");
        let c = t.counts(Some(&beta)).expect("counts");
        assert_eq!((c.attention, c.other_account, c.waiting), (3, 1, 1), "beta connected: {c:?}");
        let c = t.counts(None).expect("counts");
        assert_eq!((c.attention, c.other_account), (1, 4), "none connected: {c:?}");
    }

    #[test]
    fn markers_are_unique_even_in_the_same_second() {
        let store = Store::open_in_memory().expect("db");
        let t = store.outbox();
        let a = insert(&t, &lead("a"), Some(&acme()), 1000, 1_000_000);
        let b = insert(&t, &lead("b"), Some(&acme()), 1000, 1_000_000);
        let (ea, eb) = (t.claim(a, Some(&acme()), 1001).expect("a"), t.claim(b, Some(&acme()), 1001).expect("b"));
        assert_eq!((ea.marker_at, eb.marker_at), (1000, 1001));
        assert_eq!(eb.steps[0].marker_at, 1001, "each step is found by its entry's marker");
        let (c, d) = (lead("c"), lead("d"));
        let (pc, pd) = (crate::domain::steps::plan(&c), crate::domain::steps::plan(&d));
        let both =
            [NewEntry { draft: &c, steps: &pc, request_id: "r" }, NewEntry { draft: &d, steps: &pd, request_id: "r" }];
        let none = [NewEntry { draft: &c, steps: &[], request_id: "r" }];
        assert!(t.insert_many(&none, Some(&acme()), 1000, 1_000_000).is_err(), "an entry always writes something");
        let ids = t.insert_many(&both, Some(&acme()), 1000, 1_000_000).expect("two in one");
        let markers: Vec<i64> = ids.iter().map(|id| t.claim(*id, Some(&acme()), 1002).expect("c").marker_at).collect();
        assert_eq!(markers, [1002, 1003], "entries queued together still differ");
    }

    #[test]
    fn a_clock_set_back_does_not_leave_an_entry_waiting() {
        let store = Store::open_in_memory().expect("db");
        let t = store.outbox();
        let id = insert(&t, &lead("a"), Some(&acme()), 1, 0);
        let horizon = 90_000;
        // Scheduled 60 s ahead: not due yet, due in 60 s.
        t.record_retry(id, &Error::internal("x"), 1_000_000 + 60_000, 2).expect("retry");
        assert_eq!(t.next_due_id(1_000_000, horizon, Some(&acme())).expect("q"), None);
        assert_eq!(t.next_due_in_ms(1_000_000, horizon, Some(&acme())).expect("q"), Some(60_000));
        // The clock went back an hour: the entry is not left waiting for an hour and a minute.
        let back = 1_000_000 - 3_600_000;
        assert_eq!(t.next_due_id(back, horizon, Some(&acme())).expect("q"), Some(id));
        assert_eq!(t.next_due_in_ms(back, horizon, Some(&acme())).expect("q"), Some(0));
    }

    #[test]
    fn failures_are_stored_as_codes_and_read_back() {
        let store = Store::open_in_memory().expect("db");
        let t = store.outbox();
        let id = insert(&t, &lead("a"), Some(&acme()), 1, 1000);
        let e = Error::from(AmoError::ServerError { status: 502 });
        t.record_retry(id, &e, 5000, 2).expect("retry");
        let row = t.rows(Some(id), 1).expect("rows").pop().expect("row");
        assert_eq!(row.last_error, Some(e.clone()));
        assert_eq!((row.state, row.attempts, row.next_attempt_ms), (OutboxState::Queued, 1, 5000));
        assert_eq!(t.counts(Some(&acme())).expect("counts").last_error, Some(e));
    }

    #[test]
    fn schema_3_rows_keep_their_codes_and_lose_their_sentences() {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join("old.sqlite3");
        {
            // A database as schema 3 left it, with a localised message stored.
            let c = rusqlite::Connection::open(&path).expect("c");
            super::super::migrations::schema_at(&c, 3);
            for (i, code) in ["network", "server_error", "not_found", "validation", "something_else"].iter().enumerate()
            {
                c.execute(
                    "INSERT INTO outbox (kind, draft, state, marker_at, request_id, created_at, updated_at,
                        next_attempt_ms, last_error_code, last_error_message, field_errors)
                     VALUES ('lead', '{\"name\":\"x\"}', 'queued', ?1, 'r', 1, 1, 0, ?2, 'Нет связи с amoCRM', ?3)",
                    rusqlite::params![
                        i as i64,
                        code,
                        (*code == "validation")
                            .then_some(r#"[{"field":"name","code":"required","message":"обязательное поле"}]"#)
                    ],
                )
                .expect("row");
            }
        }
        let store = Store::open(&path).expect("migrated");
        let rows = store.outbox().rows(None, 10).expect("rows");
        let codes: Vec<_> = rows.iter().rev().map(|r| r.last_error.as_ref().map(|e| e.code().as_str())).collect();
        assert_eq!(
            codes,
            [
                Some("network"),
                Some("server_error"),
                Some("amo_not_found"),
                Some("validation"),
                Some("unexpected_response")
            ]
        );
        let validation = rows.iter().find(|r| r.last_error.as_ref().is_some_and(|e| e.fields().is_some())).expect("v");
        assert_eq!(validation.last_error.as_ref().and_then(|e| e.fields()).map(|f| f.len()), Some(1));
        assert!(matches!(store.outbox().counts(None).expect("c").last_error, Some(Error::Amo(_))));
        let left: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM outbox WHERE last_error_message IS NOT NULL", [], |r| r.get(0))
            .expect("q");
        assert_eq!(left, 0, "no localised text stays stored");
    }

    #[test]
    fn schema_5_waiting_entries_and_a_ban_become_the_connected_accounts() {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join("v5.sqlite3");
        {
            let c = rusqlite::Connection::open(&path).expect("c");
            super::super::migrations::schema_at(&c, 5);
            c.execute_batch(
                "INSERT INTO account (id, domain, platform, auth_kind, account_id, expires_at, created_at, updated_at)
                 VALUES (1, 'acme.amocrm.ru', 'amocrm', 'oauth', 1, 9, 1, 1);
                 INSERT INTO api_block (id, banned_at) VALUES (1, 5);
                 INSERT INTO reference_cache (key, json, fetched_at) VALUES ('lead_form', '{}', 1);
                 INSERT INTO outbox (kind, draft, state, marker_at, request_id, created_at, updated_at, next_attempt_ms)
                 VALUES ('lead', '{\"name\":\"waiting\"}', 'queued', 1, 'r', 1, 1, 0);
                 INSERT INTO outbox (kind, draft, state, marker_at, request_id, created_at, updated_at, next_attempt_ms, domain)
                 VALUES ('lead', '{\"name\":\"sent\"}', 'sent', 2, 'r', 1, 1, 0, 'old.amocrm.ru');",
            )
            .expect("rows");
        }
        let store = Store::open(&path).expect("migrated");
        let rows = store.outbox().rows(None, 10).expect("rows");
        let accounts: Vec<_> = rows.iter().map(|r| r.account.clone()).collect();
        assert_eq!(
            accounts,
            [Some(AccountRef { account_id: None, domain: "old.amocrm.ru".into() }), Some(acme()),],
            "the sent entry where it went, the waiting one the connected account's"
        );
        assert!(store.api_block().is_banned("acme.amocrm.ru").expect("ban kept"));
        assert!(store.reference_cache().get("lead_form").expect("q").is_none(), "old unkeyed cache dropped");
    }

    #[test]
    fn schema_7_drafts_with_one_email_get_the_list() {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join("v7.sqlite3");
        {
            let c = rusqlite::Connection::open(&path).expect("c");
            super::super::migrations::schema_at(&c, 7);
            c.execute_batch(
                r#"INSERT INTO outbox (kind, draft, state, marker_at, request_id, created_at, updated_at, next_attempt_ms)
                 VALUES ('contact', '{"first_name":"A","phones":[],"email":"a@b.example"}', 'queued', 1, 'r', 1, 1, 0),
                        ('lead', '{"name":"L","contact":{"first_name":"B","phones":["+79121234567"],"email":""}}', 'queued', 2, 'r', 1, 1, 0),
                        ('lead', '{}', 'sent', 3, 'r', 1, 1, 0);"#,
            )
            .expect("rows");
        }
        let store = Store::open(&path).expect("migrated");
        let rows = store.outbox().rows(None, 10).expect("rows");
        let Draft::Contact(c) = &rows[2].draft else { panic!("contact") };
        assert_eq!(c.emails, ["a@b.example"]);
        let Draft::Lead(l) = &rows[1].draft else { panic!("lead") };
        let contact = l.contact.as_ref().expect("its contact");
        assert!(contact.emails.is_empty());
        assert_eq!(contact.phones, ["+79121234567"]);
        assert!(matches!(&rows[0].draft, Draft::Lead(l) if l.name.is_empty()), "a purged draft stays empty");
    }

    #[test]
    fn rows_of_an_older_schema_read_leniently() {
        assert_eq!(stored_error(None, Some("network".into())).map(|e| e.code().as_str()), Some("unexpected_response"));
        assert_eq!(stored_error(None, Some("rate_limited".into())), Some(AmoError::RateLimited.into()));
        let old = r#"[{"field":"status","code":"amo_notsupportedchoice","message":"Not a valid choice."},
                      {"field":"name","code":"required","message":"required"}]"#;
        let fields = stored_fields(old);
        assert_eq!(fields[0].code, FieldCode::Rejected);
        assert_eq!(fields[0].amo_code.as_deref(), Some("notsupportedchoice"));
        assert_eq!(fields[1], FieldError::new("name", FieldCode::Required));
    }
}
