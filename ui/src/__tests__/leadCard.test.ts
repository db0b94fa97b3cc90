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
import type { CustomField } from '../lib/bindings/CustomField';
import type { FieldErrorView } from '../lib/bindings/FieldErrorView';
import type { ReferenceData } from '../lib/bindings/ReferenceData';
import { argsOf, backend, emitEvent, fail, names } from './backend';
import { queued, reference } from './fixtures';

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

describe('Lead card: changes through the outbox', () => {
  /** An open lead in "First contact" of Sales. */
  const openCard = (over: Partial<LeadCard> = {}) =>
    card({ status_id: 2, status_name: 'First contact', stage_kind: 'open', loss_reason_id: null, loss_reason: null, ...over });
  /** "Contract no." must be filled for Negotiation (3) and Won (142) in Sales. */
  const contractNo: CustomField = {
    id: 5, name: 'Contract no.', code: null, type: 'text', sort: 1, is_api_only: false, enums: [],
    required_statuses: [{ pipeline_id: 10, status_id: 3 }, { pipeline_id: 10, status_id: 142 }],
  };
  const ref: ReferenceData = { ...reference, lead_fields: [contractNo], users: [...reference.users, { id: 8, name: 'Boris', email: null }] };
  const q = <T extends Element = HTMLInputElement>(c: HTMLElement, sel: string) => c.querySelector(sel) as T;
  const ready = async (c: HTMLElement) => waitFor(() => expect(c.querySelectorAll('#lead-stage option').length).toBe(2));

  test('Won queues the won stage with the version and pipeline seen; the card says queued and is read again when the outbox changes', async () => {
    let current = openCard();
    const calls = backend(
      { lead_card: () => current, reference_data: () => ref, queue_lead_change: () => queued(91) },
      { events: true },
    );
    const { container } = render(LeadCardView, { id: 501, onclose: () => {} });
    await ready(container);
    // The stages offered are the lead's pipeline's open ones, by name.
    expect([...container.querySelectorAll('#lead-stage option')].map((o) => o.textContent)).toEqual(['First contact', 'Negotiation']);
    expect(container.querySelector('#lead-actions')?.textContent).not.toMatch(/142|143/);

    // Won needs the contract number, which this lead has (field 5 filled).
    current = openCard({ fields: [...openCard().fields, { field_id: 5, name: 'Contract no.', field_type: 'text', value: 'C-77', checked: null }] });
    await emitEvent('outbox-changed', { queued: 0, other_account: 0, attention: 0, sent: 0, banned: false, offline: false, last_error: null });
    // Nothing was queued from this card yet: the event does not make it read again.
    expect(names(calls).filter((n) => n === 'lead_card').length).toBe(1);
    current = openCard();

    await fireEvent.click(q(container, '#lead-won'));
    await waitFor(() => expect(argsOf(calls, 'queue_lead_change')).toBeDefined());
    expect(argsOf(calls, 'queue_lead_change')?.draft).toEqual({
      lead_id: 501, lead_name: 'Sofa for Olga', seen_updated_at: 1_796_100_000, seen_pipeline_id: 10, filled_field_ids: [1, 2, 3],
      name: '', price: '', pipeline_id: null, status_id: 142, loss_reason_id: null, responsible_user_id: null, tags_to_add: [], custom_fields: [],
    });
    await waitFor(() => expect(container.querySelector('#lead-queued')?.textContent).toContain('Queued — will be sent'));
    // Further changes stay possible (the core compares them with this desk's own last change).
    expect(q<HTMLButtonElement>(container, '#lead-save').disabled).toBe(false);

    // Sent: the card is read again (staying drawn), shows the new version, and takes changes again.
    current = openCard({ status_id: 142, status_name: 'Won', stage_kind: 'won', updated_at: 1_796_100_500 });
    await emitEvent('outbox-changed', { queued: 0, other_account: 0, attention: 0, sent: 1, banned: false, offline: false, last_error: null });
    await waitFor(() => expect(container.querySelector('#lead-card-stage .kind')?.textContent).toBe('won'));
    expect(container.querySelector('#lead-queued')).toBeNull();
    expect(container.querySelector('#lead-won')).toBeNull();
    expect(q<HTMLButtonElement>(container, '#lead-save').disabled).toBe(false);
  });

  test('a second change from the same version (offline: move to a stage, then lost) is possible and carries the same seen_updated_at', async () => {
    const calls = backend({
      lead_card: () => openCard(),
      reference_data: () => ref,
      loss_reasons: () => [{ id: 4, name: 'Too expensive' }],
      queue_lead_change: () => queued(95),
    });
    const { container } = render(LeadCardView, { id: 501, onclose: () => {} });
    await ready(container);
    const select = q<HTMLSelectElement>(container, '#lead-stage');
    select.selectedIndex = 1;
    await fireEvent.change(select);
    await waitFor(() => expect(container.querySelector('#lead-required #cf-5')).not.toBeNull());
    await fireEvent.input(q(container, '#lead-required #cf-5'), { target: { value: 'C-77' } });
    await fireEvent.click(q(container, '#lead-move'));
    await waitFor(() => expect(container.querySelector('#lead-queued')).not.toBeNull());
    expect(argsOf(calls, 'queue_lead_change')?.draft).toMatchObject({ status_id: 3, seen_updated_at: 1_796_100_000 });

    // The card still shows the version read (nothing sent yet): Lost is usable all the same.
    expect(q<HTMLButtonElement>(container, '#lead-lost').disabled).toBe(false);
    await fireEvent.click(q(container, '#lead-lost'));
    await waitFor(() => expect(container.querySelectorAll('#lead-loss-reason option').length).toBe(2));
    const reasonSelect = q<HTMLSelectElement>(container, '#lead-loss-reason');
    reasonSelect.selectedIndex = 1;
    await fireEvent.change(reasonSelect);
    expect(q<HTMLButtonElement>(container, '#lead-lost-confirm').disabled).toBe(false);
    await fireEvent.click(q(container, '#lead-lost-confirm'));
    await waitFor(() => expect(argsOf(calls, 'queue_lead_change', 1)).toBeDefined());
    expect(argsOf(calls, 'queue_lead_change', 1)?.draft).toMatchObject({ status_id: 143, loss_reason_id: 4, seen_updated_at: 1_796_100_000 });
    expect(container.querySelector('#lead-queued')?.textContent).toContain('Queued — will be sent');
  });

  test('Lost with a reason from the account\'s loss reasons builds the lost stage and the reason', async () => {
    const calls = backend({
      lead_card: () => openCard(),
      reference_data: () => ref,
      loss_reasons: () => [{ id: 4, name: 'Too expensive' }, { id: 6, name: 'Went silent' }],
      queue_lead_change: () => queued(92),
    });
    const { container } = render(LeadCardView, { id: 501, onclose: () => {} });
    await ready(container);
    await fireEvent.click(q(container, '#lead-lost'));
    await waitFor(() => expect(container.querySelectorAll('#lead-loss-reason option').length).toBe(3));
    expect([...container.querySelectorAll('#lead-loss-reason option')].map((o) => o.textContent)).toEqual(['— no reason —', 'Too expensive', 'Went silent']);
    const select = q<HTMLSelectElement>(container, '#lead-loss-reason');
    select.selectedIndex = 2;
    await fireEvent.change(select);
    await fireEvent.click(q(container, '#lead-lost-confirm'));
    await waitFor(() => expect(argsOf(calls, 'queue_lead_change')).toBeDefined());
    expect(argsOf(calls, 'queue_lead_change')?.draft).toMatchObject({
      lead_id: 501, seen_updated_at: 1_796_100_000, seen_pipeline_id: 10, status_id: 143, loss_reason_id: 6, pipeline_id: null,
    });
  });

  test('a stage that requires a field the lead lacks asks for it first, and sends it with the move', async () => {
    const calls = backend({ lead_card: () => openCard(), reference_data: () => ref, queue_lead_change: () => queued(93) });
    const { container } = render(LeadCardView, { id: 501, onclose: () => {} });
    await ready(container);
    expect(container.querySelector('#lead-required')).toBeNull();
    const select = q<HTMLSelectElement>(container, '#lead-stage');
    select.selectedIndex = 1;
    await fireEvent.change(select);
    await waitFor(() => expect(container.querySelector('#lead-required #cf-5')).not.toBeNull());
    // Asked for above the stage controls, and only there (one input per field).
    expect(container.querySelectorAll('#cf-5').length).toBe(1);
    await fireEvent.input(q(container, '#lead-required #cf-5'), { target: { value: 'C-77' } });
    await fireEvent.click(q(container, '#lead-move'));
    await waitFor(() => expect(argsOf(calls, 'queue_lead_change')).toBeDefined());
    expect(argsOf(calls, 'queue_lead_change')?.draft).toMatchObject({ status_id: 3, custom_fields: [{ field_id: 5, value: 'C-77' }] });
  });

  test('the core\'s required-for-stage refusal lands on the field; a refused price on the price', async () => {
    let refusal: FieldErrorView[] = [
      { field: 'custom_fields.5', code: 'required_for_stage', message: 'Needed for the stage Won.', label: 'Contract no.' },
    ];
    backend({
      lead_card: () => openCard(),
      // The cached reference data do not know the stage needs it: only the core's check does.
      reference_data: () => ({ ...ref, lead_fields: [{ ...contractNo, required_statuses: [] }] }),
      queue_lead_change: () => fail({ code: 'validation', message: 'Check the fields.', remedy: 'none', fields: refusal }),
    });
    const { container } = render(LeadCardView, { id: 501, onclose: () => {} });
    await ready(container);
    await fireEvent.click(q(container, '#lead-won'));
    await waitFor(() => expect(container.querySelector('#lead-required #err-cf-5')?.textContent).toBe('Needed for the stage Won.'));
    expect(q(container, '#lead-required #cf-5').getAttribute('aria-invalid')).toBe('true');
    expect(container.querySelector('#lead-queued')).toBeNull();

    refusal = [{ field: 'price', code: 'invalid_price', message: 'The price must be a whole number.', label: 'Price' }];
    await fireEvent.input(q(container, '#lead-edit-price'), { target: { value: '12.5.1' } });
    await fireEvent.click(q(container, '#lead-save'));
    await waitFor(() => expect(container.querySelector('#err-lead-edit-price')?.textContent).toBe('The price must be a whole number.'));
    expect(container.querySelector('#err-cf-5')).toBeNull();
  });

  test('Save sends only what was changed: price, responsible, a tag, a custom field; nothing changed is the core\'s form refusal', async () => {
    let nothing = true;
    const calls = backend({
      lead_card: () => openCard(),
      reference_data: () => ref,
      queue_lead_change: () =>
        nothing
          ? fail({ code: 'validation', message: 'Check the fields.', remedy: 'none', fields: [{ field: 'form', code: 'nothing_to_change', message: 'Nothing to change.', label: '' }] })
          : queued(94),
    });
    const { container } = render(LeadCardView, { id: 501, onclose: () => {} });
    await ready(container);
    await fireEvent.click(q(container, '#lead-save'));
    await waitFor(() => expect(container.querySelector('.err-lead-form[data-field="form"]')?.textContent).toBe('Nothing to change.'));

    nothing = false;
    await fireEvent.input(q(container, '#lead-edit-price'), { target: { value: '17000' } });
    const who = q<HTMLSelectElement>(container, '#lead-edit-responsible');
    who.value = '8';
    await fireEvent.change(who);
    await fireEvent.input(q(container, '#lead-edit-tag'), { target: { value: ' repeat ' } });
    await fireEvent.input(q(container, '#lead-edit #cf-5'), { target: { value: 'C-78' } });
    await fireEvent.click(q(container, '#lead-save'));
    await waitFor(() => expect(argsOf(calls, 'queue_lead_change', 1)).toBeDefined());
    expect(argsOf(calls, 'queue_lead_change', 1)?.draft).toMatchObject({
      name: '', price: '17000', responsible_user_id: 8, tags_to_add: ['repeat'], custom_fields: [{ field_id: 5, value: 'C-78' }], status_id: null,
    });
  });
});
