//! What the user types: lead and contact drafts, checked field by field before anything is
//! queued, and turned into amoCRM request bodies (shared/amocrm-api.md §6.4–6.7). amoCRM's own
//! `validation-errors` are mapped back onto the same field names, so the form marks the field
//! whichever side found the problem.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use ts_rs::TS;

use crate::config::Platform;
use crate::lang::Lang;

pub const MAX_NAME: usize = 255;
pub const MAX_NOTE: usize = 10_000;
pub const MAX_TAGS: usize = 10;
pub const MAX_TAG: usize = 50;
pub const MAX_PHONES: usize = 5;
/// amoCRM stores `price` as a 32-bit integer.
pub const MAX_PRICE: i64 = 2_147_483_647;

/// A contact as typed (alone, or inside a lead).
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
#[serde(default)]
pub struct ContactDraft {
    pub first_name: String,
    pub last_name: String,
    pub phones: Vec<String>,
    pub email: String,
    #[ts(type = "number | null")]
    pub responsible_user_id: Option<i64>,
}

/// A lead as typed. `price` is the text the user typed, checked here so the window and the CLI
/// get the same answer for "12,5" or "-3".
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
}

/// One field's problem. `field` uses the form's names: `name`, `price`, `status`,
/// `responsible_user_id`, `tags`, `note`, `contact.first_name`, `contact.phones.0`,
/// `contact.email`, … (`form` when amoCRM's path maps to no field).
#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct FieldError {
    pub field: String,
    /// Ours: `required`, `too_long`, `too_many`, `invalid_phone`, `phone_needs_country_code`,
    /// `invalid_email`, `invalid_price`, `invalid_tag`; amoCRM's: `amo_` + its code.
    pub code: String,
    pub message: String,
}

impl FieldError {
    fn ours(field: impl Into<String>, code: &str, lang: Lang) -> FieldError {
        FieldError { field: field.into(), code: code.into(), message: message(code, lang) }
    }
}

fn message(code: &str, lang: Lang) -> String {
    let ru = lang == Lang::Ru;
    let (r, e) = match code {
        "required" => ("обязательное поле", "required"),
        "too_long" => ("слишком длинно", "too long"),
        "too_many" => ("слишком много значений", "too many values"),
        "invalid_phone" => ("телефон должен состоять из цифр, 8–15 цифр", "a phone number has 8–15 digits"),
        "phone_needs_country_code" => {
            ("укажите код страны, например +44 20 7946 0958", "include the country code, e.g. +44 20 7946 0958")
        }
        "invalid_email" => ("адрес почты вида name@example.com", "an email address like name@example.com"),
        "invalid_price" => ("бюджет — целое число не меньше 0", "the price is a whole number, 0 or more"),
        "invalid_tag" => ("тег без запятых, до 50 символов", "a tag has no commas and at most 50 characters"),
        _ => ("неверное значение", "invalid value"),
    };
    if ru { r } else { e }.to_string()
}

/// A phone number in international form (`+` and 8–15 digits). Spaces, dashes, dots and
/// brackets are dropped; `00` means `+`. Numbers without a country code are accepted only where
/// the account's country makes them unambiguous: on amoCRM.ru, `8 912 …` and `912 …` (ten
/// digits) are Russian numbers (`+7`). amoCRM's duplicate control compares phones in this form
/// (§6.5), so a consistent form is what makes duplicates findable.
pub fn normalize_phone(raw: &str, platform: Platform) -> Result<String, &'static str> {
    let t = raw.trim();
    let (plus, rest) = match t.strip_prefix('+') {
        Some(r) => (true, r),
        None => (false, t),
    };
    let mut digits = String::new();
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '\u{a0}' => {}
            _ => return Err("invalid_phone"),
        }
    }
    let intl = if plus {
        digits
    } else if let Some(r) = digits.strip_prefix("00") {
        r.to_string()
    } else if platform == Platform::Amocrm && digits.len() == 11 && (digits.starts_with('8') || digits.starts_with('7'))
    {
        format!("7{}", &digits[1..])
    } else if platform == Platform::Amocrm && digits.len() == 10 {
        format!("7{digits}")
    } else if (8..=15).contains(&digits.len()) {
        return Err("phone_needs_country_code");
    } else {
        return Err("invalid_phone");
    };
    if !(8..=15).contains(&intl.len()) || intl.starts_with('0') {
        return Err("invalid_phone");
    }
    Ok(format!("+{intl}"))
}

/// A plain syntax check: one `@`, something before it, a dotted domain after it, no spaces.
pub fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    s.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && !s.chars().any(char::is_whitespace)
        && domain.split('.').count() >= 2
        && domain.split('.').all(|p| !p.is_empty() && !p.starts_with('-') && !p.ends_with('-'))
}

fn too_long(s: &str, max: usize) -> bool {
    s.chars().count() > max
}

impl ContactDraft {
    pub fn is_empty(&self) -> bool {
        self.first_name.trim().is_empty()
            && self.last_name.trim().is_empty()
            && self.email.trim().is_empty()
            && self.phones.iter().all(|p| p.trim().is_empty())
    }

    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name.trim(), self.last_name.trim()).trim().to_string()
    }

    /// Trims, drops empty phones, normalises phones and lower-cases the email's domain; returns
    /// the cleaned draft or every field's problem (`prefix` is `contact.` inside a lead).
    pub fn validated(&self, prefix: &str, platform: Platform, lang: Lang) -> Result<ContactDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let first_name = self.first_name.trim().to_string();
        let last_name = self.last_name.trim().to_string();
        if first_name.is_empty() && last_name.is_empty() {
            errors.push(FieldError::ours(format!("{prefix}first_name"), "required", lang));
        }
        for (field, v) in [("first_name", &first_name), ("last_name", &last_name)] {
            if too_long(v, MAX_NAME) {
                errors.push(FieldError::ours(format!("{prefix}{field}"), "too_long", lang));
            }
        }
        let typed: Vec<&str> = self.phones.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect();
        if typed.len() > MAX_PHONES {
            errors.push(FieldError::ours(format!("{prefix}phones"), "too_many", lang));
        }
        let mut phones = Vec::new();
        for (i, p) in self.phones.iter().enumerate().filter(|(_, p)| !p.trim().is_empty()) {
            match normalize_phone(p, platform) {
                Ok(n) if !phones.contains(&n) => phones.push(n),
                Ok(_) => {}
                Err(code) => errors.push(FieldError::ours(format!("{prefix}phones.{i}"), code, lang)),
            }
        }
        let email = match self.email.trim() {
            "" => String::new(),
            e if valid_email(e) => {
                let (local, domain) = e.split_once('@').unwrap_or((e, ""));
                format!("{local}@{}", domain.to_lowercase())
            }
            _ => {
                errors.push(FieldError::ours(format!("{prefix}email"), "invalid_email", lang));
                String::new()
            }
        };
        if errors.is_empty() {
            Ok(ContactDraft { first_name, last_name, phones, email, responsible_user_id: self.responsible_user_id })
        } else {
            Err(errors)
        }
    }

    /// The contact model for `POST /contacts` or inside `/leads/complex` (§6.6): phones and the
    /// email as `PHONE`/`EMAIL` multitext values with `WORK` enum codes.
    pub fn to_amo(&self, created_at: Option<i64>, request_id: Option<&str>) -> Value {
        let mut c = json!({
            "name": self.display_name(),
            "first_name": self.first_name,
            "last_name": self.last_name,
        });
        let mut fields = Vec::new();
        if !self.phones.is_empty() {
            fields.push(json!({"field_code": "PHONE",
                "values": self.phones.iter().map(|p| json!({"value": p, "enum_code": "WORK"})).collect::<Vec<_>>()}));
        }
        if !self.email.is_empty() {
            fields.push(json!({"field_code": "EMAIL", "values": [{"value": self.email, "enum_code": "WORK"}]}));
        }
        if !fields.is_empty() {
            c["custom_fields_values"] = Value::Array(fields);
        }
        if let Some(id) = self.responsible_user_id {
            c["responsible_user_id"] = json!(id);
        }
        if let Some(t) = created_at {
            c["created_at"] = json!(t);
        }
        if let Some(r) = request_id {
            c["request_id"] = json!(r);
        }
        c
    }

    /// Which form field a path of [`ContactDraft::to_amo`] (`first_name`,
    /// `custom_fields_values.N.values.M.value`, …) is; `prefix` is `contact.` inside a lead.
    pub fn field_for(&self, prefix: &str, rest: &str) -> String {
        let parts: Vec<&str> = rest.split('.').collect();
        match parts.as_slice() {
            ["first_name", ..] | ["name", ..] => format!("{prefix}first_name"),
            ["last_name", ..] => format!("{prefix}last_name"),
            ["responsible_user_id", ..] => format!("{prefix}responsible_user_id"),
            ["custom_fields_values", i, "values", j, ..] => {
                let phones_first = !self.phones.is_empty();
                match (i.parse::<usize>(), phones_first) {
                    (Ok(0), true) => format!("{prefix}phones.{j}"),
                    _ => format!("{prefix}email"),
                }
            }
            _ => "form".into(),
        }
    }
}

impl LeadDraft {
    /// The cleaned draft or every field's problem. The lead name is required; a contact is
    /// optional, but once any of its fields is typed it needs a name.
    pub fn validated(&self, platform: Platform, lang: Lang) -> Result<LeadDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = self.name.trim().to_string();
        if name.is_empty() {
            errors.push(FieldError::ours("name", "required", lang));
        } else if too_long(&name, MAX_NAME) {
            errors.push(FieldError::ours("name", "too_long", lang));
        }
        let price = self.price.trim().replace([' ', '\u{a0}'], "");
        let price_ok = price.is_empty()
            || (price.chars().all(|c| c.is_ascii_digit()) && price.parse::<i64>().is_ok_and(|p| p <= MAX_PRICE));
        if !price_ok {
            errors.push(FieldError::ours("price", "invalid_price", lang));
        }
        if self.status_id.is_some() && self.pipeline_id.is_none() {
            errors.push(FieldError::ours("status", "required", lang));
        }
        let tags: Vec<String> = self.tags.iter().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect();
        if tags.len() > MAX_TAGS {
            errors.push(FieldError::ours("tags", "too_many", lang));
        }
        if tags.iter().any(|t| too_long(t, MAX_TAG) || t.contains(',')) {
            errors.push(FieldError::ours("tags", "invalid_tag", lang));
        }
        let note = self.note.trim().to_string();
        if too_long(&note, MAX_NOTE) {
            errors.push(FieldError::ours("note", "too_long", lang));
        }
        let contact = match (&self.contact, self.existing_contact_id) {
            (_, Some(_)) => None,
            (Some(c), None) if !c.is_empty() => match c.validated("contact.", platform, lang) {
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
                status_id: self.status_id,
                responsible_user_id: self.responsible_user_id,
                tags,
                contact,
                existing_contact_id: self.existing_contact_id,
                note,
            })
        } else {
            Err(errors)
        }
    }

    pub fn price_value(&self) -> Option<i64> {
        match self.price.as_str() {
            "" => None,
            p => p.parse().ok(),
        }
    }

    /// One item of `POST /api/v4/leads/complex` (§6.5). `created_at` is the entry's marker (see
    /// `outbox`); `request_id` ties amoCRM's answer and validation errors to it.
    pub fn to_complex(&self, created_at: i64, request_id: &str) -> Value {
        let mut lead = json!({"name": self.name, "created_at": created_at, "request_id": request_id});
        if let Some(p) = self.price_value() {
            lead["price"] = json!(p);
        }
        if let Some(id) = self.pipeline_id {
            lead["pipeline_id"] = json!(id);
        }
        if let Some(id) = self.status_id {
            lead["status_id"] = json!(id);
        }
        if let Some(id) = self.responsible_user_id {
            lead["responsible_user_id"] = json!(id);
        }
        let mut embedded = serde_json::Map::new();
        if !self.tags.is_empty() {
            embedded.insert("tags".into(), self.tags.iter().map(|t| json!({"name": t})).collect());
        }
        if let Some(id) = self.existing_contact_id {
            embedded.insert("contacts".into(), json!([{"id": id}]));
        } else if let Some(c) = &self.contact {
            let mut c = c.clone();
            c.responsible_user_id = c.responsible_user_id.or(self.responsible_user_id);
            embedded.insert("contacts".into(), json!([c.to_amo(Some(created_at), None)]));
        }
        if !embedded.is_empty() {
            lead["_embedded"] = Value::Object(embedded);
        }
        lead
    }

    /// Maps an amoCRM validation path of [`LeadDraft::to_complex`] onto the form's field.
    pub fn field_for(&self, path: &str) -> String {
        let first = path.split('.').next().unwrap_or_default();
        match first {
            "name" => "name".into(),
            "price" => "price".into(),
            "pipeline_id" | "status_id" => "status".into(),
            "responsible_user_id" => "responsible_user_id".into(),
            "_embedded" => match path.strip_prefix("_embedded.contacts.0.") {
                Some(rest) => match &self.contact {
                    Some(c) => c.field_for("contact.", rest),
                    None => "contact".into(),
                },
                None if path.starts_with("_embedded.tags") => "tags".into(),
                None => "contact".into(),
            },
            _ => "form".into(),
        }
    }
}

/// amoCRM's `validation-errors` (as `api` reports them: the raw path in `field`) as form field
/// errors; `map` turns a path into the form's field name.
pub fn amo_field_errors(raw: &[FieldError], map: impl Fn(&str) -> String) -> Vec<FieldError> {
    raw.iter()
        .map(|f| FieldError {
            field: map(&f.field),
            code: format!("amo_{}", f.code.to_ascii_lowercase()),
            message: f.message.chars().filter(|c| !c.is_control()).take(200).collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalised_to_international_form() {
        let ru = Platform::Amocrm;
        assert_eq!(normalize_phone("+7 (912) 123-45-67", ru), Ok("+79121234567".into()));
        assert_eq!(normalize_phone("8 912 123 45 67", ru), Ok("+79121234567".into()));
        assert_eq!(normalize_phone("9121234567", ru), Ok("+79121234567".into()));
        assert_eq!(normalize_phone("0044 20 7946 0958", ru), Ok("+442079460958".into()));
        assert_eq!(normalize_phone("+44 20 7946 0958", Platform::Kommo), Ok("+442079460958".into()));
        assert_eq!(normalize_phone("020 7946 0958", Platform::Kommo), Err("phone_needs_country_code"));
        assert_eq!(normalize_phone("12-34", ru), Err("invalid_phone"));
        assert_eq!(normalize_phone("+7 912 CALL ME", ru), Err("invalid_phone"));
        assert_eq!(normalize_phone("+1234567890123456", ru), Err("invalid_phone"));
    }

    #[test]
    fn emails_get_a_syntax_check() {
        assert!(valid_email("anna@example.com"));
        assert!(valid_email("a.b+c@mail.example.ru"));
        for bad in ["anna", "@example.com", "anna@", "anna@example", "an na@example.com", "a@b@c.com", "a@.com"] {
            assert!(!valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn a_lead_draft_reports_every_bad_field_at_once() {
        let d = LeadDraft {
            name: "  ".into(),
            price: "-3".into(),
            tags: vec!["a,b".into()],
            contact: Some(ContactDraft {
                phones: vec!["12".into(), "".into(), "+7 912 123 45 67".into()],
                email: "nope".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let errs = d.validated(Platform::Amocrm, Lang::En).expect_err("invalid");
        let fields: Vec<(&str, &str)> = errs.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        assert_eq!(
            fields,
            vec![
                ("name", "required"),
                ("price", "invalid_price"),
                ("tags", "invalid_tag"),
                ("contact.first_name", "required"),
                ("contact.phones.0", "invalid_phone"),
                ("contact.email", "invalid_email"),
            ]
        );
        assert!(errs.iter().all(|e| !e.message.is_empty()));
    }

    #[test]
    fn prices_must_be_non_negative_whole_numbers() {
        let ok = |p: &str| {
            LeadDraft { name: "x".into(), price: p.into(), ..Default::default() }.validated(Platform::Amocrm, Lang::En)
        };
        assert_eq!(ok("15 000").expect("ok").price_value(), Some(15_000));
        assert_eq!(ok("0").expect("ok").price_value(), Some(0));
        assert_eq!(ok("007").expect("ok").price_value(), Some(7));
        assert_eq!(ok("").expect("ok").price_value(), None);
        for bad in ["12.5", "12,5", "-1", "1e3", "99999999999"] {
            assert!(ok(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_valid_lead_becomes_one_complex_item_with_its_contact() {
        let d = LeadDraft {
            name: " Order 17 ".into(),
            price: "1500".into(),
            pipeline_id: Some(1),
            status_id: Some(2),
            tags: vec!["phone".into()],
            contact: Some(ContactDraft {
                first_name: "Ivan".into(),
                phones: vec!["8 (912) 123-45-67".into()],
                email: "Ivan@Example.COM".into(),
                ..Default::default()
            }),
            note: "call back".into(),
            ..Default::default()
        }
        .validated(Platform::Amocrm, Lang::En)
        .expect("valid");
        let v = d.to_complex(1_700_000_000, "ac-1");
        assert_eq!(v["name"], "Order 17");
        assert_eq!(v["price"], 1500);
        assert_eq!(v["created_at"], 1_700_000_000);
        assert_eq!(v["request_id"], "ac-1");
        assert_eq!(v["_embedded"]["tags"][0]["name"], "phone");
        let c = &v["_embedded"]["contacts"][0];
        assert_eq!(c["custom_fields_values"][0]["values"][0]["value"], "+79121234567");
        assert_eq!(c["custom_fields_values"][1]["values"][0]["value"], "Ivan@example.com");
        assert_eq!(d.field_for("_embedded.contacts.0.custom_fields_values.0.values.0.value"), "contact.phones.0");
        assert_eq!(d.field_for("_embedded.contacts.0.custom_fields_values.1.values.0.value"), "contact.email");
        assert_eq!(d.field_for("status_id"), "status");
    }

    #[test]
    fn attaching_to_an_existing_contact_sends_only_its_id() {
        let d = LeadDraft {
            name: "x".into(),
            existing_contact_id: Some(42),
            contact: Some(ContactDraft { first_name: "ignored".into(), ..Default::default() }),
            ..Default::default()
        }
        .validated(Platform::Amocrm, Lang::En)
        .expect("valid");
        assert_eq!(d.to_complex(1, "r")["_embedded"]["contacts"], json!([{"id": 42}]));
    }
}
