import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, test } from 'vitest';
import FindView from '../components/FindView.svelte';
import LeadCardView from '../components/LeadCard.svelte';
import TasksView from '../components/TasksView.svelte';
import type { LeadCard } from '../lib/bindings/LeadCard';
import type { MyTask } from '../lib/bindings/MyTask';
import { i18n } from '../lib/i18n.svelte';
import { formatDue } from '../lib/tasks';
import { argsOf, backend, fail, names } from './backend';

afterEach(() => {
  clearMocks();
  i18n.lang = 'en';
});

const openTask: MyTask = {
  id: 31,
  text: 'Send the contract',
  task_type_id: 1,
  task_type: 'Follow-up',
  complete_till: 1_796_115_600,
  due: '2026-12-01T12:00:00+03:00',
  bucket: 'today',
  entity_type: 'leads',
  entity_id: 501,
  responsible_user_id: 7,
  responsible_name: 'Anna',
  updated_at: 1_796_000_000,
};

/** A lost lead with every part of the card filled, as the core answers `lead_card`. */
const card = (over: Partial<LeadCard> = {}): LeadCard => ({
  id: 501,
  name: 'Sofa for Olga',
  price: 15000,
  pipeline_id: 10,
  pipeline_name: 'Sales',
  status_id: 143,
  status_name: 'Closed - lost',
  stage_kind: 'lost',
  responsible_user_id: 7,
  responsible_name: 'Anna',
  loss_reason_id: 4,
  loss_reason: 'Too expensive',
  tags: ['vip', 'sofa'],
  fields: [
    { field_id: 1, name: 'Delivery', field_type: 'select', value: 'Courier', checked: null },
    { field_id: 2, name: 'Paid', field_type: 'checkbox', value: 'yes', checked: true },
    { field_id: 3, name: 'Assembled', field_type: 'checkbox', value: 'no', checked: false },
  ],
  contacts: [
    { id: 9, name: 'Olga Smirnova' },
    { id: 12, name: null },
  ],
  created_at: 1_796_000_000,
  created: '2026-11-30T04:13:20+03:00',
  updated_at: 1_796_100_000,
  updated: '2026-12-01T08:00:00+03:00',
  updated_by: 8,
  updated_by_name: 'Boris',
  notes: [
    { id: 70, note_type: 'call_out', text: '+79165550102, 2:05', created_at: 1_796_090_000, created: '2026-12-01T05:13:20+03:00', created_by: 7, created_by_name: 'Anna' },
    { id: 69, note_type: 'common', text: 'Wants it blue', created_at: 1_796_080_000, created: '2026-12-01T02:26:40+03:00', created_by: 0, created_by_name: null },
  ],
  tasks: [openTask],
  ...over,
});

/** The card's label: value pairs as drawn, from a `dl`. */
const pairs = (dl: Element | null) => {
  const dts = [...(dl?.querySelectorAll('dt') ?? [])].map((d) => d.textContent?.trim());
  const dds = [...(dl?.querySelectorAll('dd') ?? [])].map((d) => d.textContent?.replace(/\s+/g, ' ').trim());
  return dts.map((k, i) => [k, dds[i]]);
};

describe('Lead card', () => {
  test('draws the lead: stage with its kind as a word, loss reason, tags, fields, contacts, notes, tasks, who changed it', async () => {
    const calls = backend({ lead_card: () => card(), open_amocrm_record: () => true });
    const { container } = render(LeadCardView, { id: 501, onclose: () => {} });
    expect(container.querySelector('#lead-card-loading')).not.toBeNull();
    await waitFor(() => expect(container.querySelector('#lead-card-heading')?.textContent).toBe('Sofa for Olga'));
    expect(argsOf(calls, 'lead_card')).toEqual({ id: 501 });
    expect(container.querySelector('#lead-card')?.getAttribute('data-lead-id')).toBe('501');
    expect(container.querySelector('#lead-card-loading')).toBeNull();

    expect(pairs(container.querySelector('dl.facts'))).toEqual([
      ['Price', '15,000'],
      ['Stage', 'Sales → Closed - lost lost'],
      ['Responsible', 'Anna'],
      ['Loss reason', 'Too expensive'],
      ['Tags', 'vipsofa'],
      ['Contacts', 'Olga Smirnova, Contact #12'],
    ]);
    // The kind is a word from the window's language, never amoCRM's 142/143.
    expect(container.querySelector('#lead-card-stage .kind')?.textContent).toBe('lost');
    expect(container.querySelector('#lead-card-stage')?.textContent).not.toContain('143');
    expect(pairs(container.querySelector('#lead-card-fields'))).toEqual([
      ['Delivery', 'Courier'],
      ['Paid', 'Yes'],
      ['Assembled', 'No'],
    ]);

    const task = container.querySelector('#lead-card-tasks li[data-task-id="31"]') as HTMLElement;
    expect(task.querySelector('.when')?.textContent).toBe(formatDue('2026-12-01T12:00:00+03:00', 'en'));
    expect(task.textContent).toContain('Send the contract');
    const notes = [...container.querySelectorAll('#lead-card-notes li')].map((li) => li.getAttribute('data-note-id'));
    expect(notes).toEqual(['70', '69']);
    expect(container.querySelector('#lead-card-notes li[data-note-id="70"]')?.textContent).toContain('Outgoing call: +79165550102, 2:05');
    expect(container.querySelector('#lead-card-notes li[data-note-id="69"]')?.textContent).toContain('a robot');
    expect(container.querySelector('#lead-card-changed')?.textContent?.trim()).toBe(
      `Changed by Boris at ${formatDue('2026-12-01T08:00:00+03:00', 'en')}`,
    );

    await fireEvent.click(container.querySelector('#lead-card-amocrm') as HTMLElement);
    await waitFor(() => expect(argsOf(calls, 'open_amocrm_record')).toEqual({ kind: 'lead', id: 501 }));
  });

  test('in Russian: the kind, the checkbox and the labels in Russian; an open lead has no loss reason', async () => {
    i18n.lang = 'ru';
    backend({ lead_card: () => card({ stage_kind: 'won', status_id: 142, status_name: 'Успешно', loss_reason_id: null, loss_reason: null }) });
    const { container } = render(LeadCardView, { id: 501, onclose: () => {} });
    await waitFor(() => expect(container.querySelector('#lead-card-fields')).not.toBeNull());
    expect(container.querySelector('#lead-card-stage .kind')?.textContent).toBe('успешно реализовано');
    expect(pairs(container.querySelector('#lead-card-fields')).slice(1)).toEqual([
      ['Paid', 'Да'],
      ['Assembled', 'Нет'],
    ]);
    expect(container.querySelector('#lead-card-loss')).toBeNull();
    expect(container.querySelector('#lead-card-close')?.textContent).toBe('Закрыть');
    expect(container.querySelector('#lead-card-changed')?.textContent).toContain('Изменил(а) Boris');
  });

  test('a lead amoCRM does not have: the error by its code, no card drawn', async () => {
    backend({ lead_card: ({ id }) => fail({ code: 'lead_not_found', message: `amoCRM has no lead ${id}.`, remedy: 'none' }) });
    const { container } = render(LeadCardView, { id: 404, onclose: () => {} });
    await waitFor(() => expect(container.querySelector('#lead-card-error')?.getAttribute('data-code')).toBe('lead_not_found'));
    expect(container.querySelector('#lead-card-error')?.textContent).toContain('amoCRM has no lead 404.');
    expect(container.querySelector('#lead-card-loading')).toBeNull();
    expect(container.querySelector('dl.facts')).toBeNull();
    expect(container.querySelector('#lead-card-close')).not.toBeNull();
  });

  test('opened from My tasks by the task\'s Card button; Escape closes it', async () => {
    const colleague: MyTask = { ...openTask, id: 32, entity_type: 'contacts', entity_id: 9 };
    const calls = backend({ my_tasks: () => ({ tasks: [openTask, colleague], truncated: false }), lead_card: () => card() });
    const { container } = render(TasksView);
    await waitFor(() => expect(container.querySelector('li.task[data-task-id="31"] button.task-card')).not.toBeNull());
    // Only a task on a lead has a card.
    expect(container.querySelector('li.task[data-task-id="32"] button.task-card')).toBeNull();
    expect(container.querySelector('#lead-card')).toBeNull();

    await fireEvent.click(container.querySelector('li.task[data-task-id="31"] button.task-card') as HTMLElement);
    await waitFor(() => expect(container.querySelector('#lead-card-heading')?.textContent).toBe('Sofa for Olga'));
    expect(argsOf(calls, 'lead_card')).toEqual({ id: 501 });
    expect(container.querySelector('#lead-card')?.getAttribute('data-lead-id')).toBe('501');

    await fireEvent.keyDown(window, { key: 'Escape' });
    await waitFor(() => expect(container.querySelector('#lead-card')).toBeNull());
    // The list under it stays as it was.
    expect(container.querySelector('li.task[data-task-id="31"]')).not.toBeNull();
    expect(names(calls).filter((n) => n === 'my_tasks').length).toBe(1);
  });

  test('opened from Find for a found lead; Close closes it', async () => {
    const calls = backend({
      list_leads: () => [],
      search_amocrm: () => ({
        leads: [{ id: 501, name: 'Sofa for Olga', price: 15000, pipeline_id: 10, status_id: 143, responsible_user_id: 7, created_by: 7, created_at: 1, contact_ids: [] }],
        contacts: [],
      }),
      lead_card: ({ id }) => card({ id }),
    });
    const { container } = render(FindView, { reference: null });
    await waitFor(() => expect(container.querySelector('#recent-none')).not.toBeNull());
    await fireEvent.input(container.querySelector('#find-query') as HTMLInputElement, { target: { value: 'Sofa' } });
    await fireEvent.submit(container.querySelector('#find-form') as HTMLFormElement);
    await waitFor(() => expect(container.querySelector('#found-leads li[data-id="501"] button.lead-card-open')).not.toBeNull());

    await fireEvent.click(container.querySelector('#found-leads li[data-id="501"] button.lead-card-open') as HTMLElement);
    await waitFor(() => expect(container.querySelector('#lead-card-heading')?.textContent).toBe('Sofa for Olga'));
    expect(argsOf(calls, 'lead_card')).toEqual({ id: 501 });

    await fireEvent.click(container.querySelector('#lead-card-close') as HTMLElement);
    await waitFor(() => expect(container.querySelector('#lead-card')).toBeNull());
    expect(container.querySelector('#found-leads li[data-id="501"]')).not.toBeNull();
  });
});
