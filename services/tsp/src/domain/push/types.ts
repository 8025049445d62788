import type { components } from '@opentsp/api-types';
import type { Executor } from '../../store/transaction';

export type CreatePushReceiptRequest = components['schemas']['CreatePushReceiptRequest'];
export type PushReceipt = components['schemas']['PushReceipt'];
export type RedeemPushReceiptRequest = components['schemas']['RedeemPushReceiptRequest'];
export type PushTokenRequest = components['schemas']['PushTokenRequest'];
export type Token = components['schemas']['Token'];
export type Device = components['schemas']['Device'];
export type DeviceSummary = components['schemas']['DeviceSummary'];
export type Channel = components['schemas']['Channel'];
export type TokenLocation = components['schemas']['TokenLocation'];

/** Per-request facts the push operations record (audit `requestId`). */
export interface PushContext {
  requestId?: string;
  /**
   * Runs inside the transaction that commits the operation, with its result: the HTTP layer
   * records the Idempotency-Key answer here, so a crash right after the commit cannot leave a
   * redeemed receipt (or a new one) whose answer a retry would never get.
   */
  withinCommit?: (tx: Executor, result: unknown) => Promise<void>;
}

/** EMVCo assurance method 14: identity asserted by the issuer (its own app login). */
export const ISSUER_ASSERTED = '14';

/** What a token view may show of the device: no IP, location or scores (contract `DeviceSummary`). */
export function deviceSummaryOf(device: Device | undefined): DeviceSummary | undefined {
  if (!device) return undefined;
  const { id, type, os, osVersion, model, name } = device;
  return {
    id,
    type,
    ...(os !== undefined ? { os } : {}),
    ...(osVersion !== undefined ? { osVersion } : {}),
    ...(model !== undefined ? { model } : {}),
    ...(name !== undefined ? { name } : {}),
  };
}

/**
 * The token domain of a pushed token (contract `RedeemPushReceiptRequest`): with a device,
 * `nfc` at token location `02` (device, secure element / HCE); without one, card-on-file `cof`
 * at `06` (EMVCo TF token location codes).
 */
export function pushDomainOf(input: { device?: Device | DeviceSummary; channel?: Channel; tokenLocation?: TokenLocation }): {
  channel: Channel;
  tokenLocation: TokenLocation;
} {
  return {
    channel: input.channel ?? (input.device ? 'nfc' : 'cof'),
    tokenLocation: input.tokenLocation ?? (input.device ? '02' : '06'),
  };
}
