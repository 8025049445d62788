import { KeySet, type Jwk } from '@opentsp/crypto';
import { ValidationError } from '../../errors';
import type { Jwks } from './records';

/** One violation of a cross-field rule, in the contract's `ProblemFieldError` shape. */
export interface FieldError {
  path: string;
  message: string;
}

/** Throws one `validation_failed` listing every violation, if there are any. */
export function throwIfInvalid(errors: FieldError[]): void {
  if (errors.length) throw new ValidationError('validation_failed', 'The request breaks a rule of the API contract.', { errors });
}

// Algorithms the TSP itself uses a client's key for: those keys must import cleanly now,
// not fail later on the request path. Keys for other algorithms are kept but unused.
const USED_ALGORITHMS = new Set(['ES256', 'RSA-OAEP-256', 'ECDH-ES+A256KW']);

/** Checks that the keys of a JWKS the TSP will use are valid public keys (RFC 7517). */
export async function jwksErrors(jwks: Jwks | undefined | null, path: string): Promise<FieldError[]> {
  if (!jwks) return [];
  const errors: FieldError[] = [];
  const set = KeySet.create();
  for (const [index, jwk] of jwks.keys.entries()) {
    if (!USED_ALGORITHMS.has(jwk.alg)) continue;
    try {
      await set.add(jwk as unknown as Jwk);
    } catch {
      errors.push({ path: `${path}/keys/${index}`, message: 'is not a valid public key for its alg and use' });
    }
  }
  return errors;
}

/** True when the JWKS has a key the TSP can use for `alg` (and `use`). */
export function hasKey(jwks: Jwks | undefined, alg: string, use: 'sig' | 'enc'): boolean {
  return !!jwks?.keys.some((k) => k.alg === alg && k.use === use);
}

/** Plain `http` URLs are for the sandbox only (contract `HttpsUrl`). */
export function urlErrors(urls: Record<string, string | null | undefined>, sandbox: boolean): FieldError[] {
  if (sandbox) return [];
  return Object.entries(urls)
    .filter(([, url]) => typeof url === 'string' && !url.startsWith('https://'))
    .map(([path]) => ({ path, message: 'must be an https URL outside the sandbox' }));
}
