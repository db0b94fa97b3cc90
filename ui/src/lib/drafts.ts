// What the forms hold while the user types, and the drafts they send. Each part of a form — the
// caller, the company, the deal, the note and task — has its state here and its mapping both
// ways, written once: a draft from History fills a form (draft → state), and the form sends
// a draft (state → draft). A part locked by a step already in amoCRM is not re-derived at all:
// `keepLocked` copies it from the stored draft, as the core wants it (outbox_update).
import type { CompanyDraft } from './bindings/CompanyDraft';
import type { CompanyMatch } from './bindings/CompanyMatch';
import type { ContactDraft } from './bindings/ContactDraft';
import type { CustomField } from './bindings/CustomField';
import type { Draft } from './bindings/Draft';
import type { DuePreset } from './bindings/DuePreset';
import type { FieldEntry } from './bindings/FieldEntry';
import type { FollowupDraft } from './bindings/FollowupDraft';
import type { LeadDraft } from './bindings/LeadDraft';
import type { OutboxItem } from './bindings/OutboxItem';
import type { PipelineStatus } from './bindings/PipelineStatus';
import type { ReferenceData } from './bindings/ReferenceData';
import type { TaskDraft } from './bindings/TaskDraft';
import { emailType, phoneType, typedRows } from './contactTypes';
import { companyFormFields, entries, formFields, fromEntryValue, requiredFor } from './customFields';
import { lockOf, type PartName } from './steps';

type Ref = ReferenceData | null;
/** Custom fields' values as typed, by field id. */
export type Typed = Record<number, string>;

/** Stored entries as the inputs show them (a date-time without its offset). */
function typed(fields: readonly CustomField[], list: readonly FieldEntry[]): Typed {
  const out: Typed = {};
  for (const e of list) {
    const f = fields.find((x) => x.id === e.field_id);
    out[e.field_id] = f ? fromEntryValue(f, e.value) : e.value;
  }
  return out;
}

/** The custom values to send: those of the form's `fields` once the account's data are loaded;
 * while they are not (`r` null: no field can be shown), every stored value as it is, so an entry
 * edited then keeps them — the core checks them against the account when it is queued again. */
function values(fields: readonly CustomField[], typedValues: Typed, r: Ref): FieldEntry[] {
  if (r) return entries(fields, typedValues);
  return Object.entries(typedValues)
    .filter(([, v]) => v.trim() !== '')
    .map(([id, v]) => ({ field_id: Number(id), value: v }));
}

// ── The caller: a lead's new contact, or a contact entered alone ─────────────────────────────

export type CallerState = {
  first: string;
  last: string;
  phones: string[];
  phoneTypes: string[];
  emails: string[];
  emailTypes: string[];
  cf: Typed;
  /** The amoCRM contact a lead is attached to instead of a new one (the duplicate offer). */
  existing: { id: number; name: string } | null;
  /** "Create a new contact anyway" although amoCRM has one with this phone or e-mail. */
  allowDuplicate: boolean;
};

/** The contact's fields a form draws (phones and e-mails have their rows). */
export const contactFields = (r: Ref): CustomField[] => formFields(r?.contact_fields ?? [], r?.contact_layout);

/** At least one row; each row's type, a work one where none was stored. */
function rows(values: readonly string[] | undefined, types: readonly string[] | undefined): [string[], string[]] {
  const v = values?.length ? [...values] : [''];
  return [v, v.map((_, i) => types?.[i] ?? 'WORK')];
}

export function callerState(c: ContactDraft | null, r: Ref, existingId: number | null = null): CallerState {
  const [phones, phoneTypes] = rows(c?.phones, c?.phone_types);
  const [emails, emailTypes] = rows(c?.emails, c?.email_types);
  return {
    first: c?.first_name ?? '',
    last: c?.last_name ?? '',
    phones,
    phoneTypes,
    emails,
    emailTypes,
    cf: typed(r?.contact_fields ?? [], c?.custom_fields ?? []),
    existing: existingId === null ? null : { id: existingId, name: `#${existingId}` },
    allowDuplicate: c?.allow_duplicate ?? false,
  };
}

type CallerValues = Pick<
  ContactDraft,
  'first_name' | 'last_name' | 'phones' | 'phone_types' | 'emails' | 'email_types' | 'custom_fields' | 'allow_duplicate'
>;

/** The contact's own values (no responsible user, no company: those belong to the entry). */
export function callerValues(s: CallerState, r: Ref): CallerValues {
  const [phones, phone_types] = typedRows(s.phones, s.phoneTypes, phoneType);
  const [emails, email_types] = typedRows(s.emails, s.emailTypes, emailType);
  return {
    first_name: s.first, last_name: s.last, phones, phone_types, emails, email_types,
    custom_fields: values(contactFields(r), s.cf, r),
    // Only when chosen: a draft without it is one that refuses a duplicate.
    ...(s.allowDuplicate ? { allow_duplicate: true } : {}),
  };
}

/** Whether anything of a new contact was typed (a lead without one has no contact). */
const anyTyped = (v: CallerValues) =>
  v.first_name !== '' || v.last_name !== '' || v.phones.some((p) => p.trim()) || v.emails.some((e) => e.trim()) || v.custom_fields.length > 0;

// ── The company: picked from amoCRM by id, or a new one by name with its fields ──────────────

export type CompanyState = { name: string; picked: CompanyMatch | null; cf: Typed };

export function companyState(company: CompanyDraft | null, existingId: number | null, r: Ref): CompanyState {
  return {
    name: company?.name ?? '',
    picked: existingId === null ? null : { id: existingId, name: `#${existingId}` },
    cf: typed(r?.company_fields ?? [], company?.custom_fields ?? []),
  };
}

export function companyValues(s: CompanyState, r: Ref): { company: CompanyDraft | null; existing_company_id: number | null } {
  return {
    company: !s.picked && s.name.trim() ? { name: s.name, custom_fields: values(companyFormFields(r), s.cf, r) } : null,
    existing_company_id: s.picked?.id ?? null,
  };
}

// ── The deal: a lead's own fields ────────────────────────────────────────────────────────────

export type DealState = {
  name: string;
  price: string;
  pipelineId: number | null;
  statusId: number | null;
  responsibleId: number | null;
  tags: string;
  cf: Typed;
  /** To the pipeline's Incoming leads (where the account and the pipeline take them). */
  unsorted: boolean;
  /** An entry being fixed went to Incoming leads: that choice is its own, kept while the form
   * cannot tell whether they are offered (the account's shape not read yet). */
  keepsUnsorted: boolean;
};

/** The form's "to Incoming leads" choice for new leads, remembered on this computer. */
const UNSORTED_KEY = 'amo-connect.lead-form.unsorted';
export const rememberedUnsorted = (): boolean => globalThis.localStorage?.getItem(UNSORTED_KEY) === 'true';
export const rememberUnsorted = (on: boolean): void => globalThis.localStorage?.setItem(UNSORTED_KEY, String(on));

// Only open stages take a typed lead: won/lost close it, and unsorted takes only incoming leads
// with metadata (docs/amocrm-api.md §8.4, §8.9). The backend tells which stage is which.
export const openStages = (r: Ref, pipelineId: number | null): PipelineStatus[] =>
  r?.pipelines.find((p) => p.id === pipelineId)?.statuses.filter((s) => s.kind === 'open') ?? [];

/** The pipeline a lead enters: the chosen one, else the main one (as amoCRM and the core pick). */
const pipelineOf = (r: Ref, pipelineId: number | null) =>
  pipelineId === null ? (r?.pipelines.find((p) => p.is_main) ?? r?.pipelines[0]) : r?.pipelines.find((p) => p.id === pipelineId);

/** Incoming leads are offered only where the account and the pipeline take them. */
export const unsortedOffered = (r: Ref, pipelineId: number | null): boolean =>
  !!r?.unsorted_on && !!pipelineOf(r, pipelineId)?.is_unsorted_on;

/** The lead's custom fields the form draws; a hidden one the stage requires is drawn anyway. */
export const leadFields = (r: Ref, pipelineId: number | null, statusId: number | null): CustomField[] =>
  formFields(r?.lead_fields ?? [], r?.lead_layout, (f) => requiredFor(f, pipelineId, statusId));

/** Whether the lead goes to Incoming leads: chosen, where they are offered — an entry's own
 * choice as stored while the account's shape is not known. */
export const toUnsorted = (s: DealState, r: Ref): boolean =>
  s.unsorted && (r === null ? s.keepsUnsorted : unsortedOffered(r, s.pipelineId));

/** The stage whose required fields apply: none when the lead goes to Incoming leads. */
export const stageOf = (s: DealState, r: Ref): number | null => (toUnsorted(s, r) ? null : s.statusId);

export function dealState(d: LeadDraft | null, r: Ref, unsorted: boolean): DealState {
  return {
    name: d?.name ?? '',
    price: d?.price ?? '',
    pipelineId: d?.pipeline_id ?? null,
    statusId: d?.status_id ?? null,
    responsibleId: d?.responsible_user_id ?? null,
    tags: d?.tags.join(', ') ?? '',
    cf: typed(r?.lead_fields ?? [], d?.custom_fields ?? []),
    // An entry's choice is its own, never this computer's remembered one.
    unsorted: d ? d.unsorted : unsorted,
    keepsUnsorted: !!d?.unsorted,
  };
}

type DealValues = Pick<LeadDraft, 'name' | 'price' | 'pipeline_id' | 'status_id' | 'responsible_user_id' | 'tags' | 'custom_fields' | 'unsorted'>;

export function dealValues(s: DealState, r: Ref): DealValues {
  const unsorted = toUnsorted(s, r);
  return {
    name: s.name,
    price: s.price,
    pipeline_id: s.pipelineId,
    status_id: s.pipelineId === null || unsorted ? null : (s.statusId ?? openStages(r, s.pipelineId)[0]?.id ?? null),
    responsible_user_id: s.responsibleId,
    tags: s.tags.split(',').map((x) => x.trim()).filter((x) => x !== ''),
    custom_fields: values(leadFields(r, s.pipelineId, stageOf(s, r)), s.cf, r),
    unsorted,
  };
}

// ── What happens next: a note and a task ─────────────────────────────────────────────────────

/** The due-time presets in the backend's order (DuePreset). */
export const DUE_PRESETS: readonly DuePreset[] = ['+1h', 'tomorrow 10:00', '+3d', 'next week'];

export type TaskState = {
  text: string;
  /** '' (no task), a preset, or 'custom'. */
  when: string;
  /** The date-time input's value. */
  custom: string;
  typeId: number | null;
  responsibleId: number | null;
  /** The stored due time the custom input started from: sent back as it was while untouched. */
  stored: string;
};

/** A stored due time (RFC 3339 with the account's offset) as the date-time input shows it. */
export function toLocalInput(due: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})/.exec(due);
  return m ? `${m[1]}T${m[2]}` : due;
}

export function taskState(t: TaskDraft | null): TaskState {
  const preset = DUE_PRESETS.find((p) => p === t?.due);
  return {
    text: t?.text ?? '',
    when: t ? (preset ?? 'custom') : '',
    custom: t && !preset ? toLocalInput(t.due) : '',
    typeId: t?.task_type_id ?? null,
    responsibleId: t?.responsible_user_id ?? null,
    stored: t && !preset ? t.due : '',
  };
}

export function taskDraft(s: TaskState): TaskDraft | null {
  if (s.text.trim() === '' && s.when === '') return null;
  const custom = s.stored && s.custom === toLocalInput(s.stored) ? s.stored : s.custom;
  return { text: s.text, due: s.when === 'custom' ? custom : s.when, task_type_id: s.typeId, responsible_user_id: s.responsibleId };
}

export type NextState = { note: string; task: TaskState };

export const nextState = (d: { note: string; task: TaskDraft | null } | null): NextState => ({ note: d?.note ?? '', task: taskState(d?.task ?? null) });
export const nextValues = (s: NextState): { note: string; task: TaskDraft | null } => ({ note: s.note, task: taskDraft(s.task) });

// ── Whole entries ────────────────────────────────────────────────────────────────────────────

export type LeadState = { caller: CallerState; company: CompanyState; deal: DealState; next: NextState };

/** A lead form: empty (`unsorted`: the remembered choice), or filled from an entry. */
export function leadState(d: LeadDraft | null, r: Ref, unsorted = false): LeadState {
  return {
    caller: callerState(d?.contact ?? null, r, d?.existing_contact_id ?? null),
    company: companyState(d?.company ?? null, d?.existing_company_id ?? null, r),
    deal: dealState(d, r, unsorted),
    next: nextState(d),
  };
}

export function leadDraft(s: LeadState, r: Ref): LeadDraft {
  const caller = callerValues(s.caller, r);
  const existing = s.caller.existing;
  return {
    ...dealValues(s.deal, r),
    // The lead's company is the contact's too (amoCRM links them).
    contact: anyTyped(caller) && !existing ? { ...caller, responsible_user_id: null, company: null, existing_company_id: null } : null,
    existing_contact_id: existing?.id ?? null,
    ...nextValues(s.next),
    ...companyValues(s.company, r),
  };
}

/** The form after a lead is saved: empty for the next call, on the same pipeline, stage and
 * responsible user (and the same Incoming-leads choice). */
export function clearedLead(s: LeadState): LeadState {
  const { pipelineId, statusId, responsibleId, unsorted } = s.deal;
  const fresh = leadState(null, null, unsorted);
  return { ...fresh, deal: { ...fresh.deal, pipelineId, statusId, responsibleId } };
}

/**
 * The form after the account's shape changed (Disconnect, another account connected): what was
 * typed stays, every choice of the account's — pipeline, stage, users, task type, custom field
 * values (by the account's field ids), an attached contact or picked company — goes, so none
 * reaches the next account as its own. A new form then starts on the new account's main
 * pipeline and user again.
 */
export function withoutAccount(s: LeadState): LeadState {
  return {
    caller: { ...s.caller, cf: {}, existing: null },
    company: { ...s.company, picked: null, cf: {} },
    deal: { ...s.deal, pipelineId: null, statusId: null, responsibleId: null, cf: {} },
    next: { ...s.next, task: { ...s.next.task, typeId: null, responsibleId: null } },
  };
}

export type ContactState = { caller: CallerState; company: CompanyState };

export const contactState = (d: ContactDraft | null, r: Ref): ContactState => ({
  caller: callerState(d, r),
  company: companyState(d?.company ?? null, d?.existing_company_id ?? null, r),
});

export const contactDraft = (s: ContactState, r: Ref): ContactDraft => ({
  ...callerValues(s.caller, r),
  responsible_user_id: null,
  ...companyValues(s.company, r),
});

/** The existing customer's open lead a note and task go to (no new lead). */
export type FollowupTarget = { id: number; name: string; responsible: number | null };

export const followupDraft = (to: FollowupTarget, s: NextState): FollowupDraft => ({
  lead_id: to.id,
  lead_name: to.name,
  ...nextValues(s),
  responsible_user_id: to.responsible,
});

/**
 * The draft History sends for an edited entry: every part whose step may already be in amoCRM
 * exactly as stored (`item.draft`, not as the form shows it), the other parts as edited; what
 * the form does not show (a contact's responsible user, a follow-up's lead) as stored.
 */
export function keepLocked(item: OutboxItem, edited: Draft): Draft {
  const locked = (p: PartName) => lockOf(item, p) !== null;
  const pick = <T>(p: PartName, stored: T, typed: T): T => (locked(p) ? stored : typed);
  if (item.kind === 'lead' && edited.kind === 'lead') {
    const [o, e] = [item.draft, edited.draft];
    return { kind: 'lead', draft: { ...pick('deal', o, e), note: pick('note', o, e).note, task: pick('task', o, e).task } };
  }
  if (item.kind === 'contact' && edited.kind === 'contact') {
    const [o, e] = [item.draft, edited.draft];
    const c = pick('company', o, e);
    return {
      kind: 'contact',
      draft: { ...pick('caller', o, e), responsible_user_id: o.responsible_user_id, company: c.company, existing_company_id: c.existing_company_id },
    };
  }
  if (item.kind === 'followup' && edited.kind === 'followup') {
    const [o, e] = [item.draft, edited.draft];
    return { kind: 'followup', draft: { ...o, note: pick('note', o, e).note, task: pick('task', o, e).task } };
  }
  throw new Error(`an entry of kind ${item.kind} edited as ${edited.kind}`);
}
