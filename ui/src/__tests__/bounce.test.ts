// The HTTPS bounce page (bounce/amo-connect-bounce.html) is plain HTML + JS hosted by the user;
// its forwarding rule is tested here, against the file itself.
import { describe, expect, test } from 'vitest';
import page from '../../../bounce/amo-connect-bounce.html?raw';

type Target = { url?: string; error?: string };

function loadRule(): (search: string) => Target {
  const script = /<script>([\s\S]*?)<\/script>/.exec(page)?.[1];
  if (!script) throw new Error('the bounce page has no script');
  const fakeWindow = { amoBounceNoNavigate: true, location: { search: '' } };
  return new Function('window', `${script}; return amoBounceTarget;`)(fakeWindow) as (s: string) => Target;
}

const target = loadRule();
const q = 'code=def502abc&state=l53682.Zm9vYmFy&referer=acme.amocrm.ru&platform=1';

describe('bounce page', () => {
  test('forwards to the loopback port named in the state, query untouched', () => {
    expect(target(`?${q}`)).toEqual({ url: `http://127.0.0.1:53682/callback?${q}` });
  });

  test('forwards to the deep link for d. states, denials included', () => {
    const denied = 'error=access_denied&state=d.Zm9vYmFy';
    expect(target(`?${denied}`)).toEqual({ url: `amoconnect://oauth/callback?${denied}` });
  });

  test('refuses what Amo Connect did not start, and never builds another host', () => {
    expect(target('').error).toMatch(/no query/);
    expect(target('?code=x').error).toMatch(/no state/);
    expect(target('?state=random-from-elsewhere').error).toMatch(/does not say/);
    expect(target('?state=l80.x').error).toMatch(/does not say/);
    expect(target('?state=l99999.x').error).toMatch(/out of range/);
    expect(target('?state=l53682@evil.com.x').error).toBeDefined();
    expect(target('?state=%E0%A4%A').error).toMatch(/no state/);
    expect(target(`?state=l53682.x&next=https://evil.example`).url?.startsWith('http://127.0.0.1:53682/callback?')).toBe(true);
  });

  test('holds no secret and loads nothing from elsewhere', () => {
    expect(page).not.toMatch(/<script[^>]+src=/);
    expect(page).not.toMatch(/<link[^>]+href=/);
    expect(page).not.toMatch(/fetch\(|XMLHttpRequest|localStorage|sessionStorage|document\.cookie/);
    expect(page).toContain('name="referrer" content="no-referrer"');
  });
});
