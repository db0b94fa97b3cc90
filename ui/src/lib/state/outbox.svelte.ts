// The local outbox as the window shows it (the banner's counts and the History), and the
// reference data (pipelines, stages, users) the lead form and the History's editor need.
import type { ErrorPayload } from '../bindings/ErrorPayload';
import type { OutboxItem } from '../bindings/OutboxItem';
import type { OutboxSummary } from '../bindings/OutboxSummary';
import type { ReferenceData } from '../bindings/ReferenceData';
import { EVENT } from '../ipc/contract';
import { call, errorPayload, on, type UnlistenFn } from '../ipc/invoke';

/** How many entries the History shows. */
export const HISTORY_LIMIT = 50;

export type OutboxOptions = {
  /** Loading the outbox failed. */
  onLoadError: (e: ErrorPayload) => void;
};

export class OutboxState {
  summary = $state<OutboxSummary | null>(null);
  items = $state<OutboxItem[]>([]);
  reference = $state<ReferenceData | null>(null);
  /** Entries not yet in amoCRM: waiting or needing attention. */
  pending = $derived(this.summary ? this.summary.queued + this.summary.attention : 0);

  readonly #options: OutboxOptions;
  /** Loads started so far: an answer is shown only if no later load was started meanwhile. */
  #loads = 0;

  constructor(options: OutboxOptions) {
    this.#options = options;
  }

  /** The backend pushes the new counts; the History is re-read with them. */
  listen(): Promise<UnlistenFn> {
    return on(EVENT.outboxChanged, (s) => {
      this.summary = s;
      void this.load();
    });
  }

  /**
   * Re-reads the banner's counts and the History. Changes come in bursts (a send is several
   * writes, each an event) and the backend answers concurrent reads in any order: an answer older
   * than the newest read is dropped, so the History never settles on a stale list.
   */
  load = async (): Promise<void> => {
    const n = ++this.#loads;
    try {
      const [summary, items] = await Promise.all([call('outbox_summary'), call('outbox_list', { limit: HISTORY_LIMIT })]);
      if (n !== this.#loads) return;
      [this.summary, this.items] = [summary, items];
    } catch (e) {
      if (n === this.#loads) this.#options.onLoadError(errorPayload(e));
    }
  };

  /** The cache at once; amoCRM in the background when the cache is old. */
  loadReference = async (): Promise<void> => {
    try {
      this.reference = await call('reference_data', { refresh: false });
      if (this.reference.stale) this.reference = await call('reference_data', { refresh: true });
    } catch {
      // Not connected or offline with no cache: the form still works (main pipeline's first stage).
    }
  };

  /** Sends every waiting entry now (also resumes after a ban), then re-reads the outbox. */
  /** amoCRM support lifted the API block: send again. */
  resume = async (): Promise<void> => {
    await call('outbox_resume').catch(() => 0);
    await this.load();
  };

  retryAll = async (): Promise<void> => {
    await call('outbox_retry', { id: null }).catch(() => 0);
    await this.load();
  };
}
