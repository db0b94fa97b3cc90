//! "My tasks" (issue 21): the open tasks of the connected user — or everyone's the token may
//! see — read from amoCRM page by page through the shared request budget, and sorted into
//! overdue / today / tomorrow / this week / later in the account's time zone
//! (`domain::my_tasks`). Reads only: marking a task done or moving it is a write, and writes go
//! through the outbox.
//!
//! amoCRM is asked for `filter[responsible_user_id]=<me>&filter[is_completed]=0&
//! order[complete_till]=asc`, 250 a page (204 is none). Not `filter[complete_till]`: amo-docs
//! lists no due-time filter and amoCRM may ignore it (docs/amocrm-api.md §18.1), which would
//! silently return every task as if it were today's.

use std::sync::Arc;

use crate::auth::session::Session;
use crate::context::Ctx;
use crate::domain::my_tasks::{my_tasks, DueScope, MyTask, OpenTask, TaskList, MAX_TASK_PAGES};
use crate::domain::reference::ReferenceData;
use crate::error::{AmoError, Error, Result};

pub struct MyTasks {
    ctx: Arc<Ctx>,
    session: Arc<Session>,
}

impl MyTasks {
    pub(crate) fn new(ctx: Arc<Ctx>, session: Arc<Session>) -> MyTasks {
        MyTasks { ctx, session }
    }

    /// The open tasks at `now` that `scope` keeps: the connected user's, or everyone's with
    /// `all`; named and sorted by `account` (the connected account's reference data: its zone,
    /// task types, users and who the connected user is).
    pub async fn list(&self, all: bool, scope: DueScope, account: &ReferenceData, now: i64) -> Result<TaskList> {
        // Who is signed in now, as the connection recorded it; the reference data's copy may be
        // minutes old (another user of the same account signed in since).
        let signed_in = self.ctx.store.account().load()?.and_then(|a| a.current_user_id);
        let me = match (all, signed_in.or(account.current_user_id)) {
            (true, _) => None,
            (false, Some(me)) => Some(me),
            (false, None) => Some(
                self.session
                    .account_info()
                    .await?
                    .current_user_id
                    .ok_or_else(|| Error::unexpected("amoCRM did not say who the connected user is"))?,
            ),
        };
        let (mut rows, truncated) = self.read(me).await?;
        let zone = account.zone();
        rows.retain(|t| scope.keeps(t.complete_till, now, zone));
        let tasks = my_tasks(rows, &account.task_types, &account.users, zone, now);
        Ok(TaskList { tasks, truncated })
    }

    /// One task as it is now (done or not), named and dated like the list's: what a change of it
    /// is made from (`updated_at`). A task amoCRM does not have is `amo_not_found`.
    pub async fn one(&self, id: i64, account: &ReferenceData, now: i64) -> Result<MyTask> {
        let api = self.ctx.amo.api();
        let t = self
            .session
            .with_token(|a| api.task(a, id))
            .await?
            .ok_or_else(|| AmoError::AmoNotFound { hint: format!("task {id}") })?;
        let row = OpenTask {
            id: t.id,
            text: t.text,
            task_type_id: t.task_type_id,
            complete_till: t.complete_till,
            entity_type: t.entity_type,
            entity_id: t.entity_id,
            responsible_user_id: t.responsible_user_id,
            updated_at: t.updated_at,
        };
        let zone = account.zone();
        my_tasks(vec![row], &account.task_types, &account.users, zone, now)
            .pop()
            .ok_or_else(|| Error::internal("one task shown"))
    }

    /// Every page of open tasks of `responsible` (everyone's with `None`), up to
    /// [`MAX_TASK_PAGES`]; whether more were left. Each page is its own request with a fresh
    /// token, waiting its turn in the request budget shared with the other processes.
    async fn read(&self, responsible: Option<i64>) -> Result<(Vec<OpenTask>, bool)> {
        let api = self.ctx.amo.api();
        let mut rows = Vec::new();
        for page in 1..=MAX_TASK_PAGES {
            let (tasks, has_next) = self.session.with_token(|a| api.open_tasks_page(a, page, responsible)).await?;
            rows.extend(tasks);
            // Only amoCRM's `next` link ends the list: a page whose rows were all left out (done
            // tasks a server listed anyway) is not the last one. MAX_TASK_PAGES bounds the loop.
            if !has_next {
                return Ok((rows, false));
            }
        }
        tracing::warn!(pages = MAX_TASK_PAGES, "open tasks: more than the list reads; the latest are left out");
        Ok((rows, true))
    }
}
