// Property tests of the HTTPS bounce page (amo-connect-bounce.html) with fast-check: whatever
// query string a browser hands the page — amoCRM's real answer, a forged link, garbage — it
// forwards only to this computer (loopback 127.0.0.1 on a port ≥ 1024, path /callback) or to the
// app's own link, passes the query on byte for byte, follows the state Amo Connect made, and never
// puts what it was given into the page. Run with `node --test bounce/` (docs/fuzzing.md).
//
// fast-check comes from the UI's devDependencies (ESM imports do not use NODE_PATH).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from '../ui/node_modules/fast-check/lib/fast-check.js';

const page = readFileSync(new URL('./amo-connect-bounce.html', import.meta.url), 'utf8');
const script = /<script>([\s\S]*?)<\/script>/.exec(page)?.[1];
if (!script) throw new Error('the bounce page has no script');

/** The page's forwarding rule, as the page defines it (no navigation). */
const target = new Function('window', `${script}; return amoBounceTarget;`)({ amoBounceNoNavigate: true });

/** The whole page script run against a stand-in DOM: what it shows and where it navigates. */
function runPage(search) {
  const elements = {
    status: { textContent: 'initial', className: '' },
    open: { href: '#', hidden: true },
  };
  const navigations = [];
  const window = { location: { search, replace: (url) => navigations.push(url) } };
  const document = { getElementById: (id) => elements[id] };
  new Function('window', 'document', script)(window, document);
  return { ...elements, navigations };
}

// The page's refusals: fixed sentences, so nothing from the query is ever shown.
const REFUSALS = new Set([
  "no query: open this page only through amoCRM's redirect",
  'no state: this redirect was not started by Amo Connect',
  'the port in the state is out of range',
  'this state does not say where Amo Connect is waiting',
]);

/** Checks the one outcome of the rule for `search`; returns the target URL, if any. */
function checkOutcome(search) {
  const r = target(search);
  assert.equal(Object.keys(r).length, 1, `one outcome for ${JSON.stringify(search)}`);
  if ('error' in r) {
    assert.ok(REFUSALS.has(r.error), `a refusal of its own words: ${r.error}`);
    return null;
  }
  const query = String(search).replace(/^\?/, '');
  const loopback = /^http:\/\/127\.0\.0\.1:([0-9]{4,5})\/callback\?/.exec(r.url);
  if (loopback) {
    const port = Number(loopback[1]);
    assert.ok(port >= 1024 && port <= 65535, `port ${port}`);
    assert.equal(r.url, `http://127.0.0.1:${port}/callback?${query}`, 'the query is passed on unchanged');
    // And a browser goes exactly there, whatever the query holds.
    const u = new URL(r.url);
    assert.equal(u.protocol, 'http:');
    assert.equal(u.hostname, '127.0.0.1');
    assert.equal(u.port, String(port));
    assert.equal(u.pathname, '/callback');
    assert.equal(u.username + u.password, '');
  } else {
    assert.equal(r.url, `amoconnect://oauth/callback?${query}`, 'only loopback or the app link');
    const u = new URL(r.url);
    assert.equal(u.protocol, 'amoconnect:');
    assert.equal(u.host, 'oauth');
    assert.equal(u.pathname, '/callback');
  }
  return r.url;
}

// Parameters as amoCRM and browsers write them: any text, percent-encoded.
const text = fc.string({ unit: 'binary', maxLength: 24 });
const port = fc.oneof(fc.integer({ min: 1024, max: 65535 }), fc.integer({ min: 0, max: 99999 }));
const random = fc.stringMatching(/^[A-Za-z0-9_-]{0,43}$/);
const state = fc.oneof(
  fc.tuple(port, random).map(([p, r]) => `l${p}.${r}`),
  random.map((r) => `d.${r}`),
  text,
);
const param = fc.tuple(fc.constantFrom('code', 'referer', 'platform', 'error', 'from_widget', 'state', 'x'), text);
const query = fc
  .record({ state, code: text, extra: fc.array(param, { maxLength: 5 }), at: fc.nat() })
  .map(({ state, code, extra, at }) => {
    const pairs = [['code', code], ...extra.filter(([k]) => k !== 'state')];
    pairs.splice(at % (pairs.length + 1), 0, ['state', state]);
    // A later state (forged, appended) must not change anything.
    const later = extra.filter(([k]) => k === 'state');
    return { state, code, search: [...pairs, ...later].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&') };
  });

describe('bounce page (properties)', () => {
  test('any query string: only loopback or the app link, the query unchanged, refusals in its own words', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string().map((s) => `?${s}`), query.map((q) => q.search)), (search) => {
        checkOutcome(search);
      }),
      { numRuns: 3000 },
    );
  });

  test('the first state decides where to forward, and code and state arrive exactly', () => {
    fc.assert(
      fc.property(query, fc.boolean(), ({ state, code, search }, withMark) => {
        const url = checkOutcome(withMark ? `?${search}` : search);
        const loop = /^l([0-9]{4,5})\./.exec(state);
        if (loop && Number(loop[1]) >= 1024 && Number(loop[1]) <= 65535) {
          assert.ok(url?.startsWith(`http://127.0.0.1:${Number(loop[1])}/callback?`), `${state} → ${url}`);
        } else if (state.startsWith('d.')) {
          assert.ok(url?.startsWith('amoconnect://oauth/callback?'), `${state} → ${url}`);
        } else {
          assert.equal(url, null, `a state that names no target is refused: ${state}`);
          return;
        }
        const params = new URL(url).searchParams;
        assert.equal(params.get('state'), state);
        assert.equal(params.get('code'), code);
      }),
      { numRuns: 3000 },
    );
  });

  test('the page navigates only to the target, once, and never shows what it was given', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), query.map((q) => `?${q.search}`)), (search) => {
        const r = target(search);
        const shown = runPage(search);
        if ('url' in r) {
          assert.deepEqual(shown.navigations, [r.url]);
          assert.equal(shown.open.href, r.url);
          assert.equal(shown.open.hidden, false);
          assert.equal(shown.status.textContent, 'initial', 'the status line is left as the page wrote it');
        } else {
          assert.deepEqual(shown.navigations, []);
          assert.equal(shown.open.hidden, true);
          assert.equal(shown.status.textContent, `Не удалось передать ответ / Could not forward: ${r.error}`);
          assert.equal(shown.status.className, 'error');
        }
      }),
      { numRuns: 2000 },
    );
  });
});
