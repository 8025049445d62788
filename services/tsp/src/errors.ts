import type { components } from '@opentsp/api-types';

/** The stable, documented error codes of the API (enum `ProblemCode` in openapi/tsp.yaml). */
export type ProblemCode = components['schemas']['ProblemCode'];

/**
 * The one base class for errors the product means to report. The domain throws these with a
 * stable `code` and a message safe to show to the caller (never card data, keys or internals);
 * the HTTP edge maps the code to a status and an RFC 9457 problem. Anything that is not a
 * `TspError` is an internal error and reaches the caller only as a generic 500.
 */
export class TspError extends Error {
  override readonly name: string = 'TspError';

  constructor(
    readonly code: ProblemCode,
    /** Human-readable, caller-safe explanation (becomes the problem's `detail`). */
    message: string,
    /** Extra problem members, e.g. `reasonCodes` for a decline or `errors` for validation. */
    readonly extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

/** A request that does not fit the contract or the domain's own rules. */
export class ValidationError extends TspError {
  override readonly name = 'ValidationError';
}

/** The caller is not who it says, or not allowed to do this. */
export class AccessError extends TspError {
  override readonly name = 'AccessError';
}

/** A named thing does not exist (or, for another tenant's thing, is not visible). */
export class NotFoundError extends TspError {
  override readonly name = 'NotFoundError';
}

/** The request conflicts with the current state (e.g. a token already deleted). */
export class StateError extends TspError {
  override readonly name = 'StateError';
}

/** A dependency (database, issuer host) is unavailable; the caller may retry. */
export class UnavailableError extends TspError {
  override readonly name = 'UnavailableError';
}
