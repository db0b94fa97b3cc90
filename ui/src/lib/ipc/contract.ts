// Generated from crates/amo-core/src/ipc/contract.rs by the core's tests
// (`cargo test -p amo-core ipc`). Do not edit: change the contract and rerun.
import type { CallDraft } from '../bindings/CallDraft';
import type { CompanyMatch } from '../bindings/CompanyMatch';
import type { ConnectOutcome } from '../bindings/ConnectOutcome';
import type { ConnectStarted } from '../bindings/ConnectStarted';
import type { ContactDraft } from '../bindings/ContactDraft';
import type { ContactMatch } from '../bindings/ContactMatch';
import type { CopyStatus } from '../bindings/CopyStatus';
import type { CustomerLookup } from '../bindings/CustomerLookup';
import type { DesktopView } from '../bindings/DesktopView';
import type { Draft } from '../bindings/Draft';
import type { ErrorPayload } from '../bindings/ErrorPayload';
import type { FollowupDraft } from '../bindings/FollowupDraft';
import type { FormEntity } from '../bindings/FormEntity';
import type { FormLayout } from '../bindings/FormLayout';
import type { LeadCard } from '../bindings/LeadCard';
import type { LeadChangeDraft } from '../bindings/LeadChangeDraft';
import type { LeadDraft } from '../bindings/LeadDraft';
import type { LeadSummary } from '../bindings/LeadSummary';
import type { LossReason } from '../bindings/LossReason';
import type { OpenRequest } from '../bindings/OpenRequest';
import type { OutboxItem } from '../bindings/OutboxItem';
import type { OutboxSummary } from '../bindings/OutboxSummary';
import type { RecordKind } from '../bindings/RecordKind';
import type { ReferenceData } from '../bindings/ReferenceData';
import type { SearchResults } from '../bindings/SearchResults';
import type { SettingsPatch } from '../bindings/SettingsPatch';
import type { SettingsView } from '../bindings/SettingsView';
import type { StatusView } from '../bindings/StatusView';
import type { SyncReport } from '../bindings/SyncReport';
import type { TaskChangeDraft } from '../bindings/TaskChangeDraft';
import type { TaskList } from '../bindings/TaskList';
import type { UpdateCheck } from '../bindings/UpdateCheck';
import type { UpdateOffer } from '../bindings/UpdateOffer';
import type { UpdateProgress } from '../bindings/UpdateProgress';
import type { UpdateStatus } from '../bindings/UpdateStatus';

/** Every command: its arguments and what it resolves to (it rejects with an ErrorPayload). */
export interface Commands {
  /** The status panel's facts. */
  status: { args: Record<string, never>; result: StatusView };
  /** The Settings form (the Secret key only as set / not set). */
  settings_view: { args: Record<string, never>; result: SettingsView };
  /** Saves Settings; the Secret key goes to the keychain. */
  save_settings: { args: { patch: SettingsPatch }; result: SettingsView };
  /** Starts a sign-in: listener (if the Redirect URI needs one), browser, authorize URL. */
  start_connect: { args: Record<string, never>; result: ConnectStarted };
  /** Stops waiting for amoCRM; whether a sign-in was waiting. */
  cancel_connect: { args: Record<string, never>; result: boolean };
  /** Connects with a code from the integration's Keys tab. */
  connect_with_code: { args: { code: string; domain: string }; result: StatusView };
  /** Connects with a long-lived token (never sent back to the UI). */
  connect_with_long_lived_token: { args: { token: string; domain: string }; result: StatusView };
  /** Removes the tokens and the account; the account's waiting entries are kept for it (sent only to it, when it is connected again) unless `discard_pending`. */
  disconnect: { args: { discard_pending: boolean }; result: StatusView };
  /** Removes expired sign-in states; how many. */
  cleanup_states: { args: Record<string, never>; result: number };
  /** Refreshes the tokens now and re-reads the account. */
  refresh_now: { args: Record<string, never>; result: StatusView };
  /** Pipelines, stages and users: the cache when fresh (unless `refresh`). */
  reference_data: { args: { refresh: boolean }; result: ReferenceData };
  /** Existing contacts with this phone or e-mail (re-checked). */
  find_duplicates: { args: { phone: string; email: string }; result: Array<ContactMatch> };
  /** Customers with this phone, e-mail or name: from this computer's copy at once, confirmed with amoCRM unless `offline` (without a copy, amoCRM's search). */
  find_customer: { args: { query: string; offline: boolean }; result: CustomerLookup };
  /** The copy of the account's people: its size and freshness. */
  people_status: { args: Record<string, never>; result: CopyStatus };
  /** Brings the copy up to date now (`full`: reads the whole account again). */
  sync_people: { args: { full: boolean }; result: SyncReport };
  /** Keeps a copy, or stops and wipes it. */
  set_people_copy: { args: { on: boolean }; result: CopyStatus };
  /** Queues a call to log in amoCRM (once per call id). */
  log_call: { args: { draft: CallDraft }; result: OutboxItem };
  /** Leads and contacts amoCRM finds for a name, phone or e-mail. */
  search_amocrm: { args: { query: string }; result: SearchResults };
  /** The newest leads in amoCRM (at most 250). */
  list_leads: { args: { limit: number }; result: Array<LeadSummary> };
  /** Opens a lead or contact of the connected account in amoCRM; whether a browser opened. */
  open_amocrm_record: { args: { kind: RecordKind; id: number }; result: boolean };
  /** The open tasks of the connected user (everyone's with `all`), soonest first, each in its pile (overdue, today, tomorrow, this week, later) by the account's time zone. */
  my_tasks: { args: { all: boolean }; result: TaskList };
  /** The card of one lead: stage and its kind, price, responsible, loss reason, tags, custom fields, contacts, newest notes and open tasks, named by the account's data. */
  lead_card: { args: { id: number }; result: LeadCard };
  /** The number a task's customer is called on ("Call" on a task): a contact's or company's first phone, or a lead's first contact's; null when none has one. */
  customer_phone: { args: { kind: RecordKind; id: number }; result: string | null };
  /** The account's reasons a lead is lost, in amoCRM's order (the card's "Lost"). */
  loss_reasons: { args: Record<string, never>; result: Array<LossReason> };
  /** Checks and queues a change of a task amoCRM has: done with a result, moved, edited. */
  queue_task_change: { args: { draft: TaskChangeDraft }; result: OutboxItem };
  /** Checks and queues a change of a lead amoCRM has: stage, won, lost with a reason, price, name, responsible user, tags, custom fields. */
  queue_lead_change: { args: { draft: LeadChangeDraft }; result: OutboxItem };
  /** Checks and queues a lead. */
  queue_lead: { args: { draft: LeadDraft }; result: OutboxItem };
  /** Checks and queues a contact. */
  queue_contact: { args: { draft: ContactDraft }; result: OutboxItem };
  /** Checks and queues a note and/or task for a lead that exists in amoCRM. */
  queue_followup: { args: { draft: FollowupDraft }; result: OutboxItem };
  /** Companies amoCRM finds for a name (the company field's suggestions). */
  search_companies: { args: { query: string }; result: Array<CompanyMatch> };
  /** Saves how this computer shows the connected account's custom fields in a form. */
  save_form_layout: { args: { entity: FormEntity; layout: FormLayout }; result: FormLayout };
  /** The history, newest first. */
  outbox_list: { args: { limit: number }; result: Array<OutboxItem> };
  /** The banner's counts. */
  outbox_summary: { args: Record<string, never>; result: OutboxSummary };
  /** Sends waiting entries (or one entry) now; how many. A ban stays. */
  outbox_retry: { args: { id: number | null }; result: number };
  /** amoCRM support lifted the API block: sending starts again; how many are due. */
  outbox_resume: { args: Record<string, never>; result: number };
  /** Saves an edited entry and queues it again. */
  outbox_update: { args: { id: number; draft: Draft }; result: OutboxItem };
  /** Removes an entry needing attention ("keep theirs" on a conflict). */
  outbox_discard: { args: { id: number }; result: null };
  /** "Send mine" on a change that met somebody else's: sent over exactly their version. */
  outbox_send_mine: { args: { id: number }; result: OutboxItem };
  /** Opens a sent entry in amoCRM (the URL is built in Rust); whether a browser opened. */
  open_in_amocrm: { args: { id: number }; result: boolean };
  /** Looks for a newer signed version. */
  check_for_update: { args: Record<string, never>; result: UpdateCheck };
  /** This version and the update the last check found. */
  update_status: { args: Record<string, never>; result: UpdateStatus };
  /** Installs the update the last check found and restarts; returns only on failure. */
  install_update: { args: Record<string, never>; result: null };
  /** What the window was started to show (`amo-connect new …`), once; later requests arrive as `open-requested`. */
  take_open_request: { args: Record<string, never>; result: OpenRequest | null };
  /** Why the last sign-in link was refused (or, before the window first asked, why the sign-in it finished failed), once; later ones also arrive as `link-refused`. */
  take_link_problem: { args: Record<string, never>; result: ErrorPayload | null };
  /** Quits although entries still wait (the user confirmed `quit-requested`). */
  quit_app: { args: Record<string, never>; result: null };
  /** Tray, autostart and the quick-entry shortcut as they are on this desktop. */
  desktop_view: { args: Record<string, never>; result: DesktopView };
  /** Starts the app with the computer (hidden in the tray), or stops that; answers the offer either way. */
  set_autostart: { args: { on: boolean }; result: DesktopView };
  /** "Not now" to the autostart offer: it is not shown again. */
  dismiss_autostart_offer: { args: Record<string, never>; result: DesktopView };
  /** Registers the quick-entry shortcut ("" turns it off) and saves it; refused with the shortcut named when it is malformed or another program holds it. */
  set_quick_entry_shortcut: { args: { shortcut: string }; result: DesktopView };
}

export type CommandName = keyof Commands;

/** Every event the backend pushes, by name, with its payload. */
export interface Events {
  /** The connection changed (connected, refreshed, disconnected). */
  'status-changed': StatusView;
  /** A sign-in ended, however it ended. */
  'connect-finished': ConnectOutcome;
  /** An `amoconnect://` sign-in link was refused (not ours, forged, used, expired, or amoCRM's error): why, to show. */
  'link-refused': ErrorPayload;
  /** The outbox changed. */
  'outbox-changed': OutboxSummary;
  /** The copy of the account's people changed (a sync's page, its end, a wipe). */
  'people-changed': CopyStatus;
  /** The check at start found a newer version. */
  'update-available': UpdateOffer;
  /** Check for updates… in macOS's app menu. */
  'update-check-requested': null;
  /** Download progress of an update. */
  'update-progress': UpdateProgress;
  /** Show a screen: the tray's menu, or `amo-connect new` run while the window is open. */
  'open-requested': OpenRequest;
  /** Quit was chosen in the tray while this many entries still wait: ask first. */
  'quit-requested': number;
}

export type EventName = keyof Events;

/** Event names, to listen with. */
export const EVENT = {
  statusChanged: 'status-changed',
  connectFinished: 'connect-finished',
  linkRefused: 'link-refused',
  outboxChanged: 'outbox-changed',
  peopleChanged: 'people-changed',
  updateAvailable: 'update-available',
  updateCheckRequested: 'update-check-requested',
  updateProgress: 'update-progress',
  openRequested: 'open-requested',
  quitRequested: 'quit-requested',
} as const satisfies Record<string, EventName>;
