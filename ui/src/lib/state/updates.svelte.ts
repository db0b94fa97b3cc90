// What the updater part of the window is showing. One state for the start check, the Settings
// button and macOS's app menu, so they never disagree.
import type { ErrorPayload } from '../bindings/ErrorPayload';
import type { UpdateOffer } from '../bindings/UpdateOffer';
import type { UpdateProgress } from '../bindings/UpdateProgress';
import { EVENT } from '../ipc/contract';
import { call, errorPayload, on, onAll, type UnlistenFn } from '../ipc/invoke';

export type UpdateUi =
  | { kind: 'idle' }
  | { kind: 'checking' }
  | { kind: 'up_to_date'; version: string }
  | { kind: 'available'; offer: UpdateOffer }
  | { kind: 'installing'; offer: UpdateOffer; progress: UpdateProgress | null }
  | { kind: 'failed'; error: ErrorPayload; offer: UpdateOffer | null };

export class UpdatesState {
  ui = $state<UpdateUi>({ kind: 'idle' });
  /** This version, once the backend said. */
  version = $state<string | null>(null);
  /** A check or an install is running: the buttons wait. */
  busy = $derived(this.ui.kind === 'checking' || this.ui.kind === 'installing');

  /** The start check's offer, the app menu's Check for updates… (macOS), and the download's progress. */
  listen(): Promise<UnlistenFn> {
    return onAll([
      on(EVENT.updateAvailable, (offer) => {
        if (this.ui.kind === 'idle') this.ui = { kind: 'available', offer };
      }),
      on(EVENT.updateCheckRequested, () => void this.check()),
      on(EVENT.updateProgress, (progress) => {
        if (this.ui.kind === 'installing') this.ui = { ...this.ui, progress };
      }),
    ]);
  }

  /** This version, and the offer of the check at start (it may have finished before we listened). */
  async load(): Promise<void> {
    try {
      const u = await call('update_status');
      this.version = u.current_version;
      if (u.offer && this.ui.kind === 'idle') this.ui = { kind: 'available', offer: u.offer };
    } catch {
      // Not fatal: Settings' button still checks.
    }
  }

  /** Settings' button and the app menu's Check for updates… (macOS): the answer shows above every tab. */
  check = async (): Promise<void> => {
    if (this.busy) return;
    this.ui = { kind: 'checking' };
    try {
      const r = await call('check_for_update');
      this.ui = r.kind === 'available' ? { kind: 'available', offer: r.offer } : { kind: 'up_to_date', version: r.current_version };
    } catch (e) {
      this.ui = { kind: 'failed', error: errorPayload(e), offer: null };
    }
  };

  /** Only on the user's click. On success the app restarts, so this returns only on failure. */
  install = async (): Promise<void> => {
    if (this.ui.kind !== 'available' && this.ui.kind !== 'failed') return;
    const offer = this.ui.offer;
    if (!offer) return;
    this.ui = { kind: 'installing', offer, progress: null };
    try {
      await call('install_update');
    } catch (e) {
      this.ui = { kind: 'failed', error: errorPayload(e), offer };
    }
  };

  dismiss = (): void => {
    this.ui = { kind: 'idle' };
  };
}
