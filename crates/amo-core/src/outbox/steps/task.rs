//! A follow-up task on a lead: `POST /api/v4/tasks` (docs/amocrm-api.md §8.8), due at the moment
//! fixed when the entry was queued (in the account's time zone).
//!
//! Found after a lost answer among the lead's tasks: the same text and due moment, made by the
//! connected user after the entry was queued, not another entry's.

use super::{Cx, Lookup, Write};
use crate::amocrm::wire;
use crate::domain::steps::{Entity, Made, TaskStep};
use crate::domain::tokens::Access;
use crate::error::{Error, Result};
use crate::outbox::reconcile::normalized_note;

impl Write for TaskStep {
    async fn send(&self, cx: &Cx<'_>, at: Access) -> Result<Made> {
        let lead = cx.id(self.lead)?;
        let body = wire::task_body(&self.task, lead, self.responsible_user_id, &cx.entry.request_id);
        Ok(Made::on_lead(cx.api().add_task(at, &body).await?, lead))
    }

    async fn find(&self, cx: &Cx<'_>) -> Result<Lookup> {
        let due = self.task.complete_till().ok_or_else(|| Error::internal("a queued task has a fixed due time"))?;
        let (api, lead) = (cx.api(), cx.id(self.lead)?);
        let tasks = cx.read(|a| api.lead_tasks(a, lead)).await?;
        let (me, ours) = (cx.me().await?, normalized_note(&self.task.text));
        for t in tasks {
            if t.complete_till == due
                && t.created_by == me
                && cx.after_queued(t.created_at)
                && normalized_note(&t.text) == ours
                && !cx.owned_elsewhere(Entity::Tasks, t.id)?
            {
                return Ok(Lookup::Found(Made::on_lead(t.id, lead)));
            }
        }
        Ok(Lookup::NotThere)
    }

    fn field(&self, path: &str) -> String {
        wire::task_field("task.", path)
    }
}
