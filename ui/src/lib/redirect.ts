// The Redirect URI decides how amoCRM's answer reaches the app (same rule as the Rust side,
// config::Settings::redirect_mode). The form edits a mode and derives the URI from it.
export const DEEP_LINK_REDIRECT = 'amoconnect://oauth/callback';
export const DEFAULT_PORT = 53682;

export type RedirectMode = 'loopback' | 'deep_link' | 'bounce';

export type RedirectChoice = {
  mode: RedirectMode;
  /** Loopback host as typed: amoCRM compares the Redirect URI character by character, so a
   *  registered `localhost` must never be rewritten to `127.0.0.1` (or the reverse). */
  host: '127.0.0.1' | 'localhost';
  /** Loopback port (loopback mode). */
  port: number;
  /** Loopback path, exactly as typed (possibly empty). */
  path: string;
  /** The https bounce page's address (bounce mode). */
  bounceUrl: string;
};

export function parseRedirect(uri: string | null): RedirectChoice {
  const fallback: RedirectChoice = { mode: 'loopback', host: '127.0.0.1', port: DEFAULT_PORT, path: '/callback', bounceUrl: '' };
  if (!uri) return fallback;
  if (uri === DEEP_LINK_REDIRECT) return { ...fallback, mode: 'deep_link' };
  if (uri.startsWith('https://')) return { ...fallback, mode: 'bounce', bounceUrl: uri };
  const m = /^http:\/\/(127\.0\.0\.1|localhost):(\d+)(\/[^?#]*)?$/.exec(uri);
  if (m) return { ...fallback, host: m[1] === 'localhost' ? 'localhost' : '127.0.0.1', port: Number(m[2]), path: m[3] ?? '' };
  return fallback;
}

export function redirectUriOf(c: RedirectChoice): string {
  switch (c.mode) {
    case 'deep_link':
      return DEEP_LINK_REDIRECT;
    case 'bounce':
      return c.bounceUrl.trim();
    case 'loopback':
      return `http://${c.host}:${c.port}${c.path}`;
  }
}
