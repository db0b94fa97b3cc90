//! One unreadable outbox row — a draft that is not JSON, a step body that is not, a step of a
//! kind this build does not know (written by a newer one, say) — does not stop the rest: History
//! lists it as damaged (with its id, discard allowed), notifications go on, and the worker sets
//! it aside and sends the entries after it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::connected;

mod common;

use amo_core::domain::draft::LeadDraft;
use amo_core::domain::outbox::OutboxState;
use amo_core::keychain::memory::MemoryStore;
use amo_core::paths::DataDir;

fn lead(name: &str) -> LeadDraft {
    LeadDraft { name: name.into(), ..Default::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_row_is_listed_as_damaged_set_aside_and_discardable_while_the_rest_is_sent() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    let bad_draft = app.queue_lead(&lead("Bad draft")).expect("q").id;
    let bad_body = app.queue_lead(&lead("Bad step body")).expect("q").id;
    let unknown_step = app.queue_lead(&lead("Unknown step")).expect("q").id;
    let fine = app.queue_lead(&lead("Fine")).expect("q").id;
    assert!(app.notices().expect("first look").is_empty());

    // Damaged behind the app's back (a disk error, a hand edit, a newer version's row).
    let db = rusqlite::Connection::open(DataDir::at(tmp.path()).expect("dir").db_path()).expect("db");
    db.execute("UPDATE outbox SET draft = 'not json {' WHERE id = ?1", [bad_draft]).expect("draft");
    db.execute("UPDATE outbox_steps SET body = '{\"name\": ' WHERE entry_id = ?1", [bad_body]).expect("body");
    db.execute("UPDATE outbox_steps SET kind = 'teleport' WHERE entry_id = ?1", [unknown_step]).expect("kind");
    drop(db);

    // History: every row, the damaged ones as such, by id.
    let items = app.outbox_list(50).expect("History lists the other rows");
    assert_eq!(items.len(), 4, "{items:?}");
    for id in [bad_draft, bad_body, unknown_step] {
        let item = items.iter().find(|i| i.id == id).expect("listed");
        assert_eq!(item.state, OutboxState::Damaged, "{item:?}");
        assert!(item.title.contains(&format!("#{id}")), "named by its id: {:?}", item.title);
        assert!(!item.editable, "a row that cannot be read is not edited");
        assert_eq!(item.error.as_ref().map(|e| e.code.as_str()), Some("storage"), "{item:?}");
    }
    let ok = items.iter().find(|i| i.id == fine).expect("listed");
    assert_eq!((ok.state, ok.title.as_str()), (OutboxState::Queued, "Fine"));
    assert_eq!(app.outbox_item(bad_body).expect("one item").state, OutboxState::Damaged);
    app.notices().expect("notifications read the outbox too");

    // The worker: the damaged ones are set aside (needing attention), the fine one is sent.
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.outbox_summary().expect("summary").queued > 0 {
        assert!(Instant::now() < deadline, "the worker stopped at a damaged row: {:?}", app.outbox_summary());
        let pause = app.outbox_pass().await;
        tokio::time::sleep(pause.min(Duration::from_millis(50))).await;
    }
    let names: Vec<String> = sim.leads().into_iter().map(|l| l.name).collect();
    assert_eq!(names, ["Fine"], "only the readable entry went to amoCRM");
    let summary = app.outbox_summary().expect("summary");
    assert_eq!((summary.queued, summary.attention, summary.sent), (0, 3, 1));
    assert_eq!(app.outbox_item(fine).expect("item").state, OutboxState::Sent);
    let notices = app.notices().expect("notices");
    assert!(notices.iter().any(|(summary, _)| summary.contains("attention")), "{notices:?}");

    // An edit is refused, named (`outbox edit`, the window): it would start from an empty form.
    let Err(e) = app.outbox_update(bad_draft, amo_core::domain::draft::Draft::Lead(lead("Typed again"))) else {
        panic!("a damaged entry was edited");
    };
    assert_eq!(e.code().as_str(), "entry_not_editable", "{e:?}");
    assert!(e.message(amo_core::Lang::En).contains("cannot be read"), "{}", e.message(amo_core::Lang::En));
    assert!(sim.leads().iter().all(|l| l.name != "Typed again"));

    // Discard is allowed; what is left is the sent entry.
    for id in [bad_draft, bad_body, unknown_step] {
        app.outbox_discard(id).expect("a damaged row can be discarded");
    }
    let left: Vec<i64> = app.outbox_list(50).expect("list").iter().map(|i| i.id).collect();
    assert_eq!(left, [fine]);
}
