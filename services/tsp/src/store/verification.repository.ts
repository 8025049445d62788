import { sql, type Selectable } from 'kysely';
import type { TokenProvisioningTable } from './token-provisioning.table';
import type { Executor } from './transaction';
import type { VerificationChallengesTable } from './verification-challenges.table';

export type ProvisioningRow = Selectable<TokenProvisioningTable>;
export type ChallengeRow = Selectable<VerificationChallengesTable>;

export interface NewProvisioningRecord {
  tokenRef: string;
  riskDecisionId?: string;
  riskOutcome?: string;
  issuerDecision: ProvisioningRow['issuer_decision'];
  decisionSource: ProvisioningRow['decision_source'];
  reasonCode?: string;
  idvMethods?: Array<Record<string, unknown>>;
}

export interface NewChallenge {
  challengeId: string;
  tokenRef: string;
  method: Record<string, unknown>;
  sealedSecret: string;
  maxAttempts: number;
  expiresAt: Date;
}

/** Storage of provisioning decisions and ID&V challenges. Executor first, as everywhere. */
export const verificationRepository = {
  async recordProvisioning(executor: Executor, record: NewProvisioningRecord): Promise<void> {
    await executor
      .insertInto('token_provisioning')
      .values({
        token_ref: record.tokenRef,
        risk_decision_id: record.riskDecisionId ?? null,
        risk_outcome: record.riskOutcome ?? null,
        issuer_decision: record.issuerDecision,
        decision_source: record.decisionSource,
        reason_code: record.reasonCode ?? null,
        idv_methods: record.idvMethods ? JSON.stringify(record.idvMethods) : null,
      })
      .execute();
  },

  async provisioningOf(executor: Executor, tokenRef: string, options: { forUpdate?: boolean } = {}): Promise<ProvisioningRow | undefined> {
    let query = executor.selectFrom('token_provisioning').selectAll().where('token_ref', '=', tokenRef);
    if (options.forUpdate) query = query.forUpdate();
    return query.executeTakeFirst();
  },

  /** ID&V offers of several tokens at once (for token views of INACTIVE tokens). */
  async idvMethodsOf(executor: Executor, tokenRefs: readonly string[]): Promise<Map<string, Array<Record<string, unknown>>>> {
    if (tokenRefs.length === 0) return new Map();
    const rows = await executor
      .selectFrom('token_provisioning')
      .select(['token_ref', 'idv_methods'])
      .where('token_ref', 'in', [...tokenRefs])
      .where('idv_methods', 'is not', null)
      .execute();
    return new Map(rows.map((r) => [r.token_ref, r.idv_methods ?? []]));
  },

  async countResend(executor: Executor, tokenRef: string): Promise<void> {
    await executor
      .updateTable('token_provisioning')
      .set((eb) => ({ resends_used: eb('resends_used', '+', 1) }))
      .where('token_ref', '=', tokenRef)
      .execute();
  },

  /**
   * Counts one wrong code against the token (one atomic UPDATE … RETURNING, so concurrent wrong
   * codes each get their own place in the count) and returns the token's total.
   */
  async countWrongCode(tx: Executor, tokenRef: string): Promise<number> {
    const row = await tx
      .updateTable('token_provisioning')
      .set((eb) => ({ otp_failures: eb('otp_failures', '+', 1) }))
      .where('token_ref', '=', tokenRef)
      .returning('otp_failures')
      .executeTakeFirstOrThrow();
    return row.otp_failures;
  },

  /** Records the window of codes sent (the caller holds the provisioning row's lock). */
  async countCodeSent(tx: Executor, tokenRef: string, window: { start: Date; sent: number }): Promise<void> {
    await tx
      .updateTable('token_provisioning')
      .set({ codes_window_start: window.start, codes_in_window: window.sent })
      .where('token_ref', '=', tokenRef)
      .execute();
  },

  /**
   * Marks the code at `counter` delivered, unless a re-send moved the challenge on meanwhile
   * (then the newer code's own delivery decides).
   */
  async markDelivered(executor: Executor, challengeId: string, counter: number): Promise<void> {
    await executor
      .updateTable('verification_challenges')
      .set({ delivered_counter: counter, updated_at: sql<Date>`now()` })
      .where('challenge_id', '=', challengeId)
      .where('counter', '=', counter)
      .execute();
  },

  async insertChallenge(executor: Executor, challenge: NewChallenge): Promise<ChallengeRow> {
    return executor
      .insertInto('verification_challenges')
      .values({
        challenge_id: challenge.challengeId,
        token_ref: challenge.tokenRef,
        method: JSON.stringify(challenge.method),
        sealed_secret: challenge.sealedSecret,
        counter: 0,
        status: 'open',
        max_attempts: challenge.maxAttempts,
        expires_at: challenge.expiresAt,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  /** The newest challenge of a token that is still open or locked (locks stay in force). */
  async currentChallenge(executor: Executor, tokenRef: string): Promise<ChallengeRow | undefined> {
    return executor
      .selectFrom('verification_challenges')
      .selectAll()
      .where('token_ref', '=', tokenRef)
      .where('status', 'in', ['open', 'locked'])
      .orderBy('created_at', 'desc')
      .limit(1)
      .forUpdate()
      .executeTakeFirst();
  },

  async findChallenge(executor: Executor, challengeId: string): Promise<ChallengeRow | undefined> {
    return executor.selectFrom('verification_challenges').selectAll().where('challenge_id', '=', challengeId).forUpdate().executeTakeFirst();
  },

  async updateChallenge(
    executor: Executor,
    challengeId: string,
    changes: Partial<{ status: ChallengeRow['status']; attempts: number; counter: number; expiresAt: Date }>,
  ): Promise<ChallengeRow> {
    return executor
      .updateTable('verification_challenges')
      .set({
        ...(changes.status ? { status: changes.status } : {}),
        ...(changes.attempts !== undefined ? { attempts: changes.attempts } : {}),
        ...(changes.counter !== undefined ? { counter: changes.counter } : {}),
        ...(changes.expiresAt ? { expires_at: changes.expiresAt } : {}),
        updated_at: sql<Date>`now()`,
      })
      .where('challenge_id', '=', challengeId)
      .returningAll()
      .executeTakeFirstOrThrow();
  },
};
