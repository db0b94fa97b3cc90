//! Tracing to `<data dir>/logs/amo-connect.log`. Nothing in the core logs a token, a code, a
//! secret or a callback URL (types holding them redact their `Debug`); this module only decides
//! where lines go. `AMO_CONNECT_LOG` sets the filter (default `info`).
//!
//! The log is rotated by size while the app runs (it runs for weeks in the tray): past
//! [`MAX_LOG_BYTES`] the file becomes `amo-connect.log.1` (replacing the older one) and a new file
//! is started. At most two files, so at most twice that on disk.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

use crate::paths::{open_file, DataDir};

pub const MAX_LOG_BYTES: u64 = 5 * 1024 * 1024;

/// A log file that starts over (keeping one previous file) when it grows past its limit. Opened
/// without following a symlink planted in its place (`paths::open_file`).
pub struct RotatingFile {
    path: PathBuf,
    file: File,
    size: u64,
    max: u64,
}

impl RotatingFile {
    pub fn open(path: PathBuf, max: u64) -> std::io::Result<RotatingFile> {
        let file = open_file(&path, OpenOptions::new().create(true).append(true))?;
        let size = file.metadata()?.len();
        let mut f = RotatingFile { path, file, size, max };
        if f.size > f.max {
            f.rotate()?;
        }
        Ok(f)
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        let mut old = self.path.clone().into_os_string();
        old.push(".1");
        fs::rename(&self.path, old)?;
        self.file = open_file(&self.path, OpenOptions::new().create(true).append(true))?;
        self.size = 0;
        Ok(())
    }
}

impl Write for RotatingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.size > 0 && self.size + buf.len() as u64 > self.max {
            // If rotating fails (say, the folder became read-only), keep writing where we are.
            let _ = self.rotate();
        }
        let n = self.file.write(buf)?;
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Installs the global subscriber once; later calls do nothing. Returns false if the log file
/// could not be opened (the app still runs, without a log).
pub fn init(data: &DataDir) -> bool {
    let Ok(file) = RotatingFile::open(data.log_dir().join("amo-connect.log"), MAX_LOG_BYTES) else {
        return false;
    };
    let filter = EnvFilter::try_from_env("AMO_CONNECT_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_target(false)
        .with_writer(Mutex::new(file))
        .try_init()
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_starts_over_past_its_size_keeping_one_previous_file() {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join("a.log");
        let mut f = RotatingFile::open(path.clone(), 1000).expect("open");
        let line = [b'x'; 99];
        for _ in 0..25 {
            f.write_all(&line).expect("write");
            f.write_all(b"\n").expect("nl");
        }
        let (now, prev) =
            (fs::metadata(&path).expect("log").len(), fs::metadata(tmp.path().join("a.log.1")).expect("old").len());
        assert!(now <= 1000 && prev <= 1000, "{now} {prev}");
        assert_eq!(fs::read_dir(tmp.path()).expect("dir").count(), 2, "only the log and one previous file");
        // Reopening an oversized log rotates it at once.
        drop(f);
        fs::write(&path, vec![b'y'; 2000]).expect("big");
        let f = RotatingFile::open(path.clone(), 1000).expect("reopen");
        assert_eq!(f.size, 0);
        assert_eq!(fs::metadata(tmp.path().join("a.log.1")).expect("old").len(), 2000);
    }

    /// A symlink planted in place of the log is not followed (the log would write wherever it
    /// points, as the user): the log is not opened, and the file pointed to is untouched.
    /// (Rotating renames the log and makes a new file: a link planted meanwhile is renamed.)
    #[cfg(unix)]
    #[test]
    fn a_symlink_in_place_of_the_log_is_refused() {
        let tmp = tempfile::tempdir().expect("tmp");
        let target = tmp.path().join("elsewhere");
        fs::write(&target, "precious").expect("write");
        let path = tmp.path().join("a.log");
        std::os::unix::fs::symlink(&target, &path).expect("symlink");
        assert!(RotatingFile::open(path, 1000).is_err());
        assert_eq!(fs::read_to_string(&target).expect("read"), "precious");
    }
}
