import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { ContactDraft } from '../lib/bindings/ContactDraft';
import type { CustomField } from '../lib/bindings/CustomField';
import type { FollowupDraft } from '../lib/bindings/FollowupDraft';
import type { LeadDraft } from '../lib/bindings/LeadDraft';
import type { OutboxItem } from '../lib/bindings/OutboxItem';
import type { ReferenceData } from '../lib/bindings/ReferenceData';
import {
  clearedLead,
  contactDraft,
  contactState,
  followupDraft,
  keepLocked,
  leadDraft,
  leadState,
  nextState,
  taskDraft,
  taskState,
} from '../lib/drafts';
import { lockOf, stepRecord, type PartName } from '../lib/steps';
import { queued, reference as base } from './fixtures';

const f = (id: number, name: string, type: CustomField['type'], extra: Partial<CustomField> = {}): CustomField => ({
  id, name, code: null, type, sort: id, is_api_only: false, enums: [], required_statuses: [], ...extra,
});
const choices = [{ id: 1, value: 'Site', sort: 1, code: null }, { id: 2, value: 'Call', sort: 2, code: null }];

const reference: ReferenceData = {
  ...base,
  unsorted_on: true,
  pipelines: base.pipelines.map((p) => ({ ...p, is_unsorted_on: p.id === 10 })),
  lead_fields: [f(101, 'Source', 'select', { enums: choices }), f(102, 'Options', 'multiselect', { enums: choices }), f(106, 'Call back at', 'date_time')],
  contact_fields: [f(201, 'Position', 'text'), f(202, 'Birthday', 'birthday')],
  company_fields: [f(301, 'Web', 'url')],
};

const contact: ContactDraft = {
  first_name: 'Ivan', last_name: 'Petrov',
  phones: ['+7 912 123 45 67', '8 495 000 11 22'], phone_types: ['MOB', 'WORK'],
  emails: ['ivan@example.com'], email_types: ['PRIV'],
  custom_fields: [{ field_id: 201, value: 'Buyer' }, { field_id: 202, value: '1990-05-01' }],
  responsible_user_id: null, company: null, existing_company_id: null,
};

const lead: LeadDraft = {
  name: 'Sofa', price: '1500', pipeline_id: 10, status_id: 3, responsible_user_id: 7, tags: ['phone', 'vip'],
  contact, existing_contact_id: null, note: 'Wants a green one\nby Friday',
  custom_fields: [{ field_id: 101, value: '2' }, { field_id: 102, value: '1|2' }, { field_id: 106, value: '2026-12-01T10:00' }],
  company: { name: 'Romashka', custom_fields: [{ field_id: 301, value: 'https://romashka.example' }] }, existing_company_id: null,
  task: { text: 'Call back', due: '2026-12-01T10:00:00+03:00', task_type_id: 2, responsible_user_id: 7 },
  unsorted: false,
};

const roundTrip = (d: LeadDraft, r: ReferenceData | null = reference) => leadDraft(leadState(d, r), r);

describe('drafts: each part from a draft to the form and back', () => {
  test('an incoming lead with no pipeline chosen stays incoming: it goes to the main pipeline', () => {
    const incoming: LeadDraft = { ...lead, pipeline_id: null, status_id: null, unsorted: true };
    expect(roundTrip(incoming).unsorted).toBe(true);
    const notTaken = { ...reference, pipelines: reference.pipelines.map((p) => ({ ...p, is_unsorted_on: false })) };
    expect(roundTrip(incoming, notTaken).unsorted).toBe(false);
  });

  test('a lead with its new contact, new company, fields, note and task comes back the same', () => {
    expect(roundTrip(lead)).toEqual(lead);
    // The form shows a stored date-time (RFC 3339 with the offset the core fixed) in the account's
    // time, without its offset, and sends that wall-clock time back: the core reads it in the
    // account's zone again, at that day's offset (docs/amocrm-api.md §11.14).
    const stored: LeadDraft = { ...lead, custom_fields: [{ field_id: 106, value: '2027-01-15T10:00:00+01:00' }] };
    expect(leadState(stored, reference).deal.cf[106]).toBe('2027-01-15T10:00');
    expect(roundTrip(stored).custom_fields).toEqual([{ field_id: 106, value: '2027-01-15T10:00' }]);
    expect(leadState(lead, reference).next.task).toMatchObject({ when: 'custom', custom: '2026-12-01T10:00' });
  });

  test("edited before the account's data loaded, a lead keeps every stored custom value", () => {
    // No reference yet: the form cannot show the fields, and saving must not drop their values
    // (the core checks them against the account when the entry is queued again).
    const kept = roundTrip(lead, null);
    expect(kept.custom_fields).toEqual(lead.custom_fields);
    expect(kept.contact?.custom_fields).toEqual(contact.custom_fields);
    expect(kept.company?.custom_fields).toEqual(lead.company?.custom_fields);
  });

  test('Incoming leads, an existing contact and company, a preset or no task', () => {
    expect(roundTrip({ ...lead, status_id: null, unsorted: true })).toEqual({ ...lead, status_id: null, unsorted: true });
    const attached = { ...lead, contact: null, existing_contact_id: 99, company: null, existing_company_id: 77 };
    expect(roundTrip(attached)).toEqual(attached);
    expect(leadState(attached, reference).caller.existing).toEqual({ id: 99, name: '#99' });
    const presets = { ...lead, task: { text: '', due: '+1h', task_type_id: null, responsible_user_id: null } };
    expect(roundTrip(presets)).toEqual(presets);
    const bare = { ...queued(1).draft, name: 'x' } as LeadDraft;
    expect(roundTrip(bare, null)).toEqual(bare);
  });

  test('the entry\'s Incoming-leads choice wins over the remembered one; an empty form takes the remembered one', () => {
    expect(leadState({ ...lead, unsorted: false }, reference, true).deal.unsorted).toBe(false);
    expect(leadState({ ...lead, unsorted: true }, reference, false).deal.unsorted).toBe(true);
    expect(leadState(null, reference, true).deal.unsorted).toBe(true);
  });

  test('a contact alone, in a new or an existing company; a follow-up', () => {
    const alone: ContactDraft = { ...contact, company: { name: 'Lutik', custom_fields: [] } };
    expect(contactDraft(contactState(alone, reference), reference)).toEqual(alone);
    const inCompany: ContactDraft = { ...contact, existing_company_id: 77 };
    expect(contactDraft(contactState(inCompany, reference), reference)).toEqual(inCompany);
    const fu: FollowupDraft = { lead_id: 501, lead_name: 'Chairs', note: 'Again', task: lead.task, responsible_user_id: 7 };
    expect(followupDraft({ id: 501, name: 'Chairs', responsible: 7 }, nextState(fu))).toEqual(fu);
  });

  test('a task: a changed time is sent as typed, an untouched one as stored; no text and no time is no task', () => {
    const s = taskState(lead.task);
    expect(taskDraft({ ...s, custom: '2026-12-02T09:30' })?.due).toBe('2026-12-02T09:30');
    expect(taskDraft({ ...s, when: 'next week' })?.due).toBe('next week');
    expect(taskDraft(taskState(null))).toBeNull();
  });

  test('after a save the form is empty but keeps the pipeline, stage, responsible user and Incoming-leads choice', () => {
    const s = clearedLead(leadState({ ...lead, unsorted: true }, reference));
    expect(leadDraft(s, reference)).toMatchObject({ name: '', contact: null, company: null, note: '', task: null, pipeline_id: 10, responsible_user_id: 7, unsorted: true });
    expect(s.deal.statusId).toBe(3);
  });

  test('any lead the form can show comes back the same (property)', () => {
    const text = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() === s && !s.includes(','));
    const rows = <T extends string>(types: readonly T[]) =>
      fc.array(fc.tuple(text, fc.constantFrom(...types)), { maxLength: 3 }).map((r) => [r.map(([v]) => v), r.map(([, ty]) => ty)] as const);
    const contactArb = fc.record({
      first_name: text, last_name: fc.constantFrom('', 'Petrov'),
      phones: rows(['WORK', 'MOB', 'HOME'] as const), emails: rows(['WORK', 'PRIV'] as const),
      position: fc.option(text, { nil: null }),
    });
    const draftArb = fc.record({
      name: fc.string({ maxLength: 20 }), price: fc.stringMatching(/^\d{0,6}$/), status: fc.constantFrom(2, 3),
      responsible: fc.constantFrom(null, 7), tags: fc.array(text, { maxLength: 3 }), unsorted: fc.boolean(),
      contact: fc.option(contactArb, { nil: null }), note: fc.string({ maxLength: 20 }),
      source: fc.constantFrom(null, '1', '2'), company: fc.option(text, { nil: null }),
    });
    fc.assert(
      fc.property(draftArb, (a) => {
        const c: ContactDraft | null = a.contact && {
          first_name: a.contact.first_name, last_name: a.contact.last_name,
          phones: [...a.contact.phones[0]], phone_types: [...a.contact.phones[1]],
          emails: [...a.contact.emails[0]], email_types: [...a.contact.emails[1]],
          custom_fields: a.contact.position === null ? [] : [{ field_id: 201, value: a.contact.position }],
          responsible_user_id: null, company: null, existing_company_id: null,
        };
        const d: LeadDraft = {
          name: a.name, price: a.price, pipeline_id: 10, status_id: a.unsorted ? null : a.status, responsible_user_id: a.responsible,
          tags: a.tags, contact: c, existing_contact_id: null, note: a.note,
          custom_fields: a.source === null ? [] : [{ field_id: 101, value: a.source }],
          company: a.company === null ? null : { name: a.company, custom_fields: [] }, existing_company_id: null,
          task: null, unsorted: a.unsorted,
        };
        expect(roundTrip(d)).toEqual(d);
      }),
    );
  });
});

describe('drafts: a fixed entry keeps its parts already in amoCRM exactly as stored', () => {
  const entry = (e: Partial<OutboxItem>): OutboxItem => ({ ...queued(1), state: 'attention', editable: true, ...e }) as OutboxItem;

  test('a lead in amoCRM: only its refused task changes, its contact and fields stay as stored', () => {
    const stored: LeadDraft = {
      ...lead, tags: ['vip', 'phone'], contact: { ...contact, phones: ['+79121234567', ''], phone_types: [], responsible_user_id: 5 },
      custom_fields: [{ field_id: 888, value: '42', checked: { kind: 'number', value: '42' } }],
    };
    const item = entry({
      kind: 'lead', draft: stored, lead_id: 555,
      steps: [
        { kind: 'lead', state: 'done', amo_id: 555, url: 'https://acme.amocrm.ru/leads/detail/555' },
        { kind: 'note', state: 'maybe_sent', amo_id: null, url: null },
        { kind: 'task', state: 'refused', amo_id: null, url: null },
      ],
    });
    const edited = { ...leadDraft(leadState(stored, reference), reference), name: 'Changed', note: 'Changed', task: null };
    expect(keepLocked(item, { kind: 'lead', draft: edited })).toEqual({ kind: 'lead', draft: { ...stored, task: null } });
    const parts: PartName[] = ['deal', 'caller', 'company', 'note', 'task'];
    expect(parts.map((p) => lockOf(item, p)?.kind ?? null)).toEqual(['lead', 'lead', 'lead', 'note', null]);
    expect(stepRecord(item, item.steps[1]!)).toEqual({ kind: 'lead', id: 555 });
  });

  test('a refused lead: everything as edited', () => {
    const item = entry({ kind: 'lead', draft: lead, steps: [{ kind: 'incoming_lead', state: 'refused', amo_id: null, url: null }] });
    const edited = { ...lead, name: 'Changed', existing_contact_id: 99, contact: null };
    expect(keepLocked(item, { kind: 'lead', draft: edited })).toEqual({ kind: 'lead', draft: edited });
  });

  test('a contact in amoCRM whose company was refused: only the company changes; the responsible user is kept', () => {
    const stored: ContactDraft = { ...contact, responsible_user_id: 5, company: { name: 'Romashka', custom_fields: [] } };
    const item = entry({
      kind: 'contact', draft: stored,
      steps: [
        { kind: 'contact', state: 'done', amo_id: 61, url: 'https://acme.amocrm.ru/contacts/detail/61' },
        { kind: 'company', state: 'refused', amo_id: null, url: null },
        { kind: 'link', state: 'pending', amo_id: null, url: null },
      ],
    });
    const edited: ContactDraft = { ...contact, first_name: 'Changed', company: null, existing_company_id: 77 };
    expect(keepLocked(item, { kind: 'contact', draft: edited })).toEqual({ kind: 'contact', draft: { ...stored, company: null, existing_company_id: 77 } });
    expect(stepRecord(item, item.steps[0]!)).toEqual({ kind: 'contact', id: 61 });
    expect(stepRecord(item, item.steps[2]!)).toBeNull();
  });

  test('a follow-up whose note is in amoCRM: only the task changes; its lead stays', () => {
    const stored: FollowupDraft = { lead_id: 501, lead_name: 'Chairs', note: 'Again', task: lead.task, responsible_user_id: 7 };
    const item = entry({
      kind: 'followup', draft: stored, lead_id: null,
      steps: [{ kind: 'note', state: 'done', amo_id: 3, url: 'https://acme.amocrm.ru/leads/detail/501' }, { kind: 'task', state: 'refused', amo_id: null, url: null }],
    });
    const edited: FollowupDraft = { lead_id: 1, lead_name: 'x', note: 'Changed', task: null, responsible_user_id: null };
    expect(keepLocked(item, { kind: 'followup', draft: edited })).toEqual({ kind: 'followup', draft: { ...stored, task: null } });
    expect(stepRecord(item, item.steps[0]!)).toEqual({ kind: 'lead', id: 501 });
  });
});
