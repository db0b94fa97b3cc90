// The amoCRM connection as the window shows it: the status, the Settings, a sign-in in progress,
// and the last message (error or notice) of the Connection tab.
import type { ConnectOutcome } from '../bindings/ConnectOutcome';
import type { ConnectStarted } from '../bindings/ConnectStarted';
import type { ErrorPayload } from '../bindings/ErrorPayload';
import type { Lang } from '../bindings/Lang';
import type { SettingsView } from '../bindings/SettingsView';
import type { StatusView } from '../bindings/StatusView';
import { i18n, t, tn } from '../i18n.svelte';
import { EVENT } from '../ipc/contract';
import { call, errorPayload, on, onAll, type UnlistenFn } from '../ipc/invoke';

export type ConnectionOptions = {
  /** Loading the status or Settings (or saving the language) failed. */
  onLoadError: (e: ErrorPayload) => void;
  /** A sign-in finished successfully (the reference data are worth loading now). */
  onConnected: () => void;
  /** The language changed: messages rendered by the backend (History, banners) are read again. */
  onLanguageChanged?: () => void;
};

export class ConnectionState {
  status = $state<StatusView | null>(null);
  settings = $state<SettingsView | null>(null);
  /** A sign-in waiting for amoCRM: the authorize link to show. */
  connecting = $state<ConnectStarted | null>(null);
  /** The Connection tab's messages: the last failure, or what just succeeded. */
  error = $state<ErrorPayload | null>(null);
  notice = $state<string | null>(null);

  readonly #options: ConnectionOptions;

  constructor(options: ConnectionOptions) {
    this.#options = options;
  }

  /** Status changes and the end of a sign-in, however it ends. */
  listen(): Promise<UnlistenFn> {
    return onAll([
      on(EVENT.statusChanged, (s) => (this.status = s)),
      on(EVENT.connectFinished, (o) => this.#finished(o)),
    ]);
  }

  /** Settings (and with them the language) and the status, each on its own: one failing (the
   *  database, say) does not leave the other unshown. */
  async load(): Promise<void> {
    const [settings, status] = await Promise.allSettled([call('settings_view'), call('status')]);
    if (settings.status === 'fulfilled') {
      this.settings = settings.value;
      i18n.lang = settings.value.settings.language;
    } else {
      this.#options.onLoadError(errorPayload(settings.reason));
    }
    if (status.status === 'fulfilled') this.status = status.value;
    else this.#options.onLoadError(errorPayload(status.reason));
  }

  clearMessages = (): void => {
    this.error = null;
    this.notice = null;
  };

  connect = async (): Promise<void> => {
    this.clearMessages();
    try {
      this.connecting = await call('start_connect');
    } catch (e) {
      this.error = errorPayload(e);
    }
  };

  cancel = async (): Promise<void> => {
    await call('cancel_connect').catch(() => false);
    this.connecting = null;
    this.notice = t('connect.cancelled');
  };

  /** Disconnects; the account's waiting entries are kept for it unless `discardPending`. */
  disconnect = async (discardPending: boolean): Promise<void> => {
    this.clearMessages();
    try {
      this.status = await call('disconnect', { discard_pending: discardPending });
    } catch (e) {
      this.error = errorPayload(e);
    }
  };

  cleanup = async (): Promise<void> => {
    this.clearMessages();
    try {
      const n = await call('cleanup_states');
      this.notice = tn('cleanup.done', n);
    } catch (e) {
      this.error = errorPayload(e);
    }
  };

  refresh = async (): Promise<void> => {
    this.clearMessages();
    try {
      this.status = await call('refresh_now');
      this.notice = t('refresh.done');
    } catch (e) {
      this.error = errorPayload(e);
    }
  };

  /** Connected with a pasted code or token (no sign-in event follows). */
  /** Connected with a pasted code or token: as after any sign-in, the forms' data load now. */
  connectedWith = (s: StatusView): void => {
    this.clearMessages();
    this.status = s;
    this.notice = successNotice(s);
    if (s.connected) this.#options.onConnected();
  };

  /** Switches the language at once and persists it; the status is re-read for its messages. */
  setLanguage = async (l: Lang): Promise<void> => {
    i18n.lang = l;
    try {
      this.settings = await call('save_settings', { patch: { language: l } });
      this.status = await call('status');
      this.#options.onLanguageChanged?.();
    } catch (e) {
      this.#options.onLoadError(errorPayload(e));
    }
  };

  #finished(o: ConnectOutcome): void {
    this.connecting = null;
    this.status = o.status;
    if (o.error) {
      this.error = o.error;
    } else {
      this.#options.onConnected();
      this.notice = successNotice(o.status);
    }
  }
}

function successNotice(s: StatusView): string {
  return t('connect.success', { name: s.account_name ?? s.domain ?? '' });
}
