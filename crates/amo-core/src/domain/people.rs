//! The account's people as this computer keeps a copy of them (the phone desk): contacts and
//! companies with every phone and e-mail and their leads still in work, so a caller is found
//! in a blink and offline too (docs/people-copy.md).
//!
//! A phone is found by its last ten digits: amoCRM matches calls that way, and `+7 912…`,
//! `8 (912)…` and `912…` are one number (docs/amocrm-api.md §16). Numbers of five digits or
//! fewer are internal extensions and match nothing.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::reference::LeadSummary;

/// Digits a phone is matched by.
pub const PHONE_TAIL_DIGITS: usize = 10;
/// A number this short is an extension of the office's PBX, not a customer.
pub const MAX_EXTENSION_DIGITS: usize = 5;

/// The last ten digits of a phone (all of them when it has fewer), or `None` for an extension
/// or something with no digits.
pub fn phone_tail(raw: &str) -> Option<String> {
    let digits: Vec<char> = raw.chars().filter(char::is_ascii_digit).collect();
    if digits.len() <= MAX_EXTENSION_DIGITS {
        return None;
    }
    let start = digits.len().saturating_sub(PHONE_TAIL_DIGITS);
    Some(digits[start..].iter().collect())
}

/// The form a name is searched by: lower case, single spaces.
pub fn name_key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Whether what was typed looks like a phone number rather than a name or an e-mail.
pub fn looks_like_phone(q: &str) -> bool {
    let q = q.trim();
    !q.is_empty()
        && q.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c))
        && q.chars().filter(char::is_ascii_digit).count() > MAX_EXTENSION_DIGITS
}

/// A contact or a company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PersonKind {
    Contact,
    Company,
}

impl PersonKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PersonKind::Contact => "contact",
            PersonKind::Company => "company",
        }
    }

    pub fn parse(s: &str) -> Option<PersonKind> {
        [PersonKind::Contact, PersonKind::Company].into_iter().find(|k| k.as_str() == s)
    }

    /// amoCRM's name of the list (`/api/v4/{entity}`).
    pub fn entity(self) -> &'static str {
        match self {
            PersonKind::Contact => "contacts",
            PersonKind::Company => "companies",
        }
    }
}

/// A contact or company as amoCRM lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub kind: PersonKind,
    pub id: i64,
    pub name: String,
    pub responsible_user_id: i64,
    pub updated_at: i64,
    /// A contact's company (`_embedded.companies`).
    pub company_id: Option<i64>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    /// Its leads (`with=leads`): which of them are still in work is the leads' business.
    pub lead_ids: Vec<i64>,
}

/// A customer found in the copy (or online): who they are and what is open for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Customer {
    pub kind: PersonKind,
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    #[ts(type = "number")]
    pub responsible_user_id: i64,
    /// A contact's company, by name when the copy holds it.
    #[ts(type = "number | null")]
    pub company_id: Option<i64>,
    pub company_name: Option<String>,
    /// Its leads still in work (not won or lost), newest first.
    pub open_leads: Vec<LeadSummary>,
    /// The newest text note and call on the customer's card or their leads in work, when amoCRM
    /// was asked just now (the copy does not keep notes).
    #[ts(optional = nullable)]
    pub last_note: Option<NoteBrief>,
    #[ts(optional = nullable)]
    pub last_call: Option<CallBrief>,
}

/// A text note as the caller's card shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NoteBrief {
    pub text: String,
    #[ts(type = "number")]
    pub created_at: i64,
}

/// A logged call as the caller's card shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CallBrief {
    pub inbound: bool,
    #[ts(type = "number")]
    pub created_at: i64,
    #[ts(type = "number")]
    pub duration_secs: i64,
    /// What came of it, as logged (may be empty).
    pub result: String,
}

/// The newer of two (by `created_at`).
pub fn newer<T, F: Fn(&T) -> i64>(a: Option<T>, b: Option<T>, at: F) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if at(&b) > at(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

impl Customer {
    /// A contact amoCRM's search found (the lookup without a copy).
    pub fn from_match(c: crate::domain::reference::ContactMatch) -> Customer {
        Customer {
            kind: PersonKind::Contact,
            id: c.id,
            name: c.name,
            phones: c.phones,
            emails: c.emails,
            responsible_user_id: 0,
            company_id: None,
            company_name: None,
            open_leads: c.open_leads,
            last_note: None,
            last_call: None,
        }
    }
}

/// What a lookup found, and where from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CustomerLookup {
    /// Every match: several are shown as several, never guessed between.
    pub customers: Vec<Customer>,
    /// Answered from this computer's copy, last brought up to date this many seconds ago;
    /// `None`: amoCRM answered just now.
    #[ts(type = "number | null")]
    pub copy_age_secs: Option<i64>,
}

/// The copy of one account, as Settings and `sync status` show it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CopyStatus {
    /// The copy is kept (Settings can turn it off, which also wipes it).
    pub enabled: bool,
    #[ts(type = "number")]
    pub contacts: i64,
    #[ts(type = "number")]
    pub companies: i64,
    #[ts(type = "number")]
    pub open_leads: i64,
    /// A full pass is under way: pages read so far (it resumes after a restart).
    #[ts(type = "number | null")]
    pub full_pass_pages: Option<i64>,
    /// When the copy last caught up with amoCRM (Unix seconds), and the last full pass ended.
    #[ts(type = "number | null")]
    pub fresh_at: Option<i64>,
    #[ts(type = "number | null")]
    pub full_pass_at: Option<i64>,
    /// Bytes the copy takes in the database file (about).
    #[ts(type = "number")]
    pub bytes: i64,
    /// Whether the account takes `filter[updated_at]` for the quick poll (amoCRM's paid API
    /// filtering); `None` until tried. Without it the poll reads newest first until it meets
    /// what the copy has.
    pub updated_filter: Option<bool>,
}

/// What one run of the sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SyncReport {
    /// A full pass ran (and finished).
    pub full: bool,
    #[ts(type = "number")]
    pub pages: i64,
    /// Contacts and companies written (new or changed).
    #[ts(type = "number")]
    pub people: i64,
    /// Dropped because amoCRM no longer has them (deleted, or merged into another).
    #[ts(type = "number")]
    pub removed: i64,
    pub status: CopyStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_number_however_it_is_written() {
        for raw in ["8 (912) 111-22-33", "+79121112233", "9121112233", "+7 912 111 22 33"] {
            assert_eq!(phone_tail(raw).as_deref(), Some("9121112233"), "{raw}");
        }
        assert_eq!(phone_tail("+49 30 1234567").as_deref(), Some("9301234567"));
        assert_eq!(phone_tail("123456").as_deref(), Some("123456"));
        assert_eq!(phone_tail("12345"), None, "an extension");
        assert_eq!(phone_tail("no digits"), None);
    }

    #[test]
    fn phones_are_told_from_names_and_emails() {
        assert!(looks_like_phone("8 (912) 111-22-33"));
        assert!(!looks_like_phone("Ivan Petrov"));
        assert!(!looks_like_phone("ivan@example.com"));
        assert!(!looks_like_phone("101"));
        assert!(PersonKind::parse("company") == Some(PersonKind::Company) && PersonKind::parse("x").is_none());
    }
}
