import type { FieldErrorView } from './bindings/FieldErrorView';

/** A field's message from a list of field errors (`contact.phones` matches `contact.phones.0`). */
export function fieldError(errors: readonly FieldErrorView[], field: string): string | null {
  const hit = errors.find((e) => e.field === field || e.field.startsWith(field + '.'));
  return hit ? hit.message : null;
}
