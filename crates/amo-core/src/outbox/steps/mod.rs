//! Every kind of write the outbox makes to amoCRM, each declared once in its own file: how its
//! request is built and sent, how it is found again after a lost answer (or that sending it again
//! is harmless), and which of the form's fields a refusal of it names. What each step needs from
//! the steps before it is in its body (`domain::steps::Target`).
//!
//! Everything else is the runner's (`runner.rs`), the same for every kind: the account binding,
//! the "may have reached amoCRM" mark, tokens and the shared request budget, recording what
//! amoCRM made; and the worker's (`worker.rs`): back-off, attention, the ban.
//!
//! A new kind of write: a body in `domain::steps` (and its place in `plan`), a file here with
//! its [`Write`], and one line in [`each_kind!`].

mod call;
mod company;
mod contact;
mod incoming_lead;
mod lead;
mod lead_change;
mod link;
mod note;
mod task;
mod task_change;

use std::future::Future;

use super::reconcile::{made_after, one_or_none};
use super::Outbox;
use crate::amocrm::client::ApiClient;
use crate::domain::steps::{Entity, Made, StepBody, StepState, Target};
use crate::domain::tokens::Access;
use crate::error::{Error, Result};
use crate::store::Entry;

/// What a kind of write declares.
pub(super) trait Write {
    /// Sends its request with the token in hand (already checked to be the entry's account's);
    /// what amoCRM made.
    fn send(&self, cx: &Cx<'_>, at: Access) -> impl Future<Output = Result<Made>> + Send;

    /// After a request that may have reached amoCRM: what it made, if amoCRM has it.
    fn find(&self, cx: &Cx<'_>) -> impl Future<Output = Result<Lookup>> + Send;

    /// A path of amoCRM's refusal (`custom_fields_values.1.values.0.value`) as the form's field
    /// (`custom_fields.701001`), so the form marks the field whichever side found the problem.
    fn field(&self, path: &str) -> String;
}

/// What looking for a step in amoCRM found.
pub(super) enum Lookup {
    /// amoCRM has it: recorded, not sent again.
    Found(Made),
    /// amoCRM does not have it: it is sent.
    NotThere,
    /// It cannot be looked for, and sending it again changes nothing (linking twice).
    Repeats,
}

/// `$e` with `$s` bound to the body of whichever kind `$body` is.
macro_rules! each_kind {
    ($body:expr, $s:ident => $e:expr) => {
        match $body {
            StepBody::Lead($s) => $e,
            StepBody::IncomingLead($s) => $e,
            StepBody::Contact($s) => $e,
            StepBody::Company($s) => $e,
            StepBody::Link($s) => $e,
            StepBody::Note($s) => $e,
            StepBody::Task($s) => $e,
            StepBody::Call($s) => $e,
            StepBody::TaskChange($s) => $e,
            StepBody::LeadChange($s) => $e,
        }
    };
}

pub(super) async fn send(body: &StepBody, cx: &Cx<'_>, at: Access) -> Result<Made> {
    each_kind!(body, s => s.send(cx, at).await)
}

pub(super) async fn find(body: &StepBody, cx: &Cx<'_>) -> Result<Lookup> {
    each_kind!(body, s => s.find(cx).await)
}

pub(super) fn field(body: &StepBody, path: &str) -> String {
    each_kind!(body, s => s.field(path))
}

/// What a step sees while it is sent: its entry, the steps before it, and amoCRM.
pub(super) struct Cx<'a> {
    pub(super) outbox: &'a Outbox,
    pub(super) entry: &'a Entry,
    /// The `created_at` the step is sent with, by which it is found after a lost answer.
    pub(super) marker_at: i64,
}

impl Cx<'_> {
    pub(super) fn api(&self) -> ApiClient {
        self.outbox.ctx.amo.api()
    }

    /// The id of a record the step works on: one of the account's, or what an earlier step of the
    /// entry made (the runner sends steps in order, so it is done).
    pub(super) fn id(&self, target: Target) -> Result<i64> {
        match target {
            Target::Id(id) => Ok(id),
            Target::Step(kind) => self
                .entry
                .steps
                .iter()
                .find(|s| s.kind == kind && s.state == StepState::Done)
                .and_then(|s| s.made.id)
                .ok_or_else(|| Error::internal(format!("step {} is not done", kind.as_str()))),
        }
    }

    /// A read of the entry's account (to find a step after a lost answer).
    pub(super) async fn read<T, F, Fut>(&self, call: F) -> Result<T>
    where
        F: Fn(Access) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let call = &call;
        self.outbox
            .session
            .with_token(|a| async move {
                self.outbox.check_bound(self.entry, Some(&a))?;
                call(a).await
            })
            .await
    }

    /// The connected user: who made everything this desk sends.
    pub(super) async fn me(&self) -> Result<i64> {
        self.outbox.me().await
    }

    /// What a change of record `id` compares amoCRM's `updated_at` with: the version the user
    /// changed (`seen`), or — later — what amoCRM answered to this desk's own last change of it
    /// (two changes queued one after the other are not a conflict with each other).
    pub(super) fn baseline(&self, entity: Entity, id: i64, seen: i64) -> Result<i64> {
        let ours = self.outbox.ctx.store.outbox_steps().last_change_at(entity, id)?;
        Ok(ours.map_or(seen, |o| o.max(seen)))
    }

    /// Before a change is sent: `Err(Conflict)` — with both versions (`fields`, built only then)
    /// — when amoCRM's `updated_at` of the record is later than the baseline; the change may go
    /// otherwise (docs/outbox.md, "Changes").
    pub(super) fn unchanged_since_read(
        &self,
        entity: Entity,
        id: i64,
        seen: i64,
        (updated_at, updated_by): (i64, i64),
        fields: impl FnOnce() -> Vec<crate::error::ConflictField>,
    ) -> Result<()> {
        if updated_at <= self.baseline(entity, id, seen)? {
            return Ok(());
        }
        let conflict = crate::error::Conflict {
            entity: entity.as_str().into(),
            record_id: id,
            updated_by,
            updated_by_name: None,
            updated_at,
            fields: fields(),
        };
        Err(crate::error::EntryError::Conflict { id: self.entry.id, conflict: Box::new(conflict) }.into())
    }

    /// After a lost answer: whether the record's last change is the connected user's, made after
    /// the baseline — the change itself, when the record also holds its values.
    pub(super) async fn last_changed_by_us(
        &self,
        entity: Entity,
        id: i64,
        seen: i64,
        (updated_at, updated_by): (i64, i64),
    ) -> Result<bool> {
        Ok(updated_at > self.baseline(entity, id, seen)? && updated_by == self.me().await?)
    }

    /// Whether another entry's step made this record (never taken for this one).
    pub(super) fn owned_elsewhere(&self, entity: Entity, id: i64) -> Result<bool> {
        self.outbox.ctx.store.outbox_steps().owned_elsewhere(entity, id, self.entry.id)
    }

    /// The one candidate that is this entry's, none, or — two or more — an error: the user
    /// decides, the app never guesses.
    pub(super) fn one<T>(&self, candidates: Vec<T>) -> Result<Option<T>> {
        one_or_none(self.entry.id, candidates)
    }

    /// Whether something amoCRM stamped `created_at` can be this entry's.
    pub(super) fn after_queued(&self, created_at: i64) -> bool {
        made_after(created_at, self.entry.queued_at)
    }
}
