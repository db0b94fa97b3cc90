// amoCRM's phone and e-mail types (generated from Rust: PhoneType, EmailType), in the order a
// sales manager picks them, with their labels. Inputs hold them as strings; drafts get them back
// typed through `phoneType` / `emailType`, which never invent a code.
import type { EmailType } from './bindings/EmailType';
import type { PhoneType } from './bindings/PhoneType';
import type { MessageKey } from './i18n/en';

export const PHONE_TYPES: readonly (readonly [PhoneType, MessageKey])[] = [
  ['WORK', 'phoneType.WORK'],
  ['MOB', 'phoneType.MOB'],
  ['WORKDD', 'phoneType.WORKDD'],
  ['HOME', 'phoneType.HOME'],
  ['FAX', 'phoneType.FAX'],
  ['OTHER', 'phoneType.OTHER'],
];

export const EMAIL_TYPES: readonly (readonly [EmailType, MessageKey])[] = [
  ['WORK', 'emailType.WORK'],
  ['PRIV', 'emailType.PRIV'],
  ['OTHER', 'emailType.OTHER'],
];

export function phoneType(s: string | undefined): PhoneType {
  return PHONE_TYPES.find(([c]) => c === s)?.[0] ?? 'WORK';
}

export function emailType(s: string | undefined): EmailType {
  return EMAIL_TYPES.find(([c]) => c === s)?.[0] ?? 'WORK';
}

/** Rows typed into the form as the draft takes them, each with its type. Only empty rows at the
 * end are dropped: the backend skips blank ones but names a problem by its row as sent, so the
 * rows before a problem keep their places. */
export function typedRows<T>(values: readonly string[], types: readonly string[], asType: (s: string | undefined) => T): [string[], T[]] {
  let n = values.length;
  while (n > 0 && (values[n - 1] ?? '').trim() === '') n--;
  const kept = values.slice(0, n);
  return [kept, kept.map((_, i) => asType(types[i]))];
}
