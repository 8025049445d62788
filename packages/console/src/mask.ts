/*
 * Card data never reaches the screen in full (PCI DSS 4.0 3.4.1: display at most the BIN and
 * last four; the console shows the last four only). Every API value the console renders goes
 * through `maskText` (text) or `maskJson` (request / response panels), so a field the console
 * does not know yet is still scrubbed by shape.
 */
import { maskPanLastFour, replaceCardNumbers } from '@opentsp/card';

/** `•••• 1232` from a card or token number (or any digit string). */
export const maskPan = maskPanLastFour;

/**
 * Masks every card-number-shaped run inside `text`: 13–19 digits, optionally grouped by spaces
 * or dashes, Luhn-valid (the shared pattern of @opentsp/card). Other long digit strings (a
 * 15-digit merchant id) are left, so the demo can still show which merchant was paid.
 */
export function maskText(text: string): string {
  return replaceCardNumbers(text, maskPanLastFour);
}

/** Shortens a long opaque value (JWE, JWS, push receipt) to its start and length. */
export function abbreviate(value: string, keep = 10): string {
  return value.length <= keep + 3 ? value : `${value.slice(0, keep)}… (${value.length} chars)`;
}

/** Fields that hold card data or bearer secrets, and how each is shown. */
const FIELD_MASKS: Record<string, (value: string) => string> = {
  pan: maskPan,
  tokenPan: maskPan,
  cvv2: () => '•••',
  cvv: () => '•••',
  // Encrypted card data is safe but long and meaningless on screen.
  encryptedCard: (v) => `JWE ${abbreviate(v)}`,
  signedPayload: (v) => `JWS ${abbreviate(v)}`,
  // Bearer values: whoever reads them can use them.
  pushReceipt: (v) => abbreviate(v, 6),
  access_token: () => '[hidden]',
  accessToken: () => '[hidden]',
  clientSecret: () => '[hidden]',
  client_secret: () => '[hidden]',
  client_assertion: () => '[hidden]',
  k: () => '[hidden]',
  d: () => '[hidden]',
};

/** Query parameters of a URL that hold bearer values (the push deep link carries them). */
const URL_SECRETS = /([?&](?:pushReceipt|signedPayload)=)([^&#]+)/g;

/**
 * A deep copy of an API document with card data and secrets masked, for display.
 *
 * @example
 * ```ts
 * maskJson({ tokenPan: '6288120000001234', atc: 1 }); // { tokenPan: '•••• 1234', atc: 1 }
 * ```
 */
export function maskJson(value: unknown, key?: string): unknown {
  if (typeof value === 'string') {
    const byField = key !== undefined ? FIELD_MASKS[key] : undefined;
    if (byField) return byField(value);
    return maskText(value.replace(URL_SECRETS, (_, name: string, v: string) => `${name}${abbreviate(v, 6)}`));
  }
  if (typeof value === 'number' && Number.isInteger(value) && String(Math.abs(value)).length >= 13) {
    return maskText(String(value));
  }
  if (Array.isArray(value)) return value.map((item) => maskJson(item));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [name, inner] of Object.entries(value)) out[name] = maskJson(inner, name);
    return out;
  }
  return value;
}

/** Masked, indented JSON text for a `<pre>`. */
export function maskedJsonText(value: unknown): string {
  return JSON.stringify(maskJson(value), null, 2) ?? '';
}
