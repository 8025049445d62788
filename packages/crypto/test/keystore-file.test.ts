import { compactDecrypt } from 'jose';
import { KeySet, SEAL_ITERATIONS, openSealedJson, sealJson } from '../src';
import { codeOf, flipBit, headerOf, withHeader } from './helpers';

// PBKDF2 at the real count costs ~0.25 s per seal or open: only the first test pays it.
const FAST = { iterations: 1_000 };

describe('sealJson / openSealedJson', () => {
  it('seals with PBES2-HS512+A256KW, p2c ≥ 210,000, a random 16-byte salt and A256GCM by default', async () => {
    const keys = KeySet.create();
    await keys.generate('ES256');
    await keys.generate('A256GCMKW');
    const sealed = await sealJson(keys.toPrivateJson(), 'correct horse battery staple');
    const header = headerOf(sealed);
    expect(header).toMatchObject({ alg: 'PBES2-HS512+A256KW', enc: 'A256GCM', p2c: SEAL_ITERATIONS });
    expect(SEAL_ITERATIONS).toBeGreaterThanOrEqual(210_000);
    expect(Buffer.from(header.p2s as string, 'base64url')).toHaveLength(16);

    const restored = await KeySet.fromJson(await openSealedJson(sealed, 'correct horse battery staple'));
    expect(restored.toPrivateJson()).toEqual(keys.toPrivateJson());
  });

  it('uses a fresh salt each time', async () => {
    const [a, b] = await Promise.all([sealJson({ x: 1 }, 'pw', FAST), sealJson({ x: 1 }, 'pw', FAST)]);
    expect(headerOf(a).p2s).not.toBe(headerOf(b).p2s);
  });

  it('is a standard JWE: panva jose opens it with the passphrase', async () => {
    const sealed = await sealJson({ hello: 'world' }, 'pässwörd', FAST);
    const { plaintext } = await compactDecrypt(sealed, new TextEncoder().encode('pässwörd'), {
      keyManagementAlgorithms: ['PBES2-HS512+A256KW'],
    });
    expect(JSON.parse(Buffer.from(plaintext).toString())).toEqual({ hello: 'world' });
  });

  it.each([
    { given: 'a wrong passphrase', make: (s: string) => s, passphrase: 'wrong' },
    { given: 'a passphrase differing in case', make: (s: string) => s, passphrase: 'Secret' },
    { given: 'a tampered ciphertext', make: (s: string) => flipBit(s, 3) },
    { given: 'a tampered wrapped key', make: (s: string) => flipBit(s, 1) },
    { given: 'a lowered p2c', make: (s: string) => withHeader(s, (h) => ({ ...h, p2c: 10 })) },
    { given: 'an enormous p2c', make: (s: string) => withHeader(s, (h) => ({ ...h, p2c: 1e12 })) },
    { given: 'another alg', make: (s: string) => withHeader(s, (h) => ({ ...h, alg: 'dir' })) },
    { given: 'garbage', make: () => 'not a jwe' },
  ])('refuses $given with keystore_locked', async ({ make, passphrase = 'secret' }) => {
    const sealed = make(await sealJson({ d: 'private' }, 'secret', FAST));
    expect(await codeOf(() => openSealedJson(sealed, passphrase))).toBe('keystore_locked');
  });

  it('refuses an iteration count below 1,000 and an empty passphrase', async () => {
    await expect(sealJson({}, 'pw', { iterations: 999 })).rejects.toThrow(TypeError);
    await expect(sealJson({}, '', FAST)).rejects.toThrow(TypeError);
  });
});
