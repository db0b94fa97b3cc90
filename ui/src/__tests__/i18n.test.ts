import { describe, expect, test } from 'vitest';
import { en } from '../lib/i18n/en';
import { ru } from '../lib/i18n/ru';
import { i18n, t } from '../lib/i18n.svelte';

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

  test('t() interpolates and follows the current language', () => {
    i18n.lang = 'en';
    expect(t('cleanup.done', { n: 3 })).toBe('Removed 3 expired sign-in state(s).');
    i18n.lang = 'ru';
    expect(t('connect.success', { name: 'Acme' })).toBe('Подключено: Acme.');
    i18n.lang = 'en';
  });
});
