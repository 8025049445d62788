import { hkdfSha256, hmacSha256 } from '@opentsp/crypto';
import type { Pan } from './secrets';

const PAR_BODY_LENGTH = 25;
const PAR_MODULUS = 36n ** BigInt(PAR_BODY_LENGTH);

/**
 * Keyed PAN hashes. Two keys are derived (HKDF, RFC 5869) from the provider's PAN-hash key,
 * one per use, so a fingerprint never equals a PAR's input key:
 *
 * - fingerprint = base64url(HMAC-SHA-256(K_fp, "pan:" ‖ PAN)): find a card without
 *   decrypting and dedupe cards (PCI DSS 4.0 req. 3.5.1.1: a keyed cryptographic hash).
 *   Without K_fp, 10^(n-10) candidate PANs per BIN+last4 cannot be tested offline.
 * - PAR = BIN controller id (4) ‖ 25 base-36 upper-case characters of
 *   HMAC-SHA-256(K_par, fingerprint) (EMVCo Payment Account Reference, 29 characters):
 *   the same PAN always gives the same PAR, across all its tokens; it cannot be reversed.
 *
 * @example
 * ```ts
 * const fp = vault.fingerprints.fingerprint(Pan.of('6212345678901232')); // 43 chars
 * vault.fingerprints.par(pan); // 'S0017ZK4QH2M8XW5N3B6C9D1E0F2G'
 * ```
 */
export class PanFingerprints {
  readonly #fingerprintKey: Buffer;
  readonly #parKey: Buffer;
  readonly #requestKey: Buffer;

  constructor(
    panHashKey: Buffer,
    /** 4 upper-case alphanumerics assigned to the BIN controller (EMVCo). */
    readonly binControllerId: string,
  ) {
    if (!/^[A-Z0-9]{4}$/.test(binControllerId)) throw new RangeError('the BIN controller id is 4 upper-case alphanumerics');
    this.#fingerprintKey = hkdfSha256(panHashKey, 'opentsp', 'pan fingerprint v1', 32);
    this.#parKey = hkdfSha256(panHashKey, 'opentsp', 'par v1', 32);
    this.#requestKey = hkdfSha256(panHashKey, 'opentsp', 'idempotency card digest v1', 32);
  }

  /**
   * A keyed digest of decrypted card data (base64url HMAC-SHA-256 under a key of its own):
   * the Idempotency-Key fingerprint compares what a request with an `encryptedCard` means,
   * not its JWE's fresh randomness, without keeping anything a PAN could be tested against
   * offline (PCI DSS 4.0 req. 3.5.1.1).
   */
  cardDigest(canonicalCardJson: string): string {
    return hmacSha256(this.#requestKey, 'card:', canonicalCardJson).toString('base64url');
  }

  /** The PAN's keyed fingerprint (43 base64url characters). */
  fingerprint(pan: Pan): string {
    return hmacSha256(this.#fingerprintKey, 'pan:', pan.reveal()).toString('base64url');
  }

  /**
   * The PAN's Payment Account Reference (29 upper-case alphanumerics). `binControllerId`
   * overrides the configured one (an issuer registered with its own BIN controller).
   */
  par(pan: Pan, binControllerId?: string): string {
    return this.parOfFingerprint(this.fingerprint(pan), binControllerId);
  }

  /** The PAR of a fingerprint already computed (saves one HMAC). */
  parOfFingerprint(fingerprint: string, binControllerId = this.binControllerId): string {
    if (!/^[A-Z0-9]{4}$/.test(binControllerId)) throw new RangeError('the BIN controller id is 4 upper-case alphanumerics');
    const mac = hmacSha256(this.#parKey, 'par:', fingerprint);
    // Reduce the 256-bit MAC modulo 36^25 (bias < 2^-126) and write it in base 36.
    const body = (BigInt(`0x${mac.toString('hex')}`) % PAR_MODULUS).toString(36).toUpperCase();
    return binControllerId + body.padStart(PAR_BODY_LENGTH, '0');
  }
}
