import { isIP } from 'node:net';
import type { RiskEvaluationPoint, RiskFacts, RiskSignalsInput, RiskSubject, VelocityFactName } from './signals';
import { cardVerificationKeys, otpKeys, velocityPlan, ipOf } from './velocity-keys';

/** What the store returned for one decision (risk-velocity.repository.ts `lookup`). */
export interface RiskLookup {
  /** Per counter key: events in the 1-hour and 24-hour windows, this decision included. */
  velocity: ReadonlyMap<string, { h1: number; h24: number }>;
  card: { lastEventAt: Date | null; lastLat: number | null; lastLon: number | null; lastSuspendedAt: Date | null } | null;
  device: { firstSeenWithAccount: Date | null; cards: number; accounts: number } | null;
}

const HOUR_MS = 3_600_000;
const EARTH_RADIUS_KM = 6371.0088;

/** Great-circle distance (haversine), in km. */
export function distanceKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const upper = (value: string | undefined | null) => (value ? value.toUpperCase() : null);
const nullable = <T>(value: T | undefined): T | null => (value === undefined ? null : value);
const sameCountry = (a: string | null, b: string | null): boolean | null => (a && b ? a === b : null);
const toTime = (value: string | Date | undefined | null): number | null => {
  if (value === undefined || value === null) return null;
  const time = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(time) ? null : time;
};

/** RFC 1918 / RFC 4193 / loopback / link-local: not a public address, so its country is unknowable. */
function isPrivateAddress(ip: string): boolean {
  if (isIP(ip) === 4) {
    const [a, b] = ip.split('.').map(Number) as [number, number];
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
  }
  const lower = ip.toLowerCase();
  return lower === '::1' || lower.startsWith('fc') || lower.startsWith('fd') || lower.startsWith('fe80');
}

const REQUESTOR_SIGNALS = ['walletRiskScore', 'accountScore', 'provisioningAttemptsLast24h', 'cardsOnDevice', 'networkType', 'locale', 'timezone', 'sessionId'] as const;

/**
 * Computes the facts of one decision from the caller's input and what the store remembers.
 * Pure: the same input and lookup give the same facts (the decision stores them for replay).
 */
export function buildFacts(
  point: RiskEvaluationPoint,
  subject: RiskSubject,
  input: RiskSignalsInput,
  lookup: RiskLookup,
  now: Date,
): RiskFacts {
  const device = input.device;
  const ip = ipOf(input);
  const ipCountry = upper(input.network?.ipCountry);
  const cardCountry = upper(input.card?.issuerCountry);
  const deviceCountry = upper(device?.location?.country);

  const velocity = {} as Record<VelocityFactName, number>;
  for (const name of VELOCITY_FACTS) velocity[name] = 0;
  for (const { key, facts } of velocityPlan(point, subject, input).increment) {
    const counts = lookup.velocity.get(key) ?? { h1: 1, h24: 1 };
    if (facts[0]) velocity[facts[0]] = counts.h1;
    if (facts[1]) velocity[facts[1]] = counts.h24;
  }
  const otp = otpKeys(subject);
  const otpCount = (key: string | null) => (key ? (lookup.velocity.get(key)?.h24 ?? 0) : 0);
  const cvf = cardVerificationKeys(subject);

  let distance: number | null = null;
  let hours: number | null = null;
  let speed: number | null = null;
  const last = lookup.card;
  const lastAt = last?.lastEventAt ? last.lastEventAt.getTime() : null;
  if (device?.location && last && lastAt !== null && last.lastLat !== null && last.lastLon !== null) {
    distance = round(distanceKm({ lat: last.lastLat, lon: last.lastLon }, device.location), 1);
    hours = round(Math.max(0, now.getTime() - lastAt) / HOUR_MS, 3);
    // Under a minute apart the speed is meaningless noise (GPS jitter); treat as 0 km/h unless far.
    speed = round(distance / Math.max(hours, 1 / 60), 1);
  }

  const suspendedAt = toTime(input.card?.lastSuspendedAt) ?? (last?.lastSuspendedAt ? last.lastSuspendedAt.getTime() : null);
  const accountCreated = toTime(input.walletAccount?.createdAt);
  const firstSeen = lookup.device?.firstSeenWithAccount?.getTime() ?? null;
  const known = device?.knownToAccount ?? firstSeen !== null;

  const requestor = (input.requestor ?? {}) as Record<string, unknown>;
  const signals: Record<string, unknown> = {};
  for (const name of REQUESTOR_SIGNALS) signals[name] = nullable(requestor[name]);
  signals.extra = { ...((requestor.extra as Record<string, unknown> | undefined) ?? {}) };

  const tx = input.transaction;
  return {
    device: {
      id: nullable(device?.id),
      type: nullable(device?.type),
      os: nullable(device?.os),
      known,
      ageHours: firstSeen !== null ? round(Math.max(0, now.getTime() - firstSeen) / HOUR_MS, 3) : known ? null : 0,
      score: nullable(device?.score),
      rooted: device?.rooted === true,
      emulator: device?.emulator === true,
      cardsOnDevice: Math.max(lookup.device?.cards ?? 0, typeof requestor.cardsOnDevice === 'number' ? requestor.cardsOnDevice : 0),
      accountsOnDevice: lookup.device?.accounts ?? 0,
    },
    ip: {
      address: ip,
      country: ipCountry,
      version: ip && isIP(ip) ? isIP(ip) : null,
      private: ip && isIP(ip) ? isPrivateAddress(ip) : null,
    },
    location: {
      country: deviceCountry,
      lat: nullable(device?.location?.lat),
      lon: nullable(device?.location?.lon),
      ipCountry,
      cardCountry,
      ipCountryMatchesCard: sameCountry(ipCountry, cardCountry),
      deviceCountryMatchesCard: sameCountry(deviceCountry, cardCountry),
      deviceCountryMatchesIp: sameCountry(deviceCountry, ipCountry),
      distanceKmFromLastUse: distance,
      hoursSinceLastUse: hours,
      speedKmhFromLastUse: speed,
    },
    velocity,
    behaviour: {
      accountAgeDays: accountCreated !== null ? round(Math.max(0, now.getTime() - accountCreated) / (24 * HOUR_MS), 3) : null,
      hoursSinceCardSuspended: suspendedAt !== null ? round(Math.max(0, now.getTime() - suspendedAt) / HOUR_MS, 3) : null,
      otpFailures24h: otpCount(otp.account),
      otpFailuresPerCard24h: otpCount(otp.card),
      cardVerificationFailures24h: otpCount(cvf.account),
      cardVerificationFailuresPerCard24h: otpCount(cvf.card),
    },
    transaction: {
      amount: nullable(tx?.amount),
      currency: upper(tx?.currency),
      merchantCategoryCode: nullable(tx?.merchantCategoryCode),
      merchantId: nullable(tx?.merchantId),
      channel: nullable(tx?.channel),
    },
    card: { country: cardCountry, product: nullable(input.card?.product) },
    signals,
  };
}

const VELOCITY_FACTS: readonly VelocityFactName[] = [
  'provisioningPerDevice1h',
  'provisioningPerDevice24h',
  'provisioningPerCard1h',
  'provisioningPerCard24h',
  'provisioningPerWalletAccount1h',
  'provisioningPerWalletAccount24h',
  'provisioningPerIp1h',
  'provisioningPerIp24h',
  'pushRedemptionsPerWalletAccount24h',
  'detokenizationsPerToken1h',
  'detokenizationsPerToken24h',
];

/** Facts flattened by dotted name, as the contract's `RiskDecision.signals` shows them. */
export function flattenFacts(facts: RiskFacts): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  const walk = (prefix: string, value: unknown) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0 && prefix) flat[prefix] = {};
      for (const [k, v] of entries) walk(prefix ? `${prefix}.${k}` : k, v);
    } else {
      flat[prefix] = value;
    }
  };
  walk('', facts);
  return flat;
}

/** The inverse of `flattenFacts` (dry-runs replay stored decisions). */
export function unflattenFacts(flat: Record<string, unknown>): RiskFacts {
  const facts: Record<string, unknown> = { signals: { extra: {} } };
  for (const [dotted, value] of Object.entries(flat)) {
    const parts = dotted.split('.');
    let node = facts;
    for (const part of parts.slice(0, -1)) {
      if (node[part] === null || typeof node[part] !== 'object') node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts[parts.length - 1]!] = value;
  }
  return facts as unknown as RiskFacts;
}
