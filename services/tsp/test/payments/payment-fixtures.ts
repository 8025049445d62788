import { randomInt } from 'node:crypto';
import { testPan } from '@opentsp/card';
import { tokensRepository } from '../../src/store/tokens.repository';
import type { Issuer } from '../../../../test/support/clients';
import type { TestTsp } from '../../../../test/support/tsp-harness';

/** A token in the database, made directly (the provisioning flow is another area's). */
export interface TokenFixture {
  tokenRef: string;
  tokenPan: string;
  tokenExpiry: { month: number; year: number };
  cardRef: string;
  par: string;
  pan: string;
}

export interface TokenOptions {
  trid: string;
  requestorClientId: string;
  status?: 'INACTIVE' | 'ACTIVE' | 'SUSPENDED' | 'DELETED';
  channels?: string[];
  merchantIds?: string[];
  tokenExpiry?: { month: number; year: number };
}

let tokenCount = 0;

/** A Luhn-valid 16-digit PAN in the issuer's first card BIN range. */
export function panIn(issuer: Issuer): string {
  return testPan({ prefix: issuer.cardBinRanges[0]!.prefix });
}

/** Stores a card in the vault and inserts a token for it, in one transaction. */
export async function createTokenFixture(tsp: TestTsp, issuer: Issuer, options: TokenOptions): Promise<TokenFixture> {
  const pan = panIn(issuer);
  const tokenExpiry = options.tokenExpiry ?? { month: 12, year: 2031 };
  tokenCount += 1;
  const tokenRef = `tok_payfixture${String(tokenCount).padStart(6, '0')}${randomInt(1e6)}`;
  return tsp.services.uow.transaction(async (tx) => {
    const card = await tsp.services.vault.cards.storeCard(tx, { issuerId: issuer.issuerId, pan, expMonth: 11, expYear: 2032 });
    const range = issuer.tokenBinRanges[0]!;
    const tokenPan = await tsp.services.vault.tokenNumbers.allocate(
      tx,
      { prefix: range.prefix, tokenLength: range.tokenLength },
      issuer.cardBinRanges.map((r) => ({ prefix: r.prefix, panLength: r.panLength })),
    );
    await tokensRepository.insert(tx, {
      tokenRef,
      tokenPan,
      tokenExpiry,
      cardRef: card.cardRef,
      issuerId: issuer.issuerId,
      trid: options.trid,
      requestorClientId: options.requestorClientId,
      walletAccountId: 'wa_payments',
      status: options.status ?? 'ACTIVE',
      assuranceMethod: '13',
      tokenLocation: '02',
      channels: options.channels ?? ['nfc', 'in_app', 'ecom'],
      ...(options.merchantIds ? { merchantIds: options.merchantIds } : {}),
      par: card.par,
    });
    return { tokenRef, tokenPan, tokenExpiry, cardRef: card.cardRef, par: card.par, pan };
  });
}

/** The audit entries written for one request (by its X-Request-Id), chained or not. */
export async function auditEntriesOf(tsp: TestTsp, requestId: string) {
  return tsp.db.db
    .selectFrom('audit_entries')
    .select(['action', 'outcome', 'subject_type', 'subject_id', 'details', 'actor'])
    .where('request_id', '=', requestId)
    .execute();
}
