import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, test, vi } from 'vitest';
import LeadForm from '../components/LeadForm.svelte';
import History from '../components/History.svelte';
import OutboxBanner from '../components/OutboxBanner.svelte';
import type { OutboxItem } from '../lib/bindings/OutboxItem';
import type { ReferenceData } from '../lib/bindings/ReferenceData';
import { i18n } from '../lib/i18n.svelte';

afterEach(() => clearMocks());

const reference: ReferenceData = {
  pipelines: [
    {
      id: 10, name: 'Sales', sort: 1, is_main: true, is_archive: false,
      statuses: [
        { id: 1, name: 'Unsorted', sort: 10, color: '#fff', type: 1 },
        { id: 2, name: 'First contact', sort: 20, color: '#fff', type: 0 },
        { id: 142, name: 'Won', sort: 10000, color: '#fff', type: 0 },
      ],
    },
  ],
  users: [{ id: 7, name: 'Anna', email: null }],
  users_restricted: false,
  current_user_id: 7,
  fetched_at: '2026-11-23T10:00:00Z',
  stale: false,
};

function queued(id: number): OutboxItem {
  return {
    id, state: 'queued', title: 'x', kind: 'lead',
    draft: { name: 'x', price: '', pipeline_id: null, status_id: null, responsible_user_id: null, tags: [], contact: null, existing_contact_id: null, note: '' },
    created_at: '2026-11-23T10:00:00Z', updated_at: '2026-11-23T10:00:00Z', attempts: 0, next_attempt_at: null,
    error: null, field_errors: [], lead_id: null, contact_id: null, note_id: null, merged: false,
    lead_url: null, contact_url: null, sent_at: null, locked: false,
  };
}

const input = (c: HTMLElement, sel: string, value: string) =>
  fireEvent.input(c.querySelector(sel) as HTMLInputElement, { target: { value } });

describe('LeadForm', () => {
  test('submits one draft with its contact, clears and is ready for the next call', async () => {
    i18n.lang = 'en';
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === 'find_duplicates') return [];
      return queued(5);
    });
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
    const submit = calls.find((c) => c.cmd === 'submit_lead');
    expect(submit?.args).toEqual({
      draft: {
        name: 'Order 17', price: '1500', pipeline_id: 10, status_id: 2, responsible_user_id: null, tags: ['phone', 'vip'],
        contact: { first_name: 'Ivan', last_name: '', phones: ['8 912 123 45 67'], email: '', responsible_user_id: null },
        existing_contact_id: null, note: 'call back',
      },
    });
    expect((container.querySelector('#lead-name') as HTMLInputElement).value).toBe('');
    await waitFor(() => expect(document.activeElement?.id).toBe('lead-name'));
    expect(container.querySelector('#lead-notice')?.textContent).toContain('#5');
    // Unsorted, won and lost are not offered as a stage for a new lead.
    expect([...container.querySelectorAll('#lead-status option')].map((o) => o.textContent)).toEqual(['First contact']);
  });

  test('field errors from the backend are shown on their fields and nothing is cleared', async () => {
    i18n.lang = 'en';
    mockIPC((cmd) => {
      if (cmd === 'submit_lead') {
        throw {
          code: 'validation', message: 'Check the fields',
          fields: [
            { field: 'price', code: 'invalid_price', message: 'the price is a whole number, 0 or more' },
            { field: 'contact.phones.0', code: 'invalid_phone', message: 'a phone number has 8–15 digits' },
          ],
        };
      }
      return [];
    });
    const { container } = render(LeadForm, { reference, onSaved: vi.fn() });
    await input(container, '#lead-name', 'Order');
    await input(container, '#lead-price', '12,5');
    await input(container, '#contact-phone', '12');
    await fireEvent.submit(container.querySelector('#lead-form') as HTMLFormElement);
    await waitFor(() => expect(container.querySelector('#err-price')?.textContent).toContain('whole number'));
    expect(container.querySelector('#err-phone')?.textContent).toContain('8–15');
    expect(container.querySelector('#lead-price')?.getAttribute('aria-invalid')).toBe('true');
    expect((container.querySelector('#lead-name') as HTMLInputElement).value).toBe('Order');
  });

  test('a phone already in amoCRM is offered; attaching sends the existing contact id only', async () => {
    i18n.lang = 'en';
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === 'find_duplicates') return [{ id: 99, name: 'Ivan Petrov', phones: ['+79121234567'], emails: [] }];
      return queued(6);
    });
    const { container } = render(LeadForm, { reference, onSaved: vi.fn() });
    await input(container, '#lead-name', 'Repeat order');
    await input(container, '#contact-phone', '+7 912 123 45 67');
    await vi.advanceTimersByTimeAsync(500);
    await waitFor(() => expect(container.querySelector('#dup-offer-99')?.textContent).toContain('Ivan Petrov'));
    await fireEvent.click(container.querySelector('#dup-offer-99 .dup-attach') as HTMLButtonElement);
    expect(container.querySelector('#dup-attached')?.textContent).toContain('Ivan Petrov');
    await fireEvent.submit(container.querySelector('#lead-form') as HTMLFormElement);
    await waitFor(() => expect(calls.some((c) => c.cmd === 'submit_lead')).toBe(true));
    const draft = (calls.find((c) => c.cmd === 'submit_lead')?.args as { draft: { existing_contact_id: number; contact: unknown } }).draft;
    expect(draft.existing_contact_id).toBe(99);
    expect(draft.contact).toBeNull();
    vi.useRealTimers();
  });
});

describe('History and the outbox banner', () => {
  test('a sent entry links into amoCRM; a refused one can be retried, edited or removed', async () => {
    i18n.lang = 'en';
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      return true;
    });
    const sent = { ...queued(1), state: 'sent' as const, title: 'Order 1', lead_id: 555, lead_url: 'https://acme.amocrm.ru/leads/detail/555', locked: true };
    const refused = {
      ...queued(2), state: 'attention' as const, title: 'Order 2', attempts: 1,
      error: { code: 'validation', message: 'Check the fields' },
      field_errors: [{ field: 'status', code: 'amo_notsupportedchoice', message: 'The value you selected is not a valid choice.' }],
    };
    const onChanged = vi.fn();
    const { container } = render(History, { items: [refused, sent], reference, onChanged });
    const link = container.querySelector('#history-item-1 .amo-link') as HTMLAnchorElement;
    expect(link.getAttribute('href')).toBe('https://acme.amocrm.ru/leads/detail/555');
    await fireEvent.click(link);
    await waitFor(() => expect(calls).toContain('open_in_amocrm'));
    expect(container.querySelector('#history-item-1 .retry')).toBeNull();
    expect(container.querySelector('#history-item-2')?.textContent).toContain('not a valid choice');
    await fireEvent.click(container.querySelector('#history-item-2 .edit') as HTMLButtonElement);
    expect((container.querySelector('#history-item-2 #lead-name') as HTMLInputElement).value).toBe('x');
    await fireEvent.click(container.querySelector('#history-item-2 .discard') as HTMLButtonElement);
    await waitFor(() => expect(calls).toContain('outbox_discard'));
  });

  test('offline and banned banners say what happens to the entries', () => {
    i18n.lang = 'en';
    const base = { queued: 3, attention: 0, sent: 1, banned: false, offline: true, last_error: { code: 'network', message: 'x' } };
    const offline = render(OutboxBanner, { summary: base, onRetry: vi.fn(), onShowHistory: vi.fn() });
    expect(offline.container.querySelector('#offline-banner')?.textContent).toContain('3 entries are saved');
    const banned = render(OutboxBanner, { summary: { ...base, banned: true }, onRetry: vi.fn(), onShowHistory: vi.fn() });
    expect(banned.container.querySelector('#banned-banner')?.textContent).toContain('support');
  });
});
