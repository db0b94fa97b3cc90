//! A contact put in a company: `POST /api/v4/contacts/{id}/link` (amoCRM's entity links,
//! docs/amocrm-api.md §8.14). amoCRM's `POST /contacts` takes no company, so this is how a
//! contact entered alone joins the company made for it (or the one picked).
//!
//! Not looked for after a lost answer: linking a linked pair again changes nothing.

use super::{Cx, Lookup, Write};
use crate::domain::steps::{LinkStep, Made, Target};
use crate::domain::tokens::Access;
use crate::error::Result;

impl Write for LinkStep {
    async fn send(&self, cx: &Cx<'_>, at: Access) -> Result<Made> {
        let (contact, company) = (cx.id(self.contact)?, cx.id(self.company)?);
        cx.api().link_contact_to_company(at, contact, company).await?;
        Ok(Made::default())
    }

    async fn find(&self, _cx: &Cx<'_>) -> Result<Lookup> {
        Ok(Lookup::Repeats)
    }

    /// The company the contact was to join is gone or refused.
    fn field(&self, _path: &str) -> String {
        match self.company {
            Target::Id(_) => "existing_company_id",
            Target::Step(_) => "company.name",
        }
        .into()
    }
}
