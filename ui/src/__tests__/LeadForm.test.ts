import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, test, vi } from 'vitest';
import LeadForm from '../components/LeadForm.svelte';
import ContactForm from '../components/ContactForm.svelte';
import History from '../components/History.svelte';
import OutboxBanner from '../components/OutboxBanner.svelte';
import type { OutboxItem } from '../lib/bindings/OutboxItem';
import type { ReferenceData } from '../lib/bindings/ReferenceData';
import type { OutboxSummary } from '../lib/bindings/OutboxSummary';
import { i18n } from '../lib/i18n.svelte';
import { argsOf, backend, fail, names } from './backend';
import { queued, reference } from './fixtures';
import { emailType, phoneType, typedRows } from '../lib/contactTypes';

afterEach(() => clearMocks());

const input = (c: HTMLElement, sel: string, value: string) =>
  fireEvent.input(c.querySelector(sel) as HTMLInputElement, { target: { value } });

describe('LeadForm', () => {
  test('submits one draft with its contact, clears and is ready for the next call', async () => {
    i18n.lang = 'en';
    const calls = backend({ find_duplicates: () => [], queue_lead: () => queued(5) });
    const onSaved = vi.fn();
    const { container } = render(LeadForm, { reference, onSaved });
    await input(container, '#lead-name', 'Order 17');
    await input(container, '#lead-price', '1500');
    await fireEvent.change(container.querySelector('#lead-pipeline') as HTMLSelectElement, { target: { value: '10' } });
    await input(container, '#lead-tags', 'phone, vip');
    await input(container, '#contact-first', 'Ivan');
    await input(container, '#contact-phone', '8 912 123 45 67');
    await input(container, '#lead-note', 'call back');
    await fireEvent.submit(container.querySelector('#lead-form') as HTMLFormElement);
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(argsOf(calls, 'queue_lead')).toEqual({
      draft: {
        name: 'Order 17', price: '1500', pipeline_id: 10, status_id: 2, responsible_user_id: 7, tags: ['phone', 'vip'],
        contact: { first_name: 'Ivan', last_name: '', phones: ['8 912 123 45 67'], phone_types: ['WORK'], emails: [], email_types: [], custom_fields: [], responsible_user_id: null, company: null, existing_company_id: null },
        existing_contact_id: null, note: 'call back', custom_fields: [],
        company: null, existing_company_id: null, task: null, unsorted: false,
      },
    });
    expect((container.querySelector('#lead-name') as HTMLInputElement).value).toBe('');
    await waitFor(() => expect(document.activeElement?.id).toBe('lead-name'));
    expect(container.querySelector('#lead-notice')?.textContent).toContain('#5');
    // Unsorted, won and lost are not offered as a stage for a new lead.
    expect([...container.querySelectorAll('#lead-status option')].map((o) => o.textContent)).toEqual(['First contact', 'Negotiation']);
  });

  test('the stage select offers only open stages, whatever their ids', async () => {
    i18n.lang = 'en';
    const calls = backend({ find_duplicates: () => [], queue_lead: () => queued(7) });
    const { container } = render(LeadForm, { reference, onSaved: vi.fn() });
    const stages = () => [...container.querySelectorAll('#lead-status option')].map((o) => o.textContent);
    // A new form opens on the main pipeline's first open stage, the signed-in user responsible:
    // every select shows a real choice (no stage name in the pipeline select, no bare dash).
    const value = (sel: string) => (container.querySelector(sel) as HTMLSelectElement).value;
    await waitFor(() => expect(value('#lead-pipeline')).toBe('10'));
    expect([...container.querySelectorAll('#lead-pipeline option')].map((o) => o.textContent)).toEqual(['Sales', 'Repairs']);
    expect(stages()).toEqual(['First contact', 'Negotiation']);
    expect(value('#lead-status')).toBe('2');
    expect(value('#lead-responsible')).toBe('7');
    await fireEvent.change(container.querySelector('#lead-pipeline') as HTMLSelectElement, { target: { value: '20' } });
    expect(stages()).toEqual(['In work']);
    await input(container, '#lead-name', 'Fix the chair');
    await fireEvent.submit(container.querySelector('#lead-form') as HTMLFormElement);
    await waitFor(() => expect(names(calls)).toContain('queue_lead'));
    expect(argsOf(calls, 'queue_lead')?.draft).toMatchObject({ pipeline_id: 20, status_id: 23 });
  });

  test('field errors from the backend are shown on their fields and nothing is cleared', async () => {
    i18n.lang = 'en';
    backend({
      find_duplicates: () => [],
      queue_lead: () =>
        fail({
          code: 'validation', message: 'Check the fields', remedy: 'none',
          fields: [
            { field: 'price', code: 'invalid_price', message: 'the price is a whole number, 0 or more', label: 'price' },
            { field: 'contact.phones.0', code: 'invalid_phone', message: 'a phone number has 8–15 digits', label: 'contact.phones.0' },
          ],
        }),
    });
    const { container } = render(LeadForm, { reference, onSaved: vi.fn() });
    await input(container, '#lead-name', 'Order');
    await input(container, '#lead-price', '12,5');
    await input(container, '#contact-phone', '12');
    await fireEvent.submit(container.querySelector('#lead-form') as HTMLFormElement);
    await waitFor(() => expect(container.querySelector('#err-price')?.textContent).toContain('whole number'));
    expect(container.querySelector('#err-contact-phone')?.textContent).toContain('8–15');
    expect(container.querySelector('#lead-price')?.getAttribute('aria-invalid')).toBe('true');
    expect((container.querySelector('#lead-name') as HTMLInputElement).value).toBe('Order');
  });

  test('a phone already in amoCRM is offered; attaching sends the existing contact id only', async () => {
    i18n.lang = 'en';
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const calls = backend({
      find_duplicates: () => [{
        id: 99, name: 'Ivan Petrov', phones: ['+79121234567'], emails: [],
        open_leads: [{ id: 501, name: 'Chairs for the office', price: 0, pipeline_id: 10, status_id: 3, responsible_user_id: 7, created_by: 7, created_at: 1_700_000_000, contact_ids: [99] }],
      }],
      queue_lead: () => queued(6),
    });
    const { container } = render(LeadForm, { reference, onSaved: vi.fn() });
    await input(container, '#lead-name', 'Repeat order');
    await input(container, '#contact-phone', '+7 912 123 45 67');
    await vi.advanceTimersByTimeAsync(500);
    await waitFor(() => expect(container.querySelector('#dup-offer-99')?.textContent).toContain('Ivan Petrov'));
    // The customer's leads still in work, with stage and responsible.
    expect(container.querySelector('#dup-offer-99 .open-leads li')?.textContent).toMatch(/^\s*Chairs for the office Sales · Negotiation · Anna/);
    await fireEvent.click(container.querySelector('#dup-offer-99 .dup-attach') as HTMLButtonElement);
    expect(container.querySelector('#dup-attached')?.textContent).toContain('Ivan Petrov');
    await fireEvent.submit(container.querySelector('#lead-form') as HTMLFormElement);
    await waitFor(() => expect(names(calls)).toContain('queue_lead'));
    const draft = argsOf(calls, 'queue_lead')?.draft;
    expect(draft?.existing_contact_id).toBe(99);
    expect(draft?.contact).toBeNull();
    vi.useRealTimers();
  });
});

describe('LeadForm: company, task and the customer\'s open lead', () => {
  test('Incoming leads: offered only where the account and pipeline take them; the choice is remembered', async () => {
    i18n.lang = 'en';
    localStorage.clear();
    const calls = backend({ find_duplicates: () => [], queue_lead: () => queued(11) });
    const withUnsorted: ReferenceData = {
      ...reference,
      unsorted_on: true,
      pipelines: reference.pipelines.map((p) => ({ ...p, is_unsorted_on: p.id === 10 })),
    };
    const first = render(LeadForm, { reference: withUnsorted, onSaved: vi.fn() });
    const c = first.container;
    await waitFor(() => expect(c.querySelector('#lead-unsorted')).not.toBeNull());
    await fireEvent.click(c.querySelector('#lead-unsorted') as HTMLInputElement);
    expect((c.querySelector('#lead-status') as HTMLSelectElement).disabled).toBe(true);
    await input(c, '#lead-name', 'Web order');
    await fireEvent.submit(c.querySelector('#lead-form') as HTMLFormElement);
    await waitFor(() => expect(names(calls)).toContain('queue_lead'));
    expect(argsOf(calls, 'queue_lead')?.draft).toMatchObject({ unsorted: true, status_id: null, pipeline_id: 10 });
    // A pipeline without Incoming leads: not offered, and a lead there goes to its stage.
    await fireEvent.change(c.querySelector('#lead-pipeline') as HTMLSelectElement, { target: { value: '20' } });
    expect(c.querySelector('#lead-unsorted')).toBeNull();
    first.unmount();
    // The next form remembers the choice.
    const again = render(LeadForm, { reference: withUnsorted, onSaved: vi.fn() });
    await waitFor(() => expect((again.container.querySelector('#lead-unsorted') as HTMLInputElement | null)?.checked).toBe(true));
    again.unmount();
    // An account with Incoming leads off: never offered.
    const off = render(LeadForm, { reference: { ...withUnsorted, unsorted_on: false }, onSaved: vi.fn() });
    expect(off.container.querySelector('#lead-unsorted')).toBeNull();
    localStorage.clear();
  });

  test('several phones and e-mails, each with its type; empty rows are dropped, errors land on their row', async () => {
    i18n.lang = 'en';
    const calls = backend({
      find_duplicates: () => [],
      queue_lead: () =>
        fail({
          code: 'validation', message: 'Check the fields', remedy: 'none',
          fields: [{ field: 'contact.phones.1', code: 'invalid_phone', message: 'a phone number has 8–15 digits', label: 'contact.phones.1' }],
        }),
    });
    const { container } = render(LeadForm, { reference, onSaved: vi.fn() });
    const select = (sel: string, value: string) => fireEvent.change(container.querySelector(sel) as HTMLSelectElement, { target: { value } });
    expect([...(container.querySelector('#contact-phone-type') as HTMLSelectElement).options].map((o) => o.textContent)).toEqual([
      'Work', 'Mobile', 'Direct line', 'Home', 'Fax', 'Other',
    ]);
    await input(container, '#lead-name', 'Sofa');
    await input(container, '#contact-phone', '+7 912 123 45 67');
    await select('#contact-phone-type', 'MOB');
    await fireEvent.click(container.querySelector('#contact-phone-add') as HTMLButtonElement);
    await input(container, '#contact-phone-2', '12');
    await fireEvent.click(container.querySelector('#contact-phone-add') as HTMLButtonElement);
    await fireEvent.click(container.querySelector('#contact-email-add') as HTMLButtonElement);
    await input(container, '#contact-email', 'anna@work.example');
    await input(container, '#contact-email-2', 'anna@home.example');
    await select('#contact-email-2-type', 'PRIV');
    await fireEvent.submit(container.querySelector('#lead-form') as HTMLFormElement);
    await waitFor(() => expect(names(calls)).toContain('queue_lead'));
    expect(argsOf(calls, 'queue_lead')?.draft.contact).toMatchObject({
      phones: ['+7 912 123 45 67', '12'], phone_types: ['MOB', 'WORK'],
      emails: ['anna@work.example', 'anna@home.example'], email_types: ['WORK', 'PRIV'],
    });
    await waitFor(() => expect(container.querySelector('#err-contact-phone-2')?.textContent).toContain('8–15'));
    expect(container.querySelector('#contact-phone-2')?.getAttribute('aria-invalid')).toBe('true');
    expect(container.querySelector('#contact-phone')?.getAttribute('aria-invalid')).toBe('false');
  });

  test('a company picked from amoCRM is attached by id; a typed name makes a new one', async () => {
    i18n.lang = 'en';
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const calls = backend({
      find_duplicates: () => [],
      search_companies: ({ query }) => (query.startsWith('Rom') ? [{ id: 77, name: 'Romashka LLC' }] : []),
      queue_lead: () => queued(8),
    });
    const { container } = render(LeadForm, { reference, onSaved: vi.fn() });
    await input(container, '#lead-name', 'Chairs');
    await input(container, '#company-name', 'Rom');
    await vi.advanceTimersByTimeAsync(400);
    await waitFor(() => expect(container.querySelector('.company-pick')?.textContent).toBe('Romashka LLC'));
    await fireEvent.click(container.querySelector('.company-pick') as HTMLButtonElement);
    expect(container.querySelector('#company-attached')?.textContent).toContain('Romashka LLC');
    await fireEvent.submit(container.querySelector('#lead-form') as HTMLFormElement);
    await waitFor(() => expect(names(calls)).toContain('queue_lead'));
    expect(argsOf(calls, 'queue_lead')?.draft).toMatchObject({ company: null, existing_company_id: 77 });
    // The form is clear for the next call: a name nobody has becomes a new company.
    await input(container, '#lead-name', 'Tables');
    await input(container, '#company-name', 'Lutik Ltd');
    await vi.advanceTimersByTimeAsync(400);
    await waitFor(() => expect(container.querySelector('#company-new')?.textContent).toContain('Lutik Ltd'));
    await fireEvent.submit(container.querySelector('#lead-form') as HTMLFormElement);
    await waitFor(() => expect(calls.filter((c) => c.cmd === 'queue_lead').length).toBe(2));
    expect(argsOf(calls, 'queue_lead', 1)?.draft).toMatchObject({ company: { name: 'Lutik Ltd', custom_fields: [] }, existing_company_id: null });
    vi.useRealTimers();
  });

  test('the contact form puts the contact in a company picked from amoCRM, or in a new one typed by name', async () => {
    i18n.lang = 'en';
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const calls = backend({
      find_duplicates: () => [],
      search_companies: ({ query }) => (query.startsWith('Rom') ? [{ id: 77, name: 'Romashka LLC' }] : []),
      queue_contact: () => queued(9),
    });
    const { container } = render(ContactForm, { reference, onSaved: vi.fn() });
    await input(container, '#c-first', 'Olga');
    await input(container, '#company-name', 'Rom');
    await vi.advanceTimersByTimeAsync(400);
    await waitFor(() => expect(container.querySelector('.company-pick')?.textContent).toBe('Romashka LLC'));
    await fireEvent.click(container.querySelector('.company-pick') as HTMLButtonElement);
    expect(container.querySelector('#company-attached')?.textContent).toContain('The contact goes into the company Romashka LLC.');
    await fireEvent.submit(container.querySelector('#contact-form') as HTMLFormElement);
    await waitFor(() => expect(names(calls)).toContain('queue_contact'));
    expect(argsOf(calls, 'queue_contact')?.draft).toMatchObject({ first_name: 'Olga', company: null, existing_company_id: 77 });
    // Cleared for the next one: a name nobody has is a new company.
    expect((container.querySelector('#company-name') as HTMLInputElement).value).toBe('');
    await input(container, '#c-first', 'Petr');
    await input(container, '#company-name', 'Lutik Ltd');
    await vi.advanceTimersByTimeAsync(400);
    await waitFor(() => expect(container.querySelector('#company-new')?.textContent).toBe('A new company “Lutik Ltd” is created and the contact put in it.'));
    await fireEvent.submit(container.querySelector('#contact-form') as HTMLFormElement);
    await waitFor(() => expect(calls.filter((c) => c.cmd === 'queue_contact').length).toBe(2));
    expect(argsOf(calls, 'queue_contact', 1)?.draft).toMatchObject({ company: { name: 'Lutik Ltd', custom_fields: [] }, existing_company_id: null });
    vi.useRealTimers();
  });

  test('a follow-up task: typing its text picks tomorrow 10:00; a custom time, a type and who does it', async () => {
    i18n.lang = 'en';
    const calls = backend({ find_duplicates: () => [], queue_lead: () => queued(9) });
    const { container } = render(LeadForm, { reference, onSaved: vi.fn() });
    const select = (sel: string) => container.querySelector(sel) as HTMLSelectElement;
    expect([...select('#task-due').options].map((o) => o.textContent)).toEqual([
      'No task', 'In 1 hour', 'Tomorrow 10:00', 'In 3 days', 'Next week (Monday 10:00)', 'Date and time…',
    ]);
    expect([...select('#task-type').options].map((o) => o.textContent)).toEqual(['Связаться', 'Встреча']);
    await input(container, '#lead-name', 'Sofa');
    // Typing picks tomorrow 10:00; clearing the text takes the pick back.
    await input(container, '#task-text', 'x');
    await waitFor(() => expect(select('#task-due').value).toBe('tomorrow 10:00'));
    await input(container, '#task-text', '');
    await waitFor(() => expect(select('#task-due').value).toBe(''));
    await input(container, '#task-text', 'Call back');
    await waitFor(() => expect(select('#task-due').value).toBe('tomorrow 10:00'));
    await fireEvent.submit(container.querySelector('#lead-form') as HTMLFormElement);
    await waitFor(() => expect(names(calls)).toContain('queue_lead'));
    expect(argsOf(calls, 'queue_lead')?.draft.task).toEqual({ text: 'Call back', due: 'tomorrow 10:00', task_type_id: null, responsible_user_id: null });
    // Cleared for the next call: no task.
    await waitFor(() => expect(select('#task-due').value).toBe(''));
    expect((container.querySelector('#task-text') as HTMLInputElement).value).toBe('');

    await input(container, '#lead-name', 'Table');
    await input(container, '#task-text', 'Meet');
    await fireEvent.change(select('#task-due'), { target: { value: 'custom' } });
    await input(container, '#task-due-custom', '2026-12-01T15:30');
    await fireEvent.change(select('#task-type'), { target: { value: '2' } });
    await fireEvent.change(select('#task-responsible'), { target: { value: '7' } });
    await fireEvent.submit(container.querySelector('#lead-form') as HTMLFormElement);
    await waitFor(() => expect(calls.filter((c) => c.cmd === 'queue_lead').length).toBe(2));
    expect(argsOf(calls, 'queue_lead', 1)?.draft.task).toEqual({ text: 'Meet', due: '2026-12-01T15:30', task_type_id: 2, responsible_user_id: 7 });
  });

  test('the task\'s problems are shown on its fields', async () => {
    i18n.lang = 'en';
    backend({
      find_duplicates: () => [],
      queue_lead: () =>
        fail({
          code: 'validation', message: 'Check the fields', remedy: 'none',
          fields: [{ field: 'task.due', code: 'due_in_past', message: 'this time has already passed', label: 'task.due' }],
        }),
    });
    const { container } = render(LeadForm, { reference, onSaved: vi.fn() });
    await input(container, '#lead-name', 'Sofa');
    await input(container, '#task-text', 'Call back');
    await fireEvent.submit(container.querySelector('#lead-form') as HTMLFormElement);
    await waitFor(() => expect(container.querySelector('#err-task-due')?.textContent).toBe('this time has already passed'));
    expect((container.querySelector('#task-text') as HTMLInputElement).value).toBe('Call back');
  });

  test('a note and task go to the customer\'s open lead instead of a new lead', async () => {
    i18n.lang = 'en';
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const calls = backend({
      find_duplicates: () => [{
        id: 99, name: 'Ivan Petrov', phones: ['+79121234567'], emails: [],
        open_leads: [{ id: 501, name: 'Chairs for the office', price: 0, pipeline_id: 10, status_id: 3, responsible_user_id: 7, created_by: 7, created_at: 1_700_000_000, contact_ids: [99] }],
      }],
      queue_followup: () => ({ ...queued(10), kind: 'followup' as const, draft: { lead_id: 501, lead_name: 'Chairs for the office', note: 'Asked again', task: null, responsible_user_id: 7 } }),
    });
    const onSaved = vi.fn();
    const { container } = render(LeadForm, { reference, onSaved });
    await input(container, '#contact-phone', '+7 912 123 45 67');
    await vi.advanceTimersByTimeAsync(500);
    await waitFor(() => expect(container.querySelector('#dup-offer-99 .followup-add')).not.toBeNull());
    await fireEvent.click(container.querySelector('#dup-offer-99 .followup-add') as HTMLButtonElement);
    expect(container.querySelector('#followup-to')?.textContent).toContain('Chairs for the office');
    expect(container.querySelector('#lead-name')).toBeNull();
    await waitFor(() => expect(document.activeElement?.id).toBe('lead-note'));
    await input(container, '#lead-note', 'Asked again');
    await input(container, '#task-text', 'Send the offer');
    await fireEvent.change(container.querySelector('#task-due') as HTMLSelectElement, { target: { value: '+1h' } });
    await fireEvent.submit(container.querySelector('#lead-form') as HTMLFormElement);
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(names(calls)).not.toContain('queue_lead');
    expect(argsOf(calls, 'queue_followup')).toEqual({
      draft: { lead_id: 501, lead_name: 'Chairs for the office', note: 'Asked again', task: { text: 'Send the offer', due: '+1h', task_type_id: null, responsible_user_id: null }, responsible_user_id: 7 },
    });
    expect(container.querySelector('#lead-notice')?.textContent).toContain('#10');
    // Back to a new lead for the next call.
    expect(container.querySelector('#followup-to')).toBeNull();
    expect(container.querySelector('#lead-name')).not.toBeNull();
    vi.useRealTimers();
  });
});

describe('History and the outbox banner', () => {
  test('contact rows: only empty rows at the end are dropped, so a problem keeps its row', () => {
    expect(typedRows(['', '12', ''], ['WORK', 'MOB'], phoneType)).toEqual([['', '12'], ['WORK', 'MOB']]);
    expect(typedRows([''], ['WORK'], phoneType)).toEqual([[], []]);
    expect(typedRows(['a@b.c'], ['NOPE'], emailType)).toEqual([['a@b.c'], ['WORK']]);
  });

  test('a sent entry links into amoCRM; a refused one can be retried, edited or removed', async () => {
    i18n.lang = 'en';
    const calls = backend({ open_in_amocrm: () => true, outbox_retry: () => 1, outbox_discard: () => null });
    const sent = { ...queued(1), state: 'sent' as const, title: 'Order 1', lead_id: 555, lead_url: 'https://acme.amocrm.ru/leads/detail/555', locked: true };
    const refused: OutboxItem = {
      ...queued(2), state: 'attention', title: 'Order 2', attempts: 1, editable: true,
      steps: [{ kind: 'lead', state: 'refused', amo_id: null, url: null }],
      error: { code: 'validation', message: 'Check the fields', remedy: 'none' },
      field_errors: [{ field: 'status', code: 'not_a_choice', message: 'The value you selected is not a valid choice.', label: 'status' }],
    };
    const onChanged = vi.fn();
    const { container } = render(History, { items: [refused, sent], reference, onChanged });
    const link = container.querySelector('#history-item-1 .amo-link') as HTMLAnchorElement;
    expect(link.getAttribute('href')).toBe('https://acme.amocrm.ru/leads/detail/555');
    await fireEvent.click(link);
    await waitFor(() => expect(names(calls)).toContain('open_in_amocrm'));
    expect(container.querySelector('#history-item-1 .retry')).toBeNull();
    expect(container.querySelector('#history-item-2')?.textContent).toContain('not a valid choice');
    await fireEvent.click(container.querySelector('#history-item-2 .edit') as HTMLButtonElement);
    expect((container.querySelector('#history-item-2 #lead-name') as HTMLInputElement).value).toBe('x');
    await fireEvent.click(container.querySelector('#history-item-2 .discard') as HTMLButtonElement);
    await waitFor(() => expect(names(calls)).toContain('outbox_discard'));
  });

  test('an entry typed for another account says so, is not retried here, and can be removed', async () => {
    i18n.lang = 'en';
    const calls = backend({ outbox_discard: () => null, outbox_retry: () => 1 });
    const other: OutboxItem = { ...queued(4), title: 'Beta order', account_domain: 'beta.amocrm.ru', other_account: true };
    const mine: OutboxItem = { ...queued(5), title: 'Acme order' };
    const { container } = render(History, { items: [other, mine], reference, onChanged: vi.fn() });
    expect(container.querySelector('#history-item-4 .other-account')?.textContent).toBe(
      'For beta.amocrm.ru: sent only there, when that account is connected again.',
    );
    expect(container.querySelector('#history-item-4 .retry')).toBeNull();
    // The connected account's waiting entry is still to be sent: retry, no removal.
    expect(container.querySelector('#history-item-5 .other-account')).toBeNull();
    expect(container.querySelector('#history-item-5 .retry')).not.toBeNull();
    expect(container.querySelector('#history-item-5 .discard')).toBeNull();
    await fireEvent.click(container.querySelector('#history-item-4 .discard') as HTMLButtonElement);
    await waitFor(() => expect(names(calls)).toContain('outbox_discard'));
    expect(argsOf(calls, 'outbox_discard')).toEqual({ id: 4 });
  });

  test('an entry past the retention period says its details were removed', () => {
    i18n.lang = 'en';
    const purged: OutboxItem = { ...queued(3), state: 'sent', title: '', purged: true, lead_id: 9, lead_url: 'https://acme.amocrm.ru/leads/detail/9', locked: true };
    const { container } = render(History, { items: [purged], reference, onChanged: vi.fn() });
    expect(container.querySelector('#history-item-3 .title')?.textContent).toBe('Sent (details removed after the retention period)');
    expect(container.querySelector('#history-item-3 .amo-link')?.getAttribute('href')).toBe('https://acme.amocrm.ru/leads/detail/9');
  });

  test('offline and banned banners say what happens to the entries; only the ban button resumes', async () => {
    i18n.lang = 'en';
    const base: OutboxSummary = {
      queued: 3, other_account: 0, attention: 0, sent: 1, banned: false, offline: true,
      last_error: { code: 'network', message: 'x', remedy: 'network' },
    };
    const [onRetry, onResume] = [vi.fn(), vi.fn()];
    const offline = render(OutboxBanner, { summary: base, onRetry, onResume, onShowHistory: vi.fn() });
    expect(offline.container.querySelector('#offline-banner')?.textContent).toContain('3 entries are saved');
    await fireEvent.click(offline.container.querySelector('#outbox-retry') as HTMLElement);
    expect([onRetry.mock.calls.length, onResume.mock.calls.length]).toEqual([1, 0]);
    const banned = render(OutboxBanner, { summary: { ...base, banned: true }, onRetry, onResume, onShowHistory: vi.fn() });
    expect(banned.container.querySelector('#banned-banner')?.textContent).toContain('support');
    await fireEvent.click(banned.container.querySelector('#banned-lifted') as HTMLElement);
    expect([onRetry.mock.calls.length, onResume.mock.calls.length]).toEqual([1, 1]);
  });

  test('the banners count in the right plural form', () => {
    const summary = (s: Partial<OutboxSummary>): OutboxSummary => ({
      queued: 0, other_account: 0, attention: 0, sent: 0, banned: false, offline: false, last_error: null, ...s,
    });
    const text = (s: OutboxSummary, sel: string) =>
      render(OutboxBanner, { summary: s, onRetry: vi.fn(), onResume: vi.fn(), onShowHistory: vi.fn() }).container.querySelector(sel)?.textContent?.trim();

    i18n.lang = 'en';
    expect(text(summary({ queued: 1, offline: true }), '#offline-banner')).toBe(
      'amoCRM is unreachable. 1 entry is saved and will be sent automatically.',
    );
    expect(text(summary({ queued: 3, offline: true }), '#offline-banner')).toBe(
      'amoCRM is unreachable. 3 entries are saved and will be sent automatically.',
    );
    expect(text(summary({ queued: 1 }), '#waiting-banner')).toBe('1 entry waiting to be sent.');
    expect(text(summary({ queued: 4 }), '#waiting-banner')).toBe('4 entries waiting to be sent.');
    expect(text(summary({ attention: 1 }), '#attention-banner')).toBe('1 entry needs attention — see History.');
    expect(text(summary({ attention: 2 }), '#attention-banner')).toBe('2 entries need attention — see History.');
    expect(text(summary({ other_account: 2 }), '#other-account-banner')).toBe(
      '2 entries were typed for another amoCRM account; they wait for that account — see History.',
    );
    expect(text(summary({ other_account: 2 }), '#waiting-banner')).toBeUndefined();

    i18n.lang = 'ru';
    expect(text(summary({ queued: 1, offline: true }), '#offline-banner')).toBe(
      'amoCRM недоступен. 1 запись сохранена и будет отправлена автоматически.',
    );
    expect(text(summary({ queued: 2, offline: true }), '#offline-banner')).toBe(
      'amoCRM недоступен. 2 записи сохранены и будут отправлены автоматически.',
    );
    expect(text(summary({ queued: 5, offline: true }), '#offline-banner')).toBe(
      'amoCRM недоступен. 5 записей сохранено и будет отправлено автоматически.',
    );
    expect(text(summary({ attention: 21 }), '#attention-banner')).toBe('21 запись требует внимания — см. «Историю».');
    expect(text(summary({ other_account: 3 }), '#other-account-banner')).toBe(
      '3 записи введены для другого аккаунта amoCRM и ждут его — см. «Историю».',
    );
    i18n.lang = 'en';
  });

  test('the History counts attempts in the right plural form', () => {
    i18n.lang = 'en';
    backend({});
    const item = (id: number, attempts: number): OutboxItem => ({
      ...queued(id), attempts, error: { code: 'network', message: 'offline', remedy: 'network' },
    });
    const { container } = render(History, { items: [item(1, 1), item(2, 3)], reference, onChanged: vi.fn() });
    expect(container.querySelector('#history-item-1 .item-error')?.textContent).toBe('[network] offline · 1 attempt');
    expect(container.querySelector('#history-item-2 .item-error')?.textContent).toBe('[network] offline · 3 attempts');
  });
});
