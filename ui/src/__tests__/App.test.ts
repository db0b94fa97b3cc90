import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, test } from 'vitest';
import App from '../App.svelte';
import type { ConnectOutcome } from '../lib/bindings/ConnectOutcome';
import type { OutboxSummary } from '../lib/bindings/OutboxSummary';
import { EVENT } from '../lib/ipc/contract';
import { argsOf, backend as mockBackend, emitEvent, fail, names, type Handlers } from './backend';
import { connected, disconnected, settingsView } from './fixtures';

const backend = (handlers: Handlers) => mockBackend(handlers, { events: true });

afterEach(() => clearMocks());

describe('App', () => {
  test('loads settings and status, connects, and updates itself when the backend says it is done', async () => {
    const url = 'http://127.0.0.1:8765/oauth?client_id=x&state=s&mode=post_message';
    const calls = backend({
      settings_view: () => settingsView({ language: 'en' }, true),
      status: () => disconnected,
      start_connect: () => ({ authorize_url: url, browser_opened: true }),
    });
    const { container } = render(App);
    await waitFor(() => expect(container.querySelector('#status-panel')).not.toBeNull());
    expect(container.querySelector('#status-panel')?.getAttribute('data-connected')).toBe('false');

    await fireEvent.click(container.querySelector('#btn-connect') as HTMLElement);
    await waitFor(() => expect(container.querySelector('#authorize-url')).not.toBeNull());
    expect(names(calls)).toContain('start_connect');

    const outcome: ConnectOutcome = { status: connected, error: null };
    await emitEvent(EVENT.connectFinished, outcome);
    await waitFor(() => expect(container.querySelector('#status-panel')?.getAttribute('data-connected')).toBe('true'));
    expect(container.querySelector('#account-name')?.textContent).toContain('Acme Trading');
    expect(container.querySelector('#notice')?.textContent).toBe('Connected to Acme Trading.');
    expect(container.querySelector('#authorize-url')).toBeNull();
  });

  test('a failed sign-in shows the backend error by code', async () => {
    backend({
      settings_view: () => settingsView({ language: 'en' }, true),
      status: () => disconnected,
      start_connect: () => ({ authorize_url: 'http://127.0.0.1:1/oauth', browser_opened: false }),
    });
    const { container } = render(App);
    await waitFor(() => expect(container.querySelector('#btn-connect')).not.toBeNull());
    await fireEvent.click(container.querySelector('#btn-connect') as HTMLElement);
    await waitFor(() => expect(container.querySelector('#authorize-url')).not.toBeNull());
    await emitEvent(EVENT.connectFinished, {
      status: disconnected,
      error: { code: 'access_denied', message: 'Access was denied in amoCRM.', remedy: 'none' },
    });
    await waitFor(() => expect(container.querySelector('#connect-error')?.getAttribute('data-code')).toBe('access_denied'));
  });

  test('Connect without settings reports not_configured and leads to Settings', async () => {
    backend({
      settings_view: () => settingsView(),
      status: () => disconnected,
      start_connect: () => fail({ code: 'not_configured', message: 'Integration ID is not set.', remedy: 'settings' }),
    });
    const { container, getByText } = render(App);
    await waitFor(() => expect(container.querySelector('#btn-connect')).not.toBeNull());
    await fireEvent.click(container.querySelector('#btn-connect') as HTMLElement);
    await waitFor(() => expect(container.querySelector('#connect-error')?.getAttribute('data-code')).toBe('not_configured'));
    await fireEvent.click(getByText('Open Settings'));
    await waitFor(() => expect(container.querySelector('#settings-form')).not.toBeNull());
    expect(container.querySelector('#redirect-uri')?.textContent).toBe('http://127.0.0.1:53682/callback');
    // Switching the method shows what to paste into amoCRM, and what each way means.
    await fireEvent.click(container.querySelector('#mode-deeplink') as HTMLInputElement);
    expect(container.querySelector('#redirect-uri')?.textContent).toBe('amoconnect://oauth/callback');
    await fireEvent.click(container.querySelector('#mode-bounce') as HTMLInputElement);
    await fireEvent.input(container.querySelector('#bounce-url') as HTMLInputElement, {
      target: { value: 'https://me.github.io/amo-connect-bounce.html' },
    });
    expect(container.querySelector('#redirect-uri')?.textContent).toBe('https://me.github.io/amo-connect-bounce.html');
    expect(container.querySelector('#bounce-port')).not.toBeNull();
  });

  test('Settings hides customer details in notifications, and shows the stored choice', async () => {
    const calls = backend({
      settings_view: () => settingsView({ language: 'en', notification_details: false }),
      status: () => disconnected,
      save_settings: ({ patch }) => settingsView({ language: 'en', notification_details: patch.notification_details ?? true }),
    });
    const { container } = render(App);
    await waitFor(() => expect(container.querySelector('#nav-settings')).not.toBeNull());
    await fireEvent.click(container.querySelector('#nav-settings') as HTMLElement);
    await waitFor(() => expect(container.querySelector('#settings-form')).not.toBeNull());
    const hidden = container.querySelector('#notification-details-hidden') as HTMLInputElement;
    expect(hidden.checked).toBe(true);
    await fireEvent.click(hidden);
    await fireEvent.submit(container.querySelector('#settings-form') as HTMLFormElement);
    await waitFor(() => expect(container.querySelector('#settings-saved')).not.toBeNull());
    expect(argsOf(calls, 'save_settings')?.patch.notification_details).toBe(true);
  });

  test('Settings sends the Secret key only when typed, and shows field errors from the backend', async () => {
    let saveCount = 0;
    const calls = backend({
      settings_view: () => settingsView({ language: 'en' }),
      status: () => disconnected,
      save_settings: ({ patch }) => {
        saveCount += 1;
        if (saveCount === 1) fail({ code: 'invalid_setting', message: 'Invalid client_id: an Integration ID looks like …', remedy: 'settings' });
        return settingsView({ client_id: String(patch.client_id), language: 'en' }, patch.client_secret !== undefined);
      },
    });
    const { container } = render(App);
    await waitFor(() => expect(container.querySelector('#nav-settings')).not.toBeNull());
    await fireEvent.click(container.querySelector('#nav-settings') as HTMLElement);
    await waitFor(() => expect(container.querySelector('#settings-form')).not.toBeNull());
    const input = (sel: string) => container.querySelector(sel) as HTMLInputElement;
    await fireEvent.input(input('#client-id'), { target: { value: 'nope' } });
    await fireEvent.submit(container.querySelector('#settings-form') as HTMLFormElement);
    await waitFor(() => expect(container.querySelector('#settings-error')?.getAttribute('data-code')).toBe('invalid_setting'));
    expect(argsOf(calls, 'save_settings')?.patch.client_secret).toBeUndefined();

    await fireEvent.input(input('#client-id'), { target: { value: '5c0e6b5e-6a0e-4c55-9a3e-2b8d6a1e7f10' } });
    await fireEvent.input(input('#client-secret'), { target: { value: 'the-secret' } });
    await fireEvent.submit(container.querySelector('#settings-form') as HTMLFormElement);
    await waitFor(() => expect(container.querySelector('#settings-saved')).not.toBeNull());
    expect(argsOf(calls, 'save_settings', 1)?.patch).toMatchObject({
      client_id: '5c0e6b5e-6a0e-4c55-9a3e-2b8d6a1e7f10',
      client_secret: 'the-secret',
      platform: 'amocrm',
      keepalive_days: 7,
      redirect_uri: 'http://127.0.0.1:53682/callback',
      bounce_via: 'loopback',
      bounce_port: 53682,
    });
    expect(input('#client-secret').value).toBe('');
    expect(container.querySelector('#secret-state')?.getAttribute('data-set')).toBe('true');
  });

  test('the outbox follows the backend: the banner and the pending count; cleanup reports its count', async () => {
    let summary: OutboxSummary = { queued: 0, other_account: 0, attention: 0, sent: 0, banned: false, offline: false, last_error: null };
    const calls = backend({
      settings_view: () => settingsView({ language: 'en' }),
      status: () => disconnected,
      outbox_summary: () => summary,
      outbox_list: () => [],
      update_status: () => ({ current_version: '0.1.0', offer: null }),
      cleanup_states: () => 1,
    });
    const { container } = render(App);
    await waitFor(() => expect(names(calls)).toContain('update_status'));
    expect(container.querySelector('#outbox-banner')).toBeNull();
    expect(container.querySelector('#nav-pending')).toBeNull();

    summary = { ...summary, queued: 1, attention: 1, offline: true, last_error: { code: 'network', message: 'offline', remedy: 'network' } };
    await emitEvent(EVENT.outboxChanged, summary);
    await waitFor(() =>
      expect(container.querySelector('#offline-banner')?.textContent?.trim()).toBe(
        'amoCRM is unreachable. 1 entry is saved and will be sent automatically.',
      ),
    );
    expect(container.querySelector('#nav-pending')?.textContent).toBe('2');
    expect(argsOf(calls, 'outbox_list')).toEqual({ limit: 50 });

    await fireEvent.click(container.querySelector('#btn-cleanup') as HTMLElement);
    await waitFor(() => expect(container.querySelector('#notice')?.textContent).toBe('Removed 1 expired sign-in state.'));
    expect(container.querySelector('#load-error')).toBeNull();
  });

  test('switching language persists it and re-renders in Russian', async () => {
    const calls = backend({
      settings_view: () => settingsView({ language: 'en' }),
      status: () => disconnected,
      save_settings: () => settingsView({ language: 'ru' }),
    });
    const { container } = render(App);
    await waitFor(() => expect(container.querySelector('#btn-connect')?.textContent?.trim()).toBe('Connect amoCRM'));
    await fireEvent.click(container.querySelector('#lang-ru') as HTMLElement);
    await waitFor(() => expect(container.querySelector('#btn-connect')?.textContent?.trim()).toBe('Подключить amoCRM'));
    expect(argsOf(calls, 'save_settings')).toEqual({ patch: { language: 'ru' } });
    // The history's messages come rendered from the backend: read again in the new language.
    await waitFor(() => expect(calls.filter((c) => c.cmd === 'outbox_list').length).toBe(2));
  });
  test('a locked keychain still shows the status panel and Settings, with the problem in place', async () => {
    const locked = { code: 'keychain_locked' as const, message: 'The keychain is locked.', remedy: 'keychain' as const };
    backend({
      settings_view: () => ({ ...settingsView({ language: 'en', client_id: 'abc' }), keychain_problem: locked }),
      status: () => ({ ...disconnected, domain: 'acme.amocrm.ru', problem: locked }),
      outbox_summary: () => ({ queued: 0, other_account: 0, attention: 0, sent: 0, offline: false, banned: false, last_error: null }),
      outbox_list: () => [],
      update_status: () => ({ current_version: '0.1.0', offer: null }),
    });
    const { container } = render(App);
    await waitFor(() => expect(container.querySelector('#status-panel')).not.toBeNull());
    await fireEvent.click(container.querySelector('#nav-settings') as HTMLElement);
    await waitFor(() => expect(container.querySelector('#keychain-problem')?.getAttribute('data-code')).toBe('keychain_locked'));
    expect((container.querySelector('#client-id') as HTMLInputElement).value).toBe('abc');
  });

  test('the status panel shows even when Settings cannot be read at all', async () => {
    backend({
      settings_view: () => fail({ code: 'storage', message: 'The database cannot be read.', remedy: 'none' }),
      status: () => disconnected,
      outbox_summary: () => ({ queued: 0, other_account: 0, attention: 0, sent: 0, offline: false, banned: false, last_error: null }),
      outbox_list: () => [],
      update_status: () => ({ current_version: '0.1.0', offer: null }),
    });
    const { container } = render(App);
    await waitFor(() => expect(container.querySelector('#status-panel')).not.toBeNull());
    expect(container.querySelector('#load-error')?.getAttribute('data-code')).toBe('storage');
  });

  test('after connecting with a pasted code, the pipelines and users of the lead form load at once', async () => {
    const calls = backend({
      settings_view: () => settingsView({ language: 'en', domain: 'acme.amocrm.ru' }),
      status: () => disconnected,
      connect_with_code: () => connected,
      reference_data: () => fail({ code: 'network', message: 'offline', remedy: 'network' }),
      outbox_summary: () => ({ queued: 0, other_account: 0, attention: 0, sent: 0, offline: false, banned: false, last_error: null }),
      outbox_list: () => [],
      update_status: () => ({ current_version: '0.1.0', offer: null }),
    });
    const { container } = render(App);
    await waitFor(() => expect(container.querySelector('#paste-form')).not.toBeNull());
    expect(names(calls)).not.toContain('reference_data');
    await fireEvent.input(container.querySelector('#paste-secret') as HTMLInputElement, { target: { value: 'def50200abc' } });
    await fireEvent.submit(container.querySelector('#paste-form') as HTMLFormElement);
    await waitFor(() => expect(container.querySelector('#status-panel')?.getAttribute('data-connected')).toBe('true'));
    await waitFor(() => expect(names(calls)).toContain('reference_data'));
  });
  test('amo-connect new --phone opens New lead with the caller\'s number, focus in the name', async () => {
    const calls = backend(
      {
        settings_view: () => settingsView({ language: 'en' }),
        status: () => connected,
        take_open_request: () => ({ screen: 'new_lead', phone: '+7 912 555-01-02' }),
        outbox_summary: () => ({ queued: 0, other_account: 0, attention: 0, sent: 0, offline: false, banned: false, last_error: null }),
        outbox_list: () => [],
        update_status: () => ({ current_version: '0.1.0', offer: null }),
        reference_data: () => fail({ code: 'network', message: 'offline', remedy: 'network' }),
        find_duplicates: () => [],
      },
    );
    const { container } = render(App);
    await waitFor(() => expect((container.querySelector('#contact-phone') as HTMLInputElement | null)?.value).toBe('+7 912 555-01-02'));
    await waitFor(() => expect(document.activeElement?.id).toBe('lead-name'));
    expect(names(calls)).toContain('take_open_request');
    // A second call while the window is open (the tray, or the softphone again): the new number.
    await emitEvent(EVENT.openRequested, { screen: 'new_lead', phone: '8 (903) 111-22-33' });
    await waitFor(() => expect((container.querySelector('#contact-phone') as HTMLInputElement).value).toBe('8 (903) 111-22-33'));
    await emitEvent(EVENT.openRequested, { screen: 'history', phone: null });
    await waitFor(() => expect(container.querySelector('#history-heading')).not.toBeNull());
  });

  test('the tray\'s Quit with entries waiting asks first; only Quit anyway quits', async () => {
    const calls = backend(
      {
        settings_view: () => settingsView({ language: 'en' }),
        status: () => disconnected,
        take_open_request: () => null,
        outbox_summary: () => ({ queued: 2, other_account: 0, attention: 0, sent: 0, offline: true, banned: false, last_error: null }),
        outbox_list: () => [],
        update_status: () => ({ current_version: '0.1.0', offer: null }),
        quit_app: () => null,
      },
    );
    const { container } = render(App);
    await waitFor(() => expect(container.querySelector('#status-panel')).not.toBeNull());
    await emitEvent(EVENT.quitRequested, 2);
    await waitFor(() => expect(container.querySelector('#quit-ask')?.textContent).toContain('2 entries still wait to be sent'));
    await fireEvent.click(container.querySelector('#quit-keep') as HTMLElement);
    expect(container.querySelector('#quit-ask')).toBeNull();
    expect(names(calls)).not.toContain('quit_app');
    await emitEvent(EVENT.quitRequested, 1);
    await waitFor(() => expect(container.querySelector('#quit-anyway')).not.toBeNull());
    await fireEvent.click(container.querySelector('#quit-anyway') as HTMLElement);
    await waitFor(() => expect(names(calls)).toContain('quit_app'));
  });
});
