//! Handlers of the phone desk: the caller's card from this computer's copy of the account's
//! people, the copy's status and sync (Settings), and logging a call. The copy and the calls live
//! in `amo-core` (`people`, `outbox`); a sync's progress reaches the window as `people-changed`
//! from `watch.rs`, whoever runs it. While the app runs, the copy is kept fresh here: a quick
//! poll every minute, and a full pass when the core says one is due.

use std::sync::Arc;
use std::time::Duration;

use amo_core::domain::draft::CallDraft;
use amo_core::domain::outbox::OutboxItem;
use amo_core::domain::people::{CopyStatus, CustomerLookup, SyncReport};
use amo_core::{AmoConnect, Result};
use tauri::AppHandle;

use crate::state::AppState;

/// The background sync looks this often (`amo_core::people::POLL_EVERY_SECS`).
const POLL: Duration = Duration::from_secs(amo_core::people::POLL_EVERY_SECS);

pub async fn find_customer(_app: &AppHandle, state: &AppState, query: String, offline: bool) -> Result<CustomerLookup> {
    state.core().find_customer(&query, offline).await
}

pub async fn people_status(_app: &AppHandle, state: &AppState) -> Result<CopyStatus> {
    state.core().people_status()
}

/// Settings' "Refresh": a sync now (progress arrives as `people-changed`).
pub async fn sync_people(_app: &AppHandle, state: &AppState, full: bool) -> Result<SyncReport> {
    state.core().sync_people(full, &|_| {}).await
}

pub async fn set_people_copy(_app: &AppHandle, state: &AppState, on: bool) -> Result<CopyStatus> {
    state.core().set_people_copy(on)
}

/// The call card's Save: queued once per call id; the worker sends it.
pub async fn log_call(_app: &AppHandle, state: &AppState, draft: CallDraft) -> Result<OutboxItem> {
    Ok(state.core().log_call(&draft)?.0)
}

/// Keeps the copy fresh while the app runs. Not connected, turned off or offline: it tries
/// again at the next look (the lookup still answers from the copy).
pub async fn keep_fresh(core: Arc<AmoConnect>) {
    loop {
        match core.people_status() {
            Ok(s) if s.enabled => {
                if let Err(e) = core.sync_people(false, &|_| {}).await {
                    tracing::info!(code = %e.code(), "the copy of the account's people was not brought up to date");
                }
            }
            Ok(_) | Err(_) => {}
        }
        tokio::time::sleep(POLL).await;
    }
}
