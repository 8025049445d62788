import type { RequestHandler, Response } from 'express';
import { AccessError } from '../errors';
import type { Authenticator, Principal, Scope } from '../domain/principal';

/** The principal of an authenticated request (set by `authenticate`). */
export function principalOf(res: Response): Principal | undefined {
  return res.locals.principal as Principal | undefined;
}

/**
 * RFC 6750 §3 challenges, so generic OAuth clients know whether to fetch a new token (401
 * `invalid_token`) or ask for more scope (403 `insufficient_scope`). The problem body still
 * carries the precise `code`.
 */
const REALM = 'Bearer realm="opentsp"';
const INVALID_TOKEN_DESCRIPTIONS: Record<string, string> = {
  token_expired: 'The access token expired',
  token_invalid: 'The access token is invalid',
  client_suspended: 'The client is suspended',
};

/** Reads `Authorization: Bearer …` when present and sets `res.locals.principal`. */
export function authenticate(authenticator: Authenticator): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization');
    if (!header || !/^bearer /i.test(header)) return next();
    try {
      res.locals.principal = authenticator.authenticate(header.slice(7).trim());
    } catch (err) {
      const description = err instanceof AccessError ? INVALID_TOKEN_DESCRIPTIONS[err.code] : undefined;
      if (description) res.setHeader('WWW-Authenticate', `${REALM}, error="invalid_token", error_description="${description}"`);
      throw err;
    }
    next();
  };
}

/**
 * Guards a route: 401 `unauthorized` without a valid access token, 403 `insufficient_scope`
 * when the token lacks every listed scope.
 */
export function requireScope(...anyOf: Scope[]): RequestHandler {
  return (_req, res, next) => {
    const principal = principalOf(res);
    if (!principal) {
      res.setHeader('WWW-Authenticate', REALM);
      throw new AccessError('unauthorized', 'An access token is required (Authorization: Bearer …).');
    }
    if (!anyOf.some((scope) => principal.scopes.includes(scope))) {
      res.setHeader('WWW-Authenticate', `${REALM}, error="insufficient_scope", scope="${anyOf.join(' ')}"`);
      throw new AccessError('insufficient_scope', `This operation needs scope ${anyOf.join(' or ')}.`);
    }
    next();
  };
}

/** The principal of a request that passed `requireScope` (throws if misused without it). */
export function requirePrincipal(res: Response): Principal {
  const principal = principalOf(res);
  if (!principal) throw new AccessError('unauthorized', 'An access token is required.');
  return principal;
}
