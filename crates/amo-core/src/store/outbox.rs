//! Table `outbox`: every lead or contact the user submitted, written before any network call.
//! What the states mean and when they change is `outbox`'s business; this file only keeps them.
//! Failures are stored as codes with parameters (JSON of [`Error`]), never as sentences.

use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};

use super::Store;
use crate::domain::draft::{Draft, DraftKind};
use crate::domain::outbox::OutboxState;
use crate::error::{Error, FieldCode, FieldError, Result};

pub struct OutboxTable<'a>(pub(super) &'a Store);

/// A row as the worker needs it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: i64,
    pub draft: Draft,
    /// The `created_at` sent to amoCRM: unique across the outbox.
    pub marker_at: i64,
    pub request_id: String,
    pub attempts: u32,
    /// A create request may have reached amoCRM.
    pub create_sent: bool,
    /// A note request may have reached amoCRM.
    pub note_sent: bool,
    pub lead_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub note_id: Option<i64>,
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
    pub lead_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub note_id: Option<i64>,
    pub merged: bool,
    pub sent_at: Option<i64>,
    /// The account host the entry was sent to.
    pub domain: Option<String>,
    pub create_sent: bool,
    /// What was typed was removed after the retention period.
    pub purged: bool,
}

/// The banner's counts.
#[derive(Debug, Clone, Default)]
pub struct SummaryCounts {
    /// Queued or sending.
    pub waiting: u32,
    pub attention: u32,
    pub sent: u32,
    /// The newest failure of a waiting entry.
    pub last_error: Option<Error>,
}

/// The "a request may have reached amoCRM" flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryFlag {
    CreateSent,
    NoteSent,
}

/// amoCRM ids an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdColumn {
    Lead,
    Contact,
}

const ENTRY_COLUMNS: &str =
    "id, draft, kind, marker_at, request_id, attempts, create_sent, note_sent, lead_id, contact_id, note_id";
const ROW_COLUMNS: &str = "id, draft, kind, state, created_at, updated_at, attempts, next_attempt_ms, last_error, \
     last_error_code, field_errors, lead_id, contact_id, note_id, merged, sent_at, domain, create_sent, purged";

impl OutboxTable<'_> {
    /// Adds an entry, due now, with a `marker_at` no other entry has (not even one another process
    /// queues at the same moment: the transaction is IMMEDIATE). Returns its id.
    pub fn insert(&self, draft: &Draft, request_id: &str, now: i64, now_ms: i64) -> Result<i64> {
        let json = draft_json(draft)?;
        let mut conn = self.0.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let last: Option<i64> = tx.query_row("SELECT MAX(marker_at) FROM outbox", [], |r| r.get(0))?;
        let marker = last.map_or(now, |m| m.saturating_add(1).max(now));
        tx.execute(
            "INSERT INTO outbox (kind, draft, state, marker_at, request_id, created_at, updated_at, next_attempt_ms)
             VALUES (?1, ?2, 'queued', ?3, ?4, ?5, ?5, ?6)",
            params![draft.kind().as_str(), json, marker, request_id, now, now_ms],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    /// Newest first; one entry with `only`.
    pub fn rows(&self, only: Option<i64>, limit: usize) -> Result<Vec<OutboxRow>> {
        let conn = self.0.conn();
        let mut st = conn.prepare(&format!(
            "SELECT {ROW_COLUMNS} FROM outbox WHERE (?1 IS NULL OR id = ?1) ORDER BY id DESC LIMIT ?2"
        ))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = st.query_map(params![only, limit], row_from)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn counts(&self) -> Result<SummaryCounts> {
        let conn = self.0.conn();
        let count = |states: &str| -> Result<u32> {
            Ok(conn.query_row(&format!("SELECT COUNT(*) FROM outbox WHERE state IN ({states})"), [], |r| r.get(0))?)
        };
        let last = conn
            .query_row(
                "SELECT last_error, last_error_code FROM outbox
                 WHERE state IN ('queued', 'sending') AND last_error_code IS NOT NULL
                 ORDER BY updated_at DESC, id DESC LIMIT 1",
                [],
                |r| Ok(stored_error(r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .flatten();
        Ok(SummaryCounts {
            waiting: count("'queued', 'sending'")?,
            attention: count("'attention'")?,
            sent: count("'sent'")?,
            last_error: last,
        })
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

    /// Replaces the draft of an entry that never reached amoCRM and is not being sent, and
    /// queues it again. False when the entry is not (or no longer) in that condition — e.g. the
    /// worker took it meanwhile: then the edit is refused rather than silently lost.
    pub fn replace_draft(&self, id: i64, draft: &Draft, now: i64, now_ms: i64) -> Result<bool> {
        let n = self.0.conn().execute(
            "UPDATE outbox SET draft = ?2, state = 'queued', field_errors = NULL, last_error = NULL,
                    last_error_code = NULL, last_error_message = NULL, next_attempt_ms = ?3, updated_at = ?4
             WHERE id = ?1 AND state IN ('queued', 'attention') AND create_sent = 0 AND lead_id IS NULL",
            params![id, draft_json(draft)?, now_ms, now],
        )?;
        Ok(n > 0)
    }

    /// Removes an entry that needs attention; false if it is in another state (or gone).
    pub fn discard(&self, id: i64) -> Result<bool> {
        Ok(self.0.conn().execute("DELETE FROM outbox WHERE id = ?1 AND state = 'attention'", [id])? > 0)
    }

    /// The oldest entry due now (entries left `sending` by a dead process included: whoever
    /// holds the outbox lock is the only sender).
    ///
    /// Retry times are wall-clock times (they are shared with other processes through this
    /// file), so a clock set back would leave an entry waiting for hours. No back-off is longer
    /// than `horizon_ms`: an entry scheduled further ahead than that was scheduled before the
    /// clock moved back, and is due now.
    pub fn next_due_id(&self, now_ms: i64, horizon_ms: i64) -> Result<Option<i64>> {
        Ok(self
            .0
            .conn()
            .query_row(
                "SELECT id FROM outbox WHERE state IN ('queued', 'sending')
                   AND (next_attempt_ms <= ?1 OR next_attempt_ms > ?1 + ?2)
                 ORDER BY id LIMIT 1",
                params![now_ms, horizon_ms],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Milliseconds until the next waiting entry is due (0 if one is due), if any waits; the
    /// same `horizon_ms` rule as [`OutboxTable::next_due_id`].
    pub fn next_due_in_ms(&self, now_ms: i64, horizon_ms: i64) -> Result<Option<i64>> {
        let next: Option<i64> = self.0.conn().query_row(
            "SELECT MIN(CASE WHEN next_attempt_ms > ?1 + ?2 THEN ?1 ELSE next_attempt_ms END)
             FROM outbox WHERE state IN ('queued', 'sending')",
            params![now_ms, horizon_ms],
            |r| r.get(0),
        )?;
        Ok(next.map(|n| n.saturating_sub(now_ms).max(0)))
    }

    /// Marks an entry `sending` and reads it under that claim, in one transaction, so an edit
    /// saved just before is what gets sent (and one after it is refused).
    pub fn claim(&self, id: i64, now: i64) -> Result<Entry> {
        let mut conn = self.0.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("UPDATE outbox SET state = 'sending', updated_at = ?2 WHERE id = ?1", params![id, now])?;
        let entry = tx.query_row(&format!("SELECT {ENTRY_COLUMNS} FROM outbox WHERE id = ?1"), [id], entry_from)?;
        tx.commit()?;
        Ok(entry)
    }

    pub fn set_flag(&self, id: i64, flag: EntryFlag, on: bool) -> Result<()> {
        let sql = match flag {
            EntryFlag::CreateSent => "UPDATE outbox SET create_sent = ?2 WHERE id = ?1",
            EntryFlag::NoteSent => "UPDATE outbox SET note_sent = ?2 WHERE id = ?1",
        };
        self.0.conn().execute(sql, params![id, on])?;
        Ok(())
    }

    pub fn record_created(
        &self,
        id: i64,
        lead_id: Option<i64>,
        contact_id: Option<i64>,
        merged: bool,
        domain: Option<&str>,
        now: i64,
    ) -> Result<()> {
        self.0.conn().execute(
            "UPDATE outbox SET lead_id = ?2, contact_id = ?3, merged = ?4, domain = ?5, updated_at = ?6 WHERE id = ?1",
            params![id, lead_id, contact_id, merged, domain, now],
        )?;
        Ok(())
    }

    pub fn record_note(&self, id: i64, note_id: i64, now: i64) -> Result<()> {
        self.0
            .conn()
            .execute("UPDATE outbox SET note_id = ?2, updated_at = ?3 WHERE id = ?1", params![id, note_id, now])?;
        Ok(())
    }

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

    /// `attention`, with the failure and the fields it concerns.
    pub fn record_attention(&self, id: i64, err: &Error, fields: &[FieldError], now: i64) -> Result<()> {
        let fe = serde_json::to_string(fields).map_err(Error::internal)?;
        self.0.conn().execute(
            "UPDATE outbox SET state = 'attention', attempts = attempts + 1, last_error = ?2, last_error_code = ?3,
                    last_error_message = NULL, field_errors = ?4, updated_at = ?5 WHERE id = ?1",
            params![id, error_json(err)?, err.code().as_str(), fe, now],
        )?;
        Ok(())
    }

    /// Removes what was typed from entries sent before `cutoff` (Unix seconds): the draft becomes
    /// an empty one of its kind; ids, link and times stay. Returns how many were purged.
    pub fn purge_sent_before(&self, cutoff: i64) -> Result<usize> {
        let mut conn = self.0.conn();
        let tx = conn.transaction()?;
        let n = tx.execute(
            "UPDATE outbox SET draft = '{}', field_errors = NULL, last_error = NULL, purged = 1
             WHERE state = 'sent' AND purged = 0 AND sent_at IS NOT NULL AND sent_at < ?1",
            [cutoff],
        )?;
        tx.commit()?;
        if n > 0 {
            // Fold the WAL into the file so the old pages are overwritten there too.
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        Ok(n)
    }

    /// Whether another entry already owns this amoCRM id (reconciliation never takes it twice).
    pub fn id_claimed(&self, column: IdColumn, amo_id: i64, except: i64) -> Result<bool> {
        let sql = match column {
            IdColumn::Lead => "SELECT COUNT(*) FROM outbox WHERE lead_id = ?1 AND id != ?2",
            IdColumn::Contact => "SELECT COUNT(*) FROM outbox WHERE contact_id = ?1 AND id != ?2",
        };
        Ok(self.0.conn().query_row(sql, params![amo_id, except], |r| r.get::<_, i64>(0))? > 0)
    }
}

fn draft_json(d: &Draft) -> Result<String> {
    match d {
        Draft::Lead(l) => serde_json::to_string(l),
        Draft::Contact(c) => serde_json::to_string(c),
    }
    .map_err(Error::internal)
}

fn error_json(e: &Error) -> Result<String> {
    serde_json::to_string(e).map_err(Error::internal)
}

/// The `draft` column (column `col` of the row) as the `kind` column says.
fn draft_from(r: &Row<'_>, col: usize, kind: &str) -> rusqlite::Result<Draft> {
    let json: String = r.get(col)?;
    let parsed = if kind == DraftKind::Contact.as_str() {
        serde_json::from_str(&json).map(Draft::Contact)
    } else {
        serde_json::from_str(&json).map(Draft::Lead)
    };
    parsed.map_err(|e| rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(e)))
}

fn entry_from(r: &Row<'_>) -> rusqlite::Result<Entry> {
    let kind: String = r.get(2)?;
    Ok(Entry {
        id: r.get(0)?,
        draft: draft_from(r, 1, &kind)?,
        marker_at: r.get(3)?,
        request_id: r.get(4)?,
        attempts: r.get(5)?,
        create_sent: r.get(6)?,
        note_sent: r.get(7)?,
        lead_id: r.get(8)?,
        contact_id: r.get(9)?,
        note_id: r.get(10)?,
    })
}

fn row_from(r: &Row<'_>) -> rusqlite::Result<OutboxRow> {
    let kind: String = r.get(2)?;
    let (json, code): (Option<String>, Option<String>) = (r.get(8)?, r.get(9)?);
    Ok(OutboxRow {
        id: r.get(0)?,
        draft: draft_from(r, 1, &kind)?,
        state: OutboxState::parse(&r.get::<_, String>(3)?),
        created_at: r.get(4)?,
        updated_at: r.get(5)?,
        attempts: r.get(6)?,
        next_attempt_ms: r.get(7)?,
        last_error: None,
        field_errors: r.get::<_, Option<String>>(10)?.map(|s| stored_fields(&s)).unwrap_or_default(),
        lead_id: r.get(11)?,
        contact_id: r.get(12)?,
        note_id: r.get(13)?,
        merged: r.get(14)?,
        sent_at: r.get(15)?,
        domain: r.get(16)?,
        create_sent: r.get(17)?,
        purged: r.get(18)?,
    })
    .map(|mut row: OutboxRow| {
        // A validation failure's fields live in their own column.
        row.last_error = match stored_error(json, code) {
            Some(Error::Entry(crate::error::EntryError::Validation(f))) if f.is_empty() => {
                Some(Error::validation(row.field_errors.clone()))
            }
            other => other,
        };
        row
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

    #[test]
    fn markers_are_unique_even_in_the_same_second() {
        let store = Store::open_in_memory().expect("db");
        let t = store.outbox();
        let a = t.insert(&lead("a"), "r1", 1000, 1_000_000).expect("a");
        let b = t.insert(&lead("b"), "r2", 1000, 1_000_000).expect("b");
        let (ea, eb) = (t.claim(a, 1001).expect("a"), t.claim(b, 1001).expect("b"));
        assert_eq!((ea.marker_at, eb.marker_at), (1000, 1001));
    }

    #[test]
    fn a_clock_set_back_does_not_leave_an_entry_waiting() {
        let store = Store::open_in_memory().expect("db");
        let t = store.outbox();
        let id = t.insert(&lead("a"), "r", 1, 0).expect("insert");
        let horizon = 90_000;
        // Scheduled 60 s ahead: not due yet, due in 60 s.
        t.record_retry(id, &Error::internal("x"), 1_000_000 + 60_000, 2).expect("retry");
        assert_eq!(t.next_due_id(1_000_000, horizon).expect("q"), None);
        assert_eq!(t.next_due_in_ms(1_000_000, horizon).expect("q"), Some(60_000));
        // The clock went back an hour: the entry is not left waiting for an hour and a minute.
        let back = 1_000_000 - 3_600_000;
        assert_eq!(t.next_due_id(back, horizon).expect("q"), Some(id));
        assert_eq!(t.next_due_in_ms(back, horizon).expect("q"), Some(0));
    }

    #[test]
    fn failures_are_stored_as_codes_and_read_back() {
        let store = Store::open_in_memory().expect("db");
        let t = store.outbox();
        let id = t.insert(&lead("a"), "r", 1, 1000).expect("insert");
        let e = Error::from(AmoError::ServerError { status: 502 });
        t.record_retry(id, &e, 5000, 2).expect("retry");
        let row = t.rows(Some(id), 1).expect("rows").pop().expect("row");
        assert_eq!(row.last_error, Some(e.clone()));
        assert_eq!((row.state, row.attempts, row.next_attempt_ms), (OutboxState::Queued, 1, 5000));
        assert_eq!(t.counts().expect("counts").last_error, Some(e));
    }

    #[test]
    fn schema_3_rows_keep_their_codes_and_lose_their_sentences() {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join("old.sqlite3");
        {
            // A database as schema 3 left it, with a localised message stored.
            let c = rusqlite::Connection::open(&path).expect("c");
            for sql in &super::super::migrations::MIGRATIONS[..3] {
                c.execute_batch(sql).expect("old schema");
            }
            c.pragma_update(None, "user_version", 3).expect("v3");
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
        assert!(matches!(store.outbox().counts().expect("c").last_error, Some(Error::Amo(_))));
        let left: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM outbox WHERE last_error_message IS NOT NULL", [], |r| r.get(0))
            .expect("q");
        assert_eq!(left, 0, "no localised text stays stored");
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
