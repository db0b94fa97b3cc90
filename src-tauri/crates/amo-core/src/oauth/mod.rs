//! amoCRM OAuth 2.0 (authorization code): state, callback validation, the loopback listener and
//! the token endpoint. amoCRM documents no PKCE, so `state` is the CSRF guard
//! (shared/DESIGN.md, "Redirect paths").

pub mod callback;
pub mod loopback;
pub mod state_store;
pub mod token_client;
