//! What the window's commands share: the core, and the one sign-in that may be waiting.

use std::sync::{Arc, Mutex};

use amo_core::domain::views::OpenRequest;
use amo_core::{AmoConnect, Error, ErrorPayload};
use tauri::async_runtime::JoinHandle;

pub struct AppState {
    core: Arc<AmoConnect>,
    /// The sign-in waiting for amoCRM's redirect, if any. At most one: a new Connect cancels it.
    pending: Mutex<Option<JoinHandle<()>>>,
    /// What the window was started to show (`amo-connect new …`), until the UI asks.
    open_request: Mutex<Option<OpenRequest>>,
}

impl AppState {
    pub fn new(core: Arc<AmoConnect>, open_request: Option<OpenRequest>) -> AppState {
        AppState { core, pending: Mutex::new(None), open_request: Mutex::new(open_request) }
    }

    /// The start request, once.
    pub fn take_open_request(&self) -> Option<OpenRequest> {
        self.open_request.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    pub fn core(&self) -> &Arc<AmoConnect> {
        &self.core
    }

    /// Remembers the task waiting for a sign-in's redirect.
    pub fn set_pending(&self, task: JoinHandle<()>) {
        *self.pending.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
    }

    /// Stops the waiting sign-in, if any, and returns once its listener is closed (the task is
    /// dropped), so a new sign-in can bind the same port at once.
    pub async fn cancel_pending(&self) -> bool {
        let handle = self.pending.lock().unwrap_or_else(|p| p.into_inner()).take();
        match handle {
            Some(h) => {
                h.abort();
                let _ = h.await;
                true
            }
            None => false,
        }
    }

    /// A sign-in ended elsewhere (a deep link): stop its listener, if it had one.
    pub fn forget_pending(&self) {
        if let Some(h) = self.pending.lock().unwrap_or_else(|p| p.into_inner()).take() {
            h.abort();
        }
    }

    /// An error as the window receives it, in the current language. The log keeps the detail
    /// (amoCRM's hint, the OS error), which the Russian message leaves out.
    pub fn payload(&self, e: Error) -> ErrorPayload {
        tracing::info!(code = %e.code(), "command failed: {e}");
        e.to_payload(self.core.lang())
    }
}
