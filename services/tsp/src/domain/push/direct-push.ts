import type { Principal } from '../principal';
import { causeOf } from '../tokens/cause';
import { cardToPush, type PushDependencies } from './create-receipt';
import { pushingIssuer, pushTarget } from './push-target';
import { ISSUER_ASSERTED, deviceSummaryOf, pushDomainOf, type PushContext, type PushTokenRequest, type Token } from './types';

/**
 * `POST /v1/issuer/tokens`: the issuer pushes one of its cards straight into a known wallet
 * account of a token requestor (UnionPay token push; Visa in-app provisioning without the
 * round trip through the wallet app). The token is ACTIVE with assurance method `14`; the
 * requestor gets the signed `token.pushed` webhook (token receive) besides `token.created`,
 * and the token appears in the wallet's list.
 *
 * @throws AccessError `forbidden`, `cross_tenant_access`, `requestor_not_eligible`;
 * NotFoundError `card_not_found`; ValidationError `requestor_not_found` and the card-data
 * codes of `encryptedCard`; StateError `token_range_exhausted`.
 */
export async function pushToken(deps: PushDependencies, principal: Principal, body: PushTokenRequest, context: PushContext): Promise<Token> {
  pushingIssuer(principal);
  const requestor = pushTarget(deps.ports, body.trid);
  const device = deviceSummaryOf(body.device);
  const { channel, tokenLocation } = pushDomainOf(device ? { device } : {});
  return deps.uow.transaction(async (tx) => {
    const card = await cardToPush(tx, deps.ports, principal, body);
    const cause = causeOf(principal, context.requestId);
    const token = await deps.ports.createToken(tx, {
      card,
      requestor: { clientId: requestor.clientId, trid: body.trid },
      walletAccountId: body.walletAccountId,
      ...(device ? { device } : {}),
      channel,
      tokenLocation,
      cause,
      details: { pushed: true, assuranceMethod: ISSUER_ASSERTED },
    });
    await deps.ports.emitWebhook(tx, {
      type: 'token.pushed',
      tokenRef: token.tokenRef,
      data: { token, cause: { actor: 'issuer', clientId: principal.clientId } },
      targets: [{ kind: 'requestor', clientId: requestor.clientId }],
    });
    if (context.withinCommit) await context.withinCommit(tx, token);
    return token;
  });
}
