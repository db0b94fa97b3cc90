import { describe, expect, test } from 'vitest';
import { DEEP_LINK_REDIRECT, parseRedirect, redirectUriOf } from '../lib/redirect';

describe('redirect mode', () => {
  test('each kind of Redirect URI is recognised and rebuilt exactly', () => {
    for (const uri of [
      'http://127.0.0.1:53682/callback',
      'http://127.0.0.1:40000/cb',
      DEEP_LINK_REDIRECT,
      'https://me.github.io/amo-connect-bounce.html',
      // amoCRM compares exactly: a registered localhost, or no path at all, must survive a save.
      'http://localhost:4000/cb',
      'http://127.0.0.1:53682',
      'http://localhost:53682/',
    ]) {
      expect(redirectUriOf(parseRedirect(uri))).toBe(uri);
    }
    expect(parseRedirect('https://x.io/b.html').mode).toBe('bounce');
    expect(parseRedirect(DEEP_LINK_REDIRECT).mode).toBe('deep_link');
    expect(parseRedirect('http://localhost:4000/cb')).toMatchObject({ mode: 'loopback', host: 'localhost', port: 4000, path: '/cb' });
  });

  test('nothing set suggests loopback on 53682', () => {
    expect(redirectUriOf(parseRedirect(null))).toBe('http://127.0.0.1:53682/callback');
  });
});
