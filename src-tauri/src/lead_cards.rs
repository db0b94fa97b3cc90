//! Handlers of the lead card and of changes to what amoCRM has (issue 21): the window opens the
//! card from My tasks or Find and shows what the core read (`amo_core::lead_card`: the lead, its
//! newest notes, open tasks and contacts, named from the account's reference data). Changing a
//! lead or a task is a write: it is checked and queued in the outbox (`amo_core::outbox`), which
//! sends it — or holds it as a conflict when somebody changed the record since it was read.

use amo_core::domain::change::{LeadChangeDraft, LossReason, TaskChangeDraft};
use amo_core::domain::lead_card::LeadCard;
use amo_core::domain::outbox::OutboxItem;
use amo_core::Result;
use tauri::AppHandle;

use crate::state::AppState;

/// A lead amoCRM does not have reaches the window as `lead_not_found` naming the id.
pub async fn lead_card(_app: &AppHandle, state: &AppState, id: i64) -> Result<LeadCard> {
    state.core().lead_card(id).await
}

/// The "Lost" choice: the account's reasons, read from amoCRM.
pub async fn loss_reasons(_app: &AppHandle, state: &AppState) -> Result<Vec<LossReason>> {
    state.core().loss_reasons().await
}

/// Done, moved or edited: checked and queued; returns at once (the worker sends it).
pub async fn queue_task_change(_app: &AppHandle, state: &AppState, draft: TaskChangeDraft) -> Result<OutboxItem> {
    state.core().queue_task_change(&draft)
}

/// Stage, won, lost, price, name, responsible, tags, fields: checked and queued.
pub async fn queue_lead_change(_app: &AppHandle, state: &AppState, draft: LeadChangeDraft) -> Result<OutboxItem> {
    state.core().queue_lead_change(&draft)
}

/// "Send mine" on a conflict.
pub async fn outbox_send_mine(_app: &AppHandle, state: &AppState, id: i64) -> Result<OutboxItem> {
    state.core().outbox_send_mine(id)
}
