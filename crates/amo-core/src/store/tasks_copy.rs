//! Table `tasks_copy` (schema 15): the last list of open tasks read from amoCRM, per account
//! host and per scope (the connected user's, or everyone's), with when it was read — so "My
//! tasks", the tray's count and the due notifications work while amoCRM cannot be reached
//! (issue 21). The tasks are kept as the list showed them (JSON of [`MyTask`]); their piles are
//! made again at the moment the copy is read.
//!
//! The copy is the account's data: the triggers of schema 15 remove it when the account row is
//! deleted (Disconnect) or another host takes its place (another account signed in), in every
//! process at once.

use rusqlite::{named_params, params, OptionalExtension};

use super::Store;
use crate::domain::account::AccountRef;
use crate::domain::my_tasks::TasksCopy;
use crate::error::Result;

pub struct TasksCopyTable<'a>(pub(super) &'a Store);

fn scope_of(all: bool) -> &'static str {
    if all {
        "all"
    } else {
        "mine"
    }
}

impl TasksCopyTable<'_> {
    /// Keeps `copy` as the last list of `account` (everyone's with `all`) only if that account
    /// is still the one connected — in one statement, so a Disconnect or another account's
    /// sign-in in another process cannot slip in between (the same guard as
    /// `ReferenceCache::put_for`). Whether it was kept.
    pub fn save(&self, account: &AccountRef, all: bool, copy: &TasksCopy) -> Result<bool> {
        let json = serde_json::to_string(&copy.tasks)
            .map_err(|e| crate::error::Error::internal(format!("the tasks as JSON: {e}")))?;
        let n = self.0.conn().execute(
            "INSERT INTO tasks_copy (host, scope, user_id, tasks, truncated, read_at)
             SELECT :host, :scope, :user, :tasks, :truncated, :read_at WHERE EXISTS (
                 SELECT 1 FROM account WHERE id = 1 AND domain = :host COLLATE NOCASE AND (
                     account_id IS NULL OR :aid IS NULL OR account_id = :aid))
             ON CONFLICT(host, scope) DO UPDATE SET user_id = excluded.user_id, tasks = excluded.tasks,
                truncated = excluded.truncated, read_at = excluded.read_at",
            named_params! {
                ":host": account.domain, ":scope": scope_of(all), ":user": copy.user_id, ":tasks": json,
                ":truncated": copy.truncated as i64, ":read_at": copy.read_at, ":aid": account.account_id,
            },
        )?;
        Ok(n > 0)
    }

    /// The last list read for `host` (everyone's with `all`). A copy this build cannot read (a
    /// newer one's) is none.
    pub fn load(&self, host: &str, all: bool) -> Result<Option<TasksCopy>> {
        let row: Option<(Option<i64>, String, i64, i64)> = self
            .0
            .conn()
            .query_row(
                "SELECT user_id, tasks, truncated, read_at FROM tasks_copy WHERE host = ?1 COLLATE NOCASE AND scope = ?2",
                params![host, scope_of(all)],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((user_id, json, truncated, read_at)) = row else { return Ok(None) };
        match serde_json::from_str(&json) {
            Ok(tasks) => Ok(Some(TasksCopy { user_id, tasks, truncated: truncated != 0, read_at })),
            Err(e) => {
                tracing::warn!("the copy of the tasks cannot be read: {e}");
                Ok(None)
            }
        }
    }

    /// The connected account's host (lower case) and its last list (everyone's with `all`)
    /// without the tasks the outbox is closing; none when nobody is connected, there is no copy,
    /// or the copy of "mine" is another user's than the one signed in now.
    pub fn current(&self, all: bool) -> Result<Option<(String, TasksCopy)>> {
        let Some(account) = self.0.account().load()? else { return Ok(None) };
        let Some(mut copy) = self.load(&account.domain, all)? else { return Ok(None) };
        let me = account.current_user_id;
        if !all && me.is_some() && copy.user_id.is_some() && copy.user_id != me {
            return Ok(None);
        }
        let closing = self.being_closed(&account.domain)?;
        copy.tasks.retain(|t| !closing.contains(&t.id));
        Ok(Some((account.domain.to_ascii_lowercase(), copy)))
    }

    /// The ids of tasks an outbox entry still to be sent (queued, sending, or waiting for the
    /// user) for `host` marks done: the user already acted on them.
    pub fn being_closed(&self, host: &str) -> Result<std::collections::BTreeSet<i64>> {
        let conn = self.0.conn();
        let mut st = conn.prepare_cached(
            "SELECT json_extract(draft, '$.task_id') FROM outbox
             WHERE kind = 'task_change' AND state IN ('queued', 'sending', 'attention')
               AND (account_domain IS NULL OR account_domain = ?1 COLLATE NOCASE)
               AND json_valid(draft) AND json_extract(draft, '$.done') = 1",
        )?;
        let ids = st.query_map([host], |r| r.get::<_, Option<i64>>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(ids.into_iter().flatten().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::{Account, AuthKind};
    use crate::domain::my_tasks::{DueBucket, MyTask};
    use crate::domain::platform::Platform;

    fn connect(store: &Store, id: Option<i64>, domain: &str) {
        let row = Account {
            domain: domain.into(),
            platform: Platform::Amocrm,
            auth_kind: AuthKind::Oauth,
            account_id: id,
            account_name: None,
            subdomain: None,
            current_user_id: Some(7),
            expires_at: 0,
            created_at: 0,
            updated_at: 0,
            redirect_uri: None,
            last_refresh_at: None,
            reconnect_needed: false,
        };
        store.account().save(&row).expect("account");
    }

    fn copy(text: &str, read_at: i64) -> TasksCopy {
        let task = MyTask {
            id: 1,
            text: text.into(),
            task_type_id: 1,
            task_type: "Call".into(),
            complete_till: 100,
            due: "1970-01-01T00:01:40Z".into(),
            bucket: DueBucket::Later,
            entity_type: None,
            entity_id: None,
            responsible_user_id: 7,
            responsible_name: None,
            updated_at: 1,
        };
        TasksCopy { user_id: Some(7), tasks: vec![task], truncated: false, read_at }
    }

    #[test]
    fn a_copy_per_host_and_scope_kept_only_for_the_connected_account_and_gone_with_it() {
        let store = Store::open_in_memory().expect("db");
        let acme = AccountRef { account_id: Some(1), domain: "acme.amocrm.ru".into() };
        let t = store.tasks_copy();
        assert!(!t.save(&acme, false, &copy("a", 1)).expect("save"), "none connected");
        connect(&store, Some(1), "acme.amocrm.ru");
        assert!(t.save(&acme, false, &copy("mine", 2)).expect("save"));
        assert!(t.save(&acme, true, &copy("everyone's", 3)).expect("save"));
        assert!(t.save(&acme, false, &copy("mine again", 4)).expect("replace"));
        assert_eq!(t.load("ACME.amocrm.ru", false).expect("load"), Some(copy("mine again", 4)));
        assert_eq!(t.load("acme.amocrm.ru", true).expect("load").map(|c| c.read_at), Some(3));
        assert_eq!(t.load("beta.amocrm.ru", false).expect("load"), None);

        // Another account signed in over it: acme's copy is gone, and acme's late read is not kept.
        connect(&store, Some(2), "beta.amocrm.ru");
        assert_eq!(t.load("acme.amocrm.ru", false).expect("load"), None);
        assert!(!t.save(&acme, false, &copy("late", 5)).expect("late"));
        let beta = AccountRef { account_id: Some(2), domain: "beta.amocrm.ru".into() };
        assert!(t.save(&beta, false, &copy("beta", 6)).expect("save"));
        // Disconnect removes it.
        store.account().delete().expect("disconnect");
        assert_eq!(t.load("beta.amocrm.ru", false).expect("load"), None);
        let left: i64 = store.conn().query_row("SELECT COUNT(*) FROM tasks_copy", [], |r| r.get(0)).expect("count");
        assert_eq!(left, 0);
    }
}
