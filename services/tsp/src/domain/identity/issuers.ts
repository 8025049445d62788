import type { components } from '@opentsp/api-types';
import type { AuditLog } from '../../audit/audit-log';
import { issuersRepository, type IssuerWithRanges, type StoredBinRange } from '../../store/issuers.repository';
import { decodeCursor, pageOf } from '../../store/pagination';
import { tokenBinUsageRepository } from '../../store/token-bin-usage.repository';
import type { Executor, UnitOfWork } from '../../store/transaction';
import { NotFoundError, StateError } from '../../errors';
import type { AdminContext } from './clients';
import { randomId } from './ids';
import { issuerFromRow, type Issuer } from './records';
import type { RegistryCache } from './registry';
import { jwksErrors, throwIfInvalid, urlErrors, type FieldError } from './validation';

export type CreateIssuerRequest = components['schemas']['CreateIssuerRequest'];
export type UpdateIssuerRequest = components['schemas']['UpdateIssuerRequest'];
export type IssuerList = components['schemas']['IssuerList'];

export interface IssuerAdminDeps {
  uow: UnitOfWork;
  audit: AuditLog;
  cache: RegistryCache;
  /** The TSP's own BIN controller id, the default of an issuer's `binControllerId`. */
  defaultBinControllerId: string;
  sandbox: boolean;
}

type Ranges = { card: StoredBinRange[]; token: StoredBinRange[] };

function nested(a: StoredBinRange, b: StoredBinRange): boolean {
  return a.length === b.length && (a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix));
}

/**
 * Ranges overlapping each other within one issuer's own lists. Card ranges may nest neither
 * with each other nor with any token range (a token must never equal a real PAN, DESIGN §1);
 * token ranges may not nest with each other.
 */
function ownOverlaps(ranges: Ranges): string[] {
  const all = [...ranges.card.map((r) => ({ kind: 'card', r })), ...ranges.token.map((r) => ({ kind: 'token', r }))];
  const clashes: string[] = [];
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const [a, b] = [all[i]!, all[j]!];
      if (nested(a.r, b.r)) clashes.push(`${a.kind} ${a.r.prefix}/${a.r.length} and ${b.kind} ${b.r.prefix}/${b.r.length}`);
    }
  }
  return clashes;
}

/**
 * The issuer registry's admin operations (`/v1/admin/issuers`, `opentsp issuers …`). BIN
 * ranges are checked for overlap in SQL inside the writing transaction, under an advisory
 * lock, so two concurrent registrations can never both claim overlapping ranges.
 */
export class IssuerAdmin {
  constructor(private readonly deps: IssuerAdminDeps) {}

  /** @throws StateError `bin_range_overlap`; ValidationError `validation_failed`. */
  async create(context: AdminContext, input: CreateIssuerRequest): Promise<Issuer> {
    const ranges = rangesOf(input.cardBinRanges, input.tokenBinRanges);
    await this.#validate(input, ranges);
    const id = randomId('iss_');
    const row = await this.deps.uow.transaction(async (tx) => {
      await this.#claimRanges(tx, ranges, null);
      await issuersRepository.insert(
        tx,
        {
          id,
          name: input.name,
          country: input.country,
          status: 'active',
          decision_url: input.decisionUrl ?? null,
          otp_delivery_url: input.otpDeliveryUrl ?? null,
          webhook_url: input.webhookUrl ?? null,
          jwks: (input.jwks as IssuerWithRanges['jwks']) ?? null,
          stand_in_decision: input.standInDecision,
          bin_controller_id: input.binControllerId ?? this.deps.defaultBinControllerId,
        },
        new Date(),
      );
      await issuersRepository.replaceRanges(tx, id, ranges);
      await this.#audit(tx, context, 'issuer.create', id, {
        name: input.name,
        cardBinRanges: input.cardBinRanges.map((r) => `${r.prefix}/${r.panLength}`),
        tokenBinRanges: input.tokenBinRanges.map((r) => `${r.prefix}/${r.tokenLength}`),
      });
      return this.#load(tx, id);
    });
    return this.#remember(row);
  }

  /**
   * Present fields replace the stored value; `null` clears an optional one; a range list
   * replaces the whole list.
   * @throws NotFoundError `issuer_not_found`; StateError `bin_range_overlap`, `bin_range_in_use`.
   */
  async update(context: AdminContext, issuerId: string, patch: UpdateIssuerRequest): Promise<Issuer> {
    const current = await this.get(issuerId);
    const ranges = rangesOf(patch.cardBinRanges ?? current.cardBinRanges, patch.tokenBinRanges ?? current.tokenBinRanges);
    await this.#validate(patch, ranges);
    const row = await this.deps.uow.transaction(async (tx) => {
      if (patch.cardBinRanges || patch.tokenBinRanges) await this.#claimRanges(tx, ranges, issuerId);
      if (patch.tokenBinRanges) await this.#refuseRemovingLiveTokenRanges(tx, issuerId, current.tokenBinRanges, patch.tokenBinRanges);
      await issuersRepository.update(tx, issuerId, {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.status !== undefined ? { status: patch.status } : {}),
        ...(patch.decisionUrl !== undefined ? { decision_url: patch.decisionUrl } : {}),
        ...(patch.otpDeliveryUrl !== undefined ? { otp_delivery_url: patch.otpDeliveryUrl } : {}),
        ...(patch.webhookUrl !== undefined ? { webhook_url: patch.webhookUrl } : {}),
        ...(patch.jwks !== undefined ? { jwks: patch.jwks as IssuerWithRanges['jwks'] } : {}),
        ...(patch.standInDecision !== undefined ? { stand_in_decision: patch.standInDecision } : {}),
      });
      await issuersRepository.replaceRanges(tx, issuerId, {
        ...(patch.cardBinRanges ? { card: ranges.card } : {}),
        ...(patch.tokenBinRanges ? { token: ranges.token } : {}),
      });
      await this.#audit(tx, context, 'issuer.update', issuerId, { fields: Object.keys(patch).sort() });
      return this.#load(tx, issuerId);
    });
    return this.#remember(row);
  }

  /**
   * A token BIN range may leave the issuer only once none of its tokens is live: detokenization
   * and lifecycle find a token's issuer through its range, so live tokens would be orphaned.
   */
  async #refuseRemovingLiveTokenRanges(
    tx: Executor,
    issuerId: string,
    before: readonly Issuer['tokenBinRanges'][number][],
    after: readonly Issuer['tokenBinRanges'][number][],
  ): Promise<void> {
    const kept = new Set(after.map((r) => `${r.prefix}/${r.tokenLength}`));
    for (const range of before) {
      if (kept.has(`${range.prefix}/${range.tokenLength}`)) continue;
      const live = await tokenBinUsageRepository.liveTokens(tx, issuerId, range.prefix, range.tokenLength);
      if (live > 0) {
        throw new StateError('bin_range_in_use', `Token BIN range ${range.prefix}/${range.tokenLength} still has ${live} live token(s); delete them before removing the range.`);
      }
    }
  }

  /** @throws NotFoundError `issuer_not_found`. */
  async get(issuerId: string): Promise<Issuer> {
    return issuerFromRow(await this.#load(this.deps.uow.executor, issuerId));
  }

  /** A page of issuers in `createdAt`, `issuerId` order. */
  async list(query: { limit?: number; cursor?: string }): Promise<IssuerList> {
    const limit = query.limit ?? 50;
    const after = decodeCursor('issuers', query.cursor);
    const rows = await issuersRepository.page(this.deps.uow.executor, {
      ...(after ? { after } : {}),
      limit: limit + 1,
    });
    return pageOf(rows, limit, issuerFromRow, 'issuers', (r) => ({ a: r.created_at.toISOString(), i: r.id }));
  }

  async #claimRanges(tx: Executor, ranges: Ranges, issuerId: string | null): Promise<void> {
    await issuersRepository.lockBinRanges(tx);
    const overlaps = await issuersRepository.findOverlaps(tx, ranges, issuerId);
    if (overlaps.length) {
      const list = overlaps.map((o) => `${o.kind} ${o.prefix}/${o.length}`).join(', ');
      throw new StateError('bin_range_overlap', `These BIN ranges overlap ranges already registered: ${list}.`);
    }
  }

  async #load(executor: Executor, issuerId: string): Promise<IssuerWithRanges> {
    const [row] = await issuersRepository.load(executor, [issuerId]);
    if (!row) throw new NotFoundError('issuer_not_found', 'No issuer with this id.');
    return row;
  }

  #remember(row: IssuerWithRanges): Issuer {
    const issuer = issuerFromRow(row);
    this.deps.cache.putIssuer(issuer.issuerId, issuerFromRow(row));
    return issuer;
  }

  async #audit(tx: Executor, context: AdminContext, action: string, id: string, details: Record<string, unknown>): Promise<void> {
    await this.deps.audit.append(tx, {
      actor: context.actor,
      action,
      subject: { type: 'issuer', id },
      outcome: 'success',
      details,
      ...(context.requestId ? { requestId: context.requestId } : {}),
    });
  }

  async #validate(input: CreateIssuerRequest | UpdateIssuerRequest, ranges: Ranges): Promise<void> {
    const errors: FieldError[] = [
      ...urlErrors(
        { '/body/decisionUrl': input.decisionUrl, '/body/otpDeliveryUrl': input.otpDeliveryUrl, '/body/webhookUrl': input.webhookUrl },
        this.deps.sandbox,
      ),
      ...(await jwksErrors(input.jwks, '/body/jwks')),
    ];
    throwIfInvalid(errors);
    const clashes = ownOverlaps(ranges);
    if (clashes.length) throw new StateError('bin_range_overlap', `These BIN ranges overlap each other: ${clashes.join('; ')}.`);
  }
}

function rangesOf(card: readonly Issuer['cardBinRanges'][number][], token: readonly Issuer['tokenBinRanges'][number][]): Ranges {
  return {
    card: card.map((r) => ({ prefix: r.prefix, length: r.panLength })),
    token: token.map((r) => ({ prefix: r.prefix, length: r.tokenLength })),
  };
}
