/** Suggested loopback Redirect URI: a fixed port, because amoCRM compares the URI exactly. */
export const DEFAULT_REDIRECT_URI = 'http://127.0.0.1:53682/callback';
