/**
 * Stable failure codes of `@opentsp/crypto`. Callers `switch` on these; the messages are for
 * humans and may change.
 *
 * - `jwe_invalid`: a JWE could not be decrypted. Deliberately ONE code and ONE message for
 *   every cause (wrong key, tampered bytes, disallowed algorithm, stale `iat`, bad format) so
 *   the answer is no padding/format oracle (RFC 7516 §11.4, §11.5).
 * - `jws_invalid`: a JWS did not verify (any cause other than an unknown `kid`).
 * - `jwt_invalid` / `jwt_expired`: an access token was rejected; `jwt_expired` only once the
 *   signature is known to be good, so it cannot be used to probe forged tokens.
 * - `key_not_found`: no key with that `kid` (for JWS: refresh the JWKS and retry once).
 * - `key_invalid`: a JWK is malformed, of the wrong type for the operation, or its `kid`
 *   is already taken in a key set.
 * - `keystore_locked`: a sealed keystore could not be opened (wrong passphrase or damaged).
 * - `unsupported_algorithm`: the caller asked for an algorithm this package does not do, or
 *   one the key is not meant for (RFC 7517 §4.4 `alg`).
 */
export type CryptoErrorCode =
  | 'jwe_invalid'
  | 'jws_invalid'
  | 'jwt_invalid'
  | 'jwt_expired'
  | 'key_not_found'
  | 'key_invalid'
  | 'keystore_locked'
  | 'unsupported_algorithm';

/**
 * The one error class this package throws for data it was given (programming mistakes such
 * as reserved header names in `extraHeaders` throw `TypeError`). Messages never carry key
 * material, plaintext or the input token.
 *
 * @example
 * ```ts
 * try {
 *   await decryptCompact(jwe, keys, { algorithms: ['RSA-OAEP-256'] });
 * } catch (e) {
 *   if (e instanceof CryptoError && e.code === 'jwe_invalid') return problem(400, 'encrypted_card_invalid');
 *   throw e;
 * }
 * ```
 */
export class CryptoError extends Error {
  override readonly name = 'CryptoError';

  constructor(
    readonly code: CryptoErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The single JWE failure: same code, same message, no cause, whatever went wrong. */
export function jweInvalid(): CryptoError {
  return new CryptoError('jwe_invalid', 'encrypted data cannot be decrypted');
}
