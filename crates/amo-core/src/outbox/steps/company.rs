//! A contact's new company: `POST /api/v4/companies` (docs/amocrm-api.md §8.6), with the
//! entry's marker as its `created_at`.
//!
//! Found after a lost answer among the companies made in its second by the connected user,
//! with its name, not made by another entry (two such are never guessed between).

use super::{Cx, Lookup, Write};
use crate::amocrm::wire;
use crate::domain::steps::{CompanyStep, Entity, Made};
use crate::domain::tokens::Access;
use crate::error::Result;

impl Write for CompanyStep {
    async fn send(&self, cx: &Cx<'_>, at: Access) -> Result<Made> {
        let body =
            wire::company_body(&self.company, self.responsible_user_id, cx.marker_at, Some(&cx.entry.request_id));
        Ok(Made::record(cx.api().add_company(at, &body).await?))
    }

    async fn find(&self, cx: &Cx<'_>) -> Result<Lookup> {
        let me = cx.me().await?;
        let (api, marker) = (cx.api(), cx.marker_at);
        let found = cx.read(|a| api.companies_created_at(a, marker)).await?;
        let mut candidates = Vec::new();
        for (c, created_by) in found {
            if created_by == me
                && c.name.trim() == self.company.name.trim()
                && !cx.owned_elsewhere(Entity::Companies, c.id)?
            {
                candidates.push(c);
            }
        }
        Ok(cx.one(candidates)?.map_or(Lookup::NotThere, |c| Lookup::Found(Made::record(c.id))))
    }

    fn field(&self, path: &str) -> String {
        wire::company_field(&self.company, path)
    }
}
