import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { testPan } from '@opentsp/card';
import { PanFingerprints } from '../../src/vault/fingerprint';
import { Pan } from '../../src/vault/secrets';

const KEY = Buffer.alloc(32, 7);
const pans = fc.tuple(fc.integer({ min: 14, max: 19 }), fc.integer()).map(([length, seed]) => Pan.of(testPan({ prefix: '62', length, seed })));

describe('PAN fingerprint and PAR', () => {
  const hashes = new PanFingerprints(KEY, 'S001');

  it('computes the fingerprint as HMAC-SHA-256 under an HKDF-derived key (known answer)', () => {
    const fpKey = Buffer.from(hkdfSync('sha256', KEY, 'opentsp', 'pan fingerprint v1', 32));
    const want = createHmac('sha256', fpKey).update('pan:6212345678901232').digest('base64url');
    expect(hashes.fingerprint(Pan.of('6212345678901232'))).toBe(want);
    expect(want).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('computes the PAR as the controller id and 25 base-36 characters of a keyed MAC (known answer)', () => {
    const fp = hashes.fingerprint(Pan.of('6212345678901232'));
    const parKey = Buffer.from(hkdfSync('sha256', KEY, 'opentsp', 'par v1', 32));
    const mac = BigInt(`0x${createHmac('sha256', parKey).update(`par:${fp}`).digest('hex')}`);
    const want = `S001${(mac % 36n ** 25n).toString(36).toUpperCase().padStart(25, '0')}`;
    expect(hashes.par(Pan.of('6212345678901232'))).toBe(want);
  });

  it('gives every PAN a 29-character upper-case alphanumeric PAR starting with the controller id (property)', () => {
    fc.assert(
      fc.property(pans, (pan) => /^S001[A-Z0-9]{25}$/.test(hashes.par(pan))),
      { numRuns: 300 },
    );
  });

  it('is stable: the same PAN gives the same fingerprint and PAR, from another instance too (property)', () => {
    const again = new PanFingerprints(Buffer.from(KEY), 'S001');
    fc.assert(
      fc.property(pans, (pan) => {
        const copy = Pan.of(pan.reveal());
        return hashes.par(pan) === again.par(copy) && hashes.fingerprint(pan) === again.fingerprint(copy);
      }),
      { numRuns: 200 },
    );
  });

  it('separates PANs: distinct PANs give distinct PARs (property)', () => {
    fc.assert(
      fc.property(pans, pans, (a, b) => a.reveal() === b.reveal() || hashes.par(a) !== hashes.par(b)),
      { numRuns: 300 },
    );
  });

  it('depends on the key: without it the PAR of a PAN cannot be recomputed', () => {
    const other = new PanFingerprints(randomBytes(32), 'S001');
    const pan = Pan.of('6212345678901232');
    expect(other.par(pan)).not.toBe(hashes.par(pan));
    expect(other.fingerprint(pan)).not.toBe(hashes.fingerprint(pan));
  });

  it('never contains the PAN or its digits in order', () => {
    const pan = Pan.of('6212345678901232');
    expect(hashes.par(pan)).not.toContain('12345678901232');
    expect(hashes.fingerprint(pan)).not.toContain('1232');
  });

  it('refuses a BIN controller id that is not 4 upper-case alphanumerics', () => {
    expect(() => new PanFingerprints(KEY, 's01')).toThrow(RangeError);
  });
});
