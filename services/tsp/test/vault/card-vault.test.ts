import { Kysely, PostgresDialect, sql } from 'kysely';
import { tokenPorts } from '../../src/composition/tokens';
import { translateCardOwnership } from '../../src/domain/tokens/ports';
import { NotFoundError, type TspError } from '../../src/errors';
import type { Database } from '../../src/store/schema';
import { CardOfAnotherIssuerError, Pan, VaultError } from '../../src/vault';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';
import { testPan } from '@opentsp/card';

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return (err as TspError).code;
  }
}

describe('card vault', () => {
  let tsp: TestTsp;
  beforeAll(async () => {
    tsp = await startTestTsp();
  });
  afterAll(async () => {
    await tsp.close();
  });

  const store = (pan: string, extra: { issuerId?: string; expYear?: number; cardholderName?: string } = {}) =>
    tsp.services.uow.transaction((tx) =>
      tsp.services.vault.cards.storeCard(tx, { issuerId: extra.issuerId ?? 'iss_A', pan, expMonth: 12, expYear: extra.expYear ?? 2030, cardholderName: extra.cardholderName }),
    );

  it('stores a card and reads it back: PAN, expiry and name, with PAR and last four digits', async () => {
    const pan = testPan();
    const stored = await store(pan, { cardholderName: 'ZHANG WEI' });
    expect(stored).toMatchObject({ created: true, panLast4: pan.slice(-4), par: expect.stringMatching(/^T401[A-Z0-9]{25}$/) });
    expect(stored.cardRef).toMatch(/^card_[A-Za-z0-9]{20}$/);
    const card = await tsp.services.vault.cards.readCard(tsp.db.db, stored.cardRef);
    expect(card.pan.reveal()).toBe(pan);
    expect(card).toMatchObject({ cardRef: stored.cardRef, issuerId: 'iss_A', expMonth: 12, expYear: 2030, cardholderName: 'ZHANG WEI' });
    expect(stored.par).toBe(tsp.services.vault.fingerprints.par(Pan.of(pan)));
  });

  it('dedupes by fingerprint: the same PAN is the same card, its expiry updated', async () => {
    const pan = testPan();
    const first = await store(pan);
    const second = await store(pan, { expYear: 2031 });
    expect(second).toEqual({ ...first, created: false });
    expect((await tsp.services.vault.cards.getCard(tsp.db.db, first.cardRef)).expYear).toBe(2031);
    expect((await tsp.services.vault.cards.findByFingerprint(tsp.db.db, pan))?.cardRef).toBe(first.cardRef);
  });

  it('stores one card when the same PAN arrives in five concurrent transactions', async () => {
    const pan = testPan();
    const results = await Promise.all(Array.from({ length: 5 }, () => store(pan)));
    expect(new Set(results.map((r) => r.cardRef)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from data_keys where owner_ref = ${results[0]?.cardRef}`.execute(tsp.db.db);
    expect(rows[0]?.n).toBe(1);
  });

  it('refuses a PAN already vaulted for another issuer with its own error (the domain answers cross_tenant_access)', async () => {
    const pan = testPan();
    await store(pan);
    await expect(store(pan, { issuerId: 'iss_B' })).rejects.toBeInstanceOf(CardOfAnotherIssuerError);
  });

  it('the tokens area answers the vault\'s refusal of another issuer\'s card as cross_tenant_access', async () => {
    const pan = testPan();
    await store(pan);
    const ports = translateCardOwnership(tokenPorts(tsp.services));
    const refused = tsp.services.uow.transaction((tx) => ports.cards.storeCard(tx, { issuerId: 'iss_B', pan: Pan.of(pan), expMonth: 12, expYear: 2030 }));
    expect(await codeOf(refused)).toBe('cross_tenant_access');
  });

  it('gives a new card the reference its caller announced, and keeps an existing card\'s', async () => {
    const pan = testPan();
    const announced = 'card_AnnouncedToTheIssuer01';
    const first = await tsp.services.uow.transaction((tx) =>
      tsp.services.vault.cards.storeCard(tx, { issuerId: 'iss_A', pan, expMonth: 12, expYear: 2030, cardRef: announced }),
    );
    expect(first).toMatchObject({ cardRef: announced, created: true });
    const again = await tsp.services.uow.transaction((tx) =>
      tsp.services.vault.cards.storeCard(tx, { issuerId: 'iss_A', pan, expMonth: 12, expYear: 2030, cardRef: 'card_SomeOtherReference01' }),
    );
    expect(again).toMatchObject({ cardRef: announced, created: false });
  });

  it('answers an unknown card with card_not_found', async () => {
    const error = await tsp.services.vault.cards.readCard(tsp.db.db, 'card_doesnotexist00000').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).code).toBe('card_not_found');
  });

  it('binds each ciphertext to its row: another card\'s ciphertext, or a flipped bit, does not decrypt', async () => {
    const a = await store(testPan());
    const b = await store(testPan());
    await sql`update cards set ciphertext = (select ciphertext from cards where card_ref = ${a.cardRef}),
      dek_id = (select dek_id from cards where card_ref = ${a.cardRef}) where card_ref = ${b.cardRef}`.execute(tsp.db.db);
    const moved = await tsp.services.vault.cards.readCard(tsp.db.db, b.cardRef).catch((e: unknown) => e);
    expect(moved).toBeInstanceOf(VaultError);
    await sql`update cards set ciphertext = set_byte(ciphertext, 20, get_byte(ciphertext, 20) # 1) where card_ref = ${a.cardRef}`.execute(tsp.db.db);
    const flipped = await tsp.services.vault.cards.readCard(tsp.db.db, a.cardRef).catch((e: unknown) => e);
    expect(flipped).toBeInstanceOf(VaultError);
    // One generic error for every cause: nothing to tell them apart.
    expect(String(flipped)).toBe(String(moved));
    expect(String(flipped)).toBe('VaultError: vault data cannot be decrypted');
  });

  it('reads a card with a warm data-key cache in exactly one query', async () => {
    const { cardRef } = await store(testPan());
    await tsp.services.vault.cards.readCard(tsp.db.db, cardRef); // warm
    const queries: string[] = [];
    const counting = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: tsp.db.pool }),
      log: (event) => {
        queries.push(event.query.sql);
      },
    });
    await tsp.services.vault.cards.readCard(counting, cardRef);
    expect(queries).toHaveLength(1);
    expect(queries[0]).toMatch(/from "cards"/);
  });

  it('updates a reissued card: new PAN under a fresh data key, same PAR, the old key destroyed', async () => {
    const oldPan = testPan();
    const newPan = testPan();
    const stored = await store(oldPan, { cardholderName: 'WANG FANG' });
    const before = await tsp.db.db.selectFrom('cards').select('dek_id').where('card_ref', '=', stored.cardRef).executeTakeFirstOrThrow();
    const updated = await tsp.services.uow.transaction((tx) =>
      tsp.services.vault.cards.updateCard(tx, stored.cardRef, { pan: newPan, expMonth: 3, expYear: 2033 }),
    );
    expect(updated).toMatchObject({ par: stored.par, panLast4: newPan.slice(-4), expMonth: 3, expYear: 2033 });
    const card = await tsp.services.vault.cards.readCard(tsp.db.db, stored.cardRef);
    expect(card.pan.reveal()).toBe(newPan);
    expect(card.cardholderName).toBe('WANG FANG');
    const oldKey = await tsp.db.db.selectFrom('data_keys').select('wrapped_key').where('id', '=', before.dek_id).executeTakeFirstOrThrow();
    expect(oldKey.wrapped_key).toBeNull();
    expect(await tsp.services.vault.cards.findByFingerprint(tsp.db.db, oldPan)).toBeUndefined();
    expect((await tsp.services.vault.cards.findByFingerprint(tsp.db.db, newPan))?.cardRef).toBe(stored.cardRef);
  });

  it('crypto-shreds a deleted card: restoring its old ciphertext does not bring the PAN back', async () => {
    const pan = testPan();
    const stored = await store(pan);
    const saved = await tsp.db.db.selectFrom('cards').select(['ciphertext', 'fingerprint']).where('card_ref', '=', stored.cardRef).executeTakeFirstOrThrow();
    await tsp.services.uow.transaction((tx) => tsp.services.vault.cards.shredCard(tx, stored.cardRef, { type: 'cli' }));
    expect(await codeOf(tsp.services.vault.cards.readCard(tsp.db.db, stored.cardRef))).toBe('card_not_found');
    expect(await tsp.services.vault.cards.findByFingerprint(tsp.db.db, pan)).toBeUndefined();
    const row = await tsp.db.db.selectFrom('cards').selectAll().where('card_ref', '=', stored.cardRef).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'deleted', ciphertext: null, fingerprint: null, par: stored.par });
    // An attacker restores the row from a backup taken before the deletion:
    await tsp.db.db.updateTable('cards').set({ status: 'active', ciphertext: saved.ciphertext, fingerprint: saved.fingerprint }).where('card_ref', '=', stored.cardRef).execute();
    expect(await tsp.services.vault.cards.readCard(tsp.db.db, stored.cardRef).catch((e: unknown) => e)).toBeInstanceOf(VaultError);
    await tsp.services.audit.flush();
    const audit = await tsp.db.db.selectFrom('audit_entries').selectAll().where('subject_id', '=', stored.cardRef).execute();
    expect(audit).toEqual([expect.objectContaining({ action: 'key.destroy', actor: { type: 'cli' } })]);
  });

  it('deleting a deleted card does nothing; deleting an unknown card is card_not_found', async () => {
    const stored = await store(testPan());
    await tsp.services.uow.transaction((tx) => tsp.services.vault.cards.shredCard(tx, stored.cardRef));
    await expect(tsp.services.uow.transaction((tx) => tsp.services.vault.cards.shredCard(tx, stored.cardRef))).resolves.toBeUndefined();
    expect(await codeOf(tsp.services.uow.transaction((tx) => tsp.services.vault.cards.shredCard(tx, 'card_nonenonenonenone00')))).toBe('card_not_found');
  });
});
