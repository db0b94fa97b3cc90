// Fixing an entry from History while the outbox goes on around it (issue 23, items 1 and 2):
// the form is filled once per opened entry, what is typed stays whatever the list does, and the
// entry's own choices (its existing contact, its Incoming-leads choice) are what is sent back.
import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, test, vi } from 'vitest';
import History from '../components/History.svelte';
import type { LeadDraft } from '../lib/bindings/LeadDraft';
import type { OutboxItem } from '../lib/bindings/OutboxItem';
import type { StepView } from '../lib/bindings/StepView';
import { i18n } from '../lib/i18n.svelte';
import { argsOf, backend, names } from './backend';
import { queued, reference } from './fixtures';

afterEach(() => {
  clearMocks();
  localStorage.clear();
  i18n.lang = 'en';
});

const step = (kind: StepView['kind'], state: StepView['state']): StepView => ({ kind, state, amo_id: null, url: null });
const leadDraft = (d: Partial<LeadDraft>): LeadDraft => ({ ...(queued(0).draft as LeadDraft), ...d });
const q = <T extends Element = HTMLInputElement>(c: ParentNode, sel: string) => c.querySelector(sel) as T;
const input = (c: ParentNode, sel: string, value: string) => fireEvent.input(q(c, sel), { target: { value } });

/** Entry 40 as each reading of the list returns it (a new copy each time). */
function entry(e: Partial<OutboxItem> = {}): OutboxItem {
  return {
    ...queued(40), state: 'attention', title: 'Sofa', attempts: 1, editable: true,
    kind: 'lead', draft: leadDraft({ name: 'Sofa', pipeline_id: 10, status_id: 2 }), steps: [step('lead', 'refused')],
    ...e,
  } as OutboxItem;
}

describe('History: the entry being fixed', () => {
  test('is filled once: what is typed survives the entry itself being retried and refused again', async () => {
    i18n.lang = 'en';
    const calls = backend({ outbox_update: () => entry(), find_duplicates: () => [] });
    const { container, rerender } = render(History, { items: [entry()], reference, onChanged: vi.fn() });
    await fireEvent.click(q(container, '#history-item-40 .edit'));
    await input(container, '#lead-name', 'Sofa for the office');
    // Retried while offline: queued, taken by the sender, back with one more attempt.
    await rerender({ items: [entry({ state: 'queued', attempts: 1 })] });
    await rerender({ items: [entry({ state: 'sending', editable: false })] });
    expect(q(container, '#lead-name').value).toBe('Sofa for the office');
    expect(q(container, '#history-item-40 .entry-changed')?.textContent).toContain('being sent');
    await rerender({ items: [entry({ attempts: 2 })] });
    expect(q(container, '#lead-name').value).toBe('Sofa for the office');
    expect(container.querySelector('#history-item-40 .entry-changed')).toBeNull();
    await fireEvent.click(q(container, '#lead-submit'));
    await waitFor(() => expect(names(calls)).toContain('outbox_update'));
    expect(argsOf(calls, 'outbox_update')?.draft.draft).toMatchObject({ name: 'Sofa for the office' });
  });

  test('sent meanwhile by another process: says so and keeps what was typed, nothing is saved over it', async () => {
    i18n.lang = 'en';
    const calls = backend({ outbox_update: () => entry(), find_duplicates: () => [] });
    const { container, rerender } = render(History, { items: [entry()], reference, onChanged: vi.fn() });
    await fireEvent.click(q(container, '#history-item-40 .edit'));
    await input(container, '#lead-name', 'Sofa for the office');
    await rerender({ items: [entry({ state: 'sent', editable: false, steps: [step('lead', 'done')] })] });
    const notice = q<HTMLElement>(container, '#history-item-40 .entry-changed');
    expect(notice?.textContent).toContain('was sent');
    expect(q(container, '#lead-name').value).toBe('Sofa for the office');
    // Saving says why not, and sends nothing.
    await fireEvent.submit(q(container, '#lead-form'));
    await waitFor(() => expect(container.querySelector('#lead-error')?.textContent).toContain('was sent'));
    expect(names(calls)).not.toContain('outbox_update');
    expect(q(container, '#lead-name').value).toBe('Sofa for the office');
    // Closing it is the user's choice.
    await fireEvent.click(q(container, '#history-item-40 .entry-changed .close-editor'));
    expect(container.querySelector('#history-item-40 #lead-form')).toBeNull();
  });

  test('removed meanwhile by another process: says so and keeps what was typed to copy', async () => {
    i18n.lang = 'en';
    const calls = backend({ find_duplicates: () => [] });
    const other = { ...queued(39), title: 'Other' };
    const { container, rerender } = render(History, { items: [entry(), other], reference, onChanged: vi.fn() });
    await fireEvent.click(q(container, '#history-item-40 .edit'));
    await input(container, '#lead-name', 'Sofa for the office');
    await rerender({ items: [{ ...queued(42), title: 'Newer' }, other] });
    // Still in its place, with what was typed; not offered to retry or remove.
    const ids = [...container.querySelectorAll('.history > li')].map((li) => li.id);
    expect(ids).toEqual(['history-item-42', 'history-item-40', 'history-item-39']);
    const gone = q<HTMLElement>(container, '#history-item-40');
    expect(gone.querySelector('.entry-changed')?.textContent).toContain('#40 is no longer in the outbox');
    expect(q(gone, '#lead-name').value).toBe('Sofa for the office');
    expect(gone.querySelector('.retry, .discard, .edit')).toBeNull();
    await fireEvent.submit(q(gone, '#lead-form'));
    await waitFor(() => expect(gone.querySelector('#lead-error')).not.toBeNull());
    expect(names(calls)).not.toContain('outbox_update');
    await fireEvent.click(q(gone, '.close-editor'));
    expect(container.querySelector('#history-item-40')).toBeNull();
  });

  test('opened again, it is filled from the entry as stored now', async () => {
    i18n.lang = 'en';
    backend({ find_duplicates: () => [] });
    const { container, rerender } = render(History, { items: [entry()], reference, onChanged: vi.fn() });
    await fireEvent.click(q(container, '#history-item-40 .edit'));
    await input(container, '#lead-name', 'Typed, then closed');
    await fireEvent.click(q(container, '#history-item-40 .edit'));
    await rerender({ items: [entry({ draft: leadDraft({ name: 'Fixed from the command line', pipeline_id: 10, status_id: 2 }) })] });
    await fireEvent.click(q(container, '#history-item-40 .edit'));
    expect(q(container, '#lead-name').value).toBe('Fixed from the command line');
  });
});

describe('History: a lead is fixed with its own choices', () => {
  const incoming = () =>
    entry({
      draft: leadDraft({ name: 'Web order', pipeline_id: 10, status_id: null, existing_contact_id: 99, unsorted: true }),
      steps: [step('incoming_lead', 'refused')],
    });

  test('an incoming lead edited before the account\'s shape is read stays incoming, on its contact', async () => {
    i18n.lang = 'en';
    localStorage.setItem('amo-connect.lead-form.unsorted', 'false');
    const calls = backend({ outbox_update: () => entry(), search_companies: () => [] });
    const { container } = render(History, { items: [incoming()], reference: null, onChanged: vi.fn() });
    await fireEvent.click(q(container, '#history-item-40 .edit'));
    expect(container.querySelector('#dup-attached')?.textContent).toContain('#99');
    await fireEvent.click(q(container, '#lead-submit'));
    await waitFor(() => expect(names(calls)).toContain('outbox_update'));
    expect(argsOf(calls, 'outbox_update')?.draft.draft).toMatchObject({ existing_contact_id: 99, contact: null, unsorted: true, pipeline_id: 10 });
  });
});
