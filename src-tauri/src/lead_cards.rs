//! Handler of the lead card (issue 21): the window opens it from My tasks or Find and shows what
//! the core read (`amo_core::lead_card`: the lead, its newest notes, open tasks and contacts, named
//! from the account's reference data). Reads only; changing the lead is a write for the outbox.

use amo_core::domain::lead_card::LeadCard;
use amo_core::Result;
use tauri::AppHandle;

use crate::state::AppState;

/// A lead amoCRM does not have reaches the window as `lead_not_found` naming the id.
pub async fn lead_card(_app: &AppHandle, state: &AppState, id: i64) -> Result<LeadCard> {
    state.core().lead_card(id).await
}
