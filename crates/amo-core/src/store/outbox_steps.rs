//! Table `outbox_steps`: the plan of each outbox entry — one row per write to amoCRM, in order,
//! with where it stands and what amoCRM made of it (`domain::steps`). Rows are written with
//! their entry (`store/outbox.rs` inserts, claims, re-plans and reads an entry and its steps in
//! one transaction through the functions here); the handle below changes one step at a time
//! as the outbox's runner sends it.

use rusqlite::{named_params, params, Connection, OptionalExtension, Row};

use super::Store;
use crate::domain::steps::{Created, Entity, Made, StepBody, StepKind, StepState};
use crate::error::{Error, Result};

pub struct OutboxSteps<'a>(pub(super) &'a Store);

/// One step as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRow {
    pub entry_id: i64,
    /// Its place in the entry's plan (sent in this order).
    pub seq: i64,
    pub kind: StepKind,
    /// What it sends; `None` once the entry's customer data was purged.
    pub body: Option<StepBody>,
    pub state: StepState,
    /// The `created_at` it is sent with (the entry's marker): how it is found after a lost
    /// answer.
    pub marker_at: i64,
    pub made: Made,
}

const STEP_COLUMNS: &str = "entry_id, seq, kind, body, state, marker_at, amo_id, lead_id, contact_id, company_id, \
     merged, own_record, own_contact, own_company, amo_updated_at";

/// Writes an entry's planned steps (all pending), inside the caller's transaction.
pub(super) fn insert_plan(
    conn: &Connection,
    entry_id: i64,
    marker_at: i64,
    steps: &[StepBody],
    now: i64,
) -> Result<()> {
    let mut st = conn.prepare(
        "INSERT INTO outbox_steps (entry_id, seq, kind, body, state, marker_at, entity, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?7)",
    )?;
    for (seq, step) in steps.iter().enumerate() {
        let kind = step.kind();
        st.execute(params![
            entry_id,
            seq as i64,
            kind.as_str(),
            body_json(step)?,
            marker_at,
            kind.entity().map(Entity::as_str),
            now
        ])?;
    }
    Ok(())
}

/// Writes a step as it stands (a step kept through an edit, or one made by the schema upgrade).
pub(super) fn insert_row(conn: &Connection, row: &StepRow, now: i64) -> Result<()> {
    conn.execute(
        "INSERT INTO outbox_steps (entry_id, seq, kind, body, state, marker_at, entity, amo_id, lead_id, contact_id,
                                   company_id, merged, own_record, own_contact, own_company, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        params![
            row.entry_id,
            row.seq,
            row.kind.as_str(),
            row.body.as_ref().map(body_json).transpose()?,
            row.state.as_str(),
            row.marker_at,
            row.kind.entity().map(Entity::as_str),
            row.made.id,
            row.made.lead_id,
            row.made.contact_id,
            row.made.company_id,
            row.made.merged,
            row.made.created.record,
            row.made.created.contact,
            row.made.created.company,
            now
        ],
    )?;
    // Apart: schema 11's upgrade writes rows with this too, before schema 14 added the column
    // (and what it writes never has a change's stamp).
    if let Some(at) = row.made.updated_at {
        conn.execute(
            "UPDATE outbox_steps SET amo_updated_at = ?3 WHERE entry_id = ?1 AND seq = ?2",
            params![row.entry_id, row.seq, at],
        )?;
    }
    Ok(())
}

/// The steps of `entry_id`, in order.
pub(super) fn steps_of(conn: &Connection, entry_id: i64) -> Result<Vec<StepRow>> {
    let mut st =
        conn.prepare_cached(&format!("SELECT {STEP_COLUMNS} FROM outbox_steps WHERE entry_id = ?1 ORDER BY seq"))?;
    let rows = st.query_map([entry_id], step_from)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The steps of a History page, by entry, in order — and the entries with a step that cannot
/// be read, with why (History shows them as damaged; the rest of the page is read as usual).
#[derive(Default)]
pub(super) struct PageSteps {
    pub steps: std::collections::HashMap<i64, Vec<StepRow>>,
    pub damaged: std::collections::HashMap<i64, String>,
}

/// The steps of the newest `limit` entries (or of entry `only`): one query for a whole History
/// page. A step that cannot be read marks its entry damaged instead of failing the page.
pub(super) fn steps_of_rows(conn: &Connection, only: Option<i64>, limit: i64) -> Result<PageSteps> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {STEP_COLUMNS} FROM outbox_steps
         WHERE entry_id IN (SELECT id FROM outbox WHERE (?1 IS NULL OR id = ?1) ORDER BY id DESC LIMIT ?2)
         ORDER BY entry_id, seq"
    ))?;
    let mut page = PageSteps::default();
    let mut rows = st.query(params![only, limit])?;
    while let Some(r) = rows.next()? {
        let entry_id: i64 = r.get(0)?;
        match step_from(r) {
            Ok(step) => page.steps.entry(entry_id).or_default().push(step),
            Err(e) => {
                page.damaged.entry(entry_id).or_insert_with(|| step_damage(r, &e));
            }
        }
    }
    Ok(page)
}

/// Why a step row could not be read, for the log and History's error ("step 2: …").
fn step_damage(r: &Row<'_>, e: &rusqlite::Error) -> String {
    let seq = r.get::<_, i64>(1).map_or_else(|_| "?".to_string(), |s| s.to_string());
    let why = match e {
        rusqlite::Error::FromSqlConversionFailure(_, _, inner) => inner.to_string(),
        other => other.to_string(),
    };
    format!("step {seq}: {why}")
}

pub(super) fn delete_steps(conn: &Connection, entry_id: i64) -> Result<()> {
    conn.execute("DELETE FROM outbox_steps WHERE entry_id = ?1", [entry_id])?;
    Ok(())
}

/// What was typed removed from the steps of entries just purged (`purged = 1`): their bodies.
pub(super) fn purge_bodies(conn: &Connection) -> Result<usize> {
    Ok(conn.execute(
        "UPDATE outbox_steps SET body = NULL
         WHERE body IS NOT NULL AND entry_id IN (SELECT id FROM outbox WHERE purged = 1)",
        [],
    )?)
}

impl OutboxSteps<'_> {
    /// Why entry `entry_id` cannot be read — its kind, its draft or one of its steps — if it
    /// cannot (`None` also when it is gone). The worker sets such an entry aside instead of
    /// stopping at it.
    pub fn damage_of(&self, entry_id: i64) -> Result<Option<String>> {
        let conn = self.0.conn();
        let found: Option<(String, String)> = conn
            .query_row("SELECT kind, draft FROM outbox WHERE id = ?1", [entry_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((kind, draft)) = found else { return Ok(None) };
        if let Err(why) = super::draft_column::read_draft(&kind, &draft) {
            return Ok(Some(why));
        }
        let mut st =
            conn.prepare_cached(&format!("SELECT {STEP_COLUMNS} FROM outbox_steps WHERE entry_id = ?1 ORDER BY seq"))?;
        let mut rows = st.query([entry_id])?;
        while let Some(r) = rows.next()? {
            if let Err(e) = step_from(r) {
                return Ok(Some(step_damage(r, &e)));
            }
        }
        Ok(None)
    }

    /// Moves a step that is not done to `state` (`maybe_sent` before its request leaves,
    /// `pending` when amoCRM certainly never processed it, `refused` when it refused it).
    pub fn set_state(&self, entry_id: i64, seq: i64, state: StepState, now: i64) -> Result<()> {
        self.0.conn().execute(
            "UPDATE outbox_steps SET state = ?3, updated_at = ?4 WHERE entry_id = ?1 AND seq = ?2 AND state != 'done'",
            params![entry_id, seq, state.as_str(), now],
        )?;
        Ok(())
    }

    /// The step is in amoCRM: what it made, and the account host it went to (History's links),
    /// in one transaction.
    pub fn record_done(&self, entry_id: i64, seq: i64, made: &Made, domain: Option<&str>, now: i64) -> Result<()> {
        let mut conn = self.0.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "UPDATE outbox_steps SET state = 'done', amo_id = ?3, lead_id = ?4, contact_id = ?5, company_id = ?6,
                    merged = ?7, own_record = ?8, own_contact = ?9, own_company = ?10, updated_at = ?11,
                    amo_updated_at = ?12
             WHERE entry_id = ?1 AND seq = ?2",
            params![
                entry_id,
                seq,
                made.id,
                made.lead_id,
                made.contact_id,
                made.company_id,
                made.merged,
                made.created.record,
                made.created.contact,
                made.created.company,
                now,
                made.updated_at
            ],
        )?;
        tx.execute(
            "UPDATE outbox SET domain = IFNULL(?2, domain), updated_at = ?3 WHERE id = ?1",
            params![entry_id, domain, now],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The `updated_at` amoCRM gave the record `amo_id` after the latest change this desk made
    /// to it (a done `task_change` / `lead_change` step): a change queued later compares the
    /// record with this, not with the older copy its form was drawn from.
    pub fn last_change_at(&self, entity: Entity, amo_id: i64) -> Result<Option<i64>> {
        Ok(self.0.conn().query_row(
            "SELECT MAX(amo_updated_at) FROM outbox_steps
             WHERE entity = ?1 AND amo_id = ?2 AND state = 'done' AND kind IN ('task_change', 'lead_change')",
            params![entity.as_str(), amo_id],
            |r| r.get(0),
        )?)
    }

    /// Whether a step of another entry than `except` created this amoCRM record
    /// (reconciliation never takes it twice). What a step only points at — the lead a note is
    /// on, an existing contact, a picked company, the lead amoCRM merged it into — it does not own.
    pub fn owned_elsewhere(&self, entity: Entity, amo_id: i64, except: i64) -> Result<bool> {
        let n: i64 = self.0.conn().query_row(
            "SELECT COUNT(*) FROM outbox_steps
             WHERE entry_id != :except
               AND ((entity = :entity AND amo_id = :id AND own_record)
                    OR (:entity = 'contacts' AND contact_id = :id AND own_contact)
                    OR (:entity = 'companies' AND company_id = :id AND own_company))",
            named_params! { ":except": except, ":entity": entity.as_str(), ":id": amo_id },
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }
}

fn body_json(step: &StepBody) -> Result<String> {
    // Stored without its tag: the `kind` column holds that.
    let v = serde_json::to_value(step).map_err(Error::internal)?;
    serde_json::to_string(&v["body"]).map_err(Error::internal)
}

fn step_from(r: &Row<'_>) -> rusqlite::Result<StepRow> {
    let kind_text: String = r.get(2)?;
    let bad = |col: usize, e: String| {
        rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(Error::storage(e)))
    };
    let kind = StepKind::parse(&kind_text).ok_or_else(|| bad(2, format!("unknown step kind {kind_text:?}")))?;
    let body = match r.get::<_, Option<String>>(3)? {
        None => None,
        Some(json) => {
            let body: serde_json::Value = serde_json::from_str(&json).map_err(|e| bad(3, e.to_string()))?;
            Some(
                serde_json::from_value(serde_json::json!({"kind": kind.as_str(), "body": body}))
                    .map_err(|e| bad(3, e.to_string()))?,
            )
        }
    };
    Ok(StepRow {
        entry_id: r.get(0)?,
        seq: r.get(1)?,
        kind,
        body,
        state: StepState::parse(&r.get::<_, String>(4)?),
        marker_at: r.get(5)?,
        made: Made {
            id: r.get(6)?,
            lead_id: r.get(7)?,
            contact_id: r.get(8)?,
            company_id: r.get(9)?,
            merged: r.get(10)?,
            created: Created { record: r.get(11)?, contact: r.get(12)?, company: r.get(13)? },
            updated_at: r.get(14)?,
        },
    })
}
