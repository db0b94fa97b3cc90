import type { OutboxItem } from '../lib/bindings/OutboxItem';
import type { ReferenceData } from '../lib/bindings/ReferenceData';
import type { SettingsView } from '../lib/bindings/SettingsView';
import type { StatusView } from '../lib/bindings/StatusView';

export const disconnected: StatusView = {
  connected: false,
  domain: null,
  account_id: null,
  account_name: null,
  platform: null,
  auth_kind: null,
  access_token_masked: null,
  token_info: null,
  expires_at: null,
  is_expired: false,
  created_at: null,
  updated_at: null,
  last_refresh_at: null,
  reconnect_needed: false,
  expires_soon: false,
  problem: null,
};

export const connected: StatusView = {
  connected: true,
  domain: 'acme.amocrm.ru',
  account_id: 31415926,
  account_name: 'Acme Trading',
  platform: 'amocrm',
  auth_kind: 'oauth',
  access_token_masked: 'eyJ0eX…Q2bA (812)',
  token_info: { token_type: 'Bearer', expires_in: 86400, server_time: '2026-11-23T07:00:00Z', api_domain: 'api-b.amocrm.ru', account_id: 31415926 },
  expires_at: '2030-01-02T03:04:05Z',
  is_expired: false,
  created_at: '2026-11-23T07:00:00Z',
  updated_at: '2026-11-23T07:00:00Z',
  last_refresh_at: '2026-11-23T07:00:00Z',
  reconnect_needed: false,
  expires_soon: false,
  problem: null,
};

export function settingsView(overrides: Partial<SettingsView['settings']> = {}, secretSet = false): SettingsView {
  return {
    settings: {
      platform: 'amocrm',
      client_id: null,
      redirect_uri: null,
      domain: null,
      language: 'en',
      keepalive_days: 7,
      retention_days: 30,
      bounce_via: 'loopback',
      bounce_port: 53682,
      notifications: true,
      notification_details: true,
      task_notifications: true,
      close_to_tray: false,
      quick_entry_shortcut: 'Ctrl+Alt+N',
      autostart_offer_answered: false,
      ...overrides,
    },
    client_secret_set: secretSet,
    keychain_problem: null,
    server_override: false,
  };
}

/** An account with two pipelines (stages of every kind), one user and two task types. */
export const reference: ReferenceData = {
  pipelines: [
    {
      id: 10, name: 'Sales', sort: 1, is_main: true, is_unsorted_on: false,
      statuses: [
        { id: 1, name: 'Unsorted', sort: 10, color: '#fff', kind: 'unsorted' },
        { id: 2, name: 'First contact', sort: 20, color: '#fff', kind: 'open' },
        { id: 3, name: 'Negotiation', sort: 30, color: '#fff', kind: 'open' },
        { id: 142, name: 'Won', sort: 10000, color: '#fff', kind: 'won' },
        { id: 143, name: 'Lost', sort: 11000, color: '#fff', kind: 'lost' },
      ],
    },
    {
      // Ids amoCRM never uses for won/lost: only the kind says what a stage is for.
      id: 20, name: 'Repairs', sort: 2, is_main: false, is_unsorted_on: false,
      statuses: [
        { id: 21, name: 'Incoming', sort: 10, color: '#fff', kind: 'unsorted' },
        { id: 22, name: 'Done', sort: 20, color: '#fff', kind: 'won' },
        { id: 23, name: 'In work', sort: 30, color: '#fff', kind: 'open' },
        { id: 24, name: 'Refused', sort: 40, color: '#fff', kind: 'lost' },
      ],
    },
  ],
  users: [{ id: 7, name: 'Anna', email: null }],
  users_restricted: false,
  current_user_id: 7,
  lead_fields: [],
  timezone_offset_secs: 10800,
  task_types: [{ id: 1, name: "Связаться", code: "FOLLOW_UP" }, { id: 2, name: "Встреча", code: "MEETING" }],
  unsorted_on: false,
  contact_fields: [],
  company_fields: [],
  lead_layout: { order: [], hidden: [], shown: [] },
  contact_layout: { order: [], hidden: [], shown: [] },
  fetched_at: '2026-11-23T10:00:00Z',
  stale: false,
};

export function queued(id: number): OutboxItem {
  return {
    id, state: 'queued', title: 'x', kind: 'lead',
    draft: { name: 'x', price: '', pipeline_id: null, status_id: null, responsible_user_id: null, tags: [], contact: null, existing_contact_id: null, note: '', custom_fields: [], company: null, existing_company_id: null, task: null, unsorted: false },
    created_at: '2026-11-23T10:00:00Z', updated_at: '2026-11-23T10:00:00Z', attempts: 0, next_attempt_at: null,
    error: null, field_errors: [], lead_id: null, contact_id: null, note_id: null, task_id: null, merged: false,
    account_domain: 'acme.amocrm.ru', other_account: false,
    lead_url: null, contact_url: null, sent_at: null, locked: false, editable: false, steps: [], purged: false, conflict: null,
  };
}
