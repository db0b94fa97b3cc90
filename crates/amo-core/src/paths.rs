//! Where the app keeps its files. One data directory holds the SQLite file, the log and (later)
//! lock files; it also names the keychain namespace, so a test's data directory never touches a
//! real profile.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, LocalError, Result};

/// Tauri's bundle identifier; the default data directory matches Tauri's `app_data_dir()` so the
/// CLI and the window share one profile.
pub const APP_IDENTIFIER: &str = "com.amoconnect.desktop";
pub const DATA_DIR_ENV: &str = "AMO_CONNECT_DATA_DIR";

#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// `AMO_CONNECT_DATA_DIR` if set, else the platform data directory.
    pub fn from_env() -> Result<DataDir> {
        match std::env::var_os(DATA_DIR_ENV) {
            Some(v) if !v.is_empty() => DataDir::at(PathBuf::from(v)),
            _ => {
                let base = dirs::data_dir().ok_or_else(|| {
                    Error::from(LocalError::DataDir {
                        path: None,
                        detail: format!("this system has no data directory; set {DATA_DIR_ENV}"),
                    })
                })?;
                DataDir::at(base.join(APP_IDENTIFIER))
            }
        }
    }

    /// Creates the directory (private to the user on Unix) and resolves it to an absolute path,
    /// so the keychain namespace is the same however the path was spelled.
    pub fn at(root: impl AsRef<Path>) -> Result<DataDir> {
        let root = root.as_ref();
        let fail = |e: std::io::Error| {
            Error::from(LocalError::DataDir { path: Some(root.display().to_string()), detail: e.to_string() })
        };
        std::fs::create_dir_all(root).map_err(fail)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o700));
        }
        let root = std::fs::canonicalize(root).map_err(fail)?;
        std::fs::create_dir_all(root.join("logs")).map_err(fail)?;
        Ok(DataDir { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn db_path(&self) -> PathBuf {
        self.root.join("amo-connect.sqlite3")
    }

    /// The amoCRM request budget all processes on this directory share (`amocrm::budget`).
    pub fn budget_path(&self) -> PathBuf {
        self.root.join("amocrm-budget")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.root.join("logs")
    }

    /// A short, stable name for this data directory, used as the keychain service suffix.
    pub fn keychain_namespace(&self) -> String {
        let digest = Sha256::digest(self.root.to_string_lossy().as_bytes());
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_is_stable_for_the_same_directory_however_spelled() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let a = DataDir::at(tmp.path().join("x")).expect("a");
        let b = DataDir::at(tmp.path().join("x").join("..").join("x")).expect("b");
        let c = DataDir::at(tmp.path().join("y")).expect("c");
        assert_eq!(a.keychain_namespace(), b.keychain_namespace());
        assert_ne!(a.keychain_namespace(), c.keychain_namespace());
        assert_eq!(a.keychain_namespace().len(), 16);
    }
}
