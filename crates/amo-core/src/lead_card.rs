//! The lead card (issue 21): one lead read from amoCRM with what a manager looks at before
//! changing it — `GET /api/v4/leads/{id}?with=contacts,loss_reason`, its newest notes, its open
//! tasks and its contacts' names — each request through the shared budget with a fresh token,
//! then named and shown by `domain::lead_card`. Reads only: changes go through the outbox.
//!
//! A lead amoCRM does not have (204) is `lead_not_found` naming the id, before anything else is
//! asked (the notes of a missing lead are a 404, docs/amocrm-api.md §16.2).

use std::sync::Arc;

use crate::auth::session::Session;
use crate::context::Ctx;
use crate::domain::lead_card::{lead_card, LeadCard, CARD_NOTES};
use crate::domain::reference::ReferenceData;
use crate::error::{AmoError, Result};

pub struct LeadCards {
    ctx: Arc<Ctx>,
    session: Arc<Session>,
}

impl LeadCards {
    pub(crate) fn new(ctx: Arc<Ctx>, session: Arc<Session>) -> LeadCards {
        LeadCards { ctx, session }
    }

    /// The card of lead `id` at `now`, named from `account` (the connected account's reference
    /// data: pipelines, users, lead fields, task types, zone).
    pub async fn show(&self, id: i64, account: &ReferenceData, now: i64) -> Result<LeadCard> {
        let api = self.ctx.amo.api();
        let lead = self.session.with_token(|a| api.lead_card(a, id)).await?.ok_or(AmoError::LeadNotFound { id })?;
        let notes = self.session.with_token(|a| api.lead_recent_notes(a, id, CARD_NOTES)).await?;
        let tasks = self.session.with_token(|a| api.lead_open_tasks(a, id)).await?;
        let contacts = if lead.contact_ids.is_empty() {
            Vec::new()
        } else {
            self.session.with_token(|a| api.contacts_by_ids(a, &lead.contact_ids)).await?
        };
        let names: Vec<(i64, String)> = contacts.into_iter().map(|c| (c.id, c.name)).collect();
        Ok(lead_card(lead, &names, notes, tasks, account, now))
    }

    /// The account's reasons a lead is lost, in amoCRM's order (the "lost" choice of the card).
    pub async fn loss_reasons(&self) -> Result<Vec<crate::domain::change::LossReason>> {
        let api = self.ctx.amo.api();
        self.session.with_token(|a| api.loss_reasons(a)).await
    }
}
