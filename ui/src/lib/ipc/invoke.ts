// The one typed door to the Rust side. Command and event names, their arguments, results and
// payloads all come from the generated contract (./contract.ts), so renaming or reshaping a
// command in Rust breaks `npm run check` here and at every call site instead of at run time.
import { invoke, type InvokeArgs } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { ErrorCode } from '../bindings/ErrorCode';
import type { ErrorPayload } from '../bindings/ErrorPayload';
import type { FieldErrorView } from '../bindings/FieldErrorView';
import type { Remedy } from '../bindings/Remedy';
import type { CommandName, Commands, EventName, Events } from './contract';

export type { UnlistenFn };

/** What a command takes. */
export type ArgsOf<K extends CommandName> = Commands[K]['args'];
/** What a command resolves to. */
export type ResultOf<K extends CommandName> = Commands[K]['result'];

/** No second parameter for a command without arguments; exactly its arguments otherwise. */
export type CallArgs<K extends CommandName> = [ArgsOf<K>] extends [Record<string, never>] ? [] : [args: ArgsOf<K>];

/** Every remedy the backend may send: a runtime check that stays in step with the type. */
const REMEDIES: Record<Remedy, true> = {
  settings: true,
  keychain: true,
  reconnect: true,
  network: true,
  retry: true,
  update: true,
  none: true,
};

function isRemedy(r: unknown): r is Remedy {
  return typeof r === 'string' && Object.keys(REMEDIES).includes(r);
}

/** A command failure as the backend reports it: the UI shows `message` and switches on `code` / `remedy`. */
export class CommandError extends Error {
  readonly code: ErrorCode;
  /** What the user can do about it (the hint and button ErrorNotice shows). */
  readonly remedy: Remedy;
  /** With `validation`: the fields to mark. */
  readonly fields: FieldErrorView[];

  constructor(payload: ErrorPayload) {
    super(payload.message);
    this.name = 'CommandError';
    this.code = payload.code;
    this.remedy = payload.remedy;
    this.fields = payload.fields ?? [];
  }

  toPayload(): ErrorPayload {
    return { code: this.code, message: this.message, remedy: this.remedy, fields: this.fields };
  }
}

function isPayloadLike(e: unknown): e is { code: string; message: string; remedy?: unknown; fields?: unknown } {
  return (
    typeof e === 'object' &&
    e !== null &&
    'code' in e &&
    typeof e.code === 'string' &&
    'message' in e &&
    typeof e.message === 'string'
  );
}

/** Any rejection as a CommandError; what is not an ErrorPayload becomes `internal`. */
export function toCommandError(e: unknown): CommandError {
  if (e instanceof CommandError) return e;
  if (isPayloadLike(e)) {
    return new CommandError({
      // The backend only sends codes of the generated ErrorCode union.
      code: e.code as ErrorCode,
      message: e.message,
      remedy: isRemedy(e.remedy) ? e.remedy : 'none',
      fields: Array.isArray(e.fields) ? (e.fields as FieldErrorView[]) : [],
    });
  }
  return new CommandError({ code: 'internal', message: e instanceof Error ? e.message : String(e), remedy: 'none', fields: [] });
}

/** Shorthand for the error state of a component: `error = errorPayload(e)`. */
export function errorPayload(e: unknown): ErrorPayload {
  return toCommandError(e).toPayload();
}

/**
 * Runs a command. Resolves to its result; rejects with a CommandError.
 *
 *     await call('status');
 *     await call('queue_lead', { draft });
 */
export async function call<K extends CommandName>(cmd: K, ...args: CallArgs<K>): Promise<ResultOf<K>> {
  try {
    return await invoke<ResultOf<K>>(cmd, args[0] as InvokeArgs | undefined);
  } catch (e) {
    throw toCommandError(e);
  }
}

/** Listens to a backend event (use the generated `EVENT` names); resolves to the unlisten function. */
export function on<E extends EventName>(event: E, cb: (payload: Events[E]) => void): Promise<UnlistenFn> {
  return listen<Events[E]>(event, (e) => cb(e.payload));
}

/** Several subscriptions as one: resolves once all are listening; the result stops them all. */
export async function onAll(subs: Promise<UnlistenFn>[]): Promise<UnlistenFn> {
  const unlisten = await Promise.all(subs);
  return () => unlisten.forEach((u) => u());
}
