import { inspect } from 'node:util';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/observability/logger';
import { CardSecret, Pan, Plaintext } from '../../src/vault/secrets';

const PAN = '6212345678901232';

describe('secret types cannot be printed', () => {
  const pan = Pan.of(PAN);
  const card = new CardSecret('card_abcdefghijklmnopqrst', 'iss_1', pan, 12, 2030, 'LI LEI');
  const plaintext = new Plaintext(Buffer.from('otp-secret-JBSWY3DPEHPK3PXP'));

  it.each([
    ['JSON.stringify', (v: unknown) => JSON.stringify({ v })],
    ['String()', (v: unknown) => String(v)],
    ['a template string', (v: unknown) => `${String(v)}`],
    ['util.inspect', (v: unknown) => inspect(v)],
    ['util.inspect nested', (v: unknown) => inspect({ deep: { v } }, { depth: 10 })],
  ])('shows [redacted] through %s', (_how, show) => {
    for (const value of [pan, card, plaintext]) {
      const text = show(value);
      expect(text).toContain('[redacted]');
      expect(text).not.toContain(PAN);
      expect(text).not.toContain('LI LEI');
      expect(text).not.toContain('JBSWY3DP');
    }
  });

  it('keeps the PAN out of a pino log line even when the whole card is logged', () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }),
    });
    logger.info({ card, secret: plaintext, value: pan }, 'stored');
    expect(lines.join('')).not.toContain(PAN);
    expect(lines.join('')).not.toContain('LI LEI');
  });

  it('gives the value only through an explicit reveal', () => {
    expect(pan.reveal()).toBe(PAN);
    expect(pan.last4).toBe('1232');
    expect(pan.leading(6)).toBe('621234');
    expect(plaintext.text()).toBe('otp-secret-JBSWY3DPEHPK3PXP');
    expect(card.pan.equals(Pan.of(PAN))).toBe(true);
  });

  it('refuses a malformed PAN without echoing it', () => {
    expect(() => Pan.of('62123456789012x2')).toThrow(RangeError);
    try {
      Pan.of('62123456789012x2');
    } catch (err) {
      expect(String(err)).not.toContain('62123456789012x2');
    }
  });
});
