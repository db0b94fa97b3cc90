//! After an interrupted send (the process died, or the answer was lost): did amoCRM create the
//! entry? Looked up before sending again, so nothing is created twice — and nothing someone else
//! created is taken for ours.
//!
//! The lookup is exact: every lead created in the entry's own second (`filter[created_at]`, all
//! pages — our `created_at` is unique among this desk's entries), by the connected user, with the
//! price, pipeline, stage and contact we sent, and not already owned by another entry. The name is
//! not compared: a Salesbot may have renamed the lead already. One candidate is ours; none means
//! the request never arrived; more than one means someone else made the same lead in the same
//! second as the same user (another desk) — then the user decides, the app never guesses.

use super::Outbox;
use crate::domain::draft::{CompanyDraft, ContactDraft, LeadDraft};
use crate::domain::reference::{CompanyMatch, ContactMatch, LeadSummary};
use crate::error::{EntryError, Result};
use crate::store::{Entry, IdColumn};

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

    /// The lead this entry created, if its create reached amoCRM.
    pub(super) async fn reconcile_lead(&self, entry: &Entry, d: &LeadDraft) -> Result<Option<LeadSummary>> {
        let api = self.ctx.amo.api();
        let me = self.me().await?;
        let found = self.session.with_token(|a| api.leads_created_at(a, entry.marker_at)).await?;
        let store = self.ctx.store.outbox();
        let mut candidates = Vec::new();
        for l in found {
            let ours = l.created_at == entry.marker_at
                && l.created_by == me
                && l.price == d.price_value().unwrap_or(0)
                && d.pipeline_id.is_none_or(|p| p == l.pipeline_id)
                && d.status_id.is_none_or(|s| s == l.status_id)
                && d.existing_contact_id.is_none_or(|c| l.contact_ids.contains(&c))
                && (d.contact.is_none() || !l.contact_ids.is_empty());
            if ours && !store.id_claimed(IdColumn::Lead, l.id, entry.id)? {
                candidates.push(l);
            }
        }
        one_or_none(entry.id, candidates)
    }

    /// The contact this entry created, if its create reached amoCRM: created in its second by
    /// the connected user, with its name, a phone or its e-mail.
    pub(super) async fn reconcile_contact(&self, entry: &Entry, d: &ContactDraft) -> Result<Option<ContactMatch>> {
        let api = self.ctx.amo.api();
        let me = self.me().await?;
        let found = self.session.with_token(|a| api.contacts_created_at(a, entry.marker_at)).await?;
        let store = self.ctx.store.outbox();
        let name = d.display_name();
        let mut candidates = Vec::new();
        for (c, created_by) in found {
            let same = c.name == name
                || c.phones.iter().any(|p| d.phones.contains(p))
                || d.emails.iter().any(|e| c.emails.iter().any(|x| x.eq_ignore_ascii_case(e)));
            if created_by == me && same && !store.id_claimed(IdColumn::Contact, c.id, entry.id)? {
                candidates.push(c);
            }
        }
        one_or_none(entry.id, candidates)
    }

    /// The company this contact entry created, if its create reached amoCRM: made in the
    /// entry's second by the connected user, with its name, not another entry's.
    pub(super) async fn reconcile_company(&self, entry: &Entry, c: &CompanyDraft) -> Result<Option<CompanyMatch>> {
        let api = self.ctx.amo.api();
        let me = self.me().await?;
        let found = self.session.with_token(|a| api.companies_created_at(a, entry.marker_at)).await?;
        let store = self.ctx.store.outbox();
        let mut candidates = Vec::new();
        for (found, created_by) in found {
            if created_by == me
                && found.name.trim() == c.name.trim()
                && !store.id_claimed(IdColumn::Company, found.id, entry.id)?
            {
                candidates.push(found);
            }
        }
        one_or_none(entry.id, candidates)
    }
}

fn one_or_none<T>(id: i64, mut candidates: Vec<T>) -> Result<Option<T>> {
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
