//! What the window shows about app updates. The updater itself (download, signature check,
//! install) is Tauri's official plugin in the app crate; this module holds the plain types the UI
//! receives and the rules for showing release notes, so they are tested without a window.

use serde::Serialize;
use ts_rs::TS;

/// Release notes longer than this are cut: the dialog is a summary, the release page has the rest.
pub const NOTES_MAX_CHARS: usize = 4000;

/// A newer signed version the user may install.
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct UpdateOffer {
    pub current_version: String,
    pub version: String,
    /// When the release was published (RFC 3339, as in `latest.json`), if it says.
    #[ts(optional = nullable)]
    pub date: Option<String>,
    /// "What's new", plain text (shown as text, never as HTML).
    pub notes: String,
}

impl UpdateOffer {
    pub fn new(current_version: String, version: String, date: Option<String>, notes: Option<&str>) -> UpdateOffer {
        UpdateOffer { current_version, version, date, notes: clean_notes(notes.unwrap_or_default()) }
    }
}

/// What Settings shows: this version and the update found by the last check, if any.
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct UpdateStatus {
    pub current_version: String,
    #[ts(optional = nullable)]
    pub offer: Option<UpdateOffer>,
}

/// The answer to "Check for updates".
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum UpdateCheck {
    UpToDate { current_version: String },
    Available { offer: UpdateOffer },
}

/// Download progress pushed to the window while an update downloads.
#[derive(Debug, Clone, Copy, Serialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct UpdateProgress {
    #[ts(type = "number")]
    pub downloaded: u64,
    #[ts(optional = nullable, type = "number")]
    pub total: Option<u64>,
}

/// Notes as the dialog shows them: Windows line ends made plain, control characters (other than
/// line ends and tabs) dropped, blank runs squeezed, and cut at [`NOTES_MAX_CHARS`] with an ellipsis.
pub fn clean_notes(raw: &str) -> String {
    let text: String =
        raw.replace("\r\n", "\n").chars().filter(|c| !c.is_control() || *c == '\n' || *c == '\t').collect();
    let mut lines: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim_end) {
        if line.is_empty() && lines.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let joined = lines.join("\n");
    if joined.chars().count() <= NOTES_MAX_CHARS {
        return joined;
    }
    let mut cut: String = joined.chars().take(NOTES_MAX_CHARS).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_lose_control_characters_and_blank_runs_but_keep_lines() {
        let raw = "\r\n\r\n- Faster lead form\r\n\r\n\r\n- Fixed \u{1b}[31mred\u{7} text\t(tab kept)  \r\n\r\n";
        assert_eq!(clean_notes(raw), "- Faster lead form\n\n- Fixed [31mred text\t(tab kept)");
    }

    #[test]
    fn long_notes_are_cut_with_an_ellipsis_on_a_character_boundary() {
        let raw = "я".repeat(NOTES_MAX_CHARS + 10);
        let cleaned = clean_notes(&raw);
        assert_eq!(cleaned.chars().count(), NOTES_MAX_CHARS + 1);
        assert!(cleaned.ends_with("я…"));
        assert_eq!(clean_notes(&"я".repeat(NOTES_MAX_CHARS)), "я".repeat(NOTES_MAX_CHARS));
    }

    #[test]
    fn an_offer_without_notes_has_empty_notes() {
        let offer = UpdateOffer::new("0.1.0".into(), "0.2.0".into(), None, None);
        assert_eq!(offer.notes, "");
        let json = serde_json::to_value(UpdateCheck::Available { offer }).expect("serializes");
        assert_eq!(json["kind"], "available");
        assert_eq!(json["offer"]["version"], "0.2.0");
    }
}

#[cfg(test)]
mod version_tests {
    /// The packages, the About box and the updater take the version from tauri.conf.json; the
    /// CLI's `--version` and the logs take Cargo's. A release must bump both.
    #[test]
    fn the_app_version_is_the_same_in_cargo_and_the_tauri_config() {
        let conf: serde_json::Value = serde_json::from_str(include_str!("../../../../src-tauri/tauri.conf.json"))
            .expect("tauri.conf.json is JSON");
        assert_eq!(conf["version"].as_str(), Some(env!("CARGO_PKG_VERSION")), "bump both versions together");
    }

    /// Updates must be signed for the version they announce (no downgrade by a forged latest.json).
    #[test]
    fn the_updater_trusts_one_key_and_requires_signed_versions() {
        let conf: serde_json::Value = serde_json::from_str(include_str!("../../../../src-tauri/tauri.conf.json"))
            .expect("tauri.conf.json is JSON");
        let updater = &conf["plugins"]["updater"];
        assert_eq!(updater["requireSignedVersion"], true);
        assert!(updater.get("dangerousInsecureTransportProtocol").is_none(), "only test builds may allow http");
        let key = updater["pubkey"].as_str().expect("pubkey");
        use base64::Engine;
        let text = base64::engine::general_purpose::STANDARD.decode(key).expect("pubkey is base64");
        assert!(String::from_utf8(text).expect("UTF-8").starts_with("untrusted comment: minisign public key: "));
    }
}
