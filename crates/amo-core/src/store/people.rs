//! Tables `people`, `people_phones`, `people_emails`, `people_lead_links`, `people_leads` and
//! `people_sync` (schema 13): this computer's copy of each account's contacts and companies,
//! and how far its sync got (docs/people-copy.md). Every row carries the account's host, and
//! every query names it: one account's customers are never found for another.
//!
//! A page of a full pass is written together with the place to resume from, in one
//! transaction: a kill between pages loses nothing and reads no page twice.

use rusqlite::{params, OptionalExtension, Transaction};

use super::Store;
use crate::domain::people::{name_key, phone_tail, CopyStatus, Customer, Person, PersonKind};
use crate::domain::reference::LeadSummary;
use crate::error::Result;

pub struct PeopleTable<'a>(pub(super) &'a Store);

/// Where the sync of one account stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncState {
    pub enabled: bool,
    /// The number of the current (or last) full pass: rows it saw carry it.
    pub pass: i64,
    /// A full pass under way: the list it is reading and the next page.
    pub full_at: Option<(PersonKind, i64)>,
    pub full_pages: i64,
    pub full_started_at: Option<i64>,
    pub full_done_at: Option<i64>,
    pub fresh_at: Option<i64>,
    /// The newest `updated_at` of contacts/companies and of leads the copy has caught up with.
    pub people_mark: i64,
    pub leads_mark: i64,
    /// Whether the account takes `filter[updated_at]` (amoCRM's paid "filtering"): unknown
    /// until the poll has tried it.
    pub updated_filter: Option<bool>,
}

impl PeopleTable<'_> {
    pub fn state(&self, account: &str) -> Result<SyncState> {
        let conn = self.0.conn();
        let row = conn
            .query_row(
                "SELECT enabled, pass, full_kind, full_page, full_pages, full_done_at, fresh_at, people_mark, leads_mark,
                    full_started_at, updated_filter
                 FROM people_sync WHERE account = ?1",
                [account],
                |r| {
                    let kind: Option<String> = r.get(2)?;
                    let page: Option<i64> = r.get(3)?;
                    Ok(SyncState {
                        enabled: r.get::<_, i64>(0)? != 0,
                        pass: r.get(1)?,
                        full_at: kind.as_deref().and_then(PersonKind::parse).zip(page),
                        full_pages: r.get(4)?,
                        full_done_at: r.get(5)?,
                        fresh_at: r.get(6)?,
                        people_mark: r.get(7)?,
                        leads_mark: r.get(8)?,
                        full_started_at: r.get(9)?,
                        updated_filter: r.get::<_, Option<i64>>(10)?.map(|v| v != 0),
                    })
                },
            )
            .optional()?;
        Ok(row.unwrap_or(SyncState { enabled: true, ..SyncState::default() }))
    }

    /// Starts a full pass (unless one is under way): a new pass number, from the first page of
    /// contacts. Returns the state to go on from.
    pub fn begin_full_pass(&self, account: &str, now: i64) -> Result<SyncState> {
        {
            let conn = self.0.conn();
            conn.execute(
                "INSERT INTO people_sync (account, pass, full_kind, full_page, full_pages, full_started_at)
                    VALUES (?1, 1, 'contact', 1, 0, ?2)
                 ON CONFLICT(account) DO UPDATE SET pass = pass + 1, full_kind = 'contact', full_page = 1,
                    full_pages = 0, full_started_at = ?2
                 WHERE full_kind IS NULL",
                params![account, now],
            )?;
        }
        self.state(account)
    }

    /// One page of a full pass: its people (seen by pass `pass`), and where to go on from —
    /// `next` (a list and page), or `None` when both lists are read.
    pub fn save_full_page(
        &self,
        account: &str,
        pass: i64,
        people: &[Person],
        next: Option<(PersonKind, i64)>,
    ) -> Result<()> {
        let mut conn = self.0.conn();
        let tx = conn.transaction()?;
        for p in people {
            upsert(&tx, account, pass, p)?;
        }
        tx.execute(
            "UPDATE people_sync SET full_kind = ?2, full_page = ?3, full_pages = full_pages + 1 WHERE account = ?1",
            params![account, next.map(|(k, _)| k.as_str()), next.map(|(_, p)| p)],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// People that changed (the quick poll): written with the current pass, so a full pass under
    /// way does not drop them.
    pub fn save_changed(&self, account: &str, people: &[Person]) -> Result<()> {
        let mut conn = self.0.conn();
        let tx = conn.transaction()?;
        let pass: i64 = tx
            .query_row("SELECT pass FROM people_sync WHERE account = ?1", [account], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        for p in people {
            upsert(&tx, account, pass, p)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// How many contacts and companies pass `pass` saw, and how many the copy holds.
    pub fn pass_counts(&self, account: &str, pass: i64) -> Result<(i64, i64)> {
        let conn = self.0.conn();
        Ok(conn.query_row(
            "SELECT COUNT(*) FILTER (WHERE pass >= ?2), COUNT(*) FROM people WHERE account = ?1",
            params![account, pass],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// Ends a full pass at `at`: drops what it did not see (deleted, or merged into another)
    /// when `drop_unseen`, with their phones, e-mails and lead links. The number dropped.
    pub fn end_full_pass(&self, account: &str, pass: i64, at: i64, drop_unseen: bool) -> Result<i64> {
        let mut conn = self.0.conn();
        let tx = conn.transaction()?;
        let mut removed = 0;
        if drop_unseen {
            for table in ["people_phones", "people_emails", "people_lead_links"] {
                tx.execute(
                    &format!(
                        "DELETE FROM {table} WHERE account = ?1 AND (kind, id) IN
                         (SELECT kind, id FROM people WHERE account = ?1 AND pass < ?2)"
                    ),
                    params![account, pass],
                )?;
            }
            removed = tx.execute("DELETE FROM people WHERE account = ?1 AND pass < ?2", params![account, pass])? as i64;
            // Leads nobody in the copy has any more.
            tx.execute(
                "DELETE FROM people_leads WHERE account = ?1 AND id NOT IN
                 (SELECT lead_id FROM people_lead_links WHERE account = ?1)",
                [account],
            )?;
        }
        tx.execute(
            "UPDATE people_sync SET full_kind = NULL, full_page = NULL, full_done_at = ?2 WHERE account = ?1",
            params![account, at],
        )?;
        tx.commit()?;
        Ok(removed)
    }

    /// The ids of every lead a customer in the copy has (to read which are still in work).
    pub fn linked_lead_ids(&self, account: &str) -> Result<Vec<i64>> {
        let conn = self.0.conn();
        let mut st =
            conn.prepare_cached("SELECT DISTINCT lead_id FROM people_lead_links WHERE account = ?1 ORDER BY lead_id")?;
        let ids = st.query_map([account], |r| r.get(0))?.collect::<std::result::Result<Vec<i64>, _>>()?;
        Ok(ids)
    }

    /// Leads as amoCRM has them now, for the `asked` ids: those in work are kept (with the
    /// contacts a lead names linked to it); the won and lost ones, and those amoCRM no longer
    /// has, are dropped.
    pub fn save_leads(
        &self,
        account: &str,
        asked: &[i64],
        leads: &[LeadSummary],
        closed: impl Fn(&LeadSummary) -> bool,
    ) -> Result<()> {
        let mut conn = self.0.conn();
        let tx = conn.transaction()?;
        for id in asked {
            tx.prepare_cached("DELETE FROM people_leads WHERE account = ?1 AND id = ?2")?
                .execute(params![account, id])?;
        }
        for l in leads {
            if closed(l) {
                tx.execute("DELETE FROM people_leads WHERE account = ?1 AND id = ?2", params![account, l.id])?;
                continue;
            }
            tx.execute(
                "INSERT OR REPLACE INTO people_leads
                    (account, id, name, price, pipeline_id, status_id, responsible_user_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    account,
                    l.id,
                    l.name,
                    l.price,
                    l.pipeline_id,
                    l.status_id,
                    l.responsible_user_id,
                    l.created_at
                ],
            )?;
            // The lead's contacts as amoCRM lists them now (`with=contacts`): a lead moved to
            // another customer leaves the first one's card.
            tx.prepare_cached(
                "DELETE FROM people_lead_links WHERE account = ?1 AND lead_id = ?2 AND kind = 'contact'",
            )?
            .execute(params![account, l.id])?;
            for c in &l.contact_ids {
                tx.execute(
                    "INSERT OR IGNORE INTO people_lead_links (account, kind, id, lead_id)
                     SELECT ?1, 'contact', ?2, ?3 WHERE EXISTS
                        (SELECT 1 FROM people WHERE account = ?1 AND kind = 'contact' AND id = ?2)",
                    params![account, c, l.id],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The copy caught up with amoCRM at `at`, up to these marks.
    pub fn set_fresh(&self, account: &str, at: i64, people_mark: i64, leads_mark: i64) -> Result<()> {
        self.0.conn().execute(
            "INSERT INTO people_sync (account, fresh_at, people_mark, leads_mark) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(account) DO UPDATE SET fresh_at = ?2,
                people_mark = MAX(people_mark, ?3), leads_mark = MAX(leads_mark, ?4)",
            params![account, at, people_mark, leads_mark],
        )?;
        Ok(())
    }

    /// Records whether the account takes `filter[updated_at]`.
    pub fn set_updated_filter(&self, account: &str, works: bool) -> Result<()> {
        self.0
            .conn()
            .execute("UPDATE people_sync SET updated_filter = ?2 WHERE account = ?1", params![account, works as i64])?;
        Ok(())
    }

    /// Turns the copy on or off; off also wipes it (nothing of the account's customers is kept).
    pub fn set_enabled(&self, account: &str, on: bool) -> Result<()> {
        if !on {
            self.wipe(account)?;
        }
        self.0.conn().execute(
            "INSERT INTO people_sync (account, enabled) VALUES (?1, ?2)
             ON CONFLICT(account) DO UPDATE SET enabled = ?2",
            params![account, on as i64],
        )?;
        Ok(())
    }

    /// Removes the account's copy and its sync state (a new sync starts from the beginning).
    pub fn wipe(&self, account: &str) -> Result<()> {
        let mut conn = self.0.conn();
        let tx = conn.transaction()?;
        for table in ["people_phones", "people_emails", "people_lead_links", "people_leads", "people"] {
            tx.execute(&format!("DELETE FROM {table} WHERE account = ?1"), [account])?;
        }
        tx.execute(
            "UPDATE people_sync SET pass = 0, full_kind = NULL, full_page = NULL, full_pages = 0, full_done_at = NULL,
                fresh_at = NULL, people_mark = 0, leads_mark = 0 WHERE account = ?1",
            [account],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Contacts and companies with a phone whose last ten digits are `tail`'s.
    pub fn by_phone(&self, account: &str, raw: &str) -> Result<Vec<(PersonKind, i64)>> {
        let Some(tail) = phone_tail(raw) else { return Ok(Vec::new()) };
        // By the tail's index: the planner would otherwise walk the owner index for DISTINCT,
        // every phone of the account (repeats are dropped in `ids`).
        self.ids(
            "SELECT kind, id FROM people_phones INDEXED BY people_phones_tail WHERE account = ?1 AND tail = ?2",
            account,
            &tail,
        )
    }

    pub fn by_email(&self, account: &str, email: &str) -> Result<Vec<(PersonKind, i64)>> {
        let email = email.trim().to_lowercase();
        self.ids(
            "SELECT kind, id FROM people_emails INDEXED BY people_emails_email WHERE account = ?1 AND email = ?2",
            account,
            &email,
        )
    }

    /// Names containing every word typed, at most `limit`, contacts first.
    pub fn by_name(&self, account: &str, query: &str, limit: usize) -> Result<Vec<(PersonKind, i64)>> {
        let words: Vec<String> = name_key(query)
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(|w| format!("%{}%", w.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")))
            .collect();
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let conds: Vec<String> = (0..words.len()).map(|i| format!("name_key LIKE ?{} ESCAPE '\\'", i + 2)).collect();
        let sql = format!(
            "SELECT kind, id FROM people WHERE account = ?1 AND {} ORDER BY kind DESC, updated_at DESC LIMIT {}",
            conds.join(" AND "),
            limit
        );
        let conn = self.0.conn();
        let mut st = conn.prepare(&sql)?;
        let mut args: Vec<&dyn rusqlite::ToSql> = vec![&account];
        for w in &words {
            args.push(w);
        }
        let rows = st.query_map(args.as_slice(), |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (k, id) = row?;
            if let Some(k) = PersonKind::parse(&k) {
                out.push((k, id));
            }
        }
        Ok(out)
    }

    fn ids(&self, sql: &str, account: &str, key: &str) -> Result<Vec<(PersonKind, i64)>> {
        let conn = self.0.conn();
        let mut st = conn.prepare_cached(sql)?;
        let rows = st.query_map(params![account, key], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (k, id) = row?;
            if let Some(k) = PersonKind::parse(&k) {
                out.push((k, id));
            }
        }
        out.sort_by_key(|(k, id)| (*k == PersonKind::Company, std::cmp::Reverse(*id)));
        out.dedup();
        Ok(out)
    }

    /// One customer as the copy holds them, with their leads in work, newest first.
    pub fn customer(&self, account: &str, kind: PersonKind, id: i64) -> Result<Option<Customer>> {
        let conn = self.0.conn();
        let Some((name, company_id, responsible_user_id)) = conn
            .query_row(
                "SELECT name, company_id, responsible_user_id FROM people WHERE account = ?1 AND kind = ?2 AND id = ?3",
                params![account, kind.as_str(), id],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?, r.get::<_, i64>(2)?)),
            )
            .optional()?
        else {
            return Ok(None);
        };
        let texts = |sql: &str| -> Result<Vec<String>> {
            let mut st = conn.prepare_cached(sql)?;
            let v = st
                .query_map(params![account, kind.as_str(), id], |r| r.get(0))?
                .collect::<std::result::Result<Vec<String>, _>>()?;
            Ok(v)
        };
        let phones =
            texts("SELECT phone FROM people_phones WHERE account = ?1 AND kind = ?2 AND id = ?3 ORDER BY rowid")?;
        let emails =
            texts("SELECT email FROM people_emails WHERE account = ?1 AND kind = ?2 AND id = ?3 ORDER BY rowid")?;
        let company_name = match company_id {
            Some(c) => conn
                .query_row(
                    "SELECT name FROM people WHERE account = ?1 AND kind = 'company' AND id = ?2",
                    params![account, c],
                    |r| r.get(0),
                )
                .optional()?,
            None => None,
        };
        let mut st = conn.prepare_cached(
            // CROSS JOIN: from the customer's links (their primary key), not every lead.
            "SELECT l.id, l.name, l.price, l.pipeline_id, l.status_id, l.responsible_user_id, l.created_at
             FROM people_lead_links k CROSS JOIN people_leads l ON l.account = k.account AND l.id = k.lead_id
             WHERE k.account = ?1 AND k.kind = ?2 AND k.id = ?3 ORDER BY l.id DESC",
        )?;
        let open_leads = st
            .query_map(params![account, kind.as_str(), id], |r| {
                Ok(LeadSummary {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    price: r.get(2)?,
                    pipeline_id: r.get(3)?,
                    status_id: r.get(4)?,
                    responsible_user_id: r.get(5)?,
                    created_by: 0,
                    created_at: r.get(6)?,
                    contact_ids: if kind == PersonKind::Contact { vec![id] } else { Vec::new() },
                })
            })?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(Some(Customer {
            kind,
            id,
            name,
            phones,
            emails,
            responsible_user_id,
            company_id,
            company_name,
            open_leads,
            last_note: None,
            last_call: None,
        }))
    }

    pub fn status(&self, account: &str) -> Result<CopyStatus> {
        let state = self.state(account)?;
        let conn = self.0.conn();
        let (contacts, companies): (i64, i64) = conn.query_row(
            "SELECT COUNT(*) FILTER (WHERE kind = 'contact'), COUNT(*) FILTER (WHERE kind = 'company')
             FROM people WHERE account = ?1",
            [account],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let open_leads: i64 =
            conn.query_row("SELECT COUNT(*) FROM people_leads WHERE account = ?1", [account], |r| r.get(0))?;
        // What the rows hold plus SQLite's per-row and index overhead, about: dbstat is not
        // compiled into every SQLite, and the file is shared with the outbox.
        let bytes: i64 = conn.query_row(
            "SELECT COALESCE((SELECT SUM(length(name) * 2 + 48) FROM people WHERE account = ?1), 0)
                  + COALESCE((SELECT SUM(length(phone) + length(tail) * 2 + 64) FROM people_phones WHERE account = ?1), 0)
                  + COALESCE((SELECT SUM(length(email) * 2 + 64) FROM people_emails WHERE account = ?1), 0)
                  + COALESCE((SELECT SUM(length(name) + 64) FROM people_leads WHERE account = ?1), 0)",
            [account],
            |r| r.get(0),
        )?;
        Ok(CopyStatus {
            enabled: state.enabled,
            contacts,
            companies,
            open_leads,
            full_pass_pages: state.full_at.map(|_| state.full_pages),
            fresh_at: state.fresh_at,
            full_pass_at: state.full_done_at,
            updated_filter: state.updated_filter,
            bytes,
        })
    }
}

fn upsert(tx: &Transaction<'_>, account: &str, pass: i64, p: &Person) -> Result<()> {
    let kind = p.kind.as_str();
    tx.prepare_cached(
        "INSERT OR REPLACE INTO people
            (account, kind, id, name, name_key, company_id, responsible_user_id, updated_at, pass)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        account,
        kind,
        p.id,
        p.name,
        name_key(&p.name),
        p.company_id,
        p.responsible_user_id,
        p.updated_at,
        pass
    ])?;
    for table in ["people_phones", "people_emails", "people_lead_links"] {
        tx.prepare_cached(&format!("DELETE FROM {table} WHERE account = ?1 AND kind = ?2 AND id = ?3"))?
            .execute(params![account, kind, p.id])?;
    }
    let mut phone =
        tx.prepare_cached("INSERT INTO people_phones (account, kind, id, tail, phone) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for raw in &p.phones {
        if let Some(tail) = phone_tail(raw) {
            phone.execute(params![account, kind, p.id, tail, raw])?;
        }
    }
    let mut email =
        tx.prepare_cached("INSERT INTO people_emails (account, kind, id, email) VALUES (?1, ?2, ?3, ?4)")?;
    for e in &p.emails {
        let e = e.trim().to_lowercase();
        if !e.is_empty() {
            email.execute(params![account, kind, p.id, e])?;
        }
    }
    let mut link = tx.prepare_cached(
        "INSERT OR IGNORE INTO people_lead_links (account, kind, id, lead_id) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for l in &p.lead_ids {
        link.execute(params![account, kind, p.id, l])?;
    }
    Ok(())
}
