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
