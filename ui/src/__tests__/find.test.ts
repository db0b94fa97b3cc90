import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, test } from 'vitest';
import FindView from '../components/FindView.svelte';
import type { LeadSummary } from '../lib/bindings/LeadSummary';
import type { ReferenceData } from '../lib/bindings/ReferenceData';
import { i18n } from '../lib/i18n.svelte';
import { argsOf, backend, fail } from './backend';

afterEach(() => clearMocks());

const reference: ReferenceData = {
  pipelines: [{ id: 10, name: 'Sales', sort: 1, is_main: true, is_unsorted_on: false, statuses: [{ id: 2, name: 'First contact', sort: 20, color: '#fff', kind: 'open' }] }],
  users: [{ id: 7, name: 'Anna', email: null }],
  users_restricted: false, current_user_id: 7, lead_fields: [], timezone_offset_secs: 0, task_types: [], unsorted_on: false, contact_fields: [], company_fields: [], lead_layout: { order: [], hidden: [], shown: [] }, contact_layout: { order: [], hidden: [], shown: [] },
  fetched_at: '2026-11-23T10:00:00Z', stale: false,
};
const lead = (id: number, name: string): LeadSummary => ({
  id, name, price: 1500, pipeline_id: 10, status_id: 2, responsible_user_id: 7, created_by: 7, created_at: 1_700_000_000 + id, contact_ids: [],
});

describe('Find', () => {
  test('shows the newest leads, searches, names a short query, and opens a record by kind and id', async () => {
    i18n.lang = 'en';
    const calls = backend({
      list_leads: ({ limit }) => [lead(2, 'Newest'), lead(1, 'Older')].slice(0, limit),
      search_amocrm: ({ query }) =>
        query === 'x'
          ? fail({ code: 'validation', message: 'Check', remedy: 'none', fields: [{ field: 'query', code: 'required', message: 'required', label: 'query' }] })
          : { leads: [lead(5, 'Sofa for Olga')], contacts: [{ id: 9, name: 'Olga Smirnova', phones: ['+79165550102'], emails: [], open_leads: [] }] },
      open_amocrm_record: () => true,
    });
    const { container } = render(FindView, { reference });
    await waitFor(() => expect(container.querySelectorAll('#recent-leads li').length).toBe(2));
    expect(container.querySelector('#recent-leads li')?.textContent).toContain('Sales · First contact · Anna · 1500');

    const input = container.querySelector('#find-query') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: 'x' } });
    await fireEvent.submit(container.querySelector('#find-form') as HTMLFormElement);
    await waitFor(() => expect(container.querySelector('#err-find-query')?.textContent).toBe('required'));

    await fireEvent.input(input, { target: { value: '8 916 555 01 02' } });
    await fireEvent.submit(container.querySelector('#find-form') as HTMLFormElement);
    await waitFor(() => expect(container.querySelector('#found-contacts li')?.textContent).toContain('Olga Smirnova'));
    expect(container.querySelector('#err-find-query')).toBeNull();
    expect(container.querySelector('#found-leads li')?.textContent).toContain('Sofa for Olga');
    await fireEvent.click(container.querySelector('#found-contacts li button') as HTMLElement);
    await waitFor(() => expect(argsOf(calls, 'open_amocrm_record')).toEqual({ kind: 'contact', id: 9 }));
  });
});
