import type { Schema } from '@opentsp/api-types';

/*
 * The signed-in session: only the access token, its scopes and expiry, in sessionStorage (gone
 * when the tab closes; never localStorage, never the client secret). Sign-out clears it.
 */

const KEY = 'opentsp.console.session';

export interface Session {
  accessToken: string;
  scopes: string[];
  clientId: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

type TokenResponse = Schema<'OAuthTokenResponse'>;

const listeners = new Set<() => void>();

function read(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    const value = raw ? (JSON.parse(raw) as Session) : undefined;
    if (value && value.expiresAt > Date.now()) return value;
  } catch {
    // A corrupt entry is the same as none.
  }
  sessionStorage.removeItem(KEY);
  return undefined;
}

function changed(): void {
  for (const listener of listeners) listener();
}

/** Form-urlencodes a credential part before Base64 (RFC 6749 §2.3.1). */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

function base64(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

export const session = {
  current: read,
  accessToken: (): string | undefined => read()?.accessToken,
  /** Whether the session carries `scope` (`admin`, `issuer:tokens`, …). */
  has: (scope: string): boolean => read()?.scopes.includes(scope) ?? false,
  onChange(listener: () => void): void {
    listeners.add(listener);
  },

  /**
   * OAuth2 client credentials (RFC 6749 §4.4, `client_secret_basic`). The secret lives only in
   * this call; the problem's `detail` is shown on failure.
   */
  async signIn(clientId: string, clientSecret: string): Promise<Session> {
    const response = await fetch('/oauth2/token', {
      method: 'POST',
      headers: {
        authorization: `Basic ${base64(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
      credentials: 'omit',
    });
    const body = (await response.json().catch(() => ({}))) as Partial<TokenResponse> & { detail?: string; code?: string };
    if (!response.ok || !body.access_token) {
      throw new Error(body.detail ?? 'Sign-in failed: check the client id and secret.');
    }
    const value: Session = {
      accessToken: body.access_token,
      scopes: (body.scope ?? '').split(' ').filter(Boolean),
      clientId,
      expiresAt: Date.now() + (body.expires_in ?? 0) * 1000,
    };
    sessionStorage.setItem(KEY, JSON.stringify(value));
    changed();
    return value;
  },

  signOut(): void {
    sessionStorage.removeItem(KEY);
    changed();
  },

  /** The TSP refused the token (expired or revoked): drop it so the next page asks to sign in. */
  expire(): void {
    if (sessionStorage.getItem(KEY) === null) return;
    sessionStorage.removeItem(KEY);
    changed();
  },
};
