//! The lead card against the simulator (issue 21): `GET /api/v4/leads/{id}?with=contacts,
//! loss_reason`, its newest notes, its open tasks and its contacts, named from the account's
//! reference data and dated in its zone (the simulator's account is Europe/Moscow, UTC+3; the
//! tests run on whatever zone the machine has, usually UTC). A lost lead shows its reason by
//! name; `updated_at` / `updated_by` follow every change (the update steps compare them); a lead
//! amoCRM does not have is `lead_not_found` naming the id.

use std::sync::Arc;

mod common;

use amo_core::domain::fields::FieldType;
use amo_core::domain::lead_card::LeadCard;
use amo_core::domain::reference::StageKind;
use amo_core::keychain::memory::MemoryStore;
use amo_core::{AmoConnect, Lang};
use amo_sim::Simulator;
use serde_json::{json, Value};

/// 2026-03-10 00:00 in Moscow (21:00 UTC the day before): a `date` field's value.
const MARCH_10_MSK: i64 = 1_773_090_000;

/// A request to the simulator as amoCRM's API would take it, with the app's token; the JSON answer.
async fn call(sim: &Simulator, app: &AmoConnect, method: reqwest::Method, path: &str, body: Value) -> Value {
    let token = app.access().await.expect("token").token.expose().to_string();
    let r = reqwest::Client::new()
        .request(method, format!("{}{path}", sim.url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.expect("json")
}

/// A lead in "Воронка" / "Первичный контакт" with a new contact, tags and every kind of field the
/// forms write; its id and its contact's id.
async fn add_lead(sim: &Simulator, app: &AmoConnect) -> (i64, i64) {
    let lead = json!([{
        "name": "Диван «Осло»", "price": 45_000, "pipeline_id": 3_383_152, "status_id": 33_929_752,
        "custom_fields_values": [
            {"field_id": 701_001, "values": [{"enum_id": 801_002}]},
            {"field_id": 701_002, "values": [{"enum_id": 801_011}, {"enum_id": 801_012}]},
            {"field_id": 701_004, "values": [{"value": "17"}]},
            {"field_id": 701_005, "values": [{"value": "Казань"}]},
            {"field_id": 701_006, "values": [{"value": true}]},
            {"field_id": 701_007, "values": [{"value": MARCH_10_MSK}]},
            {"field_id": 701_008, "values": [{"value": MARCH_10_MSK + 18 * 3600 + 30 * 60}]}
        ],
        "_embedded": {
            "tags": [{"name": "vip"}, {"name": "повторный"}],
            "contacts": [{"first_name": "Иван", "last_name": "Петров"}]
        }
    }]);
    let v = call(sim, app, reqwest::Method::POST, "/api/v4/leads/complex", lead).await;
    (v[0]["id"].as_i64().expect("lead id"), v[0]["contact_id"].as_i64().expect("contact id"))
}

fn fields(card: &LeadCard) -> Vec<(i64, &str, FieldType, &str)> {
    card.fields.iter().map(|f| (f.field_id, f.name.as_str(), f.field_type, f.value.as_str())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_with_fields_a_note_and_a_task_is_shown_named_and_in_the_accounts_zone() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    let me = sim.config().user_id;
    let (id, contact) = add_lead(&sim, &app).await;
    let notes = format!("/api/v4/leads/{id}/notes");
    call(
        &sim,
        &app,
        reqwest::Method::POST,
        &notes,
        json!([{"note_type": "common", "params": {"text": "Хочет синий"}}]),
    )
    .await;
    let due = amo_core::clock::now() + 3 * 86_400;
    let task = |text: &str, done: bool| json!({"text": text, "complete_till": due, "entity_type": "leads", "entity_id": id, "is_completed": done});
    let tasks = call(
        &sim,
        &app,
        reqwest::Method::POST,
        "/api/v4/tasks",
        json!([task("Позвонить", false), task("Уже сделано", true)]),
    )
    .await;
    let open_task = tasks["_embedded"]["tasks"][0]["id"].as_i64().expect("task id");

    let card = app.lead_card(id).await.expect("card");
    assert_eq!((card.id, card.name.as_str(), card.price), (id, "Диван «Осло»", 45_000));
    assert_eq!(
        (card.pipeline_name.as_deref(), card.status_name.as_deref(), card.stage_kind),
        (Some("Воронка"), Some("Первичный контакт"), StageKind::Open)
    );
    assert_eq!((card.responsible_user_id, card.responsible_name.as_deref()), (me, Some("Анна Смирнова")));
    assert_eq!((card.loss_reason_id, card.loss_reason.as_deref()), (None, None));
    assert_eq!(card.tags, ["vip", "повторный"]);
    assert_eq!(
        fields(&card),
        [
            (701_001, "Источник", FieldType::Select, "Звонок"),
            (701_002, "Опции", FieldType::Multiselect, "Доставка, Сборка"),
            (701_004, "Номер заказа", FieldType::Numeric, "17"),
            (701_005, "Город", FieldType::Text, "Казань"),
            (701_006, "Нужна доставка", FieldType::Checkbox, "yes"),
            // Read as UTC these would be March 9th, 21:00 and 15:30.
            (701_007, "Дата доставки", FieldType::Date, "2026-03-10"),
            (701_008, "Перезвонить", FieldType::DateTime, "2026-03-10 18:30"),
        ]
    );
    assert_eq!(card.fields[4].checked, Some(true));
    let sim_contact = sim.contacts().into_iter().find(|c| c.id == contact).expect("contact");
    assert_eq!(card.contacts.len(), 1);
    assert_eq!((card.contacts[0].id, card.contacts[0].name.as_deref()), (contact, Some(sim_contact.name.as_str())));
    assert!(sim_contact.name.contains("Иван"), "{}", sim_contact.name);
    let n: Vec<(&str, &str, Option<&str>)> =
        card.notes.iter().map(|n| (n.note_type.as_str(), n.text.as_str(), n.created_by_name.as_deref())).collect();
    assert_eq!(n, [("common", "Хочет синий", Some("Анна Смирнова"))]);
    assert!(card.notes[0].created.ends_with("+03:00"), "{}", card.notes[0].created);
    assert_eq!(card.tasks.len(), 1, "the done task is not shown: {:?}", card.tasks);
    let t = &card.tasks[0];
    assert_eq!(
        (t.id, t.text.as_str(), t.complete_till, t.task_type.as_str()),
        (open_task, "Позвонить", due, "Связаться")
    );
    assert!(t.due.ends_with("+03:00"), "{}", t.due);
    let lead = sim.leads().into_iter().find(|l| l.id == id).expect("lead");
    assert_eq!((card.updated_at, card.updated_by, card.created_at), (lead.updated_at, me, lead.created_at));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_lead_shows_its_reason_and_who_changed_it_last() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    let (id, _) = add_lead(&sim, &app).await;
    let reason = sim.loss_reasons()[1].clone();
    let path = format!("/api/v4/leads/{id}");
    call(&sim, &app, reqwest::Method::PATCH, &path, json!({"status_id": 143, "loss_reason_id": reason.id})).await;

    let card = app.lead_card(id).await.expect("card");
    assert_eq!(
        (card.stage_kind, card.status_name.as_deref(), card.loss_reason_id, card.loss_reason.as_deref()),
        (StageKind::Lost, Some("Закрыто и не реализовано"), Some(reason.id), Some(reason.name.as_str()))
    );
    let lead = sim.leads().into_iter().find(|l| l.id == id).expect("lead");
    assert_eq!((card.updated_at, card.updated_by_name.as_deref()), (lead.updated_at, Some("Анна Смирнова")));

    // A colleague renames it meanwhile: the card shows their change, by name — what the update
    // steps compare before writing.
    let colleague = sim.colleague_id();
    let at = sim.change_lead_as_colleague(id, json!({"name": "Диван «Осло» (отказ)"})).await.expect("change");
    let again = app.lead_card(id).await.expect("card again");
    assert_eq!(again.name, "Диван «Осло» (отказ)");
    assert_eq!(
        (again.updated_at, again.updated_by, again.updated_by_name.as_deref()),
        (at, colleague, Some("Борис Петров"))
    );
    assert!(again.updated_at > card.updated_at);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_amocrm_does_not_have_is_lead_not_found_naming_the_id() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    let e = app.lead_card(987_654_321).await.expect_err("no such lead");
    assert_eq!(e.code().as_str(), "lead_not_found", "{e:?}");
    assert!(e.message(Lang::En).contains("987654321"), "{}", e.message(Lang::En));
    assert!(e.message(Lang::Ru).contains("987654321"), "{}", e.message(Lang::Ru));
    // With the account's shape cached, one request: the lead; no notes, tasks or contacts of a
    // lead that is not there (its notes would be a 404).
    let before = sim.stats().api_requests;
    let e = app.lead_card(987_654_322).await.expect_err("no such lead");
    assert_eq!(e.code().as_str(), "lead_not_found", "{e:?}");
    assert_eq!(sim.stats().api_requests - before, 1);

    let tmp = tempfile::tempdir().expect("tmp");
    let app = common::open(tmp.path(), Arc::new(MemoryStore::new()), "http://127.0.0.1:9");
    let e = app.lead_card(1).await.expect_err("not connected");
    assert_eq!(e.code().as_str(), "not_connected", "{e:?}");
}
