import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';

/**
 * Client secrets for `client_secret_basic` (RFC 6749 §2.3.1). A secret is 256 random bits,
 * shown once; the TSP keeps only an scrypt hash (RFC 7914) with a per-secret 16-byte salt, in
 * a self-describing form `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>` so the cost can be
 * raised later without breaking stored hashes.
 *
 * Cost (config `OPENTSP_SCRYPT_LOG2_N`): N = 2^14, r = 8, p = 1 in production (16 MiB,
 * ≈ 135 ms on one 2.8 GHz core), 2^12 in the sandbox; see docs/access-control.md. The
 * secrets have full entropy, so the slow hash is a second line against offline guessing from a
 * leaked database; a higher cost also makes every token request (and every guess an attacker
 * sends) cost that much CPU. scrypt runs on libuv's thread pool, off the event loop.
 */
export interface ScryptCost {
  /** log2 of N (CPU/memory cost). */
  log2N: number;
  r: number;
  p: number;
}

export const DEFAULT_SCRYPT_COST: ScryptCost = { log2N: 14, r: 8, p: 1 };

const KEY_LENGTH = 32;
const HASH_FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

function scrypt(secret: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const N = 2 ** cost.log2N;
  return new Promise((resolve, reject) => {
    // maxmem must exceed 128·N·r; Node's default (32 MiB) is just too small for N = 2^15.
    scryptCallback(secret, salt, KEY_LENGTH, { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** A new client secret: 256 random bits, base64url (43 characters; contract `ClientSecret`). */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Hashes a secret with a fresh salt. */
export async function hashClientSecret(secret: string, cost: ScryptCost): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(secret, salt, cost);
  return `$scrypt$ln=${cost.log2N},r=${cost.r},p=${cost.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/**
 * Whether `secret` matches `stored`. With `stored` undefined (unknown client, or a client
 * without a secret) a dummy hash of the same cost is computed and false returned, so the
 * answer takes as long as for a known client and does not reveal whether the id exists.
 */
export async function verifyClientSecret(secret: string, stored: string | null | undefined, cost: ScryptCost): Promise<boolean> {
  const parsed = stored ? HASH_FORMAT.exec(stored) : null;
  if (!parsed) {
    await scrypt(secret, DUMMY_SALT, cost);
    return false;
  }
  const [, ln, r, p, salt, hash] = parsed as unknown as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(secret, Buffer.from(salt, 'base64url'), { log2N: Number(ln), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const DUMMY_SALT = randomBytes(16);
