import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { testPan } from '@opentsp/card';
import type { AuditLog } from '../../audit/audit-log';
import type { Config } from '../../config';
import type { UnitOfWork } from '../../store/transaction';
import type { VaultServices } from '../../vault';
import type { AdminContext, IdentityServices } from '.';
import type { CreateClientRequest } from './clients';
import type { Client, Issuer } from './records';

/**
 * Sandbox bootstrap (DESIGN §7a): a sandbox TSP starts with one issuer, one wallet, one
 * acquirer and one admin, creating them if absent. Their credentials go to
 * `<dataDir>/sandbox.json` (mode 0600) and a banner on stdout. Idempotent across restarts:
 * credentials are kept in the file; when the file is gone but the clients exist, their secrets
 * are rotated (the old ones revoked) and the file rewritten.
 *
 * The banner never prints the test card numbers: they are PAN-shaped and belong only in the file.
 * `registerDemoCards` puts those test cards in the vault, so the console's demo can name them
 * by `cardRef` and last four, never by number.
 */
export interface SandboxClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface SandboxCredentials {
  issuer: SandboxClientCredentials & {
    issuerId: string;
    cardBinRange: Issuer['cardBinRanges'][number];
    tokenBinRange: Issuer['tokenBinRanges'][number];
    /** Luhn-valid PANs in the card BIN range; the issuer simulator decides on the last four. */
    testCards: { approve: string; stepUp: string; decline: string };
    /** The same cards with the expiry and CVV2 the issuer simulator checks them against. */
    testCardDetails: Record<'approve' | 'stepUp' | 'decline', TestCardDetails>;
  };
  wallet: SandboxClientCredentials & { trid: string };
  acquirer: SandboxClientCredentials & { merchantIds: string[]; responseEncryptionKey?: unknown };
  admin: SandboxClientCredentials;
}

export interface TestCardDetails {
  pan: string;
  expMonth: number;
  expYear: number;
  cvv2: string;
}

/** What the issuer simulator's card records hold for every sandbox test card (services/issuer-sim/src/card-records.ts). */
const TEST_CARD = { expMonth: 12, expYear: 2031, cvv2: '123' } as const;

/**
 * The issuer simulator's sandbox card-data key (public half of services/issuer-sim/src/
 * sandbox-card-key.ts; test/e2e/provisioning-card-verification.test.ts checks they match),
 * registered as the Sandbox Bank's `enc` key: the TSP encrypts PAN, expiry and CVV2 to it in
 * token activation requests, so the simulated bank verifies them as a real one does.
 */
export const SANDBOX_ISSUER_CARD_KEY = {
  kty: 'RSA',
  n: 'v3MPzexGh0woHJdetjoFudzdsE5BtsB8ADdGwJKQGF99157XJqVNzD3VMn-jc-YMhqqc1lazmSopec_z85Rl5QCvL2IvqdL7k3NlYv4G9AXeRdWWYcxG54afFouIYZfr0iajoCyC6wbGZFkdsMal5i3Fpxy2ZYtQZfA7oOQ5F_WD3JsF5t7mAL6msQkRbFlQBbp6nMKNqKZ3-bHY7U8bthUrBcPVBjTxIiBfj5xlefiPjvnrAN0Bkc7Dr2SkWfGUSfMtK9wjw7vi_03C16r7hBANBzzbSVmCvx3vQ2_W0Xluntp3ppKTVE2DMxxVZpYek49gI9zKxmnmFDZFn59Vqw',
  e: 'AQAB',
  kid: 'issuer-sim-sandbox-enc-1',
  use: 'enc',
  alg: 'RSA-OAEP-256',
} as const;

const NAMES = { issuer: 'Sandbox Bank', wallet: 'Sandbox Wallet', acquirer: 'Sandbox Acquirer', admin: 'Sandbox Admin' } as const;
const CARD_BIN = { prefix: '621234', panLength: 16 };
const TOKEN_BIN = { prefix: '628812', tokenLength: 16 };
const MERCHANT_IDS = ['898310048160001'];
const SYSTEM: AdminContext = { actor: { type: 'system' } };

/** A Luhn-valid 16-digit PAN in the sandbox card BIN whose last four start with `lastDigits` (the issuer simulator's SANDBOX_CARDS are the same numbers). */
function sandboxCardPan(lastDigits: string): string {
  return testPan({ prefix: `${CARD_BIN.prefix}100001`, suffix: lastDigits, length: CARD_BIN.panLength });
}

async function readSandboxFile(file: string): Promise<Partial<SandboxCredentials>> {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Partial<SandboxCredentials>;
  } catch {
    return {};
  }
}

/** Where the sandbox bank answers: the issuer simulator `opentsp serve --sandbox` runs on a free port. */
export interface SandboxIssuerEndpoints {
  decisionUrl: string;
  otpDeliveryUrl: string;
}

/**
 * Creates (or finds) the sandbox parties, writes sandbox.json and prints the banner. With
 * `issuerEndpoints`, the sandbox bank's decision and OTP URLs are set to them (the simulator's
 * port changes at every start); without, a new bank points at a simulator started by hand on 8090.
 */
export async function bootstrapSandbox(
  identity: IdentityServices,
  config: Config,
  print: (text: string) => void = (text) => process.stdout.write(text),
  issuerEndpoints?: SandboxIssuerEndpoints,
): Promise<SandboxCredentials> {
  await identity.refreshRegistry();
  const file = path.join(config.dataDir, 'sandbox.json');
  const saved = await readSandboxFile(file);

  const found = (await identity.issuers.list({ limit: 200 })).data.find((i) => i.name === NAMES.issuer);
  const moved = found && issuerEndpoints && (found.decisionUrl !== issuerEndpoints.decisionUrl || found.otpDeliveryUrl !== issuerEndpoints.otpDeliveryUrl);
  const issuer = (moved ? await identity.issuers.update(SYSTEM, found.issuerId, { ...issuerEndpoints }) : found)
    ?? (await identity.issuers.create(SYSTEM, {
      name: NAMES.issuer,
      country: 'CN',
      cardBinRanges: [CARD_BIN],
      tokenBinRanges: [TOKEN_BIN],
      standInDecision: 'step_up',
      decisionUrl: 'http://127.0.0.1:8090/decisions',
      otpDeliveryUrl: 'http://127.0.0.1:8090/otp-deliveries',
      jwks: { keys: [SANDBOX_ISSUER_CARD_KEY] },
      ...issuerEndpoints,
    }));
  // A sandbox made before card verification: register the simulator's key on the existing issuer.
  if (!issuer.jwks?.keys.some((k) => k.use === 'enc')) {
    await identity.issuers.update(SYSTEM, issuer.issuerId, { jwks: { keys: [...(issuer.jwks?.keys ?? []), SANDBOX_ISSUER_CARD_KEY] } });
  }

  /** The named client with its secret: kept from the file, rotated, or newly created. */
  const ensure = async (
    request: CreateClientRequest,
    savedEntry: Partial<SandboxClientCredentials> | undefined,
  ): Promise<{ client: Client; secret: string; responseEncryptionKey?: unknown }> => {
    const existing = (await identity.clients.list({ role: request.role, limit: 200 })).data.find((c) => c.name === request.name);
    if (existing) {
      if (savedEntry?.clientId === existing.clientId && savedEntry.clientSecret) return { client: existing, secret: savedEntry.clientSecret };
      const rotation = await identity.clients.rotateSecret(SYSTEM, existing.clientId, 0);
      return { client: existing, secret: rotation.clientSecret };
    }
    const created = await identity.clients.create(SYSTEM, request);
    return { client: created.client, secret: created.clientSecret ?? '', responseEncryptionKey: created.responseEncryptionKey };
  };

  const basic = { tokenEndpointAuthMethod: 'client_secret_basic' } as const;
  const bank = await ensure({ ...basic, role: 'issuer', name: NAMES.issuer, issuerId: issuer.issuerId }, saved.issuer);
  const wallet = await ensure(
    { ...basic, role: 'wallet', name: NAMES.wallet, appUri: 'opentspwallet://push', webUri: 'http://localhost:8080/console/wallet' },
    saved.wallet,
  );
  const acquirer = await ensure(
    { ...basic, role: 'acquirer', name: NAMES.acquirer, merchantIds: MERCHANT_IDS, responseEncryption: { alg: 'A256GCMKW' } },
    saved.acquirer,
  );
  const admin = await ensure({ ...basic, role: 'admin', name: NAMES.admin }, saved.admin);

  const responseKey = acquirer.responseEncryptionKey ?? (saved.acquirer?.clientId === acquirer.client.clientId ? saved.acquirer.responseEncryptionKey : undefined);
  const credentials: SandboxCredentials = {
    issuer: {
      clientId: bank.client.clientId,
      clientSecret: bank.secret,
      issuerId: issuer.issuerId,
      cardBinRange: issuer.cardBinRanges[0] ?? CARD_BIN,
      tokenBinRange: issuer.tokenBinRanges[0] ?? TOKEN_BIN,
      testCards: { approve: sandboxCardPan('234'), stepUp: sandboxCardPan('111'), decline: sandboxCardPan('000') },
      testCardDetails: {
        approve: { pan: sandboxCardPan('234'), ...TEST_CARD },
        stepUp: { pan: sandboxCardPan('111'), ...TEST_CARD },
        decline: { pan: sandboxCardPan('000'), ...TEST_CARD },
      },
    },
    wallet: { clientId: wallet.client.clientId, clientSecret: wallet.secret, trid: wallet.client.trid ?? '' },
    acquirer: {
      clientId: acquirer.client.clientId,
      clientSecret: acquirer.secret,
      merchantIds: acquirer.client.merchantIds ?? MERCHANT_IDS,
      ...(responseKey ? { responseEncryptionKey: responseKey } : {}),
    },
    admin: { clientId: admin.client.clientId, clientSecret: admin.secret },
  };
  await mkdir(config.dataDir, { recursive: true });
  await writeFile(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  print(banner(credentials, config.publicUrl, file));
  return credentials;
}

/** A sandbox test card as the console shows it: in the vault, named without its number. */
export interface DemoCard {
  cardRef: string;
  panLast4: string;
  expiry: { month: number; year: number };
  /** What the issuer simulator decides for it on wallet provisioning (by its last four). */
  outcome: 'approve' | 'step_up' | 'decline';
}

export interface DemoCardDependencies {
  uow: UnitOfWork;
  vault: Pick<VaultServices, 'cards'>;
  audit: AuditLog;
}

/**
 * Stores the sandbox test cards in the vault under the sandbox bank, once: a card whose PAN is
 * already there (found by its keyed fingerprint) is returned as it is, so a restart neither
 * duplicates nor changes it (same `cardRef`, same expiry). A demo card deleted from the console
 * is crypto-shredded (no fingerprint left) and comes back as a new card at the next start.
 */
export async function registerDemoCards(deps: DemoCardDependencies, credentials: SandboxCredentials): Promise<DemoCard[]> {
  const { issuerId, testCards } = credentials.issuer;
  const wanted: Array<[DemoCard['outcome'], string]> = [['approve', testCards.approve], ['step_up', testCards.stepUp], ['decline', testCards.decline]];
  const cards: DemoCard[] = [];
  for (const [outcome, pan] of wanted) {
    const record = await deps.uow.transaction(async (tx) => {
      const existing = await deps.vault.cards.findByFingerprint(tx, pan);
      if (existing && existing.expMonth === TEST_CARD.expMonth && existing.expYear === TEST_CARD.expYear) return existing;
      if (existing) {
        // Stored by an older sandbox with another expiry: align it with the simulator's record,
        // or provisioning the test card with its documented expiry would fail verification.
        await deps.vault.cards.updateCard(tx, existing.cardRef, { expMonth: TEST_CARD.expMonth, expYear: TEST_CARD.expYear });
        await deps.audit.append(tx, { actor: SYSTEM.actor, action: 'card.update', subject: { type: 'card', id: existing.cardRef }, outcome: 'success', details: { issuerId, via: 'sandbox', fields: ['expMonth', 'expYear'] } });
        return deps.vault.cards.getCard(tx, existing.cardRef);
      }
      // storeCard dedupes by fingerprint under a lock, so two processes starting together store one card.
      // The expiry the issuer simulator holds (testCardDetails), so provisioning them verifies.
      const stored = await deps.vault.cards.storeCard(tx, { issuerId, pan, expMonth: TEST_CARD.expMonth, expYear: TEST_CARD.expYear });
      if (stored.created) {
        await deps.audit.append(tx, {
          actor: SYSTEM.actor,
          action: 'card.create',
          subject: { type: 'card', id: stored.cardRef },
          outcome: 'success',
          details: { issuerId, via: 'sandbox' },
        });
      }
      return deps.vault.cards.getCard(tx, stored.cardRef);
    });
    cards.push({ cardRef: record.cardRef, panLast4: record.panLast4, expiry: { month: record.expMonth, year: record.expYear }, outcome });
  }
  return cards;
}

function banner(c: SandboxCredentials, publicUrl: string, file: string): string {
  const range = `${c.issuer.tokenBinRange.prefix} (${c.issuer.tokenBinRange.tokenLength} digits)`;
  return [
    '',
    '  OpenTSP sandbox clients (also in ' + file + ', with test card numbers):',
    `    issuer    ${c.issuer.clientId}  secret ${c.issuer.clientSecret}  issuer ${c.issuer.issuerId}  token BIN ${range}`,
    `    wallet    ${c.wallet.clientId}  secret ${c.wallet.clientSecret}  TRID ${c.wallet.trid}`,
    `    acquirer  ${c.acquirer.clientId}  secret ${c.acquirer.clientSecret}`,
    `    admin     ${c.admin.clientId}  secret ${c.admin.clientSecret}`,
    '',
    `  Token console (sign in as the issuer or the admin; the demo page shows one-tap binding): ${publicUrl}/console/`,
    '',
    '  Next, get an access token for the wallet:',
    `    curl -s -u '${c.wallet.clientId}:${c.wallet.clientSecret}' -d grant_type=client_credentials ${publicUrl}/oauth2/token`,
    '',
    '',
  ].join('\n');
}
