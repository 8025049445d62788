import { CryptoError, type CryptoErrorCode } from '../src';

/** The CryptoError a call (sync or async) failed with; fails the test if it did not fail so. */
export async function failureOf(run: () => unknown): Promise<CryptoError> {
  let outcome: unknown;
  try {
    await run();
  } catch (e) {
    outcome = e;
  }
  if (!(outcome instanceof CryptoError)) throw new Error(`expected a CryptoError, got ${String(outcome)}`);
  return outcome;
}

export async function codeOf(run: () => unknown): Promise<CryptoErrorCode> {
  return (await failureOf(run)).code;
}

/** Runs `body` with the clock at `epochSeconds` (Date.now is all this package reads). */
export async function atTime<T>(epochSeconds: number, body: () => Promise<T> | T): Promise<T> {
  const spy = jest.spyOn(Date, 'now').mockReturnValue(epochSeconds * 1000);
  try {
    return await body();
  } finally {
    spy.mockRestore();
  }
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Flips one bit in the decoded bytes of part `index` of a compact serialization. */
export function flipBit(compact: string, index: number, byte = 0): string {
  const parts = compact.split('.');
  const bytes = Buffer.from(parts[index] ?? '', 'base64url');
  bytes[byte] = (bytes[byte] ?? 0) ^ 1;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

/** Re-encodes the protected header with `change` applied (the signature / tag then no longer match). */
export function withHeader(compact: string, change: (header: Record<string, unknown>) => Record<string, unknown>): string {
  const parts = compact.split('.');
  const header = JSON.parse(Buffer.from(parts[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  parts[0] = Buffer.from(JSON.stringify(change(header))).toString('base64url');
  return parts.join('.');
}

export function headerOf(compact: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(compact.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

export const CARD = { pan: '4111111111111111', expMonth: 12, expYear: 2030, cvv2: '123' } as const;
