// After Disconnect, or with another account connected, no form offers — or sends — the old
// account's pipelines, stages and users (issue 23, item 3).
import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, test, vi } from 'vitest';
import LeadForm from '../components/LeadForm.svelte';
import type { ReferenceData } from '../lib/bindings/ReferenceData';
import type { StatusView } from '../lib/bindings/StatusView';
import { i18n } from '../lib/i18n.svelte';
import { EVENT } from '../lib/ipc/contract';
import { OutboxState } from '../lib/state/outbox.svelte';
import { argsOf, backend, emitEvent, fail, names } from './backend';
import { connected, disconnected, queued, reference } from './fixtures';

afterEach(() => {
  clearMocks();
  localStorage.clear();
  i18n.lang = 'en';
});

/** Acme's shape, saying whose it is. */
const acme: ReferenceData = { ...reference, account_domain: 'acme.amocrm.ru', account_id: 31415926 };
/** Beta: one pipeline, one user, ids Acme does not have. */
const beta: ReferenceData = {
  ...reference,
  account_domain: 'beta.amocrm.ru',
  account_id: 27182818,
  pipelines: [
    {
      id: 50, name: 'Logistics', sort: 1, is_main: true, is_unsorted_on: false,
      statuses: [{ id: 51, name: 'New order', sort: 10, color: '#fff', kind: 'open' }],
    },
  ],
  users: [{ id: 9, name: 'Boris', email: null }],
  current_user_id: 9,
};
const betaStatus: StatusView = { ...connected, domain: 'beta.amocrm.ru', account_id: 27182818, account_name: 'Beta' };

const q = <T extends Element = HTMLInputElement>(c: ParentNode, sel: string) => c.querySelector(sel) as T;
const input = (c: ParentNode, sel: string, value: string) => fireEvent.input(q(c, sel), { target: { value } });
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('the window\'s account shape', () => {
  test('is dropped on Disconnect and when another account connects; an answer still on its way for the old one is not shown', async () => {
    let answer: ReferenceData = acme;
    const gates: Array<() => void> = [];
    let gated = false;
    backend(
      {
        reference_data: () =>
          gated ? new Promise<ReferenceData>((resolve) => { const a = answer; gates.push(() => resolve(a)); }) : answer,
      },
      { events: true },
    );
    const state = new OutboxState({ onLoadError: () => {} });
    const stop = await state.listen();
    await state.loadReference();
    expect(state.reference?.account_domain).toBe('acme.amocrm.ru');
    await emitEvent(EVENT.statusChanged, connected);
    expect(state.reference?.account_domain).toBe('acme.amocrm.ru');

    // Disconnect: nothing of Acme's is offered any more.
    await emitEvent(EVENT.statusChanged, disconnected);
    await waitFor(() => expect(state.reference).toBeNull());

    // A load asked for before Beta was connected answers with Acme's data after it was.
    gated = true;
    const late = state.loadReference();
    await tick();
    answer = beta;
    await emitEvent(EVENT.statusChanged, betaStatus);
    await waitFor(() => expect(gates).toHaveLength(2));
    gates[1]?.();
    await waitFor(() => expect(state.reference?.account_domain).toBe('beta.amocrm.ru'));
    gates[0]?.();
    await late;
    await tick();
    expect(state.reference?.account_domain).toBe('beta.amocrm.ru');
    stop();
  });

  test('a lead typed after Disconnect carries no pipeline, stage or user of the old account; the next account\'s are offered', async () => {
    i18n.lang = 'en';
    const calls = backend({ find_duplicates: () => [], queue_lead: () => queued(5) });
    const { container, rerender } = render(LeadForm, { reference: acme, onSaved: vi.fn() });
    const value = (sel: string) => q<HTMLSelectElement>(container, sel).value;
    await waitFor(() => expect(value('#lead-pipeline')).toBe('10'));
    expect(value('#lead-responsible')).toBe('7');
    await input(container, '#lead-name', 'Typed for Acme');
    await fireEvent.change(q(container, '#lead-pipeline'), { target: { value: '20' } });

    await rerender({ reference: null });
    expect([...container.querySelectorAll('#lead-pipeline option')].map((o) => o.textContent)).toEqual(['First stage of the main pipeline']);
    expect(q(container, '#lead-name').value).toBe('Typed for Acme');
    await fireEvent.submit(q(container, '#lead-form'));
    await waitFor(() => expect(names(calls)).toContain('queue_lead'));
    expect(argsOf(calls, 'queue_lead')?.draft).toMatchObject({
      name: 'Typed for Acme', pipeline_id: null, status_id: null, responsible_user_id: null,
    });
    // It says it has no account's pipelines and users.
    expect(container.querySelector('#no-reference')?.textContent).toContain('not loaded');

    // Beta connected: its main pipeline and user, not Acme's.
    await rerender({ reference: beta });
    await waitFor(() => expect(value('#lead-pipeline')).toBe('50'));
    expect(value('#lead-status')).toBe('51');
    expect(value('#lead-responsible')).toBe('9');
  });

  test('another account connected while a lead was typed: its choices are dropped and the form says so', async () => {
    i18n.lang = 'en';
    const calls = backend({ find_duplicates: () => [], queue_lead: () => queued(6) });
    const { container, rerender } = render(LeadForm, { reference: acme, onSaved: vi.fn() });
    await waitFor(() => expect(q<HTMLSelectElement>(container, '#lead-pipeline').value).toBe('10'));
    await input(container, '#lead-name', 'Half typed');
    await input(container, '#task-text', 'Call back');
    await fireEvent.change(q(container, '#task-type'), { target: { value: '2' } });
    await rerender({ reference: beta });
    expect(container.querySelector('#shape-changed')?.textContent).toContain('another account');
    await waitFor(() => expect(q<HTMLSelectElement>(container, '#lead-pipeline').value).toBe('50'));
    await fireEvent.submit(q(container, '#lead-form'));
    await waitFor(() => expect(names(calls)).toContain('queue_lead'));
    expect(argsOf(calls, 'queue_lead')?.draft).toMatchObject({
      name: 'Half typed', pipeline_id: 50, status_id: 51, responsible_user_id: 9,
      task: { text: 'Call back', task_type_id: null },
    });
  });

  test('the core\'s refusal of another account\'s ids is shown on the pipeline and responsible fields', async () => {
    i18n.lang = 'en';
    const message = 'the connected amoCRM account has no such choice';
    backend({
      find_duplicates: () => [],
      queue_lead: () =>
        fail({
          code: 'validation', message: 'Check the fields', remedy: 'none',
          fields: [
            { field: 'pipeline', code: 'not_in_account', message, label: 'Pipeline' },
            { field: 'responsible_user_id', code: 'not_in_account', message, label: 'Responsible' },
          ],
        }),
    });
    const { container } = render(LeadForm, { reference: acme, onSaved: vi.fn() });
    await input(container, '#lead-name', 'x');
    await fireEvent.submit(q(container, '#lead-form'));
    await waitFor(() => expect(container.querySelector('#err-pipeline')?.textContent).toBe(message));
    expect(container.querySelector('#err-responsible')?.textContent).toBe(message);
  });
});
