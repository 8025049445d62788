import { compactKid, decryptJson } from '@opentsp/crypto';
import type { AuditLog } from '../audit/audit-log';
import type { Config } from '../config';
import { CARD_JWE_ALGORITHMS } from '../domain/provisioning/card-data';
import { IdempotencyRepository, type ResponseSealer } from '../store/idempotency.repository';
import type { Database } from '../store/schema';
import type { VaultServices } from '../vault';
import { canonicalJson } from '../util/canonical-json';
import type { IdempotencyOptions } from './idempotency';
import type { Kysely } from 'kysely';

/** A claim blocks repeats this long before a retry may take over (a crashed holder's lease). */
const LOCK_MS = 30_000;
/** The graphile-worker task that purges expired answers, and when it runs (every 15 minutes). */
export const IDEMPOTENCY_PURGE_TASK = 'opentsp_idempotency_purge';
export const IDEMPOTENCY_PURGE_CRON = '*/15 * * * *';

/** The Idempotency-Key store of the service (retention `OPENTSP_IDEMPOTENCY_RETENTION_HOURS`, default 24). */
export function createIdempotencyRepository(
  db: Kysely<Database>,
  config: Pick<Config, 'idempotencyRetentionMs'>,
  vault: VaultServices,
  clock?: () => Date,
): IdempotencyRepository {
  return new IdempotencyRepository(db, { lockMs: LOCK_MS, retainMs: config.idempotencyRetentionMs }, responseSealer(vault, db), clock);
}

/**
 * Stored answers are sealed by the vault (purpose `idempotency`, bound to client and key): with
 * the purpose's shared key, or — an answer holding card data — with the card's own key, so
 * deleting the card destroys the stored answer too (vault/card-bound.ts).
 */
function responseSealer(vault: VaultServices, db: Kysely<Database>): ResponseSealer {
  const context = (clientId: string, key: string) => ({ purpose: 'idempotency', ownerRef: `${clientId}:${key}` });
  return {
    seal: (clientId, key, json, executor, cardRef) =>
      cardRef
        ? vault.cardBound.seal(executor, cardRef, context(clientId, key), json)
        : vault.envelope.seal(db, context(clientId, key), json),
    open: async (clientId, key, sealed, cardRef) =>
      cardRef
        ? (await vault.cardBound.open(db, cardRef, sealed, context(clientId, key)))?.text()
        : (await vault.envelope.open(db, sealed, context(clientId, key))).text(),
  };
}

/** The middleware's hooks: the card digest of `encryptedCard` (issue 16) and the replay audit (issue 20). */
export function idempotencyOptions(vault: VaultServices, audit: AuditLog, db: Kysely<Database>): IdempotencyOptions {
  return {
    cardDigest: async (jwe) => {
      const kid = compactKid(jwe);
      if (kid && !vault.keyRing.decryptionKeys().has(kid)) await vault.keyRing.ensureKid?.(kid);
      try {
        // No age limit here: only what the card is matters for the comparison; the operation
        // itself still refuses a stale `iat`.
        const { value } = await decryptJson(jwe, vault.keyRing.decryptionKeys(), { algorithms: CARD_JWE_ALGORITHMS });
        return vault.fingerprints.cardDigest(canonicalJson(value));
      } catch {
        return undefined;
      }
    },
    auditReplay: async (clientId, entry, requestId) => {
      await audit.append(db, {
        actor: { type: 'client', clientId },
        action: entry.action,
        subject: entry.subject,
        outcome: 'success',
        details: { ...entry.details, replayed: true },
        ...(requestId ? { requestId } : {}),
      });
    },
  };
}

