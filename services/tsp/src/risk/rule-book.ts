import type { Logger } from '../observability/logger';
import type { DatabaseHandle } from '../store/database';
import { listenForRuleChanges, riskRulesRepository, type StoredRiskRule } from '../store/risk-rules.repository';
import { riskVelocityRepository } from '../store/risk-velocity.repository';
import { CompiledRuleSet, type RiskRuleDocument } from './rule-set';

export function toRuleDocument(rule: StoredRiskRule): RiskRuleDocument {
  return {
    ruleId: rule.ruleId,
    version: rule.version,
    name: rule.name,
    ...(rule.description ? { description: rule.description } : {}),
    enabled: rule.enabled,
    priority: rule.priority,
    appliesTo: rule.appliesTo,
    conditions: rule.conditions,
    outcome: rule.outcome,
    reasonCode: rule.reasonCode,
    createdAt: rule.createdAt.toISOString(),
    createdBy: rule.createdBy,
  };
}

export interface ReloaderOptions {
  /** How often to compare the rule-set version with the database (default 2 s). */
  pollMs?: number;
  /** How often to delete expired velocity buckets (default 10 min). */
  pruneMs?: number;
}

/**
 * The rules this process evaluates: a compiled, immutable rule set swapped atomically when
 * the database's rule-set version moves. Changes arrive by Postgres LISTEN/NOTIFY (sent in the
 * publishing transaction, so delivered on commit) and, should a notification be missed (a
 * dropped listener connection), by a periodic version check: every process converges within
 * `pollMs` without a restart.
 */
export class RuleBook {
  private current: CompiledRuleSet = new CompiledRuleSet(0, []);
  private loading: Promise<void> | undefined;
  private pendingReload = false;

  constructor(
    private readonly database: DatabaseHandle,
    private readonly logger: Logger,
  ) {}

  /** The rule set to evaluate now (never blocks). */
  ruleSet(): CompiledRuleSet {
    return this.current;
  }

  /** Reloads when the stored version differs from the loaded one; concurrent calls coalesce. */
  async refresh(force = false): Promise<void> {
    if (this.loading) {
      this.pendingReload = true;
      return this.loading;
    }
    this.loading = (async () => {
      try {
        do {
          this.pendingReload = false;
          const version = await riskRulesRepository.ruleSetVersion(this.database.db);
          if (!force && version === this.current.version) continue;
          force = false;
          // Read the rules and the version in one snapshot so they belong together.
          const { rules, at } = await this.database.db.transaction().setIsolationLevel('repeatable read').execute(async (tx) => ({
            at: await riskRulesRepository.ruleSetVersion(tx),
            rules: await riskRulesRepository.all(tx),
          }));
          if (at >= this.current.version) {
            this.current = new CompiledRuleSet(at, rules.map(toRuleDocument));
            this.logger.info({ ruleSetVersion: at, rules: rules.length }, 'risk rules loaded');
          }
        } while (this.pendingReload);
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  /**
   * Starts listening and polling; returns a function that stops both. Safe to call once per
   * process (compose.ts `startBackgroundWork`).
   */
  start(options: ReloaderOptions = {}): () => Promise<void> {
    const pollMs = options.pollMs ?? 2_000;
    const pruneMs = options.pruneMs ?? 600_000;
    let stopped = false;
    let closeListener: (() => Promise<void>) | undefined;
    let connecting = false;
    const reload = () => {
      this.refresh().catch((err: unknown) => this.logger.warn({ err }, 'risk rules reload failed; will retry'));
    };
    const listen = async () => {
      if (stopped || closeListener || connecting) return;
      connecting = true;
      try {
        closeListener = await listenForRuleChanges(
          this.database.pool,
          (version) => {
            if (version !== this.current.version) reload();
          },
          (err) => {
            this.logger.warn({ err }, 'risk rules listener lost; polling until it reconnects');
            const close = closeListener;
            closeListener = undefined;
            void close?.();
          },
        );
        if (stopped) await closeListener();
        // A rule published while the listener was connecting (at start, or after the
        // connection was lost) sent its notification to nobody: read the version once now
        // instead of waiting for the next poll.
        else reload();
      } catch (err) {
        this.logger.warn({ err }, 'risk rules listener could not connect; polling');
      } finally {
        connecting = false;
      }
    };
    void listen();
    const poll = setInterval(() => {
      reload();
      void listen();
    }, pollMs);
    poll.unref();
    let pruning: Promise<unknown> = Promise.resolve();
    const prune = setInterval(() => {
      pruning = riskVelocityRepository.prune(this.database.db, new Date()).catch((err: unknown) => this.logger.warn({ err }, 'velocity prune failed'));
    }, pruneMs);
    prune.unref();
    return async () => {
      stopped = true;
      clearInterval(poll);
      clearInterval(prune);
      await closeListener?.();
      closeListener = undefined;
      await pruning;
      await this.loading;
    };
  }
}
