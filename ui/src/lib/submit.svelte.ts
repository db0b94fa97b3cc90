// A form's saving: one save at a time; amoCRM's or our field errors go to their fields, any
// other failure to the form's error notice; a saved form says so in its notice.
import type { ErrorPayload } from './bindings/ErrorPayload';
import type { FieldErrorView } from './bindings/FieldErrorView';
import { toCommandError } from './ipc/invoke';

export class Submission {
  saving = $state(false);
  /** The fields to mark (an entry fixed from History starts with the ones it was refused for). */
  errors = $state<FieldErrorView[]>([]);
  error = $state<ErrorPayload | null>(null);
  notice = $state<string | null>(null);

  constructor(errors: FieldErrorView[] = []) {
    this.errors = errors;
  }

  /** Runs `save` unless a save is running; `save` sets the notice. */
  async run(save: () => Promise<void>): Promise<void> {
    if (this.saving) return;
    this.saving = true;
    this.error = null;
    this.notice = null;
    this.errors = [];
    try {
      await save();
    } catch (err) {
      const ce = toCommandError(err);
      if (ce.code === 'validation') this.errors = ce.fields;
      else this.error = ce.toPayload();
    } finally {
      this.saving = false;
    }
  }
}
