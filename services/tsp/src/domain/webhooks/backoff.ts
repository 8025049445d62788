/**
 * Delay before the next attempt after `failedAttempts` failures: `base × 2^(n-1)`, capped at
 * `max`, with ±20 % jitter so receivers recovering from an outage are not hit by every retry
 * at the same instant. With the defaults (30 s, 6 h cap, 12 attempts) the budget spans about
 * 14 hours.
 */
export function retryDelayMs(failedAttempts: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, failedAttempts - 1);
  const nominal = Math.min(maxMs, baseMs * 2 ** Math.min(exponent, 40));
  const jitter = 0.8 + random() * 0.4;
  return Math.max(1, Math.round(nominal * jitter));
}
