import { Router, type Response } from 'express';
import type { components } from '@opentsp/api-types';
import type { ApiServices } from '../services';
import type { ServiceContext } from '../../context';
import type { ProvisionRequest } from '../../domain/tokens';
import { requirePrincipal, requireScope } from '../auth';
import type { IdempotencyClaim } from '../idempotency';
import { contextOf as pushContextOf } from './push.routes';

type RedeemPushReceiptRequest = components['schemas']['RedeemPushReceiptRequest'];
type LifecycleRequest = components['schemas']['LifecycleRequest'];
type TokenStatus = components['schemas']['TokenStatus'];
type LifecycleReason = components['schemas']['LifecycleReason'];

function requestIdOf(res: Response): string | undefined {
  return res.locals.requestId as string | undefined;
}

/** `limit` and `cursor` of a list request (already validated by the contract). */
export function pageOf(query: Record<string, unknown>): { limit?: number; cursor?: string } {
  return {
    ...(query.limit !== undefined ? { limit: Number(query.limit) } : {}),
    ...(typeof query.cursor === 'string' ? { cursor: query.cursor } : {}),
  };
}

/**
 * The wallet (token requestor) routes of the tokens area: provisioning, ID&V, lifecycle and
 * the token views. Thin: bodies are validated against openapi/tsp.yaml before they get here;
 * each handler calls one domain function.
 */
export function tokensRoutes(services: ApiServices, ctx: ServiceContext): Router {
  const router = Router();
  // Completes the Idempotency-Key record inside the transaction that creates the token.

  router.post('/v1/tokens', requireScope('tokens:provision'), async (req, res) => {
    const principal = requirePrincipal(res);
    const requestId = requestIdOf(res);
    if ('pushReceipt' in (req.body as object)) {
      const token = await services.push.redeem(principal, req.body as RedeemPushReceiptRequest, pushContextOf(res, 201));
      res.status(201).json(token);
      return;
    }
    const claim = res.locals.idempotency as IdempotencyClaim | undefined;
    const token = await services.tokens.provision(principal, req.body as ProvisionRequest, {
      ...(requestId ? { requestId } : {}),
      ...(claim ? { withinCommit: (tx, created) => claim.completeWithin(tx, 201, created) } : {}),
    });
    res.status(201).json(token);
  });

  router.get('/v1/tokens', requireScope('tokens:read'), async (req, res) => {
    const query = req.query as Record<string, unknown>;
    res.json(
      await services.tokens.listTokens(requirePrincipal(res), {
        ...(typeof query.walletAccountId === 'string' ? { walletAccountId: query.walletAccountId } : {}),
        ...(typeof query.status === 'string' ? { status: query.status as TokenStatus } : {}),
        ...pageOf(query),
      }),
    );
  });

  router.get('/v1/tokens/:tokenRef', requireScope('tokens:read'), async (req, res) => {
    res.json(await services.tokens.getToken(requirePrincipal(res), req.params.tokenRef as string));
  });

  router.delete('/v1/tokens/:tokenRef', requireScope('tokens:manage'), async (req, res) => {
    const reason = typeof req.query.reason === 'string' ? (req.query.reason as LifecycleReason) : 'cardholder_request';
    res.json(await services.tokens.requestorLifecycle(requirePrincipal(res), req.params.tokenRef as string, 'delete', { reason }, requestIdOf(res)));
  });

  for (const transition of ['suspend', 'resume'] as const) {
    router.post(`/v1/tokens/:tokenRef/${transition}`, requireScope('tokens:manage'), async (req, res) => {
      const body = req.body as LifecycleRequest;
      res.json(
        await services.tokens.requestorLifecycle(
          requirePrincipal(res),
          req.params.tokenRef as string,
          transition,
          { reason: body.reason, ...(body.comment ? { comment: body.comment } : {}) },
          requestIdOf(res),
        ),
      );
    });
  }

  router.post('/v1/tokens/:tokenRef/verification', requireScope('tokens:provision'), async (req, res) => {
    const { methodId } = req.body as { methodId: string };
    res.status(201).json(await services.tokens.startVerification(requirePrincipal(res), req.params.tokenRef as string, methodId, requestIdOf(res)));
  });

  router.post('/v1/tokens/:tokenRef/verification/confirm', requireScope('tokens:provision'), async (req, res) => {
    const { challengeId, code } = req.body as { challengeId: string; code: string };
    const claim = res.locals.idempotency as IdempotencyClaim | undefined;
    res.json(
      await services.tokens.confirmVerification(
        requirePrincipal(res),
        req.params.tokenRef as string,
        { challengeId, code },
        requestIdOf(res),
        claim ? (tx, token) => claim.completeWithin(tx, 200, token) : undefined,
      ),
    );
  });

  return router;
}
