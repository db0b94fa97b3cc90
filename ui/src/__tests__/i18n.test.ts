import { describe, expect, test } from 'vitest';
import { en } from '../lib/i18n/en';
import { ru } from '../lib/i18n/ru';
import { i18n, t, timeLeft } from '../lib/i18n.svelte';

describe('i18n', () => {
  test('Russian and English have the same keys and no empty strings', () => {
    expect(Object.keys(ru).sort()).toEqual(Object.keys(en).sort());
    for (const [k, v] of Object.entries({ ...en, ...ru })) expect(v.trim(), k).not.toBe('');
  });

  test('Russian strings are actually Russian where they are words', () => {
    const same = Object.keys(en).filter((k) => ru[k as keyof typeof en] === en[k as keyof typeof en]);
    // Only names and technical terms may be identical.
    expect(same.sort()).toEqual(['app.title', 'platform.amocrm', 'platform.kommo', 'settings.redirectUri'].sort());
  });

  test('time left is short and localized, and absent once expired', () => {
    const now = Date.parse('2026-11-23T07:00:00Z');
    i18n.lang = 'en';
    expect(timeLeft('2026-11-24T06:59:00Z', now)).toBe('in 23 h 59 min');
    expect(timeLeft('2026-11-26T09:00:00Z', now)).toBe('in 3 d 2 h');
    expect(timeLeft('2026-11-23T07:05:00Z', now)).toBe('in 5 min');
    expect(timeLeft('2026-11-23T06:00:00Z', now)).toBeNull();
    i18n.lang = 'ru';
    expect(timeLeft('2026-11-24T06:59:00Z', now)).toBe('через 23 ч 59 мин');
    i18n.lang = 'en';
  });

  test('t() interpolates and follows the current language', () => {
    i18n.lang = 'en';
    expect(t('cleanup.done', { n: 3 })).toBe('Removed 3 expired sign-in state(s).');
    i18n.lang = 'ru';
    expect(t('connect.success', { name: 'Acme' })).toBe('Подключено: Acme.');
    i18n.lang = 'en';
  });
});
