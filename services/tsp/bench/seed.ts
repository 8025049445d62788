import { randomBytes } from 'node:crypto';
import { testPan } from '@opentsp/card';
import type { Services } from '../src/compose';
import type { AdminContext } from '../src/domain/identity';
import { SANDBOX_ISSUER_CARD_KEY } from '../src/domain/identity/sandbox-bootstrap';
import { tokensRepository } from '../src/store/tokens.repository';

export const BENCH = {
  cardBin: '621299',
  tokenBin: '629988',
  merchantId: '898310048160001',
  walletAccountId: 'bench-wallet-account',
} as const;

export interface SeededParties {
  issuerId: string;
  issuerClient: { clientId: string; clientSecret: string };
  wallet: { clientId: string; clientSecret: string; trid: string };
  acquirer: { clientId: string; clientSecret: string };
}

const ACTOR: AdminContext = { actor: { type: 'cli' } };

/** A Luhn-valid test PAN in the bench card BIN, unique per `n`. */
export function benchPan(n: number): string {
  return testPan({ prefix: BENCH.cardBin, serial: n });
}

/** Registers the bench's issuer (with its issuer-sim decision URLs), wallet and acquirer. */
export async function seedParties(services: Services, issuerSimUrl: string): Promise<SeededParties> {
  const issuer = await services.identity.issuers.create(ACTOR, {
    name: 'Bench Bank',
    country: 'CN',
    cardBinRanges: [{ prefix: BENCH.cardBin, panLength: 16 }],
    tokenBinRanges: [{ prefix: BENCH.tokenBin, tokenLength: 16 }],
    decisionUrl: `${issuerSimUrl}/decisions`,
    otpDeliveryUrl: `${issuerSimUrl}/otp-deliveries`,
    // The issuer-sim's card-data key: every provisioning pays the JWE of PAN, expiry and CVV2 to it.
    jwks: { keys: [SANDBOX_ISSUER_CARD_KEY] },
    standInDecision: 'approve',
  });
  const make = (input: Parameters<Services['identity']['clients']['create']>[1]) => services.identity.clients.create(ACTOR, input);
  const issuerClient = await make({ role: 'issuer', name: 'Bench Bank app', issuerId: issuer.issuerId, tokenEndpointAuthMethod: 'client_secret_basic' });
  const wallet = await make({
    role: 'wallet',
    name: 'Bench Wallet',
    tokenEndpointAuthMethod: 'client_secret_basic',
    appUri: 'benchwallet://add-card',
  });
  const acquirer = await make({
    role: 'acquirer',
    name: 'Bench Acquirer',
    tokenEndpointAuthMethod: 'client_secret_basic',
    merchantIds: [BENCH.merchantId],
    responseEncryption: { alg: 'A256GCMKW' },
  });
  return {
    issuerId: issuer.issuerId,
    issuerClient: { clientId: issuerClient.client.clientId, clientSecret: issuerClient.clientSecret ?? '' },
    wallet: { clientId: wallet.client.clientId, clientSecret: wallet.clientSecret ?? '', trid: wallet.client.trid ?? '' },
    acquirer: { clientId: acquirer.client.clientId, clientSecret: acquirer.clientSecret ?? '' },
  };
}

/**
 * The documented bulk path (docs/benchmarks.md): cards stored through the vault and ACTIVE
 * tokens inserted through the tokens repository, in transactions of `batch`, `parallel` at a
 * time — the same code the API runs, without HTTP, issuer round trips or webhooks.
 */
export async function seedTokens(
  services: Services,
  parties: SeededParties,
  count: number,
  onProgress: (done: number) => void,
  batch = 250,
  parallel = 4,
): Promise<Array<{ tokenRef: string; tokenPan: string; cardRef: string }>> {
  const tokens: Array<{ tokenRef: string; tokenPan: string; cardRef: string }> = [];
  const cardRanges = services.identity.registry.allCardBinRanges();
  let next = 0;
  const worker = async () => {
    for (;;) {
      const start = next;
      next += batch;
      if (start >= count) return;
      const end = Math.min(count, start + batch);
      await services.uow.transaction(async (tx) => {
        for (let n = start; n < end; n++) {
          const card = await services.vault.cards.storeCard(tx, { issuerId: parties.issuerId, pan: benchPan(n), expMonth: 12, expYear: 2031 });
          const tokenPan = await services.vault.tokenNumbers.allocate(tx, { prefix: BENCH.tokenBin, tokenLength: 16 }, cardRanges);
          const tokenRef = `tok_${randomBytes(12).toString('hex')}`;
          await tokensRepository.insert(tx, {
            tokenRef,
            tokenPan,
            tokenExpiry: { month: 12, year: 2030 },
            cardRef: card.cardRef,
            issuerId: parties.issuerId,
            trid: parties.wallet.trid,
            requestorClientId: parties.wallet.clientId,
            walletAccountId: `${BENCH.walletAccountId}-${n % 1000}`,
            status: 'ACTIVE',
            assuranceMethod: '13',
            tokenLocation: '02',
            channels: ['nfc', 'in_app'],
            par: card.par,
          });
          tokens.push({ tokenRef, tokenPan, cardRef: card.cardRef });
        }
      });
      onProgress(tokens.length);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return tokens;
}
