import type { IncomingMessage } from 'node:http';

/**
 * The deepest nesting of objects / arrays a JSON request body may have. The contract's
 * deepest schema is a few levels; 32 leaves room and still keeps recursive validators
 * (ajv) and handlers far from the stack limit.
 */
export const MAX_JSON_DEPTH = 32;

/** Thrown from body-parser's `verify` hook; its `type` maps to `validation_failed` (400). */
export class JsonTooDeepError extends Error {
  readonly type = 'entity.verify.failed';
  readonly status = 400;
  constructor(readonly maxDepth: number) {
    super(`JSON nesting deeper than ${maxDepth}`);
  }
}

/**
 * Nesting depth of a JSON text, found by one linear scan of the raw bytes — before
 * `JSON.parse` — so a body nested 10,000 deep (OWASP API4:2023, unrestricted resource
 * consumption) is refused in microseconds instead of reaching the recursive validator.
 * Brackets inside strings (with escapes) do not count. Stops as soon as `limit` is passed.
 */
export function jsonDepthExceeds(raw: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/**
 * A body-parser `verify` hook refusing bodies nested deeper than `maxDepth`.
 *
 * @example
 * ```ts
 * app.use(express.json({ limit: '64kb', verify: verifyJsonDepth() }));
 * ```
 */
export function verifyJsonDepth(maxDepth = MAX_JSON_DEPTH): (req: IncomingMessage, res: unknown, raw: Buffer) => void {
  return (_req, _res, raw) => {
    if (jsonDepthExceeds(raw, maxDepth)) throw new JsonTooDeepError(maxDepth);
  };
}
