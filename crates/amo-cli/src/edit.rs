//! `outbox edit ID --field NAME=VALUE…`: the CLI's way to fix an entry amoCRM refused. Each
//! `--field` changes one field of the stored draft; every refusal names the `--field` it is about.

use amo_core::domain::draft::{CompanyDraft, ContactDraft, Draft};
use amo_core::domain::phone::{EmailType, PhoneType};
use amo_core::domain::task::TaskDraft;
use amo_core::error::{FieldCode, FieldError};
use amo_core::{Error, Result};

/// The draft with every `NAME=VALUE` applied, or every bad `--field` named.
pub fn apply(draft: &Draft, fields: &[String]) -> Result<Draft> {
    let mut draft = draft.clone();
    let mut errors = Vec::new();
    for f in fields {
        let (name, value) = f.split_once('=').unwrap_or((f.as_str(), ""));
        let (name, value) = (name.trim(), value.trim());
        if let Err(code) = set(&mut draft, name, value) {
            errors.push(FieldError::new(format!("--field {name}"), code));
        }
    }
    if errors.is_empty() {
        Ok(draft)
    } else {
        Err(Error::validation(errors))
    }
}

fn id(value: &str) -> Result<Option<i64>, FieldCode> {
    match value {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| FieldCode::NotANumber),
    }
}

fn list(value: &str, sep: char) -> Vec<String> {
    value.split(sep).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// "Ivan Petrov" → ("Ivan", "Petrov"); one word is a first name.
pub fn split_name(s: &str) -> (String, String) {
    let s = s.trim();
    match s.split_once(char::is_whitespace) {
        Some((f, l)) => (f.to_string(), l.trim().to_string()),
        None => (s.to_string(), String::new()),
    }
}

/// `VALUE[:TYPE]`: a phone and its amoCRM type (`+7 912…:MOB`); without a known type after the
/// last colon, the whole text is the number (and a work phone).
pub fn typed_phone(s: &str) -> (String, PhoneType) {
    match s.rsplit_once(':').and_then(|(v, t)| PhoneType::parse(t).map(|t| (v, t))) {
        Some((v, t)) => (v.trim().to_string(), t),
        None => (s.trim().to_string(), PhoneType::default()),
    }
}

/// `VALUE[:TYPE]` for an e-mail (`anna@example.com:PRIV`).
pub fn typed_email(s: &str) -> (String, EmailType) {
    match s.rsplit_once(':').and_then(|(v, t)| EmailType::parse(t).map(|t| (v, t))) {
        Some((v, t)) => (v.trim().to_string(), t),
        None => (s.trim().to_string(), EmailType::default()),
    }
}

fn set_contact(c: &mut ContactDraft, name: &str, value: &str) -> Result<(), FieldCode> {
    match name {
        "contact-name" | "name" => (c.first_name, c.last_name) = split_name(value),
        "phone" => (c.phones, c.phone_types) = list(value, '|').iter().map(|p| typed_phone(p)).unzip(),
        "email" => (c.emails, c.email_types) = list(value, '|').iter().map(|e| typed_email(e)).unzip(),
        "responsible" => c.responsible_user_id = id(value)?,
        _ => return Err(FieldCode::UnknownField),
    }
    Ok(())
}

/// `task`, `task-due`, `task-type` (an id), `task-responsible`; an empty `task` removes it.
fn set_task(t: &mut Option<TaskDraft>, name: &str, value: &str) -> Result<(), FieldCode> {
    if name == "task" && value.trim().is_empty() {
        *t = None;
        return Ok(());
    }
    let task = t.get_or_insert_with(TaskDraft::default);
    match name {
        "task" => task.text = value.to_string(),
        "task-due" => task.due = value.to_string(),
        "task-type" => task.task_type_id = id(value)?,
        "task-responsible" => task.responsible_user_id = id(value)?,
        _ => return Err(FieldCode::UnknownField),
    }
    Ok(())
}

/// `company NAME` (keeping its typed fields; empty removes it) or `company-id ID`.
fn set_company(
    company: &mut Option<CompanyDraft>,
    existing: &mut Option<i64>,
    name: &str,
    value: &str,
) -> Result<(), FieldCode> {
    match name {
        "company" => {
            let custom_fields = company.take().map(|c| c.custom_fields).unwrap_or_default();
            *company =
                Some(CompanyDraft { name: value.to_string(), custom_fields }).filter(|c| !c.name.trim().is_empty())
        }
        _ => *existing = id(value)?,
    }
    Ok(())
}

fn set(draft: &mut Draft, name: &str, value: &str) -> Result<(), FieldCode> {
    match draft {
        Draft::Contact(c) if name == "company" || name == "company-id" => {
            set_company(&mut c.company, &mut c.existing_company_id, name, value)
        }
        Draft::Contact(c) => set_contact(c, name, value),
        Draft::Call(c) => {
            match name {
                "phone" => c.phone = value.to_string(),
                "result" => c.result = value.to_string(),
                "link" => c.link = value.to_string(),
                "duration" => c.duration_secs = value.trim().parse().map_err(|_| FieldCode::InvalidNumber)?,
                "responsible" => c.responsible_user_id = id(value)?,
                _ => return Err(FieldCode::UnknownField),
            }
            Ok(())
        }
        Draft::Followup(f) => match name {
            "note" => {
                f.note = value.to_string();
                Ok(())
            }
            _ => set_task(&mut f.task, name, value),
        },
        Draft::TaskChange(t) => {
            match name {
                "text" => t.text = value.to_string(),
                "due" => t.due = value.to_string(),
                "result" => t.result = value.to_string(),
                "type" => t.task_type_id = id(value)?,
                "responsible" => t.responsible_user_id = id(value)?,
                _ => return Err(FieldCode::UnknownField),
            }
            Ok(())
        }
        Draft::LeadChange(l) => {
            match name {
                "name" => l.name = value.to_string(),
                "price" => l.price = value.to_string(),
                "pipeline" => l.pipeline_id = id(value)?,
                "status" => l.status_id = id(value)?,
                "reason" => l.loss_reason_id = id(value)?,
                "responsible" => l.responsible_user_id = id(value)?,
                "tags" => l.tags_to_add = list(value, ','),
                _ => return Err(FieldCode::UnknownField),
            }
            Ok(())
        }
        Draft::Lead(l) => {
            match name {
                "name" => l.name = value.to_string(),
                "price" => l.price = value.to_string(),
                "pipeline" => l.pipeline_id = id(value)?,
                "status" => l.status_id = id(value)?,
                "responsible" => l.responsible_user_id = id(value)?,
                "tags" => l.tags = list(value, ','),
                "note" => l.note = value.to_string(),
                "contact-id" => l.existing_contact_id = id(value)?,
                "company" | "company-id" => set_company(&mut l.company, &mut l.existing_company_id, name, value)?,
                "task" | "task-due" | "task-type" | "task-responsible" => set_task(&mut l.task, name, value)?,
                "contact-name" | "phone" | "email" => {
                    set_contact(l.contact.get_or_insert_with(ContactDraft::default), name, value)?
                }
                _ => return Err(FieldCode::UnknownField),
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use amo_core::domain::draft::LeadDraft;

    #[test]
    fn fields_change_the_draft_and_bad_ones_are_all_named() {
        let d = Draft::Lead(LeadDraft { name: "Order".into(), price: "10".into(), ..Default::default() });
        let edited = apply(
            &d,
            &[
                "price=1500".into(),
                "status=142".into(),
                "pipeline=7".into(),
                "phone=+7 912 1 | 8 900 2".into(),
                "tags=a, b".into(),
            ],
        )
        .expect("applies");
        let Draft::Lead(l) = edited else { panic!("lead") };
        assert_eq!((l.price.as_str(), l.status_id, l.pipeline_id), ("1500", Some(142), Some(7)));
        assert_eq!(l.contact.as_ref().expect("contact").phones, ["+7 912 1", "8 900 2"]);
        let typed =
            apply(&Draft::Lead(l), &["phone=8 912 1:MOB | 8 900 2".into(), "email=a@b.c:priv".into()]).expect("typed");
        let Draft::Lead(l) = typed else { panic!("lead") };
        let c = l.contact.expect("contact");
        assert_eq!(
            (c.phone_types, c.emails, c.email_types),
            (vec![PhoneType::Mobile, PhoneType::Work], vec!["a@b.c".to_string()], vec![EmailType::Private])
        );
        assert_eq!(l.tags, ["a", "b"]);
        let e = apply(&d, &["colour=red".into(), "status=first".into()]).expect_err("bad");
        let named: Vec<(&str, FieldCode)> =
            e.fields().expect("fields").iter().map(|f| (f.field.as_str(), f.code)).collect();
        assert_eq!(named, [("--field colour", FieldCode::UnknownField), ("--field status", FieldCode::NotANumber)]);
    }
}
