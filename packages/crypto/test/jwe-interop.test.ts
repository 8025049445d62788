import { CompactEncrypt, compactDecrypt, importJWK } from 'jose';
import { JWE, JWK } from 'node-jose';
import { KeySet, decryptJson, encryptCompact, type JweAlgorithm, type Jwk } from '../src';
import { CARD, nowSeconds } from './helpers';

// panva `jose` is an independent implementation: agreeing with it in both directions shows
// the hand-written node:crypto JWE is standard RFC 7516, not merely self-consistent.

const ALGS: JweAlgorithm[] = ['RSA-OAEP-256', 'RSA-OAEP', 'ECDH-ES+A256KW', 'A256GCMKW'];

let keys: KeySet;
const privateJwk = {} as Record<JweAlgorithm, Jwk>;
const recipient = {} as Record<JweAlgorithm, Jwk>;

beforeAll(async () => {
  keys = KeySet.create();
  await keys.generate('RSA-OAEP-256', { kid: 'RSA-OAEP-256' });
  await keys.generate('ECDH-ES+A256KW', { kid: 'ECDH-ES+A256KW' });
  await keys.generate('A256GCMKW', { kid: 'A256GCMKW' });
  const rsa = keys.toPrivateJson().keys.find((k) => k.kid === 'RSA-OAEP-256')!;
  await keys.add({ ...rsa, kid: 'RSA-OAEP', alg: 'RSA-OAEP' });
  for (const alg of ALGS) {
    privateJwk[alg] = keys.toPrivateJson().keys.find((k) => k.kid === alg)!;
    recipient[alg] = alg === 'A256GCMKW' ? privateJwk[alg] : keys.get(alg).toPublicJwk();
  }
});

describe('JWE interop with panva jose', () => {
  it.each(ALGS)('jose decrypts what we encrypt with %s', async (alg) => {
    const jwe = await encryptCompact(CARD, recipient[alg], { alg, extraHeaders: { cty: 'json' } });
    const key = await importJWK({ ...privateJwk[alg], alg } as never, alg);
    const { plaintext, protectedHeader } = await compactDecrypt(jwe, key, {
      keyManagementAlgorithms: [alg],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    expect(JSON.parse(Buffer.from(plaintext).toString())).toEqual(CARD);
    expect(protectedHeader).toMatchObject({ alg, enc: 'A256GCM', kid: alg, cty: 'json' });
    expect(typeof protectedHeader.iat).toBe('number');
  });

  it.each(ALGS)('we decrypt what jose encrypts with %s', async (alg) => {
    const key = await importJWK(recipient[alg] as never, alg);
    const jwe = await new CompactEncrypt(Buffer.from(JSON.stringify(CARD)))
      .setProtectedHeader({ alg, enc: 'A256GCM', kid: alg, iat: nowSeconds() })
      .encrypt(key);
    const { value, header } = await decryptJson(jwe, keys, { algorithms: [alg], maxAgeSeconds: 60 });
    expect(value).toEqual(CARD);
    expect(header.kid).toBe(alg);
  });

  it('agrees with jose on ECDH-ES+A256KW party info (apu / apv) in both directions', async () => {
    const apu = Buffer.from('Alice').toString('base64url');
    const apv = Buffer.from('Bob').toString('base64url');
    const fromJose = await new CompactEncrypt(Buffer.from('"party"'))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: 'ECDH-ES+A256KW', iat: nowSeconds() })
      .setKeyManagementParameters({ apu: Buffer.from('Alice'), apv: Buffer.from('Bob') })
      .encrypt(await importJWK(recipient['ECDH-ES+A256KW'] as never, 'ECDH-ES+A256KW'));
    const { value, header } = await decryptJson(fromJose, keys, { algorithms: ['ECDH-ES+A256KW'] });
    expect(value).toBe('party');
    expect(header).toMatchObject({ apu, apv });

    const ours = await encryptCompact('"party"', recipient['ECDH-ES+A256KW'], { alg: 'ECDH-ES+A256KW', extraHeaders: { apu, apv } });
    const key = await importJWK({ ...privateJwk['ECDH-ES+A256KW'] } as never, 'ECDH-ES+A256KW');
    const { plaintext } = await compactDecrypt(ours, key);
    expect(Buffer.from(plaintext).toString()).toBe('"party"');
  });
});

// node-jose runs these algorithms itself (partly in pure JS): the second independent check.
describe('JWE interop with node-jose', () => {
  it.each(ALGS)('node-jose decrypts what we encrypt with %s', async (alg) => {
    const jwe = await encryptCompact(CARD, recipient[alg], { alg });
    const key = await JWK.asKey(privateJwk[alg]);
    const { plaintext } = await JWE.createDecrypt(key).decrypt(jwe);
    expect(JSON.parse(plaintext.toString())).toEqual(CARD);
  });

  it.each(ALGS)('we decrypt what node-jose encrypts with %s', async (alg) => {
    const key = await JWK.asKey(recipient[alg]);
    const jwe = await JWE.createEncrypt({ format: 'compact', contentAlg: 'A256GCM', fields: { alg, kid: alg, iat: nowSeconds() } }, key)
      .update(JSON.stringify(CARD))
      .final();
    const { value } = await decryptJson(jwe, keys, { algorithms: [alg] });
    expect(value).toEqual(CARD);
  });
});
