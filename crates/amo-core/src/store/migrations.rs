//! The schema, as a list of steps. Each entry moves the schema from version `i` to `i + 1`
//! (`PRAGMA user_version`). Append only: a released step is never edited. Most steps are SQL;
//! one that must read what an older version wrote and rebuild it with the app's own rules (the
//! outbox's plans of steps, schema 11) is Rust, run in the same transaction.

use rusqlite::{params, Transaction};

use super::outbox::draft_from;
use super::outbox_steps::{insert_row, StepRow};
use crate::domain::draft::Draft;
use crate::domain::outbox::OutboxState;
use crate::domain::steps::{plan, Made, StepBody, StepKind, StepState};
use crate::error::Result;

/// One step of the schema.
pub(crate) enum Migration {
    Sql(&'static str),
    Rust(fn(&Transaction<'_>) -> Result<()>),
}

impl Migration {
    pub(super) fn apply(&self, tx: &Transaction<'_>) -> Result<()> {
        match self {
            Migration::Sql(sql) => Ok(tx.execute_batch(sql)?),
            Migration::Rust(f) => f(tx),
        }
    }
}

use Migration::{Rust, Sql};

/// Each entry moves the schema from version `i` to `i + 1`. Append only.
pub(crate) const MIGRATIONS: &[Migration] = &[
    // 1: settings, OAuth states, the connected account.
    Sql("CREATE TABLE settings (
        key   TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
     );
     CREATE TABLE oauth_states (
        state_hash   TEXT PRIMARY KEY NOT NULL,
        redirect_uri TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        used_at      INTEGER
     );
     CREATE INDEX oauth_states_expires ON oauth_states (expires_at);
     CREATE TABLE account (
        id            INTEGER PRIMARY KEY CHECK (id = 1),
        domain        TEXT NOT NULL,
        platform      TEXT NOT NULL,
        auth_kind     TEXT NOT NULL,
        account_id    INTEGER,
        account_name  TEXT,
        subdomain     TEXT,
        current_user_id INTEGER,
        expires_at    INTEGER NOT NULL,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
     );"),
    // 2: what the session manager needs: the Redirect URI the connection was made with (the
    // refresh grant must repeat it exactly), when tokens were last refreshed, and whether amoCRM
    // refused a refresh so only a new sign-in can help.
    Sql("ALTER TABLE account ADD COLUMN redirect_uri TEXT;
     ALTER TABLE account ADD COLUMN last_refresh_at INTEGER;
     ALTER TABLE account ADD COLUMN reconnect_needed INTEGER NOT NULL DEFAULT 0;"),
    // 3: lead and contact entry. Every entry the user submits is a row here *before* any network
    // call (see `outbox`). `marker_at` is the `created_at` we send to amoCRM: unique per entry,
    // so after a crash the entry can be found in amoCRM by name + created_at instead of being
    // sent twice. `create_sent` / `note_sent` say a request may have reached amoCRM.
    Sql("CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        draft TEXT NOT NULL,
        state TEXT NOT NULL,
        marker_at INTEGER NOT NULL UNIQUE,
        request_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL,
        create_sent INTEGER NOT NULL DEFAULT 0,
        note_sent INTEGER NOT NULL DEFAULT 0,
        lead_id INTEGER,
        contact_id INTEGER,
        note_id INTEGER,
        merged INTEGER NOT NULL DEFAULT 0,
        last_error_code TEXT,
        last_error_message TEXT,
        field_errors TEXT,
        sent_at INTEGER,
        domain TEXT
     );
     CREATE INDEX outbox_due ON outbox (state, next_attempt_ms);
     CREATE TABLE reference_cache (
        key TEXT PRIMARY KEY,
        json TEXT NOT NULL,
        fetched_at INTEGER NOT NULL
     );
     CREATE TABLE api_block (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        banned_at INTEGER NOT NULL
     );"),
    // 4: errors are kept as codes with parameters (JSON of `Error`) and rendered when read, so
    // History follows the language switch. Rows of schema 3 keep their code; parameters they
    // never stored get neutral values; no localised text stays stored.
    Sql("ALTER TABLE outbox ADD COLUMN last_error TEXT;
     UPDATE outbox SET last_error = CASE last_error_code
        WHEN 'network' THEN json_object('code', 'network', 'params', json_object('problem', 'cannot_connect'))
        WHEN 'server_error' THEN json_object('code', 'server_error', 'params', json_object('status', 500))
        WHEN 'forbidden' THEN json_object('code', 'forbidden', 'params', json_object('hint', ''))
        WHEN 'not_found' THEN json_object('code', 'amo_not_found', 'params', json_object('hint', ''))
        WHEN 'token_revoked' THEN json_object('code', 'token_revoked', 'params', json_object('hint', NULL))
        WHEN 'validation' THEN json_object('code', 'validation', 'params', json_array())
        WHEN 'rate_limited' THEN json_object('code', 'rate_limited')
        WHEN 'unauthorized' THEN json_object('code', 'unauthorized')
        WHEN 'account_banned' THEN json_object('code', 'account_banned')
        WHEN 'not_connected' THEN json_object('code', 'not_connected')
        ELSE json_object('code', 'unexpected_response', 'params', json_object('detail', last_error_code))
     END
     WHERE last_error_code IS NOT NULL;
     UPDATE outbox SET last_error_code = 'amo_not_found' WHERE last_error_code = 'not_found';
     UPDATE outbox SET last_error_message = NULL;"),
    // 5: retention — a sent entry's draft (the customer's name, phones, notes) is removed after
    // the configured days; `purged` says it was, so History can say so too.
    Sql("ALTER TABLE outbox ADD COLUMN purged INTEGER NOT NULL DEFAULT 0;"),
    // 6: every entry, ban and cache belongs to one account (`domain::account::AccountRef`).
    // Entries already sent belong where they went; waiting ones to the account connected now —
    // the one they would have been sent to. Entries queued while no account was connected keep
    // no account and go to the next one connected, as before. The cache's keys now start with
    // the account's host, so the old ones are dropped (the next form refetches); a recorded ban
    // is the connected account's.
    Sql("ALTER TABLE outbox ADD COLUMN account_id INTEGER;
     ALTER TABLE outbox ADD COLUMN account_domain TEXT;
     UPDATE outbox SET account_domain = domain WHERE domain IS NOT NULL;
     UPDATE outbox SET account_domain = (SELECT domain FROM account WHERE id = 1),
                       account_id = (SELECT account_id FROM account WHERE id = 1)
      WHERE account_domain IS NULL;
     DELETE FROM reference_cache;
     CREATE TABLE api_block_v6 (
        domain    TEXT PRIMARY KEY NOT NULL,
        banned_at INTEGER NOT NULL
     );
     INSERT INTO api_block_v6 (domain, banned_at)
        SELECT a.domain, b.banned_at FROM api_block b, account a WHERE a.id = 1;
     DROP TABLE api_block;
     ALTER TABLE api_block_v6 RENAME TO api_block;"),
    // 7: how a sign-in ended when it did not connect (the error as JSON, e.g. a denial handled by
    // the window's deep link, or Cancel), so a CLI `connect` waiting on the same state stops at
    // once with that error instead of waiting for its timeout.
    Sql("ALTER TABLE oauth_states ADD COLUMN outcome TEXT;"),
    // 8: the follow-up task sent with a lead (or to an existing lead): `task_sent` says its
    // request may have reached amoCRM (reconciled by the lead's tasks before sending again),
    // `task_id` that it is there. Entries of kind `followup` add a note/task to an existing lead.
    // A contact now has several e-mails: the one `email` string of stored drafts becomes the
    // list `emails` (empty for an empty string), in a contact entry and in a lead's contact.
    Sql("ALTER TABLE outbox ADD COLUMN task_sent INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE outbox ADD COLUMN task_id INTEGER;
     UPDATE outbox SET draft = json_set(json_remove(draft, '$.email'), '$.emails',
            CASE WHEN trim(json_extract(draft, '$.email')) = '' THEN json('[]')
                 ELSE json_array(json_extract(draft, '$.email')) END)
      WHERE kind = 'contact' AND json_valid(draft) AND json_type(draft, '$.email') = 'text';
     UPDATE outbox SET draft = json_set(json_remove(draft, '$.contact.email'), '$.contact.emails',
            CASE WHEN trim(json_extract(draft, '$.contact.email')) = '' THEN json('[]')
                 ELSE json_array(json_extract(draft, '$.contact.email')) END)
      WHERE kind = 'lead' AND json_valid(draft) AND json_type(draft, '$.contact.email') = 'text';"),
    // 9: how this computer's forms show each account's custom fields (order, hidden, shown).
    Sql("CREATE TABLE form_layout (
        domain TEXT NOT NULL,
        entity TEXT NOT NULL,
        json   TEXT NOT NULL,
        PRIMARY KEY (domain, entity)
     );"),
    // 10: a contact entered alone may bring a company: `company_sent` says the request that
    // creates it may have reached amoCRM (reconciled by its marker before sending again),
    // `company_id` that it is there (then the contact is linked to it).
    Sql("ALTER TABLE outbox ADD COLUMN company_sent INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE outbox ADD COLUMN company_id INTEGER;"),
    // 11: every entry is a plan of steps (`domain::steps`, table `outbox_steps`); the per-kind
    // columns (`create_sent`, `lead_id`, `note_sent`, `note_id`, `task_*`, `company_*`,
    // `contact_id`, `merged`) are gone. Each entry's plan is made from its draft, and each step
    // takes what the columns said of its part: recorded id → done, "may have reached amoCRM" →
    // maybe sent (found again before anything is resent), else pending; a sent entry's steps
    // are done; an entry needing attention has its first step that is not done (and certainly
    // not sent) refused, since sending stops at the first failure. A purged entry keeps only
    // the steps whose ids were recorded, without bodies.
    Rust(plans_of_steps),
    // 12: a counter per topic that every write to it bumps, whoever makes it (the window, a CLI
    // command, a softphone's `amo-connect`): a window sees entries sent by another process, a
    // sign-in finished elsewhere, and turns them into events (`store::changes`).
    Sql("CREATE TABLE changes (
        topic   TEXT PRIMARY KEY NOT NULL,
        version INTEGER NOT NULL
     );
     INSERT INTO changes (topic, version) VALUES ('outbox', 0), ('account', 0);
     CREATE TRIGGER outbox_insert AFTER INSERT ON outbox
        BEGIN UPDATE changes SET version = version + 1 WHERE topic = 'outbox'; END;
     CREATE TRIGGER outbox_update AFTER UPDATE ON outbox
        BEGIN UPDATE changes SET version = version + 1 WHERE topic = 'outbox'; END;
     CREATE TRIGGER outbox_delete AFTER DELETE ON outbox
        BEGIN UPDATE changes SET version = version + 1 WHERE topic = 'outbox'; END;
     CREATE TRIGGER outbox_steps_insert AFTER INSERT ON outbox_steps
        BEGIN UPDATE changes SET version = version + 1 WHERE topic = 'outbox'; END;
     CREATE TRIGGER outbox_steps_update AFTER UPDATE ON outbox_steps
        BEGIN UPDATE changes SET version = version + 1 WHERE topic = 'outbox'; END;
     CREATE TRIGGER outbox_steps_delete AFTER DELETE ON outbox_steps
        BEGIN UPDATE changes SET version = version + 1 WHERE topic = 'outbox'; END;
     CREATE TRIGGER api_block_insert AFTER INSERT ON api_block
        BEGIN UPDATE changes SET version = version + 1 WHERE topic = 'outbox'; END;
     CREATE TRIGGER api_block_update AFTER UPDATE ON api_block
        BEGIN UPDATE changes SET version = version + 1 WHERE topic = 'outbox'; END;
     CREATE TRIGGER api_block_delete AFTER DELETE ON api_block
        BEGIN UPDATE changes SET version = version + 1 WHERE topic = 'outbox'; END;
     CREATE TRIGGER account_insert AFTER INSERT ON account
        BEGIN UPDATE changes SET version = version + 1 WHERE topic = 'account'; END;
     CREATE TRIGGER account_update AFTER UPDATE ON account
        BEGIN UPDATE changes SET version = version + 1 WHERE topic = 'account'; END;
     CREATE TRIGGER account_delete AFTER DELETE ON account
        BEGIN UPDATE changes SET version = version + 1 WHERE topic = 'account'; END;"),
    // 13: this computer's copy of each account's people (the phone desk, docs/people-copy.md):
    // contacts and companies, every phone by its last ten digits, every e-mail, the leads still
    // in work and which customer each belongs to, and how far the sync got. Keyed by the
    // account's host: one account's customers are never offered for another. A write to
    // `people_sync` bumps the `people` topic, so a window shows the progress of a CLI's sync.
    // And a call is queued once per account and call id, whichever process logs it.
    Sql("CREATE TABLE people (
        account     TEXT NOT NULL,
        kind        TEXT NOT NULL CHECK (kind IN ('contact', 'company')),
        id          INTEGER NOT NULL,
        name        TEXT NOT NULL,
        name_key    TEXT NOT NULL,
        company_id  INTEGER,
        responsible_user_id INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL,
        pass        INTEGER NOT NULL,
        PRIMARY KEY (account, kind, id)
     ) WITHOUT ROWID;
     CREATE TABLE people_phones (
        account TEXT NOT NULL,
        kind    TEXT NOT NULL,
        id      INTEGER NOT NULL,
        tail    TEXT NOT NULL,
        phone   TEXT NOT NULL
     );
     CREATE INDEX people_phones_tail ON people_phones (account, tail);
     CREATE INDEX people_phones_owner ON people_phones (account, kind, id);
     CREATE TABLE people_emails (
        account TEXT NOT NULL,
        kind    TEXT NOT NULL,
        id      INTEGER NOT NULL,
        email   TEXT NOT NULL
     );
     CREATE INDEX people_emails_email ON people_emails (account, email);
     CREATE INDEX people_emails_owner ON people_emails (account, kind, id);
     CREATE TABLE people_lead_links (
        account TEXT NOT NULL,
        kind    TEXT NOT NULL,
        id      INTEGER NOT NULL,
        lead_id INTEGER NOT NULL,
        PRIMARY KEY (account, kind, id, lead_id)
     ) WITHOUT ROWID;
     CREATE INDEX people_lead_links_lead ON people_lead_links (account, lead_id);
     CREATE TABLE people_leads (
        account     TEXT NOT NULL,
        id          INTEGER NOT NULL,
        name        TEXT NOT NULL,
        price       INTEGER NOT NULL,
        pipeline_id INTEGER NOT NULL,
        status_id   INTEGER NOT NULL,
        responsible_user_id INTEGER NOT NULL,
        created_at  INTEGER NOT NULL,
        PRIMARY KEY (account, id)
     ) WITHOUT ROWID;
     CREATE TABLE people_sync (
        account        TEXT PRIMARY KEY NOT NULL,
        enabled        INTEGER NOT NULL DEFAULT 1,
        pass           INTEGER NOT NULL DEFAULT 0,
        full_kind      TEXT,
        full_page      INTEGER,
        full_pages     INTEGER NOT NULL DEFAULT 0,
        full_started_at INTEGER,
        full_done_at   INTEGER,
        fresh_at       INTEGER,
        people_mark    INTEGER NOT NULL DEFAULT 0,
        leads_mark     INTEGER NOT NULL DEFAULT 0,
        updated_filter INTEGER
     );
     INSERT INTO changes (topic, version) VALUES ('people', 0);
     CREATE UNIQUE INDEX outbox_call_uniq ON outbox (IFNULL(account_domain, ''), json_extract(draft, '$.uniq'))
        WHERE kind = 'call';
     CREATE TRIGGER people_sync_insert AFTER INSERT ON people_sync
        BEGIN UPDATE changes SET version = version + 1 WHERE topic = 'people'; END;
     CREATE TRIGGER people_sync_update AFTER UPDATE ON people_sync
        BEGIN UPDATE changes SET version = version + 1 WHERE topic = 'people'; END;
     CREATE TRIGGER people_sync_delete AFTER DELETE ON people_sync
        BEGIN UPDATE changes SET version = version + 1 WHERE topic = 'people'; END;"),
    // 14: a change of a task or lead records the record's `updated_at` after it
    // (`domain::steps::Made::updated_at`; issue 21).
    Sql("ALTER TABLE outbox_steps ADD COLUMN amo_updated_at INTEGER;"),
    // 15: the last list of open tasks read, per account host and scope, for "My tasks" offline,
    // the tray's count and the due notifications (`tasks_copy`; issue 21). It is the account's
    // data: gone with the account row (Disconnect) or when another host takes its place.
    Sql("CREATE TABLE tasks_copy (
        host      TEXT NOT NULL COLLATE NOCASE,
        scope     TEXT NOT NULL,
        user_id   INTEGER,
        tasks     TEXT NOT NULL,
        truncated INTEGER NOT NULL,
        read_at   INTEGER NOT NULL,
        PRIMARY KEY (host, scope)
     );
     CREATE TRIGGER tasks_copy_account_delete AFTER DELETE ON account
        BEGIN DELETE FROM tasks_copy; END;
     CREATE TRIGGER tasks_copy_account_insert AFTER INSERT ON account
        BEGIN DELETE FROM tasks_copy WHERE host <> NEW.domain; END;
     CREATE TRIGGER tasks_copy_account_host AFTER UPDATE OF domain ON account
        BEGIN DELETE FROM tasks_copy WHERE host <> NEW.domain; END;"),
];

/// Schema 11 (see [`MIGRATIONS`]).
fn plans_of_steps(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(
        "CREATE TABLE outbox_steps (
            entry_id   INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
            seq        INTEGER NOT NULL,
            kind       TEXT NOT NULL,
            body       TEXT,
            state      TEXT NOT NULL DEFAULT 'pending',
            marker_at  INTEGER NOT NULL,
            entity     TEXT,
            amo_id     INTEGER,
            lead_id    INTEGER,
            contact_id INTEGER,
            company_id INTEGER,
            merged     INTEGER NOT NULL DEFAULT 0,
            own_record  INTEGER NOT NULL DEFAULT 0,
            own_contact INTEGER NOT NULL DEFAULT 0,
            own_company INTEGER NOT NULL DEFAULT 0,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (entry_id, seq)
         );
         CREATE INDEX outbox_steps_made ON outbox_steps (entity, amo_id);
         CREATE INDEX outbox_steps_contact ON outbox_steps (contact_id);
         CREATE INDEX outbox_steps_company ON outbox_steps (company_id);",
    )?;
    let old: Vec<(OldColumns, Draft)> = {
        let mut st = tx.prepare(
            "SELECT id, draft, kind, state, marker_at, updated_at, purged, create_sent, note_sent, lead_id, contact_id,
                    note_id, merged, task_sent, task_id, company_sent, company_id
             FROM outbox ORDER BY id",
        )?;
        let rows = st.query_map([], |r| {
            let kind: String = r.get(2)?;
            Ok((
                OldColumns {
                    id: r.get(0)?,
                    state: OutboxState::parse(&r.get::<_, String>(3)?),
                    marker_at: r.get(4)?,
                    updated_at: r.get(5)?,
                    purged: r.get(6)?,
                    create_sent: r.get(7)?,
                    note_sent: r.get(8)?,
                    lead_id: r.get(9)?,
                    contact_id: r.get(10)?,
                    note_id: r.get(11)?,
                    merged: r.get(12)?,
                    task_sent: r.get(13)?,
                    task_id: r.get(14)?,
                    company_sent: r.get(15)?,
                    company_id: r.get(16)?,
                },
                draft_from(r, 1, &kind)?,
            ))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (o, draft) in &old {
        for row in o.steps(draft) {
            insert_row(tx, &row, o.updated_at)?;
        }
    }
    for column in [
        "create_sent",
        "note_sent",
        "lead_id",
        "contact_id",
        "note_id",
        "merged",
        "task_sent",
        "task_id",
        "company_sent",
        "company_id",
    ] {
        tx.execute(&format!("ALTER TABLE outbox DROP COLUMN {column}"), params![])?;
    }
    Ok(())
}

/// What schema 10 recorded of an entry's progress.
struct OldColumns {
    id: i64,
    state: OutboxState,
    marker_at: i64,
    updated_at: i64,
    purged: bool,
    create_sent: bool,
    note_sent: bool,
    lead_id: Option<i64>,
    contact_id: Option<i64>,
    note_id: Option<i64>,
    merged: bool,
    task_sent: bool,
    task_id: Option<i64>,
    company_sent: bool,
    company_id: Option<i64>,
}

impl OldColumns {
    /// The entry's steps as its columns left them.
    fn steps(&self, draft: &Draft) -> Vec<StepRow> {
        // A follow-up's note and task are on the lead it names; a lead's on the lead it made.
        let lead = match draft {
            Draft::Followup(f) => Some(f.lead_id).filter(|id| *id > 0).or(self.lead_id),
            _ => self.lead_id,
        };
        let made_by = |kind: StepKind| -> Option<Made> {
            match kind {
                StepKind::Lead | StepKind::IncomingLead => None,
                StepKind::Contact => self.contact_id.map(Made::record),
                StepKind::Company => self.company_id.map(Made::record),
                StepKind::Note => self.note_id.map(|n| Made { lead_id: lead, ..Made::record(n) }),
                StepKind::Task => self.task_id.map(|t| Made { lead_id: lead, ..Made::record(t) }),
                StepKind::Link | StepKind::Call | StepKind::TaskChange | StepKind::LeadChange => None,
            }
        };
        let made = |kind: StepKind| -> Option<Made> {
            match (kind, draft) {
                // A company made with a lead was not recorded then: the lead owns its contact.
                (StepKind::Lead | StepKind::IncomingLead, Draft::Lead(d)) => {
                    self.lead_id.map(|id| Made::lead(d, id, self.contact_id, None, self.merged))
                }
                (StepKind::Lead | StepKind::IncomingLead, _) => None,
                _ => made_by(kind),
            }
        };
        let maybe_sent = |kind: StepKind| match kind {
            StepKind::Lead | StepKind::IncomingLead | StepKind::Contact => self.create_sent,
            StepKind::Company => self.company_sent,
            StepKind::Note => self.note_sent,
            StepKind::Task => self.task_sent,
            StepKind::Link | StepKind::Call | StepKind::TaskChange | StepKind::LeadChange => false,
        };
        let planned: Vec<(StepKind, Option<StepBody>)> = if self.purged {
            // Only ids are left: the steps they show, without what was typed.
            let kinds: &[StepKind] = match draft {
                Draft::Lead(_) => &[StepKind::Lead, StepKind::Note, StepKind::Task],
                Draft::Contact(_) => &[StepKind::Contact, StepKind::Company],
                Draft::Followup(_) => &[StepKind::Note, StepKind::Task],
                Draft::Call(_) => &[StepKind::Call],
                // Entries of schema 10 and before are never changes.
                Draft::TaskChange(_) => &[StepKind::TaskChange],
                Draft::LeadChange(_) => &[StepKind::LeadChange],
            };
            kinds.iter().filter(|k| made(**k).is_some()).map(|k| (*k, None)).collect()
        } else {
            plan(draft).into_iter().map(|b| (b.kind(), Some(b))).collect()
        };
        let sent = self.state == OutboxState::Sent;
        let mut rows: Vec<StepRow> = planned
            .into_iter()
            .enumerate()
            .map(|(seq, (kind, body))| {
                let (state, made) = match made(kind) {
                    Some(m) => (StepState::Done, m),
                    None if sent => (StepState::Done, Made::default()),
                    None if maybe_sent(kind) => (StepState::MaybeSent, Made::default()),
                    None => (StepState::Pending, Made::default()),
                };
                StepRow { entry_id: self.id, seq: seq as i64, kind, body, state, marker_at: self.marker_at, made }
            })
            .collect();
        if self.state == OutboxState::Attention {
            if let Some(first) = rows.iter_mut().find(|r| r.state != StepState::Done) {
                if first.state == StepState::Pending {
                    first.state = StepState::Refused;
                }
            }
        }
        rows
    }
}

/// A database as schema `version` left it (the tests of every upgrade start from one).
#[cfg(test)]
pub(crate) fn schema_at(conn: &rusqlite::Connection, version: usize) {
    let mut conn = rusqlite::Connection::open(conn.path().expect("a file")).expect("open");
    for step in &MIGRATIONS[..version] {
        let tx = conn.transaction().expect("tx");
        step.apply(&tx).expect("an old schema");
        tx.commit().expect("commit");
    }
    conn.pragma_update(None, "user_version", version as i64).expect("version");
}

#[cfg(test)]
mod tests {
    //! Schema 11 from every earlier schema, with entries in every state they could be in.

    use super::*;
    use crate::store::Store;

    /// One entry as an older version wrote it: the columns it set (only those its schema has),
    /// and the steps schema 11 must make of it.
    struct Case {
        since: usize,
        kind: &'static str,
        draft: &'static str,
        state: &'static str,
        set: &'static [(&'static str, i64)],
        want: &'static [(StepKind, StepState, Option<i64>)],
    }

    const LEAD: &str = r#"{"name":"L","note":"call back","contact":{"first_name":"A","phones":["+79121234567"]},
        "task":{"text":"Call","due":"2026-12-05T10:00:00+03:00"}}"#;
    const LEAD_NO_TASK: &str = r#"{"name":"L","note":"call back"}"#;
    const INCOMING: &str = r#"{"name":"L","unsorted":true}"#;
    const CONTACT: &str = r#"{"first_name":"A","company":{"name":"C"}}"#;
    const FOLLOWUP: &str = r#"{"lead_id":42,"note":"n","task":{"text":"Call","due":"2026-12-05T10:00:00+03:00"}}"#;

    use StepKind::{Company as Co, Contact as Ct, IncomingLead as In, Lead as Ld, Link as Lk, Note as Nt, Task as Tk};
    use StepState::{Done, MaybeSent, Pending, Refused};

    const CASES: &[Case] = &[
        // Typed, never tried.
        Case {
            since: 3,
            kind: "lead",
            draft: LEAD_NO_TASK,
            state: "queued",
            set: &[],
            want: &[(Ld, Pending, None), (Nt, Pending, None)],
        },
        // The process died while the lead's request was out.
        Case {
            since: 3,
            kind: "lead",
            draft: LEAD_NO_TASK,
            state: "sending",
            set: &[("create_sent", 1)],
            want: &[(Ld, MaybeSent, None), (Nt, Pending, None)],
        },
        // The lead is in amoCRM, the note's answer was lost.
        Case {
            since: 3,
            kind: "lead",
            draft: LEAD_NO_TASK,
            state: "queued",
            set: &[("create_sent", 1), ("lead_id", 100), ("contact_id", 101), ("note_sent", 1)],
            want: &[(Ld, Done, Some(100)), (Nt, MaybeSent, None)],
        },
        // Sent before notes had ids recorded everywhere: done all the same.
        Case {
            since: 3,
            kind: "lead",
            draft: LEAD_NO_TASK,
            state: "sent",
            set: &[("create_sent", 1), ("lead_id", 100)],
            want: &[(Ld, Done, Some(100)), (Nt, Done, None)],
        },
        // amoCRM refused the lead (a field): nothing of it is there.
        Case {
            since: 3,
            kind: "lead",
            draft: LEAD_NO_TASK,
            state: "attention",
            set: &[],
            want: &[(Ld, Refused, None), (Nt, Pending, None)],
        },
        // Two leads could be ours: the lead may be there, the user decides.
        Case {
            since: 3,
            kind: "lead",
            draft: LEAD_NO_TASK,
            state: "attention",
            set: &[("create_sent", 1)],
            want: &[(Ld, MaybeSent, None), (Nt, Pending, None)],
        },
        // A purged sent lead keeps what its ids say, without what was typed.
        Case {
            since: 5,
            kind: "lead",
            draft: "{}",
            state: "sent",
            set: &[("purged", 1), ("lead_id", 100), ("note_id", 300)],
            want: &[(Ld, Done, Some(100)), (Nt, Done, Some(300))],
        },
        // The lead and note are in, the task was refused.
        Case {
            since: 8,
            kind: "lead",
            draft: LEAD,
            state: "attention",
            set: &[("create_sent", 1), ("lead_id", 100), ("note_sent", 1), ("note_id", 300)],
            want: &[(Ld, Done, Some(100)), (Nt, Done, Some(300)), (Tk, Refused, None)],
        },
        // The task's answer was lost.
        Case {
            since: 8,
            kind: "lead",
            draft: LEAD,
            state: "sending",
            set: &[("lead_id", 100), ("note_id", 300), ("task_sent", 1)],
            want: &[(Ld, Done, Some(100)), (Nt, Done, Some(300)), (Tk, MaybeSent, None)],
        },
        Case {
            since: 8,
            kind: "lead",
            draft: LEAD,
            state: "sent",
            set: &[("lead_id", 100), ("note_id", 300), ("task_id", 400)],
            want: &[(Ld, Done, Some(100)), (Nt, Done, Some(300)), (Tk, Done, Some(400))],
        },
        Case {
            since: 8,
            kind: "lead",
            draft: INCOMING,
            state: "sending",
            set: &[("create_sent", 1)],
            want: &[(In, MaybeSent, None)],
        },
        Case {
            since: 8,
            kind: "followup",
            draft: FOLLOWUP,
            state: "queued",
            set: &[("note_id", 300), ("task_sent", 1)],
            want: &[(Nt, Done, Some(300)), (Tk, MaybeSent, None)],
        },
        Case {
            since: 8,
            kind: "followup",
            draft: FOLLOWUP,
            state: "attention",
            set: &[],
            want: &[(Nt, Refused, None), (Tk, Pending, None)],
        },
        Case {
            since: 3,
            kind: "contact",
            draft: r#"{"first_name":"A"}"#,
            state: "sent",
            set: &[("create_sent", 1), ("contact_id", 200)],
            want: &[(Ct, Done, Some(200))],
        },
        Case {
            since: 3,
            kind: "contact",
            draft: r#"{"first_name":"A"}"#,
            state: "sending",
            set: &[("create_sent", 1)],
            want: &[(Ct, MaybeSent, None)],
        },
        // The contact is in; its new company's answer was lost.
        Case {
            since: 10,
            kind: "contact",
            draft: CONTACT,
            state: "queued",
            set: &[("create_sent", 1), ("contact_id", 200), ("company_sent", 1)],
            want: &[(Ct, Done, Some(200)), (Co, MaybeSent, None), (Lk, Pending, None)],
        },
        // The contact is in; amoCRM refused its company.
        Case {
            since: 10,
            kind: "contact",
            draft: CONTACT,
            state: "attention",
            set: &[("contact_id", 200)],
            want: &[(Ct, Done, Some(200)), (Co, Refused, None), (Lk, Pending, None)],
        },
        Case {
            since: 10,
            kind: "contact",
            draft: CONTACT,
            state: "sent",
            set: &[("contact_id", 200), ("company_id", 250)],
            want: &[(Ct, Done, Some(200)), (Co, Done, Some(250)), (Lk, Done, None)],
        },
    ];

    #[test]
    fn every_entry_of_every_older_schema_becomes_its_steps_with_nothing_lost_or_resent() {
        for version in 3..=10 {
            let tmp = tempfile::tempdir().expect("tmp");
            let path = tmp.path().join(format!("v{version}.sqlite3"));
            let mut expected = Vec::new();
            {
                let c = rusqlite::Connection::open(&path).expect("c");
                schema_at(&c, version);
                for (i, case) in CASES.iter().enumerate().filter(|(_, c)| c.since <= version) {
                    let mut cols = vec![
                        "kind",
                        "draft",
                        "state",
                        "marker_at",
                        "request_id",
                        "created_at",
                        "updated_at",
                        "next_attempt_ms",
                    ];
                    cols.extend(case.set.iter().map(|(c, _)| *c));
                    let values: Vec<String> = [
                        format!("'{}'", case.kind),
                        format!("'{}'", case.draft.replace('\n', " ")),
                        format!("'{}'", case.state),
                        format!("{}", 1000 + i),
                        "'r'".into(),
                        "1".into(),
                        "1".into(),
                        "0".into(),
                    ]
                    .into_iter()
                    .chain(case.set.iter().map(|(_, v)| v.to_string()))
                    .collect();
                    c.execute(&format!("INSERT INTO outbox ({}) VALUES ({})", cols.join(", "), values.join(", ")), [])
                        .expect("an old row");
                    expected.push((c.last_insert_rowid(), i, case));
                }
            }
            let store = Store::open(&path).expect("upgraded");
            let rows = store.outbox().rows(None, 100).expect("rows");
            assert_eq!(rows.len(), expected.len(), "schema {version}: no entry lost");
            for (id, i, case) in expected {
                let row = rows.iter().find(|r| r.id == id).expect("the entry");
                let got: Vec<(StepKind, StepState, Option<i64>)> =
                    row.steps.iter().map(|s| (s.kind, s.state, s.made.id)).collect();
                assert_eq!(got, case.want, "schema {version}, case {i}");
                assert!(row.steps.iter().all(|s| s.marker_at == 1000 + i as i64), "found by the entry's marker");
                let purged = case.set.iter().any(|(c, _)| *c == "purged");
                assert!(row.steps.iter().all(|s| s.body.is_some() != purged), "bodies kept, unless purged");
            }
            let left: i64 = rusqlite::Connection::open(&path)
                .expect("c")
                .query_row(
                    "SELECT COUNT(*) FROM pragma_table_info('outbox') WHERE name IN ('create_sent', 'note_sent', 'lead_id', 'contact_id', 'note_id', 'merged', 'task_sent', 'task_id', 'company_sent', 'company_id')",
                    [],
                    |r| r.get(0),
                )
                .expect("q");
            assert_eq!(left, 0, "schema {version}: the per-kind columns are gone");
        }
    }

    #[test]
    fn what_was_recorded_alongside_stays_with_its_step() {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join("v10.sqlite3");
        {
            let c = rusqlite::Connection::open(&path).expect("c");
            schema_at(&c, 10);
            c.execute_batch(&format!(
                "INSERT INTO outbox (kind, draft, state, marker_at, request_id, created_at, updated_at, next_attempt_ms,
                                     lead_id, contact_id, merged, note_id, domain)
                 VALUES ('lead', '{}', 'sent', 5, 'r', 1, 1, 0, 100, 101, 0, 300, 'acme.amocrm.ru'),
                        ('followup', '{}', 'sent', 6, 'r', 1, 1, 0, 42, NULL, 0, 301, NULL),
                        ('lead', '{}', 'sent', 7, 'r', 1, 1, 0, 102, 103, 1, NULL, NULL);",
                LEAD.replace('\n', " "),
                FOLLOWUP,
                LEAD.replace('\n', " ")
            ))
            .expect("rows");
        }
        let store = Store::open(&path).expect("upgraded");
        let rows = store.outbox().rows(None, 10).expect("rows");
        let (merged, follow, lead) = (&rows[0], &rows[1], &rows[2]);
        assert_eq!(
            (lead.lead_id(), lead.contact_id(), lead.domain.as_deref()),
            (Some(100), Some(101), Some("acme.amocrm.ru"))
        );
        assert!(merged.made(&[StepKind::Lead]).is_some_and(|m| m.merged));
        assert_eq!(lead.made(&[StepKind::Note]).and_then(|m| m.lead_id), Some(100), "the note is on its lead");
        assert_eq!(follow.made(&[StepKind::Note]).and_then(|m| m.lead_id), Some(42));
        let owned = store.outbox_steps();
        assert!(owned.owned_elsewhere(crate::domain::steps::Entity::Contacts, 101, follow.id).expect("q"));
        assert!(
            !owned.owned_elsewhere(crate::domain::steps::Entity::Leads, 42, lead.id).expect("q"),
            "a follow-up owns no lead"
        );
    }
}
