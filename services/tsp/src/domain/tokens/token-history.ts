import type { components } from '@opentsp/api-types';
import { decodeCursor, encodeCursor } from '../../store/pagination';
import {
  tokenHistoryRepository,
  type HistoryAuditRow,
  type HistoryDeliveryRow,
  type HistoryRiskRow,
} from '../../store/token-history.repository';
import type { Principal } from '../principal';
import { issuerToken } from './access';
import type { Executor } from '../../store/transaction';
import type { TokenContext } from './context';
import { fromReplicaOrLeader, type Page } from './queries';

type TokenHistoryEntry = components['schemas']['TokenHistoryEntry'];
type TokenHistoryPage = components['schemas']['TokenHistoryPage'];
type Category = components['schemas']['TokenHistoryCategory'];
type EventType = components['schemas']['WebhookEventType'];
type RiskEvaluationPoint = components['schemas']['RiskEvaluationPoint'];

const DEFAULT_LIMIT = 50;

/** Who a lifecycle `cause` names, as a customer-service agent reads it. */
const CAUSE_LABEL: Record<string, string> = {
  issuer: 'the issuer',
  token_requestor: 'the wallet',
  cardholder: 'the cardholder',
  tsp: 'the TSP',
};

const LIFECYCLE_VERB: Record<string, { action: string; verb: string }> = {
  'token.suspend': { action: 'token.suspended', verb: 'Suspended' },
  'token.resume': { action: 'token.resumed', verb: 'Resumed' },
  'token.delete': { action: 'token.deleted', verb: 'Deleted' },
};

/** A reason or problem code from stored details, only if it has the contract's shape. */
function codeOf(value: unknown): string | undefined {
  return typeof value === 'string' && /^[a-z][a-z0-9_]{0,63}$/.test(value) ? value : undefined;
}

/** A stored enumerated word (status, channel, method type): letters and `_` only, never digits. */
function text(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z_]{1,32}$/.test(value) ? value : undefined;
}

interface Described {
  category: Category;
  action: string;
  summary: string;
  reasonCode?: string | undefined;
}

/**
 * What an audit entry means in the token's history. Summaries are built from a fixed vocabulary
 * and enumerated values only (status, reason, channel): never from free text or identifiers
 * such as merchant ids, so no digit run from the details can end up on the agent's screen.
 */
function describeAudit(row: HistoryAuditRow): Described {
  const d = row.details;
  const lifecycle = LIFECYCLE_VERB[row.action];
  if (lifecycle) {
    const by = CAUSE_LABEL[String(d.cause)] ?? 'the TSP';
    const reason = codeOf(d.reason);
    return { category: 'lifecycle', action: lifecycle.action, summary: `${lifecycle.verb} by ${by}${reason ? ` (${reason})` : ''}`, reasonCode: reason };
  }
  switch (row.action) {
    case 'token.provision': {
      if (row.outcome !== 'success') return { category: 'provisioning', action: 'token.refused', summary: `Provisioning refused at the ${text(d.stage) ?? 'unknown'} stage` };
      const status = text(d.status);
      const assurance = typeof d.assuranceMethod === 'string' && /^[0-9]{2}$/.test(d.assuranceMethod) ? `, assurance method ${d.assuranceMethod}` : '';
      return { category: 'provisioning', action: 'token.created', summary: `Token created${status ? ` ${status}` : ''}${assurance}` };
    }
    case 'token.activate':
      return row.outcome === 'success'
        ? { category: 'verification', action: 'token.activated', summary: `Activated after ID&V${text(d.methodType) ? ` (${String(d.methodType)})` : ''}` }
        : {
            category: 'verification',
            action: 'verification.failed',
            summary: `Wrong verification code${d.locked === true ? '; too many: the token is deleted' : ''}`,
            reasonCode: 'otp_invalid',
          };
    case 'token.verification_start':
    case 'token.verification_resend':
      return {
        category: 'verification',
        action: row.action === 'token.verification_start' ? 'verification.started' : 'verification.resent',
        summary: `Verification code ${row.action === 'token.verification_start' ? 'sent' : 'sent again'}${text(d.methodType) ? ` (${String(d.methodType)})` : ''}`,
      };
    case 'token.update':
      // `trigger` is set when the token's own expiry changed (token-expiry.ts).
      if (d.trigger === 'renewal') return { category: 'lifecycle', action: 'token.updated', summary: 'Token expiry renewed before it ran out (the card runs longer)' };
      return {
        category: 'lifecycle',
        action: 'token.updated',
        summary: `Card data of the token updated (card reissued)${d.trigger === 'reissue' ? '; token expiry renewed' : ''}`,
      };
    case 'card.update':
      return { category: 'lifecycle', action: 'card.updated', summary: 'Card reissued (new card number or expiry)' };
    case 'card.delete': {
      const reason = codeOf(d.reason);
      return { category: 'lifecycle', action: 'card.deleted', summary: `Card deleted from the vault${reason ? ` (${reason})` : ''}`, reasonCode: reason };
    }
    case 'token.cryptogram':
      return { category: 'payment', action: 'cryptogram.issued', summary: `Payment credentials issued${text(d.channel) ? ` (${String(d.channel)})` : ''}` };
    case 'detokenize': {
      if (row.outcome === 'success') {
        return { category: 'payment', action: 'detokenize.granted', summary: `Detokenization granted${text(d.channel) ? ` (${String(d.channel)})` : ''}` };
      }
      const code = codeOf(d.code);
      return { category: 'payment', action: 'detokenize.refused', summary: `Detokenization refused${code ? `: ${code}` : ''}`, reasonCode: code };
    }
    default:
      return { category: row.subjectType === 'card' ? 'lifecycle' : categoryByPrefix(row.action), action: row.action, summary: `${row.action} (${row.outcome})` };
  }
}

function categoryByPrefix(action: string): Category {
  if (action.startsWith('detokenize') || action.startsWith('token.cryptogram')) return 'payment';
  if (action.startsWith('push_receipt')) return 'provisioning';
  return 'lifecycle';
}

function fromAudit(row: HistoryAuditRow): TokenHistoryEntry {
  const described = describeAudit(row);
  const actor: TokenHistoryEntry['actor'] = { type: row.actor.type, ...(row.actor.clientId ? { clientId: row.actor.clientId } : {}) };
  return {
    id: row.id,
    at: row.at.toISOString(),
    category: described.category,
    action: described.action,
    outcome: row.outcome,
    actor,
    summary: described.summary,
    ...(described.reasonCode ? { reasonCode: described.reasonCode } : {}),
    ...(row.requestId ? { requestId: row.requestId } : {}),
  };
}

function fromRisk(row: HistoryRiskRow): TokenHistoryEntry {
  const reasons = row.reasonCodes.filter((r) => codeOf(r) !== undefined);
  return {
    id: row.id,
    at: row.at.toISOString(),
    category: 'risk',
    action: 'risk.decision',
    // A decline refused the request; approve and step-up let it go on.
    outcome: row.outcome === 'decline' ? 'denied' : 'success',
    actor: { type: 'system' },
    summary: `Risk decision for ${row.kind.replace('_', ' ')}: ${row.outcome}${reasons.length ? ` (${reasons.join(', ')})` : ''}`,
    ...(reasons[0] ? { reasonCode: reasons[0] } : {}),
    riskDecision: { decisionId: row.id, decision: row.outcome, kind: row.kind as RiskEvaluationPoint, reasons },
  };
}

function deliveryText(row: HistoryDeliveryRow): string {
  const attempts = `${row.attempts} attempt${row.attempts === 1 ? '' : 's'}`;
  switch (row.status) {
    case 'delivered':
      return `delivered after ${attempts}`;
    case 'pending':
      return 'queued, not attempted yet';
    case 'failed':
      return `failing after ${attempts}${row.lastResponseStatus ? ` (HTTP ${row.lastResponseStatus})` : ''}`;
    case 'dead':
      return `given up after ${attempts}${row.lastResponseStatus ? ` (HTTP ${row.lastResponseStatus})` : ''}`;
  }
}

function fromDelivery(row: HistoryDeliveryRow): TokenHistoryEntry {
  const recipient = row.recipientType === 'issuer' ? 'issuer' : 'requestor';
  return {
    id: row.id,
    at: row.at.toISOString(),
    category: 'webhook',
    action: 'webhook.delivery',
    outcome: row.status === 'failed' || row.status === 'dead' ? 'failed' : 'success',
    actor: { type: 'system' },
    summary: `${row.eventType} to the ${recipient === 'issuer' ? 'issuer' : 'wallet'}, ${deliveryText(row)}`,
    webhookDelivery: {
      deliveryId: row.id,
      eventId: row.eventId,
      eventType: row.eventType as EventType,
      recipient,
      status: row.status,
      attempts: row.attempts,
      ...(row.lastResponseStatus ? { lastHttpStatus: row.lastResponseStatus } : {}),
      ...(row.deliveredAt ? { deliveredAt: row.deliveredAt.toISOString() } : {}),
    },
  };
}

/** Byte order of ids, the order the repository sorts ties in (`collate "C"`). */
function compare(a: TokenHistoryEntry, b: TokenHistoryEntry): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The history of one of the issuer's tokens (issue 12), oldest first: audit entries about it
 * (and its card's reissue / deletion), its risk decisions and its webhook deliveries, merged
 * into one list. Each source is read from the cursor position with `limit + 1` rows, so the
 * merged first `limit` are exact and the extra row says whether another page exists.
 */
export async function issuerTokenHistory(ctx: TokenContext, principal: Principal, tokenRef: string, page: Page): Promise<TokenHistoryPage> {
  // The console's history view may come from the read replica (OPENTSP_READ_MAX_LAG_MS).
  return fromReplicaOrLeader(ctx, (executor) => historyPage(executor, principal, tokenRef, page));
}

async function historyPage(executor: Executor, principal: Principal, tokenRef: string, page: Page): Promise<TokenHistoryPage> {
  const token = await issuerToken(executor, principal, tokenRef);
  const listId = `history:${token.token_ref}`;
  const position = decodeCursor(listId, page.cursor);
  const limit = page.limit ?? DEFAULT_LIMIT;
  const [audit, risk, deliveries] = await Promise.all([
    tokenHistoryRepository.audit(executor, { tokenRef: token.token_ref, cardRef: token.card_ref, createdAt: token.created_at }, position, limit + 1),
    tokenHistoryRepository.riskDecisions(executor, token.token_ref, position, limit + 1),
    tokenHistoryRepository.webhookDeliveries(executor, token.token_ref, position, limit + 1),
  ]);
  const merged = [...audit.map(fromAudit), ...risk.map(fromRisk), ...deliveries.map(fromDelivery)].sort(compare);
  const data = merged.slice(0, limit);
  const last = data[data.length - 1];
  return { data, nextCursor: merged.length > limit && last ? encodeCursor(listId, { at: last.at, id: last.id }) : null };
}
