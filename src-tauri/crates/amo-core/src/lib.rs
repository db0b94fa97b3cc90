//! Amo Connect's core: everything that can be built and tested without a window or WebKit —
//! settings, the SQLite store, OAuth (state, loopback callback, token endpoint), the keychain,
//! the amoCRM API client, the CLI. The Tauri app (`src-tauri/`) is a thin shell over
//! [`service::AmoConnect`].

pub mod account_store;
pub mod api;
pub mod browser;
pub mod cli;
pub mod config;
pub mod db;
pub mod endpoints;
pub mod error;
pub mod http;
pub mod lang;
pub mod leads;
pub mod logging;
pub mod model;
pub mod oauth;
pub mod outbox;
pub mod paths;
pub mod reference;
pub mod secrets;
pub mod service;
pub mod session;
pub mod tokens;
pub mod updates;

pub use error::{Error, ErrorPayload, Result};
pub use lang::Lang;
pub use service::{AmoConnect, SettingsView, StatusView};
