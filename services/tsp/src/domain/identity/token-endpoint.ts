import type { components } from '@opentsp/api-types';
import type { AuditLog } from '../../audit/audit-log';
import type { Logger } from '../../observability/logger';
import { clientsRepository, type ClientRow } from '../../store/clients.repository';
import type { Executor } from '../../store/transaction';
import { AccessError, ValidationError, type ProblemCode, type TspError } from '../../errors';
import type { Scope } from '../principal';
import type { AccessTokens } from './access-tokens';
import { AssertionRejected, assertionIssuer, rejectUnknownClientAssertion, verifyClientAssertion } from './client-assertion';
import { verifyClientSecret, type ScryptCost } from './client-secrets';
import { clientFromRow } from './records';
import type { TokenFailureBudget } from './token-failure-budget';

type OAuthError = NonNullable<components['schemas']['Problem']['error']>;
export type OAuthTokenResponse = components['schemas']['OAuthTokenResponse'];

export interface TokenRequest {
  /** The `Authorization` header, if any. */
  authorization: string | undefined;
  /** The form fields (already validated against `OAuthTokenRequest`). */
  form: Record<string, unknown>;
  requestId?: string;
  /** The caller's address (behind trusted proxies, the one they name): the failure budget's key. */
  source?: string;
}

export interface TokenEndpointDeps {
  db: Executor;
  audit: AuditLog;
  accessTokens: AccessTokens;
  scryptCost: ScryptCost;
  /** Accepted `aud` of client assertions: the token endpoint URL and the issuer URL. */
  assertionAudiences: readonly string[];
  logger: Logger;
  /** Failed authentications per (client id, source); see token-failure-budget.ts. */
  failureBudget: TokenFailureBudget;
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const CLIENT_ID = /^cli_[A-Za-z0-9]{16,40}$/;
// One message for every client authentication failure: it must not tell whether the id exists.
const BAD_CLIENT = 'Client authentication failed.';
const BAD_ASSERTION = 'The client assertion is not valid.';

/** A token endpoint error: our problem code plus the RFC 6749 §5.2 `error` member. */
function oauthError(code: ProblemCode, error: OAuthError, message: string): TspError {
  const ErrorClass = code === 'invalid_client' || code === 'invalid_assertion' || code === 'client_suspended' ? AccessError : ValidationError;
  return new ErrorClass(code, message, { error, error_description: message });
}

function parseBasic(header: string): { clientId: string; secret: string } | undefined {
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
    const clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
    const secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    return clientId && secret ? { clientId, secret } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `POST /oauth2/token`, client-credentials grant (RFC 6749 §4.4) with `client_secret_basic`
 * or `private_key_jwt` (RFC 7523). Every failure to authenticate the client answers the same
 * code and message whether or not the client exists, after about the same work (a dummy
 * scrypt or ES256 verification for unknown ids).
 */
export async function grantClientCredentials(deps: TokenEndpointDeps, request: TokenRequest): Promise<OAuthTokenResponse> {
  const { form } = request;
  if (form.grant_type !== 'client_credentials') {
    throw oauthError('unsupported_grant_type', 'unsupported_grant_type', 'Only grant_type=client_credentials is supported.');
  }
  const basic = request.authorization && /^basic /i.test(request.authorization) ? request.authorization : undefined;
  const assertion = typeof form.client_assertion === 'string' ? form.client_assertion : undefined;
  if (basic && assertion) {
    throw oauthError('validation_failed', 'invalid_request', 'Use exactly one client authentication method.');
  }
  // Checked before any work on the credentials, keyed on the id they claim and the source:
  // a source that spent its failures for this id is refused; other sources are not affected.
  const claimed = basic || assertion ? claimedClientId(basic, assertion) : undefined;
  const source = request.source ?? 'unknown';
  if (claimed) await deps.failureBudget.check(deps.db, claimed, source);
  let row: ClientRow | undefined;
  try {
    row = basic ? await authenticateBasic(deps, basic, request) : assertion ? await authenticateAssertion(deps, assertion, form, request) : undefined;
  } catch (err) {
    if (claimed && err instanceof AccessError && (err.code === 'invalid_client' || err.code === 'invalid_assertion')) {
      throw (await deps.failureBudget.recordFailure(deps.db, claimed, source)) ?? err;
    }
    throw err;
  }
  if (!row) throw oauthError('invalid_client', 'invalid_client', BAD_CLIENT);
  if (row.status === 'suspended') {
    deny(deps, row.id, 'suspended', request);
    throw oauthError('client_suspended', 'invalid_client', 'The client is suspended.');
  }
  const granted = grantedScopes(row, form.scope);
  const issued = deps.accessTokens.issue(clientFromRow(row), granted);
  return { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope };
}

/** The client id the credentials claim (unverified; ids of the wrong form share one key). */
function claimedClientId(basic: string | undefined, assertion: string | undefined): string {
  const claimed = basic ? parseBasic(basic)?.clientId : assertion ? assertionIssuer(assertion) : undefined;
  return claimed && CLIENT_ID.test(claimed) ? claimed : 'unknown';
}

function grantedScopes(row: ClientRow, requested: unknown): Scope[] {
  const allowed = row.scopes as Scope[];
  if (typeof requested !== 'string' || requested === '') return allowed;
  const asked = [...new Set(requested.split(' '))];
  if (!asked.every((scope) => (allowed as string[]).includes(scope))) {
    throw oauthError('invalid_scope', 'invalid_scope', `Requested scopes must be a subset of: ${allowed.join(' ')}.`);
  }
  return asked as Scope[];
}

async function authenticateBasic(deps: TokenEndpointDeps, header: string, request: TokenRequest): Promise<ClientRow> {
  const credentials = parseBasic(header);
  const row = credentials && CLIENT_ID.test(credentials.clientId) ? await clientsRepository.get(deps.db, credentials.clientId) : undefined;
  const secret = credentials?.secret ?? '';
  const stored = row?.token_endpoint_auth_method === 'client_secret_basic' ? row.secret_hash : undefined;
  let ok = await verifyClientSecret(secret, stored, deps.scryptCost);
  // During a rotation's overlap window the previous secret is valid too.
  if (!ok && stored && row?.previous_secret_hash && row.previous_secret_expires_at && row.previous_secret_expires_at > new Date()) {
    ok = await verifyClientSecret(secret, row.previous_secret_hash, deps.scryptCost);
  }
  if (!ok || !row) {
    if (row) deny(deps, row.id, 'secret', request);
    throw oauthError('invalid_client', 'invalid_client', BAD_CLIENT);
  }
  return row;
}

async function authenticateAssertion(
  deps: TokenEndpointDeps,
  assertion: string,
  form: Record<string, unknown>,
  request: TokenRequest,
): Promise<ClientRow> {
  if (form.client_assertion_type !== JWT_BEARER) throw oauthError('invalid_assertion', 'invalid_client', BAD_ASSERTION);
  const clientId = assertionIssuer(assertion) ?? '';
  const row = CLIENT_ID.test(clientId) ? await clientsRepository.get(deps.db, clientId) : undefined;
  try {
    if (form.client_id !== undefined && form.client_id !== clientId) throw new AssertionRejected('subject');
    if (!row || row.token_endpoint_auth_method !== 'private_key_jwt' || !row.jwks) {
      await rejectUnknownClientAssertion(assertion, clientId, deps.assertionAudiences);
    }
    const verified = verifyClientAssertion(assertion, clientFromRow(row as ClientRow), deps.assertionAudiences);
    if (!(await clientsRepository.rememberJti(deps.db, clientId, verified.jti, verified.expiresAt))) {
      throw new AssertionRejected('jti');
    }
    return row as ClientRow;
  } catch (err) {
    if (!(err instanceof AssertionRejected)) throw err;
    if (row) deny(deps, row.id, `assertion_${err.reason}`, request);
    throw oauthError('invalid_assertion', 'invalid_client', BAD_ASSERTION);
  }
}

/**
 * Audits a refused token request of a known client (`auth.token`, outcome denied). Not
 * awaited: the refusal must take as long for a known client as for an unknown one.
 */
function deny(deps: TokenEndpointDeps, clientId: string, reason: string, request: TokenRequest): void {
  void deps.audit
    .append(deps.db, {
    actor: { type: 'client', clientId },
    action: 'auth.token',
    subject: { type: 'client', id: clientId },
    outcome: 'denied',
    details: { reason },
    ...(request.requestId ? { requestId: request.requestId } : {}),
    })
    .catch((err: unknown) => deps.logger.error({ err }, 'could not audit a refused token request'));
}
