// An entry's steps (its writes to amoCRM) as the window uses them: which part of a form a step
// locks once it may be in amoCRM, and which amoCRM record a step's link opens. The core keeps
// the rule (outbox_update refuses a changed locked step); the window only shows it.
import type { Draft } from './bindings/Draft';
import type { FieldErrorView } from './bindings/FieldErrorView';
import type { OutboxItem } from './bindings/OutboxItem';
import type { RecordKind } from './bindings/RecordKind';
import type { StepKind } from './bindings/StepKind';
import type { StepState } from './bindings/StepState';
import type { StepView } from './bindings/StepView';

/** The parts of the forms, each written by one step (or one group of steps). */
export type PartName = 'deal' | 'caller' | 'company' | 'note' | 'task' | 'call';

/** A part that may already be in amoCRM: shown as it is, with its step's link. */
export type Lock = { step: StepView; open: () => void };
export type Locks = Partial<Record<PartName, Lock | null>>;

/** Fixing an entry from History: what it was, its problems, its locked parts, how to save it. */
export type Edit<D> = { draft: D; errors: FieldErrorView[]; locks: Locks; save: (d: D) => Promise<void> };

/** A step that may have reached amoCRM: it must be sent again exactly as it was. */
export const isLocked = (s: StepState): boolean => s === 'done' || s === 'maybe_sent';

const LEAD: readonly StepKind[] = ['lead', 'incoming_lead'];

/** Which steps write each part, by entry kind: a lead's own step carries its contact and
 * company (one request); a contact's company is its `company` step and the `link` putting the
 * contact in it (switching to another company would drop or change them). */
const WRITERS: Record<Draft['kind'], Partial<Record<PartName, readonly StepKind[]>>> = {
  lead: { deal: LEAD, caller: LEAD, company: LEAD, note: ['note'], task: ['task'] },
  contact: { caller: ['contact'], company: ['company', 'link'] },
  followup: { note: ['note'], task: ['task'] },
  call: { call: ['call'] },
  // A change of a task or lead has no form part to lock: History offers no editor for it.
  task_change: {},
  lead_change: {},
};

/** The step that locks `part` of the entry, if any. */
export function lockOf(item: OutboxItem, part: PartName): StepView | null {
  const kinds = WRITERS[item.kind][part] ?? [];
  return item.steps.find((s) => kinds.includes(s.kind) && isLocked(s.state)) ?? null;
}

/** The amoCRM record a done step's link opens (a note's or a task's: its lead's). */
export function stepRecord(item: OutboxItem, step: StepView): { kind: RecordKind; id: number } | null {
  const lead = item.lead_id ?? (item.kind === 'followup' ? item.draft.lead_id : null);
  const of = (kind: RecordKind, id: number | null) => (id === null ? null : { kind, id });
  switch (step.kind) {
    case 'lead':
    case 'incoming_lead':
      return of('lead', step.amo_id);
    case 'contact':
      return of('contact', step.amo_id);
    case 'company':
      return of('company', step.amo_id);
    case 'note':
    case 'task':
      return of('lead', lead);
    case 'link':
      return null;
    case 'call':
      // The card the call landed on: its lead, else the contact.
      return lead !== null ? of('lead', lead) : of('contact', item.contact_id);
    case 'lead_change':
      return of('lead', step.amo_id ?? (item.kind === 'lead_change' ? item.draft.lead_id : null));
    case 'task_change':
      // A task has no page of its own in amoCRM: the entry's lead, when it has one.
      return of('lead', item.lead_id);
  }
}
