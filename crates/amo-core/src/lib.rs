//! Amo Connect's core: everything that can be built and tested without a window, WebKit or a
//! terminal. The Tauri app (`src-tauri/`) and the CLI (`crates/amo-cli`) are thin shells over
//! [`AmoConnect`].
//!
//! Rooms, and what may touch what:
//! - `domain` — pure types and rules (drafts, settings, tokens, views). No I/O.
//! - `store` — the SQLite file; the only code that runs SQL.
//! - `keychain` — the OS keychain; the only code that reads or writes secrets.
//! - `amocrm` — all outbound network to amoCRM (API, token endpoint, limiter, JSON).
//! - `auth` — signing in (incl. the loopback listener, the only inbound socket), `session` and
//!   its `keep_alive` loop.
//! - `quit` — what quitting waits for; `startup` — what a window that cannot open its data says.
//! - `config`, `reference`, `outbox`, `people`, `notices`, `changes` — services over the shared context
//!   (`context`).
//! - `error` + `i18n` — stable codes, and text rendered from them when shown.
//! - `ipc` — the window's command and event contract, exported to TypeScript.
//! - `app` — the composition root.

pub mod amocrm;
pub mod app;
pub mod auth;
pub mod changes;
pub mod clock;
pub mod config;
mod context;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod ipc;
pub mod keychain;
pub mod lead_card;
pub mod logging;
pub mod my_tasks;
pub mod notices;
pub mod outbox;
pub mod paths;
pub mod people;
pub mod quit;
pub mod reference;
pub mod startup;
pub mod store;

pub use app::AmoConnect;
pub use domain::lang::Lang;
pub use error::{Error, ErrorCode, ErrorPayload, Result};
