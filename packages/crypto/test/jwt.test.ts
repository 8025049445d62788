import { SignJWT, createLocalJWKSet, importJWK, jwtVerify } from 'jose';
import { KeySet, createJwtVerifier, signJwt, type JwtVerifier, type Key } from '../src';
import { atTime, codeOf, flipBit, headerOf, nowSeconds, withHeader } from './helpers';

const ISSUER = 'https://tsp.test';
const OPTIONS = { issuer: ISSUER, audience: 'opentsp', expiresInSeconds: 900 };

let keys: KeySet;
let sig: Key;
let verifier: JwtVerifier;

beforeAll(async () => {
  keys = KeySet.create();
  sig = await keys.generate('ES256', { kid: 'sig-1' });
  await keys.generate('ECDH-ES+A256KW', { kid: 'enc-1' });
});

beforeEach(() => {
  verifier = createJwtVerifier({ publicJwks: keys.toPublicJwks(), issuer: ISSUER, audience: 'opentsp', clockToleranceSeconds: 30 });
});

describe('signJwt / createJwtVerifier', () => {
  it('accepts a valid token and returns its claims, frozen', () => {
    const token = signJwt({ sub: 'cli_1', scope: 'tokens:write' }, { keySet: keys, kid: 'sig-1' }, { ...OPTIONS, typ: 'at+jwt', jti: true });
    expect(headerOf(token)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: 'sig-1' });
    const claims = verifier.verify(token);
    expect(claims).toMatchObject({ sub: 'cli_1', scope: 'tokens:write', iss: ISSUER, aud: 'opentsp' });
    expect(claims.exp - claims.iat!).toBe(900);
    expect(claims.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Object.isFrozen(claims)).toBe(true);
    expect(verifier.verify(token)).toBe(claims); // remembered
  });

  it('lets options override iss / exp / aud smuggled in the claims', () => {
    const token = signJwt({ iss: 'evil', exp: 9_999_999_999, aud: 'other' }, sig, OPTIONS);
    const claims = verifier.verify(token);
    expect(claims).toMatchObject({ iss: ISSUER, aud: 'opentsp' });
    expect(claims.exp).toBeLessThanOrEqual(nowSeconds() + 900);
  });

  it('accepts aud as an array containing the audience', () => {
    const token = signJwt({}, sig, { ...OPTIONS, audience: ['x', 'opentsp'] });
    expect(verifier.verify(token).aud).toEqual(['x', 'opentsp']);
  });

  it('is expired after exp + tolerance, also for a remembered token, but not before', async () => {
    const token = signJwt({}, sig, OPTIONS);
    verifier.verify(token);
    const start = nowSeconds();
    await atTime(start + 900 + 29, () => expect(verifier.verify(token).iss).toBe(ISSUER));
    await atTime(start + 900 + 31, async () => expect(await codeOf(() => verifier.verify(token))).toBe('jwt_expired'));
    const fresh = createJwtVerifier({ publicJwks: keys.toPublicJwks(), issuer: ISSUER, clockToleranceSeconds: 0, cacheSize: 0 });
    await atTime(start + 901, async () => expect(await codeOf(() => fresh.verify(token))).toBe('jwt_expired'));
  });

  const cases: { given: string; token: () => string | Promise<string>; want: 'jwt_invalid' | 'jwt_expired' }[] = [
    { given: 'a wrong issuer', token: () => signJwt({}, sig, { ...OPTIONS, issuer: 'https://other' }), want: 'jwt_invalid' },
    { given: 'a wrong audience', token: () => signJwt({}, sig, { ...OPTIONS, audience: 'other' }), want: 'jwt_invalid' },
    { given: 'no audience', token: () => signJwt({}, sig, { issuer: ISSUER, expiresInSeconds: 60 }), want: 'jwt_invalid' },
    { given: 'a tampered payload', token: () => flipBit(signJwt({ scope: 'read' }, sig, OPTIONS), 1, 3), want: 'jwt_invalid' },
    { given: 'a tampered signature', token: () => flipBit(signJwt({}, sig, OPTIONS), 2), want: 'jwt_invalid' },
    { given: 'an unknown kid', token: () => withHeader(signJwt({}, sig, OPTIONS), (h) => ({ ...h, kid: 'nope' })), want: 'jwt_invalid' },
    { given: 'the kid of an encryption key', token: () => withHeader(signJwt({}, sig, OPTIONS), (h) => ({ ...h, kid: 'enc-1' })), want: 'jwt_invalid' },
    { given: 'alg none', token: () => withHeader(signJwt({}, sig, OPTIONS), (h) => ({ ...h, alg: 'none' })).replace(/[^.]+$/, ''), want: 'jwt_invalid' },
    { given: 'alg HS256', token: () => withHeader(signJwt({}, sig, OPTIONS), (h) => ({ ...h, alg: 'HS256' })), want: 'jwt_invalid' },
    { given: 'an ES256 signature from another key with the same kid', token: async () => {
      const other = KeySet.create();
      return signJwt({}, await other.generate('ES256', { kid: 'sig-1' }), OPTIONS);
    }, want: 'jwt_invalid' },
    { given: 'an expired token with a forged signature', token: () => atTime(nowSeconds() - 3600, () => flipBit(signJwt({}, sig, OPTIONS), 2)), want: 'jwt_invalid' },
    { given: 'an expired token', token: () => atTime(nowSeconds() - 3600, () => signJwt({}, sig, OPTIONS)), want: 'jwt_expired' },
    { given: 'an iat in the future', token: () => atTime(nowSeconds() + 120, () => signJwt({}, sig, OPTIONS)), want: 'jwt_invalid' },
    { given: 'an nbf in the future', token: () => signJwt({ nbf: nowSeconds() + 120 }, sig, OPTIONS), want: 'jwt_invalid' },
    { given: 'not a JWT', token: () => 'abc', want: 'jwt_invalid' },
  ];

  it.each(cases)('rejects $given with $want', async ({ token, want }) => {
    const jwt = await token();
    expect(await codeOf(() => verifier.verify(jwt))).toBe(want);
  });

  it('rejects a token without exp', async () => {
    const key = await importJWK(keys.toPrivateJson().keys.find((k) => k.kid === 'sig-1') as never, 'ES256');
    const token = await new SignJWT({ aud: 'opentsp' }).setProtectedHeader({ alg: 'ES256', kid: 'sig-1' }).setIssuer(ISSUER).sign(key);
    expect(await codeOf(() => verifier.verify(token))).toBe('jwt_invalid');
  });

  it('follows key rotation with setKeys and forgets tokens of removed keys', async () => {
    const rotated = KeySet.create();
    const next = await rotated.generate('ES256', { kid: 'sig-2' });
    const oldToken = signJwt({}, sig, OPTIONS);
    verifier.verify(oldToken);
    verifier.setKeys(rotated.toPublicJwks());
    expect(verifier.verify(signJwt({}, next, OPTIONS)).iss).toBe(ISSUER);
    expect(await codeOf(() => verifier.verify(oldToken))).toBe('jwt_invalid');
  });
});

describe('explicit typing (RFC 8725 §3.11)', () => {
  it('accepts only the configured typ when one is set', async () => {
    const typed = createJwtVerifier({ publicJwks: keys.toPublicJwks(), issuer: ISSUER, typ: 'at+jwt', clockToleranceSeconds: 0 });
    expect(typed.verify(signJwt({}, sig, { ...OPTIONS, typ: 'at+jwt' })).iss).toBe(ISSUER);
    expect(typed.verify(signJwt({}, sig, { ...OPTIONS, typ: 'application/AT+JWT' })).iss).toBe(ISSUER);
    expect(await codeOf(() => typed.verify(signJwt({}, sig, OPTIONS)))).toBe('jwt_invalid');
  });
});

describe('JWT interop with panva jose', () => {
  it('jose verifies what we sign', async () => {
    const token = signJwt({ sub: 'cli_1' }, sig, OPTIONS);
    const { payload } = await jwtVerify(token, createLocalJWKSet(keys.toPublicJwks() as never), { issuer: ISSUER, audience: 'opentsp', algorithms: ['ES256'] });
    expect(payload.sub).toBe('cli_1');
  });

  it('we verify what jose signs (e.g. a private_key_jwt client assertion)', async () => {
    const key = await importJWK(keys.toPrivateJson().keys.find((k) => k.kid === 'sig-1') as never, 'ES256');
    const token = await new SignJWT({ sub: 'cli_1' })
      .setProtectedHeader({ alg: 'ES256', kid: 'sig-1' })
      .setIssuer(ISSUER).setAudience('opentsp').setIssuedAt().setExpirationTime('5m').setJti('j1')
      .sign(key);
    expect(verifier.verify(token)).toMatchObject({ sub: 'cli_1', jti: 'j1' });
  });
});
