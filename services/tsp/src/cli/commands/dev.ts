import type { Command } from 'commander';
import { encryptCompact, type Jwk, type Jwks } from '@opentsp/crypto';

interface EncryptCardOptions {
  pan: string;
  exp: string;
  jwksUrl: string;
  cvv2?: string;
  name?: string;
  alg: 'RSA-OAEP-256' | 'ECDH-ES+A256KW';
}

/**
 * Card data as the contract's `encryptedCard`: a compact JWE to the TSP's published `enc` key
 * (`kid`, `alg`, `enc` A256GCM and `iat` in the protected header; DESIGN §7a).
 */
export async function encryptCardForTsp(options: EncryptCardOptions, fetchImpl: typeof fetch = fetch): Promise<string> {
  const match = /^(0[1-9]|1[0-2])\/(20[0-9]{2})$/.exec(options.exp);
  if (!match) throw new Error('--exp must be MM/YYYY, e.g. 12/2030');
  if (!/^[0-9]{16,19}$/.test(options.pan)) throw new Error('--pan must be 16 to 19 digits');
  const res = await fetchImpl(options.jwksUrl);
  if (!res.ok) throw new Error(`cannot fetch the JWKS: HTTP ${res.status}`);
  const jwks = (await res.json()) as Jwks;
  const key = jwks.keys.find((k) => k.use === 'enc' && k.alg === options.alg) as Jwk | undefined;
  if (!key) throw new Error(`the JWKS has no ${options.alg} encryption key`);
  return encryptCompact(
    {
      pan: options.pan,
      expMonth: Number(match[1]),
      expYear: Number(match[2]),
      ...(options.cvv2 ? { cvv2: options.cvv2 } : {}),
      ...(options.name ? { cardholderName: options.name } : {}),
    },
    key,
    { alg: options.alg },
  );
}

/**
 * `opentsp dev …`: developer helpers for the sandbox (docs/api.md).
 * - `encrypt-card --pan … --exp MM/YYYY --jwks-url …` prints the `encryptedCard` JWE for a
 *   test card, so a provisioning walk-through works with curl alone. It only reads the public
 *   JWKS; the card data is given on the command line, so use test card numbers only.
 */
export function registerDevCommands(program: Command): void {
  const dev = program.command('dev').description('developer helpers for the sandbox');
  dev
    .command('encrypt-card')
    .description('print card data encrypted to the TSP (compact JWE) for POST /v1/tokens or /v1/issuer/cards')
    .requiredOption('--pan <digits>', 'test card number (16-19 digits)')
    .requiredOption('--exp <MM/YYYY>', 'expiry month and year')
    .requiredOption('--jwks-url <url>', 'the TSP JWKS, e.g. http://127.0.0.1:8080/.well-known/jwks.json')
    .option('--cvv2 <digits>', 'card security code')
    .option('--name <name>', 'cardholder name')
    .option('--alg <alg>', 'RSA-OAEP-256 or ECDH-ES+A256KW', 'ECDH-ES+A256KW')
    .action(async (options: EncryptCardOptions) => {
      if (options.alg !== 'RSA-OAEP-256' && options.alg !== 'ECDH-ES+A256KW') throw new Error('--alg must be RSA-OAEP-256 or ECDH-ES+A256KW');
      process.stdout.write(`${await encryptCardForTsp(options)}\n`);
    });
}
