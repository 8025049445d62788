import type { Request, RequestHandler } from 'express';
import { AccessError } from '../errors';
import type { Scope } from '../domain/principal';
import { principalOf } from './auth';

/** A security requirement object of OpenAPI 3.1 (§4.8.30): scheme name → scopes. */
type SecurityRequirement = Record<string, string[]>;

/** Schemes that mean "an access token from /oauth2/token" in openapi/tsp.yaml. */
const BEARER_SCHEMES = new Set(['oauth2', 'bearerAuth']);

/**
 * What an operation demands: `public` (no access token needed: `security: []`, an empty `{}`
 * alternative, or only non-bearer schemes such as `clientSecretBasic` on the token endpoint,
 * which authenticates the client itself), or the scope sets of which one must be held.
 */
type Demand = { kind: 'public' } | { kind: 'scopes'; anyOf: Scope[][] };

function demandOf(security: SecurityRequirement[] | undefined): Demand {
  // No `security` (and the contract has no root-level default): refuse rather than open up.
  if (!security) return { kind: 'scopes', anyOf: [] };
  if (security.length === 0) return { kind: 'public' };
  const anyOf: Scope[][] = [];
  for (const requirement of security) {
    const schemes = Object.keys(requirement);
    if (!schemes.some((scheme) => BEARER_SCHEMES.has(scheme))) return { kind: 'public' };
    anyOf.push([...new Set(schemes.filter((s) => BEARER_SCHEMES.has(s)).flatMap((s) => requirement[s] ?? []))] as Scope[]);
  }
  return { kind: 'scopes', anyOf };
}

interface OperationSchema {
  security?: SecurityRequirement[];
}

/**
 * Enforces each operation's `security` requirement from openapi/tsp.yaml, so the scope check
 * of every endpoint (built or not yet built) follows the contract: 401 `unauthorized` (with
 * `WWW-Authenticate: Bearer`, RFC 6750 §3) without an access token, 403 `insufficient_scope`
 * when the token holds none of the required scope sets. Tenancy (which objects) is the
 * domain's job on top of this.
 */
export function enforceContractSecurity(): RequestHandler {
  // The validator hands the same (dereferenced) operation object to every request of an operation.
  const demands = new WeakMap<object, Demand>();
  return (req, res, next) => {
    const operation = (req as Request & { openapi?: { schema?: OperationSchema } }).openapi?.schema;
    if (!operation) return next(); // not a contract operation (the validator answered those already)
    let demand = demands.get(operation);
    if (!demand) demands.set(operation, (demand = demandOf(operation.security)));
    if (demand.kind === 'public') return next();
    const principal = principalOf(res);
    if (!principal) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="opentsp"');
      throw new AccessError('unauthorized', 'An access token is required (Authorization: Bearer …).');
    }
    if (demand.anyOf.some((scopes) => scopes.every((scope) => principal.scopes.includes(scope)))) return next();
    const needed = demand.anyOf.map((scopes) => scopes.join(' ')).join(' or ');
    res.setHeader('WWW-Authenticate', `Bearer realm="opentsp", error="insufficient_scope", scope="${needed}"`);
    throw new AccessError('insufficient_scope', `This operation needs the scope ${needed}.`);
  };
}
