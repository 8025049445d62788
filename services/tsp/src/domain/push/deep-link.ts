/** The parts the wallet app needs from the bank app's redirect. */
export interface DeepLinkParts {
  pushReceipt: string;
  /** The TSP-signed `PushReceiptClaims`, so the wallet can check nothing was altered in transit. */
  signedPayload: string;
  callbackUrl?: string;
}

/**
 * The link the bank app opens: the token requestor's registered `appUri` (its app's deep link
 * scheme) or, when it registered none, its `webUri`, with `pushReceipt`, `signedPayload` and
 * `callbackUrl` as query parameters (Mastercard MDES Token Connect hands the wallet a
 * `pushAccountReceipt` and a callback URL the same way). `undefined` when the requestor has
 * neither URI.
 *
 * @example
 * ```ts
 * deepLinkFor({ appUri: 'opentspwallet://push' }, { pushReceipt, signedPayload });
 * // 'opentspwallet://push?pushReceipt=Yq3v…&signedPayload=eyJ…'
 * ```
 */
export function deepLinkFor(requestor: { appUri?: string; webUri?: string }, parts: DeepLinkParts): string | undefined {
  const base = requestor.appUri ?? requestor.webUri;
  if (!base) return undefined;
  const query = [
    `pushReceipt=${encodeURIComponent(parts.pushReceipt)}`,
    `signedPayload=${encodeURIComponent(parts.signedPayload)}`,
    ...(parts.callbackUrl ? [`callbackUrl=${encodeURIComponent(parts.callbackUrl)}`] : []),
  ].join('&');
  const [withoutFragment = base] = base.split('#');
  return `${withoutFragment}${withoutFragment.includes('?') ? '&' : '?'}${query}`;
}
