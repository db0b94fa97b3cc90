//! Tracing to `<data dir>/logs/amo-connect.log`. Nothing in the core logs a token, a code, a
//! secret or a callback URL (types holding them redact their `Debug`); this module only decides
//! where lines go. `AMO_CONNECT_LOG` sets the filter (default `info`).

use std::fs::{self, OpenOptions};
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

use crate::paths::DataDir;

const MAX_LOG_BYTES: u64 = 5 * 1024 * 1024;

/// Installs the global subscriber once; later calls do nothing. Returns false if the log file
/// could not be opened (the app still runs, without a log).
pub fn init(data: &DataDir) -> bool {
    let path = data.log_dir().join("amo-connect.log");
    if fs::metadata(&path).map(|m| m.len() > MAX_LOG_BYTES).unwrap_or(false) {
        let _ = fs::rename(&path, data.log_dir().join("amo-connect.log.1"));
    }
    let Ok(file) = OpenOptions::new().create(true).append(true).open(&path) else {
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
