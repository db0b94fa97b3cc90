// The one typed door to the Rust side. Types come from Rust (ts-rs, ./bindings), so a change to
// a command's shape breaks the type check here instead of at run time.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { ConnectOutcome } from './bindings/ConnectOutcome';
import type { ConnectStarted } from './bindings/ConnectStarted';
import type { ErrorPayload } from './bindings/ErrorPayload';
import type { SettingsPatch } from './bindings/SettingsPatch';
import type { SettingsView } from './bindings/SettingsView';
import type { StatusView } from './bindings/StatusView';
import type { ContactDraft } from './bindings/ContactDraft';
import type { ContactMatch } from './bindings/ContactMatch';
import type { Draft } from './bindings/Draft';
import type { FieldError } from './bindings/FieldError';
import type { LeadDraft } from './bindings/LeadDraft';
import type { OutboxItem } from './bindings/OutboxItem';
import type { OutboxSummary } from './bindings/OutboxSummary';
import type { ReferenceData } from './bindings/ReferenceData';
import type { UpdateCheck } from './bindings/UpdateCheck';
import type { UpdateOffer } from './bindings/UpdateOffer';
import type { UpdateProgress } from './bindings/UpdateProgress';
import type { UpdateStatus } from './bindings/UpdateStatus';

/** A command failure as the backend reports it: the UI switches on `code`. */
export class CommandError extends Error {
  readonly code: string;
  /** With `validation`: the fields to mark. */
  readonly fields: FieldError[];
  constructor(payload: ErrorPayload) {
    super(payload.message);
    this.code = payload.code;
    this.fields = payload.fields ?? [];
    this.name = 'CommandError';
  }
  toPayload(): ErrorPayload {
    return { code: this.code, message: this.message, fields: this.fields };
  }
}

function isPayload(e: unknown): e is ErrorPayload {
  return typeof e === 'object' && e !== null && 'code' in e && 'message' in e;
}

export function toCommandError(e: unknown): CommandError {
  if (e instanceof CommandError) return e;
  if (isPayload(e)) return new CommandError(e);
  return new CommandError({ code: 'internal', message: String(e) });
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toCommandError(e);
  }
}

export const api = {
  getStatus: () => call<StatusView>('get_status'),
  getSettings: () => call<SettingsView>('get_settings'),
  saveSettings: (patch: SettingsPatch) => call<SettingsView>('save_settings', { patch }),
  connectStart: () => call<ConnectStarted>('connect_start'),
  connectCancel: () => call<boolean>('connect_cancel'),
  connectWithCode: (code: string, domain: string) => call<StatusView>('connect_with_code', { code, domain }),
  connectWithToken: (token: string, domain: string) => call<StatusView>('connect_with_token', { token, domain }),
  disconnect: () => call<StatusView>('disconnect'),
  cleanupStates: () => call<number>('cleanup_states'),
  refreshNow: () => call<StatusView>('refresh_now'),
  referenceData: (refresh: boolean) => call<ReferenceData>('reference_data', { refresh }),
  findDuplicates: (phone: string, email: string) => call<ContactMatch[]>('find_duplicates', { phone, email }),
  submitLead: (draft: LeadDraft) => call<OutboxItem>('submit_lead', { draft }),
  submitContact: (draft: ContactDraft) => call<OutboxItem>('submit_contact', { draft }),
  outboxList: (limit: number) => call<OutboxItem[]>('outbox_list', { limit }),
  outboxSummary: () => call<OutboxSummary>('outbox_summary'),
  outboxRetry: (id: number | null) => call<number>('outbox_retry', { id }),
  outboxUpdate: (id: number, draft: Draft) => call<OutboxItem>('outbox_update', { id, draft }),
  outboxDiscard: (id: number) => call<null>('outbox_discard', { id }),
  openInAmocrm: (id: number) => call<boolean>('open_in_amocrm', { id }),
  checkForUpdate: () => call<UpdateCheck>('check_for_update'),
  updateStatus: () => call<UpdateStatus>('update_status'),
  /** Resolves only if the install failed (on success the app restarts into the new version). */
  installUpdate: () => call<null>('install_update'),
};

export function onOutboxChanged(cb: (s: OutboxSummary) => void): Promise<UnlistenFn> {
  return listen<OutboxSummary>('outbox-changed', (e) => cb(e.payload));
}

/** A field's message from a list of field errors (`contact.phones` matches `contact.phones.0`). */
export function fieldError(errors: FieldError[], field: string): string | null {
  const hit = errors.find((e) => e.field === field || e.field.startsWith(field + '.'));
  return hit ? hit.message : null;
}

export function onStatusChanged(cb: (s: StatusView) => void): Promise<UnlistenFn> {
  return listen<StatusView>('status-changed', (e) => cb(e.payload));
}

export function onConnectFinished(cb: (o: ConnectOutcome) => void): Promise<UnlistenFn> {
  return listen<ConnectOutcome>('connect-finished', (e) => cb(e.payload));
}

/** The check at start found a newer version. */
export function onUpdateAvailable(cb: (o: UpdateOffer) => void): Promise<UnlistenFn> {
  return listen<UpdateOffer>('update-available', (e) => cb(e.payload));
}

/** Help → Check for updates… in the native menu. */
export function onUpdateCheckRequested(cb: () => void): Promise<UnlistenFn> {
  return listen<null>('update-check-requested', () => cb());
}

export function onUpdateProgress(cb: (p: UpdateProgress) => void): Promise<UnlistenFn> {
  return listen<UpdateProgress>('update-progress', (e) => cb(e.payload));
}
