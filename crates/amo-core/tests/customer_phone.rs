//! "Call" on a task (issue 21): the number a task's customer is called on — a contact's first
//! phone, a lead's first contact's — from amoCRM, or from this computer's copy of the account's
//! people when it holds them (so it works offline too); none when nobody has a phone.

use std::sync::Arc;

mod common;

use amo_core::domain::reference::RecordKind;
use amo_core::keychain::memory::MemoryStore;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contacts_and_a_leads_first_contacts_phone_from_amocrm_then_from_the_copy_offline() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (mut sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    let token = app.access().await.expect("token").token.expose().to_string();
    let lead = json!([{"name": "Sofa", "_embedded": {"contacts": [{"first_name": "Ivan",
        "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "+79161234567", "enum_code": "MOB"}]}]}]}}]);
    let r = reqwest::Client::new()
        .post(format!("{}/api/v4/leads/complex", sim.url()))
        .bearer_auth(&token)
        .json(&lead)
        .send()
        .await
        .expect("request");
    let v: Value = r.json().await.expect("json");
    let (lead_id, contact_id) = (v[0]["id"].as_i64().expect("lead"), v[0]["contact_id"].as_i64().expect("contact"));
    let nobody = sim.seed_contact("Anna", "", None, Some("anna@example.com"));

    assert_eq!(app.customer_phone(RecordKind::Lead, lead_id).await.expect("lead"), Some("+79161234567".into()));
    assert_eq!(
        app.customer_phone(RecordKind::Contact, contact_id).await.expect("contact"),
        Some("+79161234567".into())
    );
    assert_eq!(app.customer_phone(RecordKind::Contact, nobody).await.expect("no phone"), None);
    assert_eq!(
        app.customer_phone(RecordKind::Lead, 999_999).await.map_err(|e| e.code()).err(),
        Some(amo_core::ErrorCode::LeadNotFound)
    );

    // With a copy: the contact's number without amoCRM.
    app.set_people_copy(true).expect("copy on");
    app.sync_people(true, &|_| {}).await.expect("sync");
    sim.go_down().await;
    assert_eq!(
        app.customer_phone(RecordKind::Contact, contact_id).await.expect("offline"),
        Some("+79161234567".into())
    );
}
