import { sql } from 'kysely';
import { VaultError } from '../../src/vault';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';
import { testPan } from '@opentsp/card';

describe('records sealed under a card’s own data key (they die with the card)', () => {
  let tsp: TestTsp;
  beforeAll(async () => {
    tsp = await startTestTsp();
  });
  afterAll(async () => {
    await tsp.close();
  });

  const context = { purpose: 'idempotency', ownerRef: 'cli_x:key-1' };
  const store = (pan = testPan()) =>
    tsp.services.uow.transaction((tx) => tsp.services.vault.cards.storeCard(tx, { issuerId: 'iss_A', pan, expMonth: 12, expYear: 2030 }));
  const dekOf = async (cardRef: string) =>
    (await sql<{ dek_id: string }>`select dek_id from cards where card_ref = ${cardRef}`.execute(tsp.db.db)).rows[0]?.dek_id;

  it('seals under the card’s key and opens only for that card and that record', async () => {
    const card = await store();
    const other = await store();
    const { cardBound } = tsp.services.vault;
    const sealed = await cardBound.seal(tsp.db.db, card.cardRef, context, '{"encryptedCard":"x"}');
    expect(tsp.services.vault.envelope.dataKeyOf(sealed)).toBe(await dekOf(card.cardRef));
    expect((await cardBound.open(tsp.db.db, card.cardRef, sealed, context))?.text()).toBe('{"encryptedCard":"x"}');
    expect(await cardBound.open(tsp.db.db, other.cardRef, sealed, context)).toBeUndefined();
    await expect(cardBound.open(tsp.db.db, card.cardRef, sealed, { ...context, ownerRef: 'cli_x:key-2' })).rejects.toBeInstanceOf(VaultError);
  });

  it('cannot open a record once its card is deleted (crypto-shredded) or its PAN replaced', async () => {
    const { cardBound, cards } = tsp.services.vault;
    const deleted = await store();
    const sealedDeleted = await cardBound.seal(tsp.db.db, deleted.cardRef, context, 'answer');
    await tsp.services.uow.transaction((tx) => cards.shredCard(tx, deleted.cardRef));
    expect(await cardBound.open(tsp.db.db, deleted.cardRef, sealedDeleted, context)).toBeUndefined();
    await expect(tsp.services.uow.transaction((tx) => cardBound.seal(tx, deleted.cardRef, context, 'answer'))).rejects.toMatchObject({ code: 'card_not_found' });

    const reissued = await store();
    const sealedOld = await cardBound.seal(tsp.db.db, reissued.cardRef, context, 'answer');
    await tsp.services.uow.transaction((tx) => cards.updateCard(tx, reissued.cardRef, { pan: testPan() }));
    expect(await cardBound.open(tsp.db.db, reissued.cardRef, sealedOld, context)).toBeUndefined();
  });
});
