//! Incoming leads (amoCRM's "Неразобранное") against the simulator (docs/amocrm-api.md §8.13): a
//! lead sent there lands in the pipeline's unsorted stage with its contact, company, note and
//! task, once even when the answer is lost; a pipeline that does not take incoming leads is
//! refused before queueing; amoCRM's refusal of a duplicate lands on the contact's phone.

use std::sync::Arc;
use std::time::Duration;

mod common;

use common::drain;

use amo_core::domain::draft::{CompanyDraft, ContactDraft, LeadDraft};
use amo_core::domain::outbox::OutboxState;
use amo_core::domain::task::TaskDraft;
use amo_core::error::FieldCode;
use amo_core::keychain::memory::MemoryStore;
use amo_core::outbox::RetryTiming;
use amo_core::AmoConnect;
use amo_sim::{Faults, Simulator};

const MAIN: i64 = 3_383_152;
const WHOLESALE: i64 = 3_383_153;
/// The main pipeline's "Неразобранное" stage.
const MAIN_UNSORTED: i64 = 33_929_749;

async fn setup() -> (tempfile::TempDir, Simulator, AmoConnect) {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    app.set_retry_timing(RetryTiming { base: Duration::from_millis(20), max: Duration::from_millis(200) });
    (tmp, sim, app)
}

fn incoming(name: &str, phone: &str) -> LeadDraft {
    LeadDraft {
        name: name.into(),
        price: "5000".into(),
        pipeline_id: Some(MAIN),
        // A stage picked before the box was ticked is not sent: unsorted has no stage yet.
        status_id: Some(33_929_752),
        contact: Some(ContactDraft { first_name: "Пётр".into(), phones: vec![phone.into()], ..Default::default() }),
        company: Some(CompanyDraft { name: "ИП Петров".into(), ..Default::default() }),
        note: "Оставил заявку по телефону".into(),
        task: Some(TaskDraft {
            text: "Разобрать заявку".into(), due: "+1h".into(), ..Default::default()
        }),
        unsorted: true,
        // A colleague takes it.
        responsible_user_id: Some(amo_sim::SimConfig::default().user_id + 1),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incoming_lead_lands_in_unsorted_with_its_contact_company_note_and_task_once() {
    let (_tmp, sim, app) = setup().await;
    let r = app.reference_data(true).await.expect("reference");
    assert!(r.unsorted_on && r.pipelines.iter().all(|p| p.is_unsorted_on), "the account takes incoming leads");
    // The first answer is lost after amoCRM made the incoming lead.
    sim.set_faults(Faults { drop_after_next: 1, ..Faults::default() });
    let item = app.queue_lead(&incoming("Заявка с телефона", "+7 903 111-22-33")).expect("queue");
    drain(&app).await;
    let item = app.outbox_item(item.id).expect("item");
    assert_eq!(item.state, OutboxState::Sent, "{item:?}");
    let leads: Vec<_> = sim.leads().into_iter().filter(|l| l.name == "Заявка с телефона").collect();
    assert_eq!(leads.len(), 1, "once, though the answer was lost");
    let lead = &leads[0];
    assert_eq!((lead.pipeline_id, lead.status_id), (MAIN, MAIN_UNSORTED), "in the pipeline's Incoming leads");
    assert_eq!(lead.responsible_user_id, amo_sim::SimConfig::default().user_id + 1, "the chosen responsible user");
    assert_eq!(item.lead_id, Some(lead.id));
    let unsorted = sim.unsorted();
    assert_eq!(unsorted.len(), 1);
    assert_eq!(unsorted[0].source_name, "Amo Connect");
    assert_eq!(unsorted[0].lead_id, lead.id);
    assert!(unsorted[0].contact_id.is_some() && unsorted[0].company_id.is_some(), "{:?}", unsorted[0]);
    assert_eq!(sim.notes().iter().filter(|n| n.entity_id == lead.id).count(), 1);
    assert_eq!(sim.tasks().iter().filter(|t| t.entity_id == Some(lead.id)).count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipeline_without_incoming_leads_is_refused_before_queueing_and_a_duplicate_lands_on_the_phone() {
    let (_tmp, sim, app) = setup().await;
    sim.set_pipeline_unsorted(WHOLESALE, false);
    app.reference_data(true).await.expect("reference");
    let mut d = incoming("Опт", "+7 903 111-22-44");
    d.pipeline_id = Some(WHOLESALE);
    let e = app.queue_lead(&d).expect_err("refused");
    let fields: Vec<_> = e.fields().expect("fields").iter().map(|f| (f.field.clone(), f.code)).collect();
    assert_eq!(fields, vec![("unsorted".to_string(), FieldCode::UnsortedOff)]);
    assert_eq!(app.outbox_summary().expect("s").queued, 0, "nothing queued");

    // amoCRM refuses a second incoming lead from a number already waiting in unsorted: the
    // entry needs attention on that phone, nothing else is made.
    app.queue_lead(&incoming("Первая заявка", "+7 903 111-22-55")).expect("first");
    drain(&app).await;
    let second = app.queue_lead(&incoming("Вторая заявка", "8 903 111-22-55")).expect("second");
    drain(&app).await;
    let got = app.outbox_item(second.id).expect("item");
    assert_eq!(got.state, OutboxState::Attention, "{got:?}");
    assert!(got.field_errors.iter().any(|f| f.field == "contact.phones.0"), "{:?}", got.field_errors);
    assert!(sim.leads().iter().all(|l| l.name != "Вторая заявка"));
}
