import type { Schema } from '@opentsp/api-types';
import { maskPan } from './mask';

/** Display helpers for contract values (never the digits beyond the last four). */

export function expiry(e: Schema<'Expiry'> | undefined): string {
  return e ? `${String(e.month).padStart(2, '0')}/${String(e.year % 100).padStart(2, '0')}` : '—';
}

export function cardLabel(card: Schema<'TokenCard'>): string {
  return `${card.issuerName} ${maskPan(card.panLast4)} exp ${expiry(card.expiry)}`;
}

export function deviceLabel(device: Schema<'DeviceSummary'> | undefined): string {
  if (!device) return 'none (card on file)';
  return [device.name, device.model, device.type, device.os && `${device.os}${device.osVersion ? ` ${device.osVersion}` : ''}`]
    .filter(Boolean)
    .join(' · ');
}

/** EMVCo assurance method codes OpenTSP sets (`AssuranceMethod` in the contract). */
export const ASSURANCE_METHODS: Record<string, string> = {
  '00': 'no ID&V',
  '11': 'issuer OTP step-up',
  '13': 'issuer risk-based approval',
  '14': 'issuer-asserted (push)',
};

/** EMVCo token location codes (the `tokenLocation` of a token domain). */
export const TOKEN_LOCATIONS: Record<string, string> = {
  '01': 'embedded secure element',
  '02': 'host card emulation',
  '03': 'trusted execution environment',
  '04': 'SIM / UICC secure element',
  '05': 'wearable device',
  '06': 'card on file (requestor server)',
  '07': 'other',
};

/** Lifecycle reason codes of the contract (`LifecycleReason`), with the words an agent uses. */
export const LIFECYCLE_REASONS: readonly (readonly [Schema<'LifecycleReason'>, string])[] = [
  ['cardholder_request', 'Cardholder request'],
  ['lost', 'Card or device lost'],
  ['stolen', 'Stolen'],
  ['fraud_suspected', 'Fraud suspected'],
  ['device_lost', 'Device lost'],
  ['account_closed', 'Account closed'],
  ['issuer_request', 'Issuer request'],
  ['other', 'Other'],
];
