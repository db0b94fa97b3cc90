import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, test, vi } from 'vitest';
import History from '../components/History.svelte';
import type { ContactDraft } from '../lib/bindings/ContactDraft';
import type { FollowupDraft } from '../lib/bindings/FollowupDraft';
import type { LeadDraft } from '../lib/bindings/LeadDraft';
import type { OutboxItem } from '../lib/bindings/OutboxItem';
import type { ReferenceData } from '../lib/bindings/ReferenceData';
import type { StepView } from '../lib/bindings/StepView';
import { i18n } from '../lib/i18n.svelte';
import { formatDue } from '../lib/tasks';
import { argsOf, backend, names } from './backend';
import { queued, reference } from './fixtures';

afterEach(() => {
  clearMocks();
  localStorage.clear();
  i18n.lang = 'en';
});

const LEAD_URL = 'https://acme.amocrm.ru/leads/detail/555';
const step = (kind: StepView['kind'], state: StepView['state'], amo_id: number | null = null, url: string | null = null): StepView => ({ kind, state, amo_id, url });

/** An entry needing attention that the window can fix. */
function attention(id: number, e: Pick<OutboxItem, 'kind' | 'draft' | 'steps'> & Partial<OutboxItem>): OutboxItem {
  return { ...queued(id), state: 'attention', title: `Entry ${id}`, attempts: 1, editable: true, ...e } as OutboxItem;
}

const leadDraft = (d: Partial<LeadDraft>): LeadDraft => ({ ...(queued(0).draft as LeadDraft), ...d });

const q = <T extends Element = HTMLInputElement>(c: HTMLElement, sel: string) => c.querySelector(sel) as T;
const input = (c: HTMLElement, sel: string, value: string) => fireEvent.input(q(c, sel), { target: { value } });
const chips = (c: HTMLElement, id: number) => [...c.querySelectorAll(`#history-item-${id} .steps li`)].map((li) => li.textContent?.trim());

describe('History lists each entry\'s steps', () => {
  test('what reached amoCRM links to it, what waits or was refused says so — in English and Russian', async () => {
    i18n.lang = 'en';
    const calls = backend({ open_amocrm_record: () => true, open_in_amocrm: () => true });
    const lead = attention(3, {
      kind: 'lead', draft: leadDraft({ name: 'Sofa' }), lead_id: 555, lead_url: LEAD_URL,
      steps: [step('lead', 'done', 555, LEAD_URL), step('note', 'done', 9001, LEAD_URL), step('task', 'refused')],
    });
    const contact = attention(4, {
      kind: 'contact', draft: { first_name: 'Olga', last_name: '', phones: [], phone_types: [], emails: [], email_types: [], custom_fields: [], responsible_user_id: null, company: { name: 'Romashka', custom_fields: [] }, existing_company_id: null },
      steps: [step('contact', 'done', 61, 'https://acme.amocrm.ru/contacts/detail/61'), step('company', 'done', 42, 'https://acme.amocrm.ru/companies/detail/42'), step('link', 'maybe_sent')],
    });
    const incoming = { ...queued(5), steps: [step('incoming_lead', 'pending')] };
    const other = { ...queued(6), state: 'sent' as const, other_account: true, lead_id: 7, steps: [step('lead', 'done', 7, 'https://beta.amocrm.ru/leads/detail/7')] };
    const { container } = render(History, { items: [lead, contact, incoming, other], reference, onChanged: vi.fn() });

    expect(chips(container, 3)).toEqual(['lead · in amoCRM', 'note · in amoCRM', 'task · refused']);
    expect(chips(container, 4)).toEqual(['contact · in amoCRM', 'company · in amoCRM', 'link to the company · may already be in amoCRM']);
    expect(chips(container, 5)).toEqual(['lead in Incoming leads · waits']);
    expect(q(container, '#history-item-3 .steps a[data-kind="lead"]').getAttribute('href')).toBe(LEAD_URL);
    expect(container.querySelector('#history-item-3 .steps [data-kind="task"]')?.tagName).toBe('SPAN');

    // Links open through the backend: a note's is its lead's; a company opens as a company.
    await fireEvent.click(q(container, '#history-item-3 .steps a[data-kind="note"]'));
    await fireEvent.click(q(container, '#history-item-4 .steps a[data-kind="company"]'));
    await fireEvent.click(q(container, '#history-item-4 .steps a[data-kind="contact"]'));
    // Another account's entry opens through its own address, not the connected account's.
    await fireEvent.click(q(container, '#history-item-6 .steps a[data-kind="lead"]'));
    await waitFor(() => expect(names(calls)).toContain('open_in_amocrm'));
    expect(calls.filter((c) => c.cmd === 'open_amocrm_record').map((c) => c.args)).toEqual([
      { kind: 'lead', id: 555 },
      { kind: 'company', id: 42 },
      { kind: 'contact', id: 61 },
    ]);
    expect(argsOf(calls, 'open_in_amocrm')).toEqual({ id: 6 });

    i18n.lang = 'ru';
    await waitFor(() => expect(chips(container, 3)).toEqual(['сделка · в amoCRM', 'примечание · в amoCRM', 'задача · отклонено']));
    expect(chips(container, 4)).toEqual(['контакт · в amoCRM', 'компания · в amoCRM', 'привязка к компании · возможно, уже в amoCRM']);
    expect(chips(container, 5)).toEqual(['сделка в «Неразобранном» · ждёт']);
  });
});

describe('History: one way to fix an entry', () => {
  test('a lead in amoCRM whose task was refused: the lead and note are locked with their links and sent exactly as stored', async () => {
    i18n.lang = 'en';
    const calls = backend({ outbox_update: () => queued(12), open_amocrm_record: () => true });
    // What the form could not send back the same way: fields it does not draw, a blank phone
    // row, phone types left out, a contact's responsible user, tags in their own order.
    const stored = leadDraft({
      name: 'Sofa', price: '1 500', pipeline_id: 10, status_id: 3, responsible_user_id: 7, tags: ['vip', 'phone'],
      contact: {
        first_name: 'Ivan', last_name: '', phones: ['+79121234567', ''], phone_types: [], emails: [], email_types: [],
        custom_fields: [{ field_id: 999, value: 'x', checked: { kind: 'text', value: 'x' } }], responsible_user_id: 5, company: null, existing_company_id: null,
      },
      note: 'Wants 12 chairs',
      custom_fields: [{ field_id: 888, value: '42', checked: { kind: 'number', value: '42' } }],
      task: { text: 'Send the offer', due: '2026-12-01T10:00:00+03:00', task_type_id: 999, responsible_user_id: null },
    });
    const onChanged = vi.fn();
    const item = attention(12, {
      kind: 'lead', draft: stored, lead_id: 555, lead_url: LEAD_URL, locked: true,
      steps: [step('lead', 'done', 555, LEAD_URL), step('note', 'done', 9001, LEAD_URL), step('task', 'refused')],
      field_errors: [{ field: 'task.task_type_id', code: 'not_a_choice', message: 'amoCRM does not accept this choice', label: 'Task type' }],
    });
    const { container } = render(History, { items: [item], reference, onChanged });
    expect(container.querySelector('#history-item-12 .field-error')?.textContent).toContain('Task type:');
    await fireEvent.click(q(container, '#history-item-12 .edit'));

    const c = q<HTMLElement>(container, '#history-item-12');
    for (const sel of ['#lead-name', '#lead-price', '#lead-pipeline', '#lead-tags', '#contact-phone', '#contact-first', '#company-name', '#lead-note']) {
      expect(q(c, sel).matches(':disabled'), sel).toBe(true);
    }
    for (const sel of ['#task-text', '#task-due', '#task-type', '#task-responsible', '#lead-submit']) {
      expect(q(c, sel).matches(':disabled'), sel).toBe(false);
    }
    // Each locked part says it is in amoCRM, with its step's link.
    const marks = [...c.querySelectorAll('.in-amo a')];
    expect(marks.map((a) => [a.textContent, a.getAttribute('href')])).toEqual([
      ['in amoCRM', LEAD_URL],
      ['in amoCRM', LEAD_URL],
      ['in amoCRM', LEAD_URL],
    ]);
    await fireEvent.click(marks[0] as HTMLElement);
    await waitFor(() => expect(argsOf(calls, 'open_amocrm_record')).toEqual({ kind: 'lead', id: 555 }));
    // The refusal is shown on its field.
    expect(q(c, '#task-fields').textContent).toContain('amoCRM does not accept this choice');
    expect((q(c, '#lead-name') as HTMLInputElement).value).toBe('Sofa');

    // Even a value forced into a locked input does not go out.
    await input(c, '#lead-name', 'Changed');
    await fireEvent.change(q(c, '#task-type'), { target: { value: 'null' } });
    await fireEvent.click(q(c, '#lead-submit'));
    await waitFor(() => expect(names(calls)).toContain('outbox_update'));
    expect(argsOf(calls, 'outbox_update')).toEqual({
      id: 12,
      draft: { kind: 'lead', draft: { ...stored, task: { ...stored.task, task_type_id: null } } },
    });
    await waitFor(() => expect(onChanged).toHaveBeenCalled());
    expect(container.querySelector('#history-item-12 #lead-form')).toBeNull();
  });

  test('a contact in amoCRM whose company was refused: only the company part can change', async () => {
    i18n.lang = 'en';
    const calls = backend({ outbox_update: () => queued(13), search_companies: () => [] });
    const stored: ContactDraft = {
      first_name: 'Olga', last_name: 'Ivanova', phones: ['8 (916) 555-01-02'], phone_types: [], emails: ['olga@example.com'], email_types: ['PRIV'],
      custom_fields: [{ field_id: 999, value: 'Buyer', checked: { kind: 'text', value: 'Buyer' } }], responsible_user_id: 5,
      company: { name: 'Romashka', custom_fields: [] }, existing_company_id: null,
    };
    const item = attention(13, {
      kind: 'contact', draft: stored, contact_id: 61,
      steps: [step('contact', 'done', 61, 'https://acme.amocrm.ru/contacts/detail/61'), step('company', 'refused'), step('link', 'pending')],
      field_errors: [{ field: 'company.name', code: 'rejected', message: 'amoCRM refused the name', label: 'Company' }],
    });
    const { container } = render(History, { items: [item], reference, onChanged: vi.fn() });
    await fireEvent.click(q(container, '#history-item-13 .edit'));
    const c = q<HTMLElement>(container, '#history-item-13');
    for (const sel of ['#c-first', '#c-last', '#c-phone', '#c-email']) expect(q(c, sel).matches(':disabled'), sel).toBe(true);
    expect(q(c, '#company-name').matches(':disabled')).toBe(false);
    expect((q(c, '#c-first') as HTMLInputElement).value).toBe('Olga');
    expect((q(c, '#company-name') as HTMLInputElement).value).toBe('Romashka');
    expect(c.querySelector('#err-company')?.textContent).toBe('amoCRM refused the name');
    expect([...c.querySelectorAll('.in-amo a')].map((a) => a.getAttribute('href'))).toEqual(['https://acme.amocrm.ru/contacts/detail/61']);

    await input(c, '#company-name', 'Romashka LLC');
    await fireEvent.submit(q(c, '#contact-form'));
    await waitFor(() => expect(names(calls)).toContain('outbox_update'));
    expect(argsOf(calls, 'outbox_update')).toEqual({
      id: 13,
      draft: { kind: 'contact', draft: { ...stored, company: { name: 'Romashka LLC', custom_fields: [] } } },
    });
  });

  test('a follow-up whose note reached amoCRM but whose task was refused: only the task can change', async () => {
    i18n.lang = 'en';
    const calls = backend({ outbox_update: () => queued(14) });
    const stored: FollowupDraft = {
      lead_id: 501, lead_name: 'Chairs for the office', note: 'Called again',
      task: { text: 'Send the offer', due: '2026-12-01T10:00:00+03:00', task_type_id: null, responsible_user_id: 7 }, responsible_user_id: 7,
    };
    const item = attention(14, {
      kind: 'followup', draft: stored, lead_id: 501,
      steps: [step('note', 'done', 3, 'https://acme.amocrm.ru/leads/detail/501'), step('task', 'refused')],
      field_errors: [{ field: 'task.text', code: 'too_long_for_amo', message: 'too long for amoCRM', label: 'Task' }],
    });
    const { container } = render(History, { items: [item], reference, onChanged: vi.fn() });
    await fireEvent.click(q(container, '#history-item-14 .edit'));
    const c = q<HTMLElement>(container, '#history-item-14');
    expect(c.querySelector('#followup-to')?.textContent).toContain('Chairs for the office');
    expect(q(c, '#lead-note').matches(':disabled')).toBe(true);
    expect((q(c, '#lead-note') as HTMLTextAreaElement).value).toBe('Called again');
    expect(q(c, '#task-text').matches(':disabled')).toBe(false);
    expect(c.querySelector('#err-task-text')?.textContent).toBe('too long for amoCRM');
    await input(c, '#task-text', 'Send the price list');
    await fireEvent.click(q(c, '#followup-submit'));
    await waitFor(() => expect(names(calls)).toContain('outbox_update'));
    expect(argsOf(calls, 'outbox_update')).toEqual({
      id: 14,
      draft: { kind: 'followup', draft: { ...stored, task: { ...stored.task, text: 'Send the price list' } } },
    });
  });

  test('only entries needing attention that can be fixed now offer Edit', () => {
    i18n.lang = 'en';
    backend({});
    const done = attention(15, { kind: 'lead', draft: leadDraft({}), steps: [step('lead', 'done', 1, LEAD_URL)], editable: false });
    const waiting = { ...queued(16), editable: true };
    const { container } = render(History, { items: [done, waiting], reference, onChanged: vi.fn() });
    expect(container.querySelector('#history-item-15 .edit')).toBeNull();
    expect(container.querySelector('#history-item-16 .edit')).toBeNull();
  });

  test('a refused lead is fixed with its existing contact and its own Incoming-leads choice, not this computer\'s', async () => {
    i18n.lang = 'en';
    const calls = backend({ outbox_update: () => queued(20), search_companies: () => [] });
    const withUnsorted: ReferenceData = {
      ...reference,
      unsorted_on: true,
      pipelines: reference.pipelines.map((p) => ({ ...p, is_unsorted_on: p.id === 10 })),
    };
    localStorage.setItem('amo-connect.lead-form.unsorted', 'false');
    const incoming = attention(20, {
      kind: 'lead', draft: leadDraft({ name: 'Web order', pipeline_id: 10, status_id: null, responsible_user_id: 7, existing_contact_id: 99, unsorted: true }),
      steps: [step('incoming_lead', 'refused')],
    });
    const first = render(History, { items: [incoming], reference: withUnsorted, onChanged: vi.fn() });
    await fireEvent.click(q(first.container, '#history-item-20 .edit'));
    const c = first.container;
    expect(c.querySelector('#dup-attached')?.textContent).toContain('#99');
    expect(q(c, '#contact-phone')).toBeNull();
    await waitFor(() => expect((q(c, '#lead-unsorted') as HTMLInputElement).checked).toBe(true));
    await fireEvent.click(q(c, '#lead-submit'));
    await waitFor(() => expect(names(calls)).toContain('outbox_update'));
    expect(argsOf(calls, 'outbox_update')?.draft.draft).toMatchObject({ existing_contact_id: 99, contact: null, unsorted: true, status_id: null });
    first.unmount();

    // The other way round: this computer remembers Incoming leads, the entry went to a stage.
    localStorage.setItem('amo-connect.lead-form.unsorted', 'true');
    const staged = attention(21, {
      kind: 'lead', draft: leadDraft({ name: 'Phone order', pipeline_id: 10, status_id: 3, responsible_user_id: 7, unsorted: false }),
      steps: [step('lead', 'refused')],
    });
    const second = render(History, { items: [staged], reference: withUnsorted, onChanged: vi.fn() });
    await fireEvent.click(q(second.container, '#history-item-21 .edit'));
    const unsorted = q(second.container, '#lead-unsorted');
    expect(unsorted.checked).toBe(false);
    // Changing it for this entry does not change what new leads remember.
    await fireEvent.click(unsorted);
    await fireEvent.click(unsorted);
    expect(localStorage.getItem('amo-connect.lead-form.unsorted')).toBe('true');
    await fireEvent.click(q(second.container, '#lead-submit'));
    await waitFor(() => expect(calls.filter((x) => x.cmd === 'outbox_update').length).toBe(2));
    expect(argsOf(calls, 'outbox_update', 1)?.draft.draft).toMatchObject({ unsorted: false, status_id: 3 });
  });

  test('what is typed in the edit form survives a refresh of the list', async () => {
    i18n.lang = 'en';
    const calls = backend({ outbox_update: () => queued(30), find_duplicates: () => [] });
    const draft = leadDraft({ name: 'Sofa', pipeline_id: 10, status_id: 2 });
    /** The entry as each reading of the list returns it: a new copy. */
    const refused = (attempts = 1) => attention(30, { kind: 'lead', draft: { ...draft }, steps: [step('lead', 'refused')], attempts });
    const waiting = { ...queued(31), title: 'Waiting' };
    const { container, rerender } = render(History, { items: [refused(), waiting], reference, onChanged: vi.fn() });
    await fireEvent.click(q(container, '#history-item-30 .edit'));
    await input(container, '#lead-name', 'Sofa for the office');
    await input(container, '#task-text', 'Call back');
    // Another entry is retried while offline: the list is read again, every entry a new copy.
    await rerender({ items: [refused(), { ...waiting, attempts: 2 }] });
    await rerender({ items: [refused(2), { ...waiting, attempts: 3 }] });
    expect((q(container, '#lead-name') as HTMLInputElement).value).toBe('Sofa for the office');
    expect((q(container, '#task-text') as HTMLInputElement).value).toBe('Call back');
    await fireEvent.click(q(container, '#lead-submit'));
    await waitFor(() => expect(names(calls)).toContain('outbox_update'));
    expect(argsOf(calls, 'outbox_update')?.draft.draft).toMatchObject({ name: 'Sofa for the office', task: { text: 'Call back', due: 'tomorrow 10:00' } });
  });
});

describe('History: a change that met somebody else\'s', () => {
  const delivery = {
    id: 5, name: 'Delivery', code: null, type: 'select' as const, sort: 1, is_api_only: false,
    enums: [{ id: 51, value: 'Courier', sort: 1, code: null }, { id: 52, value: 'Pickup', sort: 2, code: null }], required_statuses: [],
  };
  const ref: ReferenceData = {
    ...reference,
    timezone: 'Europe/Moscow',
    users: [...reference.users, { id: 8, name: 'Boris', email: null }],
    lead_fields: [delivery],
  };
  const leadChange = attention(40, {
    kind: 'lead_change',
    error: { code: 'conflict', message: 'Entry #40 was not sent: user #8 changed lead #501.', remedy: 'none' },
    title: 'Sofa for Olga',
    draft: {
      lead_id: 501, lead_name: 'Sofa for Olga', seen_updated_at: 1_796_100_000, seen_pipeline_id: 10, filled_field_ids: [],
      name: '', price: '17000', pipeline_id: null, status_id: 143, loss_reason_id: 6, responsible_user_id: 7, tags_to_add: [], custom_fields: [{ field_id: 5, value: '52' }],
    },
    steps: [step('lead_change', 'pending')],
    conflict: {
      entity: 'leads', record_id: 501, updated_by: 8, updated_by_name: null, updated_at: 1_796_112_000,
      fields: [
        { field: 'price', theirs: '16000', mine: '17000' },
        { field: 'status', theirs: '3', mine: '143' },
        { field: 'loss_reason_id', theirs: '', mine: '6' },
        { field: 'responsible_user_id', theirs: '8', mine: '7' },
        { field: 'custom_fields.5', theirs: '51', mine: '52' },
      ],
    },
  });
  const taskChange = attention(41, {
    kind: 'task_change',
    title: 'Call back',
    draft: { task_id: 31, title: 'Call back', seen_updated_at: 1, done: true, result: 'Agreed', due: '', text: '', task_type_id: null, responsible_user_id: null },
    steps: [step('task_change', 'pending')],
    conflict: {
      entity: 'tasks', record_id: 31, updated_by: 0, updated_by_name: null, updated_at: 1_796_112_000,
      fields: [{ field: 'done', theirs: 'false', mine: 'true' }, { field: 'due', theirs: '1796115600', mine: '1796202000' }],
    },
  });
  const table = (c: HTMLElement, id: number) =>
    [...c.querySelectorAll(`#conflict-${id} tbody tr`)].map((tr) => [...tr.children].map((td) => td.textContent?.trim()));

  test('both versions by name — stages, users, the loss reason, a choice, dates in the account\'s zone — and who changed it when', async () => {
    i18n.lang = 'en';
    const calls = backend({ loss_reasons: () => [{ id: 6, name: 'Went silent' }] });
    const { container } = render(History, { items: [leadChange, taskChange], reference: ref, onChanged: vi.fn() });
    await waitFor(() => expect(table(container, 40)[2]?.[2]).toBe('Went silent'));
    expect(argsOf(calls, 'loss_reasons')).toEqual({});
    expect(table(container, 40)).toEqual([
      ['Price', '16000', '17000'],
      ['Stage', 'Negotiation', 'Lost'],
      ['Loss reason', '—', 'Went silent'],
      ['Responsible', 'Boris', 'Anna'],
      ['Delivery', 'Courier', 'Pickup'],
    ]);
    // 1_796_112_000 is 2026-12-01 08:00 UTC: 11:00 in Moscow, whatever this machine's zone.
    const who = container.querySelector('#conflict-40 .conflict-who')?.textContent ?? '';
    expect(who).toContain('Boris changed this lead');
    expect(who).toContain(formatDue('2026-12-01T11:00', 'en'));
    expect(container.querySelector('#conflict-40')?.textContent).not.toMatch(/\b143\b/);

    expect(table(container, 41)).toEqual([
      ['Done', 'No', 'Yes'],
      ['Due', formatDue('2026-12-01T12:00', 'en'), formatDue('2026-12-02T12:00', 'en')],
    ]);
    expect(container.querySelector('#conflict-41 .conflict-who')?.textContent).toContain('a robot changed this task');
    // The two buttons are the way out: no Edit (no form for a change), no Retry, no plain Remove.
    expect(container.querySelector('#history-item-40 button.edit')).toBeNull();
    expect(container.querySelector('#history-item-40 button.retry')).toBeNull();
    expect(container.querySelector('#history-item-40 button.discard')).toBeNull();
    expect(chips(container, 40)).toEqual(['change of the lead · waits']);
    // The block says what the core's error says, with the name: the error line is not repeated.
    expect(container.querySelector('#history-item-40 .item-error')).toBeNull();
  });

  test('Keep theirs discards the entry, Send mine sends it over their version; the History is read again', async () => {
    i18n.lang = 'en';
    const onChanged = vi.fn();
    const calls = backend({ loss_reasons: () => [], outbox_discard: () => null, outbox_send_mine: () => ({ ...leadChange, state: 'queued', conflict: null }) });
    const { container } = render(History, { items: [leadChange, taskChange], reference: ref, onChanged });
    await fireEvent.click(q(container, '#conflict-40 button.conflict-send-mine'));
    await waitFor(() => expect(argsOf(calls, 'outbox_send_mine')).toEqual({ id: 40 }));
    await fireEvent.click(q(container, '#conflict-41 button.conflict-keep-theirs'));
    await waitFor(() => expect(argsOf(calls, 'outbox_discard')).toEqual({ id: 41 }));
    expect(names(calls).filter((n) => n === 'outbox_send_mine' || n === 'outbox_discard')).toEqual(['outbox_send_mine', 'outbox_discard']);
    await waitFor(() => expect(onChanged).toHaveBeenCalledTimes(2));
  });

  test('in Russian', async () => {
    i18n.lang = 'ru';
    backend({ loss_reasons: () => [{ id: 6, name: 'Пропал' }] });
    const { container } = render(History, { items: [taskChange], reference: ref, onChanged: vi.fn() });
    expect(table(container, 41)[0]).toEqual(['Выполнена', 'Нет', 'Да']);
    expect(q(container, '#conflict-41 button.conflict-keep-theirs').textContent).toBe('Оставить их');
    expect(q(container, '#conflict-41 button.conflict-send-mine').textContent).toBe('Отправить моё');
    expect(chips(container, 41)).toEqual(['изменение задачи · ждёт']);
  });
});
