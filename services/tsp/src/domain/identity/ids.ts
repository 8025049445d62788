import { randomInt } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A readable-prefix id (DESIGN §7a) with 20 random base62 characters (≈ 119 bits). */
export function randomId(prefix: 'cli_' | 'iss_'): string {
  let id = prefix;
  for (let i = 0; i < 20; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}
