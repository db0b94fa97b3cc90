// The Redirect URI decides how amoCRM's answer reaches the app (same rule as the Rust side,
// config::Settings::redirect_mode). The form edits a mode and derives the URI from it.
export const DEEP_LINK_REDIRECT = 'amoconnect://oauth/callback';
export const DEFAULT_PORT = 53682;

export type RedirectMode = 'loopback' | 'deep_link' | 'bounce';

export type RedirectChoice = {
  mode: RedirectMode;
  /** Loopback port (loopback mode). */
  port: number;
  /** Loopback path (kept when the URI was typed with another path). */
  path: string;
  /** The https bounce page's address (bounce mode). */
  bounceUrl: string;
};

export function parseRedirect(uri: string | null): RedirectChoice {
  const fallback: RedirectChoice = { mode: 'loopback', port: DEFAULT_PORT, path: '/callback', bounceUrl: '' };
  if (!uri) return fallback;
  if (uri === DEEP_LINK_REDIRECT) return { ...fallback, mode: 'deep_link' };
  if (uri.startsWith('https://')) return { ...fallback, mode: 'bounce', bounceUrl: uri };
  const m = /^http:\/\/(?:127\.0\.0\.1|localhost):(\d+)(\/[^?#]*)?$/.exec(uri);
  if (m) return { ...fallback, port: Number(m[1]), path: m[2] || '/' };
  return fallback;
}

export function redirectUriOf(c: RedirectChoice): string {
  switch (c.mode) {
    case 'deep_link':
      return DEEP_LINK_REDIRECT;
    case 'bounce':
      return c.bounceUrl.trim();
    case 'loopback':
      return `http://127.0.0.1:${c.port}${c.path}`;
  }
}
