//! A lead sent to the pipeline's Incoming leads (amoCRM's "Неразобранное") through
//! `POST /api/v4/leads/unsorted/forms` (docs/amocrm-api.md §8.13): the same lead, contact and
//! company as a complex add, marked as a form of this app, for someone to accept.
//!
//! Found after a lost answer exactly by the `source_uid` it was sent with (the entry's request
//! id) while it waits in Incoming leads; one accepted meanwhile is an ordinary lead, found as a
//! complex add is (`lead.rs`).

use super::lead::{find_lead, made_of};
use super::{Cx, Lookup, Write};
use crate::amocrm::wire;
use crate::domain::steps::{IncomingLeadStep, Made};
use crate::domain::tokens::Access;
use crate::error::Result;

impl Write for IncomingLeadStep {
    async fn send(&self, cx: &Cx<'_>, at: Access) -> Result<Made> {
        let body = wire::unsorted_form_body(&self.0, cx.marker_at, &cx.entry.request_id);
        Ok(made_of(&self.0, cx.api().add_unsorted_form(at, &body).await?))
    }

    async fn find(&self, cx: &Cx<'_>) -> Result<Lookup> {
        let (api, uid) = (cx.api(), cx.entry.request_id.as_str());
        if let Some(waiting) = cx.read(|a| api.unsorted_by_source_uid(a, "forms", uid)).await? {
            return Ok(Lookup::Found(made_of(&self.0, waiting)));
        }
        Ok(find_lead(cx, &self.0).await?.map_or(Lookup::NotThere, Lookup::Found))
    }

    fn field(&self, path: &str) -> String {
        wire::lead_field(&self.0, path)
    }
}
