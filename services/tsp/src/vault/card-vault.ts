import type { AuditLog } from '../audit/audit-log';
import { NotFoundError, ValidationError } from '../errors';
import type { AuditActor } from '../store/audit-entries.table';
import { cardsRepository, type CardRow } from '../store/cards.repository';
import { deleteUnusedDataKey, type WrappedDataKey } from '../store/data-keys.repository';
import type { Executor } from '../store/transaction';
import { aesGcmOpen, aesGcmSeal } from './aes-gcm';
import type { DataKeys } from './data-keys';
import { aadOf } from './envelope';
import type { PanFingerprints } from './fingerprint';
import { randomId } from './ids';
import { CardSecret, Pan } from './secrets';
import { CardOfAnotherIssuerError, VaultError } from './vault-error';

export interface NewCard {
  issuerId: string;
  pan: Pan | string;
  expMonth: number;
  expYear: number;
  cardholderName?: string;
  product?: string;
  cardArtAssetId?: string;
  /** The issuer's BIN controller id for the PAR (default: the TSP's, OPENTSP_BIN_CONTROLLER_ID). */
  binControllerId?: string;
  /**
   * The reference a new card gets, when the caller already announced one (provisioning names
   * the card in the issuer's decision request before storing it). Ignored when the PAN is
   * already in the vault: the existing card keeps its reference.
   */
  cardRef?: string;
  /**
   * The caller looked this PAN up in the same transaction and found nothing: the first lookup
   * is skipped (one round trip less). A card stored meanwhile by a concurrent transaction is
   * still caught: the insert does nothing on the fingerprint conflict and the loop finds it.
   */
  knownAbsent?: boolean;
}

export interface StoredCard {
  cardRef: string;
  par: string;
  panLast4: string;
  fingerprint: string;
  /** False when the PAN was already in the vault (same card returned, expiry updated). */
  created: boolean;
}

/** A card's public facts (no PAN): safe to show, log and return. */
export interface CardRecord {
  cardRef: string;
  issuerId: string;
  par: string;
  panLast4: string;
  expMonth: number;
  expYear: number;
  status: 'active' | 'deleted';
  product: string | null;
  cardArtAssetId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface CardChanges {
  pan?: Pan | string;
  expMonth?: number;
  expYear?: number;
  /** `null` removes the name. */
  cardholderName?: string | null;
  product?: string | null;
  cardArtAssetId?: string | null;
}

interface SealedCardData {
  pan: string;
  cardholderName?: string;
}

const PURPOSE = 'card';
const aad = (cardRef: string) => aadOf({ purpose: PURPOSE, ownerRef: cardRef, field: 'pan' });
const SYSTEM: AuditActor = { type: 'system' };

/**
 * The card vault. Each card has its own data key (DEK) sealing `{ pan, cardholderName }`
 * with AES-256-GCM, AAD `card:<cardRef>:pan`; deleting the card destroys that key. Cards are
 * found without decryption by their keyed fingerprint. Tenancy is the caller's: the vault
 * returns `issuerId` and leaves the check to the domain.
 */
/** A `cards` row's sealed columns as read by another query (see `openSealedCard`). */
export interface SealedCardColumns {
  cardRef: string;
  issuerId: string;
  status: string | null;
  dekId: string | null;
  ciphertext: Buffer | null;
  expMonth: number;
  expYear: number;
  /** The data key's row, when read with the card (unwrapped unless cached; else it is read). */
  wrappedKey?: WrappedDataKey | undefined;
}

export class CardVault {
  constructor(
    private readonly dataKeys: DataKeys,
    private readonly fingerprints: PanFingerprints,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Stores a card in the caller's transaction, or finds it when its PAN is already in the
   * vault (dedupe by fingerprint): then expiry and name are updated and `created` is false.
   *
   * @throws CardOfAnotherIssuerError when the PAN is in the vault for another issuer.
   */
  async storeCard(tx: Executor, input: NewCard): Promise<StoredCard> {
    const pan = typeof input.pan === 'string' ? Pan.of(input.pan) : input.pan;
    checkExpiry(input.expMonth, input.expYear);
    const fingerprint = this.fingerprints.fingerprint(pan);
    for (let attempt = 0; ; attempt++) {
      const existing = input.knownAbsent && attempt === 0 ? undefined : await cardsRepository.findByFingerprint(tx, fingerprint, true);
      if (existing) {
        if (existing.issuer_id !== input.issuerId) {
          throw new CardOfAnotherIssuerError();
        }
        await this.#reseal(tx, existing, pan, {
          expMonth: input.expMonth,
          expYear: input.expYear,
          ...(input.cardholderName !== undefined ? { cardholderName: input.cardholderName } : {}),
          ...(input.product !== undefined ? { product: input.product } : {}),
          ...(input.cardArtAssetId !== undefined ? { cardArtAssetId: input.cardArtAssetId } : {}),
        });
        return { cardRef: existing.card_ref, par: existing.par, panLast4: pan.last4, fingerprint, created: false };
      }
      const cardRef = input.cardRef ?? randomId('card_');
      const dek = await this.dataKeys.createDedicated(tx, PURPOSE, cardRef);
      const par = this.fingerprints.parOfFingerprint(fingerprint, input.binControllerId);
      const inserted = await cardsRepository.insertUnlessExists(tx, {
        cardRef,
        issuerId: input.issuerId,
        fingerprint,
        par,
        panLast4: pan.last4,
        expMonth: input.expMonth,
        expYear: input.expYear,
        dekId: dek.id,
        ciphertext: sealCard(dek.key, cardRef, { pan: pan.reveal(), cardholderName: input.cardholderName }),
        product: input.product ?? null,
        cardArtAssetId: input.cardArtAssetId ?? null,
      });
      if (inserted) return { cardRef, par, panLast4: pan.last4, fingerprint, created: true };
      // Another transaction stored the same PAN meanwhile: drop our key and take theirs.
      await deleteUnusedDataKey(tx, dek.id);
    }
  }

  /**
   * Decrypts a card. With its data key cached this is one primary-key query and one
   * AES-GCM decryption (the detokenize hot path).
   *
   * @throws NotFoundError `card_not_found` (also for a deleted card); `VaultError` when the
   * data cannot be decrypted.
   */
  async readCard(executor: Executor, cardRef: string): Promise<CardSecret> {
    const row = await cardsRepository.find(executor, cardRef);
    if (!row || row.status !== 'active' || !row.ciphertext) throw cardNotFound();
    const key = await this.dataKeys.get(executor, row.dek_id);
    const data = openCard(key, cardRef, row.ciphertext);
    return new CardSecret(cardRef, row.issuer_id, Pan.of(data.pan), row.exp_month, row.exp_year, data.cardholderName);
  }

  /**
   * The card from columns the caller already read (detokenize reads token, card and issuance
   * in one query), saving the second round trip of `readCard`. Same checks, same errors; the
   * data key comes from the DEK cache or from the wrapped key read with the card, so the hot
   * path does no further query.
   */
  async openSealedCard(executor: Executor, sealed: SealedCardColumns): Promise<CardSecret> {
    if (sealed.status !== 'active' || !sealed.dekId || !sealed.ciphertext) throw cardNotFound();
    const key = await this.dataKeys.get(executor, sealed.dekId, sealed.wrappedKey);
    const data = openCard(key, sealed.cardRef, sealed.ciphertext);
    return new CardSecret(sealed.cardRef, sealed.issuerId, Pan.of(data.pan), sealed.expMonth, sealed.expYear, data.cardholderName);
  }

  /** A card's public facts, or `card_not_found`. Deleted cards are returned with status `deleted`. */
  async getCard(executor: Executor, cardRef: string): Promise<CardRecord> {
    const row = await cardsRepository.find(executor, cardRef);
    if (!row) throw cardNotFound();
    return recordOf(row);
  }

  /** The active card holding this PAN, found by fingerprint without decrypting anything. */
  async findByFingerprint(executor: Executor, pan: Pan | string): Promise<CardRecord | undefined> {
    const fingerprint = this.fingerprints.fingerprint(typeof pan === 'string' ? Pan.of(pan) : pan);
    const row = await cardsRepository.findByFingerprint(executor, fingerprint);
    return row && row.status === 'active' ? recordOf(row) : undefined;
  }

  /**
   * Card reissue or update, in the caller's transaction. A new PAN gets a fresh data key (the
   * old one is destroyed) and a new fingerprint; the PAR stays: it names the account, which
   * survives a PAN replacement (EMVCo PAR Technical Note). Every token keeps working.
   *
   * @throws NotFoundError `card_not_found`; ValidationError `validation_failed` when the new
   * PAN is already another card in the vault.
   */
  async updateCard(tx: Executor, cardRef: string, changes: CardChanges): Promise<CardRecord> {
    const row = await cardsRepository.findForUpdate(tx, cardRef);
    if (!row || row.status !== 'active' || !row.ciphertext) throw cardNotFound();
    if (changes.expMonth !== undefined || changes.expYear !== undefined) {
      checkExpiry(changes.expMonth ?? row.exp_month, changes.expYear ?? row.exp_year);
    }
    const current = openCard(await this.dataKeys.get(tx, row.dek_id), cardRef, row.ciphertext);
    const pan = changes.pan === undefined ? Pan.of(current.pan) : typeof changes.pan === 'string' ? Pan.of(changes.pan) : changes.pan;
    const name = changes.cardholderName === undefined ? current.cardholderName : changes.cardholderName ?? undefined;
    if (pan.reveal() !== current.pan) {
      const fingerprint = this.fingerprints.fingerprint(pan);
      const clash = await cardsRepository.findByFingerprint(tx, fingerprint);
      if (clash && clash.card_ref !== cardRef) {
        throw new ValidationError('validation_failed', 'The new card number is already in the vault as another card.');
      }
      const dek = await this.dataKeys.createDedicated(tx, PURPOSE, cardRef);
      await cardsRepository.update(tx, cardRef, {
        fingerprint,
        pan_last4: pan.last4,
        dek_id: dek.id,
        ciphertext: sealCard(dek.key, cardRef, { pan: pan.reveal(), cardholderName: name }),
        ...metadataChanges(changes),
      });
      await this.dataKeys.destroy(tx, row.dek_id);
      await this.audit.append(tx, {
        actor: SYSTEM,
        action: 'key.destroy',
        subject: { type: 'card', id: cardRef },
        outcome: 'success',
        details: { dekId: row.dek_id, reason: 'card_pan_replaced' },
      });
    } else {
      await this.#reseal(tx, row, pan, { ...changes, cardholderName: changes.cardholderName === undefined ? current.cardholderName : changes.cardholderName });
    }
    return this.getCard(tx, cardRef);
  }

  /**
   * Deletes a card by crypto-shredding (in the caller's transaction): its data key is
   * destroyed, ciphertext and fingerprint are erased, the row stays as `deleted` (PAR and last
   * four digits remain for the tokens' history). Deleting a deleted card does nothing.
   *
   * @throws NotFoundError `card_not_found`.
   */
  async shredCard(tx: Executor, cardRef: string, actor: AuditActor = SYSTEM): Promise<void> {
    const row = await cardsRepository.findForUpdate(tx, cardRef);
    if (!row) throw cardNotFound();
    if (row.status === 'deleted') return;
    await this.dataKeys.destroy(tx, row.dek_id);
    await cardsRepository.markDeleted(tx, cardRef);
    await this.audit.append(tx, {
      actor,
      action: 'key.destroy',
      subject: { type: 'card', id: cardRef },
      outcome: 'success',
      details: { dekId: row.dek_id, reason: 'card_deleted' },
    });
  }

  // Same data key, new ciphertext (name) and metadata (expiry, product, art).
  async #reseal(tx: Executor, row: CardRow, pan: Pan, changes: Omit<CardChanges, 'pan'>): Promise<void> {
    const key = await this.dataKeys.get(tx, row.dek_id);
    await cardsRepository.update(tx, row.card_ref, {
      ...(changes.cardholderName !== undefined
        ? { ciphertext: sealCard(key, row.card_ref, { pan: pan.reveal(), cardholderName: changes.cardholderName ?? undefined }) }
        : {}),
      ...metadataChanges(changes),
    });
  }
}

function metadataChanges(changes: CardChanges): Partial<Pick<CardRow, 'exp_month' | 'exp_year' | 'product' | 'card_art_asset_id'>> {
  return {
    ...(changes.expMonth !== undefined ? { exp_month: changes.expMonth } : {}),
    ...(changes.expYear !== undefined ? { exp_year: changes.expYear } : {}),
    ...(changes.product !== undefined ? { product: changes.product } : {}),
    ...(changes.cardArtAssetId !== undefined ? { card_art_asset_id: changes.cardArtAssetId } : {}),
  };
}

function sealCard(key: Buffer, cardRef: string, data: SealedCardData): Buffer {
  const body: SealedCardData = data.cardholderName ? data : { pan: data.pan };
  return aesGcmSeal(key, Buffer.from(JSON.stringify(body), 'utf8'), aad(cardRef));
}

function openCard(key: Buffer, cardRef: string, ciphertext: Buffer): SealedCardData {
  const clear = aesGcmOpen(key, ciphertext, aad(cardRef));
  try {
    return JSON.parse(clear.toString('utf8')) as SealedCardData;
  } catch {
    throw new VaultError();
  } finally {
    clear.fill(0);
  }
}

function checkExpiry(month: number, year: number): void {
  if (!Number.isInteger(month) || month < 1 || month > 12 || !Number.isInteger(year) || year < 2000 || year > 2099) {
    throw new ValidationError('validation_failed', 'The card expiry must be a month 1-12 and a four-digit year.');
  }
}

function cardNotFound(): NotFoundError {
  return new NotFoundError('card_not_found', 'No card with this cardRef.');
}

function recordOf(row: CardRow): CardRecord {
  return {
    cardRef: row.card_ref,
    issuerId: row.issuer_id,
    par: row.par,
    panLast4: row.pan_last4,
    expMonth: row.exp_month,
    expYear: row.exp_year,
    status: row.status,
    product: row.product,
    cardArtAssetId: row.card_art_asset_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
