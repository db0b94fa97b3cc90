#!/usr/bin/env node
// The UI's JavaScript as the window loads it (scripts/bench.sh): "initial" is what runs before
// the first screen is drawn — the entry index.html names, the app chunk main.ts loads right
// after the first paint, and every chunk those import statically — and "all" is every chunk,
// including the tabs loaded when first opened (App.svelte's <Lazy>). Sizes are gzip -9 bytes.
// Usage: node scripts/ui-js-size.mjs [ui/dist]  →  "initial=N all=N chunks=N"
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/** Chunks a chunk imports statically (`import … from "./x.js"`, `import "./x.js"`), not `import("./x.js")`. */
export function staticImports(code) {
  const out = new Set();
  for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*)["']\.\/([^"']+\.js)["']/g)) out.add(m[1]);
  return [...out];
}

/** Chunks a chunk loads later (`import("./x.js")`). */
export function dynamicImports(code) {
  return [...new Set([...code.matchAll(/\bimport\(\s*["']\.\/([^"']+\.js)["']\s*\)/g)].map((m) => m[1]))];
}

export function measure(dist) {
  const assets = path.join(dist, 'assets');
  const read = (name) => readFileSync(path.join(assets, name));
  const gz = (name) => gzipSync(read(name), { level: 9 }).length;
  const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  const entry = html.match(/<script[^>]+src="\/assets\/([^"]+\.js)"/)?.[1];
  if (!entry) throw new Error(`no entry script in ${dist}/index.html`);
  // main.ts loads the app chunk as soon as the shell is painted: it is part of the first screen.
  const app = dynamicImports(read(entry).toString()).find((n) => n.startsWith('app-'));
  const initial = new Set();
  const visit = (name) => {
    if (initial.has(name)) return;
    initial.add(name);
    for (const dep of staticImports(read(name).toString())) visit(dep);
  };
  visit(entry);
  if (app) visit(app);
  const chunks = readdirSync(assets).filter((n) => n.endsWith('.js'));
  const sum = (names) => [...names].reduce((a, n) => a + gz(n), 0);
  return { initial: sum(initial), all: sum(chunks), chunks: chunks.length, initialChunks: [...initial] };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const r = measure(process.argv[2] ?? 'ui/dist');
  console.log(`initial=${r.initial} all=${r.all} chunks=${r.chunks}`);
}
