//! An entry as History shows it (and `outbox --json` prints it): its state, what was typed, each
//! step with what amoCRM made of it and a link, whether it can be fixed — its texts rendered in
//! the current language.

use crate::clock::rfc3339;
use crate::domain::account::AccountRef;
use crate::domain::lang::Lang;
use crate::domain::outbox::{OutboxItem, OutboxState, StepView};
use crate::domain::reference::{record_url, RecordKind};
use crate::domain::steps::{StepKind, StepState};
use crate::error::{EntryError, Error};
use crate::store::OutboxRow;

/// One row as History shows it. The connected account (`current`) builds links for entries
/// sent before the domain was recorded with them.
pub(super) fn view(r: OutboxRow, current: Option<&AccountRef>, lang: Lang) -> OutboxItem {
    if let Some(why) = r.damaged.clone() {
        return damaged(r, &why, current, lang);
    }
    let other_account = match (&r.account, current) {
        (Some(mine), Some(now)) => !mine.same_as(now),
        (Some(_), None) => true,
        (None, _) => false,
    };
    let host = r.domain.clone().or(r.account.as_ref().map(|a| a.domain.clone())).or(current.map(|c| c.domain.clone()));
    let link = |kind: RecordKind, id: Option<i64>| Some(record_url(host.as_deref()?, kind, id?));
    let steps: Vec<StepView> = r
        .steps
        .iter()
        .map(|s| {
            let done = s.state == StepState::Done;
            let url = match s.kind {
                StepKind::Lead | StepKind::IncomingLead => link(RecordKind::Lead, s.made.id),
                StepKind::Contact => link(RecordKind::Contact, s.made.id),
                StepKind::Company => link(RecordKind::Company, s.made.id),
                StepKind::Note | StepKind::Task => link(RecordKind::Lead, s.made.lead_id),
                StepKind::Link | StepKind::TaskChange => None,
                StepKind::LeadChange => link(RecordKind::Lead, s.made.id),
                // The card the call landed on.
                StepKind::Call => link(RecordKind::Lead, s.made.lead_id)
                    .or_else(|| link(RecordKind::Contact, s.made.contact_id))
                    .or_else(|| link(RecordKind::Company, s.made.company_id)),
            };
            StepView { kind: s.kind, state: s.state, amo_id: s.made.id, url: url.filter(|_| done) }
        })
        .collect();
    let locked = r.state == OutboxState::Sent || r.steps.iter().any(|s| s.state.locked());
    let editable = matches!(r.state, OutboxState::Queued | OutboxState::Attention)
        && !other_account
        && r.steps.iter().any(|s| !s.state.locked());
    let (lead_id, contact_id) = (r.lead_id(), r.contact_id());
    let made_id = |kind: StepKind| r.made(&[kind]).and_then(|m| m.id);
    OutboxItem {
        id: r.id,
        state: r.state,
        title: r.draft.title(),
        created_at: rfc3339(r.created_at),
        updated_at: rfc3339(r.updated_at),
        attempts: r.attempts,
        next_attempt_at: (r.state == OutboxState::Queued).then(|| rfc3339(r.next_attempt_ms / 1000)),
        error: r.last_error.as_ref().map(|e| e.to_payload(lang)),
        conflict: match (&r.last_error, r.state) {
            (Some(Error::Entry(EntryError::Conflict { conflict, .. })), OutboxState::Attention) => {
                Some((**conflict).clone())
            }
            _ => None,
        },
        field_errors: r.field_errors.iter().map(|f| f.view(lang)).collect(),
        lead_id,
        contact_id,
        note_id: made_id(StepKind::Note),
        task_id: made_id(StepKind::Task),
        merged: r.made(&[StepKind::Lead]).is_some_and(|m| m.merged),
        lead_url: link(RecordKind::Lead, lead_id),
        contact_url: link(RecordKind::Contact, contact_id),
        sent_at: r.sent_at.map(rfc3339),
        locked,
        editable,
        steps,
        purged: r.purged,
        account_domain: r.account.map(|a| a.domain),
        other_account,
        draft: r.draft,
    }
}

/// A row that cannot be read (`OutboxRow::damaged`): named by its id, its failure the reason
/// (the detail is in the log and the payload's English text), never editable. It is not sent
/// (the worker sets it aside) and may be discarded unless it was sent; what it made in amoCRM
/// still has its links.
fn damaged(r: OutboxRow, why: &str, current: Option<&AccountRef>, lang: Lang) -> OutboxItem {
    let mut readable = OutboxRow { damaged: None, ..r };
    let state = readable.state;
    readable.last_error = Some(Error::storage(format!("entry #{} cannot be read: {why}", readable.id)));
    readable.field_errors.clear();
    let mut item = view(readable, current, lang);
    item.title = format!("#{}", item.id);
    item.state = OutboxState::Damaged;
    item.editable = false;
    item.locked = item.locked || state == OutboxState::Sent;
    item.next_attempt_at = None;
    item
}
