/**
 * Throughput of the JOSE operations, ours next to node-jose doing the same job, one core.
 * Not a test: run by hand when changing jwe.ts / jws.ts / jwt.ts and copy the numbers into
 * their comments.
 *
 *   cd /work/main && pnpm exec tsx packages/crypto/test/bench/jose-throughput.ts
 */
import { JWE, JWK, JWS } from 'node-jose';
import { KeySet, createJwtVerifier, decryptCompact, encryptCompact, signCompact, signJwt, verifyCompact } from '../../src';

async function rate(name: string, seconds: number, fn: () => unknown): Promise<void> {
  for (let i = 0; i < 20; i++) await fn();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(seconds * 1e9);
  let n = 0;
  while (process.hrtime.bigint() < deadline) {
    for (let i = 0; i < 10; i++) await fn();
    n += 10;
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${name.padEnd(44)} ${Math.round(n / elapsed).toLocaleString('en-US').padStart(9)}/s`);
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 1.5);
  const card = { pan: '4111111111111111', expMonth: 12, expYear: 2030, cvv2: '123' };

  const store = JWK.createKeyStore();
  const nodeJose = (alg: string) =>
    store.generate(alg === 'A256GCMKW' ? 'oct' : alg.startsWith('RSA') ? 'RSA' : 'EC', alg === 'A256GCMKW' ? 256 : alg.startsWith('RSA') ? 2048 : 'P-256', { alg, use: 'enc' });
  for (const alg of ['RSA-OAEP-256', 'ECDH-ES+A256KW', 'A256GCMKW']) {
    const key = await nodeJose(alg);
    const enc = () =>
      JWE.createEncrypt({ format: 'compact', contentAlg: 'A256GCM', fields: { alg, iat: 1 } }, key).update(JSON.stringify(card)).final();
    const jwe = await enc();
    const dec = JWE.createDecrypt(key);
    await rate(`node-jose ${alg} encrypt`, seconds, enc);
    await rate(`node-jose ${alg} decrypt`, seconds, () => dec.decrypt(jwe));
  }

  const keys = KeySet.create();
  for (const alg of ['RSA-OAEP-256', 'ECDH-ES+A256KW', 'A256GCMKW'] as const) {
    const key = await keys.generate(alg);
    const recipient = alg === 'A256GCMKW' ? key : key.toPublicJwk();
    const jwe = await encryptCompact(card, recipient, { alg });
    await rate(`ours ${alg} encrypt`, seconds, () => encryptCompact(card, recipient, { alg }));
    await rate(`ours ${alg} decrypt`, seconds, () => decryptCompact(jwe, keys, { algorithms: [alg] }));
  }

  const sig = await keys.generate('ES256');
  const jws = await signCompact(card, sig);
  await rate('ours (node-jose) ES256 JWS sign', seconds, () => signCompact(card, sig));
  await rate('ours (node-jose) ES256 JWS verify', seconds, () => verifyCompact(jws, keys));
  const ecSig = await store.generate('EC', 'P-256', { alg: 'ES256', use: 'sig' });
  const verifier = JWS.createVerify(ecSig, { algorithms: ['ES256'] });
  const nodeJoseJws = (await JWS.createSign({ format: 'compact' }, ecSig).update('x').final()) as unknown as string;
  await rate('node-jose ES256 JWS verify (direct)', seconds, () => verifier.verify(nodeJoseJws));

  const options = { issuer: 'https://tsp.test', audience: 'opentsp', expiresInSeconds: 900 };
  await rate('ours JWT sign (node:crypto)', seconds, () => signJwt({ sub: 'cli_1' }, sig, options));
  const token = signJwt({ sub: 'cli_1' }, sig, options);
  const base = { publicJwks: keys.toPublicJwks(), issuer: options.issuer, audience: 'opentsp', clockToleranceSeconds: 30 };
  const uncached = createJwtVerifier({ ...base, cacheSize: 0 });
  const cached = createJwtVerifier(base);
  await rate('ours JWT verify, first sight (node:crypto)', seconds, () => uncached.verify(token));
  await rate('ours JWT verify, token seen before', seconds, () => cached.verify(token));
}

void main();
