//! Custom fields against the simulator (docs/amocrm-api.md §13): the account's fields are read
//! (every page) with its time zone; every type the forms write reaches amoCRM in the shape it
//! takes; a date on a UTC+3 account reads back as the day typed; a field the stage requires, a
//! choice that is not one and text over 256 characters are refused before queueing, naming the
//! field; a choice amoCRM refuses later lands on that field of the entry.

use std::sync::Arc;

mod common;

use common::drain;

use amo_core::domain::draft::LeadDraft;
use amo_core::domain::fields::{local_day, FieldEntry, FieldType};
use amo_core::domain::outbox::OutboxState;
use amo_core::keychain::memory::MemoryStore;
use serde_json::{json, Value};

const SOURCE: i64 = 701_001;
const OPTIONS: i64 = 701_002;
const CHANNEL: i64 = 701_003;
const ORDER_NO: i64 = 701_004;
const CITY: i64 = 701_005;
const DELIVERY: i64 = 701_006;
const DELIVERY_DATE: i64 = 701_007;
const CALL_BACK: i64 = 701_008;
const COMMENT: i64 = 701_009;
const SITE: i64 = 701_010;
const PREPAID: i64 = 701_011;
const SMART_ADDRESS: i64 = 701_012;
const WAREHOUSE: i64 = 701_014;
const MONETARY: i64 = 701_015;
/// The main pipeline's "Переговоры" stage, which requires the delivery date.
const MAIN: i64 = 3_383_152;
const NEGOTIATION: i64 = 33_929_755;

fn entry(field_id: i64, value: &str) -> FieldEntry {
    FieldEntry { field_id, value: value.into(), checked: None }
}

fn values(lead: &amo_sim::SimLead, field_id: i64) -> Value {
    lead.custom_fields_values
        .iter()
        .find(|f| f["field_id"] == field_id)
        .map(|f| f["values"].clone())
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_writable_type_reaches_amocrm_in_its_shape_and_a_date_stays_the_day_typed() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    let r = app.reference_data(true).await.expect("reference");
    assert_eq!(r.lead_fields.len(), sim.lead_fields().len(), "every page read");
    assert_eq!((r.timezone.as_deref(), r.timezone_offset_secs), (Some("Europe/Moscow"), Some(3 * 3600)));
    let smart = r.lead_fields.iter().find(|f| f.id == SMART_ADDRESS).expect("smart_address");
    assert_eq!(smart.field_type, FieldType::Other, "kept, shown read-only");
    assert!(r.lead_fields.iter().any(|f| f.is_api_only), "api-only fields are listed (the form hides them)");

    let draft = LeadDraft {
        name: "Sofa with delivery".into(),
        pipeline_id: Some(MAIN),
        status_id: Some(NEGOTIATION),
        custom_fields: vec![
            entry(SOURCE, "звонок"),
            entry(OPTIONS, "Доставка | Сборка"),
            entry(CHANNEL, "801022"),
            entry(ORDER_NO, "1 500"),
            entry(CITY, " Казань "),
            entry(DELIVERY, "да"),
            entry(DELIVERY_DATE, "2026-12-01"),
            entry(CALL_BACK, "2026-12-01T10:00:00+03:00"),
            entry(COMMENT, "Third floor, no lift"),
            entry(SITE, "https://example.com/shop"),
            entry(PREPAID, "2500,50"),
            entry(WAREHOUSE, "ул. Складская, 7"),
            entry(MONETARY, "100.5"),
            entry(SMART_ADDRESS, ""), // empty: dropped, not refused
        ],
        ..Default::default()
    };
    app.queue_lead(&draft).expect("queued");
    drain(&app).await;
    let lead = sim.leads().into_iter().find(|l| l.name == "Sofa with delivery").expect("in amoCRM");
    assert_eq!(lead.status_id, NEGOTIATION);
    assert_eq!(values(&lead, SOURCE), json!([{"value": "Звонок", "enum_id": 801_002, "enum_code": null}]));
    assert_eq!(values(&lead, OPTIONS).as_array().map(Vec::len), Some(2));
    assert_eq!(values(&lead, CHANNEL)[0]["value"], "Опт");
    assert_eq!(values(&lead, ORDER_NO), json!([{"value": "1500"}]));
    assert_eq!(values(&lead, CITY), json!([{"value": "Казань"}]));
    assert_eq!(values(&lead, DELIVERY), json!([{"value": true}]));
    assert_eq!(values(&lead, CALL_BACK), json!([{"value": 1_796_108_400}]));
    assert_eq!(values(&lead, SITE), json!([{"value": "https://example.com/shop"}]));
    assert_eq!(values(&lead, PREPAID), json!([{"value": "2500.50"}]));
    assert_eq!(values(&lead, WAREHOUSE), json!([{"value": "ул. Складская, 7"}]));
    assert_eq!(values(&lead, MONETARY), json!([{"value": "100.5"}]));
    // amoCRM keeps a date as midnight where the account is: read back, it is the day typed.
    let stored = values(&lead, DELIVERY_DATE)[0]["value"].as_i64().expect("a timestamp");
    assert_eq!(local_day(stored, 3 * 3600), (2026, 12, 1));
    assert_eq!(stored, 1_796_072_400, "2026-12-01 00:00 +03:00");
    // Read as UTC it would be a day early — the pitfall of amocrm-api-php#402.
    assert_eq!(local_day(stored, 0), (2026, 11, 30));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_the_stage_requires_a_wrong_choice_and_long_text_are_refused_before_queueing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (_sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    app.reference_data(true).await.expect("reference");
    let draft = LeadDraft {
        name: String::new(),
        pipeline_id: Some(MAIN),
        status_id: Some(NEGOTIATION),
        custom_fields: vec![entry(SOURCE, "Telegram"), entry(CITY, &"д".repeat(300)), entry(SMART_ADDRESS, "x")],
        ..Default::default()
    };
    let e = app.queue_lead(&draft).expect_err("refused");
    assert_eq!(e.code().as_str(), "validation");
    let code = |f: &amo_core::error::FieldError| {
        serde_json::to_value(f.code).expect("code").as_str().unwrap_or("").to_string()
    };
    let mut got: Vec<(String, String)> =
        e.fields().expect("fields").iter().map(|f| (f.field.clone(), code(f))).collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("custom_fields.701001", "not_a_choice"),
            ("custom_fields.701005", "too_long_for_amo"),
            ("custom_fields.701007", "required_for_stage"),
            ("custom_fields.701012", "read_only_field"),
            ("name", "required"),
        ]
        .map(|(f, c)| (f.to_string(), c.to_string()))
    );
    let text = e.message(amo_core::Lang::En);
    assert!(text.contains("Дата доставки: required for the chosen stage"), "named by the admin's name: {text}");
    assert_eq!(app.outbox_summary().expect("s").queued, 0, "nothing queued");
    // Another stage does not require the date.
    let ok = LeadDraft { name: "Chair".into(), custom_fields: vec![entry(CITY, "Тула")], ..Default::default() };
    app.queue_lead(&ok).expect("the main pipeline's first stage does not require it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_choice_amocrm_no_longer_has_lands_on_that_field_of_the_entry() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    app.reference_data(true).await.expect("cached with Instagram as a source");
    // The admin deletes the "Instagram" choice after the app cached the fields.
    let mut fields = sim.lead_fields();
    fields.iter_mut().find(|f| f.id == SOURCE).expect("source").enums.retain(|e| e.1 != "Instagram");
    sim.set_lead_fields(fields);
    let draft = LeadDraft {
        name: "From Instagram".into(),
        custom_fields: vec![entry(CITY, "Омск"), entry(SOURCE, "Instagram")],
        ..Default::default()
    };
    let item = app.queue_lead(&draft).expect("valid for the cached fields");
    drain(&app).await;
    let item = app.outbox_list(10).expect("list").into_iter().find(|i| i.id == item.id).expect("entry");
    assert_eq!(item.state, OutboxState::Attention);
    let f = &item.field_errors[0];
    assert_eq!((f.field.as_str(), f.amo_code.as_deref()), ("custom_fields.701001", Some("NotSupportedChoice")));
    assert_eq!(f.label, "Источник", "History names it as the admin does, not by its key");
    assert!(sim.leads().iter().all(|l| l.name != "From Instagram"));
}

/// On an account west of UTC the client's arithmetic is what keeps the day: a naive UTC midnight
/// is still the previous evening there and amoCRM stores the previous day.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_an_account_west_of_utc_a_date_is_still_the_day_typed() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    sim.set_timezone("America/Sao_Paulo", "-03:00", -3 * 3600);
    let r = app.reference_data(true).await.expect("reference");
    assert_eq!(r.timezone_offset_secs, Some(-3 * 3600));
    let draft = LeadDraft {
        name: "Delivery in Sao Paulo".into(),
        custom_fields: vec![entry(DELIVERY_DATE, "2026-12-01"), entry(CITY, "São Paulo")],
        ..Default::default()
    };
    app.queue_lead(&draft).expect("queued");
    drain(&app).await;
    let lead = sim.leads().into_iter().find(|l| l.name == "Delivery in Sao Paulo").expect("in amoCRM");
    let stored = values(&lead, DELIVERY_DATE)[0]["value"].as_i64().expect("a timestamp");
    assert_eq!(stored, 1_796_094_000, "2026-12-01 00:00 -03:00");
    // (Had the client sent UTC midnight, the simulator — like amoCRM — would have stored
    // 2026-11-30 00:00 -03:00, 1_796_007_600.)
    assert_eq!(local_day(stored, -3 * 3600), (2026, 12, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contacts_own_fields_reach_amocrm_on_the_contact_and_a_bad_one_is_named() {
    use amo_core::domain::draft::ContactDraft;
    const POSITION: i64 = 702_003;
    const BIRTHDAY: i64 = 702_004;
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    let r = app.reference_data(true).await.expect("reference");
    let ids: Vec<i64> = r.contact_fields.iter().map(|f| f.id).collect();
    assert_eq!(ids, vec![POSITION, BIRTHDAY], "phone and e-mail have their own rows: {ids:?}");

    let contact = |custom: Vec<FieldEntry>| ContactDraft {
        first_name: "Ирина".into(),
        phones: vec!["+7 916 555-01-09".into()],
        custom_fields: custom,
        ..Default::default()
    };
    let lead = LeadDraft {
        name: "Со стулом".into(),
        contact: Some(contact(vec![entry(POSITION, "Закупщик"), entry(BIRTHDAY, "1990-05-01")])),
        ..Default::default()
    };
    let item = app.queue_lead(&lead).expect("queue");
    drain(&app).await;
    assert_eq!(app.outbox_item(item.id).expect("item").state, OutboxState::Sent);
    let c = sim.contacts().into_iter().find(|c| c.first_name == "Ирина").expect("contact");
    let value =
        |id: i64| c.custom_fields_values.iter().find(|f| f["field_id"] == id).map(|f| f["values"][0]["value"].clone());
    assert_eq!(value(POSITION), Some(json!("Закупщик")));
    let birthday = value(BIRTHDAY).and_then(|v| v.as_i64()).expect("a timestamp");
    // Europe/Moscow by its rules: in May 1990 Moscow was on summer time, UTC+4 (docs/amocrm-api.md §11.14).
    let moscow = amo_core::domain::zone::Zone::named("Europe/Moscow").expect("known");
    assert_eq!(local_day(birthday, moscow), (1990, 5, 1), "the day typed, in the account's zone");
    assert_eq!(moscow.rfc3339(birthday), "1990-05-01T00:00:00+04:00", "midnight there");
    assert_eq!(c.phones, ["+79165550109"], "the phone still goes first");

    use amo_core::error::FieldCode;
    let named = |e: amo_core::Error| -> Vec<(String, FieldCode)> {
        e.fields().expect("fields").iter().map(|f| (f.field.clone(), f.code)).collect()
    };
    let e = app.queue_contact(&contact(vec![entry(BIRTHDAY, "вчера")])).expect_err("refused");
    assert_eq!(named(e), vec![("custom_fields.702004".to_string(), FieldCode::InvalidDate)]);
    let bad_lead =
        LeadDraft {
            name: "x".into(), contact: Some(contact(vec![entry(BIRTHDAY, "вчера")])), ..Default::default()
        };
    let e = app.queue_lead(&bad_lead).expect_err("refused");
    assert_eq!(named(e), vec![("contact.custom_fields.702004".to_string(), FieldCode::InvalidDate)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_layout_is_kept_per_account_and_comes_with_the_forms_data() {
    use amo_core::domain::fields::{FormEntity, FormLayout};
    let tmp = tempfile::tempdir().expect("tmp");
    let (_sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    let kept = app
        .save_form_layout(
            FormEntity::Leads,
            &FormLayout { order: vec![CITY, SOURCE, CITY], hidden: vec![OPTIONS], shown: vec![OPTIONS, 701_013] },
        )
        .expect("saved");
    assert_eq!(kept, FormLayout { order: vec![CITY, SOURCE], hidden: vec![OPTIONS], shown: vec![701_013] });
    let r = app.reference_data(true).await.expect("reference");
    assert_eq!(r.lead_layout, kept);
    assert_eq!(r.contact_layout, FormLayout::default());
    assert_eq!(app.reference_data(false).await.expect("cached").lead_layout, kept, "also from the cache");
    app.disconnect(false).await.expect("disconnect");
    let e = app.save_form_layout(FormEntity::Leads, &kept).expect_err("no account");
    assert_eq!(e.code().as_str(), "not_connected");
}
