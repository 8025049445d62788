import fc, { type Arbitrary } from 'fast-check';
import { testPan } from '@opentsp/card';

/**
 * Strings that must never come back verbatim: reflected markup (OWASP A03:2021). Problems quote
 * a field name as written (issue 16: `'tokenLocation'`, not `%27tokenLocation%27`), so SQL text
 * may come back inside a JSON string, where nothing executes it; markup comes back only as
 * JSON escapes (`\u003c`), so a body sniffed as HTML holds no tag.
 */
export const ECHO_MARKERS = ['<script>x</script>'] as const;
/** Injection text the fuzzer plants (its echo inside JSON is harmless, see ECHO_MARKERS). */
const SQL_MARKER = "' OR 1=1 --";

/** Luhn-valid card numbers the fuzzer plants everywhere; none may appear in any response, log or table. */
export const FUZZ_PANS: readonly string[] = [
  testPan({ prefix: '621300990000123' }),
  testPan({ prefix: '621483990000456' }),
  testPan({ prefix: '622126990000789000', length: 19 }),
];

/** Hostile strings: markers, card numbers, unicode edge cases, injection and traversal payloads. */
export const HOSTILE_STRINGS: readonly string[] = [
  ...ECHO_MARKERS,
  SQL_MARKER,
  ...FUZZ_PANS,
  `card ${FUZZ_PANS[0]} here`,
  '"><img src=x onerror=alert(1)>',
  "'; DROP TABLE tokens; --",
  '1; SELECT pg_sleep(5)',
  '${jndi:ldap://127.0.0.1/a}',
  '{{7*7}}',
  '%s%s%s%n',
  '../../../../etc/passwd',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\u202eevil',
  '🃏🂡💳',
  'ℌ𝔢𝔩𝔩𝔬',
  'x\r\nX-Injected: 1',
  ' ',
  '',
  'null',
  '__proto__',
  'constructor',
];

export const hostileString: Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom(300, 4_096, 20_000, 60_000).map((n) => 'A'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom(...ECHO_MARKERS, SQL_MARKER).map((m) => m.repeat(50)) },
);

/** Values of the wrong type for wherever they land. */
export const wrongTypeValue: Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(0, -1, 1.5, 1e308, -0, Number.MAX_SAFE_INTEGER + 2, true, false, null, [], {}, [null], { a: 1 }, '0', 'true'),
  hostileString,
);

const DEEP_TAG = '\u0000deep';

/**
 * A stand-in for `[[[…]]]` / `{"a":{"a":…}}` nested `depth` deep. Kept as a small tag object
 * (a 10,000-deep value would overflow `JSON.stringify` and `structuredClone` in the test
 * itself); `toJson` writes the real nesting into the body text.
 */
export function nested(depth: number, kind: 'array' | 'object'): unknown {
  return { [DEEP_TAG]: depth, kind };
}

function nestedText(depth: number, kind: string): string {
  return kind === 'array' ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** `JSON.stringify` that expands `nested()` tags into real nesting. */
export function toJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && DEEP_TAG in v ? `@@deep:${(v as Record<string, number>)[DEEP_TAG]}:${(v as unknown as { kind: string }).kind}@@` : v,
  );
  return (text ?? '').replace(/"@@deep:(\d+):(array|object)@@"/g, (_m, depth: string, kind: string) => nestedText(Number(depth), kind));
}

export const deepValue: Arbitrary<unknown> = fc
  .tuple(fc.constantFrom(8, 31, 33, 200, 10_000), fc.constantFrom('array' as const, 'object' as const))
  .map(([depth, kind]) => nested(depth, kind));

export const rawBodyGarbage: Arbitrary<string> = fc.oneof(
  fc.constantFrom('{', '{"a":}', 'nul', '[', '"', '{"a":1,}', "{'a':1}", '\ufeff{}', '[]', '1', '"str"', 'null', '{"__proto__":{"isAdmin":true}}', '{"constructor":{"prototype":{"x":1}}}', '{"a":1,"a":2}'),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom(70 * 1024).map((n) => JSON.stringify({ padding: 'x'.repeat(n) })),
  fc.constantFrom(`${'['.repeat(10_000)}${']'.repeat(10_000)}`, `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`, '['.repeat(20_000)),
);

export const wrongContentType: Arbitrary<string | undefined> = fc.constantFrom(
  undefined,
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  'application/json; charset=utf-16',
  'application/json; charset=koi8-r',
  'application/octet-stream',
  'application/json, text/html',
);
