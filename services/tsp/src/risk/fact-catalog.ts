import type { RiskFacts, VelocityFactName } from './signals';

/** The value type of a fact path, for validation of rule values (every path may also be `null`). */
export type FactValueType = 'number' | 'boolean' | 'string';

const VELOCITY: Record<VelocityFactName, FactValueType> = {
  provisioningPerDevice1h: 'number',
  provisioningPerDevice24h: 'number',
  provisioningPerCard1h: 'number',
  provisioningPerCard24h: 'number',
  provisioningPerWalletAccount1h: 'number',
  provisioningPerWalletAccount24h: 'number',
  provisioningPerIp1h: 'number',
  provisioningPerIp24h: 'number',
  pushRedemptionsPerWalletAccount24h: 'number',
  detokenizationsPerToken1h: 'number',
  detokenizationsPerToken24h: 'number',
};

/**
 * Every fact and path a rule may name, with its type. Rules are validated against this
 * catalogue on save (422 `rule_invalid`), so a typo cannot silently never fire.
 * `signals.extra.<name>` (requestor-specific facts) is open-ended: string, number or boolean.
 */
export const FACT_CATALOG: { [F in keyof RiskFacts]: Record<string, FactValueType> } = {
  device: {
    id: 'string',
    type: 'string',
    os: 'string',
    known: 'boolean',
    ageHours: 'number',
    score: 'number',
    rooted: 'boolean',
    emulator: 'boolean',
    cardsOnDevice: 'number',
    accountsOnDevice: 'number',
  },
  ip: { address: 'string', country: 'string', version: 'number', private: 'boolean' },
  location: {
    country: 'string',
    lat: 'number',
    lon: 'number',
    ipCountry: 'string',
    cardCountry: 'string',
    ipCountryMatchesCard: 'boolean',
    deviceCountryMatchesCard: 'boolean',
    deviceCountryMatchesIp: 'boolean',
    distanceKmFromLastUse: 'number',
    hoursSinceLastUse: 'number',
    speedKmhFromLastUse: 'number',
  },
  velocity: VELOCITY,
  behaviour: {
    accountAgeDays: 'number',
    hoursSinceCardSuspended: 'number',
    otpFailures24h: 'number',
    otpFailuresPerCard24h: 'number',
    cardVerificationFailures24h: 'number',
    cardVerificationFailuresPerCard24h: 'number',
  },
  transaction: {
    amount: 'number',
    currency: 'string',
    merchantCategoryCode: 'string',
    merchantId: 'string',
    channel: 'string',
  },
  card: { country: 'string', product: 'string' },
  signals: {
    walletRiskScore: 'number',
    accountScore: 'number',
    provisioningAttemptsLast24h: 'number',
    cardsOnDevice: 'number',
    networkType: 'string',
    locale: 'string',
    timezone: 'string',
    sessionId: 'string',
  },
};

export type FactName = keyof RiskFacts;

export function isFactName(name: string): name is FactName {
  return Object.prototype.hasOwnProperty.call(FACT_CATALOG, name);
}

/** A rule path: `$.` then dotted identifiers (no JSONPath filters or wildcards). */
export const PATH_PATTERN = /^\$\.[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/;

/**
 * The type of `fact` at `path`, `'any'` for `signals.extra.<name>`, or undefined when the
 * path is not in the catalogue.
 */
export function factPathType(fact: FactName, path: string): FactValueType | 'any' | undefined {
  if (!PATH_PATTERN.test(path)) return undefined;
  const parts = path.slice(2).split('.');
  if (fact === 'signals' && parts[0] === 'extra' && parts.length === 2) return 'any';
  if (parts.length !== 1) return undefined;
  const table = FACT_CATALOG[fact] as Record<string, FactValueType>;
  return Object.prototype.hasOwnProperty.call(table, parts[0]!) ? table[parts[0]!] : undefined;
}

/** Velocity counters: 10-minute buckets; "1h" sums the last 6 buckets, "24h" the last 144. */
export const VELOCITY_BUCKET_MS = 10 * 60_000;

