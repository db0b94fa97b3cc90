//! A lead's change — another stage, won, lost with a reason, price, name, responsible user,
//! tags added, custom field values: `PATCH /api/v4/leads` (docs/amocrm-api.md §18.2) with only
//! what the user changed.
//!
//! As for a task (`task_change.rs`): the lead is read right before sending, and a later
//! `updated_at` than the version the user changed (or this desk's own last change of it) is a
//! [`Conflict`] — nothing is sent. After a lost answer the change is found on the lead when its
//! last change is the connected user's, after the baseline, with every plain value this change
//! sets (custom field values are not compared: amoCRM may store them reformatted).

use super::{Cx, Lookup, Write};
use crate::amocrm::wire;
use crate::domain::change::{ConflictField, LeadChangeDraft};
use crate::domain::fields::field_key;
use crate::domain::lead_card::{RawFieldValues, RawLead};
use crate::domain::steps::{Entity, LeadChangeStep, Made};
use crate::domain::tokens::Access;
use crate::error::{AmoError, Result};

impl Write for LeadChangeStep {
    async fn send(&self, cx: &Cx<'_>, at: Access) -> Result<Made> {
        let (api, l) = (cx.api(), &self.0);
        let now = api.lead_card(at.clone(), l.lead_id).await?.ok_or(AmoError::LeadNotFound { id: l.lead_id })?;
        let stamp = (now.updated_at, now.updated_by);
        cx.unchanged_since_read(Entity::Leads, l.lead_id, l.seen_updated_at, stamp, || both_versions(l, &now))?;
        let updated_at = api.change_lead(at, &wire::lead_change_body(l)).await?;
        Ok(Made::changed(l.lead_id, updated_at))
    }

    async fn find(&self, cx: &Cx<'_>) -> Result<Lookup> {
        let (api, l) = (cx.api(), &self.0);
        let Some(now) = cx.read(|a| api.lead_card(a, l.lead_id)).await? else { return Ok(Lookup::NotThere) };
        let stamp = (now.updated_at, now.updated_by);
        if cx.last_changed_by_us(Entity::Leads, l.lead_id, l.seen_updated_at, stamp).await? && has_it(l, &now) {
            return Ok(Lookup::Found(Made::changed(l.lead_id, now.updated_at)));
        }
        Ok(Lookup::NotThere)
    }

    fn field(&self, path: &str) -> String {
        wire::lead_change_field(&self.0, path)
    }
}

/// Whether the lead has every plain value the change sets.
fn has_it(l: &LeadChangeDraft, now: &RawLead) -> bool {
    (l.name.is_empty() || l.name == now.name)
        && l.price_value().is_none_or(|p| p == now.price)
        && l.status_id.is_none_or(|s| s == now.status_id && l.target_pipeline() == now.pipeline_id)
        && l.loss_reason_id.is_none_or(|r| now.loss_reason_id == Some(r))
        && l.responsible_user_id.is_none_or(|u| u == now.responsible_user_id)
        && l.tags_to_add.iter().all(|t| now.tags.iter().any(|have| have.eq_ignore_ascii_case(t)))
}

/// A field's values as amoCRM gave them, as plain text (choices by their ids).
fn values_text(f: Option<&RawFieldValues>) -> String {
    let Some(f) = f else { return String::new() };
    let one = |v: &crate::domain::lead_card::RawValue| {
        v.text
            .clone()
            .or(v.number.map(|n| n.to_string()))
            .or(v.enum_id.map(|n| n.to_string()))
            .or(v.flag.map(|b| b.to_string()))
            .unwrap_or_default()
    };
    f.values.iter().map(one).collect::<Vec<_>>().join(", ")
}

/// The fields the change sets: amoCRM's value now, and the user's.
fn both_versions(l: &LeadChangeDraft, now: &RawLead) -> Vec<ConflictField> {
    let mut out = Vec::new();
    let mut push = |field: String, theirs: String, mine: String| {
        out.push(ConflictField { field, theirs, mine });
    };
    if !l.name.is_empty() {
        push("name".into(), now.name.clone(), l.name.clone());
    }
    if let Some(p) = l.price_value() {
        push("price".into(), now.price.to_string(), p.to_string());
    }
    if let Some(s) = l.status_id {
        if l.target_pipeline() != now.pipeline_id {
            push("pipeline".into(), now.pipeline_id.to_string(), l.target_pipeline().to_string());
        }
        push("status".into(), now.status_id.to_string(), s.to_string());
    }
    if let Some(r) = l.loss_reason_id {
        push("loss_reason_id".into(), now.loss_reason_id.map(|r| r.to_string()).unwrap_or_default(), r.to_string());
    }
    if let Some(u) = l.responsible_user_id {
        push("responsible_user_id".into(), now.responsible_user_id.to_string(), u.to_string());
    }
    if !l.tags_to_add.is_empty() {
        let mut mine = now.tags.clone();
        mine.extend(l.tags_to_add.iter().filter(|t| !now.tags.iter().any(|h| h.eq_ignore_ascii_case(t))).cloned());
        push("tags".into(), now.tags.join(", "), mine.join(", "));
    }
    for e in &l.custom_fields {
        let theirs = values_text(now.fields.iter().find(|f| f.field_id == e.field_id));
        push(field_key(e.field_id), theirs, e.value.clone());
    }
    out
}
