//! A phone number typed without its country code is read as Russian (`+7`) only for an
//! amoCRM.ru account (docs/amocrm-api.md §11.8): with no account connected and none configured,
//! nothing is assumed — the number is refused asking for its country code, never stored as `+7`
//! and sent later to whatever account connects.

mod common;

use std::sync::Arc;

use amo_core::domain::draft::{ContactDraft, Draft, LeadDraft};
use amo_core::domain::platform::Platform;
use amo_core::domain::settings::SettingsPatch;
use amo_core::error::FieldCode;
use amo_core::keychain::memory::MemoryStore;

fn lead_with_phone(phone: &str) -> LeadDraft {
    LeadDraft {
        name: "Order".into(),
        contact: Some(ContactDraft { first_name: "Anna".into(), phones: vec![phone.into()], ..Default::default() }),
        ..Default::default()
    }
}

#[tokio::test]
async fn ten_digits_become_plus_seven_only_on_an_amocrm_ru_account() {
    let tmp = tempfile::tempdir().expect("tmp");
    // Nothing listens there: nothing here asks amoCRM.
    let app = common::open(tmp.path(), Arc::new(MemoryStore::new()), "http://127.0.0.1:9");
    assert_eq!(app.platform(), Platform::Kommo, "no account, no address: no country assumed");
    let err = app.queue_lead(&lead_with_phone("912 123 45 67")).expect_err("no country code");
    let fields: Vec<(&str, FieldCode)> =
        err.fields().expect("validation").iter().map(|e| (e.field.as_str(), e.code)).collect();
    assert_eq!(fields, [("contact.phones.0", FieldCode::PhoneNeedsCountryCode)]);
    assert!(app.outbox_list(10).expect("list").is_empty());
    // Typed with its country code, it is taken anywhere.
    app.queue_lead(&lead_with_phone("+44 20 7946 0958")).expect("international");

    // The account address configured is an amoCRM.ru one: a Russian desk.
    app.save_settings(SettingsPatch { domain: Some("acme.amocrm.ru".into()), ..Default::default() })
        .await
        .expect("domain");
    assert_eq!(app.platform(), Platform::Amocrm);
    let item = app.queue_lead(&lead_with_phone("912 123 45 67")).expect("ru");
    let Draft::Lead(queued) = app.outbox_item(item.id).expect("item").draft else { panic!("a lead") };
    assert_eq!(queued.contact.expect("contact").phones, ["+79121234567"]);

    // A Kommo address: not Russian, whatever the platform setting says.
    app.save_settings(SettingsPatch {
        domain: Some("acme.kommo.com".into()),
        platform: Some(Platform::Amocrm),
        ..Default::default()
    })
    .await
    .expect("domain");
    assert_eq!(app.platform(), Platform::Kommo);
    assert!(app.queue_lead(&lead_with_phone("8 912 123 45 67")).is_err());
}
