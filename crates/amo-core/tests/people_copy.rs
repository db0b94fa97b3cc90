//! The copy of the account's people against the simulator (docs/people-copy.md): the first sync
//! reads every contact and company and resumes after a kill without reading a page twice; the
//! quick poll picks up changes and additions, the full pass drops the deleted and the merged
//! away; a number written three ways finds one customer, two customers with one number are both
//! shown; offline the copy answers with its age; turned off, it is wiped.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

mod common;

use amo_core::domain::people::{CopyStatus, PersonKind};
use amo_core::keychain::memory::MemoryStore;

fn quiet(_: &CopyStatus) {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_sync_reads_everyone_and_resumes_after_a_kill_without_reading_a_page_twice() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    // 3 pages of contacts (250 each) and a company page.
    let ids = sim.seed_contacts(620, 9_000_000_000);
    let companies = sim.companies().len();
    assert!(companies > 0, "every 20th customer has a company");
    let before = sim.stats().api_requests;

    // Killed after the first page is written: the future is dropped at its next await.
    let pages = Arc::new(AtomicUsize::new(0));
    let seen = pages.clone();
    let progress = move |_: &CopyStatus| {
        seen.fetch_add(1, Ordering::SeqCst);
    };
    let watch = pages.clone();
    tokio::select! {
        r = app.sync_people(false, &progress) => panic!("the sync should have been cut short: {r:?}"),
        _ = async move { while watch.load(Ordering::SeqCst) == 0 { tokio::task::yield_now().await; } } => {}
    }
    let cut = app.people_status().expect("status");
    assert_eq!(cut.full_pass_pages, Some(1), "one page written, the pass under way: {cut:?}");
    assert_eq!(cut.contacts, 250);

    let report = app.sync_people(false, &quiet).await.expect("resumed");
    assert!(report.full);
    let s = app.people_status().expect("status");
    assert_eq!((s.contacts, s.companies), (ids.len() as i64, companies as i64), "{s:?}");
    assert_eq!(s.full_pass_pages, None, "the pass ended");
    assert!(s.fresh_at.is_some() && s.full_pass_at.is_some());
    assert_eq!(s.open_leads, sim.leads().len() as i64, "every seeded lead is open");
    // Contacts 3 pages + companies 1 + the leads, and at most the one page the kill cut short
    // read again.
    let lead_pages = (sim.leads().len() as u64).div_ceil(250);
    let used = sim.stats().api_requests - before;
    assert!(used <= 3 + 1 + lead_pages + 1, "{used} requests");
    assert!(s.bytes > 0);

    // The card: the customer with an open lead shows it, named as the copy holds it.
    let with_lead = sim.leads()[0].contact_ids.first().copied().expect("a seeded lead has a contact");
    let c = sim.contacts().into_iter().find(|c| c.id == with_lead).expect("contact");
    let found = app.find_customer(&c.phones[0], true).await.expect("offline find");
    assert_eq!(found.customers.len(), 1);
    assert_eq!(found.customers[0].id, with_lead);
    assert_eq!(found.customers[0].open_leads.len(), 1);
    assert!(found.copy_age_secs.is_some(), "offline: the copy's age is said");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_poll_picks_up_changes_and_the_full_pass_drops_the_deleted_and_the_merged() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    let ids = sim.seed_contacts(40, 9_100_000_000);
    app.sync_people(true, &quiet).await.expect("full");
    assert_eq!(app.people_status().expect("s").contacts, 40);

    for (i, id) in ids[..3].iter().enumerate() {
        assert!(sim.rename_contact(*id, &format!("Renamed {i}")));
    }
    let added = [
        sim.seed_contact("Nina", "New", Some("+79130000001"), None),
        sim.seed_contact("Oleg", "New", Some("+79130000002"), Some("oleg@example.com")),
    ];
    assert!(sim.delete_contact(ids[10]));
    let gone_phone = sim.contacts().into_iter().find(|c| c.id == ids[11]).expect("c").phones[0].clone();
    assert!(sim.merge_contacts(ids[12], ids[11]));

    let r = app.sync_people(false, &quiet).await.expect("poll");
    assert!(!r.full, "a quick poll: {r:?}");
    assert_eq!(r.status.updated_filter, Some(true), "the simulator's account takes filter[updated_at]");
    let renamed = app.find_customer("Renamed", true).await.expect("by name").customers;
    assert_eq!(renamed.len(), 3, "{renamed:?}");
    for id in added {
        let phone = sim.contacts().into_iter().find(|c| c.id == id).expect("c").phones[0].clone();
        assert_eq!(app.find_customer(&phone, true).await.expect("find").customers[0].id, id);
    }
    // The merge moved the number to the keeper (changed, so polled); the merged-away contact is
    // still in the copy until a full pass, and is shown beside it rather than hidden.
    let by_gone = app.find_customer(&gone_phone, true).await.expect("find").customers;
    assert!(by_gone.iter().any(|c| c.id == ids[12]), "{by_gone:?}");

    // An account without amoCRM's paid filtering refuses filter[updated_at]: the poll goes on by
    // the order alone, and remembers.
    sim.set_updated_at_filter(false);
    assert!(sim.rename_contact(ids[5], "Changed without filtering"));
    let r = app.sync_people(false, &quiet).await.expect("poll without the filter");
    assert_eq!(r.status.updated_filter, Some(false));
    assert_eq!(app.find_customer("without filtering", true).await.expect("name").customers[0].id, ids[5]);
    sim.set_updated_at_filter(true);

    let r = app.sync_people(true, &quiet).await.expect("full again");
    assert_eq!(r.removed, 2, "the deleted and the merged-away: {r:?}");
    let s = app.people_status().expect("s");
    assert_eq!(s.contacts, sim.contacts().len() as i64);
    let by_gone = app.find_customer(&gone_phone, true).await.expect("find").customers;
    assert_eq!(by_gone.iter().map(|c| c.id).collect::<Vec<_>>(), [ids[12]]);
    assert!(app.find_customer("oleg@example.com", true).await.expect("email").customers.len() == 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_number_written_three_ways_finds_the_same_customers_and_two_with_one_number_are_both_shown() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    let olga = sim.seed_contact("Olga", "Smirnova", Some("8 (912) 111-22-33"), Some("Olga@Example.com"));
    let ivan = sim.seed_contact("Ivan", "Smirnov", Some("+79121112233"), None);
    sim.seed_contact("Other", "Person", Some("+79121112234"), None);
    let firm = sim.seed_company("Smirnov and Sons");
    app.sync_people(false, &quiet).await.expect("sync");

    for typed in ["8 (912) 111-22-33", "+79121112233", "9121112233"] {
        let found = app.find_customer(typed, true).await.expect("find");
        let mut got: Vec<i64> = found.customers.iter().map(|c| c.id).collect();
        got.sort_unstable();
        assert_eq!(got, [olga, ivan], "{typed}: never guessed between them");
    }
    assert!(app.find_customer("101", true).await.expect("ext").customers.is_empty(), "an extension matches nobody");
    assert_eq!(app.find_customer("olga@example.COM", true).await.expect("e").customers[0].id, olga);
    let names = app.find_customer("smirnov", true).await.expect("name").customers;
    assert_eq!(names.len(), 3, "two contacts and the company: {names:?}");
    assert!(names.iter().any(|c| c.id == firm && c.kind == PersonKind::Company));
    assert_eq!(names[0].kind, PersonKind::Contact, "contacts first");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_the_copy_answers_with_its_age_online_it_is_confirmed_and_turned_off_it_is_wiped() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (mut sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    let e = app.find_customer("+79125550000", true).await.expect_err("no copy yet");
    assert_eq!(e.code().as_str(), "no_copy");
    let olga = sim.seed_contact("Olga", "Smirnova", Some("+79125550000"), None);
    // Without a copy the lookup asks amoCRM (and says so: no age).
    let online = app.find_customer("+79125550000", false).await.expect("online");
    assert_eq!((online.customers.len(), online.copy_age_secs), (1, None));

    app.sync_people(false, &quiet).await.expect("sync");
    let confirmed = app.find_customer("+79125550000", false).await.expect("confirmed");
    assert_eq!((confirmed.customers[0].id, confirmed.copy_age_secs), (olga, None), "confirmed online");
    // Confirmed online, the card shows the newest call (on the contact: no lead in work).
    let call = amo_core::domain::draft::CallDraft {
        phone: "+79125550000".into(),
        duration_secs: 42,
        result: "Asked for a catalogue".into(),
        uniq: "card-1".into(),
        ..Default::default()
    };
    let (item, _) = app.log_call(&call).expect("call");
    app.wait_for_entry(item.id, std::time::Duration::from_secs(20)).await.expect("logged");
    let card = app.find_customer("+79125550000", false).await.expect("card").customers.remove(0);
    let last = card.last_call.expect("the newest call");
    assert_eq!((last.inbound, last.duration_secs, last.result.as_str()), (true, 42, "Asked for a catalogue"));
    assert!(card.last_note.is_none());
    assert!(
        app.find_customer("+79125550000", true).await.expect("offline").customers[0].last_call.is_none(),
        "the copy keeps no notes"
    );
    // A number added in amoCRM after the sync: the confirming poll brings it.
    let late = sim.seed_contact("Late", "Caller", Some("+79125550001"), None);
    assert_eq!(app.find_customer("+79125550001", false).await.expect("late").customers[0].id, late);

    sim.go_down().await;
    let offline = app.find_customer("+7 912 555-00-00", false).await.expect("from the copy");
    assert_eq!(offline.customers[0].id, olga);
    assert!(offline.copy_age_secs.is_some(), "offline the answer says how old it is");
    // The forms' duplicate offer answers from the copy too, offline.
    let dups = app.find_duplicates("8 912 555 00 00", "").await.expect("from the copy");
    assert_eq!(dups.iter().map(|c| c.id).collect::<Vec<_>>(), [olga]);
    sim.come_up().await.expect("up");

    let off = app.set_people_copy(false).expect("off");
    assert!(!off.enabled && off.contacts == 0);
    let e = app.find_customer("+79125550000", true).await.expect_err("off");
    assert_eq!(e.code().as_str(), "no_copy");
    let e = app.sync_people(false, &quiet).await.expect_err("off: no sync");
    assert_eq!(e.code().as_str(), "no_copy");
    assert!(app.set_people_copy(true).expect("on").enabled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_contact_with_a_known_phone_or_email_is_refused_naming_the_first_unless_chosen() {
    use amo_core::domain::draft::{ContactDraft, LeadDraft};
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    let olga = sim.seed_contact("Olga", "Smirnova", Some("+79165550102"), Some("olga@example.com"));
    // Without a copy nothing is refused here (the window's offer asks amoCRM).
    let twin = ContactDraft { first_name: "Olga".into(), phones: vec!["8 916 555-01-02".into()], ..Default::default() };
    app.sync_people(false, &quiet).await.expect("sync");

    let e = app.queue_contact(&twin).expect_err("a duplicate");
    let fields = e.fields().expect("fields");
    assert_eq!(fields.len(), 1);
    assert_eq!((fields[0].field.as_str(), fields[0].code), ("phones.0", amo_core::error::FieldCode::DuplicateContact));
    assert_eq!(fields[0].detail.as_deref(), Some(format!("Olga Smirnova (#{olga})").as_str()));
    assert!(e.message(amo_core::Lang::En).contains("Olga Smirnova"), "{}", e.message(amo_core::Lang::En));

    let lead = LeadDraft {
        name: "Sofa".into(),
        contact: Some(ContactDraft {
            first_name: "O".into(),
            emails: vec!["OLGA@example.com".into()],
            ..Default::default()
        }),
        ..Default::default()
    };
    let e = app.queue_lead(&lead).expect_err("a lead's new contact too");
    assert_eq!(e.fields().expect("f")[0].field, "contact.emails.0");
    // Chosen: attached to the existing contact, or created anyway.
    app.queue_lead(&LeadDraft { contact: None, existing_contact_id: Some(olga), ..lead.clone() }).expect("attached");
    app.queue_contact(&ContactDraft { allow_duplicate: true, ..twin }).expect("created anyway");
    assert_eq!(app.outbox_summary().expect("s").queued, 2);
}
