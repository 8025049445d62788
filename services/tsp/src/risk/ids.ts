import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `<prefix>_` + 20 random base-62 characters (~119 bits), e.g. `dec_Hq2Wm8Rt4Yv6Zb1Nc3Xk`. */
export function newId(prefix: 'dec' | 'rule'): string {
  const bytes = randomBytes(20);
  let out = '';
  // 256 is not a multiple of 62: the slight bias is irrelevant for identifiers.
  for (const byte of bytes) out += ALPHABET[byte % 62];
  return `${prefix}_${out}`;
}
