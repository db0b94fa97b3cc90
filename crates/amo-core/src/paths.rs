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
    /// so the keychain namespace is the same however the path was spelled. It holds customer
    /// data and the request budget every process trusts, so on Unix it must be the user's alone
    /// (`ensure_private`): one others can write to is made private again, one that belongs to
    /// someone else is refused, naming it.
    pub fn at(root: impl AsRef<Path>) -> Result<DataDir> {
        let root = root.as_ref();
        let fail = |at: &Path, detail: String| {
            Error::from(LocalError::DataDir { path: Some(at.display().to_string()), detail })
        };
        if let Some(parent) = root.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| fail(root, e.to_string()))?;
        }
        make_private_dir(root).map_err(|e| fail(root, e.to_string()))?;
        let root = std::fs::canonicalize(root).map_err(|e| fail(root, e.to_string()))?;
        ensure_private(&root).map_err(|detail| fail(&root, detail))?;
        let logs = root.join("logs");
        make_private_dir(&logs).map_err(|e| fail(&logs, e.to_string()))?;
        ensure_private(&logs).map_err(|detail| fail(&logs, detail))?;
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

/// Makes `dir` (mode 0700 on Unix) unless it exists.
fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    match b.create(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        r => r,
    }
}

/// On Unix: `dir` (already resolved) belongs to this user and nobody else can write to it. A
/// directory others may write to is made 0700 (and said so in the log); one that belongs to
/// someone else is refused: its owner could swap the database or plant a link in it.
#[cfg(unix)]
fn ensure_private(dir: &Path) -> std::result::Result<(), String> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let meta = std::fs::symlink_metadata(dir).map_err(|e| e.to_string())?;
    if !meta.is_dir() {
        return Err("it is not a directory".into());
    }
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Err(format!(
            "it belongs to another user (uid {}, this is uid {me}); the data directory must be yours alone",
            meta.uid()
        ));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("others can write to it and it cannot be made private: {e}"))?;
        tracing::warn!(path = %dir.display(), "the data directory was open to others; it is private again (0700)");
    }
    Ok(())
}

#[cfg(not(unix))]
fn ensure_private(_dir: &Path) -> std::result::Result<(), String> {
    // Windows: the folder under the user's profile inherits an ACL for that user alone.
    Ok(())
}

/// Opens a file of the data directory without following a symlink in its place (O_NOFOLLOW on
/// Unix: a link planted there would make the app read or write wherever it points, with the
/// user's rights); a file it creates is the user's alone (0600). A link is refused with an
/// error naming the path.
pub fn open_file(path: &Path, opts: &mut std::fs::OpenOptions) -> std::io::Result<std::fs::File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // The flag's bits fit an i32 on every Unix (0x100 … 0x20000).
        opts.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32).mode(0o600);
    }
    opts.open(path).map_err(|e| if is_symlink(path) { symlink_refused(path) } else { e })
}

/// The error for a symlink found where a file of the data directory belongs.
pub fn symlink_refused(path: &Path) -> std::io::Error {
    std::io::Error::other(format!("{} is a symbolic link; refusing to follow it", path.display()))
}

/// Whether a symlink stands at `path` (a file the app is about to create or open there).
pub fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
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

    /// The directory holds the customer data and the request budget every process trusts: only
    /// its owner may write there. A new one is made private; one others can write to is made
    /// private again; one that belongs to someone else is refused, naming it.
    #[cfg(unix)]
    #[test]
    fn the_data_directory_is_private_to_its_owner() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        let tmp = tempfile::tempdir().expect("tempdir");
        let fresh = DataDir::at(tmp.path().join("fresh")).expect("fresh");
        assert_eq!((mode(fresh.root()), mode(&fresh.log_dir())), (0o700, 0o700));

        let open = tmp.path().join("open");
        std::fs::create_dir_all(open.join("logs")).expect("mkdir");
        for p in [open.clone(), open.join("logs")] {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        }
        let repaired = DataDir::at(&open).expect("repaired");
        assert_eq!((mode(repaired.root()), mode(&repaired.log_dir())), (0o700, 0o700));

        // Someone else's directory (only root can make one here), also when reached by a link.
        let me = std::fs::metadata(tmp.path()).expect("meta").uid();
        if me == 0 {
            let theirs = tmp.path().join("theirs");
            std::fs::create_dir(&theirs).expect("mkdir");
            std::os::unix::fs::chown(&theirs, Some(4242), Some(4242)).expect("chown");
            let link = tmp.path().join("link");
            std::os::unix::fs::symlink(&theirs, &link).expect("symlink");
            for p in [&theirs, &link] {
                let e = DataDir::at(p).expect_err("someone else's");
                assert_eq!(e.code().as_str(), "data_dir");
                let text = e.message(crate::Lang::En);
                assert!(text.contains(&theirs.display().to_string()) && text.contains("4242"), "{text}");
            }
            // Its logs folder alone someone else's: refused too.
            let mine = tmp.path().join("mine");
            std::fs::create_dir_all(mine.join("logs")).expect("mkdir");
            std::os::unix::fs::chown(mine.join("logs"), Some(4242), Some(4242)).expect("chown");
            assert_eq!(DataDir::at(&mine).expect_err("their logs").code().as_str(), "data_dir");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_planted_in_place_of_a_file_is_not_followed() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let target = tmp.path().join("elsewhere");
        std::fs::write(&target, "precious").expect("write");
        let link = tmp.path().join("planted");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        let e = open_file(&link, std::fs::OpenOptions::new().create(true).append(true)).expect_err("a link");
        assert!(e.to_string().contains("planted"), "{e}");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "precious");
        open_file(&tmp.path().join("plain"), std::fs::OpenOptions::new().create(true).append(true)).expect("a file");
    }
}
