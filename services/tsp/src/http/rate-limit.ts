import type { RequestHandler } from 'express';
import type { Services } from '../compose';
import type { ServiceContext } from '../context';

/** Per-client, per-endpoint-class rate limits (the identity area). */
export function rateLimit(_services: Services, _ctx: ServiceContext): RequestHandler {
  return (_req, _res, next) => next();
}
