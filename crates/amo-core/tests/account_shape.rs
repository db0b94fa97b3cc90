//! A lead's amoCRM ids are the account's it is queued for (issue 23, item 3): a form that still
//! showed another account's pipelines, stages and users — after Disconnect, or with another
//! account connected since — cannot queue them for the next account. Two accounts on two hosts
//! (two simulators), one data directory and keychain.

use std::sync::Arc;

mod common;

use amo_core::domain::draft::{ContactDraft, LeadDraft};
use amo_core::domain::task::TaskDraft;
use amo_core::error::FieldCode;
use amo_core::keychain::memory::MemoryStore;
use amo_core::keychain::SecretStore;
use amo_sim::{Decision, SimConfig, Simulator};

async fn beta() -> Simulator {
    let redirect_uri = format!("http://127.0.0.1:{}/callback", common::free_port());
    Simulator::start(
        SimConfig {
            redirect_uri,
            decision: Decision::Approve,
            subdomain: "beta".into(),
            account_id: 27_182_818,
            account_name: "Beta Logistics".into(),
            user_id: 1_414_213,
            rate_limit_per_sec: 100_000,
            ..SimConfig::default()
        },
        0,
    )
    .await
    .expect("sim")
}

/// The refused fields and their codes.
fn refused(e: &amo_core::Error) -> Vec<(String, FieldCode)> {
    e.fields().expect("field errors").iter().map(|f| (f.field.clone(), f.code)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_typed_against_the_old_accounts_shape_is_refused_by_field_not_sent_to_the_next() {
    let tmp = tempfile::tempdir().expect("tmp");
    let keychain: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
    let (acme, app) = common::connected_with(
        SimConfig { rate_limit_per_sec: 100_000, ..SimConfig::default() },
        keychain.clone(),
        tmp.path(),
    )
    .await;
    let shape = app.reference_data(true).await.expect("acme's pipelines and users");
    assert_eq!(shape.account_domain.as_deref(), Some("acme.amocrm.ru"), "the shape says whose it is");
    let main = shape.pipelines.iter().find(|p| p.is_main).expect("main pipeline");
    let stage = main.statuses.iter().find(|s| s.kind.takes_new_leads()).expect("open stage");
    // Typed in Acme's form: Acme's pipeline, stage, a colleague, a task for Acme's user.
    let colleague = acme.config().user_id + 1;
    let typed = LeadDraft {
        name: "Sofa".into(),
        pipeline_id: Some(main.id),
        status_id: Some(stage.id),
        responsible_user_id: Some(colleague),
        contact: Some(ContactDraft { first_name: "Olga".into(), ..Default::default() }),
        task: Some(TaskDraft {
            text: "Call back".into(),
            due: "+1h".into(),
            responsible_user_id: Some(acme.config().user_id),
            ..Default::default()
        }),
        ..Default::default()
    };

    // Disconnected (the entries kept): the lead would belong to whichever account comes next.
    app.disconnect(false).await.expect("disconnect");
    let e = app.queue_lead(&typed).expect_err("no account to hold its ids to");
    assert_eq!(
        refused(&e),
        [
            ("pipeline".to_string(), FieldCode::NotInAccount),
            ("status".to_string(), FieldCode::NotInAccount),
            ("responsible_user_id".to_string(), FieldCode::NotInAccount),
            ("task.responsible_user_id".to_string(), FieldCode::NotInAccount),
        ]
    );
    assert!(app.outbox_list(10).expect("list").is_empty(), "nothing queued");
    // What was typed without the account's choices still waits for the next account.
    let plain = LeadDraft { name: "Typed while disconnected".into(), ..Default::default() };
    app.queue_lead(&plain).expect("no ids: kept for the next account");

    // Beta connected, its shape read: Acme's colleague is not one of Beta's users.
    drop(app);
    let beta = beta().await;
    let app = common::connect_desk(&beta, keychain, tmp.path()).await;
    let beta_shape = app.reference_data(true).await.expect("beta's shape");
    assert_eq!(beta_shape.account_domain.as_deref(), Some("beta.amocrm.ru"));
    assert_eq!(beta_shape.account_id, Some(27_182_818));
    let e = app.queue_lead(&typed).expect_err("Acme's users are not Beta's");
    assert_eq!(
        refused(&e),
        [
            ("task.responsible_user_id".to_string(), FieldCode::NotAChoice),
            ("responsible_user_id".to_string(), FieldCode::NotInAccount),
        ]
    );
    let e = app.queue_lead(&LeadDraft { pipeline_id: Some(999_999), ..typed.clone() }).expect_err("not Beta's");
    assert!(refused(&e).contains(&("pipeline".to_string(), FieldCode::NotInAccount)), "{e:?}");
    // Chosen again in Beta's form, it is queued for Beta.
    let mine = LeadDraft {
        responsible_user_id: Some(beta.config().user_id + 1),
        task: Some(TaskDraft { text: "Call back".into(), due: "+1h".into(), ..Default::default() }),
        ..typed
    };
    let item = app.queue_lead(&mine).expect("Beta's choices");
    assert_eq!(item.account_domain.as_deref(), Some("beta.amocrm.ru"));
    assert_eq!(app.outbox_summary().expect("summary").queued, 2, "with the one typed while disconnected");
}
