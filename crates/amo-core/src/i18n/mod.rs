//! Every sentence the core shows a person, in Russian and English, rendered from codes at the
//! moment it is shown. Nothing stores a rendered sentence: errors, field problems and outbox
//! failures are kept as codes with parameters and rendered here in the language of that moment.
//!
//! Rules the tests check: every code has both languages; a Russian sentence contains no English
//! words (text that comes from amoCRM or the OS in English is left out of Russian sentences and
//! kept for the log); counts use the language's plural forms.

mod errors;
mod fields;
mod notices;
mod steps;
mod tray;
pub use notices::notice_text;
pub use steps::{step_label, step_state_label};
pub use tray::{tray_label, tray_outbox_line, tray_tasks_line, TrayItem};

use crate::domain::lang::Lang;
use crate::error::{Error, ErrorPayload, FieldError, FieldErrorView};

pub use fields::{field_label, field_message};

impl Error {
    /// A message for a person, in their language. Details that help (which field, which port)
    /// are included; secrets never are, because no variant carries one.
    pub fn message(&self, lang: Lang) -> String {
        errors::message(self, lang)
    }

    /// The error as the window receives it.
    pub fn to_payload(&self, lang: Lang) -> ErrorPayload {
        ErrorPayload {
            code: self.code(),
            message: self.message(lang),
            remedy: self.code().remedy(),
            fields: self.fields().map(|f| f.iter().map(|e| e.view(lang)).collect()),
        }
    }
}

impl FieldError {
    pub fn view(&self, lang: Lang) -> FieldErrorView {
        FieldErrorView {
            field: self.field.clone(),
            code: self.code,
            amo_code: self.amo_code.clone(),
            message: field_message(self, lang),
            label: self.label.clone().unwrap_or_else(|| fields::field_label(&self.field, lang)),
        }
    }
}

/// `ru` or `en`, whichever `lang` is.
pub(crate) fn tr(lang: Lang, ru: impl Into<String>, en: impl Into<String>) -> String {
    match lang {
        Lang::Ru => ru.into(),
        Lang::En => en.into(),
    }
}

/// The plural form for `n`: Russian has three (1 запись, 2 записи, 5 записей), English two.
/// `forms` is (one, few, many); English uses `one` and `many`.
pub fn plural<'a>(lang: Lang, n: u64, forms: (&'a str, &'a str, &'a str)) -> &'a str {
    let (one, few, many) = forms;
    match lang {
        Lang::En => {
            if n == 1 {
                one
            } else {
                many
            }
        }
        Lang::Ru => {
            let (m10, m100) = (n % 10, n % 100);
            if m10 == 1 && m100 != 11 {
                one
            } else if (2..=4).contains(&m10) && !(12..=14).contains(&m100) {
                few
            } else {
                many
            }
        }
    }
}

/// Texts of the page the browser shows after amoCRM's redirect to the loopback listener.
pub struct CallbackPage {
    pub title: &'static str,
    pub heading: &'static str,
    pub body: &'static str,
}

pub fn callback_page(ok: bool, lang: Lang) -> CallbackPage {
    match (ok, lang) {
        (true, Lang::Ru) => CallbackPage {
            title: "Amo Connect — подключено",
            heading: "✓ amoCRM подключён",
            body: "Можно закрыть эту вкладку и вернуться в Amo Connect.",
        },
        (true, Lang::En) => CallbackPage {
            title: "Amo Connect — connected",
            heading: "✓ amoCRM connected",
            body: "You can close this tab and return to Amo Connect.",
        },
        (false, Lang::Ru) => CallbackPage {
            title: "Amo Connect — ошибка",
            heading: "Не удалось подключить amoCRM",
            body: "Вернитесь в Amo Connect: там сказано, что делать дальше.",
        },
        (false, Lang::En) => CallbackPage {
            title: "Amo Connect — error",
            heading: "Could not connect amoCRM",
            body: "Return to Amo Connect: it says what to do next.",
        },
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::error::tests::one_of_each;
    use crate::error::FieldCode;

    /// Latin words allowed in Russian text: product and protocol names the UI also leaves
    /// untranslated.
    const NAMES: &[&str] = &[
        "amoCRM",
        "Amo",
        "Connect",
        "Kommo",
        "Integration",
        "ID",
        "Redirect",
        "URI",
        "API",
        "HTTP",
        "Secret",
        "Service",
        "Keychain",
        "amoconnect",
        "oauth",
        "callback",
        "https",
        "http",
        "amocrm",
        "ru",
        "kommo",
        "com",
        "mycompany",
        "config",
        "set",
        "amo-connect",
        "JWT",
        "exp",
        "state",
        "Windows",
        "macOS",
        "Linux",
        "IsLocked",
        "NotSupportedChoice",
        "FieldNotExpected",
        "SomethingElse",
        // the examples in messages: name@example.com, http://127.0.0.1:53682/callback
        "name",
        "example",
        "AMO_CONNECT_DATA_DIR",
        // the field names the command line takes
        "price",
        "pipeline",
        "status",
        "responsible",
        "tags",
        "note",
        "contact-name",
        "phone",
        "email",
        "contact-id",
        "company",
        "company-id",
        "task",
        "task-due",
        "task-type",
        "task-responsible",
    ];

    /// The Latin words of `text` that are not allowed names (ignoring the sample values).
    pub(crate) fn english_words(text: &str, allowed_values: &[&str]) -> Vec<String> {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .filter(|w| w.chars().filter(|c| c.is_ascii_alphabetic()).count() >= 3)
            .filter(|w| !NAMES.iter().any(|n| n.eq_ignore_ascii_case(w)))
            .filter(|w| !allowed_values.iter().any(|v| v.contains(w)))
            .map(str::to_string)
            .collect()
    }

    /// Parameters in the samples that may appear verbatim (values the user typed).
    const SAMPLE_VALUES: &[&str] = &["evil.com", "53682", "/nope", "beta.amocrm.ru"];

    #[test]
    fn every_error_has_both_languages_and_no_english_in_russian() {
        for e in one_of_each() {
            let (ru, en) = (e.message(Lang::Ru), e.message(Lang::En));
            assert!(!ru.is_empty() && !en.is_empty(), "{:?}", e.code());
            assert_ne!(ru, en, "{} has no Russian text", e.code());
            assert!(ru.chars().any(|c| ('а'..='я').contains(&c.to_lowercase().next().unwrap_or(c))), "{ru}");
            let english = english_words(&ru, SAMPLE_VALUES);
            assert!(english.is_empty(), "{}: English in Russian text {english:?}: {ru}", e.code());
        }
    }

    #[test]
    fn every_field_code_has_both_languages() {
        for code in [
            FieldCode::Required,
            FieldCode::TooLong,
            FieldCode::TooMany,
            FieldCode::InvalidPhone,
            FieldCode::PhoneNeedsCountryCode,
            FieldCode::InvalidEmail,
            FieldCode::InvalidPrice,
            FieldCode::InvalidTag,
            FieldCode::NotAChoice,
            FieldCode::NotExpected,
            FieldCode::Rejected,
            FieldCode::UnknownField,
            FieldCode::NotANumber,
            FieldCode::RequiredForStage,
            FieldCode::TooLongForAmo,
            FieldCode::InvalidNumber,
            FieldCode::InvalidFlag,
            FieldCode::InvalidDate,
            FieldCode::InvalidDateTime,
            FieldCode::InvalidUrl,
            FieldCode::ReadOnlyField,
            FieldCode::FieldsNotLoaded,
            FieldCode::UnknownCustomField,
            FieldCode::InvalidDue,
            FieldCode::DueInPast,
            FieldCode::UnsortedOff,
            FieldCode::UnknownCaller,
            FieldCode::DuplicateContact,
            FieldCode::NotInAccount,
        ] {
            let f = FieldError {
                amo_code: Some("SomethingElse".into()),
                // A duplicate's detail names the contact (a name as typed in amoCRM).
                detail: Some(
                    if code == FieldCode::DuplicateContact { "Ольга (#5)" } else { "This value is not valid." }.into(),
                ),
                ..FieldError::new("name", code)
            };
            let (ru, en) = (field_message(&f, Lang::Ru), field_message(&f, Lang::En));
            assert_ne!(ru, en, "{code:?}");
            assert!(english_words(&ru, &[]).is_empty(), "{code:?}: {ru}");
        }
    }

    #[test]
    fn plural_forms() {
        let forms = ("запись", "записи", "записей");
        let ru: Vec<&str> = [1, 2, 5, 11, 21, 22, 25, 111, 112].iter().map(|n| plural(Lang::Ru, *n, forms)).collect();
        assert_eq!(ru, ["запись", "записи", "записей", "записей", "запись", "записи", "записей", "записей", "записей"]);
        assert_eq!(plural(Lang::En, 1, ("entry", "", "entries")), "entry");
        assert_eq!(plural(Lang::En, 0, ("entry", "", "entries")), "entries");
    }

    #[test]
    fn the_payload_carries_code_remedy_and_rendered_fields() {
        let e = Error::validation(vec![FieldError::new("price", FieldCode::InvalidPrice)]);
        let p = e.to_payload(Lang::Ru);
        assert_eq!(p.code.as_str(), "validation");
        let fields = p.fields.expect("fields");
        assert_eq!(fields[0].field, "price");
        assert!(fields[0].message.contains("целое"), "{}", fields[0].message);
        let json = serde_json::to_value(Error::not_configured(crate::error::Setting::ClientId).to_payload(Lang::En))
            .expect("json");
        assert_eq!((json["code"].as_str(), json["remedy"].as_str()), (Some("not_configured"), Some("settings")));
    }
}
