import { randomInt } from 'node:crypto';
import { luhnCheckDigit } from '../../src/domain/card/luhn';

/** A random Luhn-valid 16-digit test PAN in the sandbox card BIN 621234. */
export function testPan(prefix = '621234', length = 16): string {
  let body = prefix;
  while (body.length < length - 1) body += String(randomInt(10));
  return body + luhnCheckDigit(body);
}
