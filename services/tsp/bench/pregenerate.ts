import { encryptCompact, type Jwk } from '@opentsp/crypto';
import type { Services } from '../src/compose';
import { benchPan, BENCH } from './seed';

/** POSTs with a small closed loop (setup only, not measured), collecting each JSON answer. */
export async function collect<T>(
  count: number,
  concurrency: number,
  send: (i: number) => Promise<Response>,
  onProgress?: (done: number) => void,
): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const res = await send(i);
      if (!res.ok) throw new Error(`setup request ${i} failed: ${res.status} ${await res.text()}`);
      results.push((await res.json()) as T);
      if (onProgress && results.length % 1000 === 0) onProgress(results.length);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

export async function accessToken(baseUrl: string, clientId: string, clientSecret: string): Promise<string> {
  const res = await fetch(`${baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  const json = (await res.json()) as { access_token?: string };
  if (!json.access_token) throw new Error(`token request failed: ${res.status}`);
  return json.access_token;
}

export const TRANSACTION = { amount: 1999, currency: 'CNY', merchantId: BENCH.merchantId, channel: 'nfc' as const };

/** Provisioning bodies: each a JWE of a new PAN to the TSP's RSA-OAEP-256 key, its own device. */
export async function provisioningBodies(baseUrl: string, from: number, count: number): Promise<string[]> {
  const jwks = (await (await fetch(`${baseUrl}/.well-known/jwks.json`)).json()) as { keys: Array<Jwk & { use?: string; alg?: string }> };
  const key = jwks.keys.find((k) => k.use === 'enc' && k.alg === 'RSA-OAEP-256');
  if (!key) throw new Error('the TSP publishes no RSA-OAEP-256 encryption key');
  const bodies: string[] = [];
  for (let n = from; bodies.length < count; n++) {
    // issuer-sim declines cards whose last four start `000` and steps up `111` (its rules):
    // skipped, so every body is an approval (the bench expects 201 ACTIVE).
    if (n % 1000 === 0 || n % 1000 === 111) continue;
    // With CVV2: the issuer-sim checks it (`123`, its cards' code) and approves; without, a step-up.
    const encryptedCard = await encryptCompact({ pan: benchPan(n), expMonth: 12, expYear: 2031, cvv2: '123' }, key, { alg: 'RSA-OAEP-256' });
    bodies.push(
      JSON.stringify({
        encryptedCard,
        walletAccountId: `bench-provision-${n}`,
        device: { id: `bench-device-${n}`, type: 'phone', os: 'android', score: 90 },
        tokenLocation: '02',
        channel: 'nfc',
      }),
    );
  }
  return bodies;
}

/**
 * Detokenize bodies, one fresh cryptogram each (each detokenization consumes its ATC), made
 * in-process through the payments service (the same code as the endpoint, no HTTP). Returns a
 * function giving the next body, and how many were handed out (more than made = replays).
 */
export async function detokenizeBodies(
  services: Services,
  wallet: { clientId: string; trid: string },
  tokens: ReadonlyArray<{ tokenRef: string }>,
  count: number,
): Promise<{ next: () => string; made: number; used: () => number }> {
  const principal = { clientId: wallet.clientId, role: 'wallet' as const, scopes: ['tokens:cryptogram' as const], trid: wallet.trid };
  const bodies: string[] = [];
  let i = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (i < count) {
        const token = tokens[i++ % tokens.length]!;
        const c = await services.payments.createPaymentCredentials(principal, token.tokenRef, TRANSACTION);
        bodies.push(JSON.stringify({ tokenPan: c.tokenPan, tokenExpiry: c.tokenExpiry, cryptogram: c.cryptogram, atc: c.atc, transaction: TRANSACTION }));
      }
    }),
  );
  let used = 0;
  return { next: () => bodies[used++ % bodies.length]!, made: bodies.length, used: () => used };
}
