import { randomBytes } from 'node:crypto';
import type { AuditActor } from './audit-entries.table';
import type { DecisionSideEffects, NewRiskDecision } from './risk-decisions.repository';
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
  /**
   * The card's data key as stored (wrapped under a KEK version), read with the token: most
   * cards are not in a process's bounded key cache, and this spares their own round trip.
   */
  card_kek_version: number | null;
  card_wrapped_key: Buffer | null;
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
 * (data-modifying CTEs), named prepared statements in autocommit: a cryptogram issuance is one
 * statement; detokenization's read and write are in detokenize.repository.ts.
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
