//! Pure types and rules: what the user types and configures, what the app shows, and how each
//! is validated. No I/O here — nothing in `domain` reads a file, a socket or the keychain — so
//! every rule is tested directly. Imports only `error` and `clock`.

pub mod account;
pub mod change;
pub mod desktop;
pub mod draft;
pub mod fields;
pub mod lang;
pub mod lead_card;
pub mod limits;
pub mod my_tasks;
pub mod notice;
pub mod outbox;
pub mod people;
pub mod phone;
pub mod platform;
pub mod reference;
pub mod secret;
pub mod settings;
pub mod steps;
pub mod task;
pub mod text;
pub mod tokens;
pub mod update;
pub mod views;
pub mod zone;
