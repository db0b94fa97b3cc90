//! Sends one entry: its steps in order, every kind the same way.
//!
//! For each step not done yet: if its request may already have reached amoCRM (`maybe_sent`: the
//! process died, or the answer was lost), amoCRM is asked first whether it has it, by the kind's
//! own rule (`steps/`), and a step found there is recorded, not sent again. Otherwise it is marked
//! `maybe_sent`, sent with a token checked to be the entry's account's, and recorded `done` with
//! what amoCRM made — or, when amoCRM certainly never processed it, put back to `pending`. A
//! refusal's field paths are named as the form's fields by the kind. The first failure stops the
//! entry; the worker decides what happens next (`worker.rs`).

use super::steps::{self, Cx, Lookup};
use super::Outbox;
use crate::amocrm::wire;
use crate::clock::now;
use crate::domain::account::AccountRef;
use crate::domain::steps::{Made, StepState};
use crate::domain::tokens::Access;
use crate::error::{AmoError, EntryError, Error, NetworkProblem, Result, SignInError};
use crate::store::Entry;

/// Why an entry stopped: the failure, and the step it stopped at (if it reached one).
pub(super) struct Stopped {
    pub seq: Option<i64>,
    pub error: Error,
}

impl Outbox {
    /// Runs every step of `entry` that is not done, in order.
    pub(super) async fn run_entry(&self, entry: &mut Entry) -> std::result::Result<(), Stopped> {
        self.check_bound(entry, None).map_err(|error| Stopped { seq: None, error })?;
        if entry.steps.is_empty() {
            // Never "sent" with nothing sent (the store refuses such entries; this is the guard).
            return Err(Stopped { seq: None, error: Error::internal("an entry without steps") });
        }
        for i in 0..entry.steps.len() {
            if entry.steps[i].state == StepState::Done {
                continue;
            }
            let seq = entry.steps[i].seq;
            let made = self.run_step(entry, i).await.map_err(|error| Stopped { seq: Some(seq), error })?;
            // Later steps read what this one made (the note needs the lead's id).
            let step = &mut entry.steps[i];
            (step.state, step.made) = (StepState::Done, made);
        }
        Ok(())
    }

    async fn run_step(&self, entry: &Entry, i: usize) -> Result<Made> {
        let step = &entry.steps[i];
        let body = step.body.as_ref().ok_or_else(|| Error::internal("a step waits without its body"))?;
        let store = self.ctx.store.outbox_steps();
        let cx = Cx { outbox: self, entry, marker_at: step.marker_at };
        let kind = step.kind.as_str();
        if step.state == StepState::MaybeSent {
            match steps::find(body, &cx).await? {
                Lookup::Found(made) => {
                    tracing::info!(id = entry.id, kind, "found in amoCRM after an interrupted send; not sending again");
                    store.record_done(entry.id, step.seq, &made, self.domain()?.as_deref(), now())?;
                    return Ok(made);
                }
                Lookup::NotThere | Lookup::Repeats => {}
            }
        }
        store.set_state(entry.id, step.seq, StepState::MaybeSent, now())?;
        let cx = &cx;
        let send = |a: Access| async move {
            self.check_bound(entry, Some(&a))?;
            steps::send(body, cx, a).await
        };
        match self.session.with_token(send).await {
            Ok(made) => {
                store.record_done(entry.id, step.seq, &made, self.domain()?.as_deref(), now())?;
                Ok(made)
            }
            Err(e) => {
                if never_processed(&e) {
                    store.set_state(entry.id, step.seq, StepState::Pending, now())?;
                }
                Err(match e {
                    Error::Entry(EntryError::Validation(raw)) => {
                        Error::validation(wire::remap_fields(&raw, |p| steps::field(body, p)))
                    }
                    e => e,
                })
            }
        }
    }

    /// Refuses a request unless the connected account is the entry's and `access` (the token
    /// about to be used) is that account's: the last check before customer data leaves.
    pub(super) fn check_bound(&self, entry: &Entry, access: Option<&Access>) -> Result<()> {
        let Some(current) = self.ctx.store.account().load()? else { return Err(AmoError::NotConnected.into()) };
        let other = |domain: &str| EntryError::OtherAccount { id: entry.id, domain: domain.to_string() }.into();
        if let Some(mine) = &entry.account {
            if !mine.same_as(&AccountRef::of(&current)) {
                return Err(other(&mine.domain));
            }
        }
        match access {
            Some(a) if !a.domain.eq_ignore_ascii_case(&current.domain) => Err(other(&a.domain)),
            _ => Ok(()),
        }
    }

    /// The connected account's host, recorded with what it created (History's links).
    fn domain(&self) -> Result<Option<String>> {
        Ok(self.ctx.store.account().load()?.map(|r| r.domain))
    }
}

/// Errors after which amoCRM certainly did not act on the request, so no lookup is needed next
/// time: refusals, a conflict (found before the change was sent), and a connection that was never made (refused, unresolved). A timeout, a
/// dropped connection or a 5xx may have been processed.
fn never_processed(e: &Error) -> bool {
    matches!(
        e,
        Error::Entry(EntryError::Validation(_))
            | Error::Amo(AmoError::Network {
                problem: NetworkProblem::Refused | NetworkProblem::Unresolved | NetworkProblem::CannotConnect
            })
            | Error::Amo(
                AmoError::RateLimited
                    | AmoError::Unauthorized
                    | AmoError::AccountBanned
                    | AmoError::Forbidden { .. }
                    | AmoError::NotConnected
                    | AmoError::LeadNotFound { .. }
                    | AmoError::NotPaid
                    | AmoError::RequestRefused { .. }
            )
            | Error::Entry(EntryError::OtherAccount { .. } | EntryError::Conflict { .. })
            | Error::SignIn(SignInError::TokenRevoked { .. } | SignInError::TokenRejected { .. })
    )
}
