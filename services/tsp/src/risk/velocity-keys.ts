import type { RiskEvaluationPoint, RiskSignalsInput, RiskSubject, VelocityFactName } from './signals';

/**
 * Velocity counter keys. A key names one counted thing (`prov:dev:<deviceId>` = provisioning
 * attempts from that device); the counters table holds one row per key and 10-minute bucket.
 * Keys hold references only (device id, PAN fingerprint, wallet account, IP, token ref).
 */
export interface VelocityKey {
  key: string;
  /** The facts this key feeds: [1-hour fact, 24-hour fact]. */
  facts: readonly [VelocityFactName | null, VelocityFactName | null];
}

export interface VelocityPlan {
  /** Counted by this decision (incremented, then read including this event). */
  increment: VelocityKey[];
  /** Read only. */
  read: string[];
}

/** A detokenization counts `detok:tok:<tokenRef>`; payments' detokenize read builds it in SQL. */
export const DETOKENIZATION_TOKEN_KEY_PREFIX = 'detok:tok:';

/** The key of a card in the risk tables: its PAN fingerprint, else its card ref. */
export function cardKeyOf(subject: RiskSubject): string | null {
  return subject.cardFingerprint ? `fp:${subject.cardFingerprint}` : subject.cardRef ? `ref:${subject.cardRef}` : null;
}

/** Wallet account ids are per token requestor, so the key carries the TRID. */
export function accountKeyOf(subject: RiskSubject): string | null {
  return subject.walletAccountId ? `${subject.trid ?? subject.clientId ?? '-'}/${subject.walletAccountId}` : null;
}

export function ipOf(signals: RiskSignalsInput): string | null {
  return signals.network?.ip ?? signals.device?.ip ?? null;
}

export const otpKeys = (subject: RiskSubject): { account: string | null; card: string | null } => {
  const account = accountKeyOf(subject);
  const card = cardKeyOf(subject);
  return { account: account ? `otp:acct:${account}` : null, card: card ? `otp:card:${card}` : null };
};

/** Failed card verifications (wrong expiry or CVV2 at provisioning), per wallet account and per card. */
export const cardVerificationKeys = (subject: RiskSubject): { account: string | null; card: string | null } => {
  const account = accountKeyOf(subject);
  const card = cardKeyOf(subject);
  return { account: account ? `cvf:acct:${account}` : null, card: card ? `cvf:card:${card}` : null };
};

/** Which counters a decision at `point` increments and reads. */
export function velocityPlan(point: RiskEvaluationPoint, subject: RiskSubject, signals: RiskSignalsInput): VelocityPlan {
  const increment: VelocityKey[] = [];
  const add = (key: string | null, facts: VelocityKey['facts'], prefix: string) => {
    if (key) increment.push({ key: `${prefix}${key}`, facts });
  };
  const account = accountKeyOf(subject);
  if (point === 'provisioning') {
    add(signals.device?.id ?? null, ['provisioningPerDevice1h', 'provisioningPerDevice24h'], 'prov:dev:');
    add(cardKeyOf(subject), ['provisioningPerCard1h', 'provisioningPerCard24h'], 'prov:card:');
    add(account, ['provisioningPerWalletAccount1h', 'provisioningPerWalletAccount24h'], 'prov:acct:');
    add(ipOf(signals), ['provisioningPerIp1h', 'provisioningPerIp24h'], 'prov:ip:');
  } else if (point === 'push_redemption') {
    add(account, [null, 'pushRedemptionsPerWalletAccount24h'], 'push:acct:');
  } else {
    add(subject.tokenRef ?? null, ['detokenizationsPerToken1h', 'detokenizationsPerToken24h'], DETOKENIZATION_TOKEN_KEY_PREFIX);
  }
  // Failed OTPs are counted by recordEvent; provisioning reads them (one round trip either way).
  const read: string[] = [];
  if (point === 'provisioning') {
    const otp = otpKeys(subject);
    if (otp.account) read.push(otp.account);
    if (otp.card) read.push(otp.card);
    const cvf = cardVerificationKeys(subject);
    if (cvf.account) read.push(cvf.account);
    if (cvf.card) read.push(cvf.card);
  }
  return { increment, read };
}
