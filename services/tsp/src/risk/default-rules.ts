import type { RiskEvaluationPoint } from './signals';
import type { RiskRuleOutcome } from './rule-set';

/** A default rule before it gets an id and version (what risk/seed-default-rules.ts publishes). */
export interface DefaultRule {
  reasonCode: string;
  name: string;
  description: string;
  priority: number;
  appliesTo: RiskEvaluationPoint[];
  outcome: RiskRuleOutcome;
  conditions: Record<string, unknown>;
}

type Leaf = { fact: string; path: string; operator: string; value: unknown };
const c = (fact: string, field: string, operator: string, value: unknown): Leaf => ({ fact, path: `$.${field}`, operator, value });
const all = (...leaves: Leaf[]) => ({ all: leaves });

const P: RiskEvaluationPoint[] = ['provisioning'];
const PP: RiskEvaluationPoint[] = ['provisioning', 'push_redemption'];
const D: RiskEvaluationPoint[] = ['detokenization'];
const ALL: RiskEvaluationPoint[] = ['provisioning', 'push_redemption', 'detokenization'];

/** ISO 3166 countries under comprehensive sanctions (OFAC / UN); operators adjust to their own list. */
export const SANCTIONED_COUNTRIES = ['KP', 'IR', 'SY', 'CU'];
/** ISO 18245 merchant category codes with elevated fraud or cash-out risk. */
export const HIGH_RISK_MCCS = ['7995', '6051', '4829', '6540', '6211'];

const rule = (
  reasonCode: string,
  outcome: RiskRuleOutcome,
  priority: number,
  appliesTo: RiskEvaluationPoint[],
  name: string,
  description: string,
  conditions: Record<string, unknown>,
): DefaultRule => ({ reasonCode, outcome, priority, appliesTo, name, description, conditions });

/**
 * The default rule set, seeded on first start (see docs/risk.md for what each rule catches).
 * Thresholds are starting points for an operator to tune with dry-runs, not universal truths.
 * Every numeric or boolean leaf treats `null` (unknown) as "does not match".
 */
export const DEFAULT_RULES: readonly DefaultRule[] = [
  // ---- device
  rule('device_emulator', 'decline', 900, PP, 'Emulator', 'The wallet detected an emulator: provisioning farms run wallets in emulators.', all(c('device', 'emulator', 'equal', true))),
  rule('device_rooted', 'step_up', 800, P, 'Rooted device', 'Rooted / jail-broken device: malware can read the token store; prove the cardholder.', all(c('device', 'rooted', 'equal', true))),
  rule('device_rooted_push', 'flag', 800, ['push_redemption'], 'Rooted device (push)', 'Push into a rooted device: the issuer asserted the cardholder, record only.', all(c('device', 'rooted', 'equal', true))),
  rule('device_score_very_low', 'decline', 850, P, 'Very low device score', 'The wallet scores the device below 20/100.', all(c('device', 'score', 'lessThan', 20))),
  rule('device_score_low', 'step_up', 700, P, 'Low device score', 'Device score 20–49/100.', all(c('device', 'score', 'greaterThanInclusive', 20), c('device', 'score', 'lessThan', 50))),
  rule('device_score_missing', 'flag', 100, P, 'No device score', 'The wallet sent no device score.', all(c('device', 'score', 'equal', null))),
  rule('new_device_low_score', 'step_up', 650, P, 'New device, middling score', 'A device never seen with this account and scored below 70.', all(c('device', 'known', 'equal', false), c('device', 'score', 'lessThan', 70))),
  rule('device_new_to_account', 'flag', 100, P, 'New device for the account', 'First time this device is seen with this wallet account.', all(c('device', 'known', 'equal', false))),
  rule('device_many_cards', 'decline', 800, P, 'Many cards on one device', 'Eight or more other cards already on the device: card-testing or a mule device.', all(c('device', 'cardsOnDevice', 'greaterThanInclusive', 8))),
  rule('device_several_cards', 'step_up', 600, P, 'Several cards on one device', 'Five to seven other cards already on the device.', all(c('device', 'cardsOnDevice', 'greaterThanInclusive', 5), c('device', 'cardsOnDevice', 'lessThan', 8))),
  rule('device_shared_accounts', 'decline', 800, PP, 'Device shared by accounts', 'The device was used by three or more other wallet accounts: a device farm.', all(c('device', 'accountsOnDevice', 'greaterThanInclusive', 3))),
  rule('device_type_unusual', 'flag', 100, P, 'Unusual device type', 'Provisioning to a browser or unknown device type.', all(c('device', 'type', 'in', ['browser', 'other']))),

  // ---- location and network
  rule('ip_country_mismatch', 'flag', 200, PP, 'IP country differs from card', "The request's IP country is not the card issuer's country.", all(c('location', 'ipCountryMatchesCard', 'equal', false))),
  rule('device_country_mismatch', 'flag', 200, PP, 'Device country differs from card', "The device-reported country is not the card issuer's country.", all(c('location', 'deviceCountryMatchesCard', 'equal', false))),
  rule('ip_device_country_mismatch', 'step_up', 500, P, 'IP and device disagree', 'Device-reported location and IP country differ: VPN, proxy or spoofed location.', all(c('location', 'deviceCountryMatchesIp', 'equal', false))),
  rule('impossible_travel', 'decline', 900, PP, 'Impossible travel', 'Faster than 900 km/h over more than 500 km since the card was last used.', all(c('location', 'distanceKmFromLastUse', 'greaterThan', 500), c('location', 'speedKmhFromLastUse', 'greaterThan', 900))),
  rule('impossible_travel_detok', 'flag', 900, D, 'Impossible travel (payment)', 'Impossible travel at a payment: recorded for review.', all(c('location', 'distanceKmFromLastUse', 'greaterThan', 500), c('location', 'speedKmhFromLastUse', 'greaterThan', 900))),
  rule('far_from_last_use', 'step_up', 500, P, 'Far from last use', 'More than 2,000 km from the last use within 24 hours (but plausible by air).', all(c('location', 'distanceKmFromLastUse', 'greaterThan', 2000), c('location', 'hoursSinceLastUse', 'lessThan', 24))),
  rule('ip_missing', 'flag', 100, P, 'No IP address', 'Neither the request nor the device carried an IP address.', all(c('ip', 'address', 'equal', null))),
  rule('ip_private', 'flag', 100, PP, 'Private IP address', 'A private or loopback address where a public one was expected.', all(c('ip', 'private', 'equal', true))),
  rule('sanctioned_country_ip', 'decline', 1000, ALL, 'Sanctioned country (IP)', 'The IP is in a comprehensively sanctioned country.', all(c('ip', 'country', 'in', SANCTIONED_COUNTRIES))),
  rule('sanctioned_country_device', 'decline', 1000, PP, 'Sanctioned country (device)', 'The device reports a location in a comprehensively sanctioned country.', all(c('location', 'country', 'in', SANCTIONED_COUNTRIES))),

  // ---- velocity
  rule('velocity_device_1h_step_up', 'step_up', 600, P, 'Device velocity (1 h)', 'More than 3 provisioning attempts from the device in an hour.', all(c('velocity', 'provisioningPerDevice1h', 'greaterThan', 3))),
  rule('velocity_device_1h', 'decline', 850, P, 'Device velocity (1 h), excessive', 'More than 6 provisioning attempts from the device in an hour.', all(c('velocity', 'provisioningPerDevice1h', 'greaterThan', 6))),
  rule('velocity_device_foreign_ip', 'decline', 850, P, 'Device velocity from abroad', "More than 5 attempts from the device in an hour, from an IP outside the card's country.", all(c('velocity', 'provisioningPerDevice1h', 'greaterThan', 5), c('location', 'ipCountryMatchesCard', 'equal', false))),
  rule('velocity_device_24h', 'decline', 800, P, 'Device velocity (24 h)', 'More than 10 provisioning attempts from the device in 24 hours.', all(c('velocity', 'provisioningPerDevice24h', 'greaterThan', 10))),
  rule('velocity_card_1h', 'step_up', 600, P, 'Card velocity (1 h)', 'More than 3 attempts to provision the same card in an hour.', all(c('velocity', 'provisioningPerCard1h', 'greaterThan', 3))),
  rule('velocity_card_24h', 'decline', 800, P, 'Card velocity (24 h)', 'More than 6 attempts to provision the same card in 24 hours.', all(c('velocity', 'provisioningPerCard24h', 'greaterThan', 6))),
  rule('velocity_account_1h', 'step_up', 600, P, 'Account velocity (1 h)', 'More than 5 provisioning attempts by the wallet account in an hour.', all(c('velocity', 'provisioningPerWalletAccount1h', 'greaterThan', 5))),
  rule('velocity_account_24h', 'decline', 800, P, 'Account velocity (24 h)', 'More than 10 provisioning attempts by the wallet account in 24 hours.', all(c('velocity', 'provisioningPerWalletAccount24h', 'greaterThan', 10))),
  rule('velocity_ip_1h', 'step_up', 550, P, 'IP velocity (1 h)', 'More than 10 provisioning attempts from one IP in an hour.', all(c('velocity', 'provisioningPerIp1h', 'greaterThan', 10))),
  rule('velocity_ip_24h', 'decline', 750, P, 'IP velocity (24 h)', 'More than 30 provisioning attempts from one IP in 24 hours.', all(c('velocity', 'provisioningPerIp24h', 'greaterThan', 30))),
  rule('velocity_push_account_24h', 'decline', 750, ['push_redemption'], 'Push redemption velocity', 'More than 10 push redemptions by the wallet account in 24 hours.', all(c('velocity', 'pushRedemptionsPerWalletAccount24h', 'greaterThan', 10))),
  rule('velocity_detok_token_1h_flag', 'flag', 300, D, 'Payment velocity (1 h)', 'More than 30 detokenizations of one token in an hour.', all(c('velocity', 'detokenizationsPerToken1h', 'greaterThan', 30))),
  rule('velocity_detok_token_1h', 'decline', 850, D, 'Payment velocity (1 h), excessive', 'More than 60 detokenizations of one token in an hour: a replay or cash-out script.', all(c('velocity', 'detokenizationsPerToken1h', 'greaterThan', 60))),
  rule('velocity_detok_token_24h', 'decline', 800, D, 'Payment velocity (24 h)', 'More than 500 detokenizations of one token in 24 hours.', all(c('velocity', 'detokenizationsPerToken24h', 'greaterThan', 500))),
  rule('requestor_attempts_24h', 'step_up', 500, P, 'Requestor-reported attempts', 'The wallet reports more than 20 provisioning attempts from the account in 24 hours.', all(c('signals', 'provisioningAttemptsLast24h', 'greaterThan', 20))),

  // ---- behaviour
  rule('otp_failures_account', 'step_up', 600, P, 'Failed OTPs (account)', 'Three or four failed OTPs by the wallet account in 24 hours.', all(c('behaviour', 'otpFailures24h', 'greaterThanInclusive', 3), c('behaviour', 'otpFailures24h', 'lessThan', 5))),
  rule('otp_failures_account_excessive', 'decline', 850, P, 'Failed OTPs (account), excessive', 'Five or more failed OTPs by the wallet account in 24 hours: OTP guessing.', all(c('behaviour', 'otpFailures24h', 'greaterThanInclusive', 5))),
  rule('otp_failures_card', 'decline', 850, P, 'Failed OTPs (card)', 'Five or more failed OTPs on the card in 24 hours, across accounts.', all(c('behaviour', 'otpFailuresPerCard24h', 'greaterThanInclusive', 5))),
  rule('new_account', 'step_up', 550, P, 'Brand-new wallet account', 'The wallet account is less than a day old.', all(c('behaviour', 'accountAgeDays', 'lessThan', 1))),
  rule('young_account', 'flag', 150, P, 'Young wallet account', 'The wallet account is less than a week old.', all(c('behaviour', 'accountAgeDays', 'lessThan', 7))),
  rule('card_recently_suspended', 'decline', 800, PP, 'Card suspended in the last 24 h', 'The card was suspended less than 24 hours ago (lost / stolen reports come first).', all(c('behaviour', 'hoursSinceCardSuspended', 'lessThan', 24))),
  rule('card_suspended_this_week', 'step_up', 500, P, 'Card suspended this week', 'The card was suspended 1–7 days ago.', all(c('behaviour', 'hoursSinceCardSuspended', 'greaterThanInclusive', 24), c('behaviour', 'hoursSinceCardSuspended', 'lessThan', 168))),
  rule('wallet_risk_high', 'decline', 850, PP, 'Requestor risk very high', "The wallet's own risk score is 90 or more.", all(c('signals', 'walletRiskScore', 'greaterThanInclusive', 90))),
  rule('wallet_risk_elevated', 'step_up', 600, P, 'Requestor risk elevated', "The wallet's own risk score is 70–89.", all(c('signals', 'walletRiskScore', 'greaterThanInclusive', 70), c('signals', 'walletRiskScore', 'lessThan', 90))),
  rule('account_score_low', 'step_up', 550, P, 'Low account trust', "The wallet's trust in the account is below 20/100.", all(c('signals', 'accountScore', 'lessThan', 20))),

  // ---- transaction (detokenization)
  rule('amount_very_high', 'decline', 800, D, 'Very high amount', 'More than 10,000,000 minor units in one payment.', all(c('transaction', 'amount', 'greaterThan', 10_000_000))),
  rule('amount_high', 'flag', 300, D, 'High amount', 'More than 500,000 minor units in one payment.', all(c('transaction', 'amount', 'greaterThan', 500_000))),
  rule('high_risk_mcc', 'flag', 300, D, 'High-risk merchant category', 'Gambling, quasi-cash, money transfer or securities (ISO 18245).', all(c('transaction', 'merchantCategoryCode', 'in', HIGH_RISK_MCCS))),
  rule('gambling_high_amount', 'decline', 700, D, 'Gambling, high amount', 'Gambling (MCC 7995) above 100,000 minor units.', all(c('transaction', 'merchantCategoryCode', 'equal', '7995'), c('transaction', 'amount', 'greaterThan', 100_000))),
  rule('quasi_cash_velocity', 'decline', 700, D, 'Quasi-cash velocity', 'Quasi-cash (MCC 6051 / 6540) with more than 5 payments of the token in an hour.', all(c('transaction', 'merchantCategoryCode', 'in', ['6051', '6540']), c('velocity', 'detokenizationsPerToken1h', 'greaterThan', 5))),
  rule('ecom_foreign_ip', 'flag', 200, D, 'E-commerce from abroad', "An e-commerce payment from an IP outside the card's country.", all(c('transaction', 'channel', 'equal', 'ecom'), c('location', 'ipCountryMatchesCard', 'equal', false))),
  rule('cof_amount_high', 'flag', 200, D, 'Card-on-file, high amount', 'A card-on-file payment above 2,000,000 minor units.', all(c('transaction', 'channel', 'equal', 'cof'), c('transaction', 'amount', 'greaterThan', 2_000_000))),
  rule('amount_missing', 'flag', 100, D, 'No amount', 'A payment without an amount.', all(c('transaction', 'amount', 'equal', null))),

  // ---- card verification (appended: a default rule's id follows its position)
  rule('card_verification_failures_card', 'decline', 850, P, 'Failed card verifications (card)', 'Three or more provisioning attempts on the card refused for a wrong expiry or CVV2 in 24 hours: guessing.', all(c('behaviour', 'cardVerificationFailuresPerCard24h', 'greaterThanInclusive', 3))),
  rule('card_verification_failures_account', 'decline', 850, P, 'Failed card verifications (account)', 'Three or more provisioning attempts by the wallet account refused for a wrong expiry or CVV2 in 24 hours.', all(c('behaviour', 'cardVerificationFailures24h', 'greaterThanInclusive', 3))),
];

/** Stable ids, so the defaults are the same rules on every installation. */
export function defaultRuleId(index: number, reasonCode: string): string {
  const camel = reasonCode.replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase()).replace(/[^A-Za-z0-9]/g, '');
  return `rule_dflt${String(index + 1).padStart(3, '0')}${camel[0]!.toUpperCase()}${camel.slice(1)}`.slice(0, 45).padEnd(21, '0');
}
