//! A contact entered alone: `POST /api/v4/contacts` (docs/amocrm-api.md §8.5), with the entry's
//! marker as its `created_at`.
//!
//! Found after a lost answer among the contacts created in its second by the connected user,
//! with its name, one of its phones or one of its e-mails, not made by another entry.

use super::{Cx, Lookup, Write};
use crate::amocrm::wire;
use crate::domain::steps::{ContactStep, Entity, Made};
use crate::domain::tokens::Access;
use crate::error::Result;

impl Write for ContactStep {
    async fn send(&self, cx: &Cx<'_>, at: Access) -> Result<Made> {
        let body = wire::contact_body(&self.0, Some(cx.marker_at), Some(&cx.entry.request_id));
        Ok(Made::record(cx.api().add_contact(at, &body).await?))
    }

    async fn find(&self, cx: &Cx<'_>) -> Result<Lookup> {
        let d = &self.0;
        let me = cx.me().await?;
        let (api, marker) = (cx.api(), cx.marker_at);
        let found = cx.read(|a| api.contacts_created_at(a, marker)).await?;
        let name = d.display_name();
        let mut candidates = Vec::new();
        for (c, created_by) in found {
            let same = c.name == name
                || c.phones.iter().any(|p| d.phones.contains(p))
                || d.emails.iter().any(|e| c.emails.iter().any(|x| x.eq_ignore_ascii_case(e)));
            if created_by == me && same && !cx.owned_elsewhere(Entity::Contacts, c.id)? {
                candidates.push(c);
            }
        }
        Ok(cx.one(candidates)?.map_or(Lookup::NotThere, |c| Lookup::Found(Made::record(c.id))))
    }

    fn field(&self, path: &str) -> String {
        wire::contact_field(&self.0, "", path)
    }
}
