import { cleanup, fireEvent, render } from '@testing-library/svelte';
import { afterEach, describe, expect, test, vi } from 'vitest';
import ErrorNotice from '../components/ErrorNotice.svelte';
import type { ErrorCode } from '../lib/bindings/ErrorCode';
import type { Remedy } from '../lib/bindings/Remedy';
import { i18n } from '../lib/i18n.svelte';

afterEach(() => cleanup());

// Every remedy (the Record makes a new one in Rust fail the type check here too): an error with
// that remedy, the hint shown, and whether Settings is offered.
const cases: Record<Remedy, { code: ErrorCode; hint: string | null; settings: boolean }> = {
  settings: { code: 'invalid_client_id', hint: 'Check the values in Settings.', settings: true },
  keychain: { code: 'keychain_locked', hint: 'Amo Connect keeps tokens only in the system keychain. Unlock it or start a keyring service, then try again.', settings: false },
  reconnect: { code: 'token_revoked', hint: 'Press “Reconnect” to sign in to amoCRM again.', settings: false },
  network: { code: 'server_error', hint: 'Check the internet connection and try again.', settings: false },
  retry: { code: 'state_expired', hint: 'Press “Connect amoCRM” to try again.', settings: false },
  update: { code: 'update_install_failed', hint: 'Your current version keeps working. You can also download the new version from the releases page and install it by hand.', settings: false },
  none: { code: 'forbidden', hint: null, settings: false },
};

describe('ErrorNotice', () => {
  test.each(Object.entries(cases) as [Remedy, (typeof cases)[Remedy]][])('remedy %s: its hint and button', async (remedy, c) => {
    i18n.lang = 'en';
    const onOpenSettings = vi.fn();
    const { container, queryByText } = render(ErrorNotice, {
      id: 'e',
      error: { code: c.code, message: 'The message from Rust.', remedy },
      onOpenSettings,
    });
    const notice = container.querySelector('#e');
    expect(notice?.getAttribute('data-code')).toBe(c.code);
    expect(notice?.getAttribute('data-remedy')).toBe(remedy);
    expect(notice?.querySelector('.message')?.textContent).toBe('The message from Rust.');
    expect(notice?.querySelector('.hint')?.textContent ?? null).toBe(c.hint);
    expect(notice?.classList.contains('error')).toBe(true);
    const button = queryByText('Open Settings');
    expect(button !== null).toBe(c.settings);
    if (button) {
      await fireEvent.click(button);
      expect(onOpenSettings).toHaveBeenCalledOnce();
    }
  });

  test('the hint follows the remedy, not the code', () => {
    i18n.lang = 'en';
    const { container } = render(ErrorNotice, {
      id: 'e',
      error: { code: 'internal', message: 'x', remedy: 'network' },
    });
    expect(container.querySelector('.hint')?.textContent).toBe('Check the internet connection and try again.');
  });

  test('without a place to open Settings there is no button', () => {
    i18n.lang = 'en';
    const { queryByText } = render(ErrorNotice, { id: 'e', error: { code: 'not_configured', message: 'x', remedy: 'settings' } });
    expect(queryByText('Check the values in Settings.')).not.toBeNull();
    expect(queryByText('Open Settings')).toBeNull();
  });

  test('the user’s own choices are information, not failures', () => {
    i18n.lang = 'en';
    for (const code of ['access_denied', 'cancelled'] as const) {
      const { container, unmount } = render(ErrorNotice, { id: 'e', error: { code, message: 'x', remedy: 'none' } });
      expect(container.querySelector('#e')?.classList.contains('info')).toBe(true);
      unmount();
    }
  });
});
