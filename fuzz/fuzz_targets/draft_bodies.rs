//! Leads and contacts as typed into the forms (or given to `lead add`/`contact add`), and the
//! amoCRM request bodies made from them. Drafts are generated with `arbitrary`. Runs the real
//! `Draft::validated`, the JSON the outbox stores, the plan of steps it makes (`domain::steps`),
//! `amocrm::wire`'s bodies and its mapping of amoCRM's error paths back onto form fields.
//!
//! Checked: validation is idempotent and keeps every stated cap; a draft survives the outbox's
//! JSON; its plan survives it too and comes out the same when the draft is checked again (the one
//! edit rule relies on it); each body says exactly what the clean draft says; every path amoCRM could name in a
//! body maps back to the form field that holds that value; refusals name known fields.
#![no_main]

mod common;

use amo_core::amocrm::wire::{
    company_body, company_field, company_link_body, complex_lead_body, contact_body, contact_field, field_errors,
    call_body, lead_change_body, lead_change_field, lead_field, note_body, sip_body, task_body, task_change_body,
    task_change_field, task_field, unsorted_form_body, AmoFieldProblem,
};
use amo_core::domain::change::{LeadChangeDraft, TaskChangeDraft};
use amo_core::domain::draft::{
    CallDirection, CallDraft, CallStatus, CompanyDraft, ContactDraft, Draft, FollowupDraft, LeadDraft, MAX_EMAILS, MAX_NAME, MAX_NOTE, MAX_PHONES, MAX_PRICE, MAX_TAG,
    MAX_TAGS,
};
use amo_core::domain::steps::{plan, StepBody};
use amo_core::domain::task::TaskDraft;
use amo_core::domain::phone::{normalize_phone, valid_email, EmailType, PhoneType};
use amo_core::domain::platform::Platform;
use amo_core::error::FieldError;
use amo_core::{Error, Lang};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

#[derive(Debug, Arbitrary)]
struct Contact {
    first_name: String,
    last_name: String,
    phones: Vec<String>,
    phone_types: Vec<u8>,
    emails: Vec<String>,
    email_types: Vec<u8>,
    responsible_user_id: Option<i64>,
    company: Option<String>,
    existing_company_id: Option<i64>,
    allow_duplicate: bool,
}

#[derive(Debug, Arbitrary)]
struct Lead {
    name: String,
    price: String,
    pipeline_id: Option<i64>,
    status_id: Option<i64>,
    responsible_user_id: Option<i64>,
    tags: Vec<String>,
    contact: Option<Contact>,
    existing_contact_id: Option<i64>,
    note: String,
    company: Option<String>,
    existing_company_id: Option<i64>,
    task: Option<Task>,
    unsorted: bool,
}

#[derive(Debug, Arbitrary)]
struct Task {
    text: String,
    due: String,
    task_type_id: Option<i64>,
    responsible_user_id: Option<i64>,
}

#[derive(Debug, Arbitrary)]
struct Followup {
    lead_id: i64,
    lead_name: String,
    note: String,
    task: Option<Task>,
}

#[derive(Debug, Arbitrary)]
struct Call {
    phone: String,
    outbound: bool,
    duration_secs: i64,
    status: Option<u8>,
    result: String,
    link: String,
    started_at: Option<i64>,
    uniq: String,
    responsible_user_id: Option<i64>,
}

#[derive(Debug, Arbitrary)]
struct TaskChange {
    task_id: i64,
    title: String,
    seen_updated_at: i64,
    done: bool,
    result: String,
    due: String,
    text: String,
    task_type_id: Option<i64>,
    responsible_user_id: Option<i64>,
}

#[derive(Debug, Arbitrary)]
struct LeadChange {
    lead_id: i64,
    lead_name: String,
    seen_updated_at: i64,
    seen_pipeline_id: i64,
    name: String,
    price: String,
    pipeline_id: Option<i64>,
    status_id: Option<i64>,
    loss_reason_id: Option<i64>,
    responsible_user_id: Option<i64>,
    tags_to_add: Vec<String>,
}

#[derive(Debug, Arbitrary)]
enum Typed {
    Lead(Lead),
    Contact(Contact),
    Followup(Followup),
    Call(Call),
    TaskChange(TaskChange),
    LeadChange(LeadChange),
}

impl From<Task> for TaskDraft {
    fn from(t: Task) -> Self {
        TaskDraft { text: t.text, due: t.due, task_type_id: t.task_type_id, responsible_user_id: t.responsible_user_id }
    }
}

#[derive(Debug, Arbitrary)]
struct Input {
    typed: Typed,
    kommo: bool,
    created_at: i64,
    request_id: String,
    /// Problems amoCRM might report, against any path.
    problems: Vec<(String, String, String)>,
}

impl From<Contact> for ContactDraft {
    fn from(c: Contact) -> Self {
        ContactDraft {
            first_name: c.first_name,
            last_name: c.last_name,
            phones: c.phones,
            phone_types: c.phone_types.iter().map(|t| PhoneType::ALL[usize::from(*t) % PhoneType::ALL.len()]).collect(),
            emails: c.emails,
            email_types: c.email_types.iter().map(|t| EmailType::ALL[usize::from(*t) % EmailType::ALL.len()]).collect(),
            custom_fields: Vec::new(),
            responsible_user_id: c.responsible_user_id,
            company: c.company.map(|name| CompanyDraft { name, custom_fields: Vec::new() }),
            existing_company_id: c.existing_company_id,
            allow_duplicate: c.allow_duplicate,
        }
    }
}

impl From<Lead> for LeadDraft {
    fn from(l: Lead) -> Self {
        LeadDraft {
            name: l.name,
            price: l.price,
            pipeline_id: l.pipeline_id,
            status_id: l.status_id,
            responsible_user_id: l.responsible_user_id,
            tags: l.tags,
            contact: l.contact.map(Into::into),
            existing_contact_id: l.existing_contact_id,
            note: l.note,
            custom_fields: Vec::new(),
            company: l.company.map(|name| CompanyDraft { name, custom_fields: Vec::new() }),
            existing_company_id: l.existing_company_id,
            task: l.task.map(Into::into),
            unsorted: l.unsorted,
        }
    }
}

fuzz_target!(|input: Input| {
    let draft = match input.typed {
        Typed::Lead(l) => Draft::Lead(l.into()),
        Typed::Contact(c) => Draft::Contact(c.into()),
        Typed::Followup(f) => Draft::Followup(FollowupDraft {
            lead_id: f.lead_id,
            lead_name: f.lead_name,
            note: f.note,
            task: f.task.map(Into::into),
            responsible_user_id: None,
        }),
        Typed::Call(c) => Draft::Call(CallDraft {
            phone: c.phone,
            direction: if c.outbound { CallDirection::Outbound } else { CallDirection::Inbound },
            duration_secs: c.duration_secs,
            status: c.status.map(|s| CallStatus::ALL[usize::from(s) % CallStatus::ALL.len()]),
            result: c.result,
            link: c.link,
            started_at: c.started_at,
            uniq: c.uniq,
            responsible_user_id: c.responsible_user_id,
        }),
        Typed::TaskChange(t) => Draft::TaskChange(TaskChangeDraft {
            task_id: t.task_id,
            title: t.title,
            seen_updated_at: t.seen_updated_at,
            done: t.done,
            result: t.result,
            due: t.due,
            text: t.text,
            task_type_id: t.task_type_id,
            responsible_user_id: t.responsible_user_id,
        }),
        Typed::LeadChange(l) => Draft::LeadChange(LeadChangeDraft {
            lead_id: l.lead_id,
            lead_name: l.lead_name,
            seen_updated_at: l.seen_updated_at,
            seen_pipeline_id: l.seen_pipeline_id,
            filled_field_ids: Vec::new(),
            name: l.name,
            price: l.price,
            pipeline_id: l.pipeline_id,
            status_id: l.status_id,
            loss_reason_id: l.loss_reason_id,
            responsible_user_id: l.responsible_user_id,
            tags_to_add: l.tags_to_add,
            custom_fields: Vec::new(),
        }),
    };
    let platform = if input.kommo { Platform::Kommo } else { Platform::Amocrm };
    survives_json(&draft);
    let problems: Vec<AmoFieldProblem> =
        input.problems.into_iter().map(|(path, code, detail)| AmoFieldProblem { path, code, detail }).collect();
    match draft.validated(platform) {
        Ok(clean) => {
            assert_eq!(clean.validated(platform).as_ref(), Ok(&clean), "validation is not idempotent");
            survives_json(&clean);
            plan_is_stable(&clean, platform);
            match &clean {
                Draft::Lead(l) => lead(l, platform, input.created_at, &input.request_id, &problems),
                Draft::Contact(c) => {
                    contact_caps(c, platform);
                    let body = contact_body(c, Some(input.created_at), Some(&input.request_id));
                    contact_body_says(c, &body, Some(input.created_at));
                    assert_eq!(body["request_id"], json!(input.request_id));
                    paths_map_back_to_contact(c, "", &body);
                    amocrm_problems(&problems, |p| contact_field(c, "", p));
                    lone_contacts_company(c, input.created_at, &input.request_id, &problems);
                }
                Draft::Followup(f) => followup(f, input.created_at, &input.request_id, &problems),
                Draft::Call(c) => call(c, input.created_at, &input.request_id),
                Draft::TaskChange(t) => task_change(t, &problems),
                Draft::LeadChange(l) => lead_change(l, &problems),
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            for f in &errors {
                assert!(known_field(&f.field), "unknown field {:?}", f.field);
            }
            common::check_error(&Error::validation(errors), &["validation"]);
        }
    }
});

/// The outbox keeps each step as its kind and body (JSON) and reads it back before sending; an
/// edit plans the draft again, and a step that may be in amoCRM must come out the same — so the
/// plan of a checked draft is the plan of the same draft checked again, and of its stored copy.
fn plan_is_stable(d: &Draft, platform: Platform) {
    let steps = plan(d);
    assert!(!steps.is_empty() || matches!(d, Draft::Followup(_)), "a lead, contact or call writes something");
    for step in &steps {
        let stored = serde_json::to_value(step).expect("serialise");
        assert_eq!(stored["kind"], json!(step.kind().as_str()), "stored under its kind");
        assert_eq!(&serde_json::from_value::<StepBody>(stored).expect("read back"), step);
    }
    let again = d.validated(platform).expect("valid again");
    assert_eq!(plan(&again), steps, "planning again changes a step");
}

/// A checked call's request: amoCRM's required fields always, never a `null` (amoCRM refuses
/// one), the status as amoCRM's 1–7; the unknown caller's incoming lead found again by the
/// call's own id.
fn call(c: &CallDraft, created_at: i64, request_id: &str) {
    let body = call_body(c, created_at, request_id);
    for key in ["direction", "duration", "source", "phone", "uniq", "created_at"] {
        assert!(body.get(key).is_some_and(|v| !v.is_null()), "{key} missing: {body}");
    }
    assert!(body.as_object().expect("object").values().all(|v| !v.is_null()), "a null: {body}");
    if let Some(s) = body.get("call_status") {
        assert!((1..=7).contains(&s.as_i64().expect("int")), "{body}");
    }
    assert!(amo_core::domain::people::phone_tail(&c.phone).is_some(), "a checked number has a customer's digits");
    let sip = sip_body(c, created_at);
    assert_eq!(sip["source_uid"], json!(c.uniq));
    assert_eq!(sip["metadata"]["uniq"], json!(c.uniq));
}

/// A checked task change's `PATCH` item: its id, and exactly the parts that change — done with
/// its result, a new text, type or doer (the due time is fixed only when queued); every key it
/// sends maps back to the change's own field.
fn task_change(t: &TaskChangeDraft, problems: &[AmoFieldProblem]) {
    let body = task_change_body(t);
    assert_eq!(body["id"], json!(t.task_id));
    assert_eq!(body.get("is_completed").is_some(), t.done, "{body}");
    assert_eq!(body.get("result").is_some(), t.done && !t.result.is_empty(), "{body}");
    assert!(t.done || t.result.is_empty(), "a result only with done");
    assert_eq!(body.get("text").is_some(), !t.text.is_empty(), "{body}");
    assert_eq!(body.get("task_type_id").is_some(), t.task_type_id.is_some());
    assert_eq!(body.get("responsible_user_id").is_some(), t.responsible_user_id.is_some());
    assert!(body.as_object().expect("object").values().all(|v| !v.is_null()), "a null: {body}");
    for key in body.as_object().expect("object").keys() {
        let field = task_change_field(key);
        assert!(known_field(&field), "{key} -> {field}");
    }
    amocrm_problems(problems, task_change_field);
}

/// A checked lead change's `PATCH` item: its id, only what changes (tags added, never the whole
/// list), a stage always with its pipeline, a loss reason only with the lost stage; every key it
/// sends maps back to the change's own field.
fn lead_change(l: &LeadChangeDraft, problems: &[AmoFieldProblem]) {
    let body = lead_change_body(l);
    assert_eq!(body["id"], json!(l.lead_id));
    assert_eq!(body.get("name").is_some(), !l.name.is_empty());
    assert!(l.name.chars().count() <= MAX_NAME);
    if let Some(p) = body.get("price") {
        let p = p.as_i64().expect("an integer price");
        assert!((0..=MAX_PRICE).contains(&p));
    }
    assert_eq!(body.get("status_id").is_some(), body.get("pipeline_id").is_some(), "a stage with its pipeline");
    if body.get("loss_reason_id").is_some() {
        assert_eq!(body["status_id"], json!(143), "a reason only on a lost lead");
    }
    assert!(body.get("_embedded").is_none(), "tags are added, never replaced: {body}");
    assert!(l.tags_to_add.len() <= MAX_TAGS && l.tags_to_add.iter().all(|t| !t.is_empty() && t.chars().count() <= MAX_TAG));
    assert!(body.as_object().expect("object").values().all(|v| !v.is_null()), "a null: {body}");
    for key in body.as_object().expect("object").keys() {
        let field = lead_change_field(l, key);
        assert!(known_field(&field), "{key} -> {field}");
    }
    amocrm_problems(problems, |p| lead_change_field(l, p));
}

/// The outbox keeps drafts as JSON and reads them back before sending.
fn survives_json(d: &Draft) {
    let text = serde_json::to_string(d).expect("serialise");
    assert_eq!(&serde_json::from_str::<Draft>(&text).expect("read back"), d);
    let inner = match d {
        Draft::Lead(l) => serde_json::from_str::<LeadDraft>(&serde_json::to_string(l).expect("s")).map(Draft::Lead),
        Draft::Contact(c) => {
            serde_json::from_str::<ContactDraft>(&serde_json::to_string(c).expect("s")).map(Draft::Contact)
        }
        Draft::Followup(f) => {
            serde_json::from_str::<FollowupDraft>(&serde_json::to_string(f).expect("s")).map(Draft::Followup)
        }
        Draft::Call(c) => serde_json::from_str::<CallDraft>(&serde_json::to_string(c).expect("s")).map(Draft::Call),
        Draft::TaskChange(t) => {
            serde_json::from_str::<TaskChangeDraft>(&serde_json::to_string(t).expect("s")).map(Draft::TaskChange)
        }
        Draft::LeadChange(l) => {
            serde_json::from_str::<LeadChangeDraft>(&serde_json::to_string(l).expect("s")).map(Draft::LeadChange)
        }
    };
    assert_eq!(&inner.expect("read back"), d);
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn contact_caps(c: &ContactDraft, platform: Platform) {
    assert!(!(c.first_name.is_empty() && c.last_name.is_empty()), "a contact has a name");
    for s in [&c.first_name, &c.last_name].into_iter().chain(&c.emails) {
        assert_eq!(s.trim(), s.as_str());
    }
    assert!(chars(&c.first_name) <= MAX_NAME && chars(&c.last_name) <= MAX_NAME);
    assert!(c.phones.len() <= MAX_PHONES);
    for (i, p) in c.phones.iter().enumerate() {
        assert_eq!(normalize_phone(p, platform).as_deref(), Ok(p.as_str()), "phone {p} is not normalised");
        assert!(!c.phones[..i].contains(p), "phone {p} twice");
    }
    assert_eq!(c.phone_types.len(), c.phones.len(), "a type for each phone");
    assert_eq!(c.email_types.len(), c.emails.len(), "a type for each e-mail");
    assert!(c.emails.len() <= MAX_EMAILS);
    for (i, e) in c.emails.iter().enumerate() {
        assert!(valid_email(e), "{e}");
        assert!(!c.emails[..i].iter().any(|x| x.eq_ignore_ascii_case(e)), "e-mail {e} twice");
    }
}

fn lead(l: &LeadDraft, platform: Platform, created_at: i64, request_id: &str, problems: &[AmoFieldProblem]) {
    assert!(!l.name.is_empty() && l.name.trim() == l.name && chars(&l.name) <= MAX_NAME);
    assert!(l.note.trim() == l.note && chars(&l.note) <= MAX_NOTE);
    assert!(l.tags.len() <= MAX_TAGS);
    for t in &l.tags {
        assert!(!t.is_empty() && t.trim() == t && chars(t) <= MAX_TAG && !t.contains(','), "tag {t:?}");
    }
    match l.price_value() {
        None => assert_eq!(l.price, ""),
        Some(p) => {
            assert!((0..=MAX_PRICE).contains(&p));
            assert_eq!(l.price, p.to_string(), "the price is kept in its plain form");
        }
    }
    assert!(l.status_id.is_none() || l.pipeline_id.is_some());
    assert!(!l.unsorted || l.status_id.is_none(), "an incoming lead has no stage");
    // The incoming-lead form carries the same lead, contact and company as the complex add,
    // and its paths map back the same way.
    let form = unsorted_form_body(l, created_at, request_id);
    assert_eq!(form["source_uid"], json!(request_id));
    assert_eq!(form["created_at"], json!(created_at));
    assert_eq!(form.pointer("/_embedded/leads/0/name"), Some(&json!(l.name)));
    paths_map_back(&form, "", &|path, _| {
        let field = lead_field(l, path);
        assert!(known_field(&field), "{path} → {field}");
    });
    if l.existing_contact_id.is_some() {
        assert!(l.contact.is_none(), "an existing contact replaces the typed one");
    }
    if let Some(c) = &l.contact {
        contact_caps(c, platform);
    }
    if l.existing_company_id.is_some() {
        assert!(l.company.is_none(), "an existing company replaces the typed one");
    }
    if let Some(c) = &l.company {
        assert!(!c.name.is_empty() && c.name.trim() == c.name && chars(&c.name) <= MAX_NAME, "{c:?}");
    }
    if let Some(t) = &l.task {
        task_caps(t);
    }

    let body = complex_lead_body(l, created_at, request_id);
    assert_eq!(
        (&body["name"], &body["created_at"], &body["request_id"]),
        (&json!(l.name), &json!(created_at), &json!(request_id))
    );
    let opt = |v: Option<i64>| v.map_or(Value::Null, |x| json!(x));
    assert_eq!(body["price"], opt(l.price_value()));
    assert_eq!(body["pipeline_id"], opt(l.pipeline_id));
    assert_eq!(body["status_id"], opt(l.status_id));
    assert_eq!(body["responsible_user_id"], opt(l.responsible_user_id));
    let tags: Vec<Value> = l.tags.iter().map(|t| json!({ "name": t })).collect();
    assert_eq!(body.pointer("/_embedded/tags").cloned().unwrap_or(json!([])), json!(tags));
    let contacts = body.pointer("/_embedded/contacts");
    match (l.existing_contact_id, &l.contact) {
        (Some(id), _) => assert_eq!(contacts, Some(&json!([{ "id": id }]))),
        (None, Some(c)) => {
            let sent = &contacts.expect("the typed contact is sent")[0];
            // The contact is the lead's responsible user's unless it names its own.
            let c = ContactDraft { responsible_user_id: c.responsible_user_id.or(l.responsible_user_id), ..c.clone() };
            contact_body_says(&c, sent, Some(created_at));
        }
        (None, None) => assert!(contacts.is_none()),
    }
    let companies = body.pointer("/_embedded/companies");
    match (l.existing_company_id, &l.company) {
        (Some(id), _) => assert_eq!(companies, Some(&json!([{ "id": id }]))),
        (None, Some(c)) => assert_eq!(companies.expect("the typed company is sent")[0]["name"], json!(c.name)),
        (None, None) => assert!(companies.is_none()),
    }
    paths_map_back(&body, "", &|path, value| {
        let field = lead_field(l, path);
        assert!(known_field(&field), "{path} → {field}");
        if let Some(rest) = path.strip_prefix("_embedded.contacts.0.") {
            if let (Some(c), None) = (&l.contact, l.existing_contact_id) {
                contact_path_is_right(c, "contact.", rest, &field, value);
            }
        } else {
            let want = match path {
                "name" => "name",
                "price" => "price",
                "pipeline_id" | "status_id" => "status",
                "responsible_user_id" => "responsible_user_id",
                p if p.starts_with("_embedded.tags") => "tags",
                p if p.starts_with("_embedded.companies.0.id") => "existing_company_id",
                // A new company's responsible user is the lead's.
                p if p.starts_with("_embedded.companies.0.responsible_user_id") => "responsible_user_id",
                p if p.starts_with("_embedded.companies.0.custom_fields_values") => return,
                p if p.starts_with("_embedded.companies") => "company.name",
                _ => return,
            };
            assert_eq!(field, want, "{path}");
        }
    });
    let notes = note_body(&l.note);
    assert_eq!(notes[0]["params"]["text"], json!(l.note));
    assert_eq!(serde_json::from_str::<Value>(&notes.to_string()).expect("note JSON"), notes);
    amocrm_problems(problems, |p| lead_field(l, p));
}

/// A task kept in a draft: its text and due time trimmed and given.
fn task_caps(t: &TaskDraft) {
    assert!(!t.text.is_empty() && t.text.trim() == t.text, "{t:?}");
    assert!(!t.due.is_empty() && t.due.trim() == t.due, "{t:?}");
}

/// A note and/or task for an existing lead: something to add, to a real lead; the task's body
/// says what the task says once its due time is fixed; its paths map back onto its fields.
fn followup(f: &FollowupDraft, now: i64, request_id: &str, problems: &[AmoFieldProblem]) {
    assert!(f.lead_id > 0);
    assert!(f.note.trim() == f.note && chars(&f.note) <= MAX_NOTE);
    assert!(!f.note.is_empty() || f.task.is_some(), "nothing to add");
    let Some(t) = &f.task else { return };
    task_caps(t);
    let now = now.rem_euclid(4_000_000_000);
    if let Ok(fixed) = t.resolved("task.", now, 0) {
        assert_eq!(fixed.resolved("task.", now, 0).as_ref(), Ok(&fixed), "fixing the due time is idempotent");
        let body = task_body(&fixed, f.lead_id, None, request_id);
        assert_eq!((&body["text"], &body["entity_id"]), (&json!(fixed.text), &json!(f.lead_id)));
        assert_eq!(body["complete_till"], json!(fixed.complete_till().expect("fixed")));
        assert!(fixed.complete_till().expect("fixed") >= now - 60, "never in the past");
        paths_map_back(&body, "", &|path, _| {
            let field = task_field("task.", path);
            assert!(known_field(&field), "{path} → {field}");
        });
    }
    amocrm_problems(problems, |p| task_field("task.", p));
}

/// A contact entered alone: a picked company wins over a typed one; a typed one's body says
/// its name, marker and request id, and every path of it (or amoCRM's) is a company field.
fn lone_contacts_company(c: &ContactDraft, created_at: i64, request_id: &str, problems: &[AmoFieldProblem]) {
    if c.existing_company_id.is_some() {
        assert!(c.company.is_none(), "a picked company replaces the typed one");
    }
    let Some(company) = &c.company else { return };
    assert!(!company.name.is_empty() && company.name == company.name.trim(), "{company:?}");
    assert!(chars(&company.name) <= MAX_NAME);
    let body = company_body(company, c.responsible_user_id, created_at, Some(request_id));
    assert_eq!((&body["name"], &body["created_at"], &body["request_id"]), (&json!(company.name), &json!(created_at), &json!(request_id)));
    paths_map_back(&body, "", &|path, _| {
        let field = company_field(company, path);
        assert!(known_field(&field), "{path} → {field}");
    });
    amocrm_problems(problems, |p| company_field(company, p));
    assert_eq!(company_link_body(7)[0]["to_entity_type"], "companies");
}

/// The contact part of a body says what the draft says.
fn contact_body_says(c: &ContactDraft, body: &Value, created_at: Option<i64>) {
    assert_eq!(serde_json::from_str::<Value>(&body.to_string()).expect("body JSON"), *body);
    assert_eq!((&body["first_name"], &body["last_name"]), (&json!(c.first_name), &json!(c.last_name)));
    assert_eq!(body["name"], json!(c.display_name()));
    assert_eq!(body["created_at"], created_at.map_or(Value::Null, |t| json!(t)));
    assert_eq!(body["responsible_user_id"], c.responsible_user_id.map_or(Value::Null, |x| json!(x)));
    let values = |code: &str, key: &str| -> Vec<Value> {
        body["custom_fields_values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["field_code"] == code)
            .flat_map(|f| f["values"].as_array().cloned().unwrap_or_default())
            .map(|v| v[key].clone())
            .collect()
    };
    assert_eq!(values("PHONE", "value"), c.phones.iter().map(|p| json!(p)).collect::<Vec<_>>());
    let phone_codes: Vec<Value> =
        (0..c.phones.len()).map(|i| json!(c.phone_types.get(i).copied().unwrap_or_default().code())).collect();
    assert_eq!(values("PHONE", "enum_code"), phone_codes);
    assert_eq!(values("EMAIL", "value"), c.emails.iter().map(|e| json!(e)).collect::<Vec<_>>());
    let email_codes: Vec<Value> =
        (0..c.emails.len()).map(|i| json!(c.email_types.get(i).copied().unwrap_or_default().code())).collect();
    assert_eq!(values("EMAIL", "enum_code"), email_codes);
}

fn paths_map_back_to_contact(c: &ContactDraft, prefix: &str, body: &Value) {
    paths_map_back(body, "", &|path, value| {
        let field = contact_field(c, prefix, path);
        assert!(known_field(&field), "{path} → {field}");
        contact_path_is_right(c, prefix, path, &field, value);
    });
}

/// A path into a contact body names the field that holds the value found there.
fn contact_path_is_right(c: &ContactDraft, prefix: &str, path: &str, field: &str, value: &Value) {
    let want = match path.split('.').collect::<Vec<_>>().as_slice() {
        ["first_name"] | ["name"] => format!("{prefix}first_name"),
        ["last_name"] => format!("{prefix}last_name"),
        ["custom_fields_values", _, "values", j, "value"] => {
            if c.phones.iter().any(|p| json!(p) == *value) {
                format!("{prefix}phones.{j}")
            } else {
                format!("{prefix}emails.{j}")
            }
        }
        _ => return,
    };
    assert_eq!(field, want, "{path} holds {value}");
}

/// Calls `check` with every leaf path of `v` (`a.0.b`, as amoCRM writes them) and its value.
fn paths_map_back(v: &Value, at: &str, check: &dyn Fn(&str, &Value)) {
    let join = |k: &str| if at.is_empty() { k.to_string() } else { format!("{at}.{k}") };
    match v {
        Value::Object(m) => m.iter().for_each(|(k, x)| paths_map_back(x, &join(k), check)),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| paths_map_back(x, &join(&i.to_string()), check)),
        leaf => check(at, leaf),
    }
}

/// Whatever amoCRM reports, against whatever path, becomes a field error on a known field (a
/// phone by whatever index amoCRM names), with its texts shortened and printable.
fn amocrm_problems(problems: &[AmoFieldProblem], map: impl Fn(&str) -> String) {
    let fields: Vec<FieldError> = field_errors(problems, &map);
    assert_eq!(fields.len(), problems.len());
    for f in &fields {
        let field = f.field.strip_prefix("contact.").unwrap_or(&f.field);
        assert!(known_field(field) || field.starts_with("phones.") || field.starts_with("emails."), "{:?}", f.field);
        let code = f.amo_code.as_deref().unwrap_or_default();
        let detail = f.detail.as_deref().unwrap_or_default();
        assert!(chars(code) <= 60 && chars(detail) <= 200);
        common::assert_printable(code);
        common::assert_printable(detail);
        for lang in [Lang::Ru, Lang::En] {
            common::assert_printable(&f.view(lang).message);
        }
    }
    if !fields.is_empty() {
        common::check_error(&Error::validation(fields), &["validation"]);
    }
}

/// The form's fields (and `form` for a problem with the whole entry).
fn known_field(f: &str) -> bool {
    let f = f.strip_prefix("contact.").unwrap_or(f);
    matches!(
        f,
        "form"
            | "contact"
            | "name"
            | "price"
            | "status"
            | "responsible_user_id"
            | "tags"
            | "note"
            | "first_name"
            | "last_name"
            | "emails"
            | "phones"
            | "lead_id"
            | "existing_company_id"
            | "unsorted"
            | "company.name"
            | "task.text"
            | "task.due"
            | "task.task_type_id"
            | "task.responsible_user_id"
            | "duration_secs"
            | "result"
            | "link"
            | "uniq"
            | "started_at"
            | "phone"
            // A change's own fields (task_change, lead_change).
            | "done"
            | "due"
            | "text"
            | "task_id"
            | "task_type_id"
            | "pipeline"
            | "loss_reason_id"
            | "custom_fields"
    ) || f.strip_prefix("custom_fields.").is_some_and(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit())) || ["phones.", "emails."].iter().any(|p| {
        f.strip_prefix(p).is_some_and(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()))
    })
}
