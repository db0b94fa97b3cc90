// A refused amoconnect:// sign-in link is shown in the Connection tab, rendered from its code:
// one refused while the window listens (`link-refused`), one refused before (a cold start, or
// while another tab was shown: `take_link_problem`), until a new sign-in starts.
import { render, waitFor } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, test, vi } from 'vitest';
import StatusPanel from '../components/StatusPanel.svelte';
import type { ErrorPayload } from '../lib/bindings/ErrorPayload';
import { i18n } from '../lib/i18n.svelte';
import { EVENT } from '../lib/ipc/contract';
import { backend, emitEvent, names } from './backend';
import { disconnected } from './fixtures';

afterEach(() => clearMocks());

const expired: ErrorPayload = {
  code: 'state_expired',
  message: 'The sign-in link has expired (it is valid for 15 minutes). Press Connect again.',
  remedy: 'retry',
};

function props(connecting: { authorize_url: string; browser_opened: boolean } | null = null) {
  return {
    status: disconnected,
    connecting,
    error: null,
    notice: null,
    onConnect: vi.fn(),
    onCancel: vi.fn(),
    onDisconnect: vi.fn(),
    onCleanup: vi.fn(),
    onRefresh: vi.fn(),
    onOpenSettings: vi.fn(),
    pending: 0,
  };
}

describe('a refused sign-in link', () => {
  test('refused while the window waits: shown with its message and code, the wait goes on', async () => {
    i18n.lang = 'en';
    let stored: ErrorPayload | null = null;
    const take = () => {
      const p = stored;
      stored = null;
      return p;
    };
    const calls = backend({ take_link_problem: take }, { events: true });
    const waiting = { authorize_url: 'http://127.0.0.1:1/oauth?state=s', browser_opened: true };
    const { container } = render(StatusPanel, props(waiting));
    await waitFor(() => expect(names(calls)).toContain('take_link_problem'));
    expect(container.querySelector('#link-refused')).toBeNull();
    stored = expired;
    await emitEvent(EVENT.linkRefused, expired);
    await waitFor(() => expect(container.querySelector('#link-refused')?.getAttribute('data-code')).toBe('state_expired'));
    expect(container.querySelector('#link-refused .message')?.textContent).toBe(expired.message);
    expect(container.querySelector('#link-refused .hint')?.textContent).toBe('Press “Connect amoCRM” to try again.');
    expect(container.querySelector('#connect-waiting')).not.toBeNull();
  });

  test('refused before the window listened: shown when the Connection tab is', async () => {
    i18n.lang = 'en';
    const denied: ErrorPayload = { code: 'access_denied', message: 'Access was denied in amoCRM. No connection was made.', remedy: 'none' };
    backend({ take_link_problem: () => denied }, { events: true });
    const { container } = render(StatusPanel, props());
    await waitFor(() => expect(container.querySelector('#link-refused')?.getAttribute('data-code')).toBe('access_denied'));
    expect(container.querySelector('#link-refused')?.classList.contains('info')).toBe(true);
  });

  test('a new sign-in clears it', async () => {
    i18n.lang = 'en';
    backend({ take_link_problem: () => expired }, { events: true });
    const view = render(StatusPanel, props());
    await waitFor(() => expect(view.container.querySelector('#link-refused')).not.toBeNull());
    await view.rerender(props({ authorize_url: 'http://127.0.0.1:1/oauth?state=new', browser_opened: true }));
    await waitFor(() => expect(view.container.querySelector('#link-refused')).toBeNull());
  });
});
