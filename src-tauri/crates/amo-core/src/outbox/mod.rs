//! The durable outbox: every lead or contact the user submits is a row in SQLite before any
//! network call, and stays there until amoCRM has it (shared/DESIGN.md, `outbox`).
//!
//! States: `queued` (waiting, possibly after a failure — retried with back-off forever),
//! `sending` (a worker has it), `sent` (amoCRM's ids recorded), `attention` (amoCRM or we found
//! something only the user can fix; editable and resendable). A 403 HTML ban stops all sending
//! until the user says support lifted it (`outbox retry`).
//!
//! Exactly once: the `created_at` sent to amoCRM is the entry's `marker_at`, unique across the
//! outbox. Before a create is sent, `create_sent` is set; if the process dies (or the answer is
//! lost) before amoCRM's id is recorded, the next attempt first looks the entry up in amoCRM by
//! name + `created_at` and only sends again if it is not there (see `worker`). Notes the same way,
//! by text on the recorded lead. A marker inside the data we send anyway keeps amoCRM free of
//! technical tags or fields.

mod worker;

pub use worker::{run_worker, RetryTiming};

use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, ErrorPayload, Result};
use crate::model::{ContactDraft, FieldError, LeadDraft};
use crate::service::{now, rfc3339, AmoConnect};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum OutboxState {
    Queued,
    Sending,
    Sent,
    Attention,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Queued => "queued",
            OutboxState::Sending => "sending",
            OutboxState::Sent => "sent",
            OutboxState::Attention => "attention",
        }
    }

    fn parse(s: &str) -> OutboxState {
        match s {
            "sending" => OutboxState::Sending,
            "sent" => OutboxState::Sent,
            "attention" => OutboxState::Attention,
            _ => OutboxState::Queued,
        }
    }
}

/// What was typed: a lead (with its optional contact and note) or a contact alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", content = "draft", rename_all = "snake_case")]
#[ts(export)]
pub enum Draft {
    Lead(LeadDraft),
    Contact(ContactDraft),
}

impl Draft {
    fn kind(&self) -> &'static str {
        match self {
            Draft::Lead(_) => "lead",
            Draft::Contact(_) => "contact",
        }
    }

    pub fn title(&self) -> String {
        match self {
            Draft::Lead(l) => l.name.clone(),
            Draft::Contact(c) => c.display_name(),
        }
    }
}

/// One entry as the history shows it (and `outbox --json` prints it).
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct OutboxItem {
    #[ts(type = "number")]
    pub id: i64,
    pub state: OutboxState,
    pub title: String,
    #[serde(flatten)]
    #[ts(flatten)]
    pub draft: Draft,
    /// RFC 3339: when the user submitted it.
    pub created_at: String,
    pub updated_at: String,
    pub attempts: u32,
    /// RFC 3339: the next automatic attempt (queued entries).
    pub next_attempt_at: Option<String>,
    /// Why the last attempt failed.
    pub error: Option<ErrorPayload>,
    /// amoCRM's (or our) field errors, for entries needing attention.
    pub field_errors: Vec<FieldError>,
    #[ts(type = "number | null")]
    pub lead_id: Option<i64>,
    #[ts(type = "number | null")]
    pub contact_id: Option<i64>,
    #[ts(type = "number | null")]
    pub note_id: Option<i64>,
    /// amoCRM's duplicate control merged the lead into an existing one.
    pub merged: bool,
    /// `https://{domain}/leads/detail/{id}`
    pub lead_url: Option<String>,
    pub contact_url: Option<String>,
    pub sent_at: Option<String>,
    /// A create may already have reached amoCRM: editing is refused (the edited entry could not
    /// be matched and would be created twice).
    pub locked: bool,
}

/// The banner's facts.
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq, Default)]
#[ts(export)]
pub struct OutboxSummary {
    pub queued: u32,
    pub attention: u32,
    pub sent: u32,
    /// amoCRM banned the account's API (403 HTML): nothing is sent until support lifts it.
    pub banned: bool,
    /// The last failure of a waiting entry was a network error: amoCRM is unreachable.
    pub offline: bool,
    /// The last failure of a waiting entry, if any.
    pub last_error: Option<ErrorPayload>,
}

/// A row as the worker needs it.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub id: i64,
    pub draft: Draft,
    pub marker_at: i64,
    pub request_id: String,
    pub attempts: u32,
    pub create_sent: bool,
    pub note_sent: bool,
    pub lead_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub note_id: Option<i64>,
}

const ENTRY_COLUMNS: &str =
    "id, draft, kind, marker_at, request_id, attempts, create_sent, note_sent, lead_id, contact_id, note_id";

/// The `draft` column (column `col` of the row) as the `kind` column says.
fn draft_from(r: &Row<'_>, col: usize, kind: &str) -> rusqlite::Result<Draft> {
    let json: String = r.get(col)?;
    match kind {
        "contact" => serde_json::from_str(&json).map(Draft::Contact),
        _ => serde_json::from_str(&json).map(Draft::Lead),
    }
    .map_err(|e| rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(e)))
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

fn draft_json(d: &Draft) -> Result<String> {
    match d {
        Draft::Lead(l) => serde_json::to_string(l),
        Draft::Contact(c) => serde_json::to_string(c),
    }
    .map_err(|e| Error::Internal(e.to_string()))
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn random_request_id() -> String {
    use rand::RngCore;
    let mut b = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut b);
    format!("ac-{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>())
}

impl AmoConnect {
    /// Checks a lead and queues it; returns at once (the worker sends it). Nothing invalid is
    /// queued: field errors come back as [`Error::Validation`].
    pub fn queue_lead(&self, draft: &LeadDraft) -> Result<OutboxItem> {
        let clean = draft.validated(self.platform(), self.lang()).map_err(Error::Validation)?;
        self.queue(Draft::Lead(clean))
    }

    pub fn queue_contact(&self, draft: &ContactDraft) -> Result<OutboxItem> {
        let clean = draft.validated("", self.platform(), self.lang()).map_err(Error::Validation)?;
        self.queue(Draft::Contact(clean))
    }

    fn queue(&self, draft: Draft) -> Result<OutboxItem> {
        let json = draft_json(&draft)?;
        let id = {
            let mut conn = self.db.conn();
            // IMMEDIATE: the marker must be unique also against another process queueing now.
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let t = now();
            let last: Option<i64> = tx.query_row("SELECT MAX(marker_at) FROM outbox", [], |r| r.get(0))?;
            let marker = last.map_or(t, |m| m.saturating_add(1).max(t));
            tx.execute(
                "INSERT INTO outbox (kind, draft, state, marker_at, request_id, created_at, updated_at, next_attempt_ms)
                 VALUES (?1, ?2, 'queued', ?3, ?4, ?5, ?5, ?6)",
                params![draft.kind(), json, marker, random_request_id(), t, now_ms()],
            )?;
            let id = tx.last_insert_rowid();
            tx.commit()?;
            id
        };
        tracing::info!(id, kind = draft.kind(), "queued");
        self.outbox_wake.notify_one();
        self.outbox_item(id)
    }

    pub fn outbox_item(&self, id: i64) -> Result<OutboxItem> {
        self.outbox_items(Some(id), 1)?.pop().ok_or_else(|| Error::NotFound(format!("outbox entry #{id}")))
    }

    /// Newest first.
    pub fn outbox_list(&self, limit: usize) -> Result<Vec<OutboxItem>> {
        self.outbox_items(None, limit)
    }

    fn outbox_items(&self, only: Option<i64>, limit: usize) -> Result<Vec<OutboxItem>> {
        let domain = crate::account_store::load(&self.db)?.map(|r| r.domain);
        let conn = self.db.conn();
        let mut st = conn.prepare(
            "SELECT id, draft, kind, state, created_at, updated_at, attempts, next_attempt_ms, last_error_code,
                    last_error_message, field_errors, lead_id, contact_id, note_id, merged, sent_at, domain, create_sent
             FROM outbox WHERE (?1 IS NULL OR id = ?1) ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = st.query_map(params![only, limit as i64], |r| {
            let kind: String = r.get(2)?;
            let draft = draft_from(r, 1, &kind)?;
            let state = OutboxState::parse(&r.get::<_, String>(3)?);
            let code: Option<String> = r.get(8)?;
            let field_errors: Option<String> = r.get(10)?;
            let lead_id: Option<i64> = r.get(11)?;
            let contact_id: Option<i64> = r.get(12)?;
            let host = r.get::<_, Option<String>>(16)?.or_else(|| domain.clone());
            let link = |what: &str, id: Option<i64>| Some(format!("https://{}/{what}/detail/{}", host.as_ref()?, id?));
            Ok(OutboxItem {
                id: r.get(0)?,
                state,
                title: draft.title(),
                draft,
                created_at: rfc3339(r.get(4)?),
                updated_at: rfc3339(r.get(5)?),
                attempts: r.get(6)?,
                next_attempt_at: (state == OutboxState::Queued)
                    .then(|| r.get::<_, i64>(7).map(|ms| rfc3339(ms / 1000)))
                    .transpose()?,
                error: code.map(|code| ErrorPayload {
                    code,
                    message: r.get::<_, Option<String>>(9).ok().flatten().unwrap_or_default(),
                    fields: None,
                }),
                field_errors: field_errors.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default(),
                lead_id,
                contact_id,
                note_id: r.get(13)?,
                merged: r.get(14)?,
                lead_url: link("leads", lead_id),
                contact_url: link("contacts", contact_id),
                sent_at: r.get::<_, Option<i64>>(15)?.map(rfc3339),
                locked: r.get::<_, bool>(17)? || lead_id.is_some() || state == OutboxState::Sent,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn outbox_summary(&self) -> Result<OutboxSummary> {
        let conn = self.db.conn();
        let count = |state: &str| -> Result<u32> {
            Ok(conn.query_row("SELECT COUNT(*) FROM outbox WHERE state = ?1", [state], |r| r.get(0))?)
        };
        let queued = count("queued")? + count("sending")?;
        let attention = count("attention")?;
        let sent = count("sent")?;
        let banned = conn.query_row("SELECT COUNT(*) FROM api_block", [], |r| r.get::<_, i64>(0))? > 0;
        let last: Option<(String, String)> = conn
            .query_row(
                "SELECT last_error_code, last_error_message FROM outbox
                 WHERE state IN ('queued', 'sending') AND last_error_code IS NOT NULL ORDER BY updated_at DESC, id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(OutboxSummary {
            queued,
            attention,
            sent,
            banned,
            offline: last.as_ref().is_some_and(|(c, _)| c == "network"),
            last_error: last.map(|(code, message)| ErrorPayload { code, message, fields: None }),
        })
    }

    /// "Retry now": waiting entries (and, given an id, that entry even if it needs attention)
    /// are due at once; also tells the worker the account's API ban was lifted. Returns how many
    /// entries were made due.
    pub fn outbox_retry(&self, id: Option<i64>) -> Result<usize> {
        let n = {
            let conn = self.db.conn();
            conn.execute("DELETE FROM api_block", [])?;
            match id {
                Some(id) => {
                    let n = conn.execute(
                        "UPDATE outbox SET state = 'queued', next_attempt_ms = ?2, updated_at = ?3
                         WHERE id = ?1 AND state IN ('queued', 'attention')",
                        params![id, now_ms(), now()],
                    )?;
                    if n == 0 {
                        let exists: bool = conn
                            .query_row("SELECT COUNT(*) FROM outbox WHERE id = ?1", [id], |r| r.get::<_, i64>(0))?
                            > 0;
                        if !exists {
                            return Err(Error::NotFound(format!("outbox entry #{id}")));
                        }
                    }
                    n
                }
                None => {
                    conn.execute("UPDATE outbox SET next_attempt_ms = ?1 WHERE state = 'queued'", params![now_ms()])?
                }
            }
        };
        self.outbox_wake.notify_one();
        Ok(n)
    }

    /// Replaces the draft of an entry that needs attention (or waits and was never sent) and
    /// queues it again.
    pub fn outbox_update(&self, id: i64, draft: Draft) -> Result<OutboxItem> {
        let draft = match draft {
            Draft::Lead(l) => Draft::Lead(l.validated(self.platform(), self.lang()).map_err(Error::Validation)?),
            Draft::Contact(c) => {
                Draft::Contact(c.validated("", self.platform(), self.lang()).map_err(Error::Validation)?)
            }
        };
        let current = self.outbox_item(id)?;
        if current.draft.kind() != draft.kind() {
            return Err(Error::EntryNotEditable { id, reason: "an entry keeps its kind (lead or contact)".into() });
        }
        let not_editable =
            || Error::EntryNotEditable { id, reason: "it may already be in amoCRM; change it there".into() };
        if current.locked || current.state == OutboxState::Sending {
            return Err(not_editable());
        }
        // The worker may have taken it meanwhile: then nothing is updated, and the edit is refused
        // rather than silently lost.
        let n = self.db.conn().execute(
            "UPDATE outbox SET draft = ?2, state = 'queued', field_errors = NULL, last_error_code = NULL,
                    last_error_message = NULL, next_attempt_ms = ?3, updated_at = ?4
             WHERE id = ?1 AND state IN ('queued', 'attention') AND create_sent = 0 AND lead_id IS NULL",
            params![id, draft_json(&draft)?, now_ms(), now()],
        )?;
        if n == 0 {
            return Err(not_editable());
        }
        self.outbox_wake.notify_one();
        self.outbox_item(id)
    }

    /// Removes an entry that needs attention (the user decided not to send it). Waiting and
    /// sent entries cannot be removed: that is how a lead would get lost.
    pub fn outbox_discard(&self, id: i64) -> Result<()> {
        let n = self.db.conn().execute("DELETE FROM outbox WHERE id = ?1 AND state = 'attention'", [id])?;
        if n == 0 {
            self.outbox_item(id)?; // not_found when there is no such entry
            return Err(Error::EntryNotEditable {
                id,
                reason: "only entries needing attention can be removed; waiting ones are still to be sent".into(),
            });
        }
        Ok(())
    }

    /// The oldest entry due now (entries left `sending` by a dead process included: whoever
    /// holds the outbox lock is the only sender).
    pub(crate) fn next_due_id(&self) -> Result<Option<i64>> {
        Ok(self
            .db
            .conn()
            .query_row(
                "SELECT id FROM outbox WHERE state IN ('queued', 'sending') AND next_attempt_ms <= ?1 ORDER BY id LIMIT 1",
                [now_ms()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Takes a due entry for sending and reads it again under that claim, so an edit saved just
    /// before is what gets sent (and an edit after it is refused: the entry is `sending`).
    pub(crate) fn claim_entry(&self, id: i64) -> Result<Entry> {
        self.set_entry_state(id, OutboxState::Sending)?;
        let conn = self.db.conn();
        Ok(conn.query_row(&format!("SELECT {ENTRY_COLUMNS} FROM outbox WHERE id = ?1"), [id], entry_from)?)
    }

    /// Milliseconds until the next queued entry is due, if any is waiting.
    pub(crate) fn next_due_in_ms(&self) -> Result<Option<i64>> {
        let next: Option<i64> = self.db.conn().query_row(
            "SELECT MIN(next_attempt_ms) FROM outbox WHERE state IN ('queued', 'sending')",
            [],
            |r| r.get(0),
        )?;
        Ok(next.map(|n| (n - now_ms()).max(0)))
    }

    pub(crate) fn is_banned(&self) -> Result<bool> {
        Ok(self.db.conn().query_row("SELECT COUNT(*) FROM api_block", [], |r| r.get::<_, i64>(0))? > 0)
    }

    pub(crate) fn set_banned(&self) -> Result<()> {
        self.db.conn().execute("INSERT OR IGNORE INTO api_block (id, banned_at) VALUES (1, ?1)", [now()])?;
        Ok(())
    }

    pub(crate) fn set_entry_flag(&self, id: i64, column: &str, on: bool) -> Result<()> {
        debug_assert!(matches!(column, "create_sent" | "note_sent"));
        self.db.conn().execute(&format!("UPDATE outbox SET {column} = ?2 WHERE id = ?1"), params![id, on])?;
        Ok(())
    }

    pub(crate) fn set_entry_state(&self, id: i64, state: OutboxState) -> Result<()> {
        self.db.conn().execute(
            "UPDATE outbox SET state = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, state.as_str(), now()],
        )?;
        Ok(())
    }

    pub(crate) fn record_created(
        &self,
        id: i64,
        lead_id: Option<i64>,
        contact_id: Option<i64>,
        merged: bool,
    ) -> Result<()> {
        let domain = crate::account_store::load(&self.db)?.map(|r| r.domain);
        self.db.conn().execute(
            "UPDATE outbox SET lead_id = ?2, contact_id = ?3, merged = ?4, domain = ?5, updated_at = ?6 WHERE id = ?1",
            params![id, lead_id, contact_id, merged, domain, now()],
        )?;
        Ok(())
    }

    pub(crate) fn record_note(&self, id: i64, note_id: i64) -> Result<()> {
        self.db
            .conn()
            .execute("UPDATE outbox SET note_id = ?2, updated_at = ?3 WHERE id = ?1", params![id, note_id, now()])?;
        Ok(())
    }

    pub(crate) fn record_sent(&self, id: i64) -> Result<()> {
        let t = now();
        self.db.conn().execute(
            "UPDATE outbox SET state = 'sent', sent_at = ?2, updated_at = ?2, last_error_code = NULL,
                    last_error_message = NULL, field_errors = NULL WHERE id = ?1",
            params![id, t],
        )?;
        Ok(())
    }

    pub(crate) fn record_retry(&self, id: i64, e: &Error, next_ms: i64) -> Result<()> {
        // The message first: `lang()` reads settings through the same connection lock.
        let message = e.message(self.lang());
        self.db.conn().execute(
            "UPDATE outbox SET state = 'queued', attempts = attempts + 1, next_attempt_ms = ?2, last_error_code = ?3,
                    last_error_message = ?4, updated_at = ?5 WHERE id = ?1",
            params![id, next_ms, e.code(), message, now()],
        )?;
        Ok(())
    }

    pub(crate) fn record_attention(&self, id: i64, e: &Error, fields: &[FieldError]) -> Result<()> {
        let fe = serde_json::to_string(fields).map_err(|e| Error::Internal(e.to_string()))?;
        let message = e.message(self.lang());
        self.db.conn().execute(
            "UPDATE outbox SET state = 'attention', attempts = attempts + 1, last_error_code = ?2, last_error_message = ?3,
                    field_errors = ?4, updated_at = ?5 WHERE id = ?1",
            params![id, e.code(), message, fe, now()],
        )?;
        Ok(())
    }

    /// Whether another entry already owns this amoCRM id (reconciliation never takes it twice).
    pub(crate) fn id_claimed(&self, column: &str, amo_id: i64, except: i64) -> Result<bool> {
        debug_assert!(matches!(column, "lead_id" | "contact_id"));
        Ok(self.db.conn().query_row(
            &format!("SELECT COUNT(*) FROM outbox WHERE {column} = ?1 AND id != ?2"),
            params![amo_id, except],
            |r| r.get::<_, i64>(0),
        )? > 0)
    }
}
