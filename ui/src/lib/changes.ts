// Changes of what amoCRM already has (issue 21): the drafts the window queues for a task (done,
// moved) and a lead (stage, won, lost, fields), and a conflict's values as people read them.
// The checks are the core's (crates/amo-core/src/domain/change.rs): here only what the user
// chose, with the version of the record they were looking at (`updated_at`), so the outbox can
// tell right before sending whether somebody changed it since.
import type { Conflict } from './bindings/Conflict';
import type { ConflictField } from './bindings/ConflictField';
import type { CustomField } from './bindings/CustomField';
import type { FieldEntry } from './bindings/FieldEntry';
import type { LeadCard } from './bindings/LeadCard';
import type { LeadChangeDraft } from './bindings/LeadChangeDraft';
import type { LossReason } from './bindings/LossReason';
import type { MyTask } from './bindings/MyTask';
import type { PipelineStatus } from './bindings/PipelineStatus';
import type { ReferenceData } from './bindings/ReferenceData';
import type { StageKind } from './bindings/StageKind';
import type { TaskChangeDraft } from './bindings/TaskChangeDraft';
import { requiredFor } from './customFields';

// ── Tasks ────────────────────────────────────────────────────────────────────────────────────

/** "Move" offers these (the texts the core and the CLI take, docs: domain/task.rs resolve_due),
 * and a date and time typed in the account's zone. */
export const MOVE_PRESETS = ['+1h', 'tomorrow 10:00', 'next week'] as const;

/** A change that leaves everything as it is, for the task as the user saw it. */
function taskChange(task: MyTask): TaskChangeDraft {
  return {
    task_id: task.id,
    title: task.text,
    seen_updated_at: task.updated_at,
    done: false,
    result: '',
    due: '',
    text: '',
    task_type_id: null,
    responsible_user_id: null,
  };
}

/** Marks the task done, with what came of it (may be empty). */
export const taskDone = (task: MyTask, result: string): TaskChangeDraft => ({ ...taskChange(task), done: true, result: result.trim() });

/** Moves the task: `due` is a preset or a `datetime-local` value (the account's wall clock). */
export function taskMove(task: MyTask, due: string): TaskChangeDraft {
  const local = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})$/.exec(due);
  return { ...taskChange(task), due: local ? `${local[1]} ${local[2]}` : due };
}

// ── Leads ────────────────────────────────────────────────────────────────────────────────────

/** The closing stages' ids in every pipeline (docs/amocrm-api.md: 142 won, 143 lost). Sent, never
 * shown: the window words a stage by its kind. Taken from the account's pipeline when it lists
 * them. */
const CLOSING: Record<'won' | 'lost', number> = { won: 142, lost: 143 };

/** The won or lost stage of a pipeline. */
export function closingStage(r: ReferenceData | null, pipelineId: number, kind: 'won' | 'lost'): number {
  return r?.pipelines.find((p) => p.id === pipelineId)?.statuses.find((s) => s.kind === kind)?.id ?? CLOSING[kind];
}

/** The open stages of a pipeline, in its order (the card's "Move to"). */
export function openStages(r: ReferenceData | null, pipelineId: number): PipelineStatus[] {
  const p = r?.pipelines.find((x) => x.id === pipelineId);
  return (p?.statuses ?? []).filter((s) => s.kind === 'open').sort((a, b) => a.sort - b.sort);
}

/** The custom fields the card has a value in (the core asks for a stage's required fields only
 * when neither the lead nor the change fills them). */
export const filledFieldIds = (card: LeadCard): number[] => card.fields.filter((f) => f.value.trim() !== '').map((f) => f.field_id);

/** The lead's fields a stage requires that the lead has no value in. */
export function missingForStage(r: ReferenceData | null, card: LeadCard, pipelineId: number, statusId: number): CustomField[] {
  const filled = new Set(filledFieldIds(card));
  return (r?.lead_fields ?? []).filter((f) => requiredFor(f, pipelineId, statusId) && !filled.has(f.id));
}

/** What the user changed on the card; everything else stays as amoCRM has it. */
export type LeadEdit = Partial<
  Pick<LeadChangeDraft, 'name' | 'price' | 'status_id' | 'loss_reason_id' | 'responsible_user_id' | 'tags_to_add' | 'custom_fields'>
>;

/** A change of the lead as the card showed it. */
export function leadChange(card: LeadCard, edit: LeadEdit): LeadChangeDraft {
  return {
    lead_id: card.id,
    lead_name: card.name,
    seen_updated_at: card.updated_at,
    seen_pipeline_id: card.pipeline_id,
    filled_field_ids: filledFieldIds(card),
    name: '',
    price: '',
    pipeline_id: null,
    status_id: null,
    loss_reason_id: null,
    responsible_user_id: null,
    tags_to_add: [],
    custom_fields: [] as FieldEntry[],
    ...edit,
  };
}

// ── A conflict, as people read it ────────────────────────────────────────────────────────────

/** Unix seconds as the account's wall clock, `YYYY-MM-DDTHH:MM` (what `formatDue` reads): in
 * the account's zone by name when this machine knows it, else at the offset amoCRM gave; UTC
 * with a `Z` when neither is known (formatDue then shows UTC's wall clock). */
export function accountWall(secs: number, r: ReferenceData | null): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const fromUtc = (d: Date) =>
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  if (r?.timezone) {
    try {
      const parts = new Intl.DateTimeFormat('en-GB', {
        timeZone: r.timezone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
      }).formatToParts(new Date(secs * 1000));
      const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
      return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}`;
    } catch {
      // A zone this machine does not know: the offset below.
    }
  }
  if (r && r.timezone_offset_secs !== null) return fromUtc(new Date((secs + r.timezone_offset_secs) * 1000));
  return `${fromUtc(new Date(secs * 1000))}Z`;
}

/** How a conflict's values are named: the words the window needs, from the caller's language. */
export type Words = {
  yes: string;
  no: string;
  robot: string;
  user: (id: number) => string;
  stage: (id: number) => string;
  pipeline: (id: number) => string;
  reason: (id: number) => string;
  due: (wall: string) => string;
  kind: (k: StageKind) => string;
};

export type ConflictContext = { reference: ReferenceData | null; reasons: LossReason[]; words: Words };

/** A user by name (0: amoCRM itself — a robot or an integration). */
function userName(id: number, c: ConflictContext, known: string | null = null): string {
  if (known) return known;
  if (id === 0) return c.words.robot;
  return c.reference?.users.find((u) => u.id === id)?.name || c.words.user(id);
}

/** A stage by its name in its pipeline (won/lost by their kind where the pipeline is not known). */
function stageName(id: number, pipelineId: number | null, c: ConflictContext): string {
  const pipes = c.reference?.pipelines ?? [];
  const own = pipes.find((p) => p.id === pipelineId)?.statuses.find((s) => s.id === id);
  const any = own ?? pipes.flatMap((p) => p.statuses).find((s) => s.id === id);
  if (any) return any.name;
  if (id === CLOSING.won) return c.words.kind('won');
  if (id === CLOSING.lost) return c.words.kind('lost');
  return c.words.stage(id);
}

/** A custom field's value: choices (by id, several joined by ", " or "|") by their text. */
function fieldValue(fieldId: number, value: string, c: ConflictContext): string {
  const f = c.reference?.lead_fields.find((x) => x.id === fieldId);
  if (!f || f.enums.length === 0) return value;
  return value
    .split(/\s*[|,]\s*/)
    .filter((v) => v !== '')
    .map((v) => f.enums.find((e) => String(e.id) === v)?.value ?? v)
    .join(', ');
}

/** One side of a conflict's field as people read it. `pipelineId`: that side's pipeline. */
function valueOf(field: string, raw: string, pipelineId: number | null, c: ConflictContext): string {
  if (raw === '') return '—';
  const n = Number(raw);
  const id = Number.isFinite(n) && /^-?\d+$/.test(raw) ? n : null;
  switch (field) {
    case 'status':
    case 'status_id':
      return id === null ? raw : stageName(id, pipelineId, c);
    case 'pipeline':
    case 'pipeline_id':
      return id === null ? raw : (c.reference?.pipelines.find((p) => p.id === id)?.name ?? c.words.pipeline(id));
    case 'responsible_user_id':
      return id === null ? raw : userName(id, c);
    case 'task_type_id':
      return id === null ? raw : (c.reference?.task_types.find((tt) => tt.id === id)?.name ?? raw);
    case 'loss_reason_id':
      return id === null ? raw : (c.reasons.find((r) => r.id === id)?.name ?? c.words.reason(id));
    case 'due':
      return id === null ? raw : c.words.due(accountWall(id, c.reference));
    case 'done':
      return raw === 'true' ? c.words.yes : raw === 'false' ? c.words.no : raw;
  }
  const cf = /^custom_fields\.(\d+)$/.exec(field);
  return cf ? fieldValue(Number(cf[1]), raw, c) : raw;
}

export type ConflictRow = { field: string; theirs: string; mine: string };

/**
 * A conflict's rows with their values named. A stage is named in its side's pipeline: the
 * `pipeline` row's value when the change moves the lead to another pipeline, else `mine`'s
 * pipeline (`minePipeline`, the change's target) for both.
 */
export function conflictRows(conflict: Conflict, minePipeline: number | null, c: ConflictContext): ConflictRow[] {
  const pipe = conflict.fields.find((f) => f.field === 'pipeline' || f.field === 'pipeline_id');
  const theirsPipeline = pipe && /^\d+$/.test(pipe.theirs) ? Number(pipe.theirs) : minePipeline;
  return conflict.fields.map((f: ConflictField) => ({
    field: f.field,
    theirs: valueOf(f.field, f.theirs, theirsPipeline, c),
    mine: valueOf(f.field, f.mine, minePipeline, c),
  }));
}

/** Who changed the record, by name. */
export const conflictWho = (conflict: Conflict, c: ConflictContext): string => userName(conflict.updated_by, c, conflict.updated_by_name);

/** The loss reasons a conflict needs named (none: no need to ask amoCRM for them). */
export const needsReasons = (conflict: Conflict | null): boolean => !!conflict?.fields.some((f) => f.field === 'loss_reason_id');
