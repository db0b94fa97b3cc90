import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, test } from 'vitest';
import TasksView from '../components/TasksView.svelte';
import type { DueBucket } from '../lib/bindings/DueBucket';
import type { MyTask } from '../lib/bindings/MyTask';
import { i18n } from '../lib/i18n.svelte';
import { formatDue, taskRecord } from '../lib/tasks';
import { argsOf, backend, emitEvent, fail, names } from './backend';
import { queued, reference } from './fixtures';

const q = <T extends Element = HTMLInputElement>(c: HTMLElement, sel: string) => c.querySelector(sel) as T;

afterEach(() => clearMocks());

const task = (id: number, bucket: DueBucket, due: string, over: Partial<MyTask> = {}): MyTask => ({
  id,
  text: `Call back ${id}`,
  task_type_id: 1,
  task_type: 'Follow-up',
  complete_till: Math.floor(new Date(due).getTime() / 1000),
  due,
  bucket,
  entity_type: 'leads',
  entity_id: 500 + id,
  responsible_user_id: 7,
  responsible_name: 'Anna',
  updated_at: 1_796_000_000 + id,
  ...over,
});

/** The piles as drawn: each section's data-bucket with its tasks' ids, top to bottom. */
const drawn = (root: HTMLElement) =>
  [...root.querySelectorAll('#tasks-list section[data-bucket]')].map((s) => [
    s.getAttribute('data-bucket'),
    [...s.querySelectorAll('li.task')].map((li) => Number(li.getAttribute('data-task-id'))),
  ]);

describe('My tasks', () => {
  test('draws the piles in order, overdue first and marked, each task with its due time, text, type, record and responsible', async () => {
    i18n.lang = 'en';
    // Given in the core's order (soonest first); the tab groups them by pile, in pile order.
    const tasks = [
      task(1, 'overdue', '2026-12-01T10:00:00+03:00'),
      task(2, 'today', '2026-12-02T18:30:00+03:00', { entity_type: 'contacts', entity_id: 900, responsible_name: null }),
      task(3, 'tomorrow', '2026-12-03T10:00:00+03:00'),
      task(4, 'this_week', '2026-12-05T10:00:00+03:00', { entity_type: null, entity_id: null }),
      task(5, 'later', '2027-01-10T09:00:00+03:00', { entity_type: 'customers', entity_id: 77 }),
    ];
    const calls = backend({ my_tasks: () => ({ tasks, truncated: false }), open_amocrm_record: () => true });
    const { container } = render(TasksView);
    await waitFor(() => expect(container.querySelectorAll('li.task').length).toBe(5));
    expect(argsOf(calls, 'my_tasks')).toEqual({ all: false });
    expect(drawn(container)).toEqual([
      ['overdue', [1]],
      ['today', [2]],
      ['tomorrow', [3]],
      ['week', [4]],
      ['later', [5]],
    ]);
    expect(container.querySelector('section[data-bucket="overdue"]')?.classList.contains('overdue')).toBe(true);
    expect(container.querySelector('section[data-bucket="today"]')?.classList.contains('overdue')).toBe(false);
    expect(container.querySelector('section[data-bucket="week"] h3')?.textContent).toContain('This week');

    const first = container.querySelector('li.task[data-task-id="1"]') as HTMLElement;
    // The account's wall clock as written in `due` (10:00 in Moscow), whatever this machine's zone.
    expect(first.querySelector('.due')?.textContent).toBe(formatDue('2026-12-01T10:00:00+03:00', 'en'));
    expect(first.querySelector('.due')?.textContent).toContain('10:00');
    expect(first.textContent).toContain('Call back 1');
    expect(first.textContent).toContain('Follow-up');
    expect(first.textContent).toContain('Lead #501');
    expect(first.textContent).toContain('Anna');
    const second = container.querySelector('li.task[data-task-id="2"]') as HTMLElement;
    expect(second.textContent).toContain('Contact #900');
    expect(second.textContent).toContain('User 7');
    expect(second.querySelector('.due')?.textContent).toContain('18:30');
    // A task on nothing names nothing; a buyer is named but cannot be opened here.
    expect(container.querySelector('li.task[data-task-id="4"] .on')).toBeNull();
    expect(container.querySelector('li.task[data-task-id="5"] .on')?.textContent).toBe('Record #77');
    expect(container.querySelector('li.task[data-task-id="5"] button.on')).toBeNull();

    await fireEvent.click(second.querySelector('button.on') as HTMLElement);
    await waitFor(() => expect(argsOf(calls, 'open_amocrm_record')).toEqual({ kind: 'contact', id: 900 }));
    expect(container.querySelector('#tasks-empty')).toBeNull();
  });

  test('"Everyone\'s tasks" reads with all=true, Refresh reads again with the box as it is', async () => {
    i18n.lang = 'en';
    const mine = [task(1, 'today', '2026-12-02T18:00:00+03:00')];
    const colleague = task(2, 'today', '2026-12-02T19:00:00+03:00', { responsible_user_id: 8, responsible_name: 'Boris' });
    const calls = backend({ my_tasks: ({ all }) => ({ tasks: all ? [...mine, colleague] : mine, truncated: false }) });
    const { container } = render(TasksView);
    await waitFor(() => expect(drawn(container)).toEqual([['today', [1]]]));

    await fireEvent.click(container.querySelector('#tasks-all') as HTMLInputElement);
    await waitFor(() => expect(drawn(container)).toEqual([['today', [1, 2]]]));
    expect(argsOf(calls, 'my_tasks', 1)).toEqual({ all: true });
    expect(container.querySelector('li.task[data-task-id="2"]')?.textContent).toContain('Boris');

    await fireEvent.click(container.querySelector('#tasks-refresh') as HTMLElement);
    await waitFor(() => expect(names(calls).filter((n) => n === 'my_tasks').length).toBe(3));
    expect(argsOf(calls, 'my_tasks', 2)).toEqual({ all: true });

    await fireEvent.click(container.querySelector('#tasks-all') as HTMLInputElement);
    await waitFor(() => expect(drawn(container)).toEqual([['today', [1]]]));
    expect(argsOf(calls, 'my_tasks', 3)).toEqual({ all: false });
  });

  test('no open task: "Nothing due", in the current language', async () => {
    i18n.lang = 'ru';
    backend({ my_tasks: () => ({ tasks: [], truncated: false }) });
    const { container } = render(TasksView);
    await waitFor(() => expect(container.querySelector('#tasks-empty')?.textContent).toBe('Задач нет.'));
    expect(container.querySelector('#tasks-list')).toBeNull();
    expect(container.querySelector('#nav-tasks')).toBeNull();
    i18n.lang = 'en';
  });

  test('a failure is shown by its code; a refresh that succeeds clears it', async () => {
    i18n.lang = 'en';
    let online = false;
    backend({
      my_tasks: () =>
        online
          ? { tasks: [task(1, 'overdue', '2026-12-01T10:00:00+03:00')], truncated: true }
          : fail({ code: 'network', message: 'amoCRM cannot be reached.', remedy: 'network' }),
    });
    const { container } = render(TasksView);
    await waitFor(() => expect(container.querySelector('#tasks-error')?.getAttribute('data-code')).toBe('network'));
    expect(container.querySelector('#tasks-error')?.textContent).toContain('amoCRM cannot be reached.');
    expect(container.querySelector('#tasks-list')).toBeNull();
    expect(container.querySelector('#tasks-empty')).toBeNull();

    online = true;
    await fireEvent.click(container.querySelector('#tasks-refresh') as HTMLElement);
    await waitFor(() => expect(drawn(container)).toEqual([['overdue', [1]]]));
    expect(container.querySelector('#tasks-error')).toBeNull();
    expect(container.querySelector('#tasks-truncated')).not.toBeNull();
  });

  test('not connected: the error by its code, nothing drawn as if there were no tasks', async () => {
    i18n.lang = 'en';
    backend({ my_tasks: () => fail({ code: 'not_connected', message: 'Not connected to amoCRM.', remedy: 'settings' }) });
    const { container } = render(TasksView);
    await waitFor(() => expect(container.querySelector('#tasks-error')?.getAttribute('data-code')).toBe('not_connected'));
    expect(container.querySelector('#tasks-empty')).toBeNull();
  });

  test('a due time is the account clock written in it, in the chosen language; records by kind', () => {
    // 23:30 in Moscow is 20:30 UTC and would be another hour (or day) in most machine zones.
    expect(formatDue('2026-12-05T23:30:00+03:00', 'en')).toMatch(/Sat.*5.*Dec.*23:30/);
    expect(formatDue('2026-12-05T23:30:00+03:00', 'ru')).toMatch(/сб.*5.*дек.*23:30/);
    expect(formatDue('not a date', 'en')).toBe('not a date');
    // The core writes nothing for a time RFC 3339 cannot write (a due time in milliseconds).
    expect(formatDue('', 'en')).toBe('—');
    const base = task(1, 'today', '2026-12-02T18:00:00+03:00');
    expect(taskRecord(base)).toEqual({ kind: 'lead', id: 501 });
    expect(taskRecord({ ...base, entity_type: 'companies', entity_id: 3 })).toEqual({ kind: 'company', id: 3 });
    expect(taskRecord({ ...base, entity_type: 'customers', entity_id: 3 })).toBeNull();
    expect(taskRecord({ ...base, entity_type: null, entity_id: null })).toBeNull();
  });
});

describe('My tasks: done and move go through the outbox', () => {
  const queuedItem = () => queued(90);

  test('Done with a result queues the task as seen (its text and updated_at); the task shows as queued until the list has a newer version', async () => {
    i18n.lang = 'en';
    const t1 = task(1, 'today', '2026-12-02T18:00:00+03:00', { updated_at: 1_796_000_111 });
    let tasks = [t1];
    const calls = backend({ my_tasks: () => ({ tasks, truncated: false }), queue_task_change: () => queuedItem() }, { events: true });
    const { container } = render(TasksView);
    await waitFor(() => expect(container.querySelector('li.task[data-task-id="1"] button.task-done')).not.toBeNull());

    await fireEvent.click(q(container, 'li.task[data-task-id="1"] button.task-done'));
    await fireEvent.input(q(container, 'li.task[data-task-id="1"] textarea.task-result'), { target: { value: '  Agreed on Friday ' } });
    await fireEvent.click(q(container, 'li.task[data-task-id="1"] button.task-done-confirm'));
    await waitFor(() => expect(argsOf(calls, 'queue_task_change')).toBeDefined());
    expect(argsOf(calls, 'queue_task_change')).toEqual({
      draft: {
        task_id: 1, title: 'Call back 1', seen_updated_at: 1_796_000_111, done: true, result: 'Agreed on Friday',
        due: '', text: '', task_type_id: null, responsible_user_id: null,
      },
    });
    const li = q<HTMLElement>(container, 'li.task[data-task-id="1"]');
    await waitFor(() => expect(li.classList.contains('queued')).toBe(true));
    expect(li.querySelector('.task-queued')?.textContent).toBe('queued — will be sent');
    expect(li.querySelector('textarea.task-result')).toBeNull();

    // The outbox sent it: the list is read again and the done task is gone.
    tasks = [];
    await emitEvent('outbox-changed', { queued: 0, other_account: 0, attention: 0, sent: 1, banned: false, offline: false, last_error: null });
    await waitFor(() => expect(container.querySelector('#tasks-empty')).not.toBeNull());
    expect(names(calls).filter((n) => n === 'my_tasks').length).toBe(2);
  });

  test('Move with a preset, then with a date and time typed in the account\'s zone', async () => {
    i18n.lang = 'en';
    const t2 = task(2, 'overdue', '2026-12-01T10:00:00+03:00', { updated_at: 1_796_000_222 });
    const t3 = task(3, 'today', '2026-12-02T10:00:00+03:00');
    const calls = backend({ my_tasks: () => ({ tasks: [t2, t3], truncated: false }), queue_task_change: () => queuedItem() });
    const { container } = render(TasksView);
    await waitFor(() => expect(container.querySelector('li.task[data-task-id="2"] button.task-move')).not.toBeNull());

    await fireEvent.click(q(container, 'li.task[data-task-id="2"] button.task-move'));
    const presets = [...container.querySelectorAll('li.task[data-task-id="2"] .task-presets label')].map((l) => l.textContent?.trim());
    expect(presets).toEqual(['In 1 hour', 'Tomorrow 10:00', 'Next week (Monday 10:00)', 'Date and time…']);
    await fireEvent.click(q(container, 'li.task[data-task-id="2"] input[value="+1h"]'));
    await fireEvent.click(q(container, 'li.task[data-task-id="2"] button.task-move-confirm'));
    await waitFor(() => expect(argsOf(calls, 'queue_task_change')).toBeDefined());
    expect(argsOf(calls, 'queue_task_change')?.draft).toMatchObject({ task_id: 2, title: 'Call back 2', seen_updated_at: 1_796_000_222, done: false, due: '+1h', result: '' });
    await waitFor(() => expect(q<HTMLElement>(container, 'li.task[data-task-id="2"]').classList.contains('queued')).toBe(true));

    await fireEvent.click(q(container, 'li.task[data-task-id="3"] button.task-move'));
    await fireEvent.click(q(container, 'li.task[data-task-id="3"] input[value="custom"]'));
    expect(q<HTMLButtonElement>(container, 'li.task[data-task-id="3"] button.task-move-confirm').disabled).toBe(true);
    await fireEvent.input(q(container, 'li.task[data-task-id="3"] input.task-due-custom'), { target: { value: '2026-12-20T10:00' } });
    await fireEvent.click(q(container, 'li.task[data-task-id="3"] button.task-move-confirm'));
    await waitFor(() => expect(argsOf(calls, 'queue_task_change', 1)?.draft).toMatchObject({ task_id: 3, due: '2026-12-20 10:00', done: false }));
  });

  test('a refused due time is shown on the box\'s field; the task is not marked queued', async () => {
    i18n.lang = 'en';
    const t4 = task(4, 'today', '2026-12-02T10:00:00+03:00');
    backend({
      my_tasks: () => ({ tasks: [t4], truncated: false }),
      queue_task_change: () =>
        fail({
          code: 'validation', message: 'Check the fields.', remedy: 'none',
          fields: [{ field: 'due', code: 'due_in_past', message: 'The due time is in the past.', label: 'Due' }],
        }),
    });
    const { container } = render(TasksView);
    await waitFor(() => expect(container.querySelector('li.task[data-task-id="4"] button.task-move')).not.toBeNull());
    await fireEvent.click(q(container, 'li.task[data-task-id="4"] button.task-move'));
    await fireEvent.click(q(container, 'li.task[data-task-id="4"] input[value="custom"]'));
    await fireEvent.input(q(container, 'li.task[data-task-id="4"] input.task-due-custom'), { target: { value: '2020-01-01T10:00' } });
    await fireEvent.click(q(container, 'li.task[data-task-id="4"] button.task-move-confirm'));
    await waitFor(() => expect(container.querySelector('li.task[data-task-id="4"] .err-due')?.textContent).toBe('The due time is in the past.'));
    expect(q(container, 'li.task[data-task-id="4"] input.task-due-custom').getAttribute('aria-invalid')).toBe('true');
    expect(q<HTMLElement>(container, 'li.task[data-task-id="4"]').classList.contains('queued')).toBe(false);
  });
});

describe('My tasks: more than one change from the same list', () => {
  test('after Move is queued, Done on the same task is possible and queues with the same seen_updated_at; the task stays marked queued', async () => {
    i18n.lang = 'en';
    const t1 = task(1, 'today', '2026-12-02T18:00:00+03:00', { updated_at: 1_796_000_111 });
    const calls = backend({ my_tasks: () => ({ tasks: [t1], truncated: false }), queue_task_change: () => queued(92) });
    const { container } = render(TasksView);
    await waitFor(() => expect(container.querySelector('li.task[data-task-id="1"] button.task-move')).not.toBeNull());
    await fireEvent.click(q(container, 'li.task[data-task-id="1"] button.task-move'));
    await fireEvent.click(q(container, 'li.task[data-task-id="1"] button.task-move-confirm'));
    const li = q<HTMLElement>(container, 'li.task[data-task-id="1"]');
    await waitFor(() => expect(li.classList.contains('queued')).toBe(true));
    expect(li.querySelector('.task-queued')?.textContent).toBe('queued — will be sent');

    expect((li.querySelector('button.task-done') as HTMLButtonElement).disabled).toBe(false);
    await fireEvent.click(q(container, 'li.task[data-task-id="1"] button.task-done'));
    await fireEvent.input(q(container, 'li.task[data-task-id="1"] textarea.task-result'), { target: { value: 'Called' } });
    await fireEvent.click(q(container, 'li.task[data-task-id="1"] button.task-done-confirm'));
    await waitFor(() => expect(argsOf(calls, 'queue_task_change', 1)).toBeDefined());
    expect(argsOf(calls, 'queue_task_change', 0)?.draft).toMatchObject({ task_id: 1, due: 'tomorrow 10:00', seen_updated_at: 1_796_000_111 });
    expect(argsOf(calls, 'queue_task_change', 1)?.draft).toMatchObject({ task_id: 1, done: true, result: 'Called', seen_updated_at: 1_796_000_111 });
    expect(li.classList.contains('queued')).toBe(true);
  });
});

describe('My tasks offline: the list is this computer\'s copy', () => {
  test('read_at set: "Offline — the list as read at" its time (en, ru), and Done still queues through the outbox', async () => {
    i18n.lang = 'en';
    const t1 = task(1, 'today', '2026-12-02T18:00:00+03:00', { updated_at: 1_796_000_111 });
    const calls = backend({
      my_tasks: () => ({ tasks: [t1], truncated: false, read_at: '2026-12-02T09:12:00+03:00' }),
      queue_task_change: () => queued(91),
    });
    const { container } = render(TasksView);
    await waitFor(() => expect(container.querySelector('#tasks-offline')).not.toBeNull());
    expect(container.querySelector('#tasks-offline')?.textContent).toBe(`Offline — the list as read at ${formatDue('2026-12-02T09:12:00+03:00', 'en')}`);
    expect(container.querySelector('#tasks-offline')?.textContent).toContain('09:12');
    i18n.lang = 'ru';
    await waitFor(() => expect(container.querySelector('#tasks-offline')?.textContent).toBe(`Офлайн — список на ${formatDue('2026-12-02T09:12:00+03:00', 'ru')}`));
    i18n.lang = 'en';

    const li = q<HTMLElement>(container, 'li.task[data-task-id="1"]');
    expect((li.querySelector('button.task-done') as HTMLButtonElement).disabled).toBe(false);
    expect((li.querySelector('button.task-move') as HTMLButtonElement).disabled).toBe(false);
    await fireEvent.click(q(container, 'li.task[data-task-id="1"] button.task-done'));
    await fireEvent.click(q(container, 'li.task[data-task-id="1"] button.task-done-confirm'));
    await waitFor(() => expect(argsOf(calls, 'queue_task_change')?.draft).toMatchObject({ task_id: 1, done: true, seen_updated_at: 1_796_000_111 }));
    await waitFor(() => expect(li.querySelector('.task-queued')).not.toBeNull());
  });

  test('a list just read (no read_at) shows no offline notice', async () => {
    i18n.lang = 'en';
    backend({ my_tasks: () => ({ tasks: [task(1, 'today', '2026-12-02T18:00:00+03:00')], truncated: false }) });
    const { container } = render(TasksView);
    await waitFor(() => expect(container.querySelector('li.task')).not.toBeNull());
    expect(container.querySelector('#tasks-offline')).toBeNull();
  });
});

describe('My tasks: Call opens the caller\'s card with the task\'s customer', () => {
  test('Call asks the core for the customer\'s phone by record kind and hands the number to onCall; a buyer or a task on nothing has no Call', async () => {
    i18n.lang = 'en';
    const tasks = [
      task(1, 'today', '2026-12-02T18:00:00+03:00'),
      task(2, 'today', '2026-12-02T19:00:00+03:00', { entity_type: 'companies', entity_id: 33 }),
      task(3, 'today', '2026-12-02T20:00:00+03:00', { entity_type: 'customers', entity_id: 77 }),
      task(4, 'today', '2026-12-02T21:00:00+03:00', { entity_type: null, entity_id: null }),
    ];
    const calls = backend({ my_tasks: () => ({ tasks, truncated: false }), customer_phone: ({ kind }) => (kind === 'lead' ? '+79001234567' : '+74950000000') });
    const phones: string[] = [];
    const { container } = render(TasksView, { onCall: (p: string) => phones.push(p) });
    await waitFor(() => expect(container.querySelectorAll('li.task').length).toBe(4));
    expect(container.querySelector('li.task[data-task-id="3"] button.task-call')).toBeNull();
    expect(container.querySelector('li.task[data-task-id="4"] button.task-call')).toBeNull();

    await fireEvent.click(q(container, 'li.task[data-task-id="1"] button.task-call'));
    await waitFor(() => expect(phones).toEqual(['+79001234567']));
    expect(argsOf(calls, 'customer_phone')).toEqual({ kind: 'lead', id: 501 });
    await fireEvent.click(q(container, 'li.task[data-task-id="2"] button.task-call'));
    await waitFor(() => expect(phones).toEqual(['+79001234567', '+74950000000']));
    expect(argsOf(calls, 'customer_phone', 1)).toEqual({ kind: 'company', id: 33 });
    expect(container.querySelector('.task-no-phone')).toBeNull();
  });

  test('no number: a note on the task (en, ru), onCall not called; a failure is shown by its code', async () => {
    i18n.lang = 'en';
    const tasks = [task(1, 'today', '2026-12-02T18:00:00+03:00', { entity_type: 'contacts', entity_id: 900 }), task(2, 'today', '2026-12-02T19:00:00+03:00')];
    backend({
      my_tasks: () => ({ tasks, truncated: false }),
      customer_phone: ({ id }) => (id === 900 ? null : fail({ code: 'network', message: 'amoCRM cannot be reached.', remedy: 'network' })),
    });
    const phones: string[] = [];
    const { container } = render(TasksView, { onCall: (p: string) => phones.push(p) });
    await waitFor(() => expect(container.querySelector('li.task[data-task-id="1"] button.task-call')).not.toBeNull());
    await fireEvent.click(q(container, 'li.task[data-task-id="1"] button.task-call'));
    await waitFor(() => expect(container.querySelector('li.task[data-task-id="1"] .task-no-phone')?.textContent).toBe('No phone for this customer'));
    i18n.lang = 'ru';
    await waitFor(() => expect(container.querySelector('li.task[data-task-id="1"] .task-no-phone')?.textContent).toBe('У клиента нет телефона'));
    i18n.lang = 'en';
    expect(phones).toEqual([]);

    await fireEvent.click(q(container, 'li.task[data-task-id="2"] button.task-call'));
    await waitFor(() => expect(container.querySelector('li.task[data-task-id="2"] #task-call-error')?.getAttribute('data-code')).toBe('network'));
    expect(container.querySelector('.task-no-phone')).toBeNull();
    expect(phones).toEqual([]);
  });
});

describe('My tasks: Edit changes the text, type and responsible user', () => {
  const refData = { ...reference, users: [{ id: 7, name: 'Anna', email: null }, { id: 8, name: 'Boris', email: null }] };

  test('the box is prefilled with the task; the draft carries only what changed, with the task as seen', async () => {
    i18n.lang = 'en';
    const t1 = task(1, 'today', '2026-12-02T18:00:00+03:00', { updated_at: 1_796_000_111 });
    const calls = backend({
      my_tasks: () => ({ tasks: [t1], truncated: false }),
      reference_data: () => refData,
      queue_task_change: () => queued(93),
    });
    const { container } = render(TasksView);
    await waitFor(() => expect(container.querySelector('li.task[data-task-id="1"] button.task-edit')).not.toBeNull());
    await fireEvent.click(q(container, 'li.task[data-task-id="1"] button.task-edit'));
    await waitFor(() => expect(container.querySelectorAll('li.task[data-task-id="1"] select.task-edit-responsible option').length).toBe(2));
    expect(argsOf(calls, 'reference_data')).toEqual({ refresh: false });
    expect(q<HTMLTextAreaElement>(container, 'li.task[data-task-id="1"] textarea.task-edit-text').value).toBe('Call back 1');
    const type = q<HTMLSelectElement>(container, 'li.task[data-task-id="1"] select.task-edit-type');
    expect([...type.options].map((o) => o.textContent)).toEqual(['Связаться', 'Встреча']);
    expect(type.value).toBe('1');
    const who = q<HTMLSelectElement>(container, 'li.task[data-task-id="1"] select.task-edit-responsible');
    expect(who.value).toBe('7');

    // Only the responsible user changes: the text goes as "" and the type as null (unchanged).
    who.value = '8';
    await fireEvent.change(who);
    await fireEvent.click(q(container, 'li.task[data-task-id="1"] button.task-edit-confirm'));
    await waitFor(() => expect(argsOf(calls, 'queue_task_change')).toBeDefined());
    expect(argsOf(calls, 'queue_task_change')).toEqual({
      draft: {
        task_id: 1, title: 'Call back 1', seen_updated_at: 1_796_000_111, done: false, result: '',
        due: '', text: '', task_type_id: null, responsible_user_id: 8,
      },
    });
    await waitFor(() => expect(q<HTMLElement>(container, 'li.task[data-task-id="1"]').classList.contains('queued')).toBe(true));
    expect(container.querySelector('li.task[data-task-id="1"] textarea.task-edit-text')).toBeNull();

    // Again from the same list: a new text and type, the responsible user as it was (null).
    await fireEvent.click(q(container, 'li.task[data-task-id="1"] button.task-edit'));
    await fireEvent.input(q(container, 'li.task[data-task-id="1"] textarea.task-edit-text'), { target: { value: '  Send the offer ' } });
    const type2 = q<HTMLSelectElement>(container, 'li.task[data-task-id="1"] select.task-edit-type');
    type2.value = '2';
    await fireEvent.change(type2);
    await fireEvent.click(q(container, 'li.task[data-task-id="1"] button.task-edit-confirm'));
    await waitFor(() => expect(argsOf(calls, 'queue_task_change', 1)).toBeDefined());
    expect(argsOf(calls, 'queue_task_change', 1)?.draft).toEqual({
      task_id: 1, title: 'Call back 1', seen_updated_at: 1_796_000_111, done: false, result: '',
      due: '', text: 'Send the offer', task_type_id: 2, responsible_user_id: null,
    });
  });

  test('a refused responsible user is shown on its select; nothing changed is refused on the box', async () => {
    i18n.lang = 'en';
    const t5 = task(5, 'today', '2026-12-02T10:00:00+03:00');
    const calls = backend({
      my_tasks: () => ({ tasks: [t5], truncated: false }),
      reference_data: () => refData,
      queue_task_change: ({ draft }) =>
        draft.responsible_user_id !== null
          ? fail({
              code: 'validation', message: 'Check the fields.', remedy: 'none',
              fields: [{ field: 'responsible_user_id', code: 'not_in_account', message: 'No such user in the account.', label: 'Responsible' }],
            })
          : fail({
              code: 'validation', message: 'Check the fields.', remedy: 'none',
              fields: [{ field: 'form', code: 'nothing_to_change', message: 'Nothing to change.', label: '' }],
            }),
    });
    const { container } = render(TasksView);
    await waitFor(() => expect(container.querySelector('li.task[data-task-id="5"] button.task-edit')).not.toBeNull());
    await fireEvent.click(q(container, 'li.task[data-task-id="5"] button.task-edit'));
    // Nothing changed: sent as such, the core's refusal shows on the box.
    await fireEvent.click(q(container, 'li.task[data-task-id="5"] button.task-edit-confirm'));
    await waitFor(() => expect(container.querySelector('li.task[data-task-id="5"] .err-form')?.textContent).toBe('Nothing to change.'));
    expect(argsOf(calls, 'queue_task_change')?.draft).toMatchObject({ text: '', task_type_id: null, responsible_user_id: null, due: '', done: false });

    await waitFor(() => expect(container.querySelectorAll('li.task[data-task-id="5"] select.task-edit-responsible option').length).toBe(2));
    const who = q<HTMLSelectElement>(container, 'li.task[data-task-id="5"] select.task-edit-responsible');
    who.value = '8';
    await fireEvent.change(who);
    await fireEvent.click(q(container, 'li.task[data-task-id="5"] button.task-edit-confirm'));
    await waitFor(() => expect(container.querySelector('li.task[data-task-id="5"] .err-responsible_user_id')?.textContent).toBe('No such user in the account.'));
    expect(who.getAttribute('aria-invalid')).toBe('true');
    expect(container.querySelector('li.task[data-task-id="5"] .err-form')).toBeNull();
    expect(q<HTMLElement>(container, 'li.task[data-task-id="5"]').classList.contains('queued')).toBe(false);
  });

  test('users_restricted: no responsible select; a failed reference read leaves the text and the task\'s own type', async () => {
    i18n.lang = 'en';
    const t6 = task(6, 'today', '2026-12-02T10:00:00+03:00');
    let read = 0;
    const calls = backend({
      my_tasks: () => ({ tasks: [t6], truncated: false }),
      reference_data: () => (++read === 1 ? fail({ code: 'network', message: 'amoCRM cannot be reached.', remedy: 'network' }) : { ...refData, users_restricted: true }),
      queue_task_change: () => queued(94),
    });
    const { container } = render(TasksView);
    await waitFor(() => expect(container.querySelector('li.task[data-task-id="6"] button.task-edit')).not.toBeNull());
    await fireEvent.click(q(container, 'li.task[data-task-id="6"] button.task-edit'));
    await waitFor(() => expect(names(calls).filter((n) => n === 'reference_data').length).toBe(1));
    expect(q<HTMLTextAreaElement>(container, 'li.task[data-task-id="6"] textarea.task-edit-text').value).toBe('Call back 6');
    await waitFor(() => expect([...container.querySelectorAll('li.task[data-task-id="6"] select.task-edit-type option')].map((o) => o.textContent)).toEqual(['Follow-up']));
    expect(container.querySelector('li.task[data-task-id="6"] select.task-edit-responsible')).toBeNull();

    // Closed and opened again: read again, now restricted to the user themselves — still no select.
    await fireEvent.click(q(container, 'li.task[data-task-id="6"] button.task-edit'));
    await fireEvent.click(q(container, 'li.task[data-task-id="6"] button.task-edit'));
    await waitFor(() => expect(container.querySelectorAll('li.task[data-task-id="6"] select.task-edit-type option').length).toBe(2));
    expect(names(calls).filter((n) => n === 'reference_data').length).toBe(2);
    expect(container.querySelector('li.task[data-task-id="6"] select.task-edit-responsible')).toBeNull();
  });
});
