//! Pushing events to the window: one typed function per event of the contract
//! (`crates/amo-core/src/ipc/contract.rs`), so an event's name and payload type are written once.
//! Changes of the outbox and the connection are pushed from one place, `watch.rs`; the rest
//! (a sign-in's outcome, the tray's requests, the updater's progress) where they happen.

#![allow(dead_code)] // the contract's list; an event may be unused for a while

use amo_core::domain::outbox::OutboxSummary;
use amo_core::domain::people::CopyStatus;
use amo_core::domain::update::{UpdateOffer, UpdateProgress};
use amo_core::domain::views::{ConnectOutcome, OpenRequest, StatusView};
use amo_core::ErrorPayload;
use tauri::{AppHandle, Emitter, Runtime};

#[macro_use]
#[allow(unused_macros)]
mod contract {
    include!("../../crates/amo-core/src/ipc/contract.rs");
}

macro_rules! emitters {
    ($( $(#[doc = $doc:literal])* $key:ident = $name:literal : $ty:ty ; )*) => {
        $(
            $(#[doc = $doc])*
            pub fn $key<R: Runtime>(app: &AppHandle<R>, payload: &$ty) {
                if let Err(e) = app.emit($name, payload) {
                    tracing::warn!(event = $name, "could not push an event to the window: {e}");
                }
            }
        )*
    };
}

for_each_event!(emitters);
