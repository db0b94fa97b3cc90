//! Changes of what amoCRM already has (issue 21), through the outbox, against the simulator:
//! a task marked done with a result and moved, a lead moved (its stage's required field asked
//! for first), won, lost with a reason, re-priced and given field values — each sent once, also
//! when amoCRM acted but its answer was lost; and a colleague's change between the user's read
//! and the send: nothing is overwritten, the entry waits with both versions, and "send mine"
//! sends it once (docs/amocrm-api.md §18).

mod common;

use common::{desk_with_shape as setup, drain};

use amo_core::domain::change::{LeadChangeDraft, TaskChangeDraft};
use amo_core::domain::fields::FieldEntry;
use amo_core::domain::outbox::OutboxState;
use amo_core::{AmoConnect, ErrorCode};
use amo_sim::{Faults, Simulator};
use serde_json::{json, Value};

/// A task on a new lead, due in two days; its id.
async fn a_task(sim: &Simulator, app: &AmoConnect) -> i64 {
    sim.seed_leads(1, "Диван ");
    let lead = sim.leads().last().expect("lead").id;
    let token = app.access().await.expect("token").token.expose().to_string();
    let due = amo_core::clock::now() + 2 * 86_400;
    let body = json!([{"text": "Перезвонить", "complete_till": due, "entity_type": "leads", "entity_id": lead}]);
    let r = reqwest::Client::new()
        .post(format!("{}/api/v4/tasks", sim.url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request");
    let v: Value = r.json().await.expect("json");
    v["_embedded"]["tasks"][0]["id"].as_i64().expect("id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_is_done_with_its_result_and_moved_each_once_though_the_answers_were_lost() {
    let (_tmp, sim, app) = setup().await;
    let id = a_task(&sim, &app).await;
    let seen = app.task(id).await.expect("task");
    let me = sim.config().user_id;

    // Moved to tomorrow 10:00 (the account's zone), the answer lost after amoCRM moved it.
    sim.set_faults(Faults { drop_after_next: 1, ..Faults::default() });
    let moved = TaskChangeDraft {
        task_id: id,
        title: seen.text.clone(),
        seen_updated_at: seen.updated_at,
        due: "tomorrow 10:00".into(),
        ..Default::default()
    };
    let item = app.queue_task_change(&moved).expect("queue the move");
    assert_eq!(item.title, "Перезвонить");
    drain(&app).await;
    let item = app.outbox_item(item.id).expect("item");
    assert_eq!(item.state, OutboxState::Sent, "{item:?}");
    assert_eq!(sim.stats().tasks_changed, 1, "found after the lost answer, not sent again");
    let t = sim.tasks().into_iter().find(|t| t.id == id).expect("task");
    let due = amo_core::clock::parse_rfc3339(match &item.draft {
        amo_core::domain::draft::Draft::TaskChange(c) => &c.due,
        other => panic!("{other:?}"),
    })
    .expect("a fixed due time");
    assert_eq!((t.complete_till, t.updated_by), (due, Some(me)));

    // Then done with a result, made from the same (older) read: this desk's own move is not a
    // conflict with it.
    sim.set_faults(Faults { drop_after_next: 1, ..Faults::default() });
    let done = TaskChangeDraft {
        task_id: id,
        title: seen.text.clone(),
        seen_updated_at: seen.updated_at,
        done: true,
        result: "Договорились на пятницу".into(),
        ..Default::default()
    };
    let item = app.queue_task_change(&done).expect("queue done");
    drain(&app).await;
    assert_eq!(app.outbox_item(item.id).expect("item").state, OutboxState::Sent);
    assert_eq!(sim.stats().tasks_changed, 2);
    let t = sim.tasks().into_iter().find(|t| t.id == id).expect("task");
    assert!(t.is_completed);
    assert_eq!(t.result_text.as_deref(), Some("Договорились на пятницу"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_colleagues_change_between_read_and_send_waits_with_both_versions_then_send_mine_sends_once() {
    let (_tmp, sim, app) = setup().await;
    let id = a_task(&sim, &app).await;
    let seen = app.task(id).await.expect("task");
    let colleague = sim.colleague_id();
    let theirs = amo_core::clock::now() + 5 * 86_400;
    sim.change_task_as_colleague(id, json!({"complete_till": theirs, "text": "Перезвонить после обеда"}))
        .await
        .expect("colleague");

    let mine = TaskChangeDraft {
        task_id: id,
        title: seen.text.clone(),
        seen_updated_at: seen.updated_at,
        due: "+1d".into(),
        ..Default::default()
    };
    let item = app.queue_task_change(&mine).expect("queue");
    drain(&app).await;
    let waiting = app.outbox_item(item.id).expect("item");
    assert_eq!(waiting.state, OutboxState::Attention, "{waiting:?}");
    assert_eq!(waiting.error.as_ref().map(|e| e.code), Some(ErrorCode::Conflict));
    let c = waiting.conflict.clone().expect("both versions");
    assert_eq!((c.entity.as_str(), c.record_id, c.updated_by), ("tasks", id, colleague));
    assert_eq!(c.updated_by_name.as_deref(), Some("Борис Петров"), "named from the account's users");
    let message = &waiting.error.as_ref().expect("error").message;
    assert!(message.contains("Борис Петров"), "{message}");
    assert_eq!(c.fields.len(), 1);
    assert_eq!((c.fields[0].field.as_str(), c.fields[0].theirs.clone()), ("due", theirs.to_string()));
    assert_eq!(sim.stats().tasks_changed, 0, "nothing sent");
    let t = sim.tasks().into_iter().find(|t| t.id == id).expect("task");
    assert_eq!((t.complete_till, t.text.as_str()), (theirs, "Перезвонить после обеда"), "theirs stands");

    // "Send mine": sent once, over their version; their text (not part of the change) stays.
    let again = app.outbox_send_mine(item.id).expect("send mine");
    assert!(again.conflict.is_none());
    drain(&app).await;
    assert_eq!(app.outbox_item(item.id).expect("item").state, OutboxState::Sent);
    assert_eq!(sim.stats().tasks_changed, 1);
    let t = sim.tasks().into_iter().find(|t| t.id == id).expect("task");
    assert_ne!(t.complete_till, theirs);
    assert_eq!(t.text, "Перезвонить после обеда");
    assert_eq!(app.outbox_send_mine(item.id).map_err(|e| e.code()).err(), Some(ErrorCode::EntryNotEditable));

    // Keep theirs: a second conflict is discarded, nothing sent.
    let seen = app.task(id).await.expect("task");
    sim.change_task_as_colleague(id, json!({"text": "Ещё раз"})).await.expect("colleague");
    let item = app
        .queue_task_change(&TaskChangeDraft {
            task_id: id,
            seen_updated_at: seen.updated_at,
            done: true,
            ..Default::default()
        })
        .expect("queue");
    drain(&app).await;
    assert_eq!(app.outbox_item(item.id).expect("item").state, OutboxState::Attention);
    app.outbox_discard(item.id).expect("keep theirs");
    assert_eq!(sim.stats().tasks_changed, 1);
    assert!(!sim.tasks().into_iter().find(|t| t.id == id).expect("task").is_completed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_moves_only_with_its_stages_required_field_then_is_lost_with_a_reason() {
    let (_tmp, sim, app) = setup().await;
    sim.seed_leads(1, "Кухня ");
    let lead = sim.leads()[0].clone();
    let card = app.lead_card(lead.id).await.expect("card");
    let reference = app.reference_data(false).await.expect("reference");
    let pipeline = reference.pipelines.iter().find(|p| p.id == card.pipeline_id).expect("pipeline");
    let negotiation = pipeline.statuses.iter().find(|s| s.name == "Переговоры").expect("stage").id;
    let seen = |card: &amo_core::domain::lead_card::LeadCard| LeadChangeDraft {
        lead_id: card.id,
        lead_name: card.name.clone(),
        seen_updated_at: card.updated_at,
        seen_pipeline_id: card.pipeline_id,
        filled_field_ids: card.fields.iter().map(|f| f.field_id).collect(),
        ..Default::default()
    };

    // "Переговоры" requires the delivery date: refused locally, named, nothing queued.
    let e = app
        .queue_lead_change(&LeadChangeDraft { status_id: Some(negotiation), price: "48 000".into(), ..seen(&card) })
        .expect_err("the delivery date is required");
    let fields: Vec<(String, Option<String>)> =
        e.fields().expect("fields").iter().map(|f| (f.field.clone(), f.label.clone())).collect();
    assert_eq!(fields, [("custom_fields.701007".to_string(), Some("Дата доставки".to_string()))]);
    assert_eq!(app.outbox_summary().expect("s").queued, 0);

    // With it: moved, priced, the date set; in one PATCH.
    let date = FieldEntry { field_id: 701_007, value: "2026-12-20".into(), ..Default::default() };
    let moved = LeadChangeDraft {
        status_id: Some(negotiation),
        price: "48 000".into(),
        custom_fields: vec![date],
        tags_to_add: vec!["перезвонил".into()],
        ..seen(&card)
    };
    let item = app.queue_lead_change(&moved).expect("queue");
    assert_eq!(item.lead_id, Some(lead.id), "History links the lead");
    drain(&app).await;
    assert_eq!(app.outbox_item(item.id).expect("item").state, OutboxState::Sent);
    let l = sim.leads().into_iter().find(|l| l.id == lead.id).expect("lead");
    assert_eq!((l.status_id, l.price), (negotiation, 48_000));
    assert!(l.tags.iter().any(|t| t == "перезвонил"));
    assert!(l.custom_fields_values.iter().any(|f| f["field_id"] == 701_007), "{:?}", l.custom_fields_values);
    assert_eq!(sim.stats().leads_changed, 1);

    // Lost, with one of the account's reasons; the answer lost after amoCRM acted.
    let reasons = app.loss_reasons().await.expect("reasons");
    let reason = reasons.first().expect("a reason").id;
    let card = app.lead_card(lead.id).await.expect("card");
    sim.set_faults(Faults { drop_after_next: 1, ..Faults::default() });
    let lost = LeadChangeDraft { status_id: Some(143), loss_reason_id: Some(reason), ..seen(&card) };
    let item = app.queue_lead_change(&lost).expect("queue lost");
    drain(&app).await;
    assert_eq!(app.outbox_item(item.id).expect("item").state, OutboxState::Sent);
    assert_eq!(sim.stats().leads_changed, 2, "found after the lost answer, not sent again");
    let l = sim.leads().into_iter().find(|l| l.id == lead.id).expect("lead");
    assert_eq!((l.status_id, l.loss_reason_id), (143, Some(reason)));
    assert!(l.closed_at.is_some());

    // A reason without the lost stage, and a change of nothing: refused, named.
    let e = app
        .queue_lead_change(&LeadChangeDraft { status_id: Some(142), loss_reason_id: Some(reason), ..seen(&card) })
        .expect_err("a reason on a won lead");
    assert_eq!(e.fields().expect("fields")[0].field, "loss_reason_id");
    let e = app.queue_lead_change(&seen(&card)).expect_err("nothing");
    assert_eq!(e.fields().expect("fields")[0].field, "form");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_changed_by_a_colleague_is_not_overwritten_and_amocrms_refusal_lands_on_the_field() {
    let (_tmp, sim, app) = setup().await;
    sim.seed_leads(1, "Шкаф ");
    let lead = sim.leads()[0].clone();
    let card = app.lead_card(lead.id).await.expect("card");
    let base = LeadChangeDraft {
        lead_id: card.id,
        lead_name: card.name.clone(),
        seen_updated_at: card.updated_at,
        seen_pipeline_id: card.pipeline_id,
        ..Default::default()
    };
    sim.change_lead_as_colleague(lead.id, json!({"price": 99_000})).await.expect("colleague");
    let item = app.queue_lead_change(&LeadChangeDraft { price: "50000".into(), ..base.clone() }).expect("queue");
    drain(&app).await;
    let item = app.outbox_item(item.id).expect("item");
    assert_eq!(item.state, OutboxState::Attention);
    let c = item.conflict.expect("conflict");
    assert_eq!(
        (c.fields[0].field.as_str(), c.fields[0].theirs.as_str(), c.fields[0].mine.as_str()),
        ("price", "99000", "50000")
    );
    assert_eq!(sim.leads()[0].price, 99_000, "theirs stands");
    assert_eq!(sim.stats().leads_changed, 0);

    // amoCRM refuses a user it does not know (the account's users were not read for this one):
    // the refusal is on the responsible field.
    let card = app.lead_card(lead.id).await.expect("card");
    let bad = LeadChangeDraft { seen_updated_at: card.updated_at, responsible_user_id: Some(4_242), ..base };
    let outcome = app.queue_lead_change(&bad);
    let refused: Vec<String> = match outcome {
        Err(e) => e.fields().expect("fields").iter().map(|f| f.field.clone()).collect(),
        Ok(item) => {
            drain(&app).await;
            app.outbox_item(item.id).expect("item").field_errors.iter().map(|f| f.field.clone()).collect()
        }
    };
    assert_eq!(refused.first().map(String::as_str), Some("responsible_user_id"), "{refused:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leads_custom_fields_of_every_type_the_forms_write_are_set_and_read_back_on_its_card() {
    let (_tmp, sim, app) = setup().await;
    sim.seed_leads(1, "Гарнитур ");
    let lead = sim.leads()[0].clone();
    let card = app.lead_card(lead.id).await.expect("card");
    let entry = |field_id: i64, value: &str| FieldEntry { field_id, value: value.into(), ..Default::default() };
    let typed = vec![
        entry(701_001, "звонок"),                    // select, by its text in any case
        entry(701_002, "Доставка|Сборка"),           // multiselect
        entry(701_003, "Опт"),                       // radiobutton
        entry(701_004, "42"),                        // numeric
        entry(701_005, "Казань"),                    // text
        entry(701_006, "да"),                        // checkbox
        entry(701_007, "20.12.2026"),                // date, DD.MM.YYYY
        entry(701_008, "2026-12-21T10:00:00+03:00"), // date_time
        entry(701_009, "Первая строка\nвторая"),     // textarea
        entry(701_010, "https://example.com/shop"),  // url
        entry(701_011, "1500"),                      // price
        entry(701_014, "ул. Ленина, 1"),             // streetaddress
        entry(701_015, "99.5"),                      // monetary
    ];
    let change = LeadChangeDraft {
        lead_id: card.id,
        lead_name: card.name.clone(),
        seen_updated_at: card.updated_at,
        seen_pipeline_id: card.pipeline_id,
        custom_fields: typed,
        ..Default::default()
    };
    let item = app.queue_lead_change(&change).expect("queue");
    drain(&app).await;
    assert_eq!(app.outbox_item(item.id).expect("item").state, OutboxState::Sent);
    let card = app.lead_card(lead.id).await.expect("card again");
    let shown = |id: i64| card.fields.iter().find(|f| f.field_id == id).map(|f| f.value.clone()).unwrap_or_default();
    assert_eq!(
        [701_001, 701_002, 701_003, 701_004, 701_005, 701_007, 701_008, 701_009, 701_010, 701_011, 701_014, 701_015]
            .map(shown),
        [
            "Звонок",
            "Доставка, Сборка",
            "Опт",
            "42",
            "Казань",
            "2026-12-20",
            "2026-12-21 10:00",
            "Первая строка\nвторая",
            "https://example.com/shop",
            "1500",
            "ул. Ленина, 1",
            "99.5"
        ]
        .map(String::from)
    );
    assert_eq!(card.fields.iter().find(|f| f.field_id == 701_006).and_then(|f| f.checked), Some(true));

    // What the app cannot write, and a choice the account does not have: refused on their fields.
    let e = app
        .queue_lead_change(&LeadChangeDraft {
            seen_updated_at: card.updated_at,
            custom_fields: vec![entry(701_012, "Москва"), entry(701_001, "Телеграм")],
            ..change
        })
        .expect_err("refused");
    let named: Vec<(String, amo_core::error::FieldCode)> =
        e.fields().expect("fields").iter().map(|f| (f.field.clone(), f.code)).collect();
    assert_eq!(
        named,
        [
            ("custom_fields.701012".to_string(), amo_core::error::FieldCode::ReadOnlyField),
            ("custom_fields.701001".to_string(), amo_core::error::FieldCode::NotAChoice)
        ]
    );
}
