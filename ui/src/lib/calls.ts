// A call as the call card and History's editor hold it, and the draft the core checks.
import type { CallDirection } from './bindings/CallDirection';
import type { CallDraft } from './bindings/CallDraft';
import type { CallStatus } from './bindings/CallStatus';

/** amoCRM's seven call results, in the order the card offers them. */
export const CALL_STATUSES: readonly CallStatus[] = [
  'talked',
  'no_answer',
  'busy',
  'left_message',
  'call_back',
  'not_available',
  'wrong_number',
];

export type CallState = {
  phone: string;
  direction: CallDirection;
  /** As typed: whole seconds. */
  duration: string;
  status: CallStatus | '';
  result: string;
  link: string;
  /** Unix seconds the call began; none: when it is logged. */
  startedAt: number | null;
  /** The call's own id: a second Save of the same card is the same call. */
  uniq: string;
};

/** A call that starts now (the card opened for a ringing phone). */
export function newCall(phone: string, direction: CallDirection = 'inbound'): CallState {
  const uniq = typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `ui-${Date.now()}-${Math.random()}`;
  return { phone, direction, duration: '0', status: '', result: '', link: '', startedAt: Math.floor(Date.now() / 1000), uniq };
}

export function callState(d: CallDraft): CallState {
  return {
    phone: d.phone,
    direction: d.direction,
    duration: String(d.duration_secs),
    status: d.status ?? '',
    result: d.result,
    link: d.link,
    startedAt: d.started_at,
    uniq: d.uniq,
  };
}

/** The draft; a duration that is not a whole number goes as -1, which the core names. */
export function callDraft(s: CallState): CallDraft {
  const secs = /^\s*\d+\s*$/.test(s.duration) ? Number(s.duration.trim()) : -1;
  return {
    phone: s.phone,
    direction: s.direction,
    duration_secs: secs,
    status: s.status === '' ? null : s.status,
    result: s.result,
    link: s.link,
    started_at: s.startedAt,
    uniq: s.uniq,
    responsible_user_id: null,
  };
}

/** 75 → "01:15"; an hour or more → "1:02:03". */
export function clock(secs: number): string {
  const s = Math.max(0, Math.floor(secs));
  const two = (n: number) => String(n).padStart(2, '0');
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${two(m)}:${two(s % 60)}`;
}
