// The release's bundling wrapper (tauri-build.mjs): Apple signing variables the workflow passes
// empty are removed before the bundler starts; set ones and everything else pass unchanged.
// Run with `node --test scripts/`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APPLE_VARIABLES, bundlerEnv } from './tauri-build.mjs';

test('empty Apple signing variables are removed, set ones kept', () => {
  const env = bundlerEnv({
    PATH: '/usr/bin',
    APPLE_CERTIFICATE: '',
    APPLE_CERTIFICATE_PASSWORD: '   ',
    APPLE_SIGNING_IDENTITY: 'Developer ID Application: Amo',
    APPLE_ID: '',
  });
  assert.deepEqual(env, { PATH: '/usr/bin', APPLE_SIGNING_IDENTITY: 'Developer ID Application: Amo' });
});

test('a runner without any Apple variable gets its environment unchanged', () => {
  const input = { PATH: '/usr/bin', GITHUB_TOKEN: 'x' };
  assert.deepEqual(bundlerEnv(input), input);
});

test('every variable the workflow gives the bundling step is one the wrapper knows', async () => {
  const { readFile } = await import('node:fs/promises');
  const workflow = await readFile(new URL('../.github/workflows/release.yml', import.meta.url), 'utf8');
  const given = [...workflow.matchAll(/^\s+(APPLE_[A-Z_]+):/gm)].map((m) => m[1]);
  assert.ok(given.length >= 6, `expected the Apple variables in the bundling step, found ${given}`);
  for (const name of given) assert.ok(APPLE_VARIABLES.includes(name), `${name} is not cleaned by tauri-build.mjs`);
});
