import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, test, vi } from 'vitest';
import LeadForm from '../components/LeadForm.svelte';
import ContactForm from '../components/ContactForm.svelte';
import FormFieldsSettings from '../components/FormFieldsSettings.svelte';
import type { CustomField } from '../lib/bindings/CustomField';
import type { ReferenceData } from '../lib/bindings/ReferenceData';
import { entries, formFields, fromEntryValue } from '../lib/customFields';
import { i18n } from '../lib/i18n.svelte';
import { argsOf, backend, fail } from './backend';

afterEach(() => clearMocks());

const f = (id: number, name: string, type: CustomField['type'], extra: Partial<CustomField> = {}): CustomField => ({
  id, name, code: null, type, sort: id, is_api_only: false, enums: [], required_statuses: [], ...extra,
});
const choices = [{ id: 1, value: 'Site', sort: 1, code: null }, { id: 2, value: 'Call', sort: 2, code: null }];

const reference: ReferenceData = {
  pipelines: [{
    id: 10, name: 'Sales', sort: 1, is_main: true, is_unsorted_on: false,
    statuses: [
      { id: 2, name: 'First contact', sort: 20, color: '#fff', kind: 'open' },
      { id: 3, name: 'Negotiation', sort: 30, color: '#fff', kind: 'open' },
    ],
  }],
  users: [{ id: 7, name: 'Anna', email: null }],
  users_restricted: false,
  current_user_id: 7,
  lead_fields: [
    f(101, 'Source', 'select', { enums: choices }),
    f(102, 'Options', 'multiselect', { enums: choices }),
    f(103, 'Order number', 'numeric'),
    f(104, 'Delivery', 'checkbox'),
    f(105, 'Delivery date', 'date', { required_statuses: [{ pipeline_id: 10, status_id: 3 }] }),
    f(106, 'Call back at', 'date_time'),
    f(107, 'Comment', 'textarea'),
    f(108, 'Address', 'other'),
    f(109, 'utm_source', 'text', { is_api_only: true }),
    f(110, 'Channel', 'radiobutton', { enums: choices }),
  ],
  timezone_offset_secs: 10800,
  task_types: [{ id: 1, name: "Связаться", code: "FOLLOW_UP" }, { id: 2, name: "Встреча", code: "MEETING" }],
  unsorted_on: false,
  contact_fields: [],
  company_fields: [],
  lead_layout: { order: [], hidden: [], shown: [] },
  contact_layout: { order: [], hidden: [], shown: [] },
  fetched_at: '2026-11-23T10:00:00Z',
  stale: false,
};

const q = (c: HTMLElement, sel: string) => c.querySelector(sel) as HTMLInputElement;

describe('custom fields in the lead form', () => {
  test('each type gets its input; integration-only fields are hidden; other types are shown read-only', () => {
    i18n.lang = 'en';
    backend({ find_duplicates: () => [] });
    const { container } = render(LeadForm, { reference, onSaved: vi.fn() });
    expect(q(container, '#cf-101').tagName).toBe('SELECT');
    expect([...container.querySelectorAll('#cf-101 option')].map((o) => o.textContent)).toEqual(['—', 'Site', 'Call']);
    expect(container.querySelectorAll('#cf-102 input[type=checkbox]').length).toBe(2);
    expect(q(container, '#cf-103').getAttribute('inputmode')).toBe('decimal');
    expect(q(container, '#cf-104').type).toBe('checkbox');
    expect(q(container, '#cf-105').type).toBe('date');
    expect(q(container, '#cf-106').type).toBe('datetime-local');
    expect(q(container, '#cf-107').tagName).toBe('TEXTAREA');
    expect(q(container, '#cf-108').textContent).toContain('Filled in amoCRM only');
    expect(container.querySelector('#cf-109')).toBeNull();
    expect(q(container, '#cf-110').tagName).toBe('SELECT');
  });

  test('a field the chosen stage requires is marked; values go out as entries; errors land on their inputs', async () => {
    i18n.lang = 'en';
    const calls = backend({
      find_duplicates: () => [],
      queue_lead: () =>
        fail({
          code: 'validation', message: 'Check the fields', remedy: 'none',
          fields: [
            { field: 'custom_fields.105', code: 'required_for_stage', message: 'required for the chosen stage', label: 'custom_fields.105' },
            // A field the form does not draw (integration-only): shown below the fields, by name.
            { field: 'custom_fields.109', code: 'rejected', message: 'amoCRM refused the value (Length)', label: 'custom_fields.109' },
          ],
        }),
    });
    const { container } = render(LeadForm, { reference, onSaved: vi.fn() });
    const label = () => container.querySelector('label[data-type=date]')?.textContent ?? '';
    await waitFor(() => expect(label()).not.toContain('*'));
    await fireEvent.change(q(container, '#lead-status'), { target: { value: '3' } });
    await waitFor(() => expect(label()).toContain('Delivery date *'));

    await fireEvent.input(q(container, '#lead-name'), { target: { value: 'Sofa' } });
    await fireEvent.change(q(container, '#cf-101'), { target: { value: '2' } });
    const options = container.querySelectorAll('#cf-102 input[type=checkbox]');
    await fireEvent.click(options[0] as HTMLElement);
    await fireEvent.click(options[1] as HTMLElement);
    await fireEvent.input(q(container, '#cf-103'), { target: { value: '1 500' } });
    await fireEvent.click(q(container, '#cf-104'));
    await fireEvent.input(q(container, '#cf-106'), { target: { value: '2026-12-01T10:00' } });
    await fireEvent.submit(container.querySelector('#lead-form') as HTMLFormElement);
    await waitFor(() => expect(container.querySelector('#err-cf-105')?.textContent).toBe('required for the chosen stage'));
    expect(q(container, '#cf-105').getAttribute('aria-invalid')).toBe('true');
    expect(container.querySelector('.err-custom-fields')?.textContent).toBe('utm_source: amoCRM refused the value (Length)');
    expect(container.querySelectorAll('.field-error').length).toBe(2);
    expect(argsOf(calls, 'queue_lead')?.draft.custom_fields).toEqual([
      { field_id: 101, value: '2' },
      { field_id: 102, value: '1|2' },
      { field_id: 103, value: '1 500' },
      { field_id: 104, value: 'true' },
      { field_id: 106, value: '2026-12-01T10:00' },
    ]);
    expect(q(container, '#lead-name').value).toBe('Sofa');
  });

  test('a date-time is sent as its wall-clock time: the core reads it in the account\'s zone, summer or winter', () => {
    const values = { 1: '2027-01-15T10:00', 2: '2027-01-15T10:00', 3: ' ' };
    expect(entries([f(1, 'x', 'date_time'), f(2, 'y', 'text'), f(3, 'z', 'date_time')], values)).toEqual([
      { field_id: 1, value: '2027-01-15T10:00' },
      { field_id: 2, value: '2027-01-15T10:00' },
    ]);
    // A stored one (RFC 3339 with the offset the core fixed) shows as its wall-clock time.
    expect(fromEntryValue(f(1, 'x', 'date_time'), '2027-01-15T10:00:00+01:00')).toBe('2027-01-15T10:00');
  });

  test('the contact\'s own custom fields: in the lead form\'s caller part and in the contact form, errors on their field', async () => {
    i18n.lang = 'en';
    const withContact: ReferenceData = { ...reference, contact_fields: [f(201, 'Position', 'text'), f(202, 'Birthday', 'birthday')] };
    const calls = backend({
      find_duplicates: () => [],
      queue_lead: () =>
        fail({
          code: 'validation', message: 'Check the fields', remedy: 'none',
          fields: [{ field: 'contact.custom_fields.202', code: 'invalid_date', message: 'a date like 2026-12-01 or 01.12.2026', label: 'contact.custom_fields.202' }],
        }),
      queue_contact: () => fail({
        code: 'validation', message: 'Check the fields', remedy: 'none',
        fields: [{ field: 'custom_fields.201', code: 'too_long_for_amo', message: 'amoCRM takes at most 256 characters', label: 'custom_fields.201' }],
      }),
    });
    const lead = render(LeadForm, { reference: withContact, onSaved: vi.fn() });
    await fireEvent.input(q(lead.container, '#lead-name'), { target: { value: 'Sofa' } });
    await fireEvent.input(q(lead.container, '#cf-201'), { target: { value: 'Buyer' } });
    await fireEvent.input(q(lead.container, '#cf-202'), { target: { value: '1990-05-01' } });
    await fireEvent.submit(lead.container.querySelector('#lead-form') as HTMLFormElement);
    await waitFor(() => expect(lead.container.querySelector('#err-cf-202')?.textContent).toContain('a date like'));
    const sent = argsOf(calls, 'queue_lead')?.draft.contact;
    expect(sent?.first_name).toBe('');
    expect(sent?.custom_fields).toEqual([{ field_id: 201, value: 'Buyer' }, { field_id: 202, value: '1990-05-01' }]);
    lead.unmount();

    const contact = render(ContactForm, { reference: withContact, onSaved: vi.fn() });
    await fireEvent.input(q(contact.container, '#c-first'), { target: { value: 'Anna' } });
    await fireEvent.input(q(contact.container, '#cf-201'), { target: { value: 'x'.repeat(300) } });
    await fireEvent.submit(contact.container.querySelector('#contact-form') as HTMLFormElement);
    await waitFor(() => expect(contact.container.querySelector('#err-cf-201')?.textContent).toContain('256'));
    expect(argsOf(calls, 'queue_contact')?.draft.custom_fields).toEqual([{ field_id: 201, value: 'x'.repeat(300) }]);
  });

  test('Settings → Form fields: hide, show an integration-only field, reorder; the form follows and keeps a required one', async () => {
    i18n.lang = 'en';
    const saved: unknown[] = [];
    backend({
      find_duplicates: () => [],
      save_form_layout: ({ entity, layout }) => {
        saved.push({ entity, layout });
        return layout;
      },
    });
    let ref: ReferenceData = { ...reference };
    const settings = render(FormFieldsSettings, {
      reference: ref,
      onChanged: (entity: string, layout: ReferenceData['lead_layout']) => {
        if (entity === 'leads') ref = { ...ref, lead_layout: layout };
      },
    });
    const c = settings.container;
    const names = () => [...c.querySelectorAll('.form-field-rows li')].map((li) => li.querySelector('label')?.textContent?.trim());
    expect(names()[0]).toBe('Source');
    expect(c.querySelector('li[data-id="109"] .field-shown')).toHaveProperty('checked', false);
    // Hide "Options", move "Order number" up, show the integration-only utm_source.
    await fireEvent.click(c.querySelector('li[data-id="102"] .field-shown') as HTMLInputElement);
    await waitFor(() => expect(saved.length).toBe(1));
    expect(saved[0]).toEqual({ entity: 'leads', layout: { order: [], hidden: [102], shown: [] } });
    await settings.rerender({ reference: ref });
    await fireEvent.click(c.querySelector('li[data-id="103"] .field-up') as HTMLButtonElement);
    await waitFor(() => expect(saved.length).toBe(2));
    expect(saved[1]).toMatchObject({ layout: { order: [101, 103, 102, 104, 105, 106, 107, 108, 109, 110], hidden: [102] } });
    await settings.rerender({ reference: ref });
    await fireEvent.click(c.querySelector('li[data-id="109"] .field-shown') as HTMLInputElement);
    await waitFor(() => expect(saved.length).toBe(3));
    await settings.rerender({ reference: ref });
    expect(ref.lead_layout).toEqual({ order: [101, 103, 102, 104, 105, 106, 107, 108, 109, 110], hidden: [102], shown: [109] });

    // The form: the chosen order, without the hidden field, with utm_source; a hidden field the
    // chosen stage requires is drawn anyway.
    const ids = formFields(ref.lead_fields, ref.lead_layout).map((x) => x.id);
    expect(ids).toEqual([101, 103, 104, 105, 106, 107, 108, 109, 110]);
    const hideRequired = { ...ref.lead_layout, hidden: [102, 105] };
    const required = (x: CustomField) => x.required_statuses.some((r) => r.status_id === 3);
    expect(formFields(ref.lead_fields, hideRequired).map((x) => x.id)).not.toContain(105);
    expect(formFields(ref.lead_fields, hideRequired, required).map((x) => x.id)).toContain(105);
    const lead = render(LeadForm, { reference: ref, onSaved: vi.fn() });
    const drawn = [...lead.container.querySelectorAll('[id^="cf-"]')].map((e) => e.id).filter((id) => /^cf-\d+$/.test(id));
    expect(drawn.slice(0, 3)).toEqual(['cf-101', 'cf-103', 'cf-104']);
    expect(drawn).not.toContain('cf-102');
    expect(drawn).toContain('cf-109');
  });

  test('a new company\'s own fields show once its name is typed and go with it; not for a company picked from amoCRM', async () => {
    i18n.lang = 'en';
    const calls = backend({ find_duplicates: () => [], search_companies: () => [], queue_lead: () => fail({ code: 'network', message: 'x', remedy: 'network' }) });
    const withCompany: ReferenceData = {
      ...reference,
      company_fields: [f(301, 'Web', 'url'), f(302, 'Phone', 'multitext')],
    };
    const { container } = render(LeadForm, { reference: withCompany, onSaved: vi.fn() });
    expect(container.querySelector('#cf-301')).toBeNull();
    await fireEvent.input(q(container, '#lead-name'), { target: { value: 'Sofa' } });
    await fireEvent.input(q(container, '#company-name'), { target: { value: 'Romashka' } });
    await waitFor(() => expect(container.querySelector('#cf-301')).not.toBeNull());
    expect(container.querySelector('#cf-302')).toBeNull();
    await fireEvent.input(q(container, '#cf-301'), { target: { value: 'https://romashka.example' } });
    await fireEvent.submit(container.querySelector('#lead-form') as HTMLFormElement);
    await waitFor(() => expect(argsOf(calls, 'queue_lead')).toBeDefined());
    expect(argsOf(calls, 'queue_lead')?.draft.company).toEqual({ name: 'Romashka', custom_fields: [{ field_id: 301, value: 'https://romashka.example' }] });
  });
});
