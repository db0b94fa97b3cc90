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

/** Rows typed into the form as the draft takes them: empty rows dropped with their types. */
export function typedRows<T>(values: readonly string[], types: readonly string[], asType: (s: string | undefined) => T): [string[], T[]] {
  const rows = values.map((v, i) => [v, asType(types[i])] as const).filter(([v]) => v.trim() !== '');
  return [rows.map(([v]) => v), rows.map(([, ty]) => ty)];
}
