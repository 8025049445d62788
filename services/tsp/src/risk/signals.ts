import type { components } from '@opentsp/api-types';

/**
 * What callers (provisioning, push redemption, detokenization) give the risk engine. Every
 * field is optional: a missing observation becomes `null` in the facts and rules are written
 * to treat `null` as "unknown" (see docs/risk.md). Never put card data here: no PAN, expiry or
 * CVV2 — cards are named by `subject.cardFingerprint` / `subject.cardRef` only.
 *
 * @example
 * await risk.decide(tx, {
 *   kind: 'provisioning',
 *   subject: { clientId, trid, walletAccountId, cardRef, cardFingerprint },
 *   signals: {
 *     device: body.device,                       // the contract's `Device`
 *     network: { ip: req.ip, ipCountry: 'US' },  // ipCountry from a GeoIP-aware proxy, if any
 *     card: { issuerCountry: 'CN', product: 'debit' },
 *     walletAccount: { createdAt: body.consumer?.accountCreatedAt },
 *     requestor: body.riskSignals,               // the contract's `RiskSignals`
 *   },
 * });
 */
export interface RiskSignalsInput {
  /** The contract's `Device` (id, type, os, ip, location, score, rooted, emulator). */
  device?: RiskDeviceInput;
  network?: {
    /** The caller's public IP as the TSP saw it (falls back to `device.ip`). */
    ip?: string;
    /** ISO 3166-1 alpha-2 country of the IP. OpenTSP ships no GeoIP database: a proxy header or the caller supplies it. */
    ipCountry?: string;
  };
  card?: {
    /** ISO 3166-1 alpha-2 country of the card's issuer. */
    issuerCountry?: string;
    /** Card product (e.g. `debit`, `credit`, `prepaid`). */
    product?: string;
    /** When the card was last suspended, when the caller knows; otherwise the engine's own record. */
    lastSuspendedAt?: string | Date;
  };
  walletAccount?: {
    /** When the wallet account was created (the contract's `Consumer.accountCreatedAt`). */
    createdAt?: string | Date;
  };
  /** The transaction, for detokenization (amounts in ISO 4217 minor units). */
  transaction?: {
    amount?: number;
    currency?: string;
    merchantCategoryCode?: string;
    merchantId?: string;
    channel?: components['schemas']['Channel'] | string;
  };
  /** The requestor's own signals (the contract's `RiskSignals`), evaluated as the `signals` fact. */
  requestor?: components['schemas']['RiskSignals'];
}

/** The contract's `Device`, plus what the caller may know better than the engine. */
export interface RiskDeviceInput {
  id: string;
  type?: string;
  os?: string;
  ip?: string;
  location?: { lat: number; lon: number; country?: string };
  score?: number;
  rooted?: boolean;
  emulator?: boolean;
  /** Overrides the engine's own "seen with this wallet account before" when the caller knows. */
  knownToAccount?: boolean;
}

/**
 * Who and what the decision is about: references only (they key the velocity counters and are
 * stored with the decision). `cardFingerprint` is the vault's keyed PAN fingerprint (HMAC,
 * PCI DSS 4.0 3.5.1.1), never the PAN.
 */
export interface RiskSubject {
  clientId?: string;
  trid?: string;
  walletAccountId?: string;
  tokenRef?: string;
  cardRef?: string;
  cardFingerprint?: string;
}

export type RiskEvaluationPoint = components['schemas']['RiskEvaluationPoint'];

/**
 * The facts json-rules-engine evaluates, computed once per decision. Unknown values are `null`
 * (never `undefined`), so a stored decision replays exactly in a dry-run.
 */
export interface RiskFacts {
  device: {
    id: string | null;
    type: string | null;
    os: string | null;
    known: boolean;
    /** Hours since this device was first seen with this wallet account (0 when new). */
    ageHours: number | null;
    score: number | null;
    rooted: boolean;
    emulator: boolean;
    /** Distinct cards provisioned on this device before this request. */
    cardsOnDevice: number;
    /** Distinct wallet accounts seen on this device before this request. */
    accountsOnDevice: number;
  };
  ip: { address: string | null; country: string | null; version: number | null; private: boolean | null };
  location: {
    country: string | null;
    lat: number | null;
    lon: number | null;
    ipCountry: string | null;
    cardCountry: string | null;
    ipCountryMatchesCard: boolean | null;
    deviceCountryMatchesCard: boolean | null;
    deviceCountryMatchesIp: boolean | null;
    /** Great-circle distance from the card's last located event. */
    distanceKmFromLastUse: number | null;
    hoursSinceLastUse: number | null;
    /** distance / time since the last located event: impossible travel above airliner speed. */
    speedKmhFromLastUse: number | null;
  };
  velocity: Record<VelocityFactName, number>;
  behaviour: {
    accountAgeDays: number | null;
    hoursSinceCardSuspended: number | null;
    otpFailures24h: number;
    otpFailuresPerCard24h: number;
    /** Provisioning refused `card_verification_failed` (wrong expiry or CVV2) in 24 h. */
    cardVerificationFailures24h: number;
    cardVerificationFailuresPerCard24h: number;
  };
  transaction: {
    amount: number | null;
    currency: string | null;
    merchantCategoryCode: string | null;
    merchantId: string | null;
    channel: string | null;
  };
  card: { country: string | null; product: string | null };
  signals: Record<string, unknown>;
}

/** Velocity facts; each counts events including the current one (see risk/velocity-keys.ts). */
export type VelocityFactName =
  | 'provisioningPerDevice1h'
  | 'provisioningPerDevice24h'
  | 'provisioningPerCard1h'
  | 'provisioningPerCard24h'
  | 'provisioningPerWalletAccount1h'
  | 'provisioningPerWalletAccount24h'
  | 'provisioningPerIp1h'
  | 'provisioningPerIp24h'
  | 'pushRedemptionsPerWalletAccount24h'
  | 'detokenizationsPerToken1h'
  | 'detokenizationsPerToken24h';
