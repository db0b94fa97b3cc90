import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, test, vi } from 'vitest';
import CallerCard from '../components/CallerCard.svelte';
import CopySettings from '../components/CopySettings.svelte';
import type { Customer } from '../lib/bindings/Customer';
import type { CopyStatus } from '../lib/bindings/CopyStatus';
import { callDraft, clock, newCall } from '../lib/calls';
import { i18n } from '../lib/i18n.svelte';
import { argsOf, backend, emitEvent, fail, names } from './backend';
import { queued, reference } from './fixtures';

afterEach(() => {
  clearMocks();
  vi.useRealTimers();
});

const olga: Customer = {
  kind: 'contact', id: 501, name: 'Olga Smirnova', phones: ['+79121112233'], emails: [], responsible_user_id: 7,
  company_id: 900, company_name: 'Horns and Hooves',
  open_leads: [{ id: 77, name: 'Sofa', price: 0, pipeline_id: 10, status_id: 3, responsible_user_id: 7, created_by: 0, created_at: 0, contact_ids: [501] }],
};
const ivan: Customer = { ...olga, id: 502, name: 'Ivan Smirnov', company_id: null, company_name: null, open_leads: [] };

describe('CallerCard', () => {
  test('shows the customer from the copy at once, then says amoCRM confirmed it', async () => {
    i18n.lang = 'en';
    let confirm: (v: { customers: Customer[]; copy_age_secs: number | null }) => void = () => {};
    const calls = backend({
      find_customer: ({ offline }) =>
        offline ? { customers: [olga], copy_age_secs: 180 } : new Promise((r) => (confirm = r)),
    });
    const { container } = render(CallerCard, { phone: '8 912 111-22-33', reference });
    await waitFor(() => expect(container.querySelector('#caller-source')?.textContent).toContain('3 min old'));
    expect(container.querySelector('.customer')?.textContent).toContain('Olga Smirnova');
    expect(container.querySelector('.customer')?.textContent).toContain('Horns and Hooves');
    expect(container.querySelector('.open-lead')?.textContent).toBe('Sofa — Sales · Negotiation — Anna');
    expect(argsOf(calls, 'find_customer', 0)).toEqual({ query: '8 912 111-22-33', offline: true });
    expect(argsOf(calls, 'find_customer', 1)).toEqual({ query: '8 912 111-22-33', offline: false });
    const lastCall = { inbound: true, created_at: 1_764_842_400, duration_secs: 95, result: 'Wants a quote' };
    confirm({ customers: [{ ...olga, last_call: lastCall, last_note: { text: 'Prefers mornings', created_at: 1_764_800_000 } }, ivan], copy_age_secs: null });
    await waitFor(() => expect(container.querySelector('#caller-source')?.textContent).toContain('Checked with amoCRM'));
    expect(container.querySelector('.last-call')?.textContent).toMatch(/Last call: Incoming, .*, 95 s — Wants a quote/);
    expect(container.querySelector('.last-note')?.textContent).toContain('Prefers mornings');
    expect(container.querySelectorAll('.customer')).toHaveLength(2);
    expect(container.querySelector('#caller-several')).not.toBeNull();
  });

  test('offline the copy answers with its age; no copy and no amoCRM says where the copy is made', async () => {
    i18n.lang = 'en';
    const network = { code: 'network', message: 'offline', remedy: 'network' } as const;
    backend({ find_customer: ({ offline }) => (offline ? { customers: [olga], copy_age_secs: 600 } : fail(network)) });
    const { container, unmount } = render(CallerCard, { phone: '+79121112233', reference });
    await waitFor(() => expect(container.querySelector('#caller-source')?.textContent).toContain('did not answer'));
    expect(container.querySelector('#caller-source')?.textContent).toContain('10 min old');
    unmount();
    clearMocks();
    backend({ find_customer: () => fail({ code: 'no_copy', message: 'x', remedy: 'none' }) });
    const second = render(CallerCard, { phone: '+79121112233', reference });
    await waitFor(() => expect(second.container.querySelector('#caller-no-copy')).not.toBeNull());
  });

  test('the call is timed, and its end logs it once with its duration, result and own id', async () => {
    i18n.lang = 'en';
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    vi.setSystemTime(new Date('2026-12-04T10:00:00Z'));
    const calls = backend({
      find_customer: () => ({ customers: [], copy_age_secs: null }),
      log_call: () => ({ ...queued(31), kind: 'call', draft: callDraft(newCall('+79121112233')) }),
    });
    const onSaved = vi.fn();
    const { container } = render(CallerCard, { phone: '+79121112233', reference, onSaved });
    await waitFor(() => expect(container.querySelector('#caller-unknown')).not.toBeNull());
    vi.advanceTimersByTime(75_000);
    await waitFor(() => expect(container.querySelector('#call-timer')?.textContent).toBe('01:15'));
    await fireEvent.click(container.querySelector('#call-end') as HTMLButtonElement);
    expect((container.querySelector('#call-duration') as HTMLInputElement).value).toBe('75');
    await fireEvent.change(container.querySelector('#call-status') as HTMLSelectElement, { target: { value: 'talked' } });
    await fireEvent.input(container.querySelector('#call-result') as HTMLTextAreaElement, { target: { value: 'Wants a sofa' } });
    await fireEvent.submit(container.querySelector('#call-form') as HTMLFormElement);
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    const sent = argsOf(calls, 'log_call')?.draft;
    expect(sent).toMatchObject({
      phone: '+79121112233', direction: 'inbound', duration_secs: 75, status: 'talked', result: 'Wants a sofa',
      started_at: Date.parse('2026-12-04T10:00:00Z') / 1000,
    });
    expect(sent?.uniq).toMatch(/.{8,}/);
    expect(container.querySelector('#call-notice')?.textContent).toContain('#31');
    // Saved again (a double click, a retry): the same call id, which the core logs once.
    vi.useRealTimers();
    await waitFor(() => expect((container.querySelector('#call-submit') as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.submit(container.querySelector('#call-form') as HTMLFormElement);
    await waitFor(() => expect(names(calls).filter((n) => n === 'log_call')).toHaveLength(2));
    expect(argsOf(calls, 'log_call', 1)?.draft.uniq).toBe(sent?.uniq);
  });

  test('an unknown number called out is refused on its field, with a way to add the contact', async () => {
    i18n.lang = 'en';
    backend({
      find_customer: () => ({ customers: [], copy_age_secs: null }),
      log_call: () =>
        fail({
          code: 'validation', message: 'x', remedy: 'none',
          fields: [{ field: 'phone', code: 'unknown_caller', amo_code: null, message: 'add the contact first', label: 'Number' }],
        }),
    });
    const onAddContact = vi.fn();
    const { container } = render(CallerCard, { phone: '+79990000000', reference, onAddContact });
    await fireEvent.click(container.querySelector('#call-end') as HTMLButtonElement);
    await fireEvent.click(container.querySelector('#call-outbound') as HTMLInputElement);
    await fireEvent.submit(container.querySelector('#call-form') as HTMLFormElement);
    await waitFor(() => expect(container.querySelector('#call-phone-error')?.textContent).toContain('add the contact first'));
    await fireEvent.click(container.querySelector('#call-add-contact') as HTMLButtonElement);
    expect(onAddContact).toHaveBeenCalledWith('+79990000000');
  });
});

describe('A note with the call', () => {
  test("goes on the customer's one lead in work, as a follow-up beside the call", async () => {
    i18n.lang = 'en';
    const calls = backend({
      find_customer: () => ({ customers: [olga], copy_age_secs: null }),
      log_call: () => ({ ...queued(40), kind: 'call', draft: callDraft(newCall('+79121112233')) }),
      queue_followup: () => ({ ...queued(41), kind: 'followup', draft: { lead_id: 77, lead_name: 'Sofa', note: 'x', task: null, responsible_user_id: 7 } }),
    });
    const { container } = render(CallerCard, { phone: '+79121112233', reference });
    await waitFor(() => expect(container.querySelector('.customer')).not.toBeNull());
    await fireEvent.click(container.querySelector('#call-end') as HTMLButtonElement);
    await fireEvent.input(container.querySelector('#call-note') as HTMLTextAreaElement, { target: { value: 'Send the catalogue' } });
    await fireEvent.submit(container.querySelector('#call-form') as HTMLFormElement);
    await waitFor(() => expect(container.querySelector('#call-notice')?.textContent).toContain('#41'));
    expect(argsOf(calls, 'queue_followup')?.draft).toMatchObject({ lead_id: 77, lead_name: 'Sofa', note: 'Send the catalogue', task: null, responsible_user_id: 7 });
  });

  test('is not offered when the customer has no single lead in work', async () => {
    i18n.lang = 'en';
    backend({ find_customer: () => ({ customers: [olga, ivan], copy_age_secs: null }) });
    const { container } = render(CallerCard, { phone: '+79121112233', reference });
    await waitFor(() => expect(container.querySelectorAll('.customer')).toHaveLength(2));
    await fireEvent.click(container.querySelector('#call-end') as HTMLButtonElement);
    expect(container.querySelector('#call-note')).toBeNull();
  });
});

describe('calls', () => {
  test('a duration that is not whole seconds goes as -1 for the core to name; clocks read as m:s', () => {
    expect(callDraft({ ...newCall('1'), duration: '1:30' }).duration_secs).toBe(-1);
    expect(callDraft({ ...newCall('1'), duration: ' 90 ' }).duration_secs).toBe(90);
    expect(callDraft({ ...newCall('1'), status: '' }).status).toBeNull();
    expect([clock(0), clock(75), clock(3723)]).toEqual(['00:00', '01:15', '1:02:03']);
    expect(newCall('1').uniq).not.toBe(newCall('1').uniq);
  });
});

describe('CopySettings', () => {
  const status: CopyStatus = {
    enabled: true, contacts: 50000, companies: 2500, open_leads: 5000, full_pass_pages: null,
    fresh_at: null, full_pass_at: null, bytes: 12 * 1024 * 1024, updated_filter: null,
  };

  test('shows size and freshness, follows a sync by its events, and is turned off', async () => {
    i18n.lang = 'en';
    const calls = backend(
      {
        people_status: () => status,
        sync_people: () => ({ full: true, pages: 220, people: 52500, removed: 0, status: { ...status, fresh_at: Math.floor(Date.now() / 1000) } }),
        set_people_copy: ({ on }) => ({ ...status, enabled: on, contacts: 0, companies: 0, open_leads: 0, bytes: 0 }),
      },
      { events: true },
    );
    const { container } = render(CopySettings);
    await waitFor(() => expect(container.querySelector('#copy-size')?.textContent).toContain('50000 contacts'));
    expect(container.querySelector('#copy-fresh')?.textContent).toBe('Not filled yet.');
    await emitEvent('people-changed', { ...status, full_pass_pages: 12 });
    await waitFor(() => expect(container.querySelector('#copy-pass')?.textContent).toContain('12 pages'));
    await fireEvent.click(container.querySelector('#copy-full') as HTMLButtonElement);
    await waitFor(() => expect(container.querySelector('#copy-fresh')?.textContent).toContain('0 min ago'));
    expect(argsOf(calls, 'sync_people')).toEqual({ full: true });
    await fireEvent.click(container.querySelector('#copy-wipe') as HTMLButtonElement);
    await waitFor(() => expect(container.querySelector('#copy-off')).not.toBeNull());
    expect(argsOf(calls, 'set_people_copy')).toEqual({ on: false });
  });
});

describe('No silent duplicates', () => {
  test('a contact refused as a duplicate is created only when the user chooses so', async () => {
    const { default: ContactForm } = await import('../components/ContactForm.svelte');
    i18n.lang = 'en';
    let n = 0;
    const calls = backend({
      find_duplicates: () => [],
      queue_contact: () =>
        n++ === 0
          ? fail({
              code: 'validation', message: 'x', remedy: 'none',
              fields: [{ field: 'phones.0', code: 'duplicate_contact', amo_code: null, message: 'Olga Smirnova (#501) in amoCRM already has this', label: 'Phone 1' }],
            })
          : { ...queued(8), kind: 'contact' as const, draft: { first_name: 'Olga', last_name: '', phones: [], phone_types: [], emails: [], email_types: [], custom_fields: [], responsible_user_id: null, company: null, existing_company_id: null } },
    });
    const { container } = render(ContactForm, { reference, phone: '+79121112233' });
    expect((container.querySelector('#c-phone') as HTMLInputElement).value).toBe('+79121112233');
    await fireEvent.input(container.querySelector('#c-first') as HTMLInputElement, { target: { value: 'Olga' } });
    await fireEvent.submit(container.querySelector('form') as HTMLFormElement);
    await waitFor(() => expect(container.querySelector('#c-dup-anyway')).not.toBeNull());
    expect(container.textContent).toContain('Olga Smirnova (#501)');
    expect(argsOf(calls, 'queue_contact', 0)?.draft.allow_duplicate).toBeUndefined();
    await fireEvent.click(container.querySelector('#c-dup-anyway') as HTMLButtonElement);
    await fireEvent.submit(container.querySelector('form') as HTMLFormElement);
    await waitFor(() => expect(argsOf(calls, 'queue_contact', 1)?.draft.allow_duplicate).toBe(true));
  });
});

describe('The duplicate offer', () => {
  test('a number typed in the second phone row offers the existing customer too', async () => {
    const { default: LeadForm } = await import('../components/LeadForm.svelte');
    i18n.lang = 'en';
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const calls = backend({
      find_duplicates: ({ phone }) =>
        phone === '+7 912 555 00 11' ? [{ id: 42, name: 'Second Row', phones: ['+79125550011'], emails: [], open_leads: [] }] : [],
    });
    const { container } = render(LeadForm, { reference, onSaved: vi.fn() });
    await fireEvent.input(container.querySelector('#contact-phone') as HTMLInputElement, { target: { value: '+7 900 000 00 01' } });
    await fireEvent.click(container.querySelector('#contact-phone-add') as HTMLButtonElement);
    await fireEvent.input(container.querySelector('#contact-phone-2') as HTMLInputElement, { target: { value: '+7 912 555 00 11' } });
    await vi.advanceTimersByTimeAsync(500);
    await waitFor(() => expect(container.querySelector('#dup-offer-42')?.textContent).toContain('Second Row'));
    const asked = calls.filter((c) => c.cmd === 'find_duplicates').map((c) => (c.args as { phone: string }).phone);
    expect(asked).toContain('+7 900 000 00 01');
    expect(asked).toContain('+7 912 555 00 11');
  });
});
