//! After an interrupted send (the process died, or the answer was lost): did amoCRM create the
//! entry? Looked up before sending again, so nothing is created twice.

use super::Outbox;
use crate::amocrm::client::MAX_PAGE;
use crate::domain::draft::{ContactDraft, LeadDraft};
use crate::domain::reference::{ContactMatch, LeadSummary};
use crate::error::Result;
use crate::store::{Entry, IdColumn};

impl Outbox {
    /// The lead this entry created, if a create reached amoCRM: same name and our unique
    /// `created_at`, not owned by another entry. Looked for by amoCRM's search and among the
    /// newest leads (in case the search index lags behind).
    pub(super) async fn reconcile_lead(&self, entry: &Entry, d: &LeadDraft) -> Result<Option<LeadSummary>> {
        let api = self.ctx.amo.api();
        let store = self.ctx.store.outbox();
        for (query, order) in [(Some(d.name.as_str()), "order[created_at]=desc"), (None, "order[id]=desc")] {
            let (leads, _) = self.session.with_token(|a| api.leads_page(a, 1, MAX_PAGE, query, order)).await?;
            for l in leads {
                if l.name == d.name
                    && l.created_at == entry.marker_at
                    && !store.id_claimed(IdColumn::Lead, l.id, entry.id)?
                {
                    return Ok(Some(l));
                }
            }
        }
        Ok(None)
    }

    pub(super) async fn reconcile_contact(&self, entry: &Entry, d: &ContactDraft) -> Result<Option<ContactMatch>> {
        let api = self.ctx.amo.api();
        let store = self.ctx.store.outbox();
        let name = d.display_name();
        for query in [Some(name.as_str()), None] {
            let found = self.session.with_token(|a| api.recent_contacts(a, query)).await?;
            for (c, created_at) in found {
                if c.name == name
                    && created_at == entry.marker_at
                    && !store.id_claimed(IdColumn::Contact, c.id, entry.id)?
                {
                    return Ok(Some(c));
                }
            }
        }
        Ok(None)
    }
}
