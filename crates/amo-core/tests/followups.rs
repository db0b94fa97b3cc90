//! What a call ends with, against the simulator: a lead with its contact, a company, a note and a
//! follow-up task in at most three requests, the task due in the account's time zone; lost
//! answers reconciled so nothing is created twice; an existing company attached; and a note and
//! task added to the existing customer's open lead instead of a new lead (docs/amocrm-api.md
//! §8.4, §8.6, §8.8).

use std::sync::Arc;
use std::time::Duration;

mod common;

use common::{desk_with_shape as setup, drain};

use amo_core::domain::draft::{CompanyDraft, ContactDraft, Draft, FollowupDraft, LeadDraft};
use amo_core::domain::fields::FieldEntry;
use amo_core::domain::outbox::OutboxState;
use amo_core::domain::steps::{StepKind, StepState};
use amo_core::domain::task::TaskDraft;
use amo_core::error::FieldCode;
use amo_core::keychain::memory::MemoryStore;
use amo_core::outbox::RetryTiming;
use amo_sim::{Faults, Simulator};
use chrono::{Datelike, Duration as Days, FixedOffset, TimeZone, Utc};

fn call_back(due: &str) -> Option<TaskDraft> {
    Some(TaskDraft { text: "Перезвонить".into(), due: due.into(), ..Default::default() })
}

fn full_lead(name: &str) -> LeadDraft {
    LeadDraft {
        name: name.into(),
        price: "90000".into(),
        contact: Some(ContactDraft {
            first_name: "Ирина".into(),
            phones: vec!["+7 916 555-01-02".into()],
            ..Default::default()
        }),
        company: Some(CompanyDraft {
            name: "ООО Ромашка".into(),
            custom_fields: vec![FieldEntry {
                field_id: 703_003,
                value: "https://romashka.example".into(),
                checked: None,
            }],
        }),
        note: "Хочет 12 стульев".into(),
        task: call_back("tomorrow 10:00"),
        ..Default::default()
    }
}

/// Tomorrow 10:00 on a UTC+3 account, as Unix seconds.
fn tomorrow_ten_msk() -> i64 {
    let msk = FixedOffset::east_opt(3 * 3600).expect("+3");
    let today = Utc::now().with_timezone(&msk).date_naive();
    let d = today + Days::days(1);
    msk.with_ymd_and_hms(d.year(), d.month(), d.day(), 10, 0, 0).single().expect("valid").timestamp()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lead_contact_company_note_and_task_take_three_requests_and_the_task_is_due_in_the_accounts_zone() {
    let (_tmp, sim, app) = setup().await;
    let before = sim.stats().api_requests;
    let expected_due = tomorrow_ten_msk();
    let item = app.queue_lead(&full_lead("Стулья")).expect("queue");
    let Some(task) = (match &item.draft {
        amo_core::domain::draft::Draft::Lead(l) => l.task.clone(),
        _ => None,
    }) else {
        panic!("the queued lead keeps its task")
    };
    assert!(task.due.ends_with("10:00:00+03:00"), "fixed in the account's zone when queued: {}", task.due);
    drain(&app).await;
    let item = app.outbox_item(item.id).expect("item");
    assert_eq!(item.state, OutboxState::Sent, "{item:?}");
    let requests = sim.stats().api_requests - before;
    assert_eq!(requests, 3, "lead + contact + company in one complex call, the note, the task");
    println!("requests per fully filled lead (lead + contact + company + note + task): {requests}");

    let lead = sim.leads().into_iter().find(|l| l.name == "Стулья").expect("lead");
    let company = sim.companies().into_iter().find(|c| c.name == "ООО Ромашка").expect("company created");
    let web = company.custom_fields_values.iter().find(|f| f["field_id"] == 703_003).expect("its web site");
    assert_eq!(web["values"][0]["value"], "https://romashka.example");
    let contact = sim.contacts().into_iter().find(|c| c.first_name == "Ирина").expect("contact");
    assert_eq!(lead.company_id, Some(company.id), "the lead is in the company");
    assert_eq!(contact.company_id, Some(company.id), "the new contact is linked to the new company");
    let tasks = sim.tasks();
    assert_eq!(tasks.len(), 1);
    let t = &tasks[0];
    assert_eq!((t.entity_type.as_deref(), t.entity_id), (Some("leads"), Some(lead.id)));
    assert_eq!(t.text, "Перезвонить");
    assert_eq!(t.task_type_id, 1, "Call by default");
    assert_eq!(t.complete_till, expected_due, "tomorrow 10:00 Moscow time, whatever the computer's zone");
    assert_eq!(t.responsible_user_id, lead.responsible_user_id, "the lead's responsible user does it");
    assert_eq!(item.task_id, Some(t.id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_lost_after_amocrm_acted_create_the_lead_the_note_and_the_task_once() {
    let (_tmp, sim, app) = setup().await;
    // The complex create, the note and the task are each carried out and their answers dropped.
    sim.set_faults(Faults { drop_after_next: 3, ..Faults::default() });
    let item = app.queue_lead(&full_lead("Потерянные ответы")).expect("queue");
    drain(&app).await;
    assert_eq!(app.outbox_item(item.id).expect("item").state, OutboxState::Sent);
    let leads: Vec<_> = sim.leads().into_iter().filter(|l| l.name == "Потерянные ответы").collect();
    assert_eq!(leads.len(), 1, "one lead");
    assert_eq!(sim.companies().len(), 1, "one company");
    assert_eq!(sim.notes().iter().filter(|n| n.entity_id == leads[0].id).count(), 1, "one note");
    assert_eq!(sim.tasks().iter().filter(|t| t.entity_id == Some(leads[0].id)).count(), 1, "one task");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_company_is_found_by_name_and_attached_untouched() {
    let (_tmp, sim, app) = setup().await;
    let id = sim.seed_company("Рога и копыта");
    sim.seed_company("Копытов и сыновья");
    let found = app.search_companies("рога").await.expect("search");
    assert_eq!(found.iter().map(|c| c.id).collect::<Vec<_>>(), vec![id]);
    assert!(app.search_companies("нет такой").await.expect("none").is_empty(), "204 is an empty list");
    let lead = LeadDraft { name: "Поставка".into(), existing_company_id: Some(id), ..Default::default() };
    app.queue_lead(&lead).expect("queue");
    drain(&app).await;
    let l = sim.leads().into_iter().find(|l| l.name == "Поставка").expect("lead");
    assert_eq!(l.company_id, Some(id));
    assert_eq!(sim.companies().len(), 2, "no company created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_and_a_task_for_the_customers_open_lead_add_to_it_and_create_no_lead() {
    let (_tmp, sim, app) = setup().await;
    sim.seed_leads(1, "Открытая сделка ");
    let lead = sim.leads()[0].clone();
    let colleague = amo_sim::SimConfig::default().user_id + 1;
    let before = (sim.stats().api_requests, sim.leads().len());
    let draft = FollowupDraft {
        lead_id: lead.id,
        lead_name: lead.name.clone(),
        note: "Перезвонил сам, уточнил размер".into(),
        task: call_back("+3d"),
        // The lead's responsible user as the window saw it: a colleague.
        responsible_user_id: Some(colleague),
    };
    let item = app.queue_followup(&draft).expect("queue");
    assert_eq!(item.title, lead.name);
    drain(&app).await;
    let item = app.outbox_item(item.id).expect("item");
    assert_eq!(item.state, OutboxState::Sent, "{item:?}");
    assert_eq!(sim.stats().api_requests - before.0, 2, "the note, the task");
    assert_eq!(sim.leads().len(), before.1, "no new lead");
    assert_eq!(item.lead_id, Some(lead.id), "History links the lead");
    assert_eq!(sim.notes().iter().filter(|n| n.entity_id == lead.id).count(), 1);
    let tasks: Vec<_> = sim.tasks().into_iter().filter(|t| t.entity_id == Some(lead.id)).collect();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].responsible_user_id, colleague, "the lead's responsible user does it");

    // Nothing to add, a task without text, a time already past, a task type the account lacks:
    // each named, nothing queued.
    let refused = |d: FollowupDraft| {
        let e = app.queue_followup(&d).expect_err("refused");
        e.fields().expect("fields").iter().map(|f| (f.field.clone(), f.code)).collect::<Vec<_>>()
    };
    let empty = FollowupDraft { lead_id: lead.id, ..Default::default() };
    assert_eq!(refused(empty.clone()), vec![("note".to_string(), FieldCode::Required)]);
    let past =
        FollowupDraft { task: Some(TaskDraft { due: "today 00:00".into(), ..Default::default() }), ..empty.clone() };
    let got = refused(past);
    assert!(got.contains(&("task.text".into(), FieldCode::Required)), "{got:?}");
    let typed = FollowupDraft {
        task: Some(TaskDraft { text: "x".into(), due: "soon".into(), task_type_id: Some(999), ..Default::default() }),
        ..empty
    };
    assert_eq!(
        refused(typed),
        vec![("task.due".to_string(), FieldCode::InvalidDue), ("task.task_type_id".to_string(), FieldCode::NotAChoice)]
    );
    assert_eq!(app.outbox_summary().expect("s").queued, 0, "nothing queued");
    // A lead amoCRM does not have: the entry needs attention on the lead, nothing is made.
    let gone = app
        .queue_followup(&FollowupDraft { lead_id: 999_999, note: "x".into(), ..Default::default() })
        .expect("queued");
    drain(&app).await;
    let gone = app.outbox_item(gone.id).expect("item");
    assert_eq!(gone.state, OutboxState::Attention, "{gone:?}");
    assert_eq!(gone.field_errors.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["lead_id"]);

    // With no account connected a follow-up has no lead to go to: refused, not kept for the
    // next account (where that id is someone else's lead).
    app.disconnect(false).await.expect("disconnect");
    let e = app.queue_followup(&draft).expect_err("no account");
    assert_eq!(e.code().as_str(), "not_connected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_amocrm_refuses_needs_attention_on_its_field_and_the_lead_is_not_made_again() {
    // Typed before the form's data were ever loaded (a CLI on a new machine): the task type is
    // checked by amoCRM only.
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    app.set_retry_timing(RetryTiming { base: Duration::from_millis(20), max: Duration::from_millis(200) });
    let mut d = full_lead("Тип задачи неизвестен");
    d.task.as_mut().expect("task").task_type_id = Some(999);
    d.company.as_mut().expect("company").custom_fields.clear(); // no field list loaded here
    let item = app.queue_lead(&d).expect("queue");
    drain(&app).await;
    let got = app.outbox_item(item.id).expect("item");
    assert_eq!(got.state, OutboxState::Attention, "{got:?}");
    assert!(got.field_errors.iter().any(|f| f.field == "task.task_type_id"), "{:?}", got.field_errors);
    let mine = |sim: &Simulator| sim.leads().iter().filter(|l| l.name == "Тип задачи неизвестен").count();
    assert_eq!(mine(&sim), 1, "the lead is there");
    assert_eq!(sim.notes().len(), 1, "and its note");
    assert!(sim.tasks().is_empty());
    // Sent again: only the task is tried again; the lead and the note are not made twice.
    app.outbox_retry(Some(item.id)).expect("retry");
    drain(&app).await;
    for _ in 0..3 {
        let _ = app.outbox_pass().await;
    }
    assert_eq!((mine(&sim), sim.notes().len()), (1, 1), "not created twice");
    assert_eq!(sim.stats().complex_requests, 1);
    // The task alone can be fixed (the lead and note are in amoCRM; they stay as they were).
    let got = app.outbox_item(item.id).expect("item");
    assert!(got.locked && got.editable, "{got:?}");
    let states: Vec<(StepKind, StepState)> = got.steps.iter().map(|s| (s.kind, s.state)).collect();
    assert_eq!(
        states,
        [(StepKind::Lead, StepState::Done), (StepKind::Note, StepState::Done), (StepKind::Task, StepState::Refused)]
    );
    assert!(got.steps[0]
        .url
        .as_deref()
        .is_some_and(|u| u.ends_with(&format!("/leads/detail/{}", got.lead_id.expect("lead")))));
    let amo_core::domain::draft::Draft::Lead(mut fixed) = got.draft.clone() else { panic!("lead") };
    let mut renamed = fixed.clone();
    renamed.name = "Другое имя".into();
    let e = app.outbox_update(item.id, amo_core::domain::draft::Draft::Lead(renamed)).expect_err("the lead is sent");
    assert_eq!(e.code().as_str(), "entry_not_editable");
    assert!(
        e.message(amo_core::Lang::En).contains("its lead may already be there"),
        "{}",
        e.message(amo_core::Lang::En)
    );
    fixed.task.as_mut().expect("task").task_type_id = None;
    app.outbox_update(item.id, amo_core::domain::draft::Draft::Lead(fixed)).expect("task fixed");
    drain(&app).await;
    assert_eq!(app.outbox_item(item.id).expect("item").state, OutboxState::Sent);
    assert_eq!((mine(&sim), sim.notes().len(), sim.tasks().len()), (1, 1, 1), "only the task was added");
}

/// A contact typed alone with a new company: its fields checked and sent, the contact put in it.
/// The lead is in amoCRM and its task was refused; meanwhile the admin removed the choice the
/// lead's field used and made a field required at its stage. The task can still be fixed: what
/// is in amoCRM is not checked again (nor changed), only what is being sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_task_is_fixed_even_after_the_account_changed_what_the_lead_used() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    app.set_retry_timing(RetryTiming { base: Duration::from_millis(20), max: Duration::from_millis(200) });
    // Signed in as a user who may not list users: a task's doer is checked by amoCRM only.
    sim.set_users_admin(false);
    app.reference_data(true).await.expect("the account's fields");
    let source = sim.lead_fields().into_iter().find(|f| f.code.as_deref() == Some("SOURCE")).expect("SOURCE");
    let (call_id, call) = source.enums.iter().find(|e| e.1 == "Звонок").map(|e| (e.0, e.1.clone())).expect("Звонок");
    let mut d = full_lead("Поля изменились");
    d.custom_fields = vec![FieldEntry { field_id: source.id, value: call_id.to_string(), checked: None }];
    d.task.as_mut().expect("task").responsible_user_id = Some(424_242);
    let item = app.queue_lead(&d).expect("queue");
    drain(&app).await;
    let got = app.outbox_item(item.id).expect("item");
    assert!(got.field_errors.iter().any(|f| f.field == "task.responsible_user_id"), "{got:?}");

    // The admin removes "Звонок" and requires the city at every stage.
    let fields = sim
        .lead_fields()
        .into_iter()
        .map(|mut f| {
            f.enums.retain(|e| e.1 != call);
            if f.name == "Город" {
                f.required_statuses =
                    sim.pipelines().iter().flat_map(|p| p.statuses.iter().map(|s| (p.id, s.id))).collect();
            }
            f
        })
        .collect();
    sim.set_lead_fields(fields);
    app.reference_data(true).await.expect("refreshed");

    let Draft::Lead(mut fixed) = got.draft.clone() else { panic!("a lead") };
    fixed.task.as_mut().expect("task").responsible_user_id = None;
    let mut renamed = fixed.clone();
    renamed.name = "Другое имя".into();
    let e = app.outbox_update(item.id, Draft::Lead(renamed)).expect_err("the lead is in amoCRM");
    assert!(
        e.message(amo_core::Lang::En).contains("its lead may already be there"),
        "{}",
        e.message(amo_core::Lang::En)
    );
    app.outbox_update(item.id, Draft::Lead(fixed)).expect("only the task is checked, and it is fine");
    drain(&app).await;
    assert_eq!(app.outbox_item(item.id).expect("item").state, OutboxState::Sent);
    assert_eq!(sim.tasks().len(), 1);
    assert_eq!(sim.leads().iter().filter(|l| l.name == "Поля изменились").count(), 1);
}

fn contact_with_company(name: &str, company: &str) -> ContactDraft {
    ContactDraft {
        first_name: name.into(),
        phones: vec!["+7 916 555-03-04".into()],
        company: Some(CompanyDraft {
            name: company.into(),
            custom_fields: vec![FieldEntry { field_id: 703_003, value: "https://lutik.example".into(), checked: None }],
        }),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_with_a_new_company_takes_three_requests_and_one_picked_two() {
    let (_tmp, sim, app) = setup().await;
    let before = sim.stats().api_requests;
    let item = app.queue_contact(&contact_with_company("Ольга", "ИП Лютик")).expect("queue");
    drain(&app).await;
    let item = app.outbox_item(item.id).expect("item");
    assert_eq!(item.state, OutboxState::Sent, "{item:?}");
    assert_eq!(sim.stats().api_requests - before, 3, "the contact, the company, the link");
    let company = sim.companies().into_iter().find(|c| c.name == "ИП Лютик").expect("company created");
    let web = company.custom_fields_values.iter().find(|f| f["field_id"] == 703_003).expect("its web site");
    assert_eq!(web["values"][0]["value"], "https://lutik.example");
    let contact = sim.contacts().into_iter().find(|c| c.first_name == "Ольга").expect("contact");
    assert_eq!(contact.company_id, Some(company.id), "the contact is in its company");
    assert_eq!(item.contact_id, Some(contact.id));

    // An existing company picked: no company made, the contact put in it.
    let existing = sim.seed_company("Рога и копыта");
    let before = (sim.stats().api_requests, sim.companies().len());
    let picked = ContactDraft {
        first_name: "Пётр".into(),
        existing_company_id: Some(existing),
        // Ignored next to a picked company.
        company: Some(CompanyDraft { name: "не эта".into(), ..Default::default() }),
        ..Default::default()
    };
    app.queue_contact(&picked).expect("queue");
    drain(&app).await;
    assert_eq!(sim.stats().api_requests - before.0, 2, "the contact, the link");
    assert_eq!(sim.companies().len(), before.1, "no company created");
    let petr = sim.contacts().into_iter().find(|c| c.first_name == "Пётр").expect("contact");
    assert_eq!(petr.company_id, Some(existing));

    // A company amoCRM does not have: the entry needs attention on it; the contact is there once.
    let gone = app
        .queue_contact(&ContactDraft {
            first_name: "Иван".into(),
            existing_company_id: Some(999_999),
            ..Default::default()
        })
        .expect("queued");
    drain(&app).await;
    let gone = app.outbox_item(gone.id).expect("item");
    assert_eq!(gone.state, OutboxState::Attention, "{gone:?}");
    assert_eq!(gone.field_errors.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["existing_company_id"]);
    assert_eq!(sim.contacts().iter().filter(|c| c.first_name == "Иван").count(), 1);
    // The contact is in amoCRM: it can no longer change, but its company can be fixed.
    let Draft::Contact(typed) = gone.draft.clone() else { panic!("a contact") };
    let renamed =
        ContactDraft {
            first_name: "Иван Другой".into(), existing_company_id: Some(existing), ..typed.clone()
        };
    let e = app.outbox_update(gone.id, Draft::Contact(renamed)).expect_err("the contact is in amoCRM");
    assert_eq!(e.code().as_str(), "entry_not_editable");
    let fixed = ContactDraft { existing_company_id: Some(existing), ..typed };
    app.outbox_update(gone.id, Draft::Contact(fixed)).expect("only the company changes");
    drain(&app).await;
    assert_eq!(app.outbox_item(gone.id).expect("item").state, OutboxState::Sent);
    let ivan: Vec<_> = sim.contacts().into_iter().filter(|c| c.first_name == "Иван").collect();
    assert_eq!(ivan.len(), 1, "the contact was not made again");
    assert_eq!(ivan[0].company_id, Some(existing), "now in the company");

    // Refused before queueing, each named: a company field without a company name, a bad id.
    let e = app
        .queue_contact(&ContactDraft {
            first_name: "Без".into(),
            company: Some(CompanyDraft {
                name: " ".into(),
                custom_fields: vec![FieldEntry { field_id: 703_003, value: "https://x.example".into(), checked: None }],
            }),
            ..Default::default()
        })
        .expect_err("refused");
    let fields: Vec<_> = e.fields().expect("fields").iter().map(|f| (f.field.clone(), f.code)).collect();
    assert_eq!(fields, vec![("company.name".to_string(), FieldCode::Required)]);
    let e = app
        .queue_contact(&ContactDraft {
            first_name: "Ноль".into(), existing_company_id: Some(0), ..Default::default()
        })
        .expect_err("refused");
    assert_eq!(e.fields().expect("fields")[0].field, "existing_company_id");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contacts_company_whose_answers_were_lost_is_made_once_and_linked() {
    let (_tmp, sim, app) = setup().await;
    // The contact, the company and the link are each carried out and their answers dropped.
    sim.set_faults(Faults { drop_after_next: 3, ..Faults::default() });
    let item = app.queue_contact(&contact_with_company("Вера", "ООО Василёк")).expect("queue");
    drain(&app).await;
    assert_eq!(app.outbox_item(item.id).expect("item").state, OutboxState::Sent);
    let contacts: Vec<_> = sim.contacts().into_iter().filter(|c| c.first_name == "Вера").collect();
    let companies: Vec<_> = sim.companies().into_iter().filter(|c| c.name == "ООО Василёк").collect();
    assert_eq!((contacts.len(), companies.len()), (1, 1), "one contact, one company");
    assert_eq!(contacts[0].company_id, Some(companies[0].id), "linked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_field_the_admin_removed_meanwhile_lands_on_that_field_and_its_company_on_its_own() {
    let (_tmp, sim, app) = setup().await;
    // The form knew the contact's "Position" and the company's "Web site"; the admin removes both
    // before the entry is sent.
    let position = sim.contact_fields().into_iter().find(|f| f.code.as_deref() == Some("POSITION")).expect("position");
    let c = ContactDraft {
        first_name: "Анна".into(),
        custom_fields: vec![FieldEntry { field_id: position.id, value: "Закупщик".into(), checked: None }],
        ..Default::default()
    };
    sim.set_contact_fields(sim.contact_fields().into_iter().filter(|f| f.id != position.id).collect());
    let item = app.queue_contact(&c).expect("queued: the form's fields are the cached ones");
    drain(&app).await;
    let item = app.outbox_item(item.id).expect("item");
    assert_eq!(item.state, OutboxState::Attention, "{item:?}");
    let fields: Vec<_> = item.field_errors.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, [format!("custom_fields.{}", position.id)], "on the contact's own field");

    sim.set_company_fields(sim.company_fields().into_iter().filter(|f| f.id != 703_003).collect());
    let item = app.queue_contact(&contact_with_company("Борис", "ООО Клевер")).expect("queued");
    drain(&app).await;
    let item = app.outbox_item(item.id).expect("item");
    assert_eq!(item.state, OutboxState::Attention, "{item:?}");
    let fields: Vec<_> = item.field_errors.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["company.custom_fields.703003"], "on the company's field, not the contact's");
    assert_eq!(sim.contacts().iter().filter(|c| c.first_name == "Борис").count(), 1, "the contact is there once");
}
