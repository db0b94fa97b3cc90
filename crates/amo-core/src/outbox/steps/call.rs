//! A phone call logged in amoCRM: `POST /api/v4/calls` (docs/amocrm-api.md §16). amoCRM finds
//! the customer by the number's last ten digits and writes a call note on their single open
//! lead, else on the contact or company. A number it does not know is refused: an inbound call
//! then becomes an incoming lead (`POST /api/v4/leads/unsorted/sip`), so the caller is not lost;
//! an outbound one needs the contact added first (the `phone` field says so).
//!
//! Calls cannot be read back and amoCRM does not de-duplicate them, so after a lost answer the
//! call is found among the call notes changed since the entry was queued, by its own id
//! (`params.uniq`) — or, for an unknown caller, among the Incoming leads by `source_uid`.

use super::{Cx, Lookup, Write};
use crate::amocrm::client::CallLanding;
use crate::amocrm::wire;
use crate::domain::draft::CallDirection;
use crate::domain::steps::{CallStep, Created, Entity, Made};
use crate::domain::tokens::Access;
use crate::error::{Error, FieldCode, FieldError, Result};

/// Call notes are looked for from this long before the entry was queued (clocks differ).
const NOTES_SLACK_SECS: i64 = 120;
/// The cards a call note can be on.
const CARDS: [&str; 3] = ["leads", "contacts", "companies"];

/// What a call note on `entity`'s card `entity_id` is recorded as.
fn landed(note_id: i64, entity: &str, entity_id: i64) -> Made {
    let mut made = Made::record(note_id);
    match entity {
        "leads" => made.lead_id = Some(entity_id),
        "companies" => made.company_id = Some(entity_id),
        _ => made.contact_id = Some(entity_id),
    }
    made
}

/// The incoming lead an unknown caller's call made: the lead and contact are amoCRM's answer to
/// this call, the step's own.
fn incoming(r: crate::amocrm::client::ComplexResult) -> Made {
    Made {
        id: None,
        lead_id: Some(r.id),
        contact_id: r.contact_id,
        company_id: None,
        merged: false,
        created: Created { record: false, contact: r.contact_id.is_some(), company: false },
        updated_at: None,
    }
}

impl Write for CallStep {
    async fn send(&self, cx: &Cx<'_>, at: Access) -> Result<Made> {
        let api = cx.api();
        let body = wire::call_body(&self.0, cx.marker_at, &cx.entry.request_id);
        match api.add_call(at.clone(), &body).await? {
            CallLanding::Logged { note_id, entity, entity_id } => Ok(landed(note_id, &entity, entity_id)),
            CallLanding::UnknownNumber if self.0.direction == CallDirection::Inbound => {
                tracing::info!(id = cx.entry.id, "unknown caller: the call goes to Incoming leads");
                Ok(incoming(api.add_unsorted_sip(at, &wire::sip_body(&self.0, cx.marker_at)).await?))
            }
            CallLanding::UnknownNumber => {
                Err(Error::validation(vec![FieldError::new("phone", FieldCode::UnknownCaller)]))
            }
        }
    }

    async fn find(&self, cx: &Cx<'_>) -> Result<Lookup> {
        let api = cx.api();
        let since = cx.entry.queued_at - NOTES_SLACK_SECS;
        let uniq = self.0.uniq.as_str();
        for entity in CARDS {
            let notes = cx.read(|a| api.call_notes_since(a, entity, since)).await?;
            for n in notes.into_iter().filter(|n| n.uniq == uniq) {
                if !cx.owned_elsewhere(Entity::Notes, n.id)? {
                    return Ok(Lookup::Found(landed(n.id, entity, n.entity_id)));
                }
            }
        }
        if self.0.direction == CallDirection::Inbound {
            if let Some(waiting) = cx.read(|a| api.unsorted_by_source_uid(a, "sip", uniq)).await? {
                return Ok(Lookup::Found(incoming(waiting)));
            }
        }
        Ok(Lookup::NotThere)
    }

    /// amoCRM's paths are the call's own fields.
    fn field(&self, path: &str) -> String {
        let top = path.split('.').next().unwrap_or(path);
        match top {
            "duration" => "duration_secs",
            "call_result" => "result",
            "call_status" => "status",
            "link" => "link",
            "uniq" => "uniq",
            "responsible_user_id" => "responsible_user_id",
            "created_at" => "started_at",
            _ => "phone",
        }
        .into()
    }
}
