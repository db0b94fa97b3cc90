//! The `outbox.draft` column: what the user typed, as JSON of its entry kind. Read strictly here
//! — an unknown kind or JSON that is not a draft of its kind is why a row is damaged — by the
//! entries' table and by the steps' (which checks its entry's draft when it reads a plan).

use crate::domain::draft::{Draft, DraftKind};

/// A stored draft of entry kind `kind`, strictly: an unknown kind or JSON that is not a draft
/// of its kind is why the row is damaged.
pub(super) fn read_draft(kind: &str, json: &str) -> std::result::Result<Draft, String> {
    let parsed = match kind {
        k if k == DraftKind::Lead.as_str() => serde_json::from_str(json).map(Draft::Lead),
        k if k == DraftKind::Contact.as_str() => serde_json::from_str(json).map(Draft::Contact),
        k if k == DraftKind::Followup.as_str() => serde_json::from_str(json).map(Draft::Followup),
        k if k == DraftKind::Call.as_str() => serde_json::from_str(json).map(Draft::Call),
        k if k == DraftKind::TaskChange.as_str() => serde_json::from_str(json).map(Draft::TaskChange),
        k if k == DraftKind::LeadChange.as_str() => serde_json::from_str(json).map(Draft::LeadChange),
        other => return Err(format!("unknown entry kind {:?}", crate::error::shown(other, 40))),
    };
    parsed.map_err(|e| format!("draft: {e}"))
}

/// An empty draft of entry kind `kind` (a lead's if the kind is unknown): a damaged row's.
pub(super) fn empty_draft(kind: &str) -> Draft {
    match kind {
        k if k == DraftKind::Contact.as_str() => Draft::Contact(Default::default()),
        k if k == DraftKind::Followup.as_str() => Draft::Followup(Default::default()),
        k if k == DraftKind::Call.as_str() => Draft::Call(Default::default()),
        k if k == DraftKind::TaskChange.as_str() => Draft::TaskChange(Default::default()),
        k if k == DraftKind::LeadChange.as_str() => Draft::LeadChange(Default::default()),
        _ => Draft::Lead(Default::default()),
    }
}
