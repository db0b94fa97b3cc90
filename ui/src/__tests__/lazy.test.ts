// Tabs load when first opened (components/Lazy.svelte): the loaded view is drawn by the caller's
// snippet, and a chunk that cannot load is said in the window's language, not left blank.
import { cleanup, render } from '@testing-library/svelte';
import { createRawSnippet, type Component } from 'svelte';
import { afterEach, expect, test } from 'vitest';
import Lazy from '../components/Lazy.svelte';
import ErrorNotice from '../components/ErrorNotice.svelte';
import { i18n } from '../lib/i18n.svelte';

afterEach(() => cleanup());

const drawn = createRawSnippet((c: () => Component<any>) => ({
  render: () => `<p id="drawn">${c() === (ErrorNotice as unknown as Component<any>) ? 'the loaded view' : 'another'}</p>`,
}));

test('the loaded component is handed to the snippet', async () => {
  const { findByText } = render(Lazy, {
    load: () => Promise.resolve({ default: ErrorNotice as unknown as Component<any> }),
    children: drawn,
  });
  expect(await findByText('the loaded view')).toBeTruthy();
});

test('a chunk that cannot load is named in the window, in its language', async () => {
  i18n.lang = 'ru';
  const { findByRole } = render(Lazy, {
    load: () => Promise.reject(new Error('Importing a module script failed.')),
    children: drawn,
  });
  const alert = await findByRole('alert');
  expect(alert.textContent).toContain('Эту часть окна не удалось загрузить');
  expect(alert.textContent).toContain('Importing a module script failed.');
  i18n.lang = 'en';
});
