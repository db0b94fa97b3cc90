// The local outbox as the window shows it (the banner's counts and the History), and the
// reference data (pipelines, stages, users) the lead form and the History's editor need — the
// connected account's only: dropped on Disconnect or when another account is connected, so no
// form offers (and sends) another account's pipelines, stages and users.
import type { ErrorPayload } from '../bindings/ErrorPayload';
import type { OutboxItem } from '../bindings/OutboxItem';
import type { OutboxSummary } from '../bindings/OutboxSummary';
import type { ReferenceData } from '../bindings/ReferenceData';
import type { StatusView } from '../bindings/StatusView';
import { EVENT } from '../ipc/contract';
import { call, errorPayload, on, onAll, type UnlistenFn } from '../ipc/invoke';

/** An amoCRM account: its host, and amoCRM's id once known. */
export type AccountKey = { domain: string; id: number | null };

/** The account a status says is connected (null: none). */
export const connectedAccount = (s: StatusView): AccountKey | null =>
  s.connected && s.domain ? { domain: s.domain, id: s.account_id } : null;

/** Whose shape the reference data are (null: they do not say). */
export const shapeAccount = (r: ReferenceData | null): AccountKey | null =>
  r?.account_domain ? { domain: r.account_domain, id: r.account_id ?? null } : null;

/** The core's rule (AccountRef::same_as): the same id when both are known, else the same host. */
export function sameAccount(a: AccountKey | null, b: AccountKey | null): boolean {
  if (!a || !b) return a === b;
  if (a.id !== null && b.id !== null) return a.id === b.id;
  return a.domain.toLowerCase() === b.domain.toLowerCase();
}

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
  /** Reference loads started so far, counted the same way (an account change counts too). */
  #referenceLoads = 0;
  /** The account connected as last heard (null: none; undefined: not heard yet). */
  #account: AccountKey | null | undefined = undefined;

  constructor(options: OutboxOptions) {
    this.#options = options;
  }

  /** The backend pushes the new counts (the History is re-read with them) and every change of
   * the connection, whoever made it — this window, another, or the command line. */
  listen(): Promise<UnlistenFn> {
    return onAll([
      on(EVENT.outboxChanged, (s) => {
        this.summary = s;
        void this.load();
      }),
      on(EVENT.statusChanged, (s) => this.connectionIs(s)),
    ]);
  }

  /**
   * The connection changed: another account's shape (or any, after Disconnect) is dropped at
   * once, and a load still on its way for it is not shown; a newly connected account's is
   * loaded.
   */
  connectionIs = (s: StatusView): void => {
    const now = connectedAccount(s);
    const before = this.#account;
    this.#account = now;
    if (before !== undefined && sameAccount(before, now)) return;
    if (this.reference && !this.#fits(this.reference)) {
      this.reference = null;
      this.#referenceLoads++;
    }
    if (now && !this.reference) void this.loadReference();
  };

  /** Whether reference data may be shown: the connected account's (or the connection not heard of yet). */
  #fits(r: ReferenceData): boolean {
    const whose = shapeAccount(r);
    if (this.#account === undefined) return true;
    // Data that do not say whose they are (an older backend) go with a connected account only.
    return whose === null ? this.#account !== null : sameAccount(whose, this.#account);
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
    const n = ++this.#referenceLoads;
    /** Shown only if nothing newer was asked for and it is the connected account's. */
    const show = (r: ReferenceData): boolean => {
      if (n !== this.#referenceLoads || !this.#fits(r)) return false;
      this.reference = r;
      return true;
    };
    try {
      const cached = await call('reference_data', { refresh: false });
      if (show(cached) && cached.stale) show(await call('reference_data', { refresh: true }));
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
