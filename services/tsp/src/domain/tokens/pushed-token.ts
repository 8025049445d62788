import type { components } from '@opentsp/api-types';
import type { CardMetadata } from '../../store/card-metadata.repository';
import type { Executor } from '../../store/transaction';
import { NotFoundError } from '../../errors';
import { channelsFor } from '../provisioning/token-domain';
import type { Cause } from './cause';
import type { TokenContext } from './context';
import { createToken } from './create-token';
import type { Token } from './token-view';

/** EMVCo assurance method 14: identity asserted by the issuer (its own app login). */
export const ASSURANCE_ISSUER_ASSERTED = '14';

/** A token created by a push (receipt redemption or direct push): ACTIVE, assurance `14`. */
export interface PushedTokenInput {
  card: CardMetadata;
  requestor: { clientId: string; trid: string };
  walletAccountId: string;
  device?: components['schemas']['DeviceSummary'];
  channel: components['schemas']['Channel'];
  tokenLocation: components['schemas']['TokenLocation'];
  cause: Cause;
  risk?: { decisionId?: string; outcome: string; reasonCodes: string[] };
  /** Audit details (receipt id …; never the receipt value or card data). */
  details?: Record<string, unknown>;
  /** Pre-allocated token reference (a redemption records it with its claim); default a new one. */
  tokenRef?: string;
}

/**
 * `createToken` for the push flows (DESIGN §2 flow 4, one-tap binding): no issuer decision
 * call (the issuer already asserted the cardholder), ACTIVE with assurance `14`.
 */
export async function createPushedToken(tx: Executor, ctx: TokenContext, input: PushedTokenInput): Promise<Token> {
  const issuer = ctx.ports.registry.getIssuer(input.card.issuerId);
  if (!issuer) throw new NotFoundError('issuer_not_found', 'The card\'s issuer is not registered.');
  const { token } = await createToken(tx, ctx, {
    ...(input.tokenRef ? { tokenRef: input.tokenRef } : {}),
    card: input.card,
    cardView: input.card,
    issuer,
    requestor: input.requestor,
    walletAccountId: input.walletAccountId,
    ...(input.device ? { device: input.device } : {}),
    domain: { channels: channelsFor(input.channel), tokenLocation: input.tokenLocation },
    status: 'ACTIVE',
    assuranceMethod: ASSURANCE_ISSUER_ASSERTED,
    cause: input.cause,
    decision: {
      issuerDecision: 'none',
      decisionSource: 'push',
      ...(input.risk?.decisionId ? { riskDecisionId: input.risk.decisionId } : {}),
      ...(input.risk ? { riskOutcome: input.risk.outcome } : {}),
    },
    ...(input.details ? { auditDetails: input.details } : {}),
  });
  return token;
}
