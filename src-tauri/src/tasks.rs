//! Handlers of "My tasks" (issue 21): the window's tab reads the open tasks through the core
//! (`amo_core::my_tasks`), which asks amoCRM within the shared request budget and sorts them into
//! piles by the account's time zone. Reads only; acting on a task is a write and goes through the
//! outbox.

use amo_core::domain::my_tasks::{DueScope, TaskList};
use amo_core::domain::reference::RecordKind;
use amo_core::Result;
use tauri::AppHandle;

use crate::state::AppState;

/// The tab shows every pile, so every open task is read (`DueScope::All`); `all` widens the list
/// from the connected user's tasks to everyone's the token may see.
pub async fn my_tasks(_app: &AppHandle, state: &AppState, all: bool) -> Result<TaskList> {
    state.core().my_tasks(all, DueScope::All).await
}

/// "Call" on a task: the number of the customer it is on, for the caller's card.
pub async fn customer_phone(_app: &AppHandle, state: &AppState, kind: RecordKind, id: i64) -> Result<Option<String>> {
    state.core().customer_phone(kind, id).await
}
