// "My tasks": what the tab needs to draw the core's task list — the piles in order, the element
// ids they go by, what a task is on, and its due time as the account's wall clock.
import type { DueBucket } from './bindings/DueBucket';
import type { Lang } from './bindings/Lang';
import type { MyTask } from './bindings/MyTask';
import type { RecordKind } from './bindings/RecordKind';
import type { TaskChangeDraft } from './bindings/TaskChangeDraft';

/** The piles as the tab shows them, soonest first; `attr` is the section's `data-bucket`. */
export const BUCKETS: readonly { bucket: DueBucket; attr: string }[] = [
  { bucket: 'overdue', attr: 'overdue' },
  { bucket: 'today', attr: 'today' },
  { bucket: 'tomorrow', attr: 'tomorrow' },
  { bucket: 'this_week', attr: 'week' },
  { bucket: 'later', attr: 'later' },
];

/** The tasks of each pile that has any, in `BUCKETS` order; within a pile the core's order (soonest first). */
export function piles(tasks: readonly MyTask[]): { bucket: DueBucket; attr: string; tasks: MyTask[] }[] {
  return BUCKETS.map((b) => ({ ...b, tasks: tasks.filter((t) => t.bucket === b.bucket) })).filter((p) => p.tasks.length > 0);
}

/** The amoCRM record a task is on, as `open_amocrm_record` takes it; null for a buyer (customers)
 * or a task on nothing, which the app cannot open. */
export function taskRecord(task: MyTask): { kind: RecordKind; id: number } | null {
  if (task.entity_id === null) return null;
  const kind: RecordKind | null =
    task.entity_type === 'leads' ? 'lead' : task.entity_type === 'contacts' ? 'contact' : task.entity_type === 'companies' ? 'company' : null;
  return kind ? { kind, id: task.entity_id } : null;
}

const locales: Record<Lang, string> = { en: 'en-GB', ru: 'ru-RU' };

/**
 * A due time as the account's clock shows it. `due` is RFC 3339 in the account's zone (the core
 * wrote it with the offset in force then), so its written day and time are the account's — read
 * as they are, not converted to this computer's zone (a manager in Berlin working a Moscow
 * account sees amoCRM's times). The text as given when it is not RFC 3339; a dash when there is
 * none (the core writes nothing for a time RFC 3339 cannot write, such as a due time stored in
 * milliseconds).
 */
export function formatDue(due: string, lang: Lang): string {
  if (due.trim() === '') return '—';
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(due);
  if (!m) return due;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  const wall = new Date(Date.UTC(y, mo - 1, d, h, mi));
  if (Number.isNaN(wall.getTime())) return due;
  return wall.toLocaleString(locales[lang], {
    timeZone: 'UTC',
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** What the Edit box holds: the text as typed, the chosen type and responsible user (null: the
 * box has no responsible select — the user may not list users). */
export type TaskEdit = { text: string; task_type_id: number; responsible_user_id: number | null };

/**
 * Edit's change of a task as the user saw it (its text as History's title, its `updated_at`
 * checked by the core before sending): only what differs from the task is sent — an unchanged
 * text as "", an unchanged type or responsible user as null, which the core reads as "leave it"
 * (domain TaskChangeDraft). Nothing changed goes as it is: the core refuses it on `form`
 * (nothing_to_change), one rule in one place.
 */
export function taskEdit(task: MyTask, edit: TaskEdit): TaskChangeDraft {
  const text = edit.text.trim();
  return {
    task_id: task.id,
    title: task.text,
    seen_updated_at: task.updated_at,
    done: false,
    result: '',
    due: '',
    text: text === task.text.trim() ? '' : text,
    task_type_id: edit.task_type_id === task.task_type_id ? null : edit.task_type_id,
    responsible_user_id: edit.responsible_user_id === null || edit.responsible_user_id === task.responsible_user_id ? null : edit.responsible_user_id,
  };
}
