import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/**
 * Every request gets an id, echoed as `X-Request-Id` and carried in every problem body and
 * log line, so a caller's support ticket can be matched to our logs. A caller-supplied id is
 * kept when it is short and plain (it is logged; anything else could inject into log lines).
 */
const SAFE_ID = /^[A-Za-z0-9._:-]{8,64}$/;

export function requestId(req: Request, res: Response, next: NextFunction): void {
  const offered = req.get('x-request-id');
  const id = offered && SAFE_ID.test(offered) ? offered : `req_${randomBytes(12).toString('base64url')}`;
  res.locals.requestId = id;
  res.setHeader('X-Request-Id', id);
  next();
}
