import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, test, vi } from 'vitest';
import History from '../components/History.svelte';
import type { OutboxItem } from '../lib/bindings/OutboxItem';
import { i18n } from '../lib/i18n.svelte';
import { argsOf, backend, names } from './backend';
import { queued, reference } from './fixtures';

afterEach(() => {
  clearMocks();
  i18n.lang = 'en';
});

/** A row the core could not read: named by its id, with the storage error, not editable. */
function damaged(id: number, sent = false): OutboxItem {
  return {
    ...queued(id),
    state: 'damaged',
    title: `#${id}`,
    editable: false,
    sent_at: sent ? '2026-01-01T00:00:00Z' : null,
    error: { code: 'storage', message: `Local database error: entry #${id} cannot be read`, remedy: 'none', fields: null },
  } as OutboxItem;
}

describe('History shows a damaged entry', () => {
  test('as damaged, by its id, with discard (unless it was sent) and no edit or retry', async () => {
    const calls = backend({ outbox_discard: () => null });
    const onChanged = vi.fn();
    const { container } = render(History, { items: [damaged(7), damaged(8, true)], reference, onChanged });
    const item = container.querySelector('#history-item-7') as HTMLElement;
    expect(item.dataset.state).toBe('damaged');
    expect(item.querySelector('.badge.state')?.textContent).toBe('damaged');
    expect(item.textContent).toContain('#7');
    expect(item.querySelector('.item-error')?.textContent).toContain('[storage]');
    expect(item.querySelector('button.edit')).toBeNull();
    expect(item.querySelector('button.retry')).toBeNull();
    expect(container.querySelector('#history-item-8 button.discard')).toBeNull();
    await fireEvent.click(item.querySelector('button.discard') as HTMLElement);
    await waitFor(() => expect(names(calls)).toContain('outbox_discard'));
    expect(argsOf(calls, 'outbox_discard')).toEqual({ id: 7 });
    i18n.lang = 'ru';
    await waitFor(() => expect(item.querySelector('.badge.state')?.textContent).toBe('повреждена'));
  });
});
