import pg from 'pg';
import { sql } from 'kysely';
import type { RiskEvaluationPointColumn, RiskRuleOutcomeColumn } from './risk-rules.table';
import type { Executor } from './transaction';

/** The channel every TSP process LISTENs on; the payload is the new rule-set version. */
export const RISK_RULES_CHANNEL = 'opentsp_risk_rules';

/** One rule version as the store holds it (camelCase mirror of the columns). */
export interface StoredRiskRule {
  ruleId: string;
  version: number;
  name: string;
  description: string | null;
  enabled: boolean;
  priority: number;
  appliesTo: RiskEvaluationPointColumn[];
  conditions: Record<string, unknown>;
  outcome: RiskRuleOutcomeColumn;
  reasonCode: string;
  createdAt: Date;
  createdBy: string;
}

const COLUMNS = [
  'rule_id',
  'version',
  'name',
  'description',
  'enabled',
  'priority',
  'applies_to',
  'conditions',
  'outcome',
  'reason_code',
  'created_at',
  'created_by',
] as const;

type Row = {
  rule_id: string;
  version: number;
  name: string;
  description: string | null;
  enabled: boolean;
  priority: number;
  applies_to: RiskEvaluationPointColumn[];
  conditions: Record<string, unknown>;
  outcome: RiskRuleOutcomeColumn;
  reason_code: string;
  created_at: Date;
  created_by: string;
};

function toRule(row: Row): StoredRiskRule {
  return {
    ruleId: row.rule_id,
    version: row.version,
    name: row.name,
    description: row.description,
    enabled: row.enabled,
    priority: row.priority,
    appliesTo: row.applies_to,
    conditions: row.conditions,
    outcome: row.outcome,
    reasonCode: row.reason_code,
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}

function toRow(rule: StoredRiskRule) {
  return {
    rule_id: rule.ruleId,
    version: rule.version,
    name: rule.name,
    description: rule.description,
    enabled: rule.enabled,
    priority: rule.priority,
    applies_to: rule.appliesTo,
    conditions: JSON.stringify(rule.conditions),
    outcome: rule.outcome,
    reason_code: rule.reasonCode,
    created_at: rule.createdAt.toISOString(),
    created_by: rule.createdBy,
  };
}

// Serialises first-start seeding across processes starting together.
const SEED_LOCK = 0x4f545350524b5344n; // "OTSPRKSD"

export const riskRulesRepository = {
  /** The rule-set version, or 0 before the first publish (never seeded). */
  async ruleSetVersion(db: Executor): Promise<number> {
    const row = await db.selectFrom('risk_rule_set').select('version').where('id', '=', 1).executeTakeFirst();
    return row ? Number(row.version) : 0;
  },

  /** Takes the seeding lock for the rest of `tx`. */
  async lockForSeeding(tx: Executor): Promise<void> {
    await sql`select pg_advisory_xact_lock(${SEED_LOCK})`.execute(tx);
  },

  /**
   * Increments the rule-set version (row lock: publishes serialise here) and queues the
   * NOTIFY, which Postgres delivers to every listener when `tx` commits.
   */
  async bumpRuleSetVersion(tx: Executor, now: Date): Promise<number> {
    const row = await sql<{ version: number }>`
      insert into risk_rule_set (id, version, updated_at) values (1, 1, ${now.toISOString()}::timestamptz)
      on conflict (id) do update set version = risk_rule_set.version + 1, updated_at = excluded.updated_at
      returning version`.execute(tx);
    const version = Number(row.rows[0]!.version);
    await sql`select pg_notify(${RISK_RULES_CHANNEL}, ${String(version)})`.execute(tx);
    return version;
  },

  /** Writes `rule` as the current version and appends it to the history. */
  async publish(tx: Executor, rule: StoredRiskRule): Promise<void> {
    const row = toRow(rule);
    await tx
      .insertInto('risk_rules')
      .values(row)
      .onConflict((oc) => oc.column('rule_id').doUpdateSet(row))
      .execute();
    await tx.insertInto('risk_rule_versions').values(row).execute();
  },

  /** Inserts many new rules (version 1) in two statements (first-start seeding). */
  async insertNew(tx: Executor, rules: readonly StoredRiskRule[]): Promise<void> {
    if (rules.length === 0) return;
    const rows = rules.map(toRow);
    await tx.insertInto('risk_rules').values(rows).execute();
    await tx.insertInto('risk_rule_versions').values(rows).execute();
  },

  async get(db: Executor, ruleId: string, options: { forUpdate?: boolean } = {}): Promise<StoredRiskRule | undefined> {
    let query = db.selectFrom('risk_rules').select(COLUMNS).where('rule_id', '=', ruleId);
    if (options.forUpdate) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row ? toRule(row as unknown as Row) : undefined;
  },

  /** Every current rule (the engine compiles them all; a few hundred rows). */
  async all(db: Executor): Promise<StoredRiskRule[]> {
    const rows = await db.selectFrom('risk_rules').select(COLUMNS).execute();
    return rows.map((row) => toRule(row as unknown as Row));
  },

  /** Current rules by priority desc, rule id asc, after `after`, with optional filters. */
  async list(
    db: Executor,
    filter: { appliesTo?: RiskEvaluationPointColumn; enabled?: boolean },
    page: { limit: number; after?: { priority: number; ruleId: string } },
  ): Promise<StoredRiskRule[]> {
    let query = db.selectFrom('risk_rules').select(COLUMNS);
    if (filter.appliesTo) query = query.where(sql<boolean>`${filter.appliesTo} = any(applies_to)`);
    if (filter.enabled !== undefined) query = query.where('enabled', '=', filter.enabled);
    const after = page.after;
    if (after) {
      query = query.where((eb) =>
        eb.or([eb('priority', '<', after.priority), eb.and([eb('priority', '=', after.priority), eb('rule_id', '>', after.ruleId)])]),
      );
    }
    const rows = await query.orderBy('priority', 'desc').orderBy('rule_id', 'asc').limit(page.limit).execute();
    return rows.map((row) => toRule(row as unknown as Row));
  },

  /** Versions of one rule, newest first, older than `beforeVersion`. */
  async versions(db: Executor, ruleId: string, page: { limit: number; beforeVersion?: number }): Promise<StoredRiskRule[]> {
    let query = db.selectFrom('risk_rule_versions').select(COLUMNS).where('rule_id', '=', ruleId);
    if (page.beforeVersion !== undefined) query = query.where('version', '<', page.beforeVersion);
    const rows = await query.orderBy('version', 'desc').limit(page.limit).execute();
    return rows.map((row) => toRule(row as unknown as Row));
  },
};

/**
 * LISTENs for rule-set changes on a dedicated connection (a pooled one cannot hold LISTEN).
 * Resolves with a function that closes it. Errors are reported, not thrown: the periodic
 * version check covers the time until the caller listens again.
 */
export async function listenForRuleChanges(
  pool: pg.Pool,
  onChange: (version: number) => void,
  onError: (err: unknown) => void,
): Promise<() => Promise<void>> {
  const client = new pg.Client({ ...pool.options, application_name: 'opentsp-risk-listener' } as pg.ClientConfig);
  client.on('notification', (message) => {
    if (message.channel === RISK_RULES_CHANNEL) onChange(Number(message.payload ?? 0));
  });
  client.on('error', onError);
  await client.connect();
  await client.query(`LISTEN ${RISK_RULES_CHANNEL}`);
  return async () => {
    await client.end().catch(() => undefined);
  };
}
