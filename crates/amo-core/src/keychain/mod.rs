//! The OS keychain, and the only code that touches it. Secrets — the OAuth tokens and the
//! integration's Secret key — live nowhere else. There is deliberately no plaintext fallback: if
//! the keychain is missing or locked the caller gets `keychain_unavailable` / `keychain_locked`.
//!
//! [`SecretStore`] is the seam: production uses [`keyring_store::KeyringStore`] wrapped in
//! [`chunked::ChunkedStore`] (Windows' 2560-byte limit); tests use [`memory::MemoryStore`].
//! [`Keychain`] is what services use: typed entries, and the blocking keychain IPC kept off the
//! async workers, each call given up on after [`KEYCHAIN_TIMEOUT`] (`keychain_timeout`).

pub mod chunked;
pub mod keyring_store;
pub mod memory;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::domain::tokens::TokenSet;
use crate::error::{Error, KeychainError, Result};

/// How long one keychain call may take. A Secret Service that hangs (a stuck D-Bus peer, an
/// unlock prompt nobody sees) must not hold the app forever; an unlock prompt answered in time
/// still fits.
pub const KEYCHAIN_TIMEOUT: Duration = Duration::from_secs(30);

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
    /// How long one call may take before the caller is told the keychain does not answer.
    timeout: Duration,
}

impl Keychain {
    pub fn new(store: Arc<dyn SecretStore>) -> Keychain {
        Keychain { store, timeout: KEYCHAIN_TIMEOUT }
    }

    /// The same keychain with another limit on each call (tests).
    pub fn with_timeout(self, timeout: Duration) -> Keychain {
        Keychain { timeout, ..self }
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

    // Keychain calls are blocking IPC (D-Bus on Linux): keep them off the async workers, and
    // give up on one that does not answer in time.
    async fn get(&self, key: &'static str) -> Result<Option<Vec<u8>>> {
        self.call(move |s| s.get(key)).await
    }

    async fn set(&self, key: &'static str, value: Vec<u8>) -> Result<()> {
        self.call(move |s| s.set(key, &value)).await
    }

    async fn delete(&self, key: &'static str) -> Result<()> {
        self.call(move |s| s.delete(key)).await
    }

    /// Runs `f` on a thread of its own and waits at most [`Keychain::timeout`] for it. A plain
    /// thread, not Tokio's blocking pool: a call that never returns would hold the runtime's
    /// shutdown (and so the process's exit) forever; a thread is simply left behind. While
    /// [`MAX_STUCK`] calls are stuck, later ones fail at once rather than pile up threads.
    async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn SecretStore) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let secs = self.timeout.as_secs().max(1);
        if STUCK.load(Ordering::Relaxed) >= MAX_STUCK {
            return Err(KeychainError::KeychainTimeout { secs }.into());
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        let store = self.store.clone();
        let done = Arc::new(AtomicBool::new(false));
        let finished = done.clone();
        std::thread::Builder::new()
            .name("keychain".into())
            .spawn(move || {
                let out = f(store.as_ref());
                // A call given up on stops counting as stuck once it does return.
                if finished.swap(true, Ordering::AcqRel) {
                    STUCK.fetch_sub(1, Ordering::Relaxed);
                }
                let _ = tx.send(out);
            })
            .map_err(Error::internal)?;
        match tokio::time::timeout(self.timeout, rx).await {
            Ok(Ok(out)) => out,
            Ok(Err(_)) => Err(Error::internal("the keychain call ended without an answer")),
            Err(_) => {
                if !done.swap(true, Ordering::AcqRel) {
                    STUCK.fetch_add(1, Ordering::Relaxed);
                }
                tracing::warn!(secs, "the keychain did not answer in time; the call is given up on");
                Err(KeychainError::KeychainTimeout { secs }.into())
            }
        }
    }
}

/// Keychain calls given up on that have not returned yet (in this process).
static STUCK: AtomicUsize = AtomicUsize::new(0);
/// With this many stuck, the keychain is taken as hung: later calls fail at once.
const MAX_STUCK: usize = 4;

#[cfg(test)]
mod tests {
    use super::*;

    /// A Secret Service that never answers: every call blocks until the test ends.
    struct Hanging(std::sync::Mutex<std::sync::mpsc::Receiver<()>>);

    impl SecretStore for Hanging {
        fn get(&self, _: &str) -> Result<Option<Vec<u8>>> {
            let _ = self.0.lock().map(|r| r.recv());
            Ok(None)
        }
        fn set(&self, _: &str, _: &[u8]) -> Result<()> {
            let _ = self.0.lock().map(|r| r.recv());
            Ok(())
        }
        fn delete(&self, _: &str) -> Result<()> {
            let _ = self.0.lock().map(|r| r.recv());
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_keychain_that_hangs_is_given_up_on_with_a_clear_error() {
        let (_release, rx) = std::sync::mpsc::channel();
        let kc = Keychain::new(Arc::new(Hanging(std::sync::Mutex::new(rx)))).with_timeout(Duration::from_millis(200));
        let start = std::time::Instant::now();
        let guard = Duration::from_secs(5);
        let read = tokio::time::timeout(guard, kc.client_secret()).await.expect("the caller is not held");
        let err = read.expect_err("no answer");
        assert_eq!(err.code().as_str(), "keychain_timeout");
        assert!(err.message(crate::Lang::En).contains("did not answer"), "{}", err.message(crate::Lang::En));
        // Writes and deletes too; each call waits its own limit, not the ones before it.
        let write = tokio::time::timeout(guard, kc.save_client_secret("s")).await.expect("not held");
        assert_eq!(write.expect_err("no answer").code().as_str(), "keychain_timeout");
        let delete = tokio::time::timeout(guard, kc.delete_tokens()).await.expect("not held");
        assert_eq!(delete.expect_err("no answer").code().as_str(), "keychain_timeout");
        assert!(start.elapsed() < Duration::from_secs(3), "{:?}", start.elapsed());
    }

    #[tokio::test]
    async fn a_keychain_that_answers_is_read_as_before() {
        let kc = Keychain::new(Arc::new(memory::MemoryStore::new())).with_timeout(Duration::from_secs(5));
        kc.save_client_secret("s3cret").await.expect("save");
        assert_eq!(kc.client_secret().await.expect("read").as_deref(), Some("s3cret"));
    }
}
