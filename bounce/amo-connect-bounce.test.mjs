// The HTTPS bounce page (amo-connect-bounce.html) is plain HTML + JS the user hosts; its
// forwarding rule is tested here against the file itself. Run with `node --test bounce/`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

const page = readFileSync(new URL('./amo-connect-bounce.html', import.meta.url), 'utf8');

function loadRule() {
  const script = /<script>([\s\S]*?)<\/script>/.exec(page)?.[1];
  if (!script) throw new Error('the bounce page has no script');
  const fakeWindow = { amoBounceNoNavigate: true, location: { search: '' } };
  return new Function('window', `${script}; return amoBounceTarget;`)(fakeWindow);
}

const target = loadRule();
const q = 'code=def502abc&state=l53682.Zm9vYmFy&referer=acme.amocrm.ru&platform=1';

describe('bounce page', () => {
  test('forwards to the loopback port named in the state, query untouched', () => {
    assert.deepEqual(target(`?${q}`), { url: `http://127.0.0.1:53682/callback?${q}` });
  });

  test('forwards to the deep link for d. states, denials included', () => {
    const denied = 'error=access_denied&state=d.Zm9vYmFy';
    assert.deepEqual(target(`?${denied}`), { url: `amoconnect://oauth/callback?${denied}` });
  });

  test('refuses what Amo Connect did not start, and never builds another host', () => {
    assert.match(target('').error, /no query/);
    assert.match(target('?code=x').error, /no state/);
    assert.match(target('?state=random-from-elsewhere').error, /does not say/);
    assert.match(target('?state=l80.x').error, /does not say/);
    assert.match(target('?state=l99999.x').error, /out of range/);
    assert.notEqual(target('?state=l53682@evil.com.x').error, undefined);
    assert.match(target('?state=%E0%A4%A').error, /no state/);
    assert.ok(target('?state=l53682.x&next=https://evil.example').url.startsWith('http://127.0.0.1:53682/callback?'));
  });

  test('holds no secret and loads nothing from elsewhere', () => {
    assert.doesNotMatch(page, /<script[^>]+src=/);
    assert.doesNotMatch(page, /<link[^>]+href=/);
    assert.doesNotMatch(page, /fetch\(|XMLHttpRequest|localStorage|sessionStorage|document\.cookie/);
    assert.ok(page.includes('name="referrer" content="no-referrer"'));
  });
});
