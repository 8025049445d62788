import { randomInt } from 'node:crypto';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A random id with a readable prefix (`card_…`, `dek_…`; DESIGN §7a): 20 alphanumerics,
 * about 119 bits, drawn without modulo bias.
 */
export function randomId(prefix: string, length = 20): string {
  let out = prefix;
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}
