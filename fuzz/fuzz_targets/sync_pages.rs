//! The pages the copy of the account's people is filled from (docs/people-copy.md): any bytes as
//! the body of a contacts, companies or leads list. Runs the real `amocrm::wire::parse`,
//! `people_page` (contacts and companies), `leads_page` and `leads_by_update_page` — what
//! `ApiClient::people_page`, `leads_by_ids` and `leads_by_update` make of a 200 — and stores what
//! they return as the sync does, in an in-memory `Store`: contacts as a full pass's page
//! (`PeopleTable::save_full_page`), companies as the quick poll's (`save_changed`), the leads
//! with `save_leads`; then looks every stored customer up (`by_phone`, `by_email`, `by_name`,
//! `customer`).
//!
//! Checked: no panic; a body that is not a list is `unexpected_response`; decoders take only ids
//! the JSON gives; a phone's tail is ASCII digits only, 6 to 10 of them; the store takes every
//! page; whatever is stored is found by each of its own phones and e-mails and by its name, in
//! this account only, and its card says what the page said last (name, phones, e-mails,
//! company, the leads still in work).
#![no_main]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use amo_core::amocrm::wire::{leads_by_update_page, leads_page, parse, people_page};
use amo_core::domain::people::{name_key, phone_tail, Person, PersonKind, MAX_EXTENSION_DIGITS, PHONE_TAIL_DIGITS};
use amo_core::domain::reference::{LeadSummary, LOST_STATUS_ID, WON_STATUS_ID};
use amo_core::store::Store;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const ACCOUNT: &str = "fuzz.amocrm.ru";
/// Another account on the same computer: it must never see this one's customers.
const OTHER: &str = "other.kommo.com";

/// One store for the whole run (opening one runs every migration); each input starts from an
/// empty copy.
fn store() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| Store::open_in_memory().expect("an in-memory store"))
}

fn closed(l: &LeadSummary) -> bool {
    l.status_id == WON_STATUS_ID || l.status_id == LOST_STATUS_ID
}

// Input: the body, as text (bytes that are not UTF-8 read lossily, as the HTTP client reads them).
fuzz_target!(|data: &[u8]| {
    let body = String::from_utf8_lossy(data);
    let v = match parse(&body) {
        Ok(v) => v,
        Err(e) => {
            common::check_error(&e, &["unexpected_response"]);
            return;
        }
    };
    let list = |key: &str| v.pointer(&format!("/_embedded/{key}")).cloned();
    let has_next = v.pointer("/_links/next").is_some();

    let mut pages: Vec<(PersonKind, Vec<Person>)> = Vec::new();
    for kind in [PersonKind::Contact, PersonKind::Company] {
        match people_page(v.clone(), kind) {
            Ok((people, next)) => {
                assert_eq!(next, has_next);
                let items = list(kind.entity()).and_then(|l| l.as_array().cloned()).expect("a list was read");
                assert!(people.len() <= items.len());
                let ids: BTreeSet<i64> = items.iter().filter_map(|p| p.get("id").and_then(Value::as_i64)).collect();
                assert_eq!(
                    people.len(),
                    items.iter().filter(|p| p.get("id").and_then(Value::as_i64).is_some()).count()
                );
                for p in &people {
                    assert_eq!(p.kind, kind);
                    assert!(ids.contains(&p.id), "person {} is not in the page", p.id);
                    for raw in &p.phones {
                        if let Some(tail) = phone_tail(raw) {
                            assert!(tail.bytes().all(|b| b.is_ascii_digit()), "{raw:?} → {tail:?}");
                            assert!((MAX_EXTENSION_DIGITS + 1..=PHONE_TAIL_DIGITS).contains(&tail.len()), "{tail:?}");
                            assert!(raw.chars().filter(char::is_ascii_digit).collect::<String>().ends_with(&tail));
                        }
                    }
                }
                pages.push((kind, people));
            }
            Err(e) => {
                common::check_error(&e, &["unexpected_response"]);
                assert!(!list(kind.entity()).is_some_and(|l| l.is_array()), "a list refused: {e:?}");
            }
        }
    }

    let mut leads: Vec<LeadSummary> = Vec::new();
    match (leads_page(v.clone()), leads_by_update_page(v.clone())) {
        (Ok((by_id, a)), Ok((by_update, b))) => {
            assert_eq!((a, b), (has_next, has_next));
            let items = list("leads").and_then(|l| l.as_array().cloned()).expect("a list was read");
            let with_id: Vec<&Value> = items.iter().filter(|l| l.get("id").and_then(Value::as_i64).is_some()).collect();
            assert_eq!(by_id.len(), with_id.len());
            assert_eq!(by_update.len(), with_id.len());
            for ((l, (u, at)), item) in by_id.iter().zip(&by_update).zip(&with_id) {
                assert_eq!(l, u, "the two pages read one lead two ways");
                assert_eq!(Some(l.id), item["id"].as_i64());
                assert_eq!(*at, item["updated_at"].as_i64().unwrap_or(0));
                let named = item.pointer("/_embedded/contacts").and_then(Value::as_array).map_or(0, Vec::len);
                assert!(l.contact_ids.len() <= named);
            }
            leads = by_id;
        }
        (Err(e), Err(f)) => {
            assert_eq!(e, f);
            common::check_error(&e, &["unexpected_response"]);
            assert!(!list("leads").is_some_and(|l| l.is_array()), "a list refused: {e:?}");
        }
        (a, b) => panic!("the two lead pages disagree: {a:?} / {b:?}"),
    }

    // Stored as the sync stores them; each input starts from an empty copy.
    let table = store().people();
    table.wipe(ACCOUNT).expect("wipe");
    table.wipe(OTHER).expect("wipe");
    let pass = table.begin_full_pass(ACCOUNT, 1_700_000_000).expect("begin").pass;
    // The last of several rows with one id is what the copy keeps.
    let mut kept: BTreeMap<(&str, i64), &Person> = BTreeMap::new();
    for (kind, people) in &pages {
        match kind {
            PersonKind::Contact => table.save_full_page(ACCOUNT, pass, people, None).expect("a full pass's page"),
            PersonKind::Company => table.save_changed(ACCOUNT, people).expect("a poll's page"),
        }
        for p in people {
            kept.insert((p.kind.as_str(), p.id), p);
        }
    }
    let asked: Vec<i64> = leads.iter().map(|l| l.id).collect();
    table.save_leads(ACCOUNT, &asked, &leads, closed).expect("leads");
    // The last row of a lead decides whether it is kept (in work) and what it says, and the
    // contacts it names are its contacts (a lead read from amoCRM says who its contacts are now).
    let mut open: BTreeMap<i64, &LeadSummary> = BTreeMap::new();
    for l in &leads {
        if closed(l) {
            open.remove(&l.id);
        } else {
            open.insert(l.id, l);
        }
    }
    let named: BTreeSet<(i64, i64)> =
        open.values().flat_map(|l| l.contact_ids.iter().map(move |c| (*c, l.id))).collect();

    for p in kept.values() {
        let (kind, id) = (p.kind, p.id);
        let who = (kind, id);
        let phones: Vec<&String> = p.phones.iter().filter(|raw| phone_tail(raw).is_some()).collect();
        for raw in &phones {
            let found = table.by_phone(ACCOUNT, raw).expect("by phone");
            assert!(found.contains(&who), "{who:?} is not found by its own phone {raw:?}: {found:?}");
            assert!(table.by_phone(OTHER, raw).expect("by phone").is_empty(), "found in another account");
        }
        let emails: Vec<String> = p.emails.iter().map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty()).collect();
        for e in &p.emails {
            if !e.trim().is_empty() {
                let found = table.by_email(ACCOUNT, e).expect("by e-mail");
                assert!(found.contains(&who), "{who:?} is not found by its own e-mail {e:?}: {found:?}");
            }
        }
        // SQLite's LIKE reads text up to a NUL, so a name with one is not found by the words
        // after it (corpus/sync_pages/nul_in_name; amoCRM does not store NULs in names).
        if !name_key(&p.name).is_empty() && !p.name.contains('\0') {
            let found = table.by_name(ACCOUNT, &p.name, kept.len() + 1).expect("by name");
            assert!(found.contains(&who), "{who:?} is not found by its own name {:?}: {found:?}", p.name);
        }

        let card = table.customer(ACCOUNT, kind, id).expect("card").expect("a stored customer has a card");
        assert!(table.customer(OTHER, kind, id).expect("card").is_none(), "a card in another account");
        assert_eq!(card.name, p.name);
        assert_eq!(card.phones.iter().collect::<Vec<_>>(), phones);
        assert_eq!(card.emails, emails);
        assert_eq!(card.responsible_user_id, p.responsible_user_id);
        assert_eq!(card.company_id, p.company_id);
        let company = p.company_id.and_then(|c| kept.get(&(PersonKind::Company.as_str(), c)));
        assert_eq!(card.company_name.as_deref(), company.map(|c| c.name.as_str()));
        // Its leads in work: for a contact those that name it, for a company those it lists.
        let mut expected: Vec<i64> = open
            .values()
            .filter(|l| match kind {
                PersonKind::Contact => named.contains(&(id, l.id)),
                PersonKind::Company => p.lead_ids.contains(&l.id),
            })
            .map(|l| l.id)
            .collect();
        expected.reverse();
        let shown: Vec<i64> = card.open_leads.iter().map(|l| l.id).collect();
        assert_eq!(shown, expected, "{who:?}'s leads in work");
        for l in &card.open_leads {
            let given = open[&l.id];
            assert_eq!(
                (&l.name, l.price, l.status_id, l.created_at),
                (&given.name, given.price, given.status_id, given.created_at)
            );
        }
    }
    let status = table.status(ACCOUNT).expect("status");
    let count = |k: PersonKind| kept.keys().filter(|(kind, _)| *kind == k.as_str()).count() as i64;
    assert_eq!((status.contacts, status.companies), (count(PersonKind::Contact), count(PersonKind::Company)));
});
