//! The OS keychain, and the only code that touches it. Secrets — the OAuth tokens and the
//! integration's Secret key — live nowhere else. There is deliberately no plaintext fallback: if
//! the keychain is missing or locked the caller gets `keychain_unavailable` / `keychain_locked`.
//!
//! [`SecretStore`] is the seam: production uses [`keyring_store::KeyringStore`] wrapped in
//! [`chunked::ChunkedStore`] (Windows' 2560-byte limit); tests use [`memory::MemoryStore`].
//! [`Keychain`] is what services use: typed entries, and the blocking keychain IPC kept off the
//! async workers.

pub mod chunked;
pub mod keyring_store;
pub mod memory;

use std::sync::Arc;

use crate::domain::tokens::TokenSet;
use crate::error::{Error, KeychainError, Result};

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

/// The app's entries in a [`SecretStore`].
#[derive(Clone)]
pub struct Keychain {
    store: Arc<dyn SecretStore>,
}

impl Keychain {
    pub fn new(store: Arc<dyn SecretStore>) -> Keychain {
        Keychain { store }
    }

    /// The OS keychain, entries namespaced (see [`keyring_store::KeyringStore`]).
    pub fn os(namespace: &str) -> Keychain {
        Keychain::new(Arc::new(chunked::ChunkedStore::new(keyring_store::KeyringStore::new(namespace))))
    }

    pub async fn tokens(&self) -> Result<Option<TokenSet>> {
        match self.get(TOKENS_KEY).await? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|_| {
                KeychainError::KeychainCorrupt { detail: "the tokens entry is not readable".into() }.into()
            }),
        }
    }

    pub async fn save_tokens(&self, tokens: &TokenSet) -> Result<()> {
        let json = serde_json::to_vec(tokens).map_err(Error::internal)?;
        self.set(TOKENS_KEY, json).await
    }

    pub async fn delete_tokens(&self) -> Result<()> {
        self.delete(TOKENS_KEY).await
    }

    pub async fn client_secret(&self) -> Result<Option<String>> {
        Ok(self.get(CLIENT_SECRET_KEY).await?.and_then(|b| String::from_utf8(b).ok()))
    }

    pub async fn save_client_secret(&self, secret: &str) -> Result<()> {
        self.set(CLIENT_SECRET_KEY, secret.as_bytes().to_vec()).await
    }

    // Keychain calls are blocking IPC (D-Bus on Linux): keep them off the async workers.
    async fn get(&self, key: &'static str) -> Result<Option<Vec<u8>>> {
        let s = self.store.clone();
        tokio::task::spawn_blocking(move || s.get(key)).await.map_err(Error::internal)?
    }

    async fn set(&self, key: &'static str, value: Vec<u8>) -> Result<()> {
        let s = self.store.clone();
        tokio::task::spawn_blocking(move || s.set(key, &value)).await.map_err(Error::internal)?
    }

    async fn delete(&self, key: &'static str) -> Result<()> {
        let s = self.store.clone();
        tokio::task::spawn_blocking(move || s.delete(key)).await.map_err(Error::internal)?
    }
}
