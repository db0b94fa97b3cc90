import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { Draft } from '../lib/bindings/Draft';
import type { StatusView } from '../lib/bindings/StatusView';
import { EVENT } from '../lib/ipc/contract';
import { call, CommandError, on, toCommandError } from '../lib/ipc/invoke';
import { emitEvent } from './backend';
import { connected } from './fixtures';

afterEach(() => clearMocks());

const draft: Draft = {
  kind: 'contact',
  draft: { first_name: 'Ivan', last_name: '', phones: ['+79121234567'], phone_types: ['MOB'], emails: [], email_types: [], custom_fields: [], responsible_user_id: null, company: null, existing_company_id: null },
};

/** What the Rust side received. */
function recorder(answer: (cmd: string, args: unknown) => unknown) {
  const seen: { cmd: string; args: unknown }[] = [];
  mockIPC((cmd, args) => {
    seen.push({ cmd, args });
    return answer(cmd, args);
  });
  return seen;
}

describe('call', () => {
  test('sends a command with exactly its arguments and resolves to its result', async () => {
    const seen = recorder(() => ({ id: 3 }));
    const item = await call('outbox_update', { id: 3, draft });
    expect(item).toEqual({ id: 3 });
    expect(seen).toEqual([{ cmd: 'outbox_update', args: { id: 3, draft } }]);
    expect(Object.keys(seen[0]?.args as object).sort()).toEqual(['draft', 'id']);
  });

  test('a command without arguments sends none', async () => {
    const seen = recorder(() => connected);
    const status: StatusView = await call('status');
    expect(status).toEqual(connected);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.cmd).toBe('status');
    expect(seen[0]?.args ?? {}).toEqual({});
  });

  test('a rejection becomes a CommandError with its code, remedy, message and fields', async () => {
    const fields = [{ field: 'contact.phones.0', code: 'invalid_phone' as const, message: 'a phone number has 8–15 digits', label: 'contact.phones.0' }];
    recorder(() => {
      throw { code: 'validation', message: 'Check the fields', remedy: 'none', fields };
    });
    const e = await call('queue_contact', { draft: draft.draft }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CommandError);
    const ce = e as CommandError;
    expect([ce.code, ce.remedy, ce.message]).toEqual(['validation', 'none', 'Check the fields']);
    expect(ce.fields).toEqual(fields);
    expect(ce.toPayload()).toEqual({ code: 'validation', message: 'Check the fields', remedy: 'none', fields });

    recorder(() => {
      throw { code: 'keychain_locked', message: 'The keychain is locked.', remedy: 'keychain', fields: null };
    });
    const locked = await call('disconnect', { discard_pending: false }).catch(toCommandError);
    expect(locked).toMatchObject({ code: 'keychain_locked', remedy: 'keychain', message: 'The keychain is locked.', fields: [] });
  });

  test('what is not an error payload becomes internal with no remedy', async () => {
    recorder(() => {
      throw new Error('the IPC broke');
    });
    const e = await call('status').then(() => null, toCommandError);
    expect(e).toBeInstanceOf(CommandError);
    expect(e?.toPayload()).toEqual({ code: 'internal', message: 'the IPC broke', remedy: 'none', fields: [] });

    expect(toCommandError('command get_statuz not found').toPayload()).toMatchObject({ code: 'internal', remedy: 'none' });
    // A payload with a remedy this UI does not know offers none.
    expect(toCommandError({ code: 'network', message: 'x', remedy: 'pray' }).remedy).toBe('none');
  });

  test('names and shapes are checked against the generated contract', () => {
    // Never run: the type checker (npm run check) verifies each line fails as it should.
    async function typeChecks() {
      // @ts-expect-error: a command without arguments takes none
      void call('status', {});
      // @ts-expect-error: a command with arguments requires them
      void call('queue_lead');
      // @ts-expect-error: no extra arguments
      void call('outbox_discard', { id: 1, force: true });
      // @ts-expect-error: the argument names are the contract's (snake_case)
      void call('find_duplicates', { phone: '1', mail: 'x' });
      // @ts-expect-error: no command outside the contract
      void call('get_statuz');
      // @ts-expect-error: no event outside the contract
      void on('status-change', () => {});
      // @ts-expect-error: the result is the contract's
      const n: string = await call('cleanup_states');
      void n;
    }
    expect(typeof typeChecks).toBe('function');
  });
});

describe('on', () => {
  test('hands the payload of the generated event to the callback until unlistened', async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const cb = vi.fn();
    const unlisten = await on(EVENT.statusChanged, cb);
    await emitEvent(EVENT.statusChanged, connected);
    expect(cb).toHaveBeenCalledWith(connected);
    unlisten();
    await emitEvent(EVENT.statusChanged, connected);
    expect(cb).toHaveBeenCalledTimes(1);
  });
});
