import { createHash, randomBytes } from 'node:crypto';

/**
 * The redeemable push receipt: 32 random bytes (256 bits, above the contract's floor for
 * `PushReceiptValue` and far above the 128 bits that make guessing hopeless even without the
 * redemption budget), base64url without padding: 43 characters.
 */
export const RECEIPT_BYTES = 32;

/** A fresh receipt value. A bearer secret: return it once to the issuer, never log or store it. */
export function newReceiptValue(): string {
  return randomBytes(RECEIPT_BYTES).toString('base64url');
}

/**
 * What the database keeps instead of the value: lower-case hex SHA-256. A plain (unkeyed)
 * hash suffices because the input has 256 bits of entropy; it is also the `pushReceiptHash`
 * claim that binds the signed payload to this receipt.
 */
export function hashReceipt(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
