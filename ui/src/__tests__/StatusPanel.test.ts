import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, test, vi } from 'vitest';
import StatusPanel from '../components/StatusPanel.svelte';
import type { ErrorPayload } from '../lib/bindings/ErrorPayload';
import { i18n } from '../lib/i18n.svelte';
import { connected, disconnected } from './fixtures';

function props(overrides: Record<string, unknown> = {}) {
  return {
    status: disconnected,
    connecting: null,
    error: null,
    notice: null,
    onConnect: vi.fn(),
    onCancel: vi.fn(),
    onDisconnect: vi.fn(),
    onCleanup: vi.fn(),
    onRefresh: vi.fn(),
    onOpenSettings: vi.fn(),
    pending: 0,
    ...overrides,
  };
}

describe('StatusPanel', () => {
  test('not connected: says so and offers Connect', async () => {
    i18n.lang = 'en';
    const p = props();
    const { container } = render(StatusPanel, p);
    expect(screen.getByText('Not connected')).toBeTruthy();
    expect(container.querySelector('#account-name')).toBeNull();
    await fireEvent.click(screen.getByText('Connect amoCRM'));
    expect(p.onConnect).toHaveBeenCalledOnce();
  });

  test('connected: shows account, domain, masked token, expiry and Reconnect', () => {
    i18n.lang = 'en';
    const { container } = render(StatusPanel, props({ status: connected }));
    expect(container.querySelector('#account-name')?.textContent).toContain('Acme Trading');
    expect(container.querySelector('#domain')?.textContent).toBe('acme.amocrm.ru');
    expect(container.querySelector('#token-masked')?.textContent).toBe('eyJ0eX…Q2bA (812)');
    expect(container.querySelector('#expires-at')?.getAttribute('data-expired')).toBe('false');
    expect(container.querySelector('#btn-connect')?.textContent?.trim()).toBe('Reconnect');
    // The token answer's non-secret parts, under Token details.
    expect(container.querySelector('#token-details summary')?.textContent).toBe('Token details');
    expect(container.querySelector('#token-type')?.textContent).toBe('Bearer');
    expect(container.querySelector('#token-expires-in')?.textContent).toBe('86400 s');
    expect(container.querySelector('#token-api-domain')?.textContent).toBe('api-b.amocrm.ru');
    expect(container.querySelector('#token-account-id')?.textContent).toBe('31415926');
  });

  test('an expired token is flagged', () => {
    i18n.lang = 'ru';
    const { container } = render(StatusPanel, props({ status: { ...connected, is_expired: true } }));
    expect(container.querySelector('#expires-at')?.getAttribute('data-expired')).toBe('true');
    expect(container.querySelector('#expires-at .pill')?.textContent).toBe('истёк');
    i18n.lang = 'en';
  });

  test('reconnect needed: a banner, the code explained, and no Refresh now', () => {
    i18n.lang = 'en';
    const status = {
      ...connected,
      reconnect_needed: true,
      problem: { code: 'token_revoked', message: 'amoCRM revoked access (Token has been revoked).', remedy: 'reconnect' } satisfies ErrorPayload,
    };
    const { container, getByText } = render(StatusPanel, props({ status }));
    expect(container.querySelector('#reconnect-banner')).not.toBeNull();
    expect(container.querySelector('#status-problem')?.getAttribute('data-code')).toBe('token_revoked');
    expect(getByText('Press “Reconnect” to sign in to amoCRM again.')).toBeTruthy();
    expect(container.querySelector('#btn-refresh')).toBeNull();
    expect(container.querySelector('#btn-connect')?.textContent?.trim()).toBe('Reconnect');
  });

  test('Refresh now is offered while connected', async () => {
    const p = props({ status: connected });
    const { container } = render(StatusPanel, p);
    await fireEvent.click(container.querySelector('#btn-refresh') as HTMLElement);
    expect(p.onRefresh).toHaveBeenCalledOnce();
    expect(container.querySelector('#last-refresh')?.textContent).not.toBe('—');
  });

  test('a long-lived token has no Refresh now, and warns when it expires within a week', () => {
    i18n.lang = 'en';
    const status = { ...connected, auth_kind: 'long_lived' as const, expires_soon: true };
    const { container } = render(StatusPanel, props({ status }));
    expect(container.querySelector('#btn-refresh')).toBeNull();
    expect(container.querySelector('#expires-soon')).not.toBeNull();
  });

  test('disconnect asks first', async () => {
    const p = props({ status: connected });
    const { container } = render(StatusPanel, p);
    await fireEvent.click(container.querySelector('#btn-disconnect') as HTMLElement);
    expect(p.onDisconnect).not.toHaveBeenCalled();
    await fireEvent.click(container.querySelector('#btn-disconnect-confirm') as HTMLElement);
    expect(p.onDisconnect).toHaveBeenCalledExactlyOnceWith(false);
  });

  test('disconnect with entries still waiting asks whether to keep them for this account or remove them', async () => {
    i18n.lang = 'en';
    const p = props({ status: connected, pending: 2 });
    const { container } = render(StatusPanel, p);
    await fireEvent.click(container.querySelector('#btn-disconnect') as HTMLElement);
    expect(container.querySelector('#disconnect-pending')?.textContent).toBe(
      '2 entries still wait to be sent to this account. Kept, they go only to this account, when you connect it again.',
    );
    await fireEvent.click(container.querySelector('#btn-disconnect-discard') as HTMLElement);
    expect(p.onDisconnect).toHaveBeenCalledWith(true);
    await fireEvent.click(container.querySelector('#btn-disconnect') as HTMLElement);
    await fireEvent.click(container.querySelector('#btn-disconnect-confirm') as HTMLElement);
    expect(p.onDisconnect).toHaveBeenLastCalledWith(false);
    // Nothing waiting: the plain question, and the entries are not mentioned.
    const none = render(StatusPanel, props({ status: connected, pending: 0 }));
    await fireEvent.click(none.container.querySelector('#btn-disconnect') as HTMLElement);
    expect(none.container.querySelector('#disconnect-pending')).toBeNull();
    expect(none.container.querySelector('#btn-disconnect-discard')).toBeNull();
  });

  test('while waiting, shows the authorize link and Cancel instead of Connect', () => {
    const url = 'http://127.0.0.1:8765/oauth?client_id=x&state=y&mode=post_message';
    const { container } = render(StatusPanel, props({ connecting: { authorize_url: url, browser_opened: false } }));
    expect((container.querySelector('#authorize-url') as HTMLInputElement).value).toBe(url);
    expect(container.querySelector('#btn-connect')).toBeNull();
    expect(container.querySelector('#btn-cancel')).not.toBeNull();
  });

  test('errors offer their remedy: settings problems offer Settings, a denial does not', async () => {
    const p = props({ error: { code: 'invalid_client_secret', message: 'amoCRM rejected the Secret key.', remedy: 'settings' } satisfies ErrorPayload });
    const { container, unmount } = render(StatusPanel, p);
    const notice = container.querySelector('#connect-error');
    expect(notice?.getAttribute('data-code')).toBe('invalid_client_secret');
    expect(notice?.classList.contains('error')).toBe(true);
    await fireEvent.click(screen.getByText('Open Settings'));
    expect(p.onOpenSettings).toHaveBeenCalledOnce();
    unmount();
    const denied = render(StatusPanel, props({ error: { code: 'access_denied', message: 'Access was denied.', remedy: 'none' } satisfies ErrorPayload }));
    const n2 = denied.container.querySelector('#connect-error');
    expect(n2?.classList.contains('info')).toBe(true);
    expect(denied.queryByText('Open Settings')).toBeNull();
  });
});
