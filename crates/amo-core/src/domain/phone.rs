//! Phone numbers and e-mail addresses as amoCRM should store them. amoCRM treats `+7…` and
//! `8…` as different numbers and its duplicate control compares stored strings, so a consistent
//! international form is what makes an existing customer findable (docs/amocrm-api.md §11.8).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::platform::Platform;
use crate::error::FieldCode;

/// amoCRM's types of a contact's phone (the `PHONE` field's `enum_code`, docs/amocrm-api.md
/// §13): work, direct work line, mobile, fax, home, other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub enum PhoneType {
    #[default]
    #[serde(rename = "WORK")]
    Work,
    #[serde(rename = "WORKDD")]
    WorkDirect,
    #[serde(rename = "MOB")]
    Mobile,
    #[serde(rename = "FAX")]
    Fax,
    #[serde(rename = "HOME")]
    Home,
    #[serde(rename = "OTHER")]
    Other,
}

/// amoCRM's types of a contact's e-mail (the `EMAIL` field's `enum_code`): work, private, other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub enum EmailType {
    #[default]
    #[serde(rename = "WORK")]
    Work,
    #[serde(rename = "PRIV")]
    Private,
    #[serde(rename = "OTHER")]
    Other,
}

impl PhoneType {
    pub const ALL: [PhoneType; 6] =
        [PhoneType::Mobile, PhoneType::Work, PhoneType::WorkDirect, PhoneType::Home, PhoneType::Fax, PhoneType::Other];

    /// amoCRM's code (`MOB`).
    pub fn code(self) -> &'static str {
        match self {
            PhoneType::Work => "WORK",
            PhoneType::WorkDirect => "WORKDD",
            PhoneType::Mobile => "MOB",
            PhoneType::Fax => "FAX",
            PhoneType::Home => "HOME",
            PhoneType::Other => "OTHER",
        }
    }

    pub fn parse(code: &str) -> Option<PhoneType> {
        PhoneType::ALL.into_iter().find(|t| t.code().eq_ignore_ascii_case(code.trim()))
    }
}

impl EmailType {
    pub const ALL: [EmailType; 3] = [EmailType::Work, EmailType::Private, EmailType::Other];

    pub fn code(self) -> &'static str {
        match self {
            EmailType::Work => "WORK",
            EmailType::Private => "PRIV",
            EmailType::Other => "OTHER",
        }
    }

    pub fn parse(code: &str) -> Option<EmailType> {
        EmailType::ALL.into_iter().find(|t| t.code().eq_ignore_ascii_case(code.trim()))
    }
}

/// A phone number in international form (`+` and 8–15 digits). Spaces, dashes, dots and
/// brackets are dropped; `00` means `+`. Numbers without a country code are accepted only where
/// the account's country makes them unambiguous: on amoCRM.ru, `8 912 …` and `912 …` (ten
/// digits) are Russian numbers (`+7`). Which platform's rule applies is
/// [`Platform::for_phones`]'s to say: Kommo's (a country code needed) whenever the account is
/// not known to be an amoCRM.ru one.
pub fn normalize_phone(raw: &str, platform: Platform) -> Result<String, FieldCode> {
    let t = raw.trim();
    let (plus, rest) = match t.strip_prefix('+') {
        Some(r) => (true, r),
        None => (false, t),
    };
    let mut digits = String::new();
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            // Spaces and dashes as pasted from web pages and messengers: no-break, narrow
            // no-break, thin and figure spaces, zero-width space, hyphens and en/em dashes.
            ' '
            | '-'
            | '.'
            | '('
            | ')'
            | '/'
            | '\u{a0}'
            | '\u{202f}'
            | '\u{2009}'
            | '\u{2007}'
            | '\u{200b}'
            | '\u{2010}'..='\u{2015}'
            | '\u{2212}' => {}
            _ => return Err(FieldCode::InvalidPhone),
        }
    }
    let intl = if plus {
        digits
    } else if let Some(r) = digits.strip_prefix("00") {
        r.to_string()
    } else if let Some(r) = digits.strip_prefix("810").filter(|r| platform == Platform::Amocrm && r.len() >= 9) {
        // The Russian trunk prefix for abroad: 8-10-country-number (an 11-digit "8 10…" is no
        // Russian number, so a longer one is international).
        r.to_string()
    } else if platform == Platform::Amocrm && digits.len() == 11 && (digits.starts_with('8') || digits.starts_with('7'))
    {
        format!("7{}", &digits[1..])
    } else if platform == Platform::Amocrm && digits.len() == 10 {
        format!("7{digits}")
    } else if (8..=15).contains(&digits.len()) {
        return Err(FieldCode::PhoneNeedsCountryCode);
    } else {
        return Err(FieldCode::InvalidPhone);
    };
    if !(8..=15).contains(&intl.len()) || intl.starts_with('0') {
        return Err(FieldCode::InvalidPhone);
    }
    Ok(format!("+{intl}"))
}

/// A plain syntax check: one `@`, something before it, a dotted domain after it, no spaces.
pub fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    s.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && domain.split('.').count() >= 2
        && domain.split('.').all(|p| !p.is_empty() && !p.starts_with('-') && !p.ends_with('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_with_a_control_character_is_not_an_email() {
        // Found by the draft_bodies fuzz target: a NUL kept in the address (and in the name a
        // caller without one gets from it) made checking a checked contact change it again.
        assert!(valid_email("anna@example.com"));
        assert!(!valid_email("\0anna@example.com"));
        assert!(!valid_email("anna@exam\u{7}ple.com"));
    }

    #[test]
    fn phones_are_normalised_to_international_form() {
        let ru = Platform::Amocrm;
        assert_eq!(normalize_phone("+7 (912) 123-45-67", ru), Ok("+79121234567".into()));
        assert_eq!(normalize_phone("8 912 123 45 67", ru), Ok("+79121234567".into()));
        assert_eq!(normalize_phone("9121234567", ru), Ok("+79121234567".into()));
        assert_eq!(normalize_phone("0044 20 7946 0958", ru), Ok("+442079460958".into()));
        assert_eq!(normalize_phone("+44 20 7946 0958", Platform::Kommo), Ok("+442079460958".into()));
        assert_eq!(normalize_phone("020 7946 0958", Platform::Kommo), Err(FieldCode::PhoneNeedsCountryCode));
        assert_eq!(normalize_phone("12-34", ru), Err(FieldCode::InvalidPhone));
        assert_eq!(normalize_phone("+7 912 CALL ME", ru), Err(FieldCode::InvalidPhone));
        assert_eq!(normalize_phone("+1234567890123456", ru), Err(FieldCode::InvalidPhone));
    }

    #[test]
    fn pasted_spaces_and_dashes_the_810_prefix_and_kommo_numbers() {
        let ru = Platform::Amocrm;
        assert_eq!(normalize_phone("+7\u{202f}912\u{2009}123\u{2011}45\u{2013}67", ru), Ok("+79121234567".into()));
        assert_eq!(normalize_phone("8\u{a0}(912)\u{a0}123-45-67\u{200b}", ru), Ok("+79121234567".into()));
        assert_eq!(normalize_phone("810 44 20 7946 0958", ru), Ok("+442079460958".into()));
        assert_eq!(normalize_phone("810 375 29 123 45 67", ru), Ok("+375291234567".into()));
        // Kommo accounts are not Russian by default: ten digits are not turned into +7.
        assert_eq!(normalize_phone("9121234567", Platform::Kommo), Err(FieldCode::PhoneNeedsCountryCode));
        assert_eq!(normalize_phone("89121234567", Platform::Kommo), Err(FieldCode::PhoneNeedsCountryCode));
        assert_eq!(normalize_phone("810 44 20 7946 0958", Platform::Kommo), Err(FieldCode::PhoneNeedsCountryCode));
    }

    #[test]
    fn emails_get_a_syntax_check() {
        assert!(valid_email("anna@example.com"));
        assert!(valid_email("a.b+c@mail.example.ru"));
        for bad in ["anna", "@example.com", "anna@", "anna@example", "an na@example.com", "a@b@c.com", "a@.com"] {
            assert!(!valid_email(bad), "{bad}");
        }
    }
}
