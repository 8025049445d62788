import { Router, type Response } from 'express';
import type { components } from '@opentsp/api-types';
import type { ApiServices } from '../services';
import type { ServiceContext } from '../../context';
import type { IssuerTokenSearch } from '../../domain/tokens';
import { requirePrincipal, requireScope } from '../auth';
import { pageOf } from './tokens.routes';

type CreateCardRequest = components['schemas']['CreateCardRequest'];
type CardLifecycleRequest = components['schemas']['CardLifecycleRequest'];
type UpdateCardRequest = components['schemas']['UpdateCardRequest'];
type TokenStatus = components['schemas']['TokenStatus'];

/** String filters of the issuer's token search, passed through as given (the contract validated them). */
const SEARCH_FILTERS = ['cardRef', 'tokenRef', 'trid', 'walletAccountId', 'panLast4', 'cardExpiry'] as const;

function requestIdOf(res: Response): string | undefined {
  return res.locals.requestId as string | undefined;
}

/**
 * The issuer (bank) routes of the tokens area: cards in the vault, card reissue, card-level
 * lifecycle (lost / stolen) and the issuer's view of its tokens (search, one token, its
 * history: the token console's customer-service API). Push receipts and direct pushes live in
 * push.routes.ts.
 */
export function issuerRoutes(services: ApiServices, _ctx: ServiceContext): Router {
  const router = Router();

  router.post('/v1/issuer/cards', requireScope('issuer:cards'), async (req, res) => {
    const { card, created } = await services.tokens.registerCard(requirePrincipal(res), req.body as CreateCardRequest, requestIdOf(res));
    res.status(created ? 201 : 200).json(card);
  });

  router.get('/v1/issuer/tokens', requireScope('issuer:tokens'), async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const search: IssuerTokenSearch = { ...pageOf(query) };
    for (const name of SEARCH_FILTERS) {
      const value = query[name];
      if (typeof value === 'string') search[name] = value;
    }
    if (typeof query.status === 'string') search.status = query.status as TokenStatus;
    res.json(await services.tokens.listIssuerTokens(requirePrincipal(res), search));
  });

  router.get('/v1/issuer/tokens/:tokenRef', requireScope('issuer:tokens'), async (req, res) => {
    res.json(await services.tokens.getIssuerToken(requirePrincipal(res), req.params.tokenRef as string));
  });

  router.get('/v1/issuer/tokens/:tokenRef/history', requireScope('issuer:tokens'), async (req, res) => {
    res.json(await services.tokens.issuerTokenHistory(requirePrincipal(res), req.params.tokenRef as string, pageOf(req.query as Record<string, unknown>)));
  });

  router.post('/v1/issuer/cards/:cardRef/update', requireScope('issuer:cards'), async (req, res) => {
    const body = req.body as UpdateCardRequest;
    res.json(await services.tokens.updateCard(requirePrincipal(res), req.params.cardRef as string, body.encryptedCard, requestIdOf(res)));
  });

  for (const transition of ['suspend', 'resume', 'delete'] as const) {
    router.post(`/v1/issuer/cards/:cardRef/${transition}`, requireScope('issuer:tokens'), async (req, res) => {
      const body = req.body as CardLifecycleRequest;
      res.json(
        await services.tokens.issuerCardLifecycle(
          requirePrincipal(res),
          req.params.cardRef as string,
          transition,
          { reason: body.reason, ...(body.comment ? { comment: body.comment } : {}), ...(body.tokenRefs ? { tokenRefs: body.tokenRefs } : {}) },
          requestIdOf(res),
        ),
      );
    });
  }

  return router;
}
