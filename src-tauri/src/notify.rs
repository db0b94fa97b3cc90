//! System notifications: a moment after the outbox or the connection changed, the core says
//! what the user should hear about (`amo_core::notices`: leads that waited reaching amoCRM, an
//! entry needing attention, a ban, a reconnect needed) and each is shown by the notification
//! plugin. The pause gathers a burst of sends into one notice. Notifications only inform;
//! acting happens in the window or the tray (docs/tauri-platform.md §7).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;

use crate::state::AppState;

/// Changes within this long make one notice.
const GATHER: Duration = Duration::from_secs(2);

static SCHEDULED: AtomicBool = AtomicBool::new(false);

/// Something changed: look again in a moment (once, however many changes come meanwhile).
pub fn changed<R: Runtime>(app: &AppHandle<R>) {
    if SCHEDULED.swap(true, Ordering::SeqCst) {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(GATHER).await;
        SCHEDULED.store(false, Ordering::SeqCst);
        show_due(&app);
    });
}

/// Shows what the core says is due now. Called once at start too: that first look only
/// remembers the state, so entries sent before this start are not announced.
pub fn show_due<R: Runtime>(app: &AppHandle<R>) {
    let core = app.state::<AppState>().core().clone();
    let notices = match core.notices() {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(code = %e.code(), "could not tell what to notify");
            return;
        }
    };
    show(app, &notices);
}

/// Shows each (summary, body) through the notification plugin.
pub fn show<R: Runtime>(app: &AppHandle<R>, notices: &[(String, String)]) {
    for (summary, body) in notices {
        if let Err(e) = app.notification().builder().title(summary).body(body).show() {
            tracing::warn!("could not show a notification: {e}");
        }
    }
}
