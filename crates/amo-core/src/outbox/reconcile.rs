//! After an interrupted send (the process died, or the answer was lost): did amoCRM act on the
//! request? Each kind of step says how it is found (`steps/`); the rules they share are here, so
//! nothing is created twice — and nothing someone else created is taken for ours.

use super::Outbox;
use crate::error::{EntryError, Result};

/// amoCRM's and this computer's clocks may differ by this much.
const CLOCK_SLACK_SECS: i64 = 300;

/// Whether something amoCRM stamped `created_at` can have been made by an entry queued at
/// `queued_at` (both Unix seconds; a margin for the two clocks).
pub(super) fn made_after(created_at: i64, queued_at: i64) -> bool {
    created_at + CLOCK_SLACK_SECS >= queued_at
}

impl Outbox {
    /// The connected user (who created everything this desk sends).
    pub(super) async fn me(&self) -> Result<i64> {
        match self.ctx.store.account().load()?.and_then(|r| r.current_user_id) {
            Some(id) => Ok(id),
            None => Ok(self.session.account_info().await?.current_user_id.unwrap_or(0)),
        }
    }
}

/// One candidate, none, or an error for two or more: the user decides, the app never guesses
/// (another desk made the same thing in the same second as the same user).
pub(super) fn one_or_none<T>(id: i64, mut candidates: Vec<T>) -> Result<Option<T>> {
    match candidates.len() {
        0 | 1 => Ok(candidates.pop()),
        n => Err(EntryError::ReconcileAmbiguous { id, candidates: u32::try_from(n).unwrap_or(u32::MAX) }.into()),
    }
}

/// A note's text as amoCRM may give it back: line ends unified, spaces at line ends and at the
/// ends dropped.
pub(super) fn normalized_note(text: &str) -> String {
    text.replace("\r\n", "\n").lines().map(str::trim_end).collect::<Vec<_>>().join("\n").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_match_whatever_the_line_ends() {
        assert_eq!(normalized_note("  Call back\r\ntomorrow  \r\n"), normalized_note("Call back\ntomorrow"));
        assert_ne!(normalized_note("Call back"), normalized_note("Call me back"));
    }

    #[test]
    fn two_candidates_are_never_guessed_between() {
        assert_eq!(one_or_none::<i64>(7, vec![]).expect("none"), None);
        assert_eq!(one_or_none(7, vec![42]).expect("one"), Some(42));
        assert_eq!(one_or_none(7, vec![1, 2]).expect_err("two").code().as_str(), "reconcile_ambiguous");
    }
}
