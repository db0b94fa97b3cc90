// How the lead form shows and fills the account's custom fields. The checks are in Rust
// (amo-core's domain/fields.rs); here only the shape of each input and the value it sends.
import type { CustomField } from './bindings/CustomField';
import type { FormLayout } from './bindings/FormLayout';
import type { FieldEntry } from './bindings/FieldEntry';
import type { ReferenceData } from './bindings/ReferenceData';

/** Fields the form offers: not those only integrations set (amoCRM's `is_api_only`). */
const NO_LAYOUT: FormLayout = { order: [], hidden: [], shown: [] };

/** The fields a form draws, as Settings → Form fields arranged them: the chosen order first,
 * then the rest in amoCRM's; hidden ones left out unless `keep` says the form needs them (a field
 * the chosen stage requires); integration-only fields only when shown on purpose. */
export function formFields(
  fields: readonly CustomField[],
  layout: FormLayout = NO_LAYOUT,
  keep: (f: CustomField) => boolean = () => false,
): CustomField[] {
  const rank = (f: CustomField) => {
    const i = layout.order.indexOf(f.id);
    return i === -1 ? layout.order.length + fields.indexOf(f) : i;
  };
  const visible = (f: CustomField) =>
    keep(f) || (!layout.hidden.includes(f.id) && (!f.is_api_only || layout.shown.includes(f.id)));
  return fields.filter(visible).sort((a, b) => rank(a) - rank(b));
}

/** Every field in the layout's order with whether the form shows it (for Settings). */
export function layoutRows(fields: readonly CustomField[], layout: FormLayout): { field: CustomField; shown: boolean }[] {
  const shown = new Set(formFields(fields, layout).map((f) => f.id));
  const all = formFields(fields, { order: layout.order, hidden: [], shown: fields.map((f) => f.id) });
  return all.map((field) => ({ field, shown: shown.has(field.id) }));
}

/** The layout after showing or hiding one field (integration-only ones are shown by `shown`). */
export function withShown(layout: FormLayout, f: CustomField, on: boolean): FormLayout {
  const hidden = layout.hidden.filter((id) => id !== f.id);
  const shown = layout.shown.filter((id) => id !== f.id);
  if (on) return { ...layout, hidden, shown: f.is_api_only ? [...shown, f.id] : shown };
  return { ...layout, hidden: [...hidden, f.id], shown };
}

/** The layout after moving `f` one place up (-1) or down (+1) among `rows` (all fields, in order). */
export function moved(layout: FormLayout, rows: readonly CustomField[], f: CustomField, by: -1 | 1): FormLayout {
  const ids = rows.map((r) => r.id);
  const i = ids.indexOf(f.id);
  const j = i + by;
  if (i === -1 || j < 0 || j >= ids.length) return layout;
  [ids[i], ids[j]] = [ids[j] as number, ids[i] as number];
  return { ...layout, order: ids };
}

/** Whether the field must be filled in for a lead entering this stage. */
export function requiredFor(f: CustomField, pipelineId: number | null, statusId: number | null): boolean {
  return f.required_statuses.some((r) => r.pipeline_id === pipelineId && r.status_id === statusId);
}

/** The input's text for a stored value (editing an entry): a date-time (RFC 3339 with the offset
 * the core fixed for it) as its wall-clock time in the account's zone. */
export function fromEntryValue(f: CustomField, value: string): string {
  if (f.type === 'date_time') {
    const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}):\d{2}([+-]\d{2}:\d{2}|Z)$/.exec(value);
    if (m?.[1]) return m[1];
  }
  return value;
}

/**
 * The entries of a form's values (empty ones left out), each sent as typed. A `datetime-local`
 * value ("2027-01-15T10:00") is a wall-clock time the core reads in the account's time zone at
 * that day's own offset, summer or winter (docs/amocrm-api.md §11.14): the window does no
 * time-zone arithmetic of its own.
 */
export function entries(fields: readonly CustomField[], values: Record<number, string>): FieldEntry[] {
  return fields
    .filter((f) => (values[f.id] ?? '').trim() !== '')
    .map((f) => ({ field_id: f.id, value: values[f.id] ?? '' }));
}

/** A new company's fields in the lead and contact forms; its phone and e-mail (multitext) are
 * filled in amoCRM. */
export function companyFormFields(reference: ReferenceData | null): CustomField[] {
  return formFields((reference?.company_fields ?? []).filter((f) => f.type !== 'multitext'));
}
