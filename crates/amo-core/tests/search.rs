//! The window's search against the simulator: a phone typed the Russian way finds the contact
//! stored in international form, a name finds leads and contacts, too short a query is named,
//! and found records open on the connected account.

use std::sync::Arc;

mod common;

use amo_core::domain::reference::RecordKind;
use amo_core::keychain::memory::MemoryStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_a_name_or_an_email_finds_leads_and_contacts() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    let olga = sim.seed_contact("Olga", "Smirnova", Some("+79165550102"), Some("olga@example.com"));
    sim.seed_contact("Pavel", "Orlov", Some("+79160000000"), None);
    sim.seed_leads(3, "Smirnova sofa ");

    let by_phone = app.search_amocrm("8 (916) 555-01-02").await.expect("search");
    assert_eq!(by_phone.contacts.iter().map(|c| c.id).collect::<Vec<_>>(), [olga]);
    let by_email = app.search_amocrm("olga@example.com").await.expect("search");
    assert_eq!(by_email.contacts.len(), 1);
    let by_name = app.search_amocrm("smirnova").await.expect("search");
    assert_eq!(by_name.contacts.len(), 1);
    assert_eq!(by_name.leads.len(), 3, "leads named so, newest first");
    assert!(by_name.leads.windows(2).all(|w| w[0].created_at >= w[1].created_at));
    assert!(app.search_amocrm("nobody here").await.expect("search").leads.is_empty());

    let e = app.search_amocrm(" x ").await.expect_err("too short");
    assert_eq!(e.fields().expect("fields")[0].field, "query");
    assert_eq!(
        app.record_url(RecordKind::Contact, olga).expect("url"),
        format!("https://acme.amocrm.ru/contacts/detail/{olga}")
    );
    let recent = app.list_leads(2).await.expect("recent");
    assert_eq!(recent.len(), 2);
}
