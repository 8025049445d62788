import { compactKid, encryptCompact, KeySet, signCompact } from '../src';

describe('compactKid: the key id of a compact JWS or JWE, before anything is verified', () => {
  it('reads the kid of what this package signs and encrypts', async () => {
    const keys = KeySet.create();
    const sig = await keys.generate('ES256', { kid: 'sig-7' });
    const enc = await keys.generate('RSA-OAEP-256', { kid: 'enc-7' });
    expect(compactKid(await signCompact('{"a":1}', sig))).toBe('sig-7');
    expect(compactKid(await encryptCompact('{"a":1}', enc, { alg: 'RSA-OAEP-256' }))).toBe('enc-7');
  });

  it('gives undefined for a header that is not strict base64url JSON, or a kid that is not a short string', () => {
    const header = (value: unknown) => `${Buffer.from(JSON.stringify(value)).toString('base64url')}.e30.sig`;
    expect(compactKid(header({ alg: 'none' }))).toBeUndefined();
    expect(compactKid(header({ kid: 7 }))).toBeUndefined();
    expect(compactKid(header({ kid: 'k'.repeat(129) }))).toBeUndefined();
    expect(compactKid(`${Buffer.from('{"kid":"a"}').toString('base64')}=.x`)).toBeUndefined();
    expect(compactKid('not-json.x.y')).toBeUndefined();
    expect(compactKid('')).toBeUndefined();
  });
});
