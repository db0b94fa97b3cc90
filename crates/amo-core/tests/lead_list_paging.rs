//! `lead list --limit N` while colleagues add leads: amoCRM pages by offset, so a lead added
//! between two pages pushes the rows down and the next page starts with leads already read
//! (docs/amocrm-api.md §7.2). The list drops the repeats and reads on: N distinct leads, the
//! newest first.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use amo_core::keychain::memory::MemoryStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leads_added_between_pages_are_not_listed_twice() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    sim.seed_leads(700, "Lead ");
    let before: HashSet<i64> = sim.leads().iter().map(|l| l.id).collect();
    // Ten new leads after every page read (pages of 250: three pages for 600).
    sim.add_leads_between_pages(10);
    let listed = app.list_leads(600).await.expect("list");
    let ids: Vec<i64> = listed.iter().map(|l| l.id).collect();
    let distinct: HashSet<i64> = ids.iter().copied().collect();
    assert_eq!((ids.len(), distinct.len()), (600, 600), "600 leads, none twice");
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "the newest first");
    // The newest 600 of those there when the list began (the ones added meanwhile came after).
    let mut newest: Vec<i64> = before.into_iter().collect();
    newest.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(ids, newest[..600]);
    // Asked for more than there are: every lead once, and the list ends.
    sim.add_leads_between_pages(0);
    let all = app.list_leads(5_000).await.expect("all");
    let distinct: HashSet<i64> = all.iter().map(|l| l.id).collect();
    assert_eq!((all.len(), distinct.len()), (sim.leads().len(), sim.leads().len()));
}
