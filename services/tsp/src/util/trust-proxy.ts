import { parseCidrList } from './outbound-guard';

/** `false`, a number of proxy hops, or a list of proxy addresses / CIDR blocks. */
export type TrustProxy = false | number | readonly string[];

// Express's names for address ranges (proxy-addr): loopback, link-local and unique-local.
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const HINT = 'a hop count (0-10) or comma-separated proxy addresses / CIDR blocks like 10.0.0.0/8';

/**
 * `OPENTSP_TRUST_PROXY`, in the forms Express's `trust proxy` accepts: unset or `0` trusts no
 * proxy; `1`–`10` trusts that many hops of `X-Forwarded-For`; otherwise comma-separated proxy
 * addresses or CIDR blocks. `true` (believe the left-most entry, which the client writes) is
 * refused: any caller could pick its own source address.
 * @throws Error naming what is expected and the bad entry.
 */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const raw = (value ?? '').trim();
  if (raw === '' || raw === '0' || raw.toLowerCase() === 'false') return false;
  if (/^[0-9]+$/.test(raw)) {
    const hops = Number(raw);
    if (hops > 10) throw new Error(`${HINT}; got "${raw}"`);
    return hops;
  }
  const entries = raw.split(',').map((e) => e.trim()).filter(Boolean);
  for (const entry of entries) {
    if (PROXY_RANGE_NAMES.has(entry)) continue;
    try {
      parseCidrList(entry);
    } catch {
      throw new Error(`${HINT}; got "${entry}"`);
    }
  }
  return Object.freeze(entries);
}
