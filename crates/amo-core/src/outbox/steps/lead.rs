//! A lead with its new contact and company in one `POST /api/v4/leads/complex`
//! (docs/amocrm-api.md §8.4): lead, contact, company and custom fields in one request.
//!
//! Found after a lost answer by its marker: every lead created in the entry's own second
//! (`filter[created_at]`, all pages — the marker is unique among this desk's entries), by the
//! connected user, with the price, pipeline, stage and contact that were sent, and not made by
//! another entry. The name is not compared: a Salesbot may have renamed the lead already. One
//! candidate is ours; none means the request never arrived; more than one means someone else
//! made the same lead in the same second as the same user (another desk) — the user decides.

use super::{Cx, Lookup, Write};
use crate::amocrm::client::ComplexResult;
use crate::amocrm::wire;
use crate::domain::draft::LeadDraft;
use crate::domain::steps::{Entity, LeadStep, Made};
use crate::domain::tokens::Access;
use crate::error::Result;

impl Write for LeadStep {
    async fn send(&self, cx: &Cx<'_>, at: Access) -> Result<Made> {
        let body = wire::complex_lead_body(&self.0, cx.marker_at, &cx.entry.request_id);
        Ok(made_of(&self.0, cx.api().add_lead_complex(at, &body).await?))
    }

    async fn find(&self, cx: &Cx<'_>) -> Result<Lookup> {
        Ok(find_lead(cx, &self.0).await?.map_or(Lookup::NotThere, Lookup::Found))
    }

    fn field(&self, path: &str) -> String {
        wire::lead_field(&self.0, path)
    }
}

/// What amoCRM made of a lead sent with its contact and company.
pub(super) fn made_of(d: &LeadDraft, r: ComplexResult) -> Made {
    Made::lead(d, r.id, r.contact_id, r.company_id, r.merged)
}

/// The lead this entry made, if its request reached amoCRM (the rules above).
pub(super) async fn find_lead(cx: &Cx<'_>, d: &LeadDraft) -> Result<Option<Made>> {
    let me = cx.me().await?;
    let (api, marker) = (cx.api(), cx.marker_at);
    let found = cx.read(|a| api.leads_created_at(a, marker)).await?;
    let mut candidates = Vec::new();
    for l in found {
        let ours = l.created_at == marker
            && l.created_by == me
            && l.price == d.price_value().unwrap_or(0)
            && d.pipeline_id.is_none_or(|p| p == l.pipeline_id)
            && d.status_id.is_none_or(|s| s == l.status_id)
            && d.existing_contact_id.is_none_or(|c| l.contact_ids.contains(&c))
            && (d.contact.is_none() || !l.contact_ids.is_empty());
        if ours && !cx.owned_elsewhere(Entity::Leads, l.id)? {
            candidates.push(l);
        }
    }
    // Found among the leads made in its second by this user: made, not merged.
    Ok(cx.one(candidates)?.map(|l| Made::lead(d, l.id, l.contact_ids.first().copied(), None, false)))
}
