//! Logging calls against the simulator (docs/amocrm-api.md §16): a known number's call lands on
//! the customer's single open lead, once per call id even when logged twice or when its answer is
//! lost; an unknown inbound caller becomes one incoming lead; an unknown outbound number needs
//! the contact first and says so on the phone field; bad input names its field.

mod common;

use common::{desk_with_shape as setup, drain};

use amo_core::domain::draft::{CallDirection, CallDraft, CallStatus};
use amo_core::domain::outbox::OutboxState;
use amo_core::domain::steps::{StepKind, StepState};
use amo_core::error::FieldCode;
use amo_sim::{Faults, Simulator};

fn call(phone: &str, direction: CallDirection, uniq: &str) -> CallDraft {
    CallDraft {
        phone: phone.into(),
        direction,
        duration_secs: 95,
        status: Some(CallStatus::Talked),
        result: "Wants a quote".into(),
        link: "https://pbx.example/rec/1.mp3".into(),
        uniq: uniq.into(),
        ..Default::default()
    }
}

fn notes_of(sim: &Simulator, uniq: &str) -> usize {
    sim.calls().iter().filter(|n| n.uniq() == Some(uniq)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_callers_call_lands_on_the_open_lead_once_even_logged_twice_or_with_its_answer_lost() {
    let (_tmp, sim, app) = setup().await;
    let ids = sim.seed_contacts(10, 9_161_000_000);
    let lead = sim.leads()[0].clone();
    let contact = sim.contacts().into_iter().find(|c| Some(&c.id) == lead.contact_ids.first()).expect("c");
    assert!(ids.contains(&contact.id));
    // The number as a softphone passes it: 8 and ten digits.
    let typed = format!("8{}", &contact.phones[0][2..]);

    let (item, again) = app.log_call(&call(&typed, CallDirection::Inbound, "pbx-1")).expect("queued");
    assert!(!again);
    let (twin, again) = app.log_call(&call(&typed, CallDirection::Inbound, "pbx-1")).expect("twice");
    assert!(again && twin.id == item.id, "the same call id is the same entry");
    drain(&app).await;
    let done = app.outbox_item(item.id).expect("item");
    assert_eq!(done.state, OutboxState::Sent, "{done:?}");
    assert_eq!(done.lead_id, Some(lead.id), "on the customer's single open lead");
    assert_eq!(notes_of(&sim, "pbx-1"), 1);
    let note = sim.calls().into_iter().find(|n| n.uniq() == Some("pbx-1")).expect("note");
    assert_eq!(note.note_type, "call_in");

    // The answer to the next call is lost after amoCRM wrote it: found by its id, not sent again.
    sim.set_faults(Faults { drop_after_next: 1, ..Faults::default() });
    let (lost, _) = app.log_call(&call(&contact.phones[0], CallDirection::Outbound, "pbx-2")).expect("queued");
    drain(&app).await;
    let lost = app.outbox_item(lost.id).expect("item");
    assert_eq!(lost.state, OutboxState::Sent, "{lost:?}");
    assert_eq!(notes_of(&sim, "pbx-2"), 1, "once, after the lost answer");
    assert_eq!(sim.calls().iter().find(|n| n.uniq() == Some("pbx-2")).expect("n").note_type, "call_out");

    // A call without an id gets one; two such calls are two calls.
    let (a, _) = app.log_call(&call(&typed, CallDirection::Inbound, "")).expect("a");
    let (b, _) = app.log_call(&call(&typed, CallDirection::Inbound, " ")).expect("b");
    assert_ne!(a.id, b.id);
    drain(&app).await;
    assert_eq!(sim.calls().len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_inbound_caller_becomes_one_incoming_lead_and_an_unknown_outbound_number_needs_the_contact() {
    let (_tmp, sim, app) = setup().await;
    let unsorted_before = sim.unsorted().len();
    // The sip add's answer is lost: the incoming lead is found by the call's id.
    sim.set_faults(Faults { drop_after_next: 2, ..Faults::default() });
    let (item, _) = app.log_call(&call("+7 999 123-45-67", CallDirection::Inbound, "pbx-new")).expect("queued");
    drain(&app).await;
    let item = app.outbox_item(item.id).expect("item");
    assert_eq!(item.state, OutboxState::Sent, "{item:?}");
    assert_eq!(sim.unsorted().len(), unsorted_before + 1, "one incoming lead");
    assert!(item.lead_id.is_some(), "the incoming lead's id");
    let step = item.steps.iter().find(|s| s.kind == StepKind::Call).expect("step");
    assert_eq!(step.state, StepState::Done);

    let (out, _) = app.log_call(&call("+7 999 765-43-21", CallDirection::Outbound, "pbx-out")).expect("queued");
    drain(&app).await;
    let out = app.outbox_item(out.id).expect("item");
    assert_eq!(out.state, OutboxState::Attention, "{out:?}");
    let fields = out.field_errors;
    assert_eq!(fields.len(), 1, "{fields:?}");
    assert_eq!((fields[0].field.as_str(), fields[0].code), ("phone", FieldCode::UnknownCaller));
    assert_eq!(notes_of(&sim, "pbx-out"), 0);

    // The contact is added in amoCRM; a retry logs the call.
    sim.seed_contact("Late", "Contact", Some("+79997654321"), None);
    app.outbox_retry(Some(out.id)).expect("retry");
    drain(&app).await;
    assert_eq!(app.outbox_item(out.id).expect("item").state, OutboxState::Sent);
    assert_eq!(notes_of(&sim, "pbx-out"), 1);
}

#[test]
fn bad_input_names_its_field() {
    use amo_core::domain::platform::Platform;
    let bad = CallDraft {
        phone: "101".into(),
        duration_secs: -1,
        link: "ftp://x".into(),
        uniq: String::new(),
        started_at: Some(0),
        ..Default::default()
    };
    let errs = bad.validated(Platform::Amocrm).expect_err("bad");
    let named: Vec<(&str, FieldCode)> = errs.iter().map(|e| (e.field.as_str(), e.code)).collect();
    assert_eq!(
        named,
        [
            ("phone", FieldCode::InvalidPhone),
            ("duration_secs", FieldCode::InvalidNumber),
            ("link", FieldCode::InvalidUrl),
            ("uniq", FieldCode::Required),
            ("started_at", FieldCode::InvalidDateTime),
        ]
    );
    let ok = CallDraft { phone: "8 (912) 111-22-33".into(), uniq: " x ".into(), ..Default::default() }
        .validated(Platform::Amocrm)
        .expect("ok");
    assert_eq!((ok.phone.as_str(), ok.uniq.as_str()), ("+79121112233", "x"));
    let empty = CallDraft { uniq: "x".into(), ..Default::default() }.validated(Platform::Amocrm).expect_err("e");
    assert_eq!((empty[0].field.as_str(), empty[0].code), ("phone", FieldCode::Required));
}
