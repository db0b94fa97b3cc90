// How the lead form shows and fills the account's custom fields. The checks are in Rust
// (amo-core's domain/fields.rs); here only the shape of each input and the value it sends.
import type { CustomField } from './bindings/CustomField';
import type { FieldEntry } from './bindings/FieldEntry';

/** Fields the form offers: not those only integrations set (amoCRM's `is_api_only`). */
export function formFields(fields: readonly CustomField[]): CustomField[] {
  return fields.filter((f) => !f.is_api_only);
}

/** Whether the field must be filled in for a lead entering this stage. */
export function requiredFor(f: CustomField, pipelineId: number | null, statusId: number | null): boolean {
  return f.required_statuses.some((r) => r.pipeline_id === pipelineId && r.status_id === statusId);
}

/** "+03:00" for 10800. */
export function offsetText(secs: number): string {
  const sign = secs < 0 ? '-' : '+';
  const a = Math.abs(secs);
  const hh = String(Math.floor(a / 3600)).padStart(2, '0');
  const mm = String(Math.floor((a % 3600) / 60)).padStart(2, '0');
  return `${sign}${hh}:${mm}`;
}

/**
 * The value sent for an input's text: a `datetime-local` value ("2026-12-01T10:00") becomes
 * RFC 3339 in the account's time zone; everything else is sent as typed.
 */
export function toEntryValue(f: CustomField, raw: string, offsetSecs: number): string {
  if (f.type === 'date_time' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(raw)) return `${raw}:00${offsetText(offsetSecs)}`;
  return raw;
}

/** The input's text for a stored value (editing an entry): the inverse of `toEntryValue`. */
export function fromEntryValue(f: CustomField, value: string): string {
  if (f.type === 'date_time') {
    const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}):\d{2}([+-]\d{2}:\d{2}|Z)$/.exec(value);
    if (m?.[1]) return m[1];
  }
  return value;
}

/** The entries of a form's values (empty ones left out). */
export function entries(fields: readonly CustomField[], values: Record<number, string>, offsetSecs: number): FieldEntry[] {
  return fields
    .filter((f) => (values[f.id] ?? '').trim() !== '')
    .map((f) => ({ field_id: f.id, value: toEntryValue(f, values[f.id] ?? '', offsetSecs) }));
}
