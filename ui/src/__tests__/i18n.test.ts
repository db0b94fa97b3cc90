import { describe, expect, test } from 'vitest';
import { en, enPlurals } from '../lib/i18n/en';
import { ru, ruPlurals } from '../lib/i18n/ru';
import { i18n, t, timeLeft, tn } from '../lib/i18n.svelte';

describe('i18n', () => {
  test('Russian and English have the same keys and no empty strings', () => {
    expect(Object.keys(ru).sort()).toEqual(Object.keys(en).sort());
    for (const [k, v] of Object.entries({ ...en, ...ru })) expect(v.trim(), k).not.toBe('');
  });

  test('plural messages: the same keys in both languages, every form written, each with its count', () => {
    expect(Object.keys(ruPlurals).sort()).toEqual(Object.keys(enPlurals).sort());
    for (const [k, forms] of Object.entries(enPlurals)) {
      expect(Object.keys(forms).sort(), k).toEqual(['one', 'other']);
      for (const v of Object.values(forms)) expect(v, k).toContain('{n}');
    }
    for (const [k, forms] of Object.entries(ruPlurals)) {
      expect(Object.keys(forms).sort(), k).toEqual(['few', 'many', 'one']);
      for (const v of Object.values(forms)) expect(v, k).toContain('{n}');
    }
  });

  test('Russian counts take one / few / many', () => {
    i18n.lang = 'ru';
    const offline = (n: number) => tn('outbox.offline', n);
    expect(offline(1)).toBe('amoCRM недоступен. 1 запись сохранена и будет отправлена автоматически.');
    expect(offline(2)).toBe('amoCRM недоступен. 2 записи сохранены и будут отправлены автоматически.');
    expect(offline(5)).toBe('amoCRM недоступен. 5 записей сохранено и будет отправлено автоматически.');
    expect(offline(11)).toBe('amoCRM недоступен. 11 записей сохранено и будет отправлено автоматически.');
    expect(offline(21)).toBe('amoCRM недоступен. 21 запись сохранена и будет отправлена автоматически.');
    expect(offline(22)).toBe('amoCRM недоступен. 22 записи сохранены и будут отправлены автоматически.');
    expect(offline(25)).toBe('amoCRM недоступен. 25 записей сохранено и будет отправлено автоматически.');
    expect(tn('cleanup.done', 1)).toBe('Удалено 1 просроченное состояние входа.');
    expect(tn('cleanup.done', 3)).toBe('Удалено 3 просроченных состояния входа.');
    expect(tn('cleanup.done', 0)).toBe('Удалено 0 просроченных состояний входа.');
    expect(tn('history.attempts', 11)).toBe('11 попыток');
    expect(tn('history.attempts', 22)).toBe('22 попытки');
    i18n.lang = 'en';
  });

  test('English counts take one / other', () => {
    i18n.lang = 'en';
    expect(tn('outbox.offline', 1)).toBe('amoCRM is unreachable. 1 entry is saved and will be sent automatically.');
    expect(tn('outbox.offline', 3)).toBe('amoCRM is unreachable. 3 entries are saved and will be sent automatically.');
    expect(tn('cleanup.done', 1)).toBe('Removed 1 expired sign-in state.');
    expect(tn('cleanup.done', 3)).toBe('Removed 3 expired sign-in states.');
    expect(tn('cleanup.done', 0)).toBe('Removed 0 expired sign-in states.');
    expect(tn('history.attempts', 1)).toBe('1 attempt');
    expect(tn('history.attempts', 3)).toBe('3 attempts');
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
    expect(t('connect.success', { name: 'Acme' })).toBe('Connected to Acme.');
    expect(tn('cleanup.done', 3)).toBe('Removed 3 expired sign-in states.');
    i18n.lang = 'ru';
    expect(t('connect.success', { name: 'Acme' })).toBe('Подключено: Acme.');
    i18n.lang = 'en';
  });
});
