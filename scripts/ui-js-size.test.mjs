// What scripts/ui-js-size.mjs counts as the first screen's JS. Run with `node --test scripts/`.
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { dynamicImports, measure, staticImports } from './ui-js-size.mjs';

test('static and dynamic imports of minified chunks are told apart', () => {
  const code = 'import{a as b}from"./each-1.js";import"./side-2.js";const x=()=>import("./History-3.js");';
  assert.deepEqual(staticImports(code).sort(), ['each-1.js', 'side-2.js']);
  assert.deepEqual(dynamicImports(code), ['History-3.js']);
});

test('the first screen is the entry, the app chunk and what they import; lazy tabs are not in it', () => {
  const dist = mkdtempSync(path.join(tmpdir(), 'ui-js-'));
  mkdirSync(path.join(dist, 'assets'));
  writeFileSync(path.join(dist, 'index.html'), '<script type="module" crossorigin src="/assets/index-a.js"></script>');
  const files = {
    'index-a.js': 'import("./app-b.js")',
    'app-b.js': 'import{x}from"./each-c.js";const t=()=>import("./Settings-d.js");' + 'a'.repeat(500),
    'each-c.js': 'export const x=1;',
    'Settings-d.js': 'import{x}from"./each-c.js";' + 'z'.repeat(5000) + Math.random().toString(36).repeat(300),
  };
  for (const [n, c] of Object.entries(files)) writeFileSync(path.join(dist, 'assets', n), c);
  const r = measure(dist);
  assert.deepEqual(r.initialChunks.sort(), ['app-b.js', 'each-c.js', 'index-a.js']);
  assert.equal(r.chunks, 4);
  assert.ok(r.all > r.initial, `all ${r.all} must exceed initial ${r.initial}`);
});
