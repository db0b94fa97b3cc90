// Living on the desktop: the tray, starting with the computer (and its one-time offer), the
// quick-entry shortcut. The rules are in Rust (amo-core's domain/desktop.rs); this holds what the
// window shows and sends the user's choices.
import type { DesktopView } from '../bindings/DesktopView';
import type { ErrorPayload } from '../bindings/ErrorPayload';
import { EVENT } from '../ipc/contract';
import { call, errorPayload, on, type UnlistenFn } from '../ipc/invoke';

export class DesktopState {
  view = $state<DesktopView | null>(null);
  /** The last refused change (a taken shortcut, the OS refusing the autostart entry). */
  error = $state<ErrorPayload | null>(null);
  busy = $state(false);

  /** A lead waiting for amoCRM may make the autostart offer due: look again when the outbox changes. */
  listen(): Promise<UnlistenFn> {
    return on(EVENT.outboxChanged, () => void this.load());
  }

  load = async (): Promise<void> => {
    try {
      this.view = await call('desktop_view');
    } catch {
      // Not fatal: the Desktop section stays hidden.
    }
  };

  #change = async (f: () => Promise<DesktopView>): Promise<boolean> => {
    this.busy = true;
    this.error = null;
    try {
      this.view = await f();
      return true;
    } catch (e) {
      this.error = errorPayload(e);
      return false;
    } finally {
      this.busy = false;
    }
  };

  setAutostart = (on: boolean): Promise<boolean> => this.#change(() => call('set_autostart', { on }));
  dismissOffer = (): Promise<boolean> => this.#change(() => call('dismiss_autostart_offer'));
  setShortcut = (shortcut: string): Promise<boolean> =>
    this.#change(() => call('set_quick_entry_shortcut', { shortcut }));
  setCloseToTray = (on: boolean): Promise<boolean> =>
    this.#change(async () => {
      await call('save_settings', { patch: { close_to_tray: on } });
      return call('desktop_view');
    });
}
