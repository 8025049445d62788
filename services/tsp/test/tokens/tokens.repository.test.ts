import { tokensRepository, type NewToken } from '../../src/store/tokens.repository';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';

function token(n: number, overrides: Partial<NewToken> = {}): NewToken {
  return {
    tokenRef: `tok_${String(n).padStart(20, '0')}`,
    tokenPan: `629900${String(n).padStart(10, '0')}`,
    tokenExpiry: { month: 12, year: 2030 },
    cardRef: `card_${String(n % 3).padStart(20, '0')}`,
    issuerId: 'iss_0000000000000001',
    trid: '40100000001',
    requestorClientId: 'cli_wallet',
    walletAccountId: 'wa-1',
    status: 'ACTIVE',
    assuranceMethod: '13',
    tokenLocation: '02',
    channels: ['nfc', 'in_app'],
    par: 'A'.repeat(29),
    ...overrides,
  };
}

describe('tokens repository', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    for (let n = 1; n <= 25; n++) await tokensRepository.insert(db.db, token(n));
    await tokensRepository.insert(db.db, token(99, { walletAccountId: 'wa-2' }));
    await tokensRepository.insert(db.db, token(98, { trid: '40100000002' }));
  });
  afterAll(async () => {
    await db.drop();
  });

  it('pages through a wallet list in a stable order, each token exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await tokensRepository.listForWallet(db.db, { trid: '40100000001', walletAccountId: 'wa-1' }, { limit: 7, cursor });
      seen.push(...page.rows.map((r) => r.token_ref));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
  });

  it('shows a wallet only its own requestor and account', async () => {
    const page = await tokensRepository.listForWallet(db.db, { trid: '40100000002', walletAccountId: 'wa-1' }, { limit: 50 });
    expect(page.rows.map((r) => r.token_ref)).toEqual([token(98).tokenRef]);
  });

  it('refuses a cursor from another list with cursor_invalid', async () => {
    const first = await tokensRepository.listForWallet(db.db, { trid: '40100000001', walletAccountId: 'wa-1' }, { limit: 2 });
    await expect(
      tokensRepository.listForCard(db.db, 'card_x', { limit: 2, cursor: first.nextCursor ?? undefined }),
    ).rejects.toMatchObject({ code: 'cursor_invalid' });
    await expect(
      tokensRepository.listForWallet(db.db, { trid: '40100000001', walletAccountId: 'wa-1' }, { limit: 2, cursor: 'garbage' }),
    ).rejects.toMatchObject({ code: 'cursor_invalid' });
  });

  it('changes status only from an allowed state, so concurrent changes cannot both win', async () => {
    const ref = token(1).tokenRef;
    const results = await Promise.all([
      tokensRepository.transition(db.db, ref, ['ACTIVE'], 'SUSPENDED', { reason: 'lost' }),
      tokensRepository.transition(db.db, ref, ['ACTIVE'], 'SUSPENDED', { reason: 'stolen' }),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const row = await tokensRepository.findByRef(db.db, ref);
    expect(row?.status).toBe('SUSPENDED');
  });

  it('refuses a second token with the same token PAN (unique index)', async () => {
    await expect(tokensRepository.insert(db.db, token(500, { tokenPan: token(2).tokenPan }))).rejects.toThrow(/unique|duplicate/i);
  });
});
