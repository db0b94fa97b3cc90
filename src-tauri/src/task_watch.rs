//! "My tasks" in the background (issue 21): while the app runs, the connected user's open tasks
//! are read every five minutes — through the same request budget as everything else, so the
//! window, the CLI and this loop never exceed amoCRM's limit together — and each read is kept as
//! the core's copy. Every half minute the copy alone (no request) gives the tray's "Tasks due: N"
//! line and the notification of tasks that fell due since the last look (one notice for all of
//! them; off in Settings). A failed read keeps the last copy: offline the line and the notices
//! still follow the clock.

use std::sync::Arc;
use std::time::{Duration, Instant};

use amo_core::domain::my_tasks::DueScope;
use amo_core::i18n::notice_text;
use amo_core::AmoConnect;
use tauri::{AppHandle, Runtime};

use crate::{notify, tray};

/// How often the list is read from amoCRM.
const REFRESH: Duration = Duration::from_secs(5 * 60);
/// How often the copy is looked at for the tray's line and the due notification.
const LOOK: Duration = Duration::from_secs(30);

/// Runs until the app ends.
pub async fn run<R: Runtime>(app: AppHandle<R>, core: Arc<AmoConnect>) {
    let notices = core.due_notices();
    let mut read_at: Option<Instant> = None;
    loop {
        if read_at.is_none_or(|t| t.elapsed() >= REFRESH) {
            read_at = Some(Instant::now());
            // Not connected, or amoCRM unreachable with no copy yet: the next round tries again.
            match core.my_tasks(false, DueScope::All).await {
                Ok(list) if list.read_at.is_some() => tracing::debug!("my tasks: amoCRM unreachable, the copy stays"),
                Ok(list) => tracing::debug!(tasks = list.tasks.len(), "my tasks read"),
                Err(e) => tracing::debug!(code = %e.code(), "my tasks not read"),
            }
        }
        let now = amo_core::clock::now();
        match core.tasks_due(now) {
            Ok(due) => tray::tasks_changed(&app, due.due_now),
            Err(e) => tracing::warn!(code = %e.code(), "could not count the tasks due"),
        }
        match notices.check(now) {
            Ok(due) if !due.is_empty() => {
                // Tasks' texts only when Settings let notifications show customer details.
                let details = core.settings().is_ok_and(|s| s.notification_details);
                let texts: Vec<_> = due.iter().map(|n| notice_text(n, core.lang(), details)).collect();
                notify::show(&app, &texts);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(code = %e.code(), "could not tell which tasks fell due"),
        }
        tokio::time::sleep(LOOK).await;
    }
}
