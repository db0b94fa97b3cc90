//! Opening the core at the window's start. Without its data nothing can run, and a window
//! started from a menu has no terminal: so a failure is logged (in the data folder's log, or —
//! when that cannot be written either — in a fallback log in the temp folder), still printed on
//! stderr, and shown in a native dialog saying what and where, with a button that opens the
//! folder (texts: `amo_core::startup`). The dialog needs no running Tauri app: GTK's message
//! dialog on Linux, rfd (the system's alert) elsewhere.

use std::path::PathBuf;
use std::sync::Arc;

use amo_core::error::LocalError;
use amo_core::paths::DataDir;
use amo_core::startup::{open_failure_dialog, StartupDialog};
use amo_core::{AmoConnect, Error, Lang};

/// The core, or — if the data cannot be opened — the explanation, then exit status 1.
pub fn open_or_explain() -> Arc<AmoConnect> {
    match AmoConnect::open_default() {
        Ok(core) => Arc::new(core),
        Err(e) => explain(&e),
    }
}

fn explain(e: &Error) -> ! {
    let lang = Lang::from_env();
    let place = failed_place(e);
    let log = start_log();
    tracing::error!(code = %e.code(), place = %place.display(), "the window cannot open its data: {e}");
    eprintln!("error[{}]: {}", e.code(), e.message(lang));
    let dialog = open_failure_dialog(e, &place, log.as_deref(), lang);
    if show(&dialog) {
        tracing::info!(folder = %dialog.folder.display(), "opening the data folder, as asked");
        if let Err(err) = tauri_plugin_opener::open_path(&dialog.folder, None::<&str>) {
            tracing::warn!("could not open the data folder: {err}");
        }
    }
    std::process::exit(1);
}

/// Where it failed: the data folder an error names, else the database file in the usual folder.
fn failed_place(e: &Error) -> PathBuf {
    match e {
        Error::Local(LocalError::DataDir { path: Some(p), .. }) => PathBuf::from(p),
        _ => DataDir::from_env().map(|d| d.db_path()).unwrap_or_else(|_| std::env::temp_dir()),
    }
}

/// Starts the log before anything else is said: in the data folder when it takes writes, else
/// in a folder of this user's in the temp folder. Where it is, if anywhere.
fn start_log() -> Option<PathBuf> {
    let file = |d: &DataDir| d.log_dir().join("amo-connect.log");
    if let Ok(d) = DataDir::from_env() {
        if amo_core::logging::init(&d) {
            return Some(file(&d));
        }
    }
    let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_default();
    let name: String = user.chars().filter(char::is_ascii_alphanumeric).take(32).collect();
    let fallback = DataDir::at(std::env::temp_dir().join(format!("amo-connect-{name}-startup"))).ok()?;
    amo_core::logging::init(&fallback).then(|| file(&fallback))
}

/// Shows the dialog; true when its "open folder" button was chosen. No display (a console
/// session, say): nothing shown — stderr and the log still say it.
#[cfg(target_os = "linux")]
fn show(d: &StartupDialog) -> bool {
    use gtk::prelude::*;
    if gtk::init().is_err() {
        tracing::warn!("no display for the startup dialog");
        return false;
    }
    let dialog = gtk::MessageDialog::new(
        None::<&gtk::Window>,
        gtk::DialogFlags::MODAL,
        gtk::MessageType::Error,
        gtk::ButtonsType::None,
        &d.title,
    );
    dialog.set_title("Amo Connect");
    dialog.set_secondary_text(Some(&d.body));
    dialog.add_button(&d.close, gtk::ResponseType::Close);
    dialog.add_button(&d.open_folder, gtk::ResponseType::Accept);
    dialog.set_default_response(gtk::ResponseType::Accept);
    let answer = dialog.run();
    dialog.close();
    while gtk::events_pending() {
        gtk::main_iteration();
    }
    answer == gtk::ResponseType::Accept
}

#[cfg(not(target_os = "linux"))]
fn show(d: &StartupDialog) -> bool {
    let answer = rfd::MessageDialog::new()
        .set_level(rfd::MessageLevel::Error)
        .set_title(&d.title)
        .set_description(&d.body)
        .set_buttons(rfd::MessageButtons::OkCancelCustom(d.open_folder.clone(), d.close.clone()))
        .show();
    match answer {
        rfd::MessageDialogResult::Custom(label) => label == d.open_folder,
        rfd::MessageDialogResult::Ok => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn a_data_folder_error_points_at_that_folder() {
        let e = Error::from(LocalError::DataDir { path: Some("/no/such/place".into()), detail: "x".into() });
        assert_eq!(failed_place(&e), Path::new("/no/such/place"));
    }
}
