//! Lead entry in the real window and with the real binary's CLI, against the simulator: type a
//! lead with contact and note and see it in History with its amoCRM link; amoCRM down → the lead
//! is kept and the window says offline → amoCRM back → sent once; a phone already in amoCRM is
//! offered as the existing contact; the caller's card opens from this computer's copy with
//! amoCRM down, and a timed call is logged once.

use amo_e2e::*;
use fantoccini::key::Key;

async fn connected_env() -> anyhow::Result<(Simulator, AppEnv)> {
    let (sim, redirect_uri) = simulator(Decision::Approve).await?;
    let env = AppEnv::new(&sim)?;
    env.connect_via_cli(&redirect_uri).await?;
    Ok((sim, env))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leads_typed_in_the_window_reach_amocrm_once_also_across_an_outage() -> anyhow::Result<()> {
    let (mut sim, env) = connected_env().await?;
    let known = sim.seed_contact("Olga", "Smirnova", Some("+7 916 555-01-02"), None);
    let w = Window::open(&env).await?;
    w.wait_attr("#status-panel", "data-connected", "true", 20).await?;

    // 1. A lead with contact and note; Enter in the name field saves it.
    w.click("#nav-lead").await?;
    w.find("#lead-pipeline option[value='3383152']").await?; // pipelines loaded from amoCRM
    w.fill("#lead-price", "15000").await?;
    w.fill("#contact-first", "Ivan").await?;
    w.fill("#contact-last", "Petrov").await?;
    w.fill("#contact-phone", "8 (912) 123-45-67").await?;
    w.fill("#lead-note", "Wants delivery on Friday").await?;
    w.fill("#lead-name", "Phone order: 3 chairs").await?;
    w.screenshot("07-lead-form.png").await?;
    w.find("#lead-name").await?.send_keys(&Key::Enter.to_string()).await?;
    w.find("#lead-notice").await?;
    assert_eq!(w.find("#lead-name").await?.prop("value").await?.unwrap_or_default(), "", "the form is cleared");

    w.click("#nav-history").await?;
    w.wait_attr("#history-item-1", "data-state", "sent", 20).await?;
    let lead = sim.leads().into_iter().next().expect("lead in amoCRM");
    assert_eq!((lead.name.as_str(), lead.price), ("Phone order: 3 chairs", 15000));
    let link = w.text("#history-item-1 .amo-link").await?;
    assert!(link.contains(&format!("https://acme.amocrm.ru/leads/detail/{}", lead.id)), "{link}");
    let contact = sim.contacts().into_iter().find(|c| c.first_name == "Ivan").expect("contact");
    assert_eq!(contact.phones, vec!["+79121234567".to_string()]);
    assert_eq!(sim.notes().iter().filter(|n| n.entity_id == lead.id).count(), 1);
    w.screenshot("08-history-sent.png").await?;

    // 2. amoCRM unreachable: the lead is kept, the window says so; back → sent, once.
    sim.go_down().await;
    w.click("#nav-lead").await?;
    w.fill("#lead-name", "Typed during the outage").await?;
    w.click("#lead-submit").await?;
    w.find("#offline-banner").await?;
    assert!(w.text("#offline-banner").await?.contains("1 entry is saved"));
    w.click("#nav-history").await?;
    w.wait_attr("#history-item-2", "data-state", "queued", 10).await?;
    w.screenshot("09-offline.png").await?;
    sim.come_up().await?;
    w.click("#outbox-retry").await?;
    w.wait_attr("#history-item-2", "data-state", "sent", 30).await?;
    assert_eq!(sim.leads().iter().filter(|l| l.name == "Typed during the outage").count(), 1);

    // 3. A phone already in amoCRM: offered, attached, no second contact.
    let contacts_before = sim.contacts().len();
    w.click("#nav-lead").await?;
    w.fill("#lead-name", "Repeat customer").await?;
    w.fill("#contact-phone", "+7 916 555 01 02").await?;
    let offer = format!("#dup-offer-{known}");
    w.find(&offer).await?;
    assert!(w.text(&offer).await?.contains("Olga Smirnova"));
    w.screenshot("10-duplicate-offer.png").await?;
    w.click(&format!("{offer} .dup-attach")).await?;
    w.find("#dup-attached").await?;
    w.click("#lead-submit").await?;
    // Saved (the form says so) before History is opened: a failed save is named here.
    w.wait_text_contains("#lead-notice", "#3", 10).await?;
    w.click("#nav-history").await?;
    w.wait_attr("#history-item-3", "data-state", "sent", 30).await?;
    let repeat = sim.leads().into_iter().find(|l| l.name == "Repeat customer").expect("lead");
    assert_eq!(repeat.contact_ids, vec![known]);
    assert_eq!(sim.contacts().len(), contacts_before, "no second contact");

    // 4. Bad input is marked on its field and nothing is queued.
    w.click("#nav-lead").await?;
    w.fill("#lead-name", "Bad price").await?;
    w.fill("#lead-price", "12,5").await?;
    w.click("#lead-submit").await?;
    assert!(w.text("#err-price").await?.contains("whole number"));
    let (code, out, _) = env.cli(&["outbox", "--json"], None)?;
    assert_eq!(code, 0);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&out)?.as_array().map(Vec::len), Some(3));
    assert_eq!(sim.leads().len(), 3);
    w.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_adds_lists_and_queues_leads() -> anyhow::Result<()> {
    let (mut sim, env) = connected_env().await?;
    let (code, out, err) = env.cli(
        &[
            "lead",
            "add",
            "--name",
            "CLI order",
            "--price",
            "700",
            "--contact-name",
            "Anna Smirnova",
            "--phone",
            "+7 912 000 11 22",
            "--email",
            "anna@example.com",
            "--note",
            "from the CLI",
            "--tag",
            "cli",
        ],
        None,
    )?;
    assert_eq!(code, 0, "{err}");
    let lead = sim.leads().into_iter().find(|l| l.name == "CLI order").expect("lead");
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some(lead.id.to_string().as_str()), "the lead id first");
    assert_eq!(lines.next(), Some(format!("https://acme.amocrm.ru/leads/detail/{}", lead.id).as_str()));
    assert_eq!(lead.tags, vec!["cli".to_string()]);
    assert_eq!(sim.notes().len(), 1);

    let (code, out, err) = env.cli(&["lead", "list", "--json", "--limit", "5"], None)?;
    assert_eq!(code, 0, "{err}");
    let list: serde_json::Value = serde_json::from_str(&out)?;
    assert_eq!(list[0]["id"], lead.id);

    let (code, out, err) =
        env.cli(&["contact", "add", "--name", "Boris Petrov", "--phone", "+44 20 7946 0958"], None)?;
    assert_eq!(code, 0, "{err}");
    let c = sim.contacts().into_iter().find(|c| c.name == "Boris Petrov").expect("contact");
    assert_eq!(out.lines().next(), Some(c.id.to_string().as_str()));

    // Down: --no-wait queues; a waiting add gives up with still_queued; both are sent later.
    sim.go_down().await;
    let (code, out, _) = env.cli(&["lead", "add", "--name", "Queued A", "--no-wait"], None)?;
    assert_eq!(code, 0);
    assert!(out.contains("#3"), "{out}");
    let (code, _, err) = env.cli(&["lead", "add", "--name", "Queued B", "--timeout", "2"], None)?;
    assert_eq!(code, 1);
    assert!(err.trim_end().lines().last().unwrap_or_default().starts_with("error[still_queued]: "), "{err}");
    sim.come_up().await?;
    let (code, out, err) = env.cli(&["outbox", "retry"], None)?;
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Waiting: 0, needing attention: 0, sent: 4"), "{out}");
    for name in ["Queued A", "Queued B"] {
        assert_eq!(sim.leads().iter().filter(|l| l.name == name).count(), 1, "{name}");
    }
    Ok(())
}

/// With the window open, a lead typed while amoCRM is unreachable reaches it when amoCRM is back,
/// and a real notification daemon (dunst on the test's private D-Bus) shows one notification
/// naming it — not one per retry, and none for leads sent at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_that_waited_for_amocrm_is_announced_by_one_notification() -> anyhow::Result<()> {
    // `dunst -print` writes each notification it receives to stdout.
    let printed = tempfile::NamedTempFile::new()?;
    let mut dunst = Group::spawn(std::process::Command::new("dunst").arg("-print").stdout(printed.reopen()?))?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !std::process::Command::new("dunstctl").arg("is-paused").output()?.status.success() {
        assert!(std::time::Instant::now() < deadline, "dunst did not start");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (mut sim, env) = connected_env().await?;
    let w = Window::open(&env).await?;
    w.wait_attr("#status-panel", "data-connected", "true", 20).await?;
    w.click("#nav-lead").await?;
    w.fill("#lead-name", "Sent at once").await?;
    w.click("#lead-submit").await?;
    w.find("#lead-notice").await?;
    // Really sent before amoCRM goes away (the first request of a cold start can take a while).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while sim.leads().is_empty() {
        assert!(std::time::Instant::now() < deadline, "the first lead never reached amoCRM");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(3)).await; // its look has passed
    sim.go_down().await;
    w.fill("#lead-name", "Waited for amoCRM").await?;
    w.click("#lead-submit").await?;
    w.find("#offline-banner").await?;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await; // seen waiting
    sim.come_up().await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while sim.leads().len() < 2 {
        assert!(std::time::Instant::now() < deadline, "the lead never reached amoCRM");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // The notice comes after a short pause that gathers a burst into one.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let mut pictured = false;
    let shown = loop {
        let text = std::fs::read_to_string(printed.path())?;
        // Each notification: "summary: '…'" then "body: '…'" (the body may span lines) then "icon:".
        let shown: Vec<(String, String)> = text
            .split("\tsummary: '")
            .skip(1)
            .map(|n| {
                let summary = n.split('\'').next().unwrap_or_default().to_string();
                let body = n.split("\tbody: '").nth(1).unwrap_or_default();
                (summary, body.split("'\n\ticon:").next().unwrap_or_default().to_string())
            })
            .collect();
        if !shown.is_empty() && !pictured {
            // dunst's popup on the screen, while it is shown.
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            amo_e2e::x11::screenshot(&amo_e2e::artifacts_dir().join("11-notification.png"))?;
            pictured = true;
        }
        if !shown.is_empty() && std::time::Instant::now() > deadline - std::time::Duration::from_secs(10) {
            break shown; // give a second notice 5 s to show up, if there were one
        }
        if std::time::Instant::now() > deadline {
            break shown;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    };
    dunst.kill();
    assert_eq!(shown.len(), 1, "one notification: {shown:?}");
    assert_eq!(shown[0].0, "Sent to amoCRM");
    assert!(shown[0].1.starts_with("Waited for amoCRM"), "{shown:?}");
    w.close().await?;
    Ok(())
}

/// The account's custom fields in the real window: drawn by type from amoCRM's list, a field the
/// chosen stage requires marked and refused while empty, then the lead with a choice, several
/// choices, a number, text, a checkbox and a date reaches amoCRM with each in its shape.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_with_custom_fields_typed_in_the_window_reaches_amocrm_with_each_in_its_shape() -> anyhow::Result<()> {
    let (sim, env) = connected_env().await?;
    let w = Window::open(&env).await?;
    w.wait_attr("#status-panel", "data-connected", "true", 20).await?;
    w.click("#nav-lead").await?;
    w.find("#cf-701001 option[value='801002']").await?; // the fields came from amoCRM
    assert!(w.client.find(fantoccini::Locator::Css("#cf-701013")).await.is_err(), "integration-only field hidden");
    w.fill("#lead-name", "Sofa, delivered").await?;
    // The negotiation stage requires the delivery date: marked, and refused while empty.
    w.click("#lead-status option[value='33929755']").await?;
    w.click("#cf-701001 option[value='801002']").await?;
    w.click("#cf-701002 input[value='801011']").await?;
    w.click("#cf-701002 input[value='801012']").await?;
    w.fill("#cf-701004", "1500").await?;
    w.fill("#cf-701005", "Казань").await?;
    w.click("#cf-701006").await?;
    let label = w.find("label[data-type=date]").await?.text().await?;
    assert!(label.starts_with("Дата доставки *"), "{label}");
    w.click("#lead-submit").await?;
    let refused = w.text("#err-cf-701007").await?;
    assert!(refused.contains("required for the chosen stage"), "{refused}");
    // A date input takes the date as the browser's own value.
    w.client
        .execute(
            "const d = document.querySelector('#cf-701007'); d.value = '2026-12-01'; d.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![],
        )
        .await?;
    w.screenshot("15-lead-form-custom-fields.png").await?;
    w.click("#lead-submit").await?;
    w.find("#lead-notice").await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let lead = loop {
        if let Some(l) = sim.leads().into_iter().find(|l| l.name == "Sofa, delivered") {
            break l;
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "the lead never reached amoCRM");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let value = |id: i64| {
        lead.custom_fields_values.iter().find(|f| f["field_id"] == id).map(|f| f["values"].clone()).unwrap_or_default()
    };
    assert_eq!(value(701_001)[0]["enum_id"], 801_002);
    assert_eq!(value(701_002).as_array().map(Vec::len), Some(2));
    assert_eq!(value(701_004)[0]["value"], "1500");
    assert_eq!(value(701_005)[0]["value"], "Казань");
    assert_eq!(value(701_006)[0]["value"], true);
    assert_eq!(value(701_007)[0]["value"], 1_796_072_400, "2026-12-01 00:00 in the account's zone (+03:00)");
    assert_eq!(lead.status_id, 33_929_755);

    // Find: the new lead is among the newest and found by name; the list shows its stage.
    w.click("#nav-find").await?;
    w.find(&format!("#recent-leads li[data-id='{}']", lead.id)).await?;
    w.fill("#find-query", "Sofa, delivered").await?;
    w.click("#find-submit").await?;
    let hit = w.text(&format!("#found-leads li[data-id='{}']", lead.id)).await?;
    assert!(hit.contains("Воронка · Переговоры"), "{hit}");
    w.screenshot("16-find.png").await?;
    w.close().await?;
    Ok(())
}

/// Tomorrow 10:00 in Moscow (the simulated account's zone), as Unix seconds.
fn tomorrow_ten_msk() -> i64 {
    use chrono::{Datelike, FixedOffset, TimeZone, Utc};
    let msk = FixedOffset::east_opt(3 * 3600).expect("+3");
    let d = Utc::now().with_timezone(&msk).date_naive() + chrono::Duration::days(1);
    msk.with_ymd_and_hms(d.year(), d.month(), d.day(), 10, 0, 0).single().expect("valid").timestamp()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_typed_with_the_keyboard_only_becomes_a_lead_with_contact_company_fields_note_and_task(
) -> anyhow::Result<()> {
    let (sim, env) = connected_env().await?;
    let known = sim.seed_contact("Olga", "Smirnova", Some("+7 916 555-01-02"), None);
    let (code, _, err) =
        env.cli(&["lead", "add", "--name", "Olga's open order", "--contact-id", &known.to_string()], None)?;
    assert_eq!(code, 0, "{err}");
    let open_lead = sim.leads().into_iter().find(|l| l.name == "Olga's open order").expect("open lead");
    let w = Window::open(&env).await?;
    w.wait_attr("#status-panel", "data-connected", "true", 20).await?;

    // The quick-entry command (the global shortcut runs it): New lead, focus in the name. From
    // there on only keys.
    let (code, _, err) = env.cli(&["new"], None)?;
    assert_eq!(code, 0, "{err}");
    w.wait_focus("lead-name", 10).await?;
    w.find("#lead-pipeline option[value='3383152']").await?; // the account's shape is loaded
    w.keys("Chairs for the office").await?;
    w.tab_to("contact-phone", true).await?;
    w.keys("+7 912 000 11 22").await?;
    w.tab_to("contact-phone-type", false).await?;
    w.keys("Mobile").await?;
    w.tab_to("contact-phone-add", false).await?;
    w.keys(&Key::Enter.to_string()).await?;
    w.tab_to("contact-phone-2", true).await?;
    w.keys("+7 495 000 11 22").await?;
    w.tab_to("contact-first", false).await?;
    w.keys("Irina").await?;
    w.tab_to("company-name", false).await?;
    w.keys("Romashka LLC").await?;
    w.tab_to("cf-701005", false).await?; // the account's "Город" text field
    w.keys("Kazan").await?;
    w.tab_to("lead-note", false).await?;
    w.keys("Wants 12 chairs").await?;
    w.tab_to("task-text", false).await?;
    w.keys("Call back").await?;
    let due = w.find("#task-due").await?.prop("value").await?.unwrap_or_default();
    assert_eq!(due, "tomorrow 10:00", "typing a task picks tomorrow 10:00");
    w.screenshot("18-lead-form-company-task.png").await?;
    w.chord(Key::Control, Key::Enter).await?;
    w.find("#lead-notice").await?;

    w.click("#nav-history").await?;
    w.wait_attr("#history-item-2", "data-state", "sent", 30).await?;
    let lead = sim.leads().into_iter().find(|l| l.name == "Chairs for the office").expect("lead in amoCRM");
    let link = w.text("#history-item-2 .amo-link").await?;
    assert!(link.contains(&format!("/leads/detail/{}", lead.id)), "{link}");
    let contact = sim.contacts().into_iter().find(|c| c.first_name == "Irina").expect("contact");
    assert_eq!(contact.phones, ["+79120001122", "+74950001122"]);
    assert_eq!(contact.phone_types, ["MOB", "WORK"]);
    let company = sim.companies().into_iter().find(|c| c.name == "Romashka LLC").expect("company");
    assert_eq!((lead.company_id, contact.company_id), (Some(company.id), Some(company.id)));
    let city = lead.custom_fields_values.iter().find(|f| f["field_id"] == 701_005).expect("city");
    assert_eq!(city["values"][0]["value"], "Kazan");
    assert_eq!(sim.notes().iter().filter(|n| n.entity_id == lead.id && n.text == "Wants 12 chairs").count(), 1);
    let task = sim.tasks().into_iter().find(|t| t.entity_id == Some(lead.id)).expect("task");
    assert_eq!((task.text.as_str(), task.complete_till), ("Call back", tomorrow_ten_msk()));

    // The known customer calls again: their open lead is shown, and a note and a task go to it.
    let leads_before = sim.leads().len();
    let (code, _, err) = env.cli(&["new", "--phone", "8 916 555-01-02"], None)?;
    assert_eq!(code, 0, "{err}");
    let offer = format!("#dup-offer-{known}");
    w.find(&format!("{offer} .open-leads li[data-id='{}']", open_lead.id)).await?;
    w.screenshot("19-existing-customer.png").await?;
    w.click(&format!("{offer} li[data-id='{}'] .followup-add", open_lead.id)).await?;
    w.wait_focus("lead-note", 10).await?;
    assert!(w.text("#followup-to").await?.contains("Olga's open order"));
    w.keys("Called again about delivery").await?;
    w.tab_to("task-text", false).await?;
    w.keys("Send the offer").await?;
    w.chord(Key::Control, Key::Enter).await?;
    w.find("#lead-notice").await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !sim.tasks().iter().any(|t| t.entity_id == Some(open_lead.id)) {
        anyhow::ensure!(std::time::Instant::now() < deadline, "the task never reached the open lead");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(sim.leads().len(), leads_before, "no new lead");
    assert!(sim.notes().iter().any(|n| n.entity_id == open_lead.id && n.text == "Called again about delivery"));
    w.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_another_process_queued_appears_by_itself_and_is_fixed_in_history_where_it_is_not_in_amocrm(
) -> anyhow::Result<()> {
    let (sim, env) = connected_env().await?;
    let w = Window::open(&env).await?;
    w.wait_attr("#status-panel", "data-connected", "true", 20).await?;
    w.click("#nav-history").await?;
    w.find("#history-empty").await?;

    // A softphone's `amo-connect` queues a contact for a company amoCRM does not have. The window
    // did nothing: it hears of the entry, sends it, and shows the contact in amoCRM and the
    // company link refused.
    let (code, _, err) =
        env.cli(&["contact", "add", "--name", "Ivan Gromov", "--company-id", "999999", "--no-wait"], None)?;
    assert_eq!(code, 0, "{err}");
    w.wait_attr("#history-item-1", "data-state", "attention", 30).await?;
    let ivan = sim.contacts().into_iter().find(|c| c.first_name == "Ivan").expect("the contact is in amoCRM");
    w.find("#history-item-1 .step[data-kind='contact'][data-state='done']").await?;
    w.find("#history-item-1 .step[data-kind='link'][data-state='refused']").await?;

    // One Edit: the contact is locked (it is in amoCRM), the company can change.
    w.click("#history-item-1 .edit").await?;
    // A locked part is a disabled fieldset: its inputs match `:disabled`, the company's do not.
    w.find("#history-item-1 fieldset.locked #c-first:disabled").await?;
    w.find("#history-item-1 fieldset.locked .step[data-kind='contact'][data-state='done']").await?;
    w.click("#history-item-1 #company-detach").await?;
    w.fill("#history-item-1 #company-name", "Lutik LLC").await?;
    w.screenshot("20-history-fix-company.png").await?;
    w.click("#history-item-1 #contact-submit").await?;
    w.wait_attr("#history-item-1", "data-state", "sent", 30).await?;

    let lutik = sim.companies().into_iter().find(|c| c.name == "Lutik LLC").expect("the new company");
    let ivans: Vec<_> = sim.contacts().into_iter().filter(|c| c.first_name == "Ivan").collect();
    assert_eq!(ivans.len(), 1, "the contact was not made again");
    assert_eq!((ivans[0].id, ivans[0].company_id), (ivan.id, Some(lutik.id)), "now in its company");
    w.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_callers_card_opens_from_the_copy_with_amocrm_down_and_a_timed_call_is_logged_once() -> anyhow::Result<()> {
    let (mut sim, env) = connected_env().await?;
    let olga = sim.seed_contact("Olga", "Smirnova", Some("+7 916 555-01-02"), None);
    sim.seed_contacts(40, 9_300_000_000);
    let (code, out, err) = env.cli(&["sync"], None)?;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("41 contacts"), "{out}");

    // The phone rings while amoCRM is unreachable: the softphone runs `amo-connect new --phone`.
    sim.go_down().await;
    let w = Window::open_with(&env, &["new", "--phone", "8 916 555 01 02"]).await?;
    w.wait_text_contains("#caller-customers", "Olga Smirnova", 20).await?;
    w.wait_text_contains("#caller-source", "did not answer", 60).await?;
    w.screenshot("20-caller-card-offline.png").await?;

    // amoCRM is back; the next ring of the same number is confirmed online.
    sim.come_up().await?;
    let (code, _, err) = env.cli(&["new", "--phone", "+79165550102"], None)?;
    assert_eq!(code, 0, "{err}");
    w.wait_text_contains("#caller-source", "Checked with amoCRM", 30).await?;
    w.screenshot("21-caller-card-online.png").await?;

    // The call is timed; at its end its result is logged.
    w.wait_text("#call-timer", "00:02", 10).await?;
    w.click("#call-end").await?;
    w.click("#call-status option[value='talked']").await?;
    w.fill("#call-result", "Wants a second sofa").await?;
    w.screenshot("22-call-result.png").await?;
    w.click("#call-submit").await?;
    w.find("#call-notice").await?;
    w.click("#nav-history").await?;
    w.wait_attr("#history-item-1", "data-state", "sent", 30).await?;
    let calls = sim.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!((calls[0].note_type.as_str(), calls[0].entity_id), ("call_in", olga));
    assert!(calls[0].params["duration"].as_i64() >= Some(2), "{:?}", calls[0].params);
    assert_eq!(calls[0].params["call_result"].as_str(), Some("Wants a second sofa"));
    w.close().await?;
    Ok(())
}

/// The demo's first run (`scripts/demo.sh`, `amo-sim --demo-account`): the realistic account
/// shows itself at once — a known caller's card from this computer's copy with the company and
/// the leads in work named by stage, and Find with the account's newest leads and its customers
/// found by a Cyrillic surname.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_account_shows_the_callers_card_and_find_on_first_run() -> anyhow::Result<()> {
    let (sim, env) = connected_env().await?;
    let summary = sim.seed_demo_account(amo_sim::demo::DEMO_SEED).map_err(|e| anyhow::anyhow!("{e}"))?;
    assert!(summary.contacts >= 200 && summary.pipelines.len() >= 2, "{summary:?}");
    let (code, _, err) = env.cli(&["sync"], None)?;
    assert_eq!(code, 0, "{err}");

    // A known customer rings: the card names them, their company and a lead in work by its stage.
    let w = Window::open_with(&env, &["new", "--phone", amo_sim::demo::DEMO_CUSTOMER_PHONES[0]]).await?;
    w.wait_text_contains("#caller-customers", "Игорь Смирнов", 20).await?;
    w.wait_text_contains("#caller-customers", "Северный ветер", 20).await?;
    w.wait_text_contains("#caller-source", "Checked with amoCRM", 30).await?;
    w.screenshot("23-demo-caller-card.png").await?;

    // Find: the newest leads at once, and the customers with a surname.
    w.click("#nav-find").await?;
    w.find("#recent-leads li").await?;
    w.fill("#find-query", "Смирнов").await?;
    w.click("#find-submit").await?;
    w.wait_text_contains("#found-contacts", "Смирнов", 30).await?;
    w.screenshot("24-demo-find.png").await?;
    w.close().await?;
    Ok(())
}

/// My tasks (issue 21): a task due today for the connected user is in the window's Today pile,
/// a colleague's is not — until "Everyone's tasks" is ticked. Both tasks reach amoCRM the app's
/// own way (`lead add --task`, through the outbox); the piles are by the account's zone (Moscow).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_tasks_shows_todays_task_of_the_connected_user_and_a_colleagues_only_when_asked() -> anyhow::Result<()> {
    use chrono::{FixedOffset, Utc};
    let msk = FixedOffset::east_opt(3 * 3600).expect("+3");
    // Today 23:59 in Moscow must still be ahead while the test runs (not overdue, not tomorrow).
    let now = Utc::now().with_timezone(&msk);
    let left = 86_400 - i64::from(chrono::Timelike::num_seconds_from_midnight(&now));
    if left < 10 * 60 {
        tokio::time::sleep(std::time::Duration::from_secs(left as u64 + 1)).await;
    }
    // With its offset: a CLI run before the account's settings were first read takes a bare
    // date and time in this computer's zone (outbox/check.rs), and the machine is usually UTC.
    let due = format!("{}T23:59:00+03:00", Utc::now().with_timezone(&msk).date_naive());
    let (sim, env) = connected_env().await?;
    let colleague = sim.colleague_id();
    let (code, _, err) =
        env.cli(&["lead", "add", "--name", "Sofa for Olga", "--task", "Call Olga back", "--task-due", &due], None)?;
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = env.cli(
        &[
            "lead",
            "add",
            "--name",
            "Boris's chairs",
            "--task",
            "Boris sends the offer",
            "--task-due",
            &due,
            "--task-responsible",
            &colleague.to_string(),
        ],
        None,
    )?;
    assert_eq!(code, 0, "{err}");
    let tasks = sim.tasks();
    assert_eq!(tasks.len(), 2, "{tasks:?}");

    let w = Window::open(&env).await?;
    w.wait_attr("#status-panel", "data-connected", "true", 20).await?;
    w.click("#nav-tasks").await?;
    w.wait_text_contains("section[data-bucket='today'] li.task", "Call Olga back", 30).await?;
    let today = w.text("section[data-bucket='today']").await?;
    assert!(today.contains("23:59"), "{today}");
    assert!(!w.text("#tasks-list").await?.contains("Boris sends the offer"), "not the colleague's");

    w.click("#tasks-all").await?;
    w.wait_text_contains("section[data-bucket='today']", "Boris sends the offer", 30).await?;
    assert!(w.text("section[data-bucket='today']").await?.contains("Борис Петров"));
    w.screenshot("25-my-tasks.png").await?;
    w.close().await?;
    Ok(())
}

/// The lead card (issue 21) in the real window: opened from My tasks by the Card button of a task
/// on a lead, it shows the lead as amoCRM has it — its name, its stage (named as `lead show`
/// names it, with its kind as a word) and a custom field's value — and Escape closes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lead_card_opens_from_a_task_on_the_lead_with_its_stage_and_fields() -> anyhow::Result<()> {
    use chrono::{Duration, FixedOffset, Utc};
    let msk = FixedOffset::east_opt(3 * 3600).expect("+3");
    // Two days ahead at noon in Moscow: in a pile whatever the hour the test runs.
    let due = format!("{}T12:00:00+03:00", (Utc::now().with_timezone(&msk) + Duration::days(2)).date_naive());
    let (sim, env) = connected_env().await?;
    let (code, _, err) = env.cli(
        &[
            "lead",
            "add",
            "--name",
            "Sofa for Olga",
            "--price",
            "15000",
            "--field",
            "Город=Kazan",
            "--task",
            "Call Olga back",
            "--task-due",
            &due,
        ],
        None,
    )?;
    assert_eq!(code, 0, "{err}");
    let lead = sim.leads().into_iter().find(|l| l.name == "Sofa for Olga").expect("lead in amoCRM");
    // What the stage is called, as the core names it (the CLI's card of the same lead).
    let (code, out, err) = env.cli(&["lead", "show", &lead.id.to_string(), "--json"], None)?;
    assert_eq!(code, 0, "{err}");
    let shown: serde_json::Value = serde_json::from_str(&out)?;
    let stage = shown["status_name"].as_str().expect("stage named").to_string();

    let w = Window::open(&env).await?;
    w.wait_attr("#status-panel", "data-connected", "true", 20).await?;
    w.click("#nav-tasks").await?;
    w.wait_text_contains("#tasks-list li.task", "Call Olga back", 30).await?;
    w.click("#tasks-list li.task button.task-card").await?;
    w.wait_text("#lead-card-heading", "Sofa for Olga", 30).await?;
    assert_eq!(w.find("#lead-card").await?.attr("data-lead-id").await?, Some(lead.id.to_string()));
    let stage_text = w.text("#lead-card-stage").await?;
    assert!(stage_text.contains(&stage), "{stage_text} names {stage}");
    // The kind as a word in the window's language (English here), never amoCRM's id.
    assert_eq!(w.text("#lead-card-stage .kind").await?, "open", "{stage_text}");
    let fields = w.text("#lead-card-fields").await?;
    assert!(fields.contains("Город") && fields.contains("Kazan"), "{fields}");
    assert!(w.text("#lead-card-tasks").await?.contains("Call Olga back"));
    w.screenshot("26-lead-card.png").await?;

    w.keys(&Key::Escape.to_string()).await?;
    let open = "return document.querySelector('#lead-card') !== null";
    let mut still = true;
    for _ in 0..50 {
        still = w.client.execute(open, vec![]).await?.as_bool().unwrap_or(true);
        if !still {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!still, "Escape closes the card");
    w.find("#tasks-list li.task").await?;
    w.close().await?;
    Ok(())
}

/// Call on a task (issue 21): the task is on a lead whose contact has a phone; Call in My tasks
/// opens the caller's card with that number, exactly as `amo-connect new --phone N` does — the
/// lead form's tab, the card naming the customer found by the number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_on_a_task_opens_the_callers_card_with_the_leads_contact() -> anyhow::Result<()> {
    use chrono::{Duration, FixedOffset, Utc};
    let msk = FixedOffset::east_opt(3 * 3600).expect("+3");
    // Two days ahead at noon in Moscow: in a pile whatever the hour the test runs.
    let due = format!("{}T12:00:00+03:00", (Utc::now().with_timezone(&msk) + Duration::days(2)).date_naive());
    let (_sim, env) = connected_env().await?;
    let (code, _, err) = env.cli(
        &[
            "lead",
            "add",
            "--name",
            "Sofa for Olga",
            "--contact-name",
            "Olga Smirnova",
            "--phone",
            "+7 916 555-01-02",
            "--task",
            "Call Olga back",
            "--task-due",
            &due,
        ],
        None,
    )?;
    assert_eq!(code, 0, "{err}");

    let w = Window::open(&env).await?;
    w.wait_attr("#status-panel", "data-connected", "true", 20).await?;
    w.click("#nav-tasks").await?;
    w.wait_text_contains("#tasks-list li.task", "Call Olga back", 30).await?;
    w.click("#tasks-list li.task button.task-call").await?;
    w.wait_text_contains("#caller-customers", "Olga Smirnova", 30).await?;
    let heading = w.text("#caller-heading").await?;
    assert!(heading.contains("916"), "{heading}");
    assert!(
        w.find("#nav-lead").await?.attr("class").await?.unwrap_or_default().contains("active"),
        "the lead form's tab"
    );
    // The form focuses its first empty field below; the shot shows the card.
    w.client.execute("document.querySelector('#caller-card').scrollIntoView()", vec![]).await?;
    w.screenshot("30-call-from-task.png").await?;
    w.close().await?;
    Ok(())
}

/// Polls `check` every 200 ms for up to 30 s: what the outbox sends in the background.
async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> anyhow::Result<T> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Some(v) = check() {
            return Ok(v);
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "{what} never happened");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Acting in the window (issue 21): a task due today is marked done with a result; a lead's card
/// moves it to "Переговоры" (the stage's required date asked for first), then marks it lost
/// with one of the account's reasons — each seen in the simulator, sent once through the
/// outbox. A colleague changing the price between opening the card and saving one is a
/// conflict: History shows both versions and who changed it, nothing is overwritten until
/// "Send mine".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_is_done_and_a_lead_moved_and_lost_from_the_window_and_a_colleagues_change_is_a_conflict(
) -> anyhow::Result<()> {
    use chrono::{Duration, FixedOffset, Utc};
    let msk = FixedOffset::east_opt(3 * 3600).expect("+3");
    // Today 23:59 in Moscow must still be ahead while the test runs (see the My tasks test).
    let now = Utc::now().with_timezone(&msk);
    let left = 86_400 - i64::from(chrono::Timelike::num_seconds_from_midnight(&now));
    if left < 10 * 60 {
        tokio::time::sleep(std::time::Duration::from_secs(left as u64 + 1)).await;
    }
    let today = format!("{}T23:59:00+03:00", Utc::now().with_timezone(&msk).date_naive());
    let later = format!("{}T12:00:00+03:00", (Utc::now().with_timezone(&msk) + Duration::days(2)).date_naive());
    let (sim, env) = connected_env().await?;
    for (name, task, due) in
        [("Sofa for Olga", "Call Olga back", &today), ("Chairs for Boris", "Send Boris the offer", &later)]
    {
        let (code, _, err) =
            env.cli(&["lead", "add", "--name", name, "--price", "15000", "--task", task, "--task-due", due], None)?;
        assert_eq!(code, 0, "{err}");
    }
    let chairs = sim.leads().into_iter().find(|l| l.name == "Chairs for Boris").expect("lead in amoCRM");

    let w = Window::open(&env).await?;
    w.wait_attr("#status-panel", "data-connected", "true", 20).await?;
    w.click("#nav-tasks").await?;
    w.wait_text_contains("section[data-bucket='today'] li.task", "Call Olga back", 30).await?;

    // Done, with a result.
    let done = "section[data-bucket='today'] li.task";
    w.click(&format!("{done} button.task-done")).await?;
    w.fill(&format!("{done} textarea.task-result"), "Agreed on delivery on Friday").await?;
    w.screenshot("27-task-done.png").await?;
    w.click(&format!("{done} button.task-done-confirm")).await?;
    let task = eventually("the task done in amoCRM", || {
        sim.tasks().into_iter().find(|t| t.text == "Call Olga back" && t.is_completed)
    })
    .await?;
    assert_eq!(task.result_text.as_deref(), Some("Agreed on delivery on Friday"));
    // The list is read again once it is sent: the done task leaves it.
    let mut gone = false;
    for _ in 0..150 {
        if !w.text("#tasks-list").await?.contains("Call Olga back") {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(gone, "the done task left My tasks");

    // The lead card of the other task's lead: move to "Переговоры", which requires the delivery date.
    w.wait_text_contains("#tasks-list li.task", "Send Boris the offer", 30).await?;
    let offer = sim.tasks().into_iter().find(|t| t.text == "Send Boris the offer").expect("task");
    w.click(&format!("#tasks-list li.task[data-task-id='{}'] button.task-card", offer.id)).await?;
    w.wait_text("#lead-card-heading", "Chairs for Boris", 30).await?;
    w.click("#lead-stage option[value='33929755']").await?;
    w.find("#lead-required #cf-701007").await?;
    w.client
        .execute(
            "const d = document.querySelector('#lead-required #cf-701007'); d.value = '2026-12-20'; d.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![],
        )
        .await?;
    w.click("#lead-move").await?;
    w.find("#lead-queued").await?;
    let moved = eventually("the move in amoCRM", || {
        sim.leads().into_iter().find(|l| l.id == chairs.id && l.status_id == 33_929_755)
    })
    .await?;
    assert!(
        moved.custom_fields_values.iter().any(|f| f["field_id"] == 701_007),
        "the required date was sent with the move"
    );
    // The card is read again once the move is in amoCRM.
    w.wait_text_contains("#lead-card-stage", "Переговоры", 30).await?;

    // Lost, with a reason from the account's list.
    let reason = sim.loss_reasons().into_iter().find(|r| r.name == "Дорого").expect("reason");
    w.click("#lead-lost").await?;
    w.click(&format!("#lead-loss-reason option[value='{}']", reason.id)).await?;
    w.screenshot("28-lead-lost.png").await?;
    w.click("#lead-lost-confirm").await?;
    let lost = eventually("the lost lead in amoCRM", || {
        sim.leads().into_iter().find(|l| l.id == chairs.id && l.status_id == 143)
    })
    .await?;
    assert_eq!(lost.loss_reason_id, Some(reason.id));
    w.wait_text_contains("#lead-card-stage .kind", "lost", 30).await?;
    assert!(w.text("#lead-card-loss").await?.contains("Дорого"));

    // A colleague changes the price after the card was read; saving another price waits as a conflict.
    sim.change_lead_as_colleague(chairs.id, serde_json::json!({"price": 20000})).await.map_err(anyhow::Error::msg)?;
    w.click("#lead-edit summary").await?;
    w.fill("#lead-edit-price", "17000").await?;
    w.click("#lead-save").await?;
    w.find("#lead-queued").await?;
    w.keys(&Key::Escape.to_string()).await?;
    w.click("#nav-history").await?;
    w.wait_text_contains(".conflict tbody", "20000", 30).await?;
    let conflict = w.text(".conflict").await?;
    let colleague = sim.users().into_iter().find(|u| u.id == sim.colleague_id()).expect("colleague").name;
    assert!(conflict.contains("17000") && conflict.contains(&colleague), "{conflict}");
    assert_eq!(
        sim.leads().into_iter().find(|l| l.id == chairs.id).map(|l| l.price),
        Some(20000),
        "nothing overwritten"
    );
    w.screenshot("29-conflict.png").await?;

    // Send mine: sent over their version, once.
    w.click(".conflict button.conflict-send-mine").await?;
    eventually("my price in amoCRM", || sim.leads().into_iter().find(|l| l.id == chairs.id && l.price == 17000))
        .await?;
    w.close().await?;
    Ok(())
}
