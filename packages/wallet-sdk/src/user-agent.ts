import { version } from '../package.json';

/*
 * Who is calling, for the TSP operator's logs (the stripe-node convention): the SDK's version is
 * read from package.json when the SDK is built or run from source, never retyped here.
 */

/** This SDK's version, from its package.json. */
export const SDK_VERSION: string = version;

/** `OpenTSP-Client`, sent everywhere (browsers may not set `User-Agent`): `opentsp-wallet-sdk/0.1.0`. */
export const CLIENT_HEADER = `opentsp-wallet-sdk/${SDK_VERSION}`;

/**
 * The identification headers of every request. `User-Agent` only where a client may set it:
 * Node (and runtimes announcing a Node version); in browsers it is a forbidden header name
 * (Fetch standard) and setting it would at best be ignored, at worst force a CORS preflight.
 *
 * @example
 * ```ts
 * clientHeaders(); // { 'opentsp-client': 'opentsp-wallet-sdk/0.1.0', 'user-agent': 'opentsp-wallet-sdk/0.1.0 node/20.20.2' }
 * ```
 */
export function clientHeaders(): Record<string, string> {
  const node = (globalThis as { process?: { versions?: { node?: unknown } } }).process?.versions?.node;
  const isBrowser = typeof (globalThis as { document?: unknown }).document !== 'undefined';
  const headers: Record<string, string> = { 'opentsp-client': CLIENT_HEADER };
  if (typeof node === 'string' && !isBrowser) headers['user-agent'] = `${CLIENT_HEADER} node/${node}`;
  return headers;
}
