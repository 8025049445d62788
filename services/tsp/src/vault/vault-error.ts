/**
 * The vault's own failure, deliberately ONE class and ONE message for every decryption
 * failure (wrong key, tampered ciphertext, wrong AAD, destroyed DEK, retired KEK): a caller
 * must not be able to tell them apart (no oracle; compare RFC 7516 §11.5). It is not a
 * `TspError`: the HTTP edge answers it as a generic 500 and logs only the request id.
 */
export class VaultError extends Error {
  override readonly name = 'VaultError';
  readonly code = 'vault_decrypt_failed' as const;

  constructor() {
    super('vault data cannot be decrypted');
  }
}

/** Key material or configuration the vault needs is missing (start-up, rotation). */
export class VaultKeyError extends Error {
  override readonly name = 'VaultKeyError';
}

/**
 * The PAN is already in the vault for another issuer. The vault refuses to hand one issuer's
 * card to another; the domain answers the caller with its tenancy problem (`cross_tenant_access`).
 */
export class CardOfAnotherIssuerError extends Error {
  override readonly name = 'CardOfAnotherIssuerError';

  constructor() {
    super('this card is in the vault for another issuer');
  }
}
