//! The outbox as people see it: an entry's state, what was typed, what amoCRM made of it, and
//! the banner's summary. The rules for moving between states live in `outbox`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::draft::Draft;
use crate::domain::steps::{StepKind, StepState};
use crate::error::{ErrorPayload, FieldErrorView};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum OutboxState {
    /// Waiting to be sent (possibly after a failure; retried with back-off).
    Queued,
    /// A worker has it.
    Sending,
    /// amoCRM has it; its ids are recorded.
    Sent,
    /// Only the user can fix it (amoCRM refused a field, say); editable and resendable.
    Attention,
    /// Its row cannot be read (a damaged file, a newer version's entry): listed by its id, not
    /// sent, discardable. Never stored: History's word for a row it could not decode.
    Damaged,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Queued => "queued",
            OutboxState::Sending => "sending",
            OutboxState::Sent => "sent",
            OutboxState::Attention => "attention",
            OutboxState::Damaged => "damaged",
        }
    }

    pub fn parse(s: &str) -> OutboxState {
        match s {
            "sending" => OutboxState::Sending,
            "sent" => OutboxState::Sent,
            "attention" => OutboxState::Attention,
            _ => OutboxState::Queued,
        }
    }
}

/// One entry as the history shows it (and `outbox --json` prints it).
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct OutboxItem {
    #[ts(type = "number")]
    pub id: i64,
    pub state: OutboxState,
    pub title: String,
    #[serde(flatten)]
    #[ts(flatten)]
    pub draft: Draft,
    /// RFC 3339: when the user submitted it.
    pub created_at: String,
    pub updated_at: String,
    pub attempts: u32,
    /// RFC 3339: the next automatic attempt (queued entries).
    pub next_attempt_at: Option<String>,
    /// Why the last attempt failed, in the current language.
    pub error: Option<ErrorPayload>,
    /// amoCRM's (or our) field errors, for entries needing attention.
    pub field_errors: Vec<FieldErrorView>,
    #[ts(type = "number | null")]
    pub lead_id: Option<i64>,
    #[ts(type = "number | null")]
    pub contact_id: Option<i64>,
    #[ts(type = "number | null")]
    pub note_id: Option<i64>,
    /// The follow-up task amoCRM made of it.
    #[ts(type = "number | null")]
    pub task_id: Option<i64>,
    /// amoCRM's duplicate control merged the lead into an existing one.
    pub merged: bool,
    /// `https://{domain}/leads/detail/{id}`
    pub lead_url: Option<String>,
    pub contact_url: Option<String>,
    pub sent_at: Option<String>,
    /// Part of it may already be in amoCRM: those parts (`steps` done or maybe sent) are
    /// locked — an edited copy could not be matched and would be created twice.
    pub locked: bool,
    /// It can be fixed now: it waits or needs attention, for the connected account, and some
    /// step has not reached amoCRM (those can change; the locked ones stay as they are).
    pub editable: bool,
    /// Its writes to amoCRM, in order: what reached amoCRM (with links) and what waits or was
    /// refused.
    pub steps: Vec<StepView>,
    /// What was typed was removed after the retention period; only ids, link and times remain.
    pub purged: bool,
    /// The host of the account it was typed for (null: queued by a version that did not record
    /// it, while no account was connected).
    pub account_domain: Option<String>,
    /// Typed for another account than the one connected now (or none is): it is not sent until
    /// that account is connected again, and can be discarded.
    pub other_account: bool,
    /// A change that waits because somebody else changed the record since it was read: both
    /// versions, to keep theirs (discard) or send mine (`outbox_send_mine`).
    pub conflict: Option<crate::domain::change::Conflict>,
}

/// One write of an entry, as History lists it.
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct StepView {
    pub kind: StepKind,
    pub state: StepState,
    /// The record amoCRM made (none for a link, or before it is done).
    #[ts(type = "number | null")]
    pub amo_id: Option<i64>,
    /// Its page in amoCRM (a note's or a task's: the lead's).
    pub url: Option<String>,
}

/// The banner's facts.
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq, Default)]
#[ts(export)]
pub struct OutboxSummary {
    /// Waiting to be sent to the connected account.
    pub queued: u32,
    /// Waiting for another account than the one connected (see `OutboxItem::other_account`).
    pub other_account: u32,
    pub attention: u32,
    pub sent: u32,
    /// amoCRM banned the account's API (403 HTML): nothing is sent until support lifts it.
    pub banned: bool,
    /// The last failure of a waiting entry was a network error: amoCRM is unreachable.
    pub offline: bool,
    /// The last failure of a waiting entry, if any.
    pub last_error: Option<ErrorPayload>,
}
