//! An update arrives while entries are half-sent: the database of the version before plans of
//! steps (schema 10) holds entries in the middle of their sending — a lead whose answer was lost,
//! a note that reached amoCRM but was never recorded, a contact whose company was made, a
//! follow-up whose task never left — and amoCRM holds what those requests did. The new version
//! turns them into steps (schema 11) and finishes them: every record in amoCRM exactly once,
//! nothing lost, nothing sent again.

use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use amo_core::amocrm::wire;
use amo_core::clock::now;
use amo_core::domain::draft::{CompanyDraft, ContactDraft, LeadDraft};
use amo_core::domain::outbox::OutboxState;
use amo_core::domain::steps::{StepKind, StepState};
use amo_core::keychain::memory::MemoryStore;
use amo_core::keychain::SecretStore;
use amo_core::outbox::RetryTiming;
use amo_sim::Simulator;
use serde_json::{json, Value};

/// amoCRM acting on a request of the old version (the answer never reached it).
async fn amocrm_did(sim: &Simulator, token: &str, path: &str, body: &Value) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", sim.url()))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("request");
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_half_sent_by_the_previous_version_are_finished_once_after_the_upgrade() {
    let tmp = tempfile::tempdir().expect("tmp");
    let keychain = Arc::new(MemoryStore::new());
    let store: Arc<dyn SecretStore> = keychain.clone();
    let (sim, app) = common::connected(store.clone(), tmp.path()).await;
    let token = app.access().await.expect("token").token.expose().to_string();
    drop(app);

    let t = now() - 60;
    let (m_lost, m_noted, m_company) = (t, t + 1, t + 2);
    // A: the complex lead reached amoCRM; its answer was lost (create_sent, no lead_id).
    let lost = LeadDraft {
        name: "Lost answer".into(),
        price: "1500".into(),
        contact: Some(ContactDraft {
            first_name: "Anna".into(),
            phones: vec!["+79121234567".into()],
            ..Default::default()
        }),
        note: "Wants chairs".into(),
        ..Default::default()
    };
    amocrm_did(&sim, &token, "/api/v4/leads/complex", &json!([wire::complex_lead_body(&lost, m_lost, "ac-a")])).await;
    // B: the lead is recorded; its note reached amoCRM unrecorded (note_sent); the task waits.
    let noted = amocrm_did(
        &sim,
        &token,
        "/api/v4/leads/complex",
        &json!([wire::complex_lead_body(&LeadDraft { name: "Noted".into(), ..Default::default() }, m_noted, "ac-b")]),
    )
    .await;
    let noted_id = noted[0]["id"].as_i64().expect("lead id");
    amocrm_did(&sim, &token, &format!("/api/v4/leads/{noted_id}/notes"), &wire::note_body("Call back")).await;
    // C: the contact is recorded; its new company was made unrecorded (company_sent).
    let ivan = sim.seed_contact("Ivan", "", Some("+79161112233"), None);
    amocrm_did(
        &sim,
        &token,
        "/api/v4/companies",
        &json!([wire::company_body(
            &CompanyDraft { name: "Lutik".into(), ..Default::default() },
            None,
            m_company,
            Some("ac-c")
        )]),
    )
    .await;
    let (leads, notes, companies) = (sim.leads().len(), sim.notes().len(), sim.companies().len());

    // The database as the previous version left it: schema 10, the per-kind columns, no steps,
    // no change counters, no copies (schemas 11 to 15 taken back).
    {
        let c = rusqlite::Connection::open(tmp.path().join("amo-connect.sqlite3")).expect("db");
        let triggers: Vec<String> = c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
            .expect("triggers");
        for t in triggers {
            c.execute_batch(&format!("DROP TRIGGER {t};")).expect("drop trigger");
        }
        c.execute_batch(
            "DROP TABLE changes;
             DROP TABLE outbox_steps;
             DROP INDEX outbox_call_uniq;
             DROP TABLE people;
             DROP TABLE people_phones;
             DROP TABLE people_emails;
             DROP TABLE people_lead_links;
             DROP TABLE people_leads;
             DROP TABLE people_sync;
             DROP TABLE tasks_copy;
             ALTER TABLE outbox ADD COLUMN create_sent INTEGER NOT NULL DEFAULT 0;
             ALTER TABLE outbox ADD COLUMN note_sent INTEGER NOT NULL DEFAULT 0;
             ALTER TABLE outbox ADD COLUMN lead_id INTEGER;
             ALTER TABLE outbox ADD COLUMN contact_id INTEGER;
             ALTER TABLE outbox ADD COLUMN note_id INTEGER;
             ALTER TABLE outbox ADD COLUMN merged INTEGER NOT NULL DEFAULT 0;
             ALTER TABLE outbox ADD COLUMN task_sent INTEGER NOT NULL DEFAULT 0;
             ALTER TABLE outbox ADD COLUMN task_id INTEGER;
             ALTER TABLE outbox ADD COLUMN company_sent INTEGER NOT NULL DEFAULT 0;
             ALTER TABLE outbox ADD COLUMN company_id INTEGER;
             PRAGMA user_version = 10;",
        )
        .expect("schema 10");
        let task = r#"{"text":"Send the offer","due":"2031-06-02T10:00:00+03:00"}"#;
        // D: a follow-up on lead B: its note is recorded, its task left but never arrived.
        let rows: [(&str, String, &str, i64, &str, String); 5] = [
            ("lead", serde_json::to_string(&lost).expect("json"), "sending", m_lost, "create_sent", "1".into()),
            (
                "lead",
                format!(r#"{{"name":"Noted","note":"Call back","task":{task}}}"#),
                "queued",
                m_noted,
                "lead_id, note_sent",
                format!("{noted_id}, 1"),
            ),
            (
                "contact",
                r#"{"first_name":"Ivan","company":{"name":"Lutik"}}"#.into(),
                "queued",
                m_company,
                "contact_id, company_sent",
                format!("{ivan}, 1"),
            ),
            (
                "followup",
                format!(r#"{{"lead_id":{noted_id},"lead_name":"Noted","note":"Seen","task":{task}}}"#),
                "queued",
                t + 3,
                "note_id, task_sent",
                "555, 1".into(),
            ),
            ("lead", r#"{"name":"Never sent","note":"n"}"#.into(), "queued", t + 4, "create_sent", "0".into()),
        ];
        for (kind, draft, state, marker, cols, values) in rows {
            c.execute(
                &format!(
                    "INSERT INTO outbox (kind, draft, state, marker_at, request_id, created_at, updated_at, next_attempt_ms,
                                         account_id, account_domain, {cols})
                     VALUES (?1, ?2, ?3, ?4, 'r', ?5, ?5, 0, (SELECT account_id FROM account), (SELECT domain FROM account), {values})"
                ),
                rusqlite::params![kind, draft, state, marker, t - 5],
            )
            .expect("an old row");
        }
    }

    // The new version opens the file (schema 11) and sends what is left.
    let app = common::open(tmp.path(), store, &sim.url());
    app.set_retry_timing(RetryTiming { base: Duration::from_millis(10), max: Duration::from_millis(100) });
    let before: Vec<_> = app.outbox_list(10).expect("list").into_iter().rev().collect();
    let states = |i: usize| before[i].steps.iter().map(|s| (s.kind, s.state)).collect::<Vec<_>>();
    assert_eq!(states(0), [(StepKind::Lead, StepState::MaybeSent), (StepKind::Note, StepState::Pending)]);
    assert_eq!(
        states(1),
        [
            (StepKind::Lead, StepState::Done),
            (StepKind::Note, StepState::MaybeSent),
            (StepKind::Task, StepState::Pending)
        ]
    );
    assert_eq!(
        states(2),
        [
            (StepKind::Contact, StepState::Done),
            (StepKind::Company, StepState::MaybeSent),
            (StepKind::Link, StepState::Pending)
        ]
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.outbox_summary().expect("summary").queued > 0 {
        assert!(Instant::now() < deadline, "still waiting: {:?}", app.outbox_list(10));
        let wait = app.outbox_pass().await;
        tokio::time::sleep(wait.min(Duration::from_millis(50))).await;
    }
    let after = app.outbox_list(10).expect("list");
    assert!(after.iter().all(|i| i.state == OutboxState::Sent), "{after:?}");

    // amoCRM: one new lead ("Never sent"), the lost one not made again; a note for the lost
    // lead and one for the never-sent lead (B's was found, D's was recorded); two tasks, B's and
    // D's — D's not taken for B's, which is another entry's; Lutik once, with Ivan in it.
    let named = |n: &str| sim.leads().iter().filter(|l| l.name == n).count();
    assert_eq!((named("Lost answer"), named("Noted"), named("Never sent")), (1, 1, 1));
    assert_eq!(sim.leads().len(), leads + 1);
    assert_eq!(sim.notes().len(), notes + 2, "{:?}", sim.notes());
    assert_eq!(sim.notes().iter().filter(|n| n.text == "Call back").count(), 1, "B's note found, not resent");
    let tasks = sim.tasks();
    assert_eq!(tasks.iter().filter(|t| t.text == "Send the offer").count(), 2, "B's and D's task, once each");
    assert_eq!(sim.companies().len(), companies, "Lutik found, not made again");
    let lutik = sim.companies().into_iter().find(|c| c.name == "Lutik").expect("Lutik");
    let ivan = sim.contacts().into_iter().find(|c| c.id == ivan).expect("Ivan");
    assert_eq!(ivan.company_id, Some(lutik.id));
}
