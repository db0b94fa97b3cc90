//! `amoconnect://oauth/callback?…` links, from a running app (forwarded by single-instance) or
//! at a cold start. Every link is checked by the core (scheme, path, single-use unexpired state);
//! anything else is ignored with a logged reason — never the URL itself, which holds a code.

use amo_core::auth::loopback::Verdict;
use amo_core::domain::views::ConnectOutcome;
use tauri::{App, AppHandle, Manager};
use tauri_plugin_deep_link::DeepLinkExt;

use crate::events;
use crate::state::AppState;

pub fn install(app: &mut App) -> Result<(), Box<dyn std::error::Error>> {
    // The .deb/.rpm desktop entry and the Windows/macOS installers register the scheme. Builds
    // no installer placed — dev builds, and the AppImage — register it at run time
    // (docs/tauri-platform.md §2.4), so an installed app never rewrites the user's MIME defaults.
    #[cfg(any(target_os = "linux", all(debug_assertions, windows)))]
    if cfg!(debug_assertions) || std::env::var_os("APPIMAGE").is_some() {
        if let Err(e) = app.deep_link().register_all() {
            tracing::warn!("could not register the amoconnect:// scheme: {e}");
        }
    }
    let handle = app.handle().clone();
    app.deep_link().on_open_url(move |event| {
        for url in event.urls() {
            handle_link(handle.clone(), url.to_string());
        }
    });
    // Started by the link itself.
    if let Ok(Some(urls)) = app.deep_link().get_current() {
        for url in urls {
            handle_link(app.handle().clone(), url.to_string());
        }
    }
    Ok(())
}

fn handle_link(app: AppHandle, url: String) {
    let core = app.state::<AppState>().core().clone();
    tauri::async_runtime::spawn(async move {
        match core.complete_deep_link(&url).await {
            Verdict::Reject(e) => tracing::warn!(code = %e.code(), "deep link ignored"),
            Verdict::Finish(result) => {
                app.state::<AppState>().forget_pending();
                let outcome = match result {
                    Ok(status) => ConnectOutcome { status, error: None },
                    Err(e) => ConnectOutcome { status: core.status().await, error: Some(e.to_payload(core.lang())) },
                };
                events::connect_finished(&app, &outcome);
            }
        }
    });
}
