//! An in-memory [`SecretStore`] for unit tests. Never used by the app.

use std::collections::HashMap;
use std::sync::Mutex;

use super::SecretStore;
use crate::error::{KeychainError, Result};

#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, Vec<u8>>>,
    /// When set, every call fails with this error code (to test keychain failures).
    fail_with: Mutex<Option<&'static str>>,
    /// How many more writes succeed before every write fails as a locked keychain would
    /// (`None`: no limit). Reads keep working: a prompt dismissed, a D-Bus timeout on write.
    writes_left: Mutex<Option<u32>>,
    /// When set, longer values are refused, as Windows' Credential Manager refuses > 2560 bytes.
    max_len: Option<usize>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// A store that refuses values longer than `max_len` bytes.
    pub fn with_limit(max_len: usize) -> MemoryStore {
        MemoryStore { max_len: Some(max_len), ..MemoryStore::default() }
    }

    /// Makes every later call fail as a locked (`"locked"`) or absent (`"absent"`) keychain would.
    pub fn fail(&self, how: Option<&'static str>) {
        *self.fail_with.lock().unwrap_or_else(|p| p.into_inner()) = how;
    }

    /// Lets `n` more writes through, then refuses writes (`None`: all writes work again).
    pub fn fail_writes_after(&self, n: Option<u32>) {
        *self.writes_left.lock().unwrap_or_else(|p| p.into_inner()) = n;
    }

    fn check_write(&self) -> Result<()> {
        let mut left = self.writes_left.lock().unwrap_or_else(|p| p.into_inner());
        match left.as_mut() {
            Some(0) => Err(KeychainError::KeychainLocked { detail: "test store refuses writes".into() }.into()),
            Some(n) => {
                *n -= 1;
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn check(&self) -> Result<()> {
        match *self.fail_with.lock().unwrap_or_else(|p| p.into_inner()) {
            Some("locked") => Err(KeychainError::KeychainLocked { detail: "test store locked".into() }.into()),
            Some(_) => Err(KeychainError::KeychainUnavailable { detail: "test store absent".into() }.into()),
            None => Ok(()),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.check()?;
        Ok(self.entries.lock().unwrap_or_else(|p| p.into_inner()).get(key).cloned())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        self.check()?;
        self.check_write()?;
        if let Some(max) = self.max_len {
            if value.len() > max {
                return Err(KeychainError::KeychainRefused { detail: format!("{} bytes > {max}", value.len()) }.into());
            }
        }
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).insert(key.to_string(), value.to_vec());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<()> {
        self.check()?;
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
        Ok(())
    }
}
