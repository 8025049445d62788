import { createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { TspError } from '../domain/errors';
import { canonicalJson } from '../util/canonical-json';
import type { IdempotencyRepository } from '../store/idempotency.repository';
import type { Executor } from '../store/transaction';

/**
 * The claim of the current request, in `res.locals.idempotency`. A handler whose state change
 * must never be separated from its recorded response calls `completeWithin(tx, …)` inside the
 * transaction that makes the change.
 */
export interface IdempotencyClaim {
  clientId: string;
  key: string;
  completeWithin(tx: Executor, status: number, body: unknown): Promise<void>;
}

/**
 * `Idempotency-Key` on POST (DESIGN §4): the first response for a key is stored and replayed
 * for every repeat with the same body (header `Idempotent-Replayed: true`); the same key with
 * another body is a 422 `idempotency_key_reused`; a repeat while the first is still running is
 * a 409 `idempotency_in_progress`. Keys are scoped per client, so clients cannot collide.
 * 5xx answers are not stored: the client's retry runs the operation again.
 */
export function idempotency(
  repository: IdempotencyRepository,
  clientIdOf: (res: Response) => string | undefined,
  logger: Logger,
): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const key = req.get('idempotency-key');
    if (req.method !== 'POST' || !key) return next();
    const clientId = clientIdOf(res) ?? 'anonymous';
    const hash = requestHash(req);
    const begin = await repository.begin(clientId, key, hash);
    switch (begin.kind) {
      case 'replay':
        res.setHeader('Idempotent-Replayed', 'true');
        res
          .status(begin.status)
          .type(begin.status >= 400 ? 'application/problem+json' : 'application/json')
          .send(JSON.stringify(begin.body));
        return;
      case 'mismatch':
        throw new TspError('idempotency_key_reused', 'This Idempotency-Key was used with a different request body.');
      case 'in_progress':
        res.setHeader('Retry-After', '1');
        throw new TspError('idempotency_in_progress', 'A request with this Idempotency-Key is still being processed.');
      case 'proceed':
        break;
    }
    const claim: IdempotencyClaim = {
      clientId,
      key,
      completeWithin: (tx, status, body) => repository.complete(clientId, key, status, body, tx),
    };
    res.locals.idempotency = claim;
    const send = res.send.bind(res);
    let recorded = false;
    // The response is recorded BEFORE it goes out, so a client that retries the moment it has
    // an answer is replayed, never told the first attempt is still in progress.
    res.send = ((body?: unknown) => {
      if (recorded) return send(body);
      recorded = true;
      const status = res.statusCode;
      const done =
        status >= 500 ? repository.release(clientId, key) : repository.complete(clientId, key, status, parseBody(body));
      done.then(
        () => send(body),
        (err: unknown) => {
          logger.error({ err }, 'could not record idempotent response');
          send(body);
        },
      );
      return res;
    }) as Response['send'];
    next();
  };
}

function parseBody(body: unknown): unknown {
  if (typeof body !== 'string') return body instanceof Buffer ? JSON.parse(body.toString('utf8')) : body;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

function requestHash(req: Request): string {
  return createHash('sha256')
    .update(req.method)
    .update('\0')
    .update(req.originalUrl.split('?')[0] ?? '')
    .update('\0')
    .update(canonicalJson(req.body))
    .digest('hex');
}
