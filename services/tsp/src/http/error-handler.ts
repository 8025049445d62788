import { maskPan } from '@opentsp/card';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { TspError, type ProblemCode } from '../errors';
import { AuditDataError } from '../audit/audit-log';
import { JsonBodyRefused } from './json-body-scan';
import { problemFor, problemFromError, sendProblem } from './problem';
import { DATABASE_RETRY_AFTER_SECONDS, databaseUnavailableError, isDatabaseUnavailable } from '../store/database-errors';

interface HttpLikeError {
  status?: number;
  statusCode?: number;
  type?: string;
  errors?: Array<{ path?: string; message?: string; errorCode?: string }>;
  message?: string;
}

/** Errors raised by body-parser (express.json / urlencoded), by their `type`. */
const BODY_PARSER_CODES: Record<string, ProblemCode> = {
  'entity.parse.failed': 'malformed_json',
  'entity.too.large': 'payload_too_large',
  'encoding.unsupported': 'unsupported_media_type',
  'charset.unsupported': 'unsupported_media_type',
  'entity.verify.failed': 'validation_failed',
  'request.aborted': 'validation_failed',
};

/** express-openapi-validator reports by HTTP status; each maps to one stable code. */
const VALIDATOR_CODES: Record<number, ProblemCode> = {
  400: 'validation_failed',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

const DETAIL: Partial<Record<ProblemCode, string>> = {
  malformed_json: 'The request body is not valid JSON.',
  payload_too_large: 'The request body is larger than this endpoint accepts.',
  unsupported_media_type: 'This endpoint does not accept that Content-Type.',
  not_found: 'No such resource or path.',
  method_not_allowed: 'This path does not support that HTTP method.',
  validation_failed: 'The request does not match the API contract.',
};

const CARD_NUMBER_IN_TEXT =
  'A text field holds what looks like a card number (16-19 digits passing the Luhn check): card data is accepted only encrypted, and never enters the audit log.';

/**
 * The one error middleware, mounted last. It turns every error into an RFC 9457 problem and
 * never lets a stack trace, SQL text or card data reach the caller.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const requestId = res.locals.requestId as string | undefined;
    const instance = unechoed(req.path);
    if (res.headersSent) {
      logger.error({ err, requestId }, 'error after response started');
      res.end();
      return;
    }
    if (err instanceof TspError) {
      if (err.code === 'service_unavailable' && !res.get('Retry-After')) res.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
      // Domain limits (push redemption budget, OTP send window) say when their window ends.
      const retryAfter = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
      if (err.code === 'rate_limited' && typeof retryAfter === 'number' && !res.get('Retry-After')) res.setHeader('Retry-After', String(retryAfter));
      sendProblem(res, problemFromError(err, requestId, instance));
      return;
    }
    // Postgres unreachable, restarting or out of connections: a retryable 503, not a 500.
    if (isDatabaseUnavailable(err)) {
      logger.warn({ err, requestId }, 'database unavailable');
      res.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
      sendProblem(res, problemFromError(databaseUnavailableError(), requestId, instance));
      return;
    }
    // A card number in a caller's free text (a comment, a name) reached the audit log, which
    // refuses it; nothing was written. The caller's mistake: card data comes only encrypted.
    if (err instanceof AuditDataError) {
      logger.warn({ requestId, action: err.action }, 'card number in free text refused');
      sendProblem(res, problemFor('validation_failed', CARD_NUMBER_IN_TEXT, { requestId, instance }));
      return;
    }
    const e = (err ?? {}) as HttpLikeError;
    const bodyCode = e.type ? BODY_PARSER_CODES[e.type] : undefined;
    if (bodyCode) {
      sendProblem(res, problemFor(bodyCode, err instanceof JsonBodyRefused ? err.detail : DETAIL[bodyCode], { requestId, instance }));
      return;
    }
    const status = e.status ?? e.statusCode;
    const validatorCode = status ? VALIDATOR_CODES[status] : undefined;
    if (validatorCode && Array.isArray(e.errors)) {
      const errors =
        validatorCode === 'validation_failed'
          ? e.errors.slice(0, 20).map((item) => ({ path: unechoed(item.path ?? ''), message: unechoed(item.message ?? 'invalid') }))
          : undefined;
      sendProblem(
        res,
        problemFor(validatorCode, DETAIL[validatorCode], { requestId, instance }, errors ? { errors } : {}),
      );
      return;
    }
    logger.error({ err, requestId }, 'unhandled error');
    sendProblem(
      res,
      problemFor('internal_error', 'An internal error occurred; quote the requestId when reporting it.', {
        requestId,
        instance,
      }),
    );
  };
}

/** Reached when a path is in the contract but no route implements it yet. */
export const notImplemented: RequestHandler = (req, res) => {
  sendProblem(
    res,
    problemFor('not_implemented', 'This operation is part of the contract but not implemented yet.', {
      requestId: res.locals.requestId as string | undefined,
      instance: unechoed(req.path),
    }),
  );
};

/**
 * Request text (a path, an unknown field or parameter name) made safe to put in a problem:
 * any 12–19 digit run — possibly a PAN — masked (PCI DSS 3.4.1), control characters dropped
 * and the length capped. Quotes and markup stay as written, so `must have required property
 * 'tokenLocation'` reads as English: the body is JSON (never rendered as HTML; sendProblem
 * writes `<`, `>` and `&` as JSON escapes), and the console shows it as text.
 */
function unechoed(text: string): string {
  return text
    .slice(0, 300)
    .replace(/[0-9]{12,19}/g, maskPan)
    .replace(/[\u0000-\u001f\u007f]/g, '');
}
