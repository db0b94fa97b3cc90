import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, test, vi } from 'vitest';
import PasteConnect from '../components/PasteConnect.svelte';
import { i18n } from '../lib/i18n.svelte';
import { backend, fail } from './backend';
import { connected } from './fixtures';

afterEach(() => clearMocks());

describe('PasteConnect', () => {
  test('a code goes to connect_with_code with the domain; success hands back the status', async () => {
    i18n.lang = 'en';
    const calls = backend({ connect_with_code: () => connected });
    const onConnected = vi.fn();
    const { container } = render(PasteConnect, { domain: 'acme.amocrm.ru', onConnected });
    const submit = container.querySelector('#btn-paste-connect') as HTMLButtonElement;
    expect(submit.disabled).toBe(true);
    await fireEvent.input(container.querySelector('#paste-secret') as HTMLInputElement, { target: { value: 'def502abc' } });
    expect((container.querySelector('#paste-domain') as HTMLInputElement).value).toBe('acme.amocrm.ru');
    await fireEvent.submit(container.querySelector('#paste-form') as HTMLFormElement);
    await waitFor(() => expect(onConnected).toHaveBeenCalledWith(connected));
    expect(calls).toEqual([{ cmd: 'connect_with_code', args: { code: 'def502abc', domain: 'acme.amocrm.ru' } }]);
    expect((container.querySelector('#paste-secret') as HTMLInputElement).value).toBe('');
  });

  test('token mode explains itself, calls connect_with_long_lived_token and shows errors by code', async () => {
    i18n.lang = 'en';
    const calls = backend({
      connect_with_long_lived_token: () => fail({ code: 'token_expired', message: 'The long-lived token has expired.', remedy: 'retry' }),
    });
    const onConnected = vi.fn();
    const { container, getByText } = render(PasteConnect, { domain: null, onConnected });
    await fireEvent.click(container.querySelector('#mode-token') as HTMLInputElement);
    expect(getByText(/cannot be refreshed/)).toBeTruthy();
    await fireEvent.input(container.querySelector('#paste-secret') as HTMLInputElement, { target: { value: 'eyJ.x.y' } });
    await fireEvent.input(container.querySelector('#paste-domain') as HTMLInputElement, { target: { value: 'acme.kommo.com' } });
    await fireEvent.submit(container.querySelector('#paste-form') as HTMLFormElement);
    await waitFor(() => expect(container.querySelector('#paste-error')?.getAttribute('data-code')).toBe('token_expired'));
    expect(onConnected).not.toHaveBeenCalled();
    expect(calls).toEqual([{ cmd: 'connect_with_long_lived_token', args: { token: 'eyJ.x.y', domain: 'acme.kommo.com' } }]);
  });
});
