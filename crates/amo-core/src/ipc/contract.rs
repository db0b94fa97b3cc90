// The window's commands and events, declared once.
//
// This file holds only the two lists. It is read three times, each reader passing its own macro
// that receives the list:
// - `amo-core` (`ipc/mod.rs`): exports the TypeScript contract `ui/src/lib/ipc/contract.ts`;
// - `src-tauri/build.rs`: the command names for the ACL (capabilities);
// - `src-tauri/src/commands.rs`: the `#[tauri::command]` wrappers and the invoke handler, which
//   call `handlers::<name>` with exactly these argument and result types.
// So a renamed command, argument or result type breaks the Rust build and the UI's type check.
//
// Commands fail with an `ErrorPayload`. Argument names are sent as written (snake_case).

macro_rules! for_each_command {
    ($m:ident) => {
        $m! {
            /// The status panel's facts.
            status() -> StatusView;
            /// The Settings form (the Secret key only as set / not set).
            settings_view() -> SettingsView;
            /// Saves Settings; the Secret key goes to the keychain.
            save_settings(patch: SettingsPatch) -> SettingsView;
            /// Starts a sign-in: listener (if the Redirect URI needs one), browser, authorize URL.
            start_connect() -> ConnectStarted;
            /// Stops waiting for amoCRM; whether a sign-in was waiting.
            cancel_connect() -> bool;
            /// Connects with a code from the integration's Keys tab.
            connect_with_code(code: String, domain: String) -> StatusView;
            /// Connects with a long-lived token (never sent back to the UI).
            connect_with_long_lived_token(token: String, domain: String) -> StatusView;
            /// Removes the tokens and the account; the account's waiting entries are kept for it
            /// (sent only to it, when it is connected again) unless `discard_pending`.
            disconnect(discard_pending: bool) -> StatusView;
            /// Removes expired sign-in states; how many.
            cleanup_states() -> u32;
            /// Refreshes the tokens now and re-reads the account.
            refresh_now() -> StatusView;
            /// Pipelines, stages and users: the cache when fresh (unless `refresh`).
            reference_data(refresh: bool) -> ReferenceData;
            /// Existing contacts with this phone or e-mail (re-checked).
            find_duplicates(phone: String, email: String) -> Vec<ContactMatch>;
            /// Customers with this phone, e-mail or name: from this computer's copy at once,
            /// confirmed with amoCRM unless `offline` (without a copy, amoCRM's search).
            find_customer(query: String, offline: bool) -> CustomerLookup;
            /// The copy of the account's people: its size and freshness.
            people_status() -> CopyStatus;
            /// Brings the copy up to date now (`full`: reads the whole account again).
            sync_people(full: bool) -> SyncReport;
            /// Keeps a copy, or stops and wipes it.
            set_people_copy(on: bool) -> CopyStatus;
            /// Queues a call to log in amoCRM (once per call id).
            log_call(draft: CallDraft) -> OutboxItem;
            /// Leads and contacts amoCRM finds for a name, phone or e-mail.
            search_amocrm(query: String) -> SearchResults;
            /// The newest leads in amoCRM (at most 250).
            list_leads(limit: u32) -> Vec<LeadSummary>;
            /// Opens a lead or contact of the connected account in amoCRM; whether a browser opened.
            open_amocrm_record(kind: RecordKind, id: i64) -> bool;
            /// The open tasks of the connected user (everyone's with `all`), soonest first, each in
            /// its pile (overdue, today, tomorrow, this week, later) by the account's time zone.
            my_tasks(all: bool) -> TaskList;
            /// The card of one lead: stage and its kind, price, responsible, loss reason, tags,
            /// custom fields, contacts, newest notes and open tasks, named by the account's data.
            lead_card(id: i64) -> LeadCard;
            /// The number a task's customer is called on ("Call" on a task): a contact's or
            /// company's first phone, or a lead's first contact's; null when none has one.
            customer_phone(kind: RecordKind, id: i64) -> Option<String>;
            /// The account's reasons a lead is lost, in amoCRM's order (the card's "Lost").
            loss_reasons() -> Vec<LossReason>;
            /// Checks and queues a change of a task amoCRM has: done with a result, moved, edited.
            queue_task_change(draft: TaskChangeDraft) -> OutboxItem;
            /// Checks and queues a change of a lead amoCRM has: stage, won, lost with a reason,
            /// price, name, responsible user, tags, custom fields.
            queue_lead_change(draft: LeadChangeDraft) -> OutboxItem;
            /// Checks and queues a lead.
            queue_lead(draft: LeadDraft) -> OutboxItem;
            /// Checks and queues a contact.
            queue_contact(draft: ContactDraft) -> OutboxItem;
            /// Checks and queues a note and/or task for a lead that exists in amoCRM.
            queue_followup(draft: FollowupDraft) -> OutboxItem;
            /// Companies amoCRM finds for a name (the company field's suggestions).
            search_companies(query: String) -> Vec<CompanyMatch>;
            /// Saves how this computer shows the connected account's custom fields in a form.
            save_form_layout(entity: FormEntity, layout: FormLayout) -> FormLayout;
            /// The history, newest first.
            outbox_list(limit: u32) -> Vec<OutboxItem>;
            /// The banner's counts.
            outbox_summary() -> OutboxSummary;
            /// Sends waiting entries (or one entry) now; how many. A ban stays.
            outbox_retry(id: Option<i64>) -> u32;
            /// amoCRM support lifted the API block: sending starts again; how many are due.
            outbox_resume() -> u32;
            /// Saves an edited entry and queues it again.
            outbox_update(id: i64, draft: Draft) -> OutboxItem;
            /// Removes an entry needing attention ("keep theirs" on a conflict).
            outbox_discard(id: i64) -> ();
            /// "Send mine" on a change that met somebody else's: sent over exactly their version.
            outbox_send_mine(id: i64) -> OutboxItem;
            /// Opens a sent entry in amoCRM (the URL is built in Rust); whether a browser opened.
            open_in_amocrm(id: i64) -> bool;
            /// Looks for a newer signed version.
            check_for_update() -> UpdateCheck;
            /// This version and the update the last check found.
            update_status() -> UpdateStatus;
            /// Installs the update the last check found and restarts; returns only on failure.
            install_update() -> ();
            /// What the window was started to show (`amo-connect new …`), once; later requests
            /// arrive as `open-requested`.
            take_open_request() -> Option<OpenRequest>;
            /// Why the last sign-in link was refused (or, before the window first asked, why the
            /// sign-in it finished failed), once; later ones also arrive as `link-refused`.
            take_link_problem() -> Option<ErrorPayload>;
            /// Quits although entries still wait (the user confirmed `quit-requested`).
            quit_app() -> ();
            /// Tray, autostart and the quick-entry shortcut as they are on this desktop.
            desktop_view() -> DesktopView;
            /// Starts the app with the computer (hidden in the tray), or stops that; answers the
            /// offer either way.
            set_autostart(on: bool) -> DesktopView;
            /// "Not now" to the autostart offer: it is not shown again.
            dismiss_autostart_offer() -> DesktopView;
            /// Registers the quick-entry shortcut ("" turns it off) and saves it; refused with
            /// the shortcut named when it is malformed or another program holds it.
            set_quick_entry_shortcut(shortcut: String) -> DesktopView;
        }
    };
}

macro_rules! for_each_event {
    ($m:ident) => {
        $m! {
            /// The connection changed (connected, refreshed, disconnected).
            status_changed = "status-changed": StatusView;
            /// A sign-in ended, however it ended.
            connect_finished = "connect-finished": ConnectOutcome;
            /// An `amoconnect://` sign-in link was refused (not ours, forged, used, expired, or
            /// amoCRM's error): why, to show.
            link_refused = "link-refused": ErrorPayload;
            /// The outbox changed.
            outbox_changed = "outbox-changed": OutboxSummary;
            /// The copy of the account's people changed (a sync's page, its end, a wipe).
            people_changed = "people-changed": CopyStatus;
            /// The check at start found a newer version.
            update_available = "update-available": UpdateOffer;
            /// Check for updates… in macOS's app menu.
            update_check_requested = "update-check-requested": ();
            /// Download progress of an update.
            update_progress = "update-progress": UpdateProgress;
            /// Show a screen: the tray's menu, or `amo-connect new` run while the window is open.
            open_requested = "open-requested": OpenRequest;
            /// Quit was chosen in the tray while this many entries still wait: ask first.
            quit_requested = "quit-requested": u32;
        }
    };
}
