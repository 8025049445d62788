import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Server-side request forgery guard for the URLs the TSP posts to on its own (webhooks, the
 * issuer's decision and OTP-delivery endpoints). Those URLs are registered through the admin
 * API; without a guard, a registered `https://169.254.169.254/…` or `https://127.0.0.1:5432`
 * would make the TSP probe its own host, the cloud metadata service or the internal network.
 *
 * Before each call the host is resolved and every address checked: loopback, link-local
 * (cloud metadata), unspecified, multicast, private (RFC 1918, RFC 4193), shared (RFC 6598),
 * documentation, NAT64 and IPv4-compatible IPv6 ranges are refused unless an operator allows them with
 * `OPENTSP_OUTBOUND_ALLOW_CIDRS` (a self-hosted TSP often reaches its bank's decision service
 * on a private network). Sandbox mode allows everything: its parties live on localhost.
 *
 * Known limit: `fetch` resolves the name again, so a DNS answer that changes between the two
 * lookups (rebinding) is not caught here; production deployments should also restrict egress
 * at the network layer (docs/operations.md).
 */
export interface OutboundGuard {
  /** Sandbox: every destination is allowed. */
  readonly allowsAll: boolean;
  /** @throws OutboundRefusedError when the URL's host resolves to a refused address. */
  check(url: string): Promise<void>;
}

export class OutboundRefusedError extends Error {
  override readonly name = 'OutboundRefusedError';
  /** Stable reason for logs, audit and delivery records (never the address itself). */
  readonly code = 'destination_not_allowed';
}

const REFUSED_V4: Array<[string, number]> = [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];
const REFUSED_V6: Array<[string, number]> = [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
  ['2001:db8::', 32], // documentation
  // Forms that carry an IPv4 address the host may still reach (issue 20): NAT64 through a
  // gateway (RFC 6052 well-known prefix, RFC 8215 local-use) and the deprecated IPv4-compatible
  // addresses (RFC 4291 §2.5.5.1, `::a.b.c.d`, which also covers `::` and `::1`). Refused
  // whole, public embedded addresses included; an operator on an IPv6-only network allows them
  // with OPENTSP_OUTBOUND_ALLOW_CIDRS.
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['::', 96],
];

/** Parses `10.1.0.0/16,fd00::/8`; throws a plain Error naming the bad entry (config turns it into exit 78). */
export function parseCidrList(value: string | undefined): BlockList {
  const list = new BlockList();
  for (const entry of (value ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    const [address, bits] = entry.split('/');
    const family = address ? isIP(address) : 0;
    const prefix = Number(bits ?? (family === 6 ? 128 : 32));
    if (!family || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
      throw new Error(`not a CIDR block: "${entry}"`);
    }
    list.addSubnet(address!, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

const refused = (() => {
  const list = new BlockList();
  for (const [address, prefix] of REFUSED_V4) list.addSubnet(address, prefix, 'ipv4');
  for (const [address, prefix] of REFUSED_V6) list.addSubnet(address, prefix, 'ipv6');
  return list;
})();

/** True when `address` may be called: outside every refused range, or inside an allowed one. */
export function isAddressAllowed(address: string, allowed: BlockList): boolean {
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  // An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as the IPv4 address it carries.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return isAddressAllowed(mapped, allowed);
  if (allowed.check(address, family)) return true;
  return !refused.check(address, family);
}

/** The guard for a mode: sandbox allows every destination; production refuses internal ones unless allowed. */
export function createOutboundGuard(options: { allowAll: boolean; allowed: BlockList; resolve?: (host: string) => Promise<string[]> }): OutboundGuard {
  const resolve = options.resolve ?? (async (host: string) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address));
  return {
    allowsAll: options.allowAll,
    async check(url: string) {
      if (options.allowAll) return;
      const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
      const addresses = isIP(host) ? [host] : await resolve(host);
      if (addresses.length === 0 || addresses.some((address) => !isAddressAllowed(address, options.allowed))) {
        throw new OutboundRefusedError('the destination resolves to an address the TSP does not call');
      }
    },
  };
}

const guards = new WeakMap<object, OutboundGuard>();

/** The guard of a loaded configuration (one per config object). */
export function outboundGuardFor(config: { mode: 'sandbox' | 'production'; outboundAllowCidrs: BlockList }): OutboundGuard {
  let guard = guards.get(config);
  if (!guard) {
    guard = createOutboundGuard({ allowAll: config.mode === 'sandbox', allowed: config.outboundAllowCidrs });
    guards.set(config, guard);
  }
  return guard;
}

/**
 * `fetch` that checks the destination first. A refusal rejects like a network error whose
 * cause carries the code `destination_not_allowed` (what callers record), without connecting.
 */
export function guardedFetch(guard: OutboundGuard, inner: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    try {
      await guard.check(url);
    } catch (err) {
      throw new TypeError('fetch refused', { cause: err });
    }
    return inner(input, init);
  };
}
