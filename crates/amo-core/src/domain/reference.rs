//! The account's shape as the forms need it — pipelines and their stages, users — and what the
//! app reads back from amoCRM (existing contacts, leads). amoCRM's magic numbers for the special
//! stages live here and nowhere else (docs/amocrm-api.md §8.9): the UI gets a [`StageKind`].

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Every pipeline's "won" stage.
pub const WON_STATUS_ID: i64 = 142;
/// Every pipeline's "lost" stage.
pub const LOST_STATUS_ID: i64 = 143;
/// `type` of a pipeline's "Incoming leads" (unsorted) stage.
pub const UNSORTED_STATUS_TYPE: i64 = 1;

/// What a stage is for. Only `open` stages take a typed lead: won/lost close it, and unsorted
/// takes only incoming leads sent with metadata (amoCRM answers `NotSupportedChoice` otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum StageKind {
    Open,
    Unsorted,
    Won,
    Lost,
}

impl StageKind {
    /// From a status's id and amoCRM's `type`.
    pub fn of(id: i64, amo_type: i64) -> StageKind {
        match (id, amo_type) {
            (WON_STATUS_ID, _) => StageKind::Won,
            (LOST_STATUS_ID, _) => StageKind::Lost,
            (_, UNSORTED_STATUS_TYPE) => StageKind::Unsorted,
            _ => StageKind::Open,
        }
    }

    /// May a typed lead be put here?
    pub fn takes_new_leads(self) -> bool {
        self == StageKind::Open
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct PipelineStatus {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    #[ts(type = "number")]
    pub sort: i64,
    pub color: String,
    pub kind: StageKind,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct Pipeline {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    #[ts(type = "number")]
    pub sort: i64,
    pub is_main: bool,
    /// The pipeline takes incoming leads (its "Неразобранное"); caches written before this was
    /// read say no until refreshed.
    #[serde(default)]
    pub is_unsorted_on: bool,
    pub statuses: Vec<PipelineStatus>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct User {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
}

/// Reference data for the lead form (cached; see `reference`).
#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct ReferenceData {
    pub pipelines: Vec<Pipeline>,
    pub users: Vec<User>,
    /// The token's user may not list users: `users` holds only them.
    pub users_restricted: bool,
    #[ts(type = "number | null")]
    pub current_user_id: Option<i64>,
    /// The custom fields of leads, in amoCRM's order.
    pub lead_fields: Vec<crate::domain::fields::CustomField>,
    /// The custom fields of contacts other than phone and e-mail (the form has its own rows for
    /// those), in amoCRM's order.
    #[serde(default)]
    pub contact_fields: Vec<crate::domain::fields::CustomField>,
    /// The custom fields of companies, in amoCRM's order.
    #[serde(default)]
    pub company_fields: Vec<crate::domain::fields::CustomField>,
    /// How this computer shows the lead form's and contact forms' custom fields (Settings).
    #[serde(default)]
    pub lead_layout: crate::domain::fields::FormLayout,
    #[serde(default)]
    pub contact_layout: crate::domain::fields::FormLayout,
    /// The account's time zone by name (`datetime_settings.timezone`, IANA: "Europe/Berlin"):
    /// `date` fields are midnight there and due times are read there, by its summer-time rules
    /// (see [`ReferenceData::zone`], docs/amocrm-api.md §11.14). None while not read.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub timezone: Option<String>,
    /// The account's UTC offset in seconds as amoCRM gave it when asked
    /// (`datetime_settings.timezone_offset`: that day's, summer or winter) — used only when
    /// `timezone` is not a zone this app knows. None while not read: never a stand-in 0.
    #[serde(default)]
    pub timezone_offset_secs: Option<i32>,
    /// The account's task types (built-in and its own).
    #[serde(default)]
    pub task_types: Vec<crate::domain::task::TaskType>,
    /// The account takes incoming leads (unsorted) at all (`is_unsorted_on`).
    #[serde(default)]
    pub unsorted_on: bool,
    /// RFC 3339: when amoCRM was last asked.
    pub fetched_at: String,
    /// The data are older than the cache's freshness (or amoCRM could not be asked just now).
    pub stale: bool,
    /// Whose shape this is: the account's host and amoCRM's id (once known). The outbox checks
    /// a draft only against the shape of the account it is queued for, and the window drops
    /// another account's (after Disconnect, or another account connected).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub account_domain: Option<String>,
    #[serde(default)]
    #[ts(optional, type = "number | null")]
    pub account_id: Option<i64>,
}

impl ReferenceData {
    /// The rules the account's dates and due times are read by: its named zone, else its
    /// offset, else — settings not read yet — this computer's zone (`domain::zone` says why).
    pub fn zone(&self) -> crate::domain::zone::Zone {
        crate::domain::zone::Zone::of_account(self.timezone.as_deref(), self.timezone_offset_secs)
    }
}

/// What amoCRM record a link opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RecordKind {
    Lead,
    Contact,
    Company,
}

/// The record's page in amoCRM's web interface on `domain`.
pub fn record_url(domain: &str, kind: RecordKind, id: i64) -> String {
    let what = match kind {
        RecordKind::Lead => "leads",
        RecordKind::Contact => "contacts",
        RecordKind::Company => "companies",
    };
    format!("https://{domain}/{what}/detail/{id}")
}

/// What the window's search found in amoCRM.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct SearchResults {
    pub leads: Vec<LeadSummary>,
    pub contacts: Vec<ContactMatch>,
}

/// An existing contact as the duplicate check shows it.
#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct ContactMatch {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    /// Its leads still in work (not won or lost), newest first — filled in by the existing-
    /// customer check, empty elsewhere.
    #[serde(default)]
    pub open_leads: Vec<LeadSummary>,
}

/// An existing company as the company field suggests it.
#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct CompanyMatch {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
}

/// How many of a contact's leads the existing-customer check reads (one request each).
pub const MAX_OPEN_LEADS_READ: usize = 5;

/// A lead as `lead list` shows it.
#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct LeadSummary {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    #[ts(type = "number")]
    pub price: i64,
    #[ts(type = "number")]
    pub pipeline_id: i64,
    #[ts(type = "number")]
    pub status_id: i64,
    #[ts(type = "number")]
    pub responsible_user_id: i64,
    /// The user who created it (0: a robot or unknown).
    #[ts(type = "number")]
    pub created_by: i64,
    #[ts(type = "number")]
    pub created_at: i64,
    #[ts(type = "number[]")]
    pub contact_ids: Vec<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_stages_are_named_once() {
        assert_eq!(StageKind::of(142, 0), StageKind::Won);
        assert_eq!(StageKind::of(143, 0), StageKind::Lost);
        assert_eq!(StageKind::of(5001, 1), StageKind::Unsorted);
        assert_eq!(StageKind::of(5002, 0), StageKind::Open);
        assert!(!StageKind::Won.takes_new_leads() && StageKind::Open.takes_new_leads());
    }
}
