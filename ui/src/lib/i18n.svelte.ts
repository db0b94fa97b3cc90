// Every UI string goes through t(), or tn() when it shows a count. The language is reactive
// ($state) and persisted in the backend's settings, so error messages from Rust come back in the
// same language.
import type { Lang } from './bindings/Lang';
import { en, enPlurals, type EnPlural, type MessageKey, type PluralKey } from './i18n/en';
import { ru, ruPlurals, type RuPlural } from './i18n/ru';

const dictionaries: Record<Lang, Record<MessageKey, string>> = { en, ru };

/** The form `rule` names, or `fallback` when the language has no such form (e.g. 'other' for 1.5 in Russian). */
function pick<F extends string>(forms: Record<F, string>, rule: Intl.LDMLPluralRule, fallback: F): string {
  return (forms as Partial<Record<string, string>>)[rule] ?? forms[fallback];
}

/** Each language's plural messages, with the forms that language needs. */
const plurals: { [L in Lang]: (key: PluralKey, rule: Intl.LDMLPluralRule) => string } = {
  en: (key, rule) => pick<keyof EnPlural>(enPlurals[key], rule, 'other'),
  ru: (key, rule) => pick<keyof RuPlural>(ruPlurals[key], rule, 'many'),
};

const locales: Record<Lang, string> = { en: 'en-GB', ru: 'ru-RU' };
const pluralRules: Record<Lang, Intl.PluralRules> = { en: new Intl.PluralRules(locales.en), ru: new Intl.PluralRules(locales.ru) };

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

type Vars = Record<string, string | number>;

function fill(template: string, vars: Vars): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}

export function t(key: MessageKey, vars: Vars = {}): string {
  return fill(dictionaries[current][key], vars);
}

/** A message with a count `n` (also available as `{n}`), in the plural form the language needs for it. */
export function tn(key: PluralKey, n: number, vars: Vars = {}): string {
  return fill(plurals[current](key, pluralRules[current].select(n)), { ...vars, n });
}

export function formatDate(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(locales[current], { dateStyle: 'medium', timeStyle: 'short' });
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
