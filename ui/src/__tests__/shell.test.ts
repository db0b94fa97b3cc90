// index.html paints a static copy of the app's header before any script runs (docs/tauri-platform.md
// §10). These tests keep that copy true to the app and check the app takes its place.
import { waitFor } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, test } from 'vitest';
import indexHtml from '../../index.html?raw';
import { start } from '../app';
import { backend } from './backend';
import { disconnected, settingsView } from './fixtures';

afterEach(() => clearMocks());

/** index.html's #app, as the page is parsed. */
function staticShell(): HTMLElement {
  const app = new DOMParser().parseFromString(indexHtml, 'text/html').getElementById('app');
  if (!app) throw new Error('index.html has no #app');
  return app;
}

describe('the static shell', () => {
  test('is the header the app draws, with the title in every language', async () => {
    const shell = staticShell();
    const { en } = await import('../lib/i18n/en');
    const { ru } = await import('../lib/i18n/ru');
    const title = shell.querySelector(':scope > .shell > header.top > h1');
    expect(title?.textContent).toBe(en['app.title']);
    expect(ru['app.title']).toBe(en['app.title']);
  });

  test('is replaced by the app, whose header has the same place and the tabs', async () => {
    backend({ settings_view: () => settingsView({ language: 'en' }, true), status: () => disconnected }, { events: true });
    const target = document.createElement('div');
    target.append(...Array.from(staticShell().childNodes).map((n) => document.importNode(n, true)));
    document.body.append(target);
    start(target);
    await waitFor(() => expect(target.querySelector('#status-panel')).not.toBeNull());
    expect(target.querySelectorAll('.shell')).toHaveLength(1);
    expect(target.querySelector(':scope > .shell > header.top > h1')?.textContent).toBe('Amo Connect');
    expect(target.querySelectorAll('header.top nav button').length).toBeGreaterThan(0);
    target.remove();
  });
});
