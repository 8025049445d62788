import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { AuditActor } from './audit-entries.table';
import { riskDecisionsRepository, type DecisionSideEffects, type NewRiskDecision } from './risk-decisions.repository';
import { riskVelocityRepository } from './risk-velocity.repository';
import { runPrepared, type PreparedStatement, type StatementTarget } from './prepared-statement';
import type { Executor } from './transaction';

/** The transaction data a cryptogram is issued for (and stored with it). */
export interface IssuanceData {
  amount: number;
  currency: string;
  merchantId: string;
  channel: string;
  transactionType: string;
  unpredictableNumber: string | null;
}

/** An audit entry written by the payments statements themselves (same shape as audit.append). */
export interface PaymentAuditEntry {
  actor: AuditActor;
  action: string;
  subject: { type: string; id: string };
  outcome: 'success' | 'denied' | 'failed';
  details: Record<string, unknown>;
  requestId?: string;
}

/** A risk decision written by a payments statement (risk/decide.ts `EvaluatedDecision`). */
export interface RiskDecisionWrite {
  record: NewRiskDecision;
  effects: DecisionSideEffects;
}

/** What detokenization reads in its one query: token, its card (sealed), the issuance and the token's velocity. */
export interface DetokenizeRow {
  token_ref: string;
  token_pan: string;
  token_exp_month: number;
  token_exp_year: number;
  /** The expiry the last change replaced, and when (the grace window of migrations/0017). */
  previous_token_exp_month: number | null;
  previous_token_exp_year: number | null;
  token_expiry_changed_at: Date | null;
  card_ref: string;
  issuer_id: string;
  trid: string;
  requestor_client_id: string;
  status: 'INACTIVE' | 'ACTIVE' | 'SUSPENDED' | 'DELETED';
  assurance_method: string;
  channels: string[];
  merchant_ids: string[] | null;
  par: string;
  card_dek_id: string | null;
  card_ciphertext: Buffer | null;
  card_exp_month: number | null;
  card_exp_year: number | null;
  card_status: string | null;
  iss_atc: number | null;
  iss_amount: number | null;
  iss_currency: string | null;
  iss_merchant_id: string | null;
  iss_channel: string | null;
  iss_transaction_type: string | null;
  iss_unpredictable_number: string | null;
  iss_expires_at: Date | null;
  iss_used_at: Date | null;
  /** Detokenizations of the token in the last hour / 24 hours, this one included. */
  vel_h1: number;
  vel_h24: number;
}

/** The highest ATC a token can reach (openapi `Atc`: 2 bytes, as in EMV). */
export const MAX_ATC = 65535;

function auditId(): string {
  return `aud_${randomBytes(12).toString('base64url').replace(/[-_]/g, '0')}`;
}

/** The audit row's columns, exactly as `auditRepository.append` writes them (unchained). */
export function paymentAuditColumns(entry: PaymentAuditEntry) {
  return {
    id: auditId(),
    at: new Date().toISOString(),
    actor: JSON.stringify(entry.actor),
    action: entry.action,
    subject_type: entry.subject.type,
    subject_id: entry.subject.id,
    outcome: entry.outcome,
    details: JSON.stringify(entry.details),
    request_id: entry.requestId ?? null,
  };
}

function auditInsertSelect(entry: PaymentAuditEntry, from: string) {
  const a = paymentAuditColumns(entry);
  return sql`insert into audit_entries (id, at, actor, action, subject_type, subject_id, outcome, details, request_id)
    select ${a.id}, ${a.at}::timestamptz, ${a.actor}::jsonb, ${a.action}, ${a.subject_type}, ${a.subject_id}, ${a.outcome},
      ${a.details}::jsonb, ${a.request_id} from ${sql.raw(from)}`;
}

// The audit details get the ATC from the statement itself (jsonb_set), so there is no second
// round trip for it.
const ISSUE: PreparedStatement = {
  name: 'payments_issue_v1',
  text: `with t as (
      update tokens set last_atc = last_atc + 1
      where token_ref = $1::text and status = 'ACTIVE' and last_atc < $2::int
      returning token_ref, last_atc
    ), ins as (
      insert into cryptogram_issuances
        (token_ref, atc, amount, currency, merchant_id, channel, transaction_type, unpredictable_number, expires_at)
      select token_ref, last_atc, $3::bigint, $4::text, $5::text, $6::text, $7::text, $8::text, now() + make_interval(secs => $9::int)
      from t
      returning atc, expires_at
    ), aud as (
      insert into audit_entries (id, at, actor, action, subject_type, subject_id, outcome, details, request_id)
      select $10::text, $11::timestamptz, $12::jsonb, $13::text, $14::text, $15::text, $16::text,
        jsonb_set($17::jsonb, '{atc}', to_jsonb(ins.atc)), $18::text
      from ins
    )
    select atc, expires_at from ins`,
};

/**
 * Storage of the payments area. The hot-path statements are single, atomic SQL statements
 * (data-modifying CTEs) so a detokenization costs one read and one write round trip (plus
 * BEGIN and COMMIT around them).
 */
export const paymentsRepository = {
  /**
   * Takes the token's next ATC and records the issuance (and its audit entry) in ONE
   * statement (a named prepared statement on the pool): the ATC increment, the issuance row and
   * the audit commit together or not at all. Returns undefined when the token is not ACTIVE any
   * more or its ATC is exhausted.
   */
  async issue(
    target: StatementTarget,
    tokenRef: string,
    data: IssuanceData,
    ttlSeconds: number,
    audit: PaymentAuditEntry,
  ): Promise<{ atc: number; expiresAt: Date } | undefined> {
    const a = paymentAuditColumns(audit);
    const [row] = await runPrepared<{ atc: number; expires_at: Date }>(target, ISSUE, [
      tokenRef,
      MAX_ATC,
      data.amount,
      data.currency,
      data.merchantId,
      data.channel,
      data.transactionType,
      data.unpredictableNumber,
      ttlSeconds,
      a.id,
      a.at,
      a.actor,
      a.action,
      a.subject_type,
      a.subject_id,
      a.outcome,
      a.details,
      a.request_id,
    ]);
    return row ? { atc: row.atc, expiresAt: row.expires_at } : undefined;
  },

  /**
   * Detokenization's one read, in its transaction: the token by its PAN, its vaulted card's
   * state, the issuance of the presented ATC, and this detokenization counted in the risk
   * engine's velocity counter of the token (`counter.keyPrefix` + token ref; see
   * riskVelocityRepository.countIn), with the 1-hour and 24-hour counts this event included.
   * The count rolls back with the transaction when a check refuses the request.
   */
  async readForDetokenize(
    executor: Executor,
    tokenPan: string,
    atc: number,
    counter: { keyPrefix: string; now: Date },
  ): Promise<DetokenizeRow | undefined> {
    const velocity = riskVelocityRepository.countIn('vkey', counter.now);
    const result = await sql<DetokenizeRow>`
      with t as (
        select t.token_ref, t.token_pan, t.token_exp_month, t.token_exp_year,
          t.previous_token_exp_month, t.previous_token_exp_year, t.token_expiry_changed_at, t.card_ref, t.issuer_id, t.trid,
          t.requestor_client_id, t.status, t.assurance_method, t.channels, t.merchant_ids, t.par,
          c.dek_id as card_dek_id, c.ciphertext as card_ciphertext, c.exp_month::int as card_exp_month,
          c.exp_year::int as card_exp_year, c.status as card_status,
          i.atc as iss_atc, i.amount as iss_amount, i.currency as iss_currency, i.merchant_id as iss_merchant_id,
          i.channel as iss_channel, i.transaction_type as iss_transaction_type,
          i.unpredictable_number as iss_unpredictable_number, i.expires_at as iss_expires_at, i.used_at as iss_used_at
        from tokens t
        left join cards c on c.card_ref = t.card_ref
        left join cryptogram_issuances i on i.token_ref = t.token_ref and i.atc = ${atc}
        where t.token_pan = ${tokenPan}
      ),
      vkey as (select ${counter.keyPrefix} || token_ref as key from t),
      ${velocity.ctes}
      select t.*, ${velocity.h1} as vel_h1, ${velocity.h24} as vel_h24 from t`.execute(executor);
    return result.rows[0];
  },

  /**
   * Stores the risk decision, consumes the issuance (token, ATC) and writes the success audit
   * entry in ONE atomic statement. False when the issuance was already consumed: of two
   * concurrent uses the second waits on the row lock, re-checks `used_at is null` and gets
   * nothing (and writes no success entry; its decision is stored, as a decline's is).
   */
  async consume(executor: Executor, tokenRef: string, atc: number, audit: PaymentAuditEntry, decision: RiskDecisionWrite): Promise<boolean> {
    const decisionCtes = riskDecisionsRepository.decisionCtes(decision.record, decision.effects);
    const result = await sql<{ n: number }>`
      with ${sql.join([...decisionCtes, sql`upd as (
        update cryptogram_issuances set used_at = now()
        where token_ref = ${tokenRef} and atc = ${atc} and used_at is null
        returning token_ref
      )`, sql`aud as (${auditInsertSelect(audit, 'upd')})`], sql`, `)}
      select count(*)::int as n from upd`.execute(executor);
    return (result.rows[0]?.n ?? 0) === 1;
  },

  /** Appends one audit entry and stores the risk decision it records, in one statement (a decline by the rules). */
  async appendAuditWithDecision(executor: Executor, entry: PaymentAuditEntry, decision: RiskDecisionWrite): Promise<void> {
    const ctes = riskDecisionsRepository.decisionCtes(decision.record, decision.effects);
    await sql`with ${sql.join([...ctes, sql`aud as (${auditInsertSelect(entry, '(select 1) as one')})`], sql`, `)} select 1`.execute(executor);
  },

  /** Appends one audit entry (refusals: the attempt is recorded even though nothing changed). */
  async appendAudit(executor: Executor, entry: PaymentAuditEntry): Promise<void> {
    await executor.insertInto('audit_entries').values(paymentAuditColumns(entry)).execute();
  },

  async findKey(executor: Executor, name: string): Promise<string | undefined> {
    const row = await executor.selectFrom('payment_keys').select('sealed_key').where('name', '=', name).executeTakeFirst();
    return row?.sealed_key;
  },

  /** Stores a sealed key unless another process stored one first; returns the one that won. */
  async putKeyIfAbsent(executor: Executor, name: string, sealedKey: string): Promise<string> {
    await executor
      .insertInto('payment_keys')
      .values({ name, sealed_key: sealedKey })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const stored = await this.findKey(executor, name);
    if (!stored) throw new Error(`payment key ${name} missing after insert`);
    return stored;
  },
};
