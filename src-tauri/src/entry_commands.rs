//! Commands of the lead and contact forms and the history. Thin: validation, the outbox and the
//! duplicate check live in `amo-core`; every change of the outbox is pushed as `outbox-changed`
//! (an [`OutboxSummary`]) so the banner and the history update by themselves.

use amo_core::api::ContactMatch;
use amo_core::model::{ContactDraft, LeadDraft};
use amo_core::outbox::{Draft, OutboxItem, OutboxSummary};
use amo_core::reference::ReferenceData;
use amo_core::ErrorPayload;
use tauri::{AppHandle, Emitter, State};

use crate::commands::AppState;

/// Pushes the outbox's summary to the window.
pub fn emit_outbox(app: &AppHandle, state: &AppState) {
    if let Ok(summary) = state.core().outbox_summary() {
        let _ = app.emit("outbox-changed", &summary);
    }
}

/// Pipelines and users: the cache when fresh (unless `refresh`), else amoCRM (the cache, marked
/// stale, when amoCRM cannot be reached).
#[tauri::command]
pub async fn reference_data(state: State<'_, AppState>, refresh: bool) -> Result<ReferenceData, ErrorPayload> {
    state.core().reference_data(refresh).await.map_err(|e| state.err(e))
}

/// Existing contacts with this phone or email (re-checked, not amoCRM's fuzzy hits).
#[tauri::command]
pub async fn find_duplicates(
    state: State<'_, AppState>,
    phone: String,
    email: String,
) -> Result<Vec<ContactMatch>, ErrorPayload> {
    state.core().find_duplicates(&phone, &email).await.map_err(|e| state.err(e))
}

/// Checks and queues a lead; returns at once (the worker sends it). Field errors come back as
/// `validation` with the fields.
#[tauri::command]
pub async fn submit_lead(
    app: AppHandle,
    state: State<'_, AppState>,
    draft: LeadDraft,
) -> Result<OutboxItem, ErrorPayload> {
    let item = state.core().queue_lead(&draft).map_err(|e| state.err(e))?;
    emit_outbox(&app, &state);
    Ok(item)
}

#[tauri::command]
pub async fn submit_contact(
    app: AppHandle,
    state: State<'_, AppState>,
    draft: ContactDraft,
) -> Result<OutboxItem, ErrorPayload> {
    let item = state.core().queue_contact(&draft).map_err(|e| state.err(e))?;
    emit_outbox(&app, &state);
    Ok(item)
}

#[tauri::command]
pub async fn outbox_list(state: State<'_, AppState>, limit: u32) -> Result<Vec<OutboxItem>, ErrorPayload> {
    state.core().outbox_list(limit.clamp(1, 500) as usize).map_err(|e| state.err(e))
}

#[tauri::command]
pub async fn outbox_summary(state: State<'_, AppState>) -> Result<OutboxSummary, ErrorPayload> {
    state.core().outbox_summary().map_err(|e| state.err(e))
}

/// "Retry now" (all waiting entries, or one entry — also one needing attention).
#[tauri::command]
pub async fn outbox_retry(app: AppHandle, state: State<'_, AppState>, id: Option<i64>) -> Result<u32, ErrorPayload> {
    let n = state.core().outbox_retry(id).map_err(|e| state.err(e))?;
    emit_outbox(&app, &state);
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Saves an edited entry (one needing attention) and queues it again.
#[tauri::command]
pub async fn outbox_update(
    app: AppHandle,
    state: State<'_, AppState>,
    id: i64,
    draft: Draft,
) -> Result<OutboxItem, ErrorPayload> {
    let item = state.core().outbox_update(id, draft).map_err(|e| state.err(e))?;
    emit_outbox(&app, &state);
    Ok(item)
}

/// Removes an entry needing attention (the user decided not to send it).
#[tauri::command]
pub async fn outbox_discard(app: AppHandle, state: State<'_, AppState>, id: i64) -> Result<(), ErrorPayload> {
    state.core().outbox_discard(id).map_err(|e| state.err(e))?;
    emit_outbox(&app, &state);
    Ok(())
}

/// Opens a sent entry's lead (or contact) in amoCRM in the browser. The URL is built in Rust
/// from the entry, so the window cannot open arbitrary addresses.
#[tauri::command]
pub async fn open_in_amocrm(app: AppHandle, state: State<'_, AppState>, id: i64) -> Result<bool, ErrorPayload> {
    let item = state.core().outbox_item(id).map_err(|e| state.err(e))?;
    let Some(url) = item.lead_url.or(item.contact_url) else { return Ok(false) };
    Ok(crate::commands::open_in_browser(&app, &url))
}
