// Every UI string goes through t(). The language is reactive ($state) and persisted in the
// backend's settings, so error messages from Rust come back in the same language.
import type { Lang } from './bindings/Lang';
import { en, type MessageKey } from './i18n/en';
import { ru } from './i18n/ru';

const dictionaries: Record<Lang, Record<MessageKey, string>> = { en, ru };

function detect(): Lang {
  const nav = typeof navigator !== 'undefined' ? navigator.language : 'en';
  return nav.toLowerCase().startsWith('ru') ? 'ru' : 'en';
}

let current = $state<Lang>(detect());

export const i18n = {
  get lang(): Lang {
    return current;
  },
  set lang(l: Lang) {
    current = l;
    if (typeof document !== 'undefined') document.documentElement.lang = l;
  },
};

export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  const template = dictionaries[current][key];
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}

export function formatDate(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(current === 'ru' ? 'ru-RU' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

/** "in 23 h 5 min" / "через 23 ч 5 мин"; null when past or unknown. */
export function timeLeft(iso: string | null, now: number = Date.now()): string | null {
  if (!iso) return null;
  const ms = new Date(iso).getTime() - now;
  if (Number.isNaN(ms) || ms <= 0) return null;
  const mins = Math.floor(ms / 60000);
  const days = Math.floor(mins / 1440);
  const hours = Math.floor((mins % 1440) / 60);
  const m = mins % 60;
  const ru = current === 'ru';
  const parts = days > 0 ? [[days, ru ? 'д' : 'd'], [hours, ru ? 'ч' : 'h']] : [[hours, ru ? 'ч' : 'h'], [m, ru ? 'мин' : 'min']];
  const text = parts
    .filter(([n], i) => n !== 0 || i === parts.length - 1)
    .map(([n, unit]) => `${n} ${unit}`)
    .join(' ');
  return ru ? `через ${text}` : `in ${text}`;
}
