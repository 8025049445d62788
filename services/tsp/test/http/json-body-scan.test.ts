import { scanJsonBody } from '../../src/http/json-body-scan';

/** The raw-body scan before JSON.parse (json-body-scan.ts): nesting depth and lone surrogates. */
describe('the raw JSON body scan', () => {
  const scan = (text: string) => scanJsonBody(Buffer.from(text, 'utf8'), 32);

  it.each([
    ['a high surrogate closing its string', String.raw`{"c":"\ud800"}`],
    ['a high surrogate before a plain character', String.raw`{"c":"\ud800x"}`],
    ['a high surrogate before another escape', String.raw`{"c":"\ud800\n"}`],
    ['two high surrogates', String.raw`{"c":"\ud800\ud800"}`],
    ['a low surrogate alone', String.raw`{"c":"\udc00"}`],
    ['a low surrogate first', String.raw`{"c":"\ude00\ud83d"}`],
    ['in a key', String.raw`{"\udfff":1}`],
  ])('finds a lone surrogate: %s', (_what, text) => {
    expect(scan(text)).toBe('lone_surrogate');
  });

  it.each([
    ['a pair', String.raw`{"c":"ok \ud83d\ude00 ok"}`],
    ['a pair in upper case', String.raw`{"c":"\uD83D\uDE00"}`],
    ['an escaped backslash before u', String.raw`{"c":"\\ud800"}`],
    ['other escapes', String.raw`{"c":"\u00e9\n\"\\"}`],
    ['the character itself, in UTF-8', JSON.stringify({ c: 'ok 😀' })],
  ])('lets well-formed text through: %s', (_what, text) => {
    expect(scan(text)).toBeUndefined();
    expect(() => JSON.parse(text)).not.toThrow();
  });

  it('still measures depth', () => {
    expect(scan('['.repeat(33) + ']'.repeat(33))).toBe('too_deep');
    expect(scan('['.repeat(32) + ']'.repeat(32))).toBeUndefined();
  });

  it('agrees with the parsed text: every string it lets through is well-formed', () => {
    for (const text of ['"\\ud83d\\ude00"', '"\\ud800"', '"a\\udc00b"', '"\\\\ud800"']) {
      const parsed = JSON.parse(text) as string;
      // String.prototype.isWellFormed (ES2024; Node 20 has it, this TypeScript lib does not).
      const wellFormed = (parsed as unknown as { isWellFormed(): boolean }).isWellFormed();
      expect(scanJsonBody(Buffer.from(text), 32) === undefined).toBe(wellFormed);
    }
  });
});
