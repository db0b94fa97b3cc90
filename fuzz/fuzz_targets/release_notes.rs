//! Release notes from the update feed (`latest.json`'s `notes`), shown in the update dialog.
//! The feed is signed per package but its notes are whatever the release says. Runs the real
//! `domain::update::clean_notes` through `UpdateOffer::new`.
//!
//! Checked: at most `NOTES_MAX_CHARS` characters (plus the ellipsis); no control characters but
//! line ends and tabs; no blank lines at either end, never two blank lines in a row, no trailing
//! spaces on a line; cleaning clean notes changes nothing; every line kept is a line given.
#![no_main]

use amo_core::domain::update::{clean_notes, UpdateOffer, NOTES_MAX_CHARS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    let offer = UpdateOffer::new("0.1.0".into(), "0.2.0".into(), None, Some(raw));
    let notes = offer.notes;
    assert_eq!(notes, clean_notes(raw));
    let n = notes.chars().count();
    let cut = n > NOTES_MAX_CHARS;
    assert!(n <= NOTES_MAX_CHARS + 1, "{n} characters");
    if cut {
        assert!(notes.ends_with('…'));
    }
    assert!(notes.chars().all(|c| !c.is_control() || c == '\n' || c == '\t'), "{notes:?}");
    assert!(!notes.starts_with('\n') && !notes.ends_with('\n'), "{notes:?}");
    assert!(!notes.contains("\n\n\n"), "two blank lines in a row: {notes:?}");
    let body = if cut { notes.strip_suffix('…').unwrap_or(&notes) } else { notes.as_str() };
    let lines: Vec<&str> = body.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        // The last line of cut notes may end mid-line, where a space can be.
        if !(cut && i + 1 == lines.len()) {
            assert_eq!(line.trim_end(), *line, "trailing space in {line:?}");
        }
    }
    if !cut {
        assert_eq!(clean_notes(&notes), notes, "cleaning clean notes changed them");
        // Each line is the line given, less control characters and trailing space.
        let given: Vec<String> = raw
            .replace("\r\n", "\n")
            .chars()
            .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
            .collect::<String>()
            .lines()
            .map(|l| l.trim_end().to_string())
            .collect();
        for line in lines.iter().filter(|l| !l.is_empty()) {
            assert!(given.iter().any(|g| g == line), "{line:?} was not in the notes");
        }
    }
});
