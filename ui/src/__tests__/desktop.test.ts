import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, test } from 'vitest';
import App from '../App.svelte';
import type { DesktopView } from '../lib/bindings/DesktopView';
import type { OutboxSummary } from '../lib/bindings/OutboxSummary';
import { EVENT } from '../lib/ipc/contract';
import { argsOf, backend as mockBackend, emitEvent, fail, names, type Handlers } from './backend';
import { disconnected, settingsView } from './fixtures';

const backend = (handlers: Handlers) => mockBackend(handlers, { events: true });
afterEach(() => clearMocks());

const view = (over: Partial<DesktopView> = {}): DesktopView => ({
  autostart: false,
  autostart_available: true,
  autostart_offer: false,
  shortcut: 'Ctrl+Alt+N',
  shortcut_active: true,
  shortcut_problem: null,
  close_to_tray: false,
  tray: true,
  ...over,
});
const summary = (over: Partial<OutboxSummary> = {}): OutboxSummary => ({
  queued: 0, other_account: 0, attention: 0, sent: 0, offline: false, banned: false, last_error: null, ...over,
});
const base: Handlers = {
  settings_view: () => settingsView({ language: 'en' }),
  status: () => disconnected,
  take_open_request: () => null,
  outbox_list: () => [],
  update_status: () => ({ current_version: '0.1.0', offer: null }),
};

describe('Desktop', () => {
  test('the autostart offer appears when the backend says a lead waited, and goes once answered', async () => {
    let current = view();
    const calls = backend({
      ...base,
      outbox_summary: () => summary(),
      desktop_view: () => current,
      set_autostart: ({ on }) => (current = view({ autostart: on, autostart_offer: false })),
    });
    const { container } = render(App);
    await waitFor(() => expect(names(calls)).toContain('desktop_view'));
    expect(container.querySelector('#autostart-offer')).toBeNull();
    // A lead is queued while amoCRM is unreachable: the outbox changes, the offer is due.
    current = view({ autostart_offer: true });
    await emitEvent(EVENT.outboxChanged, summary({ queued: 1, offline: true }));
    await waitFor(() => expect(container.querySelector('#autostart-offer')?.textContent).toContain('Start Amo Connect with the computer'));
    await fireEvent.click(container.querySelector('#autostart-accept') as HTMLElement);
    await waitFor(() => expect(container.querySelector('#autostart-offer')).toBeNull());
    expect(argsOf(calls, 'set_autostart')).toEqual({ on: true });
  });

  test('"Not now" answers the offer without turning autostart on', async () => {
    const calls = backend({
      ...base,
      outbox_summary: () => summary({ queued: 1, offline: true }),
      desktop_view: () => view({ autostart_offer: true }),
      dismiss_autostart_offer: () => view(),
    });
    const { container } = render(App);
    await waitFor(() => expect(container.querySelector('#autostart-dismiss')).not.toBeNull());
    await fireEvent.click(container.querySelector('#autostart-dismiss') as HTMLElement);
    await waitFor(() => expect(container.querySelector('#autostart-offer')).toBeNull());
    expect(names(calls)).not.toContain('set_autostart');
  });

  test('Settings shows a taken shortcut, saves a new one, and names a refused one', async () => {
    const calls = backend({
      ...base,
      outbox_summary: () => summary(),
      desktop_view: () => view({ shortcut_active: false, shortcut_problem: 'taken' }),
      set_quick_entry_shortcut: ({ shortcut }) =>
        shortcut === 'Ctrl+Alt+T'
          ? fail({ code: 'invalid_setting', message: 'Invalid Quick-entry shortcut: Ctrl+Alt+T is already taken by another program', remedy: 'settings' })
          : view({ shortcut: 'Ctrl+Alt+K' }),
      save_settings: () => settingsView({ close_to_tray: true }),
    });
    const { container } = render(App);
    await waitFor(() => expect(container.querySelector('#nav-settings')).not.toBeNull());
    await fireEvent.click(container.querySelector('#nav-settings') as HTMLElement);
    await waitFor(() => expect(container.querySelector('#shortcut-problem')?.textContent).toContain('Ctrl+Alt+N is taken by another program'));

    const input = container.querySelector('#shortcut-input') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: 'Ctrl+Alt+T' } });
    await fireEvent.submit(container.querySelector('#desktop') as HTMLFormElement);
    await waitFor(() => expect(container.querySelector('#desktop-error')?.textContent).toContain('Ctrl+Alt+T is already taken'));

    await fireEvent.input(input, { target: { value: 'ctrl+alt+k' } });
    await fireEvent.submit(container.querySelector('#desktop') as HTMLFormElement);
    await waitFor(() => expect(container.querySelector('#shortcut-state')?.textContent).toContain('Ctrl+Alt+K opens the lead form'));
    expect(container.querySelector('#desktop-error')).toBeNull();
    expect(argsOf(calls, 'set_quick_entry_shortcut', 1)).toEqual({ shortcut: 'ctrl+alt+k' });

    await fireEvent.click(container.querySelector('#close-to-tray') as HTMLElement);
    await waitFor(() => expect(argsOf(calls, 'save_settings')).toEqual({ patch: { close_to_tray: true } }));
  });

  test('without a tray the window says closing quits, and offers no close-to-tray switch', async () => {
    backend({ ...base, outbox_summary: () => summary(), desktop_view: () => view({ tray: false }) });
    const { container } = render(App);
    await waitFor(() => expect(container.querySelector('#nav-settings')).not.toBeNull());
    await fireEvent.click(container.querySelector('#nav-settings') as HTMLElement);
    await waitFor(() => expect(container.querySelector('#no-tray')).not.toBeNull());
    expect(container.querySelector('#close-to-tray')).toBeNull();
  });
});
