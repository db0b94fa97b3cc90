//! The OS keychain through `keyring` 3: Secret Service on Linux, Keychain on macOS, Credential
//! Manager on Windows. Entries are namespaced by the data directory
//! (`service = "amo-connect/<16 hex>"`), so tests and a second profile never touch a real one.
//!
//! Values are stored as bytes (`set_secret`), not strings: on Windows that doubles the room under
//! the 2560-byte credential limit compared to UTF-16 passwords (docs/tauri-platform.md).

use keyring::Entry;

use super::SecretStore;
use crate::error::{Error, KeychainError, Result};

pub struct KeyringStore {
    service: String,
}

impl KeyringStore {
    pub fn new(namespace: &str) -> KeyringStore {
        KeyringStore { service: format!("amo-connect/{namespace}") }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    fn entry(&self, key: &str) -> Result<Entry> {
        Entry::new(&self.service, key).map_err(map_keyring_error)
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        match self.entry(key)?.get_secret() {
            Ok(v) => Ok(Some(v)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring_error(e)),
        }
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        self.entry(key)?.set_secret(value).map_err(map_keyring_error)
    }

    fn delete(&self, key: &str) -> Result<()> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring_error(e)),
        }
    }
}

/// Turns keyring's platform errors into our two stable codes. The raw D-Bus text stays in the
/// error's detail for the log; the user sees the translated message (docs/testing-on-linux.md
/// lists the strings seen on headless Linux).
pub fn map_keyring_error(e: keyring::Error) -> Error {
    let text = e.to_string();
    let lower = text.to_ascii_lowercase();
    let e = match e {
        keyring::Error::NoStorageAccess(_) => KeychainError::KeychainLocked { detail: text },
        _ if lower.contains("islocked") || lower.contains("locked collection") || lower.contains("is locked") => {
            KeychainError::KeychainLocked { detail: text }
        }
        keyring::Error::TooLong(..) | keyring::Error::Invalid(..) => KeychainError::KeychainRefused { detail: text },
        keyring::Error::BadEncoding(..) => KeychainError::KeychainCorrupt { detail: text },
        _ => KeychainError::KeychainUnavailable { detail: text },
    };
    Error::from(e)
}
