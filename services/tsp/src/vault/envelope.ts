import type { Executor } from '../store/transaction';
import { aesGcmOpen, aesGcmSeal } from './aes-gcm';
import type { DataKeys } from './data-keys';
import { Plaintext } from './secrets';
import { VaultError } from './vault-error';

/**
 * What a ciphertext is bound to (its AAD): the kind of secret, the row it belongs to and the
 * field. Opening with any other context fails, so a ciphertext copied to another row or
 * column is useless (NIST SP 800-38D §5.2.1.1 additional authenticated data).
 */
export interface SealContext {
  /** The kind of secret: `card`, `otp`, `client-key`, `cryptogram-key`, `tsp-key` … */
  purpose: string;
  /** The row it belongs to (`card_…`, a challenge id, a client id …). */
  ownerRef: string;
  /** The field within the row; default `data`. */
  field?: string;
}

export interface SealOptions {
  /**
   * Give the record a data key of its own (deleting it with `destroyKey` crypto-shreds it).
   * Default: a shared key of the purpose, used for at most SHARED_DEK_MAX_RECORDS records.
   */
  dedicatedKey?: boolean;
}

/** `card:card_3Jf8…:pan`. */
export function aadOf(context: SealContext): Buffer {
  return Buffer.from(`${context.purpose}:${context.ownerRef}:${context.field ?? 'data'}`, 'utf8');
}

const PREFIX = 'ev1';

/**
 * Envelope encryption for every area (NIST SP 800-57 Pt 1 §6.1.1: data keys wrapped by a
 * key-encryption key). A sealed value is one string, `ev1.<dekId>.<base64url(iv ‖ ct ‖ tag)>`,
 * to keep in a `text` column; it names its data key, never holds it.
 *
 * @example
 * ```ts
 * const sealed = await vault.envelope.seal(tx, { purpose: 'otp', ownerRef: challengeId }, secret);
 * // later
 * const secret = (await vault.envelope.open(db, sealed, { purpose: 'otp', ownerRef: challengeId })).text();
 * ```
 */
export class Envelope {
  constructor(private readonly dataKeys: DataKeys) {}

  /** Encrypts `plaintext` for `context` (inside `tx` when the data key is dedicated). */
  async seal(tx: Executor, context: SealContext, plaintext: Buffer | string | Plaintext, options: SealOptions = {}): Promise<string> {
    const key = options.dedicatedKey
      ? await this.dataKeys.createDedicated(tx, context.purpose, context.ownerRef)
      : await this.dataKeys.shared(context.purpose);
    const ciphertext = aesGcmSeal(key.key, bytesOf(plaintext), aadOf(context));
    return `${PREFIX}.${key.id}.${ciphertext.toString('base64url')}`;
  }

  /** Decrypts a sealed value; any failure is the one generic `VaultError`. */
  async open(executor: Executor, sealed: string, context: SealContext): Promise<Plaintext> {
    const { dekId, ciphertext } = parse(sealed);
    const key = await this.dataKeys.get(executor, dekId);
    return new Plaintext(aesGcmOpen(key, ciphertext, aadOf(context)));
  }

  /** The data key a sealed value names (e.g. to destroy a dedicated one). */
  dataKeyOf(sealed: string): string {
    return parse(sealed).dekId;
  }

  /**
   * Crypto-shreds the dedicated data key of a sealed value: it and every value sealed under
   * it become undecryptable, in this database and in its backups once the KEK that wrapped
   * the key there is retired. Do not use on shared keys (seal with `dedicatedKey`).
   */
  async destroyKey(tx: Executor, sealed: string): Promise<void> {
    await this.dataKeys.destroy(tx, parse(sealed).dekId);
  }
}

function bytesOf(plaintext: Buffer | string | Plaintext): Buffer {
  if (plaintext instanceof Plaintext) return plaintext.bytes();
  return typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
}

/** `ev1.<dekId>.<base64url(iv ‖ ct ‖ tag)>`: the one format of a sealed value. */
export function formatSealed(dekId: string, ciphertext: Buffer): string {
  return `${PREFIX}.${dekId}.${ciphertext.toString('base64url')}`;
}

/** The data key and ciphertext of a sealed value (`VaultError` if it is not one). */
export function parseSealed(sealed: string): { dekId: string; ciphertext: Buffer } {
  return parse(sealed);
}

function parse(sealed: string): { dekId: string; ciphertext: Buffer } {
  const parts = typeof sealed === 'string' ? sealed.split('.') : [];
  if (parts.length !== 3 || parts[0] !== PREFIX || !/^dek_[A-Za-z0-9]+$/.test(parts[1] ?? '')) throw new VaultError();
  return { dekId: parts[1] as string, ciphertext: Buffer.from(parts[2] as string, 'base64url') };
}
