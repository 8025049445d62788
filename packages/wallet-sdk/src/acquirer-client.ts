import { compactDecrypt, importJWK, type JWK } from 'jose';
import { BaseClient, type ClientOptions } from './base-client';
import type { RequestOptions } from './client';
import { IntegrationError } from './errors';
import { attachLastResponse, type WithLastResponse } from './last-response';
import { Pan } from './secret';
import type { DetokenizeRequest, DetokenizeResponse, OctJwk } from './types';

/** An RSA private key as a JWK, registered (public half) with the TSP for `RSA-OAEP-256`. */
export interface RsaPrivateJwk {
  kty: 'RSA';
  kid: string;
  n: string;
  e: string;
  d: string;
  p?: string;
  q?: string;
  dp?: string;
  dq?: string;
  qi?: string;
  alg?: 'RSA-OAEP-256';
  [member: string]: unknown;
}

/** The `A256GCMKW` key the TSP returned once at registration (contract `OctJwk`). */
export type OctDecryptionJwk = Pick<OctJwk, 'kty' | 'kid' | 'k'> & { use?: string; alg?: string };

/** The acquirer's response-encryption key: the `A256GCMKW` shared key, or its RSA private key. */
export type ResponseDecryptionKey = OctDecryptionJwk | RsaPrivateJwk;

export interface AcquirerClientOptions extends ClientOptions {
  /** Decrypts the funding card data in detokenize answers (`kid` must match the JWE's). */
  responseKey: ResponseDecryptionKey;
}

/** The funding card out of a detokenize answer; the PAN is a redacting {@link Pan}. */
export interface DetokenizedCard {
  pan: Pan;
  expMonth: number;
  expYear: number;
}

/** A granted detokenization: the answer's metadata plus the decrypted card. */
export type DetokenizeResult = Omit<DetokenizeResponse, 'encryptedCard'> & { card: DetokenizedCard };

/**
 * The acquirer / merchant client: detokenize at checkout.
 *
 * @example
 * ```ts
 * const acquirer = new AcquirerClient({ baseUrl, credentials: { clientId, clientSecret }, responseKey: octJwk });
 * const { card, par } = await acquirer.detokenize(request);
 * ```
 */
export class AcquirerClient extends BaseClient {
  readonly #responseKey: ResponseDecryptionKey;
  #key: Promise<CryptoKey | Uint8Array> | undefined;

  constructor(options: AcquirerClientOptions) {
    super(options);
    if (!options.responseKey?.kid) throw new TypeError('responseKey needs a kid');
    this.#responseKey = options.responseKey;
  }

  /**
   * Detokenizes the values the wallet presented (token PAN, expiry, cryptogram, ATC, transaction)
   * and decrypts the funding card with this acquirer's key. Never log `card.pan.reveal()`.
   *
   * @example
   * ```ts
   * const { card } = await acquirer.detokenize({ tokenPan, tokenExpiry, cryptogram, atc, transaction });
   * sendAuthorization(card.pan.reveal(), card.expMonth, card.expYear);
   * ```
   * @throws PermissionError `cryptogram_invalid`, `domain_merchant_not_allowed`; ConflictError `atc_replayed`
   * (never retried); DeclinedError `detokenize_declined`; IntegrationError `decryption_failed`.
   */
  async detokenize(request: DetokenizeRequest, options?: RequestOptions): Promise<WithLastResponse<DetokenizeResult>> {
    const { data } = await this.http.call('post', '/v1/detokenize', { body: request }, options);
    const { encryptedCard, ...rest } = data;
    return attachLastResponse({ ...rest, card: await this.#decrypt(encryptedCard) }, data.lastResponse);
  }

  async #decrypt(jwe: string): Promise<DetokenizedCard> {
    const jwk = this.#responseKey;
    const alg = jwk.kty === 'oct' ? 'A256GCMKW' : 'RSA-OAEP-256';
    try {
      this.#key ??= importJWK({ ...jwk, alg } as JWK, alg);
      const { plaintext, protectedHeader } = await compactDecrypt(jwe, await this.#key, {
        keyManagementAlgorithms: [alg],
        contentEncryptionAlgorithms: ['A256GCM'],
      });
      if (protectedHeader.kid !== jwk.kid) throw new Error('kid mismatch');
      const card = JSON.parse(new TextDecoder().decode(plaintext)) as { pan?: unknown; expMonth?: unknown; expYear?: unknown };
      if (typeof card.pan !== 'string' || typeof card.expMonth !== 'number' || typeof card.expYear !== 'number') throw new Error('shape');
      return { pan: new Pan(card.pan), expMonth: card.expMonth, expYear: card.expYear };
    } catch {
      // One generic error whatever failed (no oracle, RFC 7516 §11.5) and no cause attached: a
      // JSON.parse message would quote the plaintext, i.e. the PAN.
      throw new IntegrationError({ code: 'decryption_failed', detail: 'The detokenized card cannot be decrypted with responseKey.' });
    }
  }
}
