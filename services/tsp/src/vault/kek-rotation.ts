import type { components } from '@opentsp/api-types';
import type { AuditLog } from '../audit/audit-log';
import { StateError } from '../errors';
import type { Logger } from '../observability/logger';
import type { AuditActor } from '../store/audit-entries.table';
import { dataKeysRepository } from '../store/data-keys.repository';
import { kekRepository, type KeyRotationRow } from '../store/kek.repository';
import type { Executor } from '../store/transaction';
import { wrapAad } from './data-keys';
import type { KeyProvider } from './key-provider';
import { VaultKeyError } from './vault-error';

export type KeyRotation = components['schemas']['KeyRotation'];
export type KeyStatus = components['schemas']['KeyStatus'];

const SYSTEM: AuditActor = { type: 'system' };
const BATCH = 200;

/**
 * KEK versions and online rotation (NIST SP 800-57 Pt 1 §5.3: cryptoperiods; PCI DSS 4.0
 * req. 3.6.1.4 / 3.7.4: key changes at the end of the cryptoperiod without downtime).
 *
 * `rotate` makes a new version active for new data keys at once; the background `rewrap`
 * moves every existing DEK to it in small batches (`FOR UPDATE SKIP LOCKED`, so several
 * processes share the work); a `retiring` version is retired — and destroyed in the
 * provider — only once no live DEK is wrapped under it and no transaction may still add one.
 * Readers never wait: a DEK row always names the version that wraps it.
 */
export class KekRotation {
  constructor(
    private readonly db: Executor,
    private readonly provider: KeyProvider,
    private readonly audit: AuditLog,
    private readonly logger: Logger,
  ) {}

  /**
   * First start on a database: registers KEK version 1. Every start: checks the provider
   * holds the active version (a keystore that does not match the database stops start-up).
   */
  async initialise(): Promise<void> {
    const versions = await kekRepository.versions(this.db);
    if (versions.length === 0) {
      const kid = await this.provider.createKek(1);
      await kekRepository.insertVersion(this.db, { version: 1, kid, provider: this.provider.name, status: 'active' });
    }
    const active = (await kekRepository.versions(this.db)).find((v) => v.status === 'active');
    if (!active || !(await this.provider.hasKek(active.version))) {
      throw new VaultKeyError(
        `the key provider (${this.provider.name}) does not hold KEK version ${active?.version ?? '?'} that this database uses; ` +
          'point OPENTSP_KEYSTORE_PATH at the keystore this database was created with',
      );
    }
    await this.#destroyLeftovers();
  }

  /**
   * Starts a rotation: a new KEK version, active at once; the previous one `retiring`.
   *
   * @throws StateError `key_rotation_in_progress`.
   */
  async rotate(actor: AuditActor, requestId?: string, withinCommit?: (tx: Executor, rotation: KeyRotation) => Promise<void>): Promise<KeyRotation> {
    const rotation = await this.db.transaction().execute(async (tx) => {
      await kekRepository.lock(tx);
      const latest = await kekRepository.latestRotation(tx);
      if (latest?.status === 'running') {
        throw new StateError('key_rotation_in_progress', 'A key rotation is already running; follow it with GET /v1/admin/keys.');
      }
      const versions = await kekRepository.versions(tx);
      const active = versions.find((v) => v.status === 'active');
      const next = (versions[0]?.version ?? 0) + 1;
      // Idempotent in the provider: a rotation that failed after this line reuses the key.
      const kid = await this.provider.createKek(next);
      if (active) await kekRepository.setStatus(tx, active.version, 'retiring');
      await kekRepository.insertVersion(tx, { version: next, kid, provider: this.provider.name, status: 'active' });
      const counts = await dataKeysRepository.countByVersion(tx);
      const deksTotal = [...counts.entries()].filter(([v]) => v !== next).reduce((sum, [, n]) => sum + n, 0);
      const row = await kekRepository.insertRotation(tx, { fromVersion: active?.version ?? next, toVersion: next, deksTotal });
      await this.audit.append(tx, {
        actor,
        action: 'key.rotate',
        subject: { type: 'kek', id: String(next) },
        outcome: 'success',
        details: { fromVersion: row.fromVersion, toVersion: next, deksTotal },
        ...(requestId ? { requestId } : {}),
      });
      if (withinCommit) await withinCommit(tx, rotationView(row));
      return row;
    });
    this.logger.info({ fromVersion: rotation.fromVersion, toVersion: rotation.toVersion }, 'KEK rotation started');
    return rotationView(rotation);
  }

  /** KEK versions (newest first) with their live DEK counts, and the current or last rotation. */
  async status(executor: Executor = this.db): Promise<KeyStatus> {
    const [versions, counts, rotation] = await Promise.all([
      kekRepository.versions(executor),
      dataKeysRepository.countByVersion(executor),
      kekRepository.latestRotation(executor),
    ]);
    return {
      keks: versions.map((v) => ({
        version: v.version,
        status: v.status,
        createdAt: v.createdAt.toISOString(),
        ...(v.retiredAt ? { retiredAt: v.retiredAt.toISOString() } : {}),
        dekCount: counts.get(v.version) ?? 0,
      })),
      rotation: rotation ? rotationView(rotation) : null,
    };
  }

  /**
   * One step of the background work: re-wraps up to `limit` DEKs onto the active version;
   * when none is left, retires the drained versions and completes the rotation.
   * Returns how many DEKs were re-wrapped.
   */
  async step(limit = BATCH): Promise<number> {
    const rotation = await kekRepository.latestRotation(this.db);
    if (rotation?.status !== 'running') return 0;
    let moved: number;
    try {
      moved = await this.#rewrapBatch(rotation, limit);
    } catch (err) {
      // A DEK that no KEK can unwrap would stall the rotation for ever: stop and say so.
      const message = err instanceof Error ? err.message : 'unknown error';
      await kekRepository.finishRotation(this.db, rotation.id, 'failed', `re-wrap failed: ${message}`);
      this.logger.error({ rotationId: rotation.id }, 'KEK rotation failed during re-wrap');
      return 0;
    }
    if (moved === 0) await this.#finish(rotation);
    return moved;
  }

  /** Runs `step` until the current rotation is done (CLI, tests). */
  async drain(): Promise<KeyStatus> {
    while ((await this.step()) > 0);
    return this.status();
  }

  /** Polls for rotation work every `intervalMs`; returns a stop function. */
  start(intervalMs = 1_000): () => Promise<void> {
    let running: Promise<unknown> = Promise.resolve();
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      running = (async () => {
        while ((await this.step()) > 0);
      })()
        .catch((err: unknown) => this.logger.warn({ err }, 'KEK re-wrap step failed; will retry'))
        .finally(() => (busy = false));
    }, intervalMs);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await running;
    };
  }

  /**
   * Destroys retired versions in the provider under the KEK lock. The keystore file is
   * read-modify-written: without the lock, a rotation in another process creating the next
   * version at the same moment could have its new KEK overwritten (lost) by this write.
   */
  async #destroy(versions: readonly number[]): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await kekRepository.lock(tx);
      for (const version of versions) await this.provider.destroyKek(version);
    });
  }

  /** Retired versions a crash left undestroyed in the provider (between retirement and destruction). */
  async #destroyLeftovers(): Promise<void> {
    const left: number[] = [];
    for (const v of await kekRepository.versions(this.db)) {
      if (v.status === 'retired' && (await this.provider.hasKek(v.version))) left.push(v.version);
    }
    if (!left.length) return;
    await this.#destroy(left);
    this.logger.info({ versions: left }, 'destroyed retired KEK versions a crash had left in the key provider');
  }

  async #rewrapBatch(rotation: KeyRotationRow, limit: number): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      const active = (await kekRepository.versions(tx)).find((v) => v.status === 'active');
      if (!active) throw new VaultKeyError('no active KEK version');
      const stale = await dataKeysRepository.lockStale(tx, active.version, limit);
      const rewrapped = [];
      for (const dek of stale) {
        const key = await this.provider.unwrap(dek.kekVersion, dek.wrappedKey, wrapAad(dek.id, dek.kekVersion));
        const wrappedKey = await this.provider.wrap(active.version, key, wrapAad(dek.id, active.version));
        key.fill(0);
        rewrapped.push({ id: dek.id, fromVersion: dek.kekVersion, wrappedKey });
      }
      await dataKeysRepository.rewrap(tx, active.version, rewrapped);
      if (stale.length) await kekRepository.addRewrapped(tx, rotation.id, stale.length);
      return stale.length;
    });
  }

  async #finish(rotation: KeyRotationRow): Promise<void> {
    const retired: number[] = [];
    const done = await this.db.transaction().execute(async (tx) => {
      await kekRepository.lock(tx);
      for (const version of (await kekRepository.versions(tx)).filter((v) => v.status === 'retiring')) {
        // Waits for transactions that read this version as active and may still add a DEK.
        await kekRepository.lockVersionForRetirement(tx, version.version);
        if ((await dataKeysRepository.countByVersion(tx)).get(version.version)) return false;
        await kekRepository.setStatus(tx, version.version, 'retired');
        retired.push(version.version);
        await this.audit.append(tx, {
          actor: SYSTEM,
          action: 'key.retire',
          subject: { type: 'kek', id: String(version.version) },
          outcome: 'success',
          details: { rotationTo: rotation.toVersion },
        });
      }
      await kekRepository.finishRotation(tx, rotation.id, 'completed');
      await this.audit.append(tx, {
        actor: SYSTEM,
        action: 'key.rotation_completed',
        subject: { type: 'kek', id: String(rotation.toVersion) },
        outcome: 'success',
        details: { fromVersion: rotation.fromVersion, toVersion: rotation.toVersion },
      });
      return true;
    });
    // Destroy only after the retirement committed: a crash in between leaves an unused key, never a lost one.
    if (retired.length) await this.#destroy(retired);
    if (done) this.logger.info({ toVersion: rotation.toVersion, retired }, 'KEK rotation completed');
  }
}

function rotationView(r: KeyRotationRow): KeyRotation {
  return {
    fromVersion: r.fromVersion,
    toVersion: r.toVersion,
    status: r.status,
    startedAt: r.startedAt.toISOString(),
    ...(r.completedAt ? { completedAt: r.completedAt.toISOString() } : {}),
    deksTotal: r.deksTotal,
    deksRewrapped: r.deksRewrapped,
    ...(r.error ? { error: r.error } : {}),
  };
}
