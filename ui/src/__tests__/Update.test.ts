import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, test } from 'vitest';
import App from '../App.svelte';
import type { ErrorPayload } from '../lib/bindings/ErrorPayload';
import type { UpdateCheck } from '../lib/bindings/UpdateCheck';
import type { UpdateOffer } from '../lib/bindings/UpdateOffer';
import { EVENT } from '../lib/ipc/contract';
import { backend as mockBackend, emitEvent, fail, names, type Handlers } from './backend';
import { connected, settingsView } from './fixtures';

afterEach(() => clearMocks());

const offer: UpdateOffer = {
  current_version: '0.1.0',
  version: '0.2.0',
  date: '2026-11-20T10:00:00Z',
  notes: '- Faster lead form\n- <b>not bold</b>',
};

function backend(handlers: Handlers) {
  const calls = mockBackend(
    {
      settings_view: () => settingsView({ language: 'en' }, true),
      status: () => connected,
      outbox_summary: () => ({ queued: 0, other_account: 0, attention: 0, sent: 0, offline: false, banned: false, last_error: null }),
      outbox_list: () => [],
      reference_data: () => fail({ code: 'network', message: 'offline', remedy: 'network' }),
      ...handlers,
    },
    { events: true },
  );
  return calls;
}

const q = (c: HTMLElement, sel: string) => c.querySelector(sel) as HTMLElement;

describe('updates', () => {
  test('the update found at start is offered with its notes as text; installing shows progress, a failure keeps the offer', async () => {
    let release: (e: ErrorPayload) => void = () => {};
    const calls = backend({
      update_status: () => ({ current_version: '0.1.0', offer }),
      install_update: () =>
        new Promise<null>((_, reject) => {
          release = reject;
        }),
    });
    const { container } = render(App);
    await waitFor(() => expect(q(container, '#update-offer')).not.toBeNull());
    expect(q(container, '#update-title').textContent).toBe('Amo Connect 0.2.0 is available — you have 0.1.0.');
    // Notes are text: markup in them is shown, never rendered.
    expect(q(container, '#update-notes').textContent).toBe('- Faster lead form\n- <b>not bold</b>');
    expect(container.querySelector('#update-notes b')).toBeNull();
    expect(names(calls)).not.toContain('install_update');

    await fireEvent.click(q(container, '#update-install'));
    await waitFor(() => expect(names(calls)).toContain('install_update'));
    await emitEvent(EVENT.updateProgress, { downloaded: 1048576, total: 4194304 });
    await waitFor(() => expect(q(container, '#update-progress').textContent).toContain('25 % (1.0 / 4.0 MB)'));
    expect((q(container, '#update-install') as HTMLButtonElement).disabled).toBe(true);
    await emitEvent(EVENT.updateProgress, { downloaded: 4194304, total: 4194304 });
    await waitFor(() => expect(q(container, '#update-progress').textContent).toContain('may ask for your password'));

    release({
      code: 'update_signature_invalid',
      message: 'The downloaded update is not signed by the Amo Connect developers, so it was not installed.',
      remedy: 'update',
    });
    await waitFor(() => expect(q(container, '#update-error')?.getAttribute('data-code')).toBe('update_signature_invalid'));
    expect(q(container, '#update-error').textContent).toContain('Your current version keeps working');
    // Still offered, and the user may try again or put it off.
    expect((q(container, '#update-install') as HTMLButtonElement).disabled).toBe(false);
    await fireEvent.click(q(container, '#update-later'));
    await waitFor(() => expect(container.querySelector('#update-offer')).toBeNull());
  });

  test('Settings shows the version and checks: up to date, then a failure with its remedy', async () => {
    let answer: () => UpdateCheck = () => ({ kind: 'up_to_date', current_version: '0.1.0' });
    const calls = backend({
      update_status: () => ({ current_version: '0.1.0', offer: null }),
      check_for_update: () => answer(),
    });
    const { container } = render(App);
    await waitFor(() => expect(names(calls)).toContain('update_status'));
    await fireEvent.click(q(container, '#nav-settings'));
    await waitFor(() => expect(q(container, '#app-version')?.textContent).toBe('This is Amo Connect 0.1.0.'));
    expect(container.querySelector('#update-offer')).toBeNull();

    await fireEvent.click(q(container, '#update-check'));
    await waitFor(() => expect(q(container, '#update-up-to-date')?.textContent).toContain('You have the latest version (0.1.0).'));

    answer = () => fail({ code: 'update_check_failed', message: 'Could not check for updates: connection refused.', remedy: 'network' });
    await fireEvent.click(q(container, '#update-check'));
    await waitFor(() => expect(q(container, '#update-error')?.getAttribute('data-code')).toBe('update_check_failed'));
    expect(q(container, '#update-error').textContent).toContain('Check the internet connection');
  });

  test('the app menu\'s Check for updates… runs the same check and offers what it found', async () => {
    const calls = backend({
      update_status: () => ({ current_version: '0.1.0', offer: null }),
      check_for_update: () => ({ kind: 'available', offer: { ...offer, notes: '', date: null } }),
    });
    const { container } = render(App);
    await waitFor(() => expect(names(calls)).toContain('update_status'));
    await emitEvent(EVENT.updateCheckRequested, null);
    await waitFor(() => expect(q(container, '#update-offer')?.getAttribute('data-version')).toBe('0.2.0'));
    expect(q(container, '#update-notes').textContent).toBe('The release came without notes.');
    expect(names(calls).filter((c) => c === 'check_for_update')).toHaveLength(1);
  });
});
