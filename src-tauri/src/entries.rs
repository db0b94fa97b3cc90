//! Handlers of the lead and contact forms and the history. Validation, the outbox and the
//! duplicate check live in `amo-core`; every change of the outbox reaches the window as
//! `outbox-changed` from `watch.rs`, whoever made it.

use amo_core::domain::draft::{ContactDraft, Draft, FollowupDraft, LeadDraft};
use amo_core::domain::fields::{FormEntity, FormLayout};
use amo_core::domain::outbox::{OutboxItem, OutboxSummary};
use amo_core::domain::reference::{CompanyMatch, ContactMatch, LeadSummary, RecordKind, ReferenceData, SearchResults};
use amo_core::Result;
use tauri::AppHandle;

use crate::state::AppState;

/// Pipelines and users: the cache when fresh (unless `refresh`), else amoCRM (the cache, marked
/// stale, when amoCRM cannot be reached).
pub async fn reference_data(_app: &AppHandle, state: &AppState, refresh: bool) -> Result<ReferenceData> {
    state.core().reference_data(refresh).await
}

/// Existing contacts with this phone or email (re-checked, not amoCRM's fuzzy hits).
pub async fn find_duplicates(
    _app: &AppHandle,
    state: &AppState,
    phone: String,
    email: String,
) -> Result<Vec<ContactMatch>> {
    state.core().find_duplicates(&phone, &email).await
}

/// Checks and queues a lead; returns at once (the worker sends it).
pub async fn queue_lead(_app: &AppHandle, state: &AppState, draft: LeadDraft) -> Result<OutboxItem> {
    let item = state.core().queue_lead(&draft)?;
    Ok(item)
}

pub async fn queue_contact(_app: &AppHandle, state: &AppState, draft: ContactDraft) -> Result<OutboxItem> {
    let item = state.core().queue_contact(&draft)?;
    Ok(item)
}

/// Checks and queues a note and/or task for an existing lead (the existing customer's).
pub async fn queue_followup(_app: &AppHandle, state: &AppState, draft: FollowupDraft) -> Result<OutboxItem> {
    let item = state.core().queue_followup(&draft)?;
    Ok(item)
}

/// Settings → Form fields: how this computer shows the account's custom fields.
pub async fn save_form_layout(
    _app: &AppHandle,
    state: &AppState,
    entity: FormEntity,
    layout: FormLayout,
) -> Result<FormLayout> {
    state.core().save_form_layout(entity, &layout)
}

/// The company field's suggestions.
pub async fn search_companies(_app: &AppHandle, state: &AppState, query: String) -> Result<Vec<CompanyMatch>> {
    state.core().search_companies(&query).await
}

pub async fn outbox_list(_app: &AppHandle, state: &AppState, limit: u32) -> Result<Vec<OutboxItem>> {
    state.core().outbox_list(limit.clamp(1, 500) as usize)
}

pub async fn outbox_summary(_app: &AppHandle, state: &AppState) -> Result<OutboxSummary> {
    state.core().outbox_summary()
}

/// "Retry now" (all waiting entries, or one entry — also one needing attention).
pub async fn outbox_retry(_app: &AppHandle, state: &AppState, id: Option<i64>) -> Result<u32> {
    let n = state.core().outbox_retry(id)?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// "Support lifted the block": sending starts again.
pub async fn outbox_resume(_app: &AppHandle, state: &AppState) -> Result<u32> {
    let n = state.core().outbox_resume()?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Saves an edited entry (one needing attention) and queues it again.
pub async fn outbox_update(_app: &AppHandle, state: &AppState, id: i64, draft: Draft) -> Result<OutboxItem> {
    let item = state.core().outbox_update(id, draft)?;
    Ok(item)
}

/// Removes an entry needing attention (the user decided not to send it).
pub async fn outbox_discard(_app: &AppHandle, state: &AppState, id: i64) -> Result<()> {
    state.core().outbox_discard(id)?;
    Ok(())
}

/// Opens a sent entry's lead (or contact) in amoCRM in the browser. The URL is built in Rust
/// from the entry, so the window cannot open arbitrary addresses.
pub async fn open_in_amocrm(app: &AppHandle, state: &AppState, id: i64) -> Result<bool> {
    let item = state.core().outbox_item(id)?;
    let Some(url) = item.lead_url.or(item.contact_url) else { return Ok(false) };
    Ok(crate::handlers::open_in_browser(app, &url))
}

/// The window's search in amoCRM.
pub async fn search_amocrm(_app: &AppHandle, state: &AppState, query: String) -> Result<SearchResults> {
    state.core().search_amocrm(&query).await
}

/// The newest leads, for the window's list.
pub async fn list_leads(_app: &AppHandle, state: &AppState, limit: u32) -> Result<Vec<LeadSummary>> {
    state.core().list_leads(limit.clamp(1, 250) as usize).await
}

/// Opens a found lead or contact in amoCRM: the URL is built in Rust for the connected account.
pub async fn open_amocrm_record(app: &AppHandle, state: &AppState, kind: RecordKind, id: i64) -> Result<bool> {
    let url = state.core().record_url(kind, id)?;
    Ok(crate::handlers::open_in_browser(app, &url))
}
