//! Summer time against the simulator (docs/amocrm-api.md §11.14): on a Europe/Berlin account
//! read in summer (`timezone_offset` "+02:00"), a January date, due time and date-time typed
//! now reach amoCRM at January's offset (+01:00); a failed first read of the account's time zone
//! is not kept as UTC, and the next read of the form's data asks again.

use std::sync::Arc;

mod common;

use common::drain;

use amo_core::domain::draft::{Draft, LeadDraft};
use amo_core::domain::fields::FieldEntry;
use amo_core::domain::task::TaskDraft;
use amo_core::domain::zone::Zone;
use amo_core::keychain::memory::MemoryStore;
use amo_sim::SimConfig;
use chrono::{NaiveDate, TimeZone};

/// The simulator's lead fields: a `date` and a `date_time` (tests/simulator/src/fields.rs).
const DELIVERY_DATE: i64 = 701_007;
const CALL_BACK: i64 = 701_008;
const CITY: i64 = 701_005;

/// 2027-01-15 00:00 CET (+01:00).
const JAN_15_MIDNIGHT_BERLIN: i64 = 1_799_967_600;
/// 2027-01-15 10:00 CET, 09:00 UTC.
const JAN_15_TEN_BERLIN: i64 = 1_800_003_600;

fn entry(field_id: i64, value: &str) -> FieldEntry {
    FieldEntry { field_id, value: value.into(), checked: None }
}

fn stored(lead: &amo_sim::SimLead, field_id: i64) -> Option<i64> {
    lead.custom_fields_values.iter().find(|f| f["field_id"] == field_id).and_then(|f| f["values"][0]["value"].as_i64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_summer_time_account_a_winter_date_and_due_time_are_sent_at_their_own_offset() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (sim, app) = common::connected(Arc::new(MemoryStore::new()), tmp.path()).await;
    // The account answers as amoCRM does in July: Europe/Berlin, "+02:00". Like amoCRM, the
    // simulator keeps a date at its day's midnight by the zone's rules: a January midnight sent
    // right is stored as sent, one an hour early (23:00 the day before) a day early.
    sim.set_timezone("Europe/Berlin", "+02:00", 2 * 3600);
    app.reference_data(true).await.expect("reference");
    let draft = LeadDraft {
        name: "Sofa for January".into(),
        custom_fields: vec![
            entry(DELIVERY_DATE, "2027-01-15"),
            entry(CITY, "Berlin"),
            entry(CALL_BACK, "2027-01-15T10:00"),
        ],
        task: Some(TaskDraft {
            text: "Call about the delivery".into(),
            due: "2027-01-15 10:00".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let item = app.queue_lead(&draft).expect("queued");
    drain(&app).await;
    let lead = sim.leads().into_iter().find(|l| l.name == "Sofa for January").expect("in amoCRM");
    assert_eq!(
        stored(&lead, DELIVERY_DATE),
        Some(JAN_15_MIDNIGHT_BERLIN),
        "2027-01-15 00:00 +01:00 (23:00 UTC the day before)"
    );
    let task = sim.tasks().into_iter().find(|t| t.entity_id == Some(lead.id)).expect("the task");
    assert_eq!(task.complete_till, JAN_15_TEN_BERLIN, "10:00 in Berlin in January is 09:00 UTC");
    // A date-time typed without an offset (the window's input) is read in the account's zone too.
    assert_eq!(stored(&lead, CALL_BACK), Some(JAN_15_TEN_BERLIN));
    // The queued entry keeps the moment with its own offset, as the window shows it when edited.
    let kept = app.outbox_item(item.id).expect("item");
    let Draft::Lead(l) = kept.draft else { panic!("a lead") };
    assert_eq!(l.task.expect("task").due, "2027-01-15T10:00:00+01:00");
    let call_back = l.custom_fields.iter().find(|e| e.field_id == CALL_BACK).expect("call back");
    assert_eq!(call_back.value, "2027-01-15T10:00:00+01:00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_first_read_of_the_time_zone_is_not_kept_as_utc_and_is_asked_again() {
    let tmp = tempfile::tempdir().expect("tmp");
    let cfg = SimConfig { rate_limit_per_sec: 100_000, datetime_settings_failures: 1, ..SimConfig::default() };
    let (sim, app) = common::connected_with(cfg, Arc::new(MemoryStore::new()), tmp.path()).await;
    sim.set_timezone("Europe/Berlin", "+02:00", 2 * 3600);
    let first = app.reference_data(true).await.expect("the form loads without the time zone");
    assert!(!first.pipelines.is_empty());
    // Not known is not "UTC": no offset 0 stands in for the answer that never came.
    assert_eq!((first.timezone.as_deref(), first.timezone_offset_secs), (None, None));
    let cached = app.cached_reference().expect("cache").expect("cached");
    assert_eq!((cached.timezone.as_deref(), cached.timezone_offset_secs), (None, None));
    assert_eq!(cached.zone(), Zone::Local);
    // Meanwhile a due time is read on this computer's clock, by its rules.
    let lead = LeadDraft {
        name: "Typed before the zone was read".into(),
        task: Some(TaskDraft { text: "Call".into(), due: "2027-01-15 10:00".into(), ..Default::default() }),
        ..Default::default()
    };
    let item = app.queue_lead(&lead).expect("queued on this computer's zone");
    let Draft::Lead(l) = item.draft else { panic!("a lead") };
    let ten = NaiveDate::from_ymd_opt(2027, 1, 15).and_then(|d| d.and_hms_opt(10, 0, 0)).expect("valid");
    let here = chrono::Local.from_local_datetime(&ten).earliest().expect("10:00 exists here").to_rfc3339();
    assert_eq!(l.task.expect("task").due, here);
    // The form's data are fresh, but the zone is not known: asked again, not served as UTC.
    let again = app.reference_data(false).await.expect("reference");
    assert_eq!((again.timezone.as_deref(), again.timezone_offset_secs), (Some("Europe/Berlin"), Some(2 * 3600)));
    assert_eq!(again.zone(), Zone::named("Europe/Berlin").expect("known"));
    let cached = app.cached_reference().expect("cache").expect("cached");
    assert_eq!(cached.timezone.as_deref(), Some("Europe/Berlin"), "kept for the next start, offline too");
    // Known now, a fresh cache is served as it is: no more reads for the zone.
    let reads = sim.stats().api_requests;
    app.reference_data(false).await.expect("reference");
    assert_eq!(sim.stats().api_requests, reads, "served from the cache");
}
