#!/usr/bin/env node
// The release workflow's Tauri CLI (its `tauriScript`): the same CLI as `npm run tauri`, started
// with the Apple signing variables that are empty removed. The workflow gives those secrets to
// the bundling step alone (never through GITHUB_ENV), and GitHub cannot leave a variable unset,
// only empty; the bundler reads an empty APPLE_CERTIFICATE as "import this certificate" and
// fails, and an empty APPLE_ID as "notarise with these credentials". Unset, it ad-hoc signs.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const APPLE_VARIABLES = [
  'APPLE_CERTIFICATE',
  'APPLE_CERTIFICATE_PASSWORD',
  'APPLE_SIGNING_IDENTITY',
  'APPLE_ID',
  'APPLE_PASSWORD',
  'APPLE_TEAM_ID',
  'APPLE_API_ISSUER',
  'APPLE_API_KEY',
  'APPLE_API_KEY_PATH',
];

/** The environment the bundler gets: every empty Apple signing variable removed. */
export function bundlerEnv(env) {
  const out = { ...env };
  for (const name of APPLE_VARIABLES) {
    if (out[name] === undefined || out[name].trim() === '') delete out[name];
  }
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const cli = path.join(root, 'ui', 'node_modules', '@tauri-apps', 'cli', 'tauri.js');
  const kept = APPLE_VARIABLES.filter((n) => (process.env[n] ?? '').trim() !== '');
  // Names only, never values: the log says which signing inputs this build had.
  console.log(`Apple signing inputs set: ${kept.length ? kept.join(', ') : 'none (ad-hoc signed)'}`);
  const run = spawnSync(process.execPath, [cli, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: bundlerEnv(process.env),
  });
  process.exit(run.status ?? 1);
}
