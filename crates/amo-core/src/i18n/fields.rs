//! Field problems and field labels, for the forms and for validation messages.

use super::tr;
use crate::domain::draft::{MAX_NAME, MAX_NOTE, MAX_PHONES, MAX_TAG, MAX_TAGS};
use crate::domain::fields::{MAX_FIELDS, MAX_TEXT};
use crate::domain::lang::Lang;
use crate::domain::task::MAX_TASK_TEXT;
use crate::error::{FieldCode, FieldError};

/// What is wrong with one field, for the message under it.
pub fn field_message(f: &FieldError, lang: Lang) -> String {
    let amo = f.amo_code.as_deref().unwrap_or("?");
    match f.code {
        FieldCode::Required => tr(lang, "обязательное поле", "required"),
        FieldCode::TooLong => match f.field.as_str() {
            "note" => tr(lang, format!("не длиннее {MAX_NOTE} символов"), format!("at most {MAX_NOTE} characters")),
            "task.text" | "text" => {
                tr(lang, format!("не длиннее {MAX_TASK_TEXT} символов"), format!("at most {MAX_TASK_TEXT} characters"))
            }
            _ => tr(lang, format!("не длиннее {MAX_NAME} символов"), format!("at most {MAX_NAME} characters")),
        },
        FieldCode::TooMany => match f.field.as_str() {
            "tags" => tr(lang, format!("не больше {MAX_TAGS} тегов"), format!("at most {MAX_TAGS} tags")),
            "custom_fields" => tr(
                lang,
                format!("amoCRM принимает не больше {MAX_FIELDS} дополнительных полей"),
                format!("amoCRM takes at most {MAX_FIELDS} custom fields"),
            ),
            c if c.starts_with("custom_fields.") => {
                tr(lang, "поле указано дважды; оставьте одно значение", "the field is given twice; keep one value")
            }
            _ => tr(lang, format!("не больше {MAX_PHONES} значений"), format!("at most {MAX_PHONES} values")),
        },
        FieldCode::InvalidPhone => {
            tr(lang, "телефон должен состоять из цифр, 8–15 цифр", "a phone number has 8–15 digits")
        }
        FieldCode::PhoneNeedsCountryCode => {
            tr(lang, "укажите код страны, например +44 20 7946 0958", "include the country code, e.g. +44 20 7946 0958")
        }
        FieldCode::InvalidEmail => {
            tr(lang, "адрес почты вида name@example.com", "an email address like name@example.com")
        }
        FieldCode::InvalidPrice => {
            tr(lang, "бюджет — целое число не меньше 0", "the price is a whole number, 0 or more")
        }
        FieldCode::InvalidTag => tr(
            lang,
            format!("тег без запятых, до {MAX_TAG} символов"),
            format!("a tag has no commas and at most {MAX_TAG} characters"),
        ),
        // Refused here with the choices there are (a command line's name that matched none).
        FieldCode::NotAChoice if f.detail.is_some() && f.amo_code.is_none() => {
            let there = f.detail.clone().unwrap_or_default();
            tr(lang, format!("такого варианта нет; есть: {there}"), format!("no such choice; there are: {there}"))
        }
        FieldCode::NotAChoice => tr(
            lang,
            "amoCRM не знает такого варианта для этого поля (NotSupportedChoice)",
            "amoCRM does not accept this choice for the field (NotSupportedChoice)",
        ),
        FieldCode::NotExpected => tr(
            lang,
            "amoCRM не принимает это поле здесь (FieldNotExpected)",
            "amoCRM does not expect this field here (FieldNotExpected)",
        ),
        FieldCode::UnknownField => tr(
            lang,
            "нет такого поля; есть name, price, pipeline, status, responsible, tags, note, contact-name, phone, email, contact-id, company, company-id, task, task-due, task-type, task-responsible",
            "no such field; there are name, price, pipeline, status, responsible, tags, note, contact-name, phone, email, contact-id, company, company-id, task, task-due, task-type, task-responsible",
        ),
        FieldCode::NotANumber => tr(lang, "нужно целое число (номер в amoCRM)", "a whole number (an amoCRM id) is expected"),
        FieldCode::RequiredForStage => {
            tr(lang, "обязательно для выбранного этапа", "required for the chosen stage")
        }
        FieldCode::TooLongForAmo => tr(
            lang,
            format!("amoCRM принимает не больше {MAX_TEXT} символов"),
            format!("amoCRM takes at most {MAX_TEXT} characters"),
        ),
        FieldCode::InvalidNumber => tr(
            lang,
            "число: цифры и одна запятая или точка, не больше 15 цифр",
            "a number: digits and one decimal point, at most 15 digits",
        ),
        FieldCode::InvalidFlag => tr(lang, "да или нет", "yes or no"),
        FieldCode::InvalidDate => tr(lang, "дата вида 2026-12-01 или 01.12.2026", "a date like 2026-12-01 or 01.12.2026"),
        FieldCode::InvalidDateTime => tr(
            lang,
            "дата и время с поясом, например 2026-12-01T10:00:00+03:00",
            "a date and time with its offset, like 2026-12-01T10:00:00+03:00",
        ),
        FieldCode::InvalidUrl => tr(lang, "адрес, начинающийся с https://", "an address starting with https://"),
        FieldCode::FieldsNotLoaded => tr(
            lang,
            "поля аккаунта ещё не загружены: подключитесь к amoCRM и обновите данные формы",
            "the account's fields are not loaded yet: connect to amoCRM and refresh the form's data",
        ),
        FieldCode::UnknownCustomField => tr(
            lang,
            "в аккаунте нет такого поля; укажите номер, код или название поля, знак «=» и значение",
            "the account has no such field (see amo-connect fields); write ID_OR_CODE_OR_NAME=VALUE",
        ),
        FieldCode::InvalidDue => tr(
            lang,
            "срок вида «завтра 10:00», «+2ч», «2026-12-01 10:00»",
            "a due time like \"tomorrow 10:00\", \"+2h\" or \"2026-12-01 10:00\"",
        ),
        FieldCode::DueInPast => tr(lang, "этот срок уже прошёл", "this time has already passed"),
        FieldCode::UnsortedOff => tr(
            lang,
            "в этой воронке выключено «Неразобранное»: выберите этап",
            "this pipeline does not take incoming leads: choose a stage",
        ),
        FieldCode::UnknownCaller => tr(
            lang,
            "в amoCRM нет контакта с этим номером: сначала добавьте контакт",
            "amoCRM has no contact with this number: add the contact first",
        ),
        FieldCode::DuplicateContact => {
            let who = f.detail.clone().unwrap_or_default();
            tr(
                lang,
                format!("этот номер или адрес уже есть у контакта {who} в amoCRM: привяжите к нему или создайте новый всё равно"),
                format!("{who} in amoCRM already has this: attach to that contact, or create a new one anyway"),
            )
        }
        FieldCode::NothingToChange => tr(
            lang,
            "ничего не изменено: задайте новое значение хотя бы одному полю",
            "nothing is changed: give at least one field a new value",
        ),
        FieldCode::NotInAccount => tr(
            lang,
            "этого варианта нет в подключённом аккаунте amoCRM (форма показывала другой аккаунт, или ни один не подключён): выберите заново",
            "the connected amoCRM account has no such choice (the form showed another account's, or none is connected): choose again",
        ),
        FieldCode::ReadOnlyField => tr(
            lang,
            "это поле можно заполнить только в amoCRM",
            "this field can only be filled in amoCRM",
        ),
        FieldCode::Rejected => tr(
            lang,
            format!("amoCRM не принял значение (код {amo})"),
            match &f.detail {
                Some(d) => format!("amoCRM refused the value ({amo}): {d}"),
                None => format!("amoCRM refused the value ({amo})"),
            },
        ),
    }
}

/// A form field's label (`contact.phones.1` → "Телефон 2"); other names (CLI flags) as they are.
pub fn field_label(field: &str, lang: Lang) -> String {
    let parts: Vec<&str> = field.split('.').collect();
    let (contact, rest) = match parts.as_slice() {
        ["contact", rest @ ..] => (true, rest),
        rest => (false, rest),
    };
    let base = match rest {
        ["task"] => tr(lang, "Задача", "Task"),
        ["task", "text"] => tr(lang, "Текст задачи", "Task text"),
        ["task", "due"] => tr(lang, "Срок задачи", "Task due"),
        ["task", "task_type_id"] => tr(lang, "Тип задачи", "Task type"),
        ["task", "responsible_user_id"] => tr(lang, "Исполнитель задачи", "Task responsible"),
        ["company", "name"] | ["company"] => tr(lang, "Компания", "Company"),
        ["existing_company_id"] => tr(lang, "Компания", "Company"),
        ["lead_id"] => tr(lang, "Сделка", "Lead"),
        ["unsorted"] => tr(lang, "Неразобранное", "Incoming leads"),
        ["name"] => tr(lang, "Название", "Name"),
        ["price"] => tr(lang, "Бюджет", "Price"),
        ["status"] => tr(lang, "Этап", "Stage"),
        ["pipeline"] => tr(lang, "Воронка", "Pipeline"),
        ["existing_contact_id"] => tr(lang, "Контакт", "Contact"),
        ["responsible_user_id"] => tr(lang, "Ответственный", "Responsible"),
        ["tags"] => tr(lang, "Теги", "Tags"),
        ["note"] => tr(lang, "Примечание", "Note"),
        ["first_name"] => tr(lang, "Имя", "First name"),
        ["last_name"] => tr(lang, "Фамилия", "Last name"),
        ["email"] | ["emails"] => tr(lang, "Почта", "Email"),
        ["emails", i] => {
            let n = i.parse::<usize>().ok().and_then(|n| n.checked_add(1)).unwrap_or(1);
            tr(lang, format!("Почта {n}"), format!("Email {n}"))
        }
        ["phones"] => tr(lang, "Телефоны", "Phones"),
        ["phones", i] => {
            // The index may come from amoCRM's error path: no arithmetic on it can overflow.
            let n = i.parse::<usize>().ok().and_then(|n| n.checked_add(1)).unwrap_or(1);
            tr(lang, format!("Телефон {n}"), format!("Phone {n}"))
        }
        [] => tr(lang, "Контакт", "Contact"),
        ["form"] => tr(lang, "Форма", "Form"),
        ["query"] => tr(lang, "Поиск", "Search"),
        ["custom_fields"] => tr(lang, "Дополнительные поля", "Custom fields"),
        ["custom_fields", id] => tr(lang, format!("Поле {id}"), format!("Field {id}")),
        _ => return field.to_string(),
    };
    if contact && !rest.is_empty() {
        tr(lang, format!("{base} (контакт)"), format!("Contact {}", base.to_lowercase()))
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_for_form_fields_and_flags_unchanged() {
        assert_eq!(field_label("contact.phones.1", Lang::Ru), "Телефон 2 (контакт)");
        assert_eq!(field_label("contact.emails.0", Lang::En), "Contact email 1");
        assert_eq!(field_label("price", Lang::Ru), "Бюджет");
        assert_eq!(field_label("--price", Lang::Ru), "--price");
        assert_eq!(field_label("task.due", Lang::Ru), "Срок задачи");
        assert_eq!(field_label("company.name", Lang::En), "Company");
    }

    /// An index from amoCRM's path as large as `usize` allows overflowed `n + 1`.
    #[test]
    fn a_huge_phone_index_does_not_overflow() {
        assert_eq!(field_label(&format!("contact.phones.{}", usize::MAX), Lang::En), "Contact phone 1");
    }
}
