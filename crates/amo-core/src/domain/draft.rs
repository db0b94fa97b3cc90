//! What the user types: lead and contact drafts, checked field by field before anything is
//! queued. The same rules answer the window and the CLI, so "12,5" or "-3" gets the same
//! answer everywhere. Turning drafts into amoCRM bodies is `amocrm::wire`'s job.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::change::{LeadChangeDraft, TaskChangeDraft};
use crate::domain::fields::FieldEntry;
use crate::domain::phone::{normalize_phone, valid_email, EmailType, PhoneType};
use crate::domain::platform::Platform;
use crate::domain::task::TaskDraft;
use crate::domain::text::{clean_name, clean_note};
use crate::error::{FieldCode, FieldError};

pub use crate::domain::limits::{MAX_NAME, MAX_PRICE, MAX_TAG, MAX_TAGS};
pub const MAX_NOTE: usize = 10_000;
pub const MAX_PHONES: usize = 5;
/// E-mails per contact, like phones.
pub const MAX_EMAILS: usize = 5;

/// A contact as typed (alone, or inside a lead).
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
#[serde(default)]
pub struct ContactDraft {
    pub first_name: String,
    pub last_name: String,
    pub phones: Vec<String>,
    /// Each phone's type, by position; a phone without one is a work phone.
    pub phone_types: Vec<PhoneType>,
    /// Entries queued with one `email` string are turned into this list by schema step 8.
    pub emails: Vec<String>,
    /// Each e-mail's type, by position; one without is a work address.
    pub email_types: Vec<EmailType>,
    /// The account's contact custom fields as typed (phones and e-mails excepted: they are
    /// above), checked against the account when queued.
    pub custom_fields: Vec<FieldEntry>,
    #[ts(type = "number | null")]
    pub responsible_user_id: Option<i64>,
    /// A contact entered alone: a new company to create and put it in (ignored when
    /// `existing_company_id` is set). Inside a lead the lead's company is used and these two
    /// are dropped.
    pub company: Option<CompanyDraft>,
    /// A contact entered alone: put it in this existing amoCRM company.
    #[ts(type = "number | null")]
    pub existing_company_id: Option<i64>,
    /// The user chose to create it although a contact in amoCRM has one of its phones or
    /// e-mails (without this, queueing it is refused naming that contact: no silent duplicates).
    #[ts(as = "Option<bool>", optional)]
    pub allow_duplicate: bool,
}

/// A lead as typed. `price` is the text the user typed, checked here.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
#[serde(default)]
pub struct LeadDraft {
    pub name: String,
    pub price: String,
    #[ts(type = "number | null")]
    pub pipeline_id: Option<i64>,
    #[ts(type = "number | null")]
    pub status_id: Option<i64>,
    #[ts(type = "number | null")]
    pub responsible_user_id: Option<i64>,
    pub tags: Vec<String>,
    /// A new contact for the lead (ignored when `existing_contact_id` is set).
    pub contact: Option<ContactDraft>,
    /// Attach the lead to this existing amoCRM contact (the duplicate check's offer).
    #[ts(type = "number | null")]
    pub existing_contact_id: Option<i64>,
    pub note: String,
    /// The account's custom fields as typed (checked against the account when queued).
    pub custom_fields: Vec<FieldEntry>,
    /// A new company for the lead (ignored when `existing_company_id` is set); a new contact
    /// created with it is linked to it by amoCRM.
    pub company: Option<CompanyDraft>,
    /// Attach the lead to this existing amoCRM company (picked from the search).
    #[ts(type = "number | null")]
    pub existing_company_id: Option<i64>,
    /// The follow-up task set on the new lead.
    pub task: Option<TaskDraft>,
    /// Send it to the pipeline's Incoming leads (unsorted) for someone to accept, instead of a
    /// stage; the stage is then not sent.
    pub unsorted: bool,
}

/// A company as typed inside a lead.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
#[serde(default)]
pub struct CompanyDraft {
    pub name: String,
    /// The account's company custom fields as typed (phone, web site, address, …).
    pub custom_fields: Vec<FieldEntry>,
}

/// A note and/or a task for a lead that already exists in amoCRM (the existing customer's open
/// lead, or `lead note`/`lead task`): no new lead.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
#[serde(default)]
pub struct FollowupDraft {
    #[ts(type = "number")]
    pub lead_id: i64,
    /// The lead's name as the user saw it (for History; amoCRM is not asked again).
    pub lead_name: String,
    pub note: String,
    pub task: Option<TaskDraft>,
    /// The lead's responsible user as the user saw it: the task's default doer (none: amoCRM's
    /// default, the connected user).
    #[ts(type = "number | null")]
    pub responsible_user_id: Option<i64>,
}

/// Which way a call went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CallDirection {
    #[default]
    Inbound,
    Outbound,
}

/// How a call ended, as amoCRM's `call_status` numbers them (docs/amocrm-api.md §16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CallStatus {
    LeftMessage,
    CallBack,
    NotAvailable,
    Talked,
    WrongNumber,
    NoAnswer,
    Busy,
}

impl CallStatus {
    pub const ALL: [CallStatus; 7] = [
        CallStatus::LeftMessage,
        CallStatus::CallBack,
        CallStatus::NotAvailable,
        CallStatus::Talked,
        CallStatus::WrongNumber,
        CallStatus::NoAnswer,
        CallStatus::Busy,
    ];

    /// amoCRM's number for it (1–7).
    pub fn code(self) -> i64 {
        CallStatus::ALL.iter().position(|s| *s == self).map_or(4, |i| i as i64 + 1)
    }
}

/// A phone call to log in amoCRM (the phone desk). amoCRM puts it on the customer's card by the
/// number; an unknown caller's inbound call becomes an incoming lead.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
#[serde(default)]
pub struct CallDraft {
    /// The other side's number, as the softphone gave it.
    pub phone: String,
    pub direction: CallDirection,
    #[ts(type = "number")]
    pub duration_secs: i64,
    pub status: Option<CallStatus>,
    /// What came of it, in words.
    pub result: String,
    /// The recording, if the PBX keeps one (http or https).
    pub link: String,
    /// When the call began (Unix seconds); none: when it is logged.
    #[ts(type = "number | null")]
    pub started_at: Option<i64>,
    /// The call's own id (the softphone's, or one the app makes): the same call logged twice
    /// is logged once, and a lost answer is found again by it.
    pub uniq: String,
    #[ts(type = "number | null")]
    pub responsible_user_id: Option<i64>,
}

/// A call longer than a day is a typing mistake.
pub const MAX_CALL_SECS: i64 = 24 * 3600;
/// amoCRM keeps a call's result as short text.
pub const MAX_CALL_RESULT: usize = 1000;
/// A call id longer than this is not an id.
pub const MAX_CALL_UNIQ: usize = 128;

impl CallDraft {
    /// A number with a customer's digits (not an extension), in international form when it
    /// reads as one; the rest as described on the fields.
    pub fn validated(&self, platform: Platform) -> Result<CallDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let raw = self.phone.trim();
        let phone = if crate::domain::people::phone_tail(raw).is_none() {
            errors.push(FieldError::new(
                "phone",
                if raw.is_empty() { FieldCode::Required } else { FieldCode::InvalidPhone },
            ));
            String::new()
        } else {
            // amoCRM matches calls by the last ten digits: a number that does not read as an
            // international one is sent as its digits rather than refused.
            crate::domain::phone::normalize_phone(raw, platform)
                .unwrap_or_else(|_| raw.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect())
        };
        if !(0..=MAX_CALL_SECS).contains(&self.duration_secs) {
            errors.push(FieldError::new("duration_secs", FieldCode::InvalidNumber));
        }
        let result = clean_note(&self.result);
        if too_long(&result, MAX_CALL_RESULT) {
            errors.push(FieldError::new("result", FieldCode::TooLong));
        }
        let link = self.link.trim().to_string();
        let is_url = |l: &str| {
            (l.starts_with("https://") || l.starts_with("http://")) && l.len() > 8 && !l.contains(char::is_whitespace)
        };
        if !link.is_empty() && !is_url(&link) {
            errors.push(FieldError::new("link", FieldCode::InvalidUrl));
        }
        let uniq = self.uniq.trim().to_string();
        if uniq.is_empty() {
            errors.push(FieldError::new("uniq", FieldCode::Required));
        } else if too_long(&uniq, MAX_CALL_UNIQ) || uniq.chars().any(char::is_control) {
            errors.push(FieldError::new("uniq", FieldCode::TooLong));
        }
        if self.started_at.is_some_and(|t| t <= 0) {
            errors.push(FieldError::new("started_at", FieldCode::InvalidDateTime));
        }
        if errors.is_empty() {
            Ok(CallDraft { phone, result, link, uniq, ..self.clone() })
        } else {
            Err(errors)
        }
    }
}

/// What was typed: a lead (with its optional contact and note) or a contact alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", content = "draft", rename_all = "snake_case")]
#[ts(export)]
// One draft is handled at a time (never stored in bulk in memory): boxing the lead would only
// add noise at every construction.
#[allow(clippy::large_enum_variant)]
pub enum Draft {
    Lead(LeadDraft),
    Contact(ContactDraft),
    Followup(FollowupDraft),
    Call(CallDraft),
    /// A change of a task amoCRM has (done, moved, edited).
    TaskChange(TaskChangeDraft),
    /// A change of a lead amoCRM has (stage, won, lost, price, name, responsible, tags, fields).
    LeadChange(LeadChangeDraft),
}

impl Draft {
    pub fn kind(&self) -> DraftKind {
        match self {
            Draft::Lead(_) => DraftKind::Lead,
            Draft::Contact(_) => DraftKind::Contact,
            Draft::Followup(_) => DraftKind::Followup,
            Draft::Call(_) => DraftKind::Call,
            Draft::TaskChange(_) => DraftKind::TaskChange,
            Draft::LeadChange(_) => DraftKind::LeadChange,
        }
    }

    pub fn title(&self) -> String {
        match self {
            Draft::Lead(l) => l.name.clone(),
            Draft::Contact(c) => c.display_name(),
            Draft::Followup(f) if f.lead_name.trim().is_empty() => format!("#{}", f.lead_id),
            Draft::Followup(f) => f.lead_name.clone(),
            Draft::Call(c) => c.phone.clone(),
            Draft::TaskChange(t) if t.title.trim().is_empty() => format!("#{}", t.task_id),
            Draft::TaskChange(t) => t.title.clone(),
            Draft::LeadChange(l) if l.lead_name.trim().is_empty() => format!("#{}", l.lead_id),
            Draft::LeadChange(l) => l.lead_name.clone(),
        }
    }

    /// The cleaned draft or every field's problem.
    pub fn validated(&self, platform: Platform) -> Result<Draft, Vec<FieldError>> {
        Ok(match self {
            Draft::Lead(l) => Draft::Lead(l.validated(platform)?),
            Draft::Contact(c) => Draft::Contact(c.validated("", platform)?),
            Draft::Followup(f) => Draft::Followup(f.validated()?),
            Draft::Call(c) => Draft::Call(c.validated(platform)?),
            Draft::TaskChange(t) => Draft::TaskChange(t.validated()?),
            Draft::LeadChange(l) => Draft::LeadChange(l.validated()?),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftKind {
    Lead,
    Contact,
    Followup,
    Call,
    TaskChange,
    LeadChange,
}

impl DraftKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DraftKind::Lead => "lead",
            DraftKind::Contact => "contact",
            DraftKind::Followup => "followup",
            DraftKind::Call => "call",
            DraftKind::TaskChange => "task_change",
            DraftKind::LeadChange => "lead_change",
        }
    }
}

fn too_long(s: &str, max: usize) -> bool {
    s.chars().count() > max
}

impl ContactDraft {
    pub fn is_empty(&self) -> bool {
        self.first_name.trim().is_empty()
            && self.last_name.trim().is_empty()
            && self.emails.iter().all(|e| e.trim().is_empty())
            && self.phones.iter().all(|p| p.trim().is_empty())
            && self.custom_fields.iter().all(|e| e.value.trim().is_empty())
    }

    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name.trim(), self.last_name.trim()).trim().to_string()
    }

    /// Trims, drops empty phones, normalises phones and lower-cases the email's domain; returns
    /// the cleaned draft or every field's problem (`prefix` is `contact.` inside a lead).
    pub fn validated(&self, prefix: &str, platform: Platform) -> Result<ContactDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let err = |field: &str, code| FieldError::new(format!("{prefix}{field}"), code);
        let mut first_name = clean_name(&self.first_name);
        let last_name = clean_name(&self.last_name);
        let nameless = first_name.is_empty() && last_name.is_empty();
        for (field, v) in [("first_name", &first_name), ("last_name", &last_name)] {
            if too_long(v, MAX_NAME) {
                errors.push(err(field, FieldCode::TooLong));
            }
        }
        let typed = self.phones.iter().filter(|p| !p.trim().is_empty()).count();
        if typed > MAX_PHONES {
            errors.push(err("phones", FieldCode::TooMany));
        }
        // A number typed twice is kept once, with the type it was first given.
        let (mut phones, mut phone_types) = (Vec::new(), Vec::new());
        for (i, p) in self.phones.iter().enumerate().filter(|(_, p)| !p.trim().is_empty()) {
            match normalize_phone(p, platform) {
                Ok(n) if !phones.contains(&n) => {
                    phones.push(n);
                    phone_types.push(self.phone_types.get(i).copied().unwrap_or_default());
                }
                Ok(_) => {}
                Err(code) => errors.push(err(&format!("phones.{i}"), code)),
            }
        }
        if self.emails.iter().filter(|e| !e.trim().is_empty()).count() > MAX_EMAILS {
            errors.push(err("emails", FieldCode::TooMany));
        }
        let (mut emails, mut email_types) = (Vec::<String>::new(), Vec::new());
        for (i, e) in self.emails.iter().enumerate().map(|(i, e)| (i, e.trim())).filter(|(_, e)| !e.is_empty()) {
            if !valid_email(e) {
                errors.push(err(&format!("emails.{i}"), FieldCode::InvalidEmail));
                continue;
            }
            let (local, domain) = e.split_once('@').unwrap_or((e, ""));
            let clean = format!("{local}@{}", domain.to_lowercase());
            if !emails.iter().any(|x| x.eq_ignore_ascii_case(&clean)) {
                emails.push(clean);
                email_types.push(self.email_types.get(i).copied().unwrap_or_default());
            }
        }
        // A company only for a contact entered alone (a lead has its own).
        let (company, existing_company_id) = if prefix.is_empty() {
            if self.existing_company_id.is_some_and(|id| id <= 0) {
                errors.push(err("existing_company_id", FieldCode::Required));
            }
            (
                CompanyDraft::checked(self.company.as_ref(), self.existing_company_id, &mut errors),
                self.existing_company_id,
            )
        } else {
            (None, None)
        };
        // A caller who gave only a number: amoCRM needs a name, so the contact is named by its
        // number (then its e-mail), as telephony integrations do; renamed in amoCRM later.
        if nameless {
            match phones.first().or(emails.first()) {
                Some(n) => first_name = n.clone(),
                // First, in the form's order (the name fields come before phones and e-mail).
                None => errors.insert(0, err("first_name", FieldCode::Required)),
            }
        }
        if errors.is_empty() {
            Ok(ContactDraft {
                first_name,
                last_name,
                phones,
                phone_types,
                emails,
                email_types,
                custom_fields: self.custom_fields.clone(),
                responsible_user_id: self.responsible_user_id,
                company,
                existing_company_id,
                allow_duplicate: self.allow_duplicate,
            })
        } else {
            Err(errors)
        }
    }
}

impl CompanyDraft {
    /// A new company as typed, trimmed, or none: none when an existing one is picked or no name
    /// is typed (fields typed without a name are refused: they would be dropped with it).
    fn checked(c: Option<&CompanyDraft>, existing: Option<i64>, errors: &mut Vec<FieldError>) -> Option<CompanyDraft> {
        let c = c.filter(|_| existing.is_none())?;
        let name = clean_name(&c.name);
        if too_long(&name, MAX_NAME) {
            errors.push(FieldError::new("company.name", FieldCode::TooLong));
        }
        if name.is_empty() && c.custom_fields.iter().any(|e| !e.value.trim().is_empty()) {
            errors.push(FieldError::new("company.name", FieldCode::Required));
        }
        Some(CompanyDraft { name, custom_fields: c.custom_fields.clone() }).filter(|c| !c.name.is_empty())
    }
}

impl LeadDraft {
    /// The cleaned draft or every field's problem. The lead name is required; a contact is
    /// optional, but once any of its fields is typed it needs a name.
    pub fn validated(&self, platform: Platform) -> Result<LeadDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = clean_name(&self.name);
        if name.is_empty() {
            errors.push(FieldError::new("name", FieldCode::Required));
        } else if too_long(&name, MAX_NAME) {
            errors.push(FieldError::new("name", FieldCode::TooLong));
        }
        let price = self.price.trim().replace([' ', '\u{a0}'], "");
        let price_ok = price.is_empty()
            || (price.chars().all(|c| c.is_ascii_digit()) && price.parse::<i64>().is_ok_and(|p| p <= MAX_PRICE));
        if !price_ok {
            errors.push(FieldError::new("price", FieldCode::InvalidPrice));
        }
        if self.status_id.is_some() && self.pipeline_id.is_none() {
            errors.push(FieldError::new("status", FieldCode::Required));
        }
        let tags: Vec<String> = self.tags.iter().map(|t| clean_name(t)).filter(|t| !t.is_empty()).collect();
        if tags.len() > MAX_TAGS {
            errors.push(FieldError::new("tags", FieldCode::TooMany));
        }
        if tags.iter().any(|t| too_long(t, MAX_TAG) || t.contains(',')) {
            errors.push(FieldError::new("tags", FieldCode::InvalidTag));
        }
        let note = clean_note(&self.note);
        if too_long(&note, MAX_NOTE) {
            errors.push(FieldError::new("note", FieldCode::TooLong));
        }
        let company = CompanyDraft::checked(self.company.as_ref(), self.existing_company_id, &mut errors);
        if self.existing_company_id.is_some_and(|id| id <= 0) {
            errors.push(FieldError::new("existing_company_id", FieldCode::Required));
        }
        let task = match &self.task {
            Some(t) if !t.is_empty() => t.checked("task.").map_err(|mut e| errors.append(&mut e)).ok(),
            _ => None,
        };
        let contact = match (&self.contact, self.existing_contact_id) {
            (_, Some(_)) => None,
            (Some(c), None) if !c.is_empty() => match c.validated("contact.", platform) {
                Ok(c) => Some(c),
                Err(mut e) => {
                    errors.append(&mut e);
                    None
                }
            },
            _ => None,
        };
        if errors.is_empty() {
            Ok(LeadDraft {
                name,
                price: match price.trim_start_matches('0') {
                    "" if !price.is_empty() => "0".to_string(),
                    p => p.to_string(),
                },
                pipeline_id: self.pipeline_id,
                status_id: if self.unsorted { None } else { self.status_id },
                responsible_user_id: self.responsible_user_id,
                tags,
                contact,
                existing_contact_id: self.existing_contact_id,
                note,
                custom_fields: self.custom_fields.clone(),
                company,
                existing_company_id: self.existing_company_id,
                task,
                unsorted: self.unsorted,
            })
        } else {
            Err(errors)
        }
    }

    /// The responsible user a task without its own gets: the lead's.
    pub fn task_responsible(&self) -> Option<i64> {
        self.task.as_ref().and_then(|t| t.responsible_user_id).or(self.responsible_user_id)
    }

    pub fn price_value(&self) -> Option<i64> {
        match self.price.as_str() {
            "" => None,
            p => p.parse().ok(),
        }
    }
}

impl FollowupDraft {
    /// A lead to add to and at least a note or a task; the task's due time is fixed when queued
    /// (`outbox::check`).
    pub fn validated(&self) -> Result<FollowupDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.lead_id <= 0 {
            errors.push(FieldError::new("lead_id", FieldCode::Required));
        }
        let note = clean_note(&self.note);
        if too_long(&note, MAX_NOTE) {
            errors.push(FieldError::new("note", FieldCode::TooLong));
        }
        let typed = self.task.as_ref().filter(|t| !t.is_empty());
        if note.is_empty() && typed.is_none() {
            errors.push(FieldError::new("note", FieldCode::Required));
        }
        let task = typed.and_then(|t| t.checked("task.").map_err(|mut e| errors.append(&mut e)).ok());
        if errors.is_empty() {
            Ok(FollowupDraft {
                lead_id: self.lead_id,
                lead_name: clean_name(&self.lead_name),
                note,
                task,
                responsible_user_id: self.responsible_user_id,
            })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_who_gave_only_a_number_is_a_contact_named_by_it() {
        let only_phone = ContactDraft { phones: vec!["8 912 123-45-67".into()], ..Default::default() };
        let c = only_phone.validated("", Platform::Amocrm).expect("a number is enough");
        assert_eq!((c.first_name.as_str(), c.phones.as_slice()), ("+79121234567", &["+79121234567".to_string()][..]));
        let only_email = ContactDraft { emails: vec!["Anna@Example.com".into()], ..Default::default() };
        assert_eq!(only_email.validated("", Platform::Amocrm).expect("email").first_name, "Anna@example.com");
        let nothing = ContactDraft { phones: vec!["12".into()], ..Default::default() };
        let e = nothing.validated("contact.", Platform::Amocrm).expect_err("no name, no valid number");
        assert!(e.iter().any(|f| f.field == "contact.first_name" && f.code == FieldCode::Required), "{e:?}");
    }

    #[test]
    fn phones_and_emails_keep_their_types_and_a_repeat_is_kept_once() {
        let c = ContactDraft {
            first_name: "Anna".into(),
            phones: vec!["8 912 123-45-67".into(), "".into(), "+7 495 123 45 67".into(), "+79121234567".into()],
            phone_types: vec![PhoneType::Mobile, PhoneType::Home, PhoneType::Work, PhoneType::Fax],
            emails: vec!["Anna@Work.example".into(), "anna@home.example".into(), "ANNA@work.example".into()],
            email_types: vec![EmailType::Work, EmailType::Private],
            ..Default::default()
        }
        .validated("", Platform::Amocrm)
        .expect("valid");
        assert_eq!(c.phones, ["+79121234567", "+74951234567"]);
        assert_eq!(c.phone_types, [PhoneType::Mobile, PhoneType::Work], "types follow their numbers");
        assert_eq!(c.emails, ["Anna@work.example", "anna@home.example"]);
        assert_eq!(c.email_types, [EmailType::Work, EmailType::Private]);
        assert_eq!(c.validated("", Platform::Amocrm).as_ref(), Ok(&c), "idempotent");
    }

    #[test]
    fn a_lead_draft_reports_every_bad_field_at_once() {
        let d = LeadDraft {
            name: "  ".into(),
            price: "-3".into(),
            tags: vec!["a,b".into()],
            contact: Some(ContactDraft {
                phones: vec!["12".into(), "".into(), "+7 912 123 45 67".into()],
                emails: vec!["nope".into()],
                ..Default::default()
            }),
            ..Default::default()
        };
        let errs = d.validated(Platform::Amocrm).expect_err("invalid");
        let fields: Vec<(&str, FieldCode)> = errs.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            fields,
            vec![
                ("name", FieldCode::Required),
                ("price", FieldCode::InvalidPrice),
                ("tags", FieldCode::InvalidTag),
                ("contact.phones.0", FieldCode::InvalidPhone),
                ("contact.emails.0", FieldCode::InvalidEmail),
            ]
        );
    }

    #[test]
    fn prices_must_be_non_negative_whole_numbers() {
        let ok =
            |p: &str| LeadDraft { name: "x".into(), price: p.into(), ..Default::default() }.validated(Platform::Amocrm);
        assert_eq!(ok("15 000").expect("ok").price_value(), Some(15_000));
        assert_eq!(ok("0").expect("ok").price_value(), Some(0));
        assert_eq!(ok("007").expect("ok").price_value(), Some(7));
        assert_eq!(ok("").expect("ok").price_value(), None);
        for bad in ["12.5", "12,5", "-1", "1e3", "99999999999"] {
            assert!(ok(bad).is_err(), "{bad}");
        }
    }

    /// A name pasted from a web page or a chat can carry escape sequences, NULs and direction
    /// overrides (`Order\u{202e}fdp.exe` shows as `Orderexe.pdf`); a line break in a name makes
    /// one lead look like two rows in a list. amoCRM keeps what it is sent, so they go here.
    #[test]
    fn names_tags_and_notes_lose_control_and_direction_characters() {
        let d = LeadDraft {
            name: " Order\u{202e}fdp.exe\u{1b}[2J\u{7}\u{0} ".into(),
            tags: vec!["vip\u{2066}".into(), "\u{200f}\u{200e}".into(), "h\u{9b}ot\u{202a}".into()],
            note: "line 1\r\nline 2\u{1b}[31m\u{85}\nend\u{7f}\ttab\u{0}\u{202e}\n".into(),
            contact: Some(ContactDraft {
                first_name: "Anna\u{202d}\u{2069}".into(),
                last_name: "Li\n12345  forged row".into(),
                ..Default::default()
            }),
            company: Some(CompanyDraft { name: "\u{2067}Acme\u{2069}\r".into(), ..Default::default() }),
            ..Default::default()
        }
        .validated(Platform::Amocrm)
        .expect("valid");
        assert_eq!(d.name, "Orderfdp.exe[2J");
        assert_eq!(d.tags, ["vip", "hot"], "a tag of nothing but marks is no tag");
        assert_eq!(d.note, "line 1\nline 2[31m\nend tab", "a note keeps its lines, nothing else");
        let c = d.contact.as_ref().expect("contact");
        assert_eq!((c.first_name.as_str(), c.last_name.as_str()), ("Anna", "Li 12345  forged row"));
        assert_eq!(d.company.as_ref().map(|c| c.name.as_str()), Some("Acme"));
        assert_eq!(d.validated(Platform::Amocrm).as_ref(), Ok(&d), "idempotent");
        // A name of nothing but marks is no name; a follow-up and a call are cleaned alike.
        let marks = LeadDraft { name: "\u{202e}\u{1b}".into(), ..Default::default() };
        assert_eq!(marks.validated(Platform::Amocrm).expect_err("empty")[0].code, FieldCode::Required);
        let f = FollowupDraft {
            lead_id: 1,
            lead_name: "L\u{202e}1".into(),
            note: "a\u{1b}]0;x\u{7}\nb".into(),
            ..Default::default()
        };
        let f = f.validated().expect("valid");
        assert_eq!((f.lead_name.as_str(), f.note.as_str()), ("L1", "a]0;x\nb"));
        let call = CallDraft {
            phone: "+79121234567".into(),
            result: "ok\u{1b}[2K\r\nnext".into(),
            uniq: "u".into(),
            ..Default::default()
        };
        assert_eq!(call.validated(Platform::Amocrm).expect("valid").result, "ok[2K\nnext");
    }

    #[test]
    fn attaching_to_an_existing_contact_drops_the_typed_one() {
        let d = LeadDraft {
            name: "x".into(),
            existing_contact_id: Some(42),
            contact: Some(ContactDraft { first_name: "ignored".into(), ..Default::default() }),
            ..Default::default()
        }
        .validated(Platform::Amocrm)
        .expect("valid");
        assert_eq!(d.contact, None);
    }
}
