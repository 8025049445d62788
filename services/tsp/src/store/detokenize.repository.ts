import type { DetokenizeRow, PaymentAuditEntry, RiskDecisionWrite } from './payments.repository';
import { paymentAuditColumns } from './payments.repository';
import { runPrepared, type PreparedStatement, type StatementTarget } from './prepared-statement';
import { velocityWindows } from './risk-velocity.repository';

/**
 * Detokenization's two statements (DESIGN §8: the hot path at the durable floor). A granted
 * detokenization is two round trips in autocommit — one read, one write — and ONE durable
 * commit: the write stores the risk decision, counts the detokenization in the token's
 * velocity counter, consumes the ATC and appends the audit entry together or not at all.
 *
 * The count the rules saw stays exact without holding a row lock between the two statements
 * (optimistic concurrency): the read returns the token's count in the current bucket, the
 * rules run on that count plus one, and the write increments the counter only if it still
 * holds what the read saw (`ON CONFLICT … DO UPDATE … WHERE count = $seen`); every other part
 * of the write depends on that increment. When another detokenization of the same token
 * counted in between, the write changes nothing and reports `counted: false`: the caller reads
 * again and decides on the new count. So, as with a lock, concurrent detokenizations of one
 * token are decided on distinct counts, and a refusal before the rules counts nothing.
 */

/** What the read returns besides the token: the current bucket's count as the read saw it. */
export interface DetokenizeReadRow extends DetokenizeRow {
  /** This token's count in the current 10-minute bucket before this detokenization. */
  vel_seen: number;
}

/** The velocity counter a write must find unchanged (and increments). */
export interface SeenCount {
  key: string;
  bucket: string;
  seen: number;
}

const READ: PreparedStatement = {
  name: 'detokenize_read_v2',
  text: `select t.token_ref, t.token_pan, t.token_exp_month, t.token_exp_year,
      t.previous_token_exp_month, t.previous_token_exp_year, t.token_expiry_changed_at, t.card_ref, t.issuer_id, t.trid,
      t.requestor_client_id, t.status, t.assurance_method, t.channels, t.merchant_ids, t.par,
      c.dek_id as card_dek_id, c.ciphertext as card_ciphertext, c.exp_month::int as card_exp_month,
      c.exp_year::int as card_exp_year, c.status as card_status,
      k.kek_version as card_kek_version, k.wrapped_key as card_wrapped_key,
      i.atc as iss_atc, i.amount as iss_amount, i.currency as iss_currency, i.merchant_id as iss_merchant_id,
      i.channel as iss_channel, i.transaction_type as iss_transaction_type,
      i.unpredictable_number as iss_unpredictable_number, i.expires_at as iss_expires_at, i.used_at as iss_used_at,
      coalesce(v.seen, 0)::int as vel_seen, coalesce(v.h1, 0)::int as vel_h1, coalesce(v.h24, 0)::int as vel_h24
    from tokens t
    left join cards c on c.card_ref = t.card_ref
    left join data_keys k on k.id = c.dek_id
    left join cryptogram_issuances i on i.token_ref = t.token_ref and i.atc = $2::int
    left join lateral (
      select sum(count) filter (where bucket = $4::timestamptz) as seen,
        sum(count) filter (where bucket >= $5::timestamptz) as h1,
        sum(count) as h24
      from risk_velocity
      where key = $3::text || t.token_ref and bucket >= $6::timestamptz and bucket <= $4::timestamptz
    ) v on true
    where t.token_pan = $1::text`,
};

// $1–$3: the counter (key, bucket, count seen). $4–$15: the risk decision.
const COUNTED_DECISION = `vinc as (
      insert into risk_velocity as v (key, bucket, count) values ($1::text, $2::timestamptz, 1)
      on conflict (key, bucket) do update set count = v.count + 1 where v.count = $3::int
      returning count
    ), rd_decision as (
      insert into risk_decisions (decision_id, kind, risk_outcome, outcome, reason_codes, fired_rules,
        rule_set_version, score, signals, token_ref, card_ref, client_id, created_at)
      select $4::text, $5::text, $6::text, $6::text, $7::text[], $8::jsonb, $9::bigint, $10::int, $11::jsonb,
        $12::text, $13::text, $14::text, $15::timestamptz
      from vinc
    )`;

/** An audit row from parameters `$n … $n+8` (the columns of `paymentAuditColumns`). */
function auditSelect(n: number): string {
  const p = (i: number) => `$${n + i}`;
  return `insert into audit_entries (id, at, actor, action, subject_type, subject_id, outcome, details, request_id)
      select ${p(0)}::text, ${p(1)}::timestamptz, ${p(2)}::jsonb, ${p(3)}::text, ${p(4)}::text, ${p(5)}::text, ${p(6)}::text,
        ${p(7)}::jsonb, ${p(8)}::text`;
}

// $16, $17: the issuance. $18–$26: the success entry. $27–$35: the entry of a lost ATC race.
const GRANT: PreparedStatement = {
  name: 'detokenize_grant_v1',
  text: `with ${COUNTED_DECISION}, upd as (
      update cryptogram_issuances set used_at = now()
      where token_ref = $16::text and atc = $17::int and used_at is null and exists (select 1 from vinc)
      returning token_ref
    ), aud as (
      ${auditSelect(18)} from upd
    ), aud_replayed as (
      ${auditSelect(27)} from vinc where not exists (select 1 from upd)
    )
    select exists (select 1 from vinc) as counted, exists (select 1 from upd) as consumed`,
};

// $16–$24: the refusal's entry.
const DECLINE: PreparedStatement = {
  name: 'detokenize_decline_v1',
  text: `with ${COUNTED_DECISION}, aud as (
      ${auditSelect(16)} from vinc
    )
    select exists (select 1 from vinc) as counted`,
};

function decisionValues(seen: SeenCount, decision: RiskDecisionWrite): unknown[] {
  const { record, effects } = decision;
  // A detokenization's decision writes no card or device memory (a device location goes
  // through the risk engine's own `decide`); refuse rather than drop such effects silently.
  if (effects.cardEvent || effects.deviceLink) throw new Error('a detokenization decision with card or device effects');
  return [
    seen.key,
    seen.bucket,
    seen.seen,
    record.decisionId,
    record.kind,
    record.outcome,
    [...record.reasonCodes],
    JSON.stringify(record.firedRules),
    record.ruleSetVersion,
    record.score,
    JSON.stringify(record.signals),
    record.tokenRef,
    record.cardRef,
    record.clientId,
    record.createdAt.toISOString(),
  ];
}

function auditValues(entry: PaymentAuditEntry): unknown[] {
  const a = paymentAuditColumns(entry);
  return [a.id, a.at, a.actor, a.action, a.subject_type, a.subject_id, a.outcome, a.details, a.request_id];
}

export const detokenizeRepository = {
  /**
   * The token by its PAN, its vaulted card (sealed), the issuance of the presented ATC and the
   * token's velocity counts as of now (`vel_h1`/`vel_h24` without this detokenization,
   * `vel_seen` the current bucket's part), in one read-only statement. `counter.keyPrefix` +
   * the token ref is the counter's key (risk engine `detokenizationCounter`).
   */
  async read(
    target: StatementTarget,
    tokenPan: string,
    atc: number,
    counter: { keyPrefix: string; now: Date },
  ): Promise<{ row: DetokenizeReadRow; seen: SeenCount } | undefined> {
    const w = velocityWindows(counter.now);
    const [row] = await runPrepared<DetokenizeReadRow>(target, READ, [tokenPan, atc, counter.keyPrefix, w.current, w.h1From, w.h24From]);
    if (!row) return undefined;
    // The counts the rules see include this detokenization, as the risk engine counts events.
    row.vel_h1 += 1;
    row.vel_h24 += 1;
    return { row, seen: { key: `${counter.keyPrefix}${row.token_ref}`, bucket: w.current, seen: row.vel_seen } };
  },

  /**
   * Counts the detokenization, stores its decision, consumes the issuance and appends the
   * success entry, in ONE statement. `counted: false`: the counter moved since the read and
   * nothing was written (read and decide again). `consumed: false` (counted): the ATC was
   * consumed by a concurrent request first; the decision and `replayedEntry` are stored.
   */
  async grant(
    target: StatementTarget,
    seen: SeenCount,
    decision: RiskDecisionWrite,
    issuance: { tokenRef: string; atc: number },
    success: PaymentAuditEntry,
    replayedEntry: PaymentAuditEntry,
  ): Promise<{ counted: boolean; consumed: boolean }> {
    const values = [...decisionValues(seen, decision), issuance.tokenRef, issuance.atc, ...auditValues(success), ...auditValues(replayedEntry)];
    const [row] = await runPrepared<{ counted: boolean; consumed: boolean }>(target, GRANT, values);
    return { counted: row?.counted === true, consumed: row?.consumed === true };
  },

  /** Counts the detokenization, stores the decline and the refusal's entry in ONE statement (false: the counter moved). */
  async decline(target: StatementTarget, seen: SeenCount, decision: RiskDecisionWrite, refusal: PaymentAuditEntry): Promise<boolean> {
    const [row] = await runPrepared<{ counted: boolean }>(target, DECLINE, [...decisionValues(seen, decision), ...auditValues(refusal)]);
    return row?.counted === true;
  },
};
