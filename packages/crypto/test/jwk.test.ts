import { inspect } from 'node:util';
import fc from 'fast-check';
import { KeySet, decryptCompact, encryptCompact, generateOctKey, type KeyKind } from '../src';
import { codeOf } from './helpers';

const KINDS: KeyKind[] = ['ES256', 'RSA-OAEP-256', 'ECDH-ES+A256KW', 'A256GCMKW'];
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

describe('KeySet', () => {
  it.each([
    { kind: 'ES256', want: { kty: 'EC', crv: 'P-256', use: 'sig', alg: 'ES256' } },
    { kind: 'RSA-OAEP-256', want: { kty: 'RSA', use: 'enc', alg: 'RSA-OAEP-256' } },
    { kind: 'ECDH-ES+A256KW', want: { kty: 'EC', crv: 'P-256', use: 'enc', alg: 'ECDH-ES+A256KW' } },
  ] as const)('generates a $kind key with kid, use and alg in its public JWK', async ({ kind, want }) => {
    const keys = KeySet.create();
    const key = await keys.generate(kind, { kid: `my-${kind}` });
    expect(key.kid).toBe(`my-${kind}`);
    expect(key.toPublicJwk()).toMatchObject({ ...want, kid: `my-${kind}` });
    if (kind === 'RSA-OAEP-256') {
      const n = Buffer.from((key.toPublicJwk() as { n: string }).n, 'base64url');
      expect(n.length * 8).toBe(2048);
    }
  });

  it('generates a 256-bit oct key for A256GCMKW that has no public JWK', async () => {
    const keys = KeySet.create();
    const key = await keys.generate('A256GCMKW');
    expect(key).toMatchObject({ kty: 'oct', use: 'enc', alg: 'A256GCMKW' });
    const oct = keys.toPrivateJson().keys[0] as unknown as { k: string };
    expect(Buffer.from(oct.k, 'base64url')).toHaveLength(32);
    expect(await codeOf(() => key.toPublicJwk())).toBe('key_invalid');
  });

  it('gives keys random, distinct kids when none is given', async () => {
    const keys = KeySet.create();
    const kids = await Promise.all([1, 2, 3].map(() => keys.generate('ES256').then((k) => k.kid)));
    expect(new Set(kids).size).toBe(3);
    for (const kid of kids) expect(kid).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it('refuses a kid that is already in the set', async () => {
    const keys = KeySet.create();
    await keys.generate('ES256', { kid: 'same' });
    expect(await codeOf(() => keys.generate('ECDH-ES+A256KW', { kid: 'same' }))).toBe('key_invalid');
  });

  it('refuses a use that contradicts the kind, and an unknown kind', async () => {
    const keys = KeySet.create();
    expect(await codeOf(() => keys.generate('ES256', { use: 'enc' }))).toBe('key_invalid');
    expect(await codeOf(() => keys.generate('HS256' as KeyKind))).toBe('unsupported_algorithm');
  });

  it('finds keys by kid, throws key_not_found for others, and forgets removed keys', async () => {
    const keys = KeySet.create();
    const key = await keys.generate('ES256', { kid: 'a' });
    expect(keys.get('a')).toBe(key);
    expect(keys.has('a')).toBe(true);
    expect(await codeOf(() => keys.get('b'))).toBe('key_not_found');
    expect(keys.find('b')).toBeUndefined();
    expect(keys.remove('a')).toBe(true);
    expect(keys.remove('a')).toBe(false);
    expect(keys.has('a')).toBe(false);
    expect(keys.toPublicJwks().keys).toEqual([]);
    expect(keys.toPrivateJson().keys).toEqual([]);
  });

  it('restores from its private JSON with the same keys, which still decrypt', async () => {
    const keys = KeySet.create();
    const enc = await keys.generate('ECDH-ES+A256KW');
    await keys.generate('ES256');
    await keys.generate('A256GCMKW');
    const jwe = await encryptCompact('hello', enc.toPublicJwk(), { alg: 'ECDH-ES+A256KW' });

    const restored = await KeySet.fromJson(JSON.parse(JSON.stringify(keys.toPrivateJson())) as object);
    expect(restored.toPublicJwks()).toEqual(keys.toPublicJwks());
    expect(restored.list().map((k) => k.kid)).toEqual(keys.list().map((k) => k.kid));
    const { plaintext } = await decryptCompact(jwe, restored, { algorithms: ['ECDH-ES+A256KW'] });
    expect(plaintext.toString()).toBe('hello');
  });

  it.each([
    { given: 'not a set', jwks: { nope: [] } },
    { given: 'a key without kid', jwks: { keys: [{ ...generateOctKey(), kid: undefined }] } },
    { given: 'a repeated kid', jwks: { keys: [generateOctKey('x'), generateOctKey('x')] } },
    { given: 'a short oct key', jwks: { keys: [{ ...generateOctKey(), k: 'AAAA' }] } },
    { given: 'an unsupported alg', jwks: { keys: [{ ...generateOctKey(), alg: 'HS256' }] } },
    { given: 'a use that contradicts the alg', jwks: { keys: [{ ...generateOctKey(), use: 'sig' }] } },
    { given: 'an EC key on another curve', jwks: { keys: [{ kty: 'EC', crv: 'P-384', kid: 'e', use: 'sig', alg: 'ES256', x: 'AA', y: 'AA' }] } },
  ])('refuses to load $given', async ({ jwks }) => {
    expect(await codeOf(() => KeySet.fromJson(jwks))).toBe('key_invalid');
  });

  it('never prints private material through JSON.stringify or util.inspect', async () => {
    const keys = KeySet.create();
    const rsa = await keys.generate('RSA-OAEP-256');
    const oct = await keys.generate('A256GCMKW');
    const secrets = keys.toPrivateJson().keys.flatMap((jwk) => [jwk.d, jwk.k].filter((v): v is string => typeof v === 'string'));
    expect(secrets).toHaveLength(2);
    const printed = [JSON.stringify(rsa), JSON.stringify(oct), inspect(rsa), inspect(oct), inspect(keys), JSON.stringify({ rsa, oct })];
    for (const text of printed) for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it('publishes only public members: property over random sets of key kinds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...KINDS), { minLength: 1, maxLength: 4 }), async (kinds) => {
        const keys = KeySet.create();
        for (const kind of kinds) await keys.generate(kind);
        const published = keys.toPublicJwks().keys;
        expect(published).toHaveLength(kinds.filter((k) => k !== 'A256GCMKW').length);
        for (const jwk of published) {
          for (const member of PRIVATE_MEMBERS) expect(jwk).not.toHaveProperty(member);
          expect(jwk.kty).not.toBe('oct');
          expect(typeof jwk.kid).toBe('string');
          expect(jwk.use).toBe(jwk.alg === 'ES256' ? 'sig' : 'enc');
          expect(kinds).toContain(jwk.alg);
        }
      }),
      { numRuns: 12 },
    );
  });
});

describe('generateOctKey', () => {
  it('issues a private A256GCMKW JWK with 32 random bytes', () => {
    const a = generateOctKey('acq_1');
    const b = generateOctKey();
    expect(a).toMatchObject({ kty: 'oct', kid: 'acq_1', use: 'enc', alg: 'A256GCMKW' });
    expect(Buffer.from(a.k, 'base64url')).toHaveLength(32);
    expect(b.k).not.toBe(a.k);
    expect(b.kid).not.toBe(a.kid);
  });
});
