#!/usr/bin/env node
// Writes the updater's latest.json for a release (issue 5 §4) from a folder holding the release's
// packages and the bundler's .sig files. Every signed package gets the key the updater plugin looks
// for first, `{os}-{arch}-{installer}`, so an app installed from a .deb is offered the .deb, one
// from an .rpm the .rpm, an AppImage the AppImage, NSIS the -setup.exe and MSI the .msi; the plain
// `{os}-{arch}` key (the fallback) goes to the format that can replace any install of that OS.
//
//   node scripts/updater-manifest.mjs DIR VERSION BASE_URL [NOTES_FILE] > latest.json
//
// BASE_URL is where the files in DIR are downloaded from (a release's download folder, or the
// update test's loopback server). Fails, naming the problem, when a .sig has no package or when
// nothing is signed, so a release never publishes a manifest that cannot update anyone.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** [file name pattern, os, arch, installer, also the generic `{os}-{arch}` key] */
const RULES = [
  [/_amd64\.AppImage$/, 'linux', 'x86_64', 'appimage', true],
  [/_amd64\.deb$/, 'linux', 'x86_64', 'deb', false],
  [/\.x86_64\.rpm$/, 'linux', 'x86_64', 'rpm', false],
  [/_x64-setup\.exe$/, 'windows', 'x86_64', 'nsis', true],
  [/_x64_[A-Za-z-]+\.msi$/, 'windows', 'x86_64', 'msi', false],
  [/_(aarch64|arm64)\.app\.tar\.gz$/, 'darwin', 'aarch64', 'app', true],
  [/_(x64|x86_64)\.app\.tar\.gz$/, 'darwin', 'x86_64', 'app', true],
];

/**
 * The platforms object: each signed package under its keys. `files` maps every file name of the
 * release to null, except `.sig` files, which map to their contents.
 */
export function platforms(files, baseUrl) {
  const names = Object.keys(files).sort();
  const orphans = names.filter((n) => n.endsWith('.sig') && !(n.slice(0, -4) in files));
  if (orphans.length) throw new Error(`signature without its package: ${orphans.join(', ')}`);
  const out = {};
  for (const name of names) {
    const rule = RULES.find(([re]) => re.test(name));
    const signature = files[`${name}.sig`];
    if (!rule || typeof signature !== 'string') continue;
    const [, os, arch, installer, generic] = rule;
    const entry = { signature: signature.trim(), url: `${baseUrl.replace(/\/+$/, '')}/${encodeURIComponent(name)}` };
    out[`${os}-${arch}-${installer}`] = entry;
    if (generic) out[`${os}-${arch}`] = entry;
  }
  if (Object.keys(out).length === 0) throw new Error('no signed package in the release');
  return out;
}

export function manifest(files, version, baseUrl, notes, pubDate = new Date()) {
  if (!/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/.test(version)) throw new Error(`not a semver version: ${version}`);
  return { version, notes, pub_date: pubDate.toISOString().replace(/\.\d{3}Z$/, 'Z'), platforms: platforms(files, baseUrl) };
}

/** A folder as `platforms` wants it. */
function readRelease(dir) {
  const files = {};
  for (const name of readdirSync(dir)) files[name] = name.endsWith('.sig') ? readFileSync(join(dir, name), 'utf8') : null;
  return files;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [dir, version, baseUrl, notesFile] = process.argv.slice(2);
  if (!dir || !version || !baseUrl) {
    console.error('usage: updater-manifest.mjs DIR VERSION BASE_URL [NOTES_FILE]');
    process.exit(2);
  }
  try {
    const notes = notesFile ? readFileSync(notesFile, 'utf8') : '';
    process.stdout.write(`${JSON.stringify(manifest(readRelease(dir), version.replace(/^v/, ''), baseUrl, notes), null, 2)}\n`);
  } catch (e) {
    console.error(`error: ${e.message}`);
    process.exit(1);
  }
}
