import type { IncomingMessage } from 'node:http';

/**
 * The deepest nesting of objects / arrays a JSON request body may have. The contract's
 * deepest schema is a few levels; 32 leaves room and still keeps recursive validators
 * (ajv) and handlers far from the stack limit.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Thrown from body-parser's `verify` hook: its `type` maps to `validation_failed` (400), and
 * its `detail` (our own words, never the body's) goes into the problem.
 */
export class JsonBodyRefused extends Error {
  readonly type = 'entity.verify.failed';
  readonly status = 400;
  constructor(readonly detail: string) {
    super(detail);
  }
}

export class JsonTooDeepError extends JsonBodyRefused {
  constructor(readonly maxDepth: number) {
    super(`The request body nests objects or arrays deeper than ${maxDepth}.`);
  }
}

/**
 * A `\uD800`–`\uDFFF` escape without its partner: JSON's grammar lets it through, but it is no
 * Unicode character (RFC 7493, I-JSON, forbids it), and Postgres refuses it in `jsonb`, so a
 * comment holding one ended as a 500 (found by the contract fuzzer).
 */
export class JsonLoneSurrogateError extends JsonBodyRefused {
  constructor() {
    super('A string in the request body holds a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its pair): not Unicode text.');
  }
}

/**
 * Nesting depth of a JSON text, found by one linear scan of the raw bytes — before
 * `JSON.parse` — so a body nested 10,000 deep (OWASP API4:2023, unrestricted resource
 * consumption) is refused in microseconds instead of reaching the recursive validator.
 * Brackets inside strings (with escapes) do not count. Stops as soon as `limit` is passed.
 */
export function jsonDepthExceeds(raw: Buffer, limit: number): boolean {
  return scanJsonBody(raw, limit) === 'too_deep';
}

/** What the one scan of a raw JSON body found wrong, if anything. */
export function scanJsonBody(raw: Buffer, depthLimit: number): 'too_deep' | 'lone_surrogate' | undefined {
  let depth = 0;
  let inString = false;
  // After a high-surrogate escape, the index where its low partner's `\` must stand.
  let lowDueAt = -1;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (inString) {
      if (c === 0x5c) {
        const unit = raw[i + 1] === 0x75 ? hex4(raw, i + 2) : -1; // \uXXXX
        if (lowDueAt >= 0) {
          if (i !== lowDueAt || unit < 0xdc00 || unit > 0xdfff) return 'lone_surrogate';
          lowDueAt = -1;
        } else if (unit >= 0xd800 && unit <= 0xdbff) lowDueAt = i + 6;
        else if (unit >= 0xdc00 && unit <= 0xdfff) return 'lone_surrogate';
        i += unit >= 0 ? 5 : 1; // skip the escape: `uXXXX`, or the one escaped byte
      } else if (lowDueAt >= 0) return 'lone_surrogate';
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > depthLimit) return 'too_deep';
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return undefined;
}

/** The value of four hex digits at `at`, or -1. */
function hex4(raw: Buffer, at: number): number {
  let value = 0;
  for (let k = at; k < at + 4; k++) {
    const c = raw[k];
    if (c === undefined) return -1;
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/**
 * A body-parser `verify` hook refusing bodies nested deeper than `maxDepth`, and bodies whose
 * strings hold a lone surrogate.
 *
 * @example
 * ```ts
 * app.use(express.json({ limit: '64kb', verify: verifyJsonBody() }));
 * ```
 */
export function verifyJsonBody(maxDepth = MAX_JSON_DEPTH): (req: IncomingMessage, res: unknown, raw: Buffer) => void {
  return (_req, _res, raw) => {
    const found = scanJsonBody(raw, maxDepth);
    if (found === 'too_deep') throw new JsonTooDeepError(maxDepth);
    if (found === 'lone_surrogate') throw new JsonLoneSurrogateError();
  };
}
