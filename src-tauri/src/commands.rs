//! The window's command surface, generated from the contract
//! (`crates/amo-core/src/ipc/contract.rs`): one `#[tauri::command]` per entry, with exactly the
//! contract's argument and result types, calling `handlers::<name>`. Errors reach the UI as
//! `ErrorPayload` (`{code, message, remedy}`), the message in the user's language.

use amo_core::domain::change::{LeadChangeDraft, LossReason, TaskChangeDraft};
use amo_core::domain::desktop::DesktopView;
use amo_core::domain::draft::{CallDraft, ContactDraft, Draft, FollowupDraft, LeadDraft};
use amo_core::domain::fields::{FormEntity, FormLayout};
use amo_core::domain::lead_card::LeadCard;
use amo_core::domain::my_tasks::TaskList;
use amo_core::domain::outbox::{OutboxItem, OutboxSummary};
use amo_core::domain::people::{CopyStatus, CustomerLookup, SyncReport};
use amo_core::domain::reference::{CompanyMatch, ContactMatch, LeadSummary, RecordKind, ReferenceData, SearchResults};
use amo_core::domain::settings::SettingsPatch;
use amo_core::domain::update::{UpdateCheck, UpdateStatus};
use amo_core::domain::views::{ConnectStarted, OpenRequest, SettingsView, StatusView};
use amo_core::ErrorPayload;
use tauri::{AppHandle, State};

/// The contract's handlers: `handlers.rs`, and the sign-in link's own (`deep_links.rs`).
mod handlers {
    pub use crate::deep_links::take_link_problem;
    pub use crate::handlers::*;
}
use crate::state::AppState;

#[macro_use]
#[allow(unused_macros)]
mod contract {
    include!("../../crates/amo-core/src/ipc/contract.rs");
}

macro_rules! commands {
    ($( $(#[doc = $doc:literal])* $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty ; )*) => {
        $(
            $(#[doc = $doc])*
            #[tauri::command(rename_all = "snake_case")]
            async fn $name(app: AppHandle, state: State<'_, AppState>, $($arg: $ty),*) -> Result<$ret, ErrorPayload> {
                handlers::$name(&app, &state, $($arg),*).await.map_err(|e| state.payload(e))
            }
        )*

        /// The invoke handler with every command of the contract.
        pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }
    };
}

for_each_command!(commands);
