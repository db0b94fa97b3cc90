// README's softphone and PBX hook templates: the caller's number reaches amo-connect through a
// placeholder the softphone or a shell fills in. Unquoted, a caller ID with spaces splits into
// several arguments and one with `&`, `;` or `$(…)` runs as a command of the hook's shell, so
// every placeholder given to a flag must be quoted. Run with `node --test scripts/`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

/** Placeholders (`%callerid%`, `%n`, `$NUMBER`, `${X}`) given to a flag without quotes. */
export function unquotedPlaceholders(text) {
  const found = [];
  for (const m of text.matchAll(/amo-connect(?:\.exe)?"?\s[^`\n]*/g)) {
    for (const arg of m[0].matchAll(/--[a-z-]+\s+([^\s"]*(?:%\w+%?|\$\{?\w+\}?)[^\s"]*)/g)) found.push(arg[1]);
  }
  return found;
}

test('the rule finds what it must', () => {
  assert.deepEqual(unquotedPlaceholders('`amo-connect new --phone %n`'), ['%n']);
  assert.deepEqual(unquotedPlaceholders('`amo-connect.exe" new --phone %callerid%`'), ['%callerid%']);
  assert.deepEqual(unquotedPlaceholders('`amo-connect call log --phone $NUMBER --uniq "$UNIQUEID"`'), ['$NUMBER']);
  assert.deepEqual(unquotedPlaceholders('`amo-connect new --phone "%n"` and `amo-connect new --phone "$NUMBER"`'), []);
});

test('every hook template in README quotes its placeholders', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  assert.deepEqual(unquotedPlaceholders(readme), []);
});
