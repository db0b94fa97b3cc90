//! CLI commands that talk to amoCRM, run in-process against the simulator: pipelines and users,
//! editing and discarding refused entries, retry vs. resume after an API ban, bounce settings.

mod common;

use common::Desk;

#[test]
fn pipelines_and_users_are_listed_with_stage_kinds() {
    let desk = Desk::new(true);
    let r = desk.run(&["pipelines", "--json"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let v: serde_json::Value = serde_json::from_str(&r.out).expect("json");
    let main = &v[0];
    assert_eq!(main["is_main"], true);
    let kinds: Vec<&str> =
        main["statuses"].as_array().expect("stages").iter().filter_map(|s| s["kind"].as_str()).collect();
    assert!(kinds.contains(&"open") && kinds.contains(&"won") && kinds.contains(&"lost"), "{kinds:?}");
    let r = desk.run(&["pipelines"]);
    assert!(r.out.lines().count() > 3 && r.out.contains(" open "), "{}", r.out);
    let r = desk.run(&["users", "--json"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let users: serde_json::Value = serde_json::from_str(&r.out).expect("json");
    assert!(!users.as_array().expect("users").is_empty());
    let r = desk.run(&["users"]);
    assert!(r.out.starts_with("id"), "{}", r.out);
}

#[test]
fn a_refused_entry_is_fixed_with_outbox_edit_or_removed_with_outbox_discard() {
    let desk = Desk::new(true);
    let pipeline = desk.sim.pipelines()[0].clone();
    let (p, open) =
        (pipeline.id.to_string(), pipeline.statuses.iter().find(|s| s.kind == 0 && s.id != 142).expect("open").id);
    // amoCRM refuses an unknown stage: the entry needs attention.
    let r = desk.run(&["lead", "add", "--name", "Wrong stage", "--pipeline", &p, "--status", "999", "--timeout", "10"]);
    assert_eq!(r.code, 1, "{}", r.out);
    assert!(r.err.contains("error[validation]") && r.err.contains("--status"), "{}", r.err);
    let id = desk.run(&["outbox", "--json"]).out;
    let items: serde_json::Value = serde_json::from_str(&id).expect("json");
    let id = items[0]["id"].as_i64().expect("id").to_string();
    // Bad fields are all named, and nothing changes.
    let r = desk.run(&["outbox", "edit", &id, "--field", "colour=red", "--field", "status=first"]);
    assert_eq!(r.code, 1);
    assert!(r.err.contains("--field colour") && r.err.contains("--field status"), "{}", r.err);
    assert_eq!(desk.sim.leads().len(), 0);
    // The fix is sent.
    let r = desk.run(&["outbox", "edit", &id, "--field", &format!("status={open}"), "--timeout", "10"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let lead_id: i64 = r.out.lines().next().expect("id").parse().expect("lead id");
    assert_eq!(desk.sim.leads().iter().filter(|l| l.id == lead_id && l.status_id == open).count(), 1);
    // A sent entry cannot be removed; a refused one can.
    assert!(desk.run(&["outbox", "discard", &id]).err.starts_with("error[entry_not_editable]"));
    desk.run(&["lead", "add", "--name", "Refused again", "--pipeline", &p, "--status", "999", "--timeout", "10"]);
    let items: serde_json::Value = serde_json::from_str(&desk.run(&["outbox", "--json"]).out).expect("json");
    let refused = items[0]["id"].as_i64().expect("id").to_string();
    let r = desk.run(&["outbox", "discard", &refused]);
    assert_eq!((r.code, r.out.trim()), (0, format!("Entry #{refused} removed.").as_str()));
    assert!(desk.run(&["outbox", "discard", "9999"]).err.starts_with("error[not_found]"));
}

#[test]
fn only_outbox_resume_ends_an_api_ban() {
    let desk = Desk::new(true);
    desk.sim.ban();
    let r = desk.run(&["lead", "add", "--name", "During the ban", "--timeout", "3"]);
    assert!(r.err.contains("error[still_queued]"), "{}", r.err);
    let before = desk.sim.stats().banned_requests;
    let r = desk.run(&["outbox", "retry", "--timeout", "2"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let summary: serde_json::Value =
        serde_json::from_str(&desk.run(&["outbox", "--json", "--limit", "1"]).out).expect("json");
    assert_eq!(summary[0]["state"], "queued", "still waiting");
    assert_eq!(desk.sim.stats().banned_requests, before, "a retry sends nothing while banned");
    desk.sim.unban();
    let r = desk.run(&["outbox", "resume", "--timeout", "10"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("Waiting: 0"), "{}", r.out);
    assert_eq!(desk.sim.leads().len(), 1);
}

#[test]
fn bounce_settings_are_set_from_the_command_line_and_bad_values_named() {
    let desk = Desk::new(true);
    assert_eq!(desk.run(&["config", "set", "bounce-via", "deep-link"]).code, 0);
    assert_eq!(desk.run(&["config", "set", "bounce-port", "40000"]).code, 0);
    let v: serde_json::Value = serde_json::from_str(&desk.run(&["config", "show", "--json"]).out).expect("json");
    assert_eq!(
        (v["settings"]["bounce_via"].as_str(), v["settings"]["bounce_port"].as_u64()),
        (Some("deep_link"), Some(40000))
    );
    for (key, bad) in [("bounce-via", "pigeon"), ("bounce-port", "80"), ("bounce-port", "99999")] {
        let r = desk.run(&["config", "set", key, bad]);
        assert_eq!(r.code, 1, "{key} {bad}");
        assert!(
            r.err.starts_with("error[invalid_setting]") && r.err.to_lowercase().contains("bounce page"),
            "{key} {bad}: {}",
            r.err
        );
    }
}

#[test]
fn outbox_run_until_empty_sends_what_waits_and_says_so_when_it_cannot() {
    let desk = Desk::new(true);
    // Queued without waiting (as a window closed before sending would leave them).
    for name in ["Headless 1", "Headless 2"] {
        assert_eq!(desk.run(&["lead", "add", "--name", name, "--no-wait"]).code, 0);
    }
    assert!(desk.sim.leads().is_empty());
    let r = desk.run(&["outbox", "run", "--until-empty", "--timeout", "30"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.out.lines().last().unwrap_or_default().starts_with("Waiting: 0, needing attention: 0, sent: 2"),
        "{}",
        r.out
    );
    assert_eq!(desk.sim.leads().len(), 2);
    // amoCRM banned the account: nothing can go; the command gives up at its timeout, exit 1.
    desk.sim.ban();
    assert_eq!(desk.run(&["lead", "add", "--name", "Banned", "--no-wait"]).code, 0);
    let r = desk.run(&["outbox", "run", "--until-empty", "--timeout", "2"]);
    assert_eq!(r.code, 1, "{}", r.out);
    assert!(r.err.starts_with("error[still_queued]: Entry #3"), "{}", r.err);
    assert_eq!(desk.sim.leads().len(), 2);
}

#[test]
fn fields_are_listed_and_lead_add_takes_them_by_id_code_or_name_naming_what_it_refuses() {
    let desk = Desk::new(true);
    let r = desk.run(&["fields", "--json"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let fields: serde_json::Value = serde_json::from_str(&r.out).expect("json");
    let source = fields.as_array().expect("list").iter().find(|f| f["code"] == "SOURCE").expect("source");
    assert_eq!(source["type"], "select");
    assert_eq!(source["enums"].as_array().map(Vec::len), Some(3));
    let date = fields.as_array().expect("list").iter().find(|f| f["name"] == "Дата доставки").expect("date");
    assert_eq!(date["required_statuses"][0]["status_id"], 33_929_755);
    let r = desk.run(&["fields"]);
    assert!(r.out.contains("701007") && r.out.contains("required in stage 33929755 of pipeline 3383152"), "{}", r.out);
    let r = desk.run(&["fields", "--entity", "contacts", "--json"]);
    let contacts: serde_json::Value = serde_json::from_str(&r.out).expect("json");
    assert!(contacts.as_array().expect("list").iter().any(|f| f["code"] == "PHONE" && f["type"] == "multitext"));

    // By code, by name (any case) and by id; choices by text; a date in the account's zone.
    let r = desk.run(&[
        "lead",
        "add",
        "--name",
        "Sofa",
        "--pipeline",
        "3383152",
        "--status",
        "33929755",
        "--field",
        "source=Звонок",
        "--field",
        "дата доставки=2026-12-01",
        "--field",
        "701006=да",
        "--field",
        "Опции=Доставка|Сборка",
        "--timeout",
        "20",
    ]);
    assert_eq!(r.code, 0, "{}", r.err);
    let lead = desk.sim.leads().into_iter().find(|l| l.name == "Sofa").expect("in amoCRM");
    assert_eq!(r.out.lines().next(), Some(lead.id.to_string().as_str()));
    assert_eq!(lead.custom_fields_values.len(), 4);

    // Refusals name the flag and the field; nothing is queued.
    let before = desk.sim.leads().len();
    let r = desk.run(&[
        "lead",
        "add",
        "--name",
        "Chair",
        "--pipeline",
        "3383152",
        "--status",
        "33929755",
        "--field",
        "source=Telegram",
        "--no-wait",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.err.starts_with("error[validation]: "), "{}", r.err);
    assert!(r.err.contains("--field Источник: "), "{}", r.err);
    assert!(r.err.contains("--field Дата доставки: required for the chosen stage"), "{}", r.err);
    let r = desk.run(&["lead", "add", "--name", "Chair", "--field", "colour=red", "--field", "city", "--no-wait"]);
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("--field colour: the account has no such field") && r.err.contains("--field city:"),
        "{}",
        r.err
    );
    assert_eq!(desk.run(&["outbox", "--json"]).out.matches("\"id\"").count(), 1, "only the sofa was ever queued");
    assert_eq!(desk.sim.leads().len(), before);
}

#[test]
fn a_caller_who_gave_only_a_number_becomes_a_contact_named_by_it() {
    let desk = Desk::new(true);
    let r = desk.run(&[
        "lead",
        "add",
        "--name",
        "Call at 10:05",
        "--phone",
        "8\u{a0}912\u{202f}555-00-11",
        "--timeout",
        "20",
    ]);
    assert_eq!(r.code, 0, "{}", r.err);
    let c = desk.sim.contacts().into_iter().find(|c| c.phones == ["+79125550011"]).expect("contact");
    assert_eq!(c.name, "+79125550011", "amoCRM needs a name: the number");
}

#[test]
fn contact_find_shows_the_existing_customer_with_open_leads_and_nothing_found_is_exit_0() {
    let desk = Desk::new(true);
    desk.sim.seed_contact("Olga", "Smirnova", Some("+79165550102"), Some("olga@example.com"));
    let r = desk.run(&[
        "lead",
        "add",
        "--name",
        "Sofa for Olga",
        "--phone",
        "+7 916 555-01-02",
        "--contact-name",
        "Olga Smirnova",
        "--timeout",
        "20",
    ]);
    assert_eq!(r.code, 0, "{}", r.err);
    // The lead was made with a new contact (duplicate control is off): attach it to the seeded
    // one instead, through the window's path — here by looking the customer up first.
    let r = desk.run(&["contact", "find", "8 (916) 555-01-02", "--json"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let found: serde_json::Value = serde_json::from_str(&r.out).expect("json");
    assert_eq!(found["copy_age_secs"], serde_json::Value::Null, "no copy yet: amoCRM answered");
    let list = found["customers"].as_array().expect("list");
    assert_eq!(list.len(), 2, "the seeded contact and the one made with the lead: {}", r.out);
    let with_lead =
        list.iter().find(|c| !c["open_leads"].as_array().expect("leads").is_empty()).expect("one has a lead");
    assert_eq!(with_lead["open_leads"][0]["name"], "Sofa for Olga");
    let _ = desk.run(&["pipelines"]); // caches the account's stage and user names
    let r = desk.run(&["contact", "find", "olga@example.com"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("Olga Smirnova") && r.out.contains("olga@example.com"), "{}", r.out);
    let r = desk.run(&["contact", "find", "+79165550102"]);
    assert!(
        r.out.contains("Sofa for Olga")
            && r.out.contains("[Воронка · Первичный контакт]")
            && r.out.contains("Анна Смирнова"),
        "{}",
        r.out
    );
    let r = desk.run(&["contact", "find", "+7 999 000-00-00", "--json"]);
    assert_eq!(r.code, 0);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&r.out).expect("json")["customers"], serde_json::json!([]));
    let r = desk.run(&["contact", "find", "nobody@example.com"]);
    assert_eq!(r.code, 0);
    assert!(r.out.starts_with("No such customer"), "{}", r.out);
}

#[test]
fn lead_add_takes_a_company_and_a_task_and_lead_note_and_lead_task_add_to_an_existing_lead() {
    let desk = Desk::new(true);
    let _ = desk.run(&["pipelines"]); // the account's zone and task types, as a form would have them
    let r = desk.run(&[
        "lead",
        "add",
        "--name",
        "Chairs for the office",
        "--contact-name",
        "Irina",
        "--phone",
        "+7 916 555-01-03:MOB",
        "--phone",
        "+7 495 000-00-03",
        "--email",
        "irina@example.com:PRIV",
        "--contact-field",
        "POSITION=Закупщик",
        "--company",
        "Romashka LLC",
        "--company-field",
        "WEB=https://romashka.example",
        "--note",
        "Wants 12 chairs",
        "--task",
        "Call back",
        "--task-due",
        "tomorrow 10:00",
        "--task-type",
        "Встреча",
        "--timeout",
        "20",
    ]);
    assert_eq!(r.code, 0, "{}", r.err);
    let lead = desk.sim.leads().into_iter().find(|l| l.name == "Chairs for the office").expect("lead");
    assert_eq!(r.out.lines().next(), Some(lead.id.to_string().as_str()), "the lead id first: {}", r.out);
    let contact = desk.sim.contacts().into_iter().find(|c| c.first_name == "Irina").expect("contact");
    assert_eq!(contact.phones, ["+79165550103", "+74950000003"]);
    assert_eq!(
        (contact.phone_types, contact.email_types),
        (vec!["MOB".to_string(), "WORK".into()], vec!["PRIV".to_string()])
    );
    let company = desk.sim.companies().into_iter().find(|c| c.name == "Romashka LLC").expect("company");
    assert_eq!(lead.company_id, Some(company.id));
    assert!(
        company.custom_fields_values.iter().any(|f| f["field_id"] == 703_003),
        "{:?}",
        company.custom_fields_values
    );
    let task = desk.sim.tasks().into_iter().find(|t| t.entity_id == Some(lead.id)).expect("task");
    assert_eq!((task.text.as_str(), task.task_type_id), ("Call back", 2), "the type found by its name");

    // On the existing lead: a note (with a task), then a task alone.
    let id = lead.id.to_string();
    let r = desk.run(&["lead", "note", &id, "--text", "Called again", "--timeout", "20"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let r = desk.run(&["lead", "task", &id, "--task", "Send the offer", "--task-due", "+1h", "--timeout", "20"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(desk.sim.leads().len(), 1, "no new lead");
    assert_eq!(desk.sim.notes().iter().filter(|n| n.entity_id == lead.id).count(), 2);
    assert_eq!(desk.sim.tasks().iter().filter(|t| t.entity_id == Some(lead.id)).count(), 2);

    // Refusals name the flag, exit non-zero, queue nothing.
    let before = desk.sim.stats().api_requests;
    let r = desk.run(&["lead", "task", &id, "--task", "x", "--task-due", "soon"]);
    assert_ne!(r.code, 0);
    assert!(r.err.contains("--task-due"), "{}", r.err);
    let r = desk.run(&["lead", "add", "--name", "x", "--task", "x", "--task-due", "+1h", "--task-type", "Нет такого"]);
    assert_ne!(r.code, 0);
    assert!(r.err.contains("--task-type Нет такого"), "{}", r.err);
    let r = desk.run(&["lead", "add", "--name", "x", "--company", "A", "--company-id", "5"]);
    assert_ne!(r.code, 0, "either a new company or an existing one");
    assert_eq!(desk.sim.stats().api_requests, before, "nothing sent");
    let r = desk.run(&["outbox", "--json"]);
    let items: serde_json::Value = serde_json::from_str(&r.out).expect("json");
    assert!(items.as_array().expect("list").iter().all(|i| i["state"] == "sent"), "nothing queued: {}", r.out);
}

#[test]
fn contact_add_puts_the_contact_in_a_new_or_an_existing_company() {
    let desk = Desk::new(true);
    let _ = desk.run(&["fields", "--entity", "companies"]); // the account's company fields, cached
    let r = desk.run(&[
        "contact",
        "add",
        "--name",
        "Olga Petrova",
        "--phone",
        "+7 916 555-01-09",
        "--company",
        "Lutik LLC",
        "--company-field",
        "WEB=https://lutik.example",
        "--timeout",
        "20",
    ]);
    assert_eq!(r.code, 0, "{}", r.err);
    let contact = desk.sim.contacts().into_iter().find(|c| c.first_name == "Olga").expect("contact");
    assert_eq!(r.out.lines().next(), Some(contact.id.to_string().as_str()), "the contact id first: {}", r.out);
    let company = desk.sim.companies().into_iter().find(|c| c.name == "Lutik LLC").expect("company");
    assert_eq!(contact.company_id, Some(company.id), "in its new company");
    assert!(
        company.custom_fields_values.iter().any(|f| f["field_id"] == 703_003),
        "{:?}",
        company.custom_fields_values
    );

    let existing = desk.sim.seed_company("Horns and Hooves");
    let r = desk.run(&["contact", "add", "--name", "Petr", "--company-id", &existing.to_string(), "--timeout", "20"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let petr = desk.sim.contacts().into_iter().find(|c| c.first_name == "Petr").expect("contact");
    assert_eq!(petr.company_id, Some(existing));
    assert_eq!(desk.sim.companies().len(), 2, "no company made for a picked one");

    // A company amoCRM does not have: the contact is there, the CLI says so and how to fix the
    // rest; `outbox edit` puts it in the right company without a second contact.
    let r = desk.run(&["contact", "add", "--name", "Ivan", "--company-id", "999999", "--timeout", "20"]);
    assert_ne!(r.code, 0);
    assert!(r.err.contains("--company-id") && r.err.contains("Part of it is already in amoCRM"), "{}", r.err);
    let entry = r.err.split('#').nth(1).and_then(|t| t.split_whitespace().next()).expect("the entry's number");
    // `outbox` shows what of it reached amoCRM and what was refused.
    let ivan = desk.sim.contacts().into_iter().find(|c| c.first_name == "Ivan").expect("contact");
    let listed = desk.run(&["outbox"]);
    assert!(
        listed.out.contains(&format!("contact: in amoCRM {} · contact put in its company: refused by amoCRM", ivan.id)),
        "{}",
        listed.out
    );
    // Only what has not reached amoCRM can change: the contact is locked, named.
    let r = desk.run(&["outbox", "edit", entry, "--field", "name=Ivan Other", "--no-wait"]);
    assert_ne!(r.code, 0);
    assert!(r.err.contains("its contact may already be there"), "{}", r.err);
    let r = desk.run(&["outbox", "edit", entry, "--field", &format!("company-id={existing}"), "--timeout", "20"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let ivan: Vec<_> = desk.sim.contacts().into_iter().filter(|c| c.first_name == "Ivan").collect();
    assert_eq!((ivan.len(), ivan[0].company_id), (1, Some(existing)));

    // Refusals name the flag, exit non-zero, queue nothing.
    let before = desk.sim.stats().api_requests;
    let r = desk.run(&["contact", "add", "--name", "x", "--company", "A", "--company-id", "5"]);
    assert_ne!(r.code, 0, "either a new company or an existing one");
    let r = desk.run(&["contact", "add", "--name", "x", "--company-field", "WEB=https://x.example"]);
    assert_ne!(r.code, 0, "a company field needs --company");
    assert!(r.err.contains("--company"), "{}", r.err);
    let r = desk.run(&["contact", "add", "--name", "x", "--company", "A", "--company-field", "Нет такого=1"]);
    assert_ne!(r.code, 0);
    assert!(r.err.contains("--company-field"), "{}", r.err);
    let r = desk.run(&["contact", "add", "--name", "x", "--company-id", "0"]);
    assert_ne!(r.code, 0);
    assert!(r.err.contains("--company-id"), "{}", r.err);
    assert_eq!(desk.sim.stats().api_requests, before, "nothing sent");
}

#[test]
fn sync_fills_the_copy_contact_find_answers_offline_call_log_logs_one_call_per_uniq_and_duplicates_are_refused() {
    let desk = Desk::new(true);
    let olga = desk.sim.seed_contact("Olga", "Smirnova", Some("+79165550102"), None);
    desk.sim.seed_contacts(300, 9_200_000_000);
    let r = desk.run(&["sync", "status"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("Not filled yet"), "{}", r.out);
    let r = desk.run(&["sync", "--json"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let report: serde_json::Value = serde_json::from_str(&r.out).expect("json");
    assert_eq!((report["full"].as_bool(), report["status"]["contacts"].as_i64()), (Some(true), Some(301)));
    let r = desk.run(&["sync", "status", "--json"]);
    let status: serde_json::Value = serde_json::from_str(&r.out).expect("json");
    assert!(status["fresh_at"].is_i64() && status["bytes"].as_i64() > Some(0), "{status}");

    // From the copy alone: the number however it is written, and it says it is the copy.
    let r = desk.run(&["contact", "find", "8 (916) 555-01-02", "--offline"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("Olga Smirnova") && r.out.contains("from this computer's copy"), "{}", r.out);
    assert!(!r.out.contains("did not answer"), "--offline never asked amoCRM: {}", r.out);
    let r = desk.run(&["contact", "find", "9165550102", "--offline", "--json"]);
    let found: serde_json::Value = serde_json::from_str(&r.out).expect("json");
    assert_eq!(found["customers"][0]["id"].as_i64(), Some(olga));
    // A customer's open lead is named by its pipeline and stage, also offline: `sync` keeps the
    // account's shape on this computer with the copy (no id pairs a person cannot read).
    let r = desk.run(&["contact", "find", "+7 920 000-00-09", "--offline"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let main = desk.sim.pipelines().into_iter().find(|p| p.is_main).expect("main pipeline");
    assert!(r.out.contains(&format!("{} · ", main.name)), "stage named: {}", r.out);

    // The softphone's hook runs twice for one call: one call in amoCRM.
    let log = [
        "call",
        "log",
        "--phone",
        "8 916 555 01 02",
        "--direction",
        "in",
        "--duration",
        "42",
        "--status",
        "talked",
        "--uniq",
        "sip-77",
    ];
    let first = desk.run(&log);
    assert_eq!(first.code, 0, "{}", first.err);
    assert_eq!(first.out.lines().next(), Some(olga.to_string().as_str()), "the contact it landed on: {}", first.out);
    let again = desk.run(&log);
    assert_eq!(again.code, 0, "{}", again.err);
    assert!(again.err.contains("not logged twice"), "{}", again.err);
    assert_eq!(desk.sim.calls().iter().filter(|n| n.uniq() == Some("sip-77")).count(), 1);

    // Bad input names the option.
    let r = desk.run(&["call", "log", "--phone", "12", "--direction", "out", "--duration=-5"]);
    assert_ne!(r.code, 0);
    assert!(r.err.contains("--phone") && r.err.contains("--duration:"), "{}", r.err);
    assert!(!r.err.contains("duration_secs"), "{}", r.err);

    // No silent duplicates: the existing contact is named; the user chooses.
    let r = desk.run(&["contact", "add", "--name", "Olga Two", "--phone", "+7 916 555 01 02", "--no-wait"]);
    assert_ne!(r.code, 0);
    assert!(r.err.contains("--phone #1") && r.err.contains(&format!("Olga Smirnova (#{olga})")), "{}", r.err);
    assert!(r.err.contains("--allow-duplicate"), "the way to choose is named: {}", r.err);
    let r = desk.run(&["lead", "add", "--name", "Sofa", "--phone", "89165550102", "--no-wait"]);
    assert!(r.code != 0 && r.err.contains("Olga Smirnova"), "{}", r.err);
    let r = desk.run(&["lead", "add", "--name", "Sofa", "--contact-id", &olga.to_string(), "--no-wait"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let r = desk.run(&[
        "contact",
        "add",
        "--name",
        "Olga Two",
        "--phone",
        "+7 916 555 01 02",
        "--allow-duplicate",
        "--no-wait",
    ]);
    assert_eq!(r.code, 0, "{}", r.err);

    let r = desk.run(&["sync", "off"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let r = desk.run(&["contact", "find", "9165550102", "--offline"]);
    assert_ne!(r.code, 0);
    assert!(r.err.contains("turned off"), "{}", r.err);
}
