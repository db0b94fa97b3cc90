//! Secrets (OAuth tokens, the integration's Secret key) live only in the OS keychain. This trait
//! keeps everything above it testable with an in-memory store; production uses
//! [`keyring_store::KeyringStore`]. There is deliberately no plaintext fallback: if the keychain is
//! missing or locked the caller gets `keychain_unavailable` / `keychain_locked`.

pub mod chunked;
pub mod keyring_store;
pub mod memory;

use crate::error::Result;

/// Keychain entry holding the OAuth token set as JSON.
pub const TOKENS_KEY: &str = "oauth-tokens";
/// Keychain entry holding the integration's Secret key (`client_secret`).
pub const CLIENT_SECRET_KEY: &str = "client-secret";

pub trait SecretStore: Send + Sync {
    /// `Ok(None)` when there is no such entry.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;
    fn set(&self, key: &str, value: &[u8]) -> Result<()>;
    /// Removing an entry that does not exist is not an error.
    fn delete(&self, key: &str) -> Result<()>;
}
