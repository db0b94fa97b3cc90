import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, test } from 'vitest';
import type { OutboxItem } from '../lib/bindings/OutboxItem';
import type { OutboxSummary } from '../lib/bindings/OutboxSummary';
import { OutboxState } from '../lib/state/outbox.svelte';
import { backend } from './backend';
import { queued } from './fixtures';

afterEach(() => clearMocks());

const summary = (queued: number): OutboxSummary => ({
  queued, other_account: 0, attention: 0, sent: 0, offline: false, banned: false, last_error: null,
});

describe('OutboxState', () => {
  test('an older answer that arrives last does not overwrite the newer list', async () => {
    // The first read is answered after the second: the History must end on the second.
    const gates: Array<() => void> = [];
    const answers: OutboxItem[][] = [[], [{ ...queued(1), title: 'Repeat customer' }]];
    let reads = 0;
    backend({
      outbox_summary: () => summary(reads),
      outbox_list: () => {
        const answer = answers[reads++] ?? [];
        return new Promise<OutboxItem[]>((resolve) => gates.push(() => resolve(answer)));
      },
    });
    const state = new OutboxState({ onLoadError: () => {} });
    const first = state.load();
    const second = state.load();
    await new Promise((r) => setTimeout(r, 0));
    expect(gates).toHaveLength(2);
    gates[1]?.();
    await second;
    gates[0]?.();
    await first;
    expect(state.items.map((i) => i.title)).toEqual(['Repeat customer']);
  });
});
