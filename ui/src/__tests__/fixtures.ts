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
