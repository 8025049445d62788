import { sql, type RawBuilder } from 'kysely';
import type { RiskEvaluationPointColumn } from './risk-rules.table';
import type { RiskOutcomeColumn, StoredFiredRule, StoredIssuerDecision } from './risk-decisions.table';
import type { Executor } from './transaction';

export interface NewRiskDecision {
  decisionId: string;
  kind: RiskEvaluationPointColumn;
  outcome: RiskOutcomeColumn;
  reasonCodes: readonly string[];
  firedRules: readonly StoredFiredRule[];
  ruleSetVersion: number;
  score: number;
  signals: Record<string, unknown>;
  tokenRef: string | null;
  cardRef: string | null;
  clientId: string | null;
  createdAt: Date;
}

/** Memory updates that ride along with the decision insert (same statement). */
export interface DecisionSideEffects {
  /** The card's last located event (impossible travel). */
  cardEvent?: { cardKey: string; at: Date; lat: number; lon: number; country: string | null };
  /** The device was used with this account and card (device familiarity, cards on device). */
  deviceLink?: { deviceKey: string; accountKey: string; cardKey: string; at: Date };
}

export interface StoredRiskDecision {
  decisionId: string;
  kind: RiskEvaluationPointColumn;
  riskOutcome: RiskOutcomeColumn;
  outcome: RiskOutcomeColumn;
  reasonCodes: string[];
  firedRules: StoredFiredRule[];
  ruleSetVersion: number;
  score: number;
  signals: Record<string, unknown>;
  issuerDecision: StoredIssuerDecision | null;
  tokenRef: string | null;
  cardRef: string | null;
  clientId: string | null;
  createdAt: Date;
}

const COLUMNS = [
  'decision_id',
  'kind',
  'risk_outcome',
  'outcome',
  'reason_codes',
  'fired_rules',
  'rule_set_version',
  'score',
  'signals',
  'issuer_decision',
  'token_ref',
  'card_ref',
  'client_id',
  'created_at',
] as const;

type Row = {
  decision_id: string;
  kind: RiskEvaluationPointColumn;
  risk_outcome: RiskOutcomeColumn;
  outcome: RiskOutcomeColumn;
  reason_codes: string[];
  fired_rules: StoredFiredRule[];
  rule_set_version: number;
  score: number;
  signals: Record<string, unknown>;
  issuer_decision: StoredIssuerDecision | null;
  token_ref: string | null;
  card_ref: string | null;
  client_id: string | null;
  created_at: Date;
};

function toDecision(row: Row): StoredRiskDecision {
  return {
    decisionId: row.decision_id,
    kind: row.kind,
    riskOutcome: row.risk_outcome,
    outcome: row.outcome,
    reasonCodes: row.reason_codes,
    firedRules: row.fired_rules,
    ruleSetVersion: Number(row.rule_set_version),
    score: row.score,
    signals: row.signals,
    issuerDecision: row.issuer_decision,
    tokenRef: row.token_ref,
    cardRef: row.card_ref,
    clientId: row.client_id,
    createdAt: row.created_at,
  };
}

export const riskDecisionsRepository = {
  /**
   * Inserts the decision and updates the card / device memory in ONE statement (data-modifying
   * CTEs), so a decision costs one round trip after the velocity lookup.
   */
  async insert(tx: Executor, decision: NewRiskDecision, effects: DecisionSideEffects = {}): Promise<void> {
    await sql`with ${sql.join(this.decisionCtes(decision, effects), sql`, `)} select 1`.execute(tx);
  },

  /**
   * The decision insert and its memory updates as data-modifying CTEs (named `rd_*`), for a
   * statement that writes other things too (payments' detokenize: decision, ATC consumption
   * and audit entry in one round trip).
   */
  decisionCtes(decision: NewRiskDecision, effects: DecisionSideEffects = {}): RawBuilder<unknown>[] {
    const parts: RawBuilder<unknown>[] = [
      sql`rd_decision as (insert into risk_decisions (decision_id, kind, risk_outcome, outcome, reason_codes, fired_rules,
          rule_set_version, score, signals, token_ref, card_ref, client_id, created_at)
        values (${decision.decisionId}, ${decision.kind}, ${decision.outcome}, ${decision.outcome},
          ${[...decision.reasonCodes]}::text[], ${JSON.stringify(decision.firedRules)}::jsonb, ${decision.ruleSetVersion},
          ${decision.score}, ${JSON.stringify(decision.signals)}::jsonb, ${decision.tokenRef}, ${decision.cardRef},
          ${decision.clientId}, ${decision.createdAt.toISOString()}::timestamptz))`,
    ];
    const { cardEvent, deviceLink } = effects;
    if (cardEvent) {
      parts.push(sql`rd_card as (insert into risk_card_state (card_key, last_event_at, last_lat, last_lon, last_country)
        values (${cardEvent.cardKey}, ${cardEvent.at.toISOString()}::timestamptz, ${cardEvent.lat}, ${cardEvent.lon}, ${cardEvent.country})
        on conflict (card_key) do update set last_event_at = excluded.last_event_at, last_lat = excluded.last_lat,
          last_lon = excluded.last_lon, last_country = excluded.last_country)`);
    }
    if (deviceLink) {
      parts.push(sql`rd_link as (insert into risk_device_links (device_key, account_key, card_key, first_seen_at, last_seen_at)
        values (${deviceLink.deviceKey}, ${deviceLink.accountKey}, ${deviceLink.cardKey},
          ${deviceLink.at.toISOString()}::timestamptz, ${deviceLink.at.toISOString()}::timestamptz)
        on conflict (device_key, account_key, card_key) do update set last_seen_at = excluded.last_seen_at)`);
    }
    return parts;
  },

  /** Records the final outcome (e.g. with the issuer's decision) and the token it produced. */
  async complete(
    tx: Executor,
    decisionId: string,
    update: { outcome?: RiskOutcomeColumn; issuerDecision?: StoredIssuerDecision; tokenRef?: string; cardRef?: string },
  ): Promise<boolean> {
    const set = {
      ...(update.outcome ? { outcome: update.outcome } : {}),
      ...(update.issuerDecision ? { issuer_decision: JSON.stringify(update.issuerDecision) } : {}),
      ...(update.tokenRef ? { token_ref: update.tokenRef } : {}),
      ...(update.cardRef ? { card_ref: update.cardRef } : {}),
    };
    if (Object.keys(set).length === 0) {
      return (await tx.selectFrom('risk_decisions').select('decision_id').where('decision_id', '=', decisionId).executeTakeFirst()) !== undefined;
    }
    const result = await tx.updateTable('risk_decisions').set(set).where('decision_id', '=', decisionId).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  },

  async get(db: Executor, decisionId: string): Promise<StoredRiskDecision | undefined> {
    const row = await db.selectFrom('risk_decisions').select(COLUMNS).where('decision_id', '=', decisionId).executeTakeFirst();
    return row ? toDecision(row as unknown as Row) : undefined;
  },

  /** Decisions recorded at or after `since`, newest first (dry-runs). */
  async listSince(db: Executor, since: Date, limit: number): Promise<StoredRiskDecision[]> {
    const rows = await db
      .selectFrom('risk_decisions')
      .select(COLUMNS)
      .where('created_at', '>=', since)
      .orderBy('created_at', 'desc')
      .orderBy('pk', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => toDecision(row as unknown as Row));
  },
};
