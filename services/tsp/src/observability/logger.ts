import pino, { type Logger, type DestinationStream } from 'pino';
import { scrubCardNumbers } from './card-data-scrubber';

/**
 * Field names that carry card data or secrets anywhere in a log object. pino's `redact`
 * removes them by path before serialization; `scrubCardNumbers` then masks PAN-shaped
 * numbers that appear anywhere else in the line.
 */
const SENSITIVE_KEYS = [
  'pan',
  'cvv2',
  'cvv',
  'expMonth',
  'expYear',
  'encryptedCard',
  'tokenPan',
  'cryptogram',
  'otp',
  'clientSecret',
  'client_secret',
  'client_assertion',
  'access_token',
  'pushReceipt',
  'password',
  'secret',
];

const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'body.code',
  'req.body.code',
  'res.headers["set-cookie"]',
  ...SENSITIVE_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `body.${key}`, `req.body.${key}`]),
];

export interface LoggerOptions {
  level: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to capture lines. */
  destination?: DestinationStream;
  name?: string;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.name ?? 'opentsp',
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      hooks: { streamWrite: scrubCardNumbers },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

export type { Logger };
