//! When the window cannot open its data at start (the disk is full, the folder or disk is
//! read-only or another user's, the database is damaged or was written by a newer version),
//! nothing else can run: the user gets a dialog saying what and where, with the folder to
//! open — not a line on a stderr nobody sees. This is what the dialog says; the shell shows it
//! (`src-tauri/src/startup.rs`).
//!
//! What went wrong is read from the error's detail: SQLite's messages (its fixed `sqlite3_errstr`
//! texts), the OS error numbers Rust puts in every I/O error ("(os error 28)" — locale-free), and
//! the store's own words for a newer schema.

use std::path::{Path, PathBuf};

use crate::domain::lang::Lang;
use crate::error::{Error, LocalError};
use crate::i18n::tr;

/// What kept the data from opening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenProblem {
    /// No space left on the disk.
    DiskFull,
    /// The folder or the file cannot be written: a read-only disk, or another user's files.
    ReadOnly,
    /// The database file is not a database (any more).
    Damaged,
    /// A newer version of the app wrote it.
    Newer,
    /// Anything else (the detail is in the log and, in English, in the dialog).
    Other,
}

/// The dialog's texts, and the folder its first button opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartupDialog {
    pub title: String,
    pub body: String,
    /// The button that opens [`StartupDialog::folder`].
    pub open_folder: String,
    /// The button that just closes the app.
    pub close: String,
    pub folder: PathBuf,
}

/// What kept the data from opening, from the error `AmoConnect::open_default` returned.
pub fn classify(e: &Error) -> OpenProblem {
    let detail = match e {
        Error::Local(LocalError::Storage { detail } | LocalError::DataDir { detail, .. }) => detail.to_lowercase(),
        _ => return OpenProblem::Other,
    };
    let has = |words: &[&str]| words.iter().any(|w| detail.contains(w));
    if has(&["written by a newer amo connect"]) {
        OpenProblem::Newer
    } else if has(&["database or disk is full", "no space left", "(os error 28)", "(os error 112)", "(os error 39)"]) {
        OpenProblem::DiskFull
    } else if has(&[
        "readonly database",
        "read-only",
        "permission denied",
        "access is denied",
        "(os error 30)",
        "(os error 13)",
        "(os error 1)",
        "(os error 5)",
        "(os error 19)",
    ]) {
        OpenProblem::ReadOnly
    } else if has(&["file is not a database", "malformed", "corrupt"]) {
        OpenProblem::Damaged
    } else {
        OpenProblem::Other
    }
}

/// The dialog for `e`, which happened at `place` (the database file, or the data folder), with
/// the log that has the detail at `log`, in `lang`.
pub fn open_failure_dialog(e: &Error, place: &Path, log: Option<&Path>, lang: Lang) -> StartupDialog {
    let path = place.display().to_string();
    let problem = classify(e);
    let (title, what) = match problem {
        OpenProblem::DiskFull => (
            tr(lang, "Amo Connect не может запуститься: диск заполнен", "Amo Connect cannot start: the disk is full"),
            tr(
                lang,
                format!("На диске нет места для данных программы ({path}). Освободите место на этом диске и запустите Amo Connect снова."),
                format!("There is no space left on the disk for the app's data ({path}). Free some space on that disk, then start Amo Connect again."),
            ),
        ),
        OpenProblem::ReadOnly => (
            tr(lang, "Amo Connect не может записать свои данные", "Amo Connect cannot write its data"),
            tr(
                lang,
                format!("Данные программы ({path}) нельзя изменить: диск или папка только для чтения, или они принадлежат другому пользователю. Проверьте права доступа и запустите Amo Connect снова."),
                format!("The app's data ({path}) cannot be written: the disk or folder is read-only, or belongs to another user. Check its permissions, then start Amo Connect again."),
            ),
        ),
        OpenProblem::Damaged => (
            tr(lang, "Данные Amo Connect повреждены", "Amo Connect's data is damaged"),
            tr(
                lang,
                format!("Файл данных {path} повреждён и не читается. В нём могут быть неотправленные записи: сохраните копию файла, прежде чем удалять или заменять его."),
                format!("The data file {path} is damaged and cannot be read. It may hold entries not sent yet: keep a copy of the file before removing or replacing it."),
            ),
        ),
        OpenProblem::Newer => (
            tr(lang, "Данные записаны более новой версией Amo Connect", "The data was written by a newer Amo Connect"),
            tr(
                lang,
                format!("Данные программы ({path}) записаны более новой версией Amo Connect, чем эта. Установите новую версию снова — ваши записи сохранены."),
                format!("The app's data ({path}) was written by a newer version of Amo Connect than this one. Install the newer version again — your entries are kept."),
            ),
        ),
        OpenProblem::Other => (
            tr(lang, "Amo Connect не может открыть свои данные", "Amo Connect cannot open its data"),
            // The OS's and SQLite's words are English: kept out of the Russian text (the log has them).
            tr(
                lang,
                format!("Не удалось открыть данные программы ({path})."),
                format!("The app's data ({path}) cannot be opened: {}", e.message(Lang::En)),
            ),
        ),
    };
    let body = match log {
        Some(log) => format!(
            "{what}\n\n{}",
            tr(
                lang,
                format!("Подробности — в журнале: {}", log.display()),
                format!("Details are in the log: {}", log.display())
            )
        ),
        None => what,
    };
    StartupDialog {
        title,
        body,
        open_folder: tr(lang, "Открыть папку", "Open folder"),
        close: tr(lang, "Закрыть", "Close"),
        folder: nearest_folder(place),
    }
}

/// The folder to open for `place`: the file's folder, or the folder itself — or, if it does not
/// exist (it could not be made), the nearest one above it that does.
fn nearest_folder(place: &Path) -> PathBuf {
    let start = if place.is_dir() { Some(place) } else { place.parent() };
    let mut at = start;
    while let Some(p) = at {
        if p.is_dir() {
            return p.to_path_buf();
        }
        at = p.parent();
    }
    start.unwrap_or(place).to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn storage(detail: &str) -> Error {
        Error::storage(detail)
    }

    fn data_dir(detail: &str) -> Error {
        LocalError::DataDir { path: Some("/x".into()), detail: detail.into() }.into()
    }

    #[test]
    fn each_kind_of_failure_is_told_by_what_happened() {
        let cases = [
            (storage("database or disk is full"), OpenProblem::DiskFull),
            (data_dir("No space left on device (os error 28)"), OpenProblem::DiskFull),
            (storage("attempt to write a readonly database"), OpenProblem::ReadOnly),
            (data_dir("Read-only file system (os error 30)"), OpenProblem::ReadOnly),
            (data_dir("Permission denied (os error 13)"), OpenProblem::ReadOnly),
            (storage("cannot open /x/amo-connect.sqlite3: file is not a database"), OpenProblem::Damaged),
            (storage("database disk image is malformed"), OpenProblem::Damaged),
            (
                storage("the database was written by a newer Amo Connect (schema 99, this build knows 14)"),
                OpenProblem::Newer,
            ),
            (storage("unable to open database file"), OpenProblem::Other),
            (Error::internal("x"), OpenProblem::Other),
        ];
        for (e, want) in cases {
            assert_eq!(classify(&e), want, "{e:?}");
        }
    }

    #[test]
    fn the_dialog_says_what_and_where_and_offers_the_folder() {
        let tmp = tempfile::tempdir().expect("tmp");
        let db = tmp.path().join("amo-connect.sqlite3");
        let log = tmp.path().join("logs").join("amo-connect.log");
        let d = open_failure_dialog(&storage("database or disk is full"), &db, Some(&log), Lang::En);
        assert_eq!(d.title, "Amo Connect cannot start: the disk is full");
        assert!(d.body.contains(&db.display().to_string()), "{}", d.body);
        assert!(d.body.ends_with(&format!("Details are in the log: {}", log.display())), "{}", d.body);
        assert_eq!((d.open_folder.as_str(), d.close.as_str()), ("Open folder", "Close"));
        assert_eq!(d.folder, tmp.path(), "the database's folder");

        let ru = open_failure_dialog(&storage("file is not a database"), &db, None, Lang::Ru);
        assert_eq!(ru.title, "Данные Amo Connect повреждены");
        assert!(ru.body.contains(&db.display().to_string()) && ru.body.contains("сохраните копию"), "{}", ru.body);
        assert_eq!((ru.open_folder.as_str(), ru.close.as_str()), ("Открыть папку", "Закрыть"));

        // English detail stays out of the Russian text; the English one names it.
        let other = storage("unable to open database file");
        assert!(!open_failure_dialog(&other, &db, None, Lang::Ru).body.contains("unable"));
        assert!(open_failure_dialog(&other, &db, None, Lang::En).body.contains("unable to open database file"));

        // A data folder that could not be made: the nearest folder that exists is opened.
        let missing = tmp.path().join("gone").join("deeper");
        let d = open_failure_dialog(&data_dir("Read-only file system (os error 30)"), &missing, None, Lang::En);
        assert_eq!(d.title, "Amo Connect cannot write its data");
        assert_eq!(d.folder, tmp.path());
        let newer = open_failure_dialog(&storage("written by a newer Amo Connect (schema 99)"), &db, None, Lang::En);
        assert!(newer.body.contains("Install the newer version again"), "{}", newer.body);
    }
}
