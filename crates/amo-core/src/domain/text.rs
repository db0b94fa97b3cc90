//! Text as it is kept and sent to amoCRM: names and tags on one line, notes and task texts with
//! their lines, never a control character or a direction override. A leaf of `domain`: drafts,
//! tasks and calls all clean their text here.

use crate::error::is_bidi_control;

/// A name or a tag as it is kept and sent: one line, trimmed, without control characters (an
/// escape sequence pasted with it would rewrite a terminal, a NUL cut it short) or direction
/// overrides and isolates (`Order\u{202e}fdp.exe` shows as `Orderexe.pdf`). Line breaks and
/// tabs become spaces (a Windows line end one space): a name on two lines looks like two rows
/// wherever it is listed.
pub fn clean_name(s: &str) -> String {
    let kept: String = s
        .replace("\r\n", "\n")
        .chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' => Some(' '),
            c if c.is_control() || is_bidi_control(c) => None,
            c => Some(c),
        })
        .collect();
    kept.trim().to_string()
}

/// A note, a task's text or a call's result as it is kept and sent: its lines (Windows' and old
/// Mac line ends become `\n`), trimmed, without any other control character and without direction
/// overrides and isolates (text shown reversed); a tab becomes a space.
pub fn clean_note(s: &str) -> String {
    let kept: String = s
        .replace("\r\n", "\n")
        .chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\u{2028}' | '\u{2029}' => Some('\n'),
            '\t' => Some(' '),
            c if c.is_control() || is_bidi_control(c) => None,
            c => Some(c),
        })
        .collect();
    kept.trim().to_string()
}
