// A typed stand-in for the Rust side: handlers are keyed by the generated command names and must
// return what the contract says, so a renamed or reshaped command breaks the tests' type check too.
import { emit } from '@tauri-apps/api/event';
import { mockIPC } from '@tauri-apps/api/mocks';
import type { ErrorPayload } from '../lib/bindings/ErrorPayload';
import type { CommandName, Commands, EventName, Events } from '../lib/ipc/contract';

export type Handlers = {
  [K in CommandName]?: (args: Commands[K]['args']) => Commands[K]['result'] | Promise<Commands[K]['result']>;
};

/** One command as the UI sent it. */
export type Call = { [K in CommandName]: { cmd: K; args: Commands[K]['args'] } }[CommandName];

/**
 * Answers commands with `handlers` (an unknown command rejects, like a missing command would) and
 * records every call. `events`: also mock the event plugin, so `emitEvent` reaches listeners.
 */
export function backend(handlers: Handlers, { events = false }: { events?: boolean } = {}): Call[] {
  const calls: Call[] = [];
  mockIPC(
    (cmd, args) => {
      const name = cmd as CommandName;
      calls.push({ cmd: name, args: args ?? {} } as Call);
      const h = handlers[name] as ((a: unknown) => unknown) | undefined;
      if (!h) throw new Error(`unexpected command ${cmd}`);
      return h(args ?? {});
    },
    { shouldMockEvents: events },
  );
  return calls;
}

/** The names of the commands called, in order. */
export const names = (calls: Call[]): CommandName[] => calls.map((c) => c.cmd);

/** The arguments of the `nth` call of `cmd` (the first by default). */
export function argsOf<K extends CommandName>(calls: Call[], cmd: K, nth = 0): Commands[K]['args'] | undefined {
  return calls.filter((c) => c.cmd === cmd)[nth]?.args as Commands[K]['args'] | undefined;
}

/** A command failing as the backend reports it. */
export function fail(payload: ErrorPayload): never {
  throw payload;
}

/** Pushes a backend event to the window (needs `backend(…, { events: true })`). */
export function emitEvent<E extends EventName>(event: E, payload: Events[E]): Promise<void> {
  return emit(event, payload);
}
