//! A text note on a lead: `POST /api/v4/leads/{id}/notes` (docs/amocrm-api.md §8.7) — the call's
//! note on the lead just made, or on the existing customer's open lead.
//!
//! Found after a lost answer among the lead's notes: a text note by the connected user, made
//! after the entry was queued, with the same text (line ends and trailing spaces aside), not
//! another entry's. On an existing lead, others' notes are there already.

use super::{Cx, Lookup, Write};
use crate::domain::steps::{Entity, Made, NoteStep};
use crate::domain::tokens::Access;
use crate::error::Result;
use crate::outbox::reconcile::normalized_note;

impl Write for NoteStep {
    async fn send(&self, cx: &Cx<'_>, at: Access) -> Result<Made> {
        let lead = cx.id(self.lead)?;
        Ok(Made::on_lead(cx.api().add_lead_note(at, lead, &self.text).await?, lead))
    }

    async fn find(&self, cx: &Cx<'_>) -> Result<Lookup> {
        let (api, lead) = (cx.api(), cx.id(self.lead)?);
        let notes = cx.read(|a| api.lead_notes(a, lead)).await?;
        let (me, ours) = (cx.me().await?, normalized_note(&self.text));
        for n in notes {
            if n.note_type == "common"
                && n.created_by == me
                && cx.after_queued(n.created_at)
                && normalized_note(&n.text) == ours
                && !cx.owned_elsewhere(Entity::Notes, n.id)?
            {
                return Ok(Lookup::Found(Made::on_lead(n.id, lead)));
            }
        }
        Ok(Lookup::NotThere)
    }

    /// The note field — or the lead, when amoCRM has no such lead.
    fn field(&self, path: &str) -> String {
        if path.contains("entity_id") { "lead_id" } else { "note" }.into()
    }
}
