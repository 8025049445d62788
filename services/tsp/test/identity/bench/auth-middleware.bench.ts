/**
 * Cost of the access-control middleware per request, without HTTP: bearer verification
 * (`authenticate` → createJwtVerifier + registry checks), the contract scope check and the
 * in-memory rate limiter. Run: `pnpm --filter @opentsp/tsp exec tsx test/identity/bench/auth-middleware.bench.ts`.
 * Results are recorded in docs/access-control.md.
 */
import type { NextFunction, Request, Response } from 'express';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { createAccessTokens } from '../../../src/domain/identity/access-tokens';
import type { Client } from '../../../src/domain/identity/records';
import { RegistryCache } from '../../../src/domain/identity/registry';
import { authenticate } from '../../../src/http/auth';
import { enforceContractSecurity } from '../../../src/http/contract-security';
import { createEphemeralKeyRing } from '../../../src/vault/tsp-key-ring';

function perCall(label: string, n: number, fn: (i: number) => void): void {
  for (let i = 0; i < Math.min(n, 1000); i++) fn(i); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - start) / n;
  process.stdout.write(`${label.padEnd(58)} ${(ns / 1000).toFixed(2).padStart(8)} µs/call  ${Math.round(1e9 / ns).toLocaleString('en').padStart(11)} /s\n`);
}

async function main(): Promise<void> {
  const client: Client = {
    clientId: 'cli_bench000000000000001',
    role: 'acquirer',
    name: 'Bench',
    status: 'active',
    scopes: ['detokenize'],
    merchantIds: ['m-1'],
    tokenEndpointAuthMethod: 'client_secret_basic',
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
  };
  const registry = new RegistryCache();
  registry.replaceAll([client], []);
  const tokens = createAccessTokens({ keyRing: await createEphemeralKeyRing(), issuer: 'https://tsp.example', ttlSeconds: 900, registry });
  const token = tokens.issue(client, ['detokenize']).accessToken;
  const fresh = Array.from({ length: 3000 }, () => tokens.issue(client, ['detokenize']).accessToken);

  perCall('authenticate: token seen before (the common case)', 500_000, () => tokens.authenticator.authenticate(token));
  perCall('authenticate: first sight of a token (ECDSA P-256 verify)', fresh.length - 1000, (i) => tokens.authenticator.authenticate(fresh[i + 1000] as string));

  const authMiddleware = authenticate(tokens.authenticator);
  const security = enforceContractSecurity();
  const operation = { operationId: 'detokenize', security: [{ oauth2: ['detokenize'] }, { bearerAuth: ['detokenize'] }] };
  const req = { get: () => `Bearer ${token}`, openapi: { schema: operation } } as unknown as Request;
  const res = { locals: {}, setHeader: () => undefined } as unknown as Response;
  const next: NextFunction = () => undefined;
  perCall('authenticate + contract scope check (Express middlewares)', 500_000, () => {
    authMiddleware(req, res, next);
    security(req, res, next);
  });

  const limiter = new RateLimiterMemory({ points: 1e9, duration: 1 });
  const n = 200_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await limiter.consume('cli_bench000000000000001');
  const ns = Number(process.hrtime.bigint() - start) / n;
  process.stdout.write(`${'rate limit, hot class (RateLimiterMemory.consume, awaited)'.padEnd(58)} ${(ns / 1000).toFixed(2).padStart(8)} µs/call  ${Math.round(1e9 / ns).toLocaleString('en').padStart(11)} /s\n`);
}

void main();
