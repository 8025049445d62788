import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { TspError } from '../errors';
import type { CardBinding, IdempotencyRepository, ReplayAudit } from '../store/idempotency.repository';
import type { Executor } from '../store/transaction';
import { requestFingerprint, type CardDigest } from './request-fingerprint';

/**
 * The claim of the current request, in `res.locals.idempotency`. A handler whose state change
 * must never be separated from its recorded response calls `completeWithin(tx, …)` inside the
 * transaction that makes the change.
 */
export interface IdempotencyClaim {
  clientId: string;
  key: string;
  /** `card`: the answer holds card data; it is sealed under that card's key (dies with the card). */
  completeWithin(tx: Executor, status: number, body: unknown, card?: CardBinding): Promise<void>;
}

export interface IdempotencyOptions {
  /** Compares an `encryptedCard` by the card it carries, not its JWE bytes (request-fingerprint.ts). */
  cardDigest?: CardDigest;
  /** Writes the audit entry of a replayed answer that asks for one (a detokenization). */
  auditReplay?: (clientId: string, audit: ReplayAudit, requestId: string | undefined) => Promise<void>;
}

/**
 * `Idempotency-Key` on POST (DESIGN §4): the first response for a key is stored and replayed
 * for every repeat with the same body (header `Idempotent-Replayed: true`); the same key with
 * another body is a 422 `idempotency_key_reused`; a repeat while the first is still running is
 * a 409 `idempotency_in_progress`. Keys are scoped per client, so clients cannot collide.
 * 5xx answers are not stored: the client's retry runs the operation again. Stored answers
 * expire (24 h by default) and are purged by a scheduled job; an answer holding card data is
 * sealed under the card's own key and its replays are audited (issue 20).
 */
export function idempotency(
  repository: IdempotencyRepository,
  clientIdOf: (res: Response) => string | undefined,
  logger: Logger,
  options: IdempotencyOptions = {},
): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const key = req.get('idempotency-key');
    if (req.method !== 'POST' || !key) return next();
    const clientId = clientIdOf(res) ?? 'anonymous';
    const hash = await requestFingerprint(req, options.cardDigest);
    const begin = await repository.begin(clientId, key, hash);
    switch (begin.kind) {
      case 'replay':
        // No card data goes out again without its audit entry (a failure here is a 500).
        if (begin.replayAudit) {
          if (!options.auditReplay) throw new Error('a replay that must be audited, without an audit log');
          await options.auditReplay(clientId, begin.replayAudit, res.locals.requestId as string | undefined);
        }
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
    // The status recorded inside the operation's commit: that record is not overwritten (it may
    // be sealed under a card's key). A rolled-back commit ends in another status (an error).
    let recordedWithin: number | undefined;
    const claim: IdempotencyClaim = {
      clientId,
      key,
      completeWithin: async (tx, status, body, card) => {
        await repository.complete(clientId, key, status, body, tx, card);
        recordedWithin = status;
      },
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
      if (recordedWithin === status) return send(body);
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
