// What the updater part of the window is showing. One state for the start check, the Settings
// button and the Help menu, so they never disagree.
import type { ErrorPayload } from './bindings/ErrorPayload';
import type { UpdateOffer } from './bindings/UpdateOffer';
import type { UpdateProgress } from './bindings/UpdateProgress';

export type UpdateUi =
  | { kind: 'idle' }
  | { kind: 'checking' }
  | { kind: 'up_to_date'; version: string }
  | { kind: 'available'; offer: UpdateOffer }
  | { kind: 'installing'; offer: UpdateOffer; progress: UpdateProgress | null }
  | { kind: 'failed'; error: ErrorPayload; offer: UpdateOffer | null };
