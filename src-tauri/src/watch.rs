//! The one place that turns changes into events. Whatever changed the outbox or the connection —
//! a command of this window, the outbox worker, the keep-alive, a CLI command or a softphone's
//! `amo-connect` on the same data directory — the core's watcher hears it (`amo_core::changes`),
//! and this pushes it: the banner and History (`outbox-changed`), the tray's line, the status
//! panel (`status-changed`) and, a moment later, any notification it calls for.

use std::sync::Arc;
use std::time::Duration;

use amo_core::AmoConnect;
use tauri::{AppHandle, Runtime};

use crate::{events, notify, tray};

/// Another process's writes are heard when the OS reports them (`amo_core::changes`); this look
/// is only the safety net for a file system that reports nothing. An idle window reads nothing
/// in between (README, "Budgets": idle CPU).
const POLL: Duration = Duration::from_secs(30);

pub fn install<R: Runtime>(app: &AppHandle<R>, core: Arc<AmoConnect>) {
    let (app, watching) = (app.clone(), core.clone());
    tauri::async_runtime::spawn(watching.watch_changes(POLL, move |changed| {
        if changed.outbox {
            match core.outbox_summary() {
                Ok(summary) => {
                    events::outbox_changed(&app, &summary);
                    tray::outbox_changed(&app, &summary);
                }
                Err(e) => tracing::warn!(code = %e.code(), "could not read the outbox's summary"),
            }
        }
        if changed.people {
            match core.people_status() {
                Ok(s) => events::people_changed(&app, &s),
                Err(e) => tracing::debug!(code = %e.code(), "no copy status to push"),
            }
        }
        if changed.account {
            let (app, core) = (app.clone(), core.clone());
            tauri::async_runtime::spawn(async move { events::status_changed(&app, &core.status().await) });
        }
        notify::changed(&app);
    }));
}
