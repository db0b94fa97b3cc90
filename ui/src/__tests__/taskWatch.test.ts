// Issue 21, the tray and notifications side of My tasks: the tray's "Tasks due" line opens the My
// tasks tab (open-requested with screen 'tasks'), and Settings switches the due notifications.
import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, test } from 'vitest';
import App from '../App.svelte';
import { EVENT } from '../lib/ipc/contract';
import { argsOf, backend as mockBackend, emitEvent, type Handlers } from './backend';
import { connected, disconnected, settingsView } from './fixtures';

const backend = (handlers: Handlers) => mockBackend(handlers, { events: true });

afterEach(() => clearMocks());

describe('My tasks from the tray, and its notifications in Settings', () => {
  test('the tray\'s Tasks due line opens My tasks', async () => {
    backend({
      settings_view: () => settingsView({ language: 'en' }),
      status: () => connected,
      take_open_request: () => null,
      outbox_summary: () => ({ queued: 0, other_account: 0, attention: 0, sent: 0, offline: false, banned: false, last_error: null }),
      outbox_list: () => [],
      update_status: () => ({ current_version: '0.1.0', offer: null }),
      my_tasks: () => ({ tasks: [], truncated: false }),
    });
    const { container } = render(App);
    await waitFor(() => expect(container.querySelector('#nav-settings')).not.toBeNull());
    expect(container.querySelector('#tasks-heading')).toBeNull();
    await emitEvent(EVENT.openRequested, { screen: 'tasks', phone: null });
    await waitFor(() => expect(container.querySelector('#tasks-heading')).not.toBeNull());
  });

  test('Settings shows the stored switch, sends it, and greys it out with notifications off', async () => {
    const calls = backend({
      settings_view: () => settingsView({ language: 'en', task_notifications: false }),
      status: () => disconnected,
      save_settings: ({ patch }) => settingsView({ language: 'en', task_notifications: patch.task_notifications ?? true }),
    });
    const { container } = render(App);
    await waitFor(() => expect(container.querySelector('#nav-settings')).not.toBeNull());
    await fireEvent.click(container.querySelector('#nav-settings') as HTMLElement);
    await waitFor(() => expect(container.querySelector('#settings-form')).not.toBeNull());
    const tasks = container.querySelector('#task-notifications') as HTMLInputElement;
    expect(tasks.checked).toBe(false);
    expect(container.textContent).toContain('Tell me when my tasks fall due');
    await fireEvent.click(tasks);
    await fireEvent.submit(container.querySelector('#settings-form') as HTMLFormElement);
    await waitFor(() => expect(container.querySelector('#settings-saved')).not.toBeNull());
    expect(argsOf(calls, 'save_settings')?.patch.task_notifications).toBe(true);
    await fireEvent.click(container.querySelector('#notifications') as HTMLInputElement);
    expect(tasks.disabled).toBe(true);
  });
});
