import type { AuditLog } from '../audit/audit-log';
import { ConfigError } from '../config';
import type { ServiceContext, StopFn } from '../context';
import type { AuditActor } from '../store/audit-entries.table';
import type { Executor } from '../store/transaction';
import { CardBoundSealer } from './card-bound';
import { CardVault } from './card-vault';
import { openConfiguredKeyProvider } from './configured-key-provider';
import { DataKeys } from './data-keys';
import { Envelope } from './envelope';
import { PanFingerprints } from './fingerprint';
import { KekRotation, type KeyRotation, type KeyStatus } from './kek-rotation';
import type { KeyProvider } from './key-provider';
import { PersistentKeyRing, type TspKeyRotation } from './persistent-key-ring';
import { TokenNumberAllocator } from './token-number-allocator';
import type { TspKeyRing } from './tsp-key-ring';

export type { CardChanges, CardRecord, NewCard, StoredCard } from './card-vault';
export type { SealContext, SealOptions } from './envelope';
export type { KeyProvider } from './key-provider';
export type { KeyRotation, KeyStatus } from './kek-rotation';
export type { CardRange, TokenRange } from './token-number';
export type { TokenRangeUsage } from './token-number-allocator';
export type { TspKeyRing } from './tsp-key-ring';
export { CardSecret, Pan, Plaintext } from './secrets';
export { CardOfAnotherIssuerError, VaultError } from './vault-error';
export type { CardBoundSealer, CardVault, Envelope, PanFingerprints, TokenNumberAllocator };

/** Key management for operators (KEK rotation, the TSP key ring). */
export interface VaultKeys {
  /**
   * Starts a KEK rotation (`key_rotation_in_progress` if one runs). Audited as `key.rotate`.
   * `withinCommit` runs in the rotation's transaction (the HTTP layer records the
   * Idempotency-Key answer there, so a retry after a crash is answered, not a second rotation).
   */
  rotate(actor: AuditActor, requestId?: string, withinCommit?: (tx: Executor, rotation: KeyRotation) => Promise<void>): Promise<KeyRotation>;
  /** KEK versions, DEK counts and the current or last rotation (never key material). */
  status(): Promise<KeyStatus>;
  /** Re-wraps every remaining DEK now and retires drained versions (CLI, tests). */
  drain(): Promise<KeyStatus>;
  /** New current TSP JOSE keys; old ones stay published for the grace period. */
  rotateTspKeys(actor: AuditActor, requestId?: string): Promise<TspKeyRotation>;
  /** Retires TSP JOSE keys past their grace period. */
  retireTspKeys(now?: Date): Promise<string[]>;
}

/** What the vault area provides to the rest of the service. */
export interface VaultServices {
  /** The TSP's JOSE keys (JWKS, signing, JWE decryption), shared by every process. */
  keyRing: TspKeyRing;
  /** Cards: storeCard / readCard / getCard / updateCard / shredCard / findByFingerprint. */
  cards: CardVault;
  /** Seal/open any other secret (OTP secrets, client keys, cryptogram keys …). */
  envelope: Envelope;
  /** Seal/open a record derived from a card under the card's own data key (it dies with the card). */
  cardBound: CardBoundSealer;
  /** The data keys behind cards and sealed records, and their bounded cache of clear keys. */
  dataKeys: DataKeys;
  /** Keyed PAN fingerprint and PAR. */
  fingerprints: PanFingerprints;
  /** Token number allocation within a token BIN range. */
  tokenNumbers: TokenNumberAllocator;
  keys: VaultKeys;
  /** Starts the background work (KEK re-wrap, key ring refresh and retirement, range gauges). */
  start(): StopFn;
}

const KEY_RING_REFRESH_MS = 30_000;
const RANGE_GAUGES_MS = 60_000;

/**
 * Builds the vault: opens the key provider (refusing to start without keys outside sandbox
 * mode), registers KEK version 1 on a new database, creates or loads the TSP key ring.
 */
export async function createVaultServices(ctx: ServiceContext, audit: AuditLog, provider?: KeyProvider): Promise<VaultServices> {
  const { config, logger, metrics } = ctx;
  const { db } = ctx.database;
  // The sandbox default matches the identity area's default issuer BIN controller (`T` + TSP code).
  const binControllerId = config.binControllerId ?? (config.mode === 'sandbox' ? `T${config.tspCode}` : undefined);
  if (!binControllerId) {
    throw new ConfigError('OPENTSP_BIN_CONTROLLER_ID (the 4-character BIN controller id that starts every PAR) is required outside sandbox mode');
  }
  const keyProvider = provider ?? (await openConfiguredKeyProvider(config, logger));
  const rotation = new KekRotation(db, keyProvider, audit, logger);
  await rotation.initialise();
  const dataKeys = new DataKeys(db, keyProvider, config.dekCacheSize);
  const envelope = new Envelope(dataKeys);
  const fingerprints = new PanFingerprints(await keyProvider.panHashKey(), binControllerId);
  const keyRing = new PersistentKeyRing(db, envelope, audit, logger, config.tspKeyGraceMs);
  await keyRing.initialise();
  const tokenNumbers = new TokenNumberAllocator(metrics, logger);

  const keys: VaultKeys = {
    rotate: (actor, requestId, withinCommit) => rotation.rotate(actor, requestId, withinCommit),
    status: () => rotation.status(),
    drain: () => rotation.drain(),
    rotateTspKeys: (actor, requestId) => keyRing.rotate(actor, requestId),
    retireTspKeys: (now) => keyRing.retireExpired(now),
  };

  const start = (): StopFn => {
    const stopRewrap = rotation.start();
    const every = (ms: number, work: () => Promise<unknown>, what: string) => {
      let running: Promise<unknown> = Promise.resolve();
      const timer = setInterval(() => {
        running = work().catch((err: unknown) => logger.warn({ err }, `${what} failed; will retry`));
      }, ms);
      timer.unref();
      return async () => {
        clearInterval(timer);
        await running;
      };
    };
    const stops = [
      stopRewrap,
      every(KEY_RING_REFRESH_MS, async () => (await keyRing.retireExpired()).length || keyRing.refresh(), 'TSP key ring refresh'),
      every(RANGE_GAUGES_MS, () => tokenNumbers.refreshGauges(db), 'token range gauges'),
    ];
    return async () => {
      await Promise.all(stops.map((stop) => stop()));
    };
  };

  return {
    keyRing,
    cards: new CardVault(dataKeys, fingerprints, audit),
    envelope,
    cardBound: new CardBoundSealer(dataKeys),
    dataKeys,
    fingerprints,
    tokenNumbers,
    keys,
    start,
  };
}
