import { Router } from 'express';
import type { ApiServices } from '../services';
import type { ServiceContext } from '../../context';
import { TspError } from '../../errors';
import { TokenFailureBudgetError } from '../../domain/identity/token-failure-budget';
import { loadOpenApiSpec } from '../openapi-spec';

type OAuthMetadata = Record<string, unknown>;

/**
 * RFC 8414 authorization server metadata, so standard OAuth 2 libraries discover the token
 * endpoint, its client authentication methods and the JWKS instead of being configured by
 * hand. The issuer is the TSP's public URL (the `iss` of its access tokens); the scopes are
 * the contract's (`components.securitySchemes.oauth2`), never a second list.
 */
function authorizationServerMetadata(publicUrl: string): OAuthMetadata {
  const spec = loadOpenApiSpec() as {
    components: { securitySchemes: { oauth2: { flows: { clientCredentials: { scopes: Record<string, string> } } } } };
  };
  return {
    issuer: publicUrl,
    token_endpoint: `${publicUrl}/oauth2/token`,
    jwks_uri: `${publicUrl}/.well-known/jwks.json`,
    grant_types_supported: ['client_credentials'],
    // REQUIRED by RFC 8414 §2; empty because there is no authorization endpoint.
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
    // Client assertions are verified as ES256 only (client-assertion.ts).
    token_endpoint_auth_signing_alg_values_supported: ['ES256'],
    scopes_supported: Object.keys(spec.components.securitySchemes.oauth2.flows.clientCredentials.scopes),
    service_documentation: `${publicUrl}/docs`,
  };
}

/**
 * `POST /oauth2/token` (RFC 6749 §4.4 client credentials; RFC 7523 client assertions) and
 * `GET /.well-known/oauth-authorization-server` (RFC 8414).
 */
export function oauthRoutes(services: ApiServices, ctx: ServiceContext): Router {
  const router = Router();
  const metadata = JSON.stringify(authorizationServerMetadata(ctx.config.publicUrl));

  router.get('/.well-known/oauth-authorization-server', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.type('application/json').send(metadata);
  });

  router.post('/oauth2/token', async (req, res) => {
    // RFC 6749 §5.1: token responses (and errors) must not be cached.
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    const authorization = req.get('authorization');
    try {
      const requestId = res.locals.requestId as string | undefined;
      const body = await services.identity.grantToken({
        authorization,
        form: (req.body ?? {}) as Record<string, unknown>,
        // `req.ip` honours OPENTSP_TRUST_PROXY (app.ts): the caller, not a proxy.
        source: req.ip ?? req.socket.remoteAddress ?? 'unknown',
        ...(requestId ? { requestId } : {}),
      });
      res.status(200).json(body);
    } catch (err) {
      // RFC 6749 §5.2: a 401 to a client that used the Authorization header carries its
      // challenge; `error` in it (an RFC 7235 auth-param) lets libraries that stop at the
      // challenge (openid-client) still tell `invalid_client`.
      if (err instanceof TspError && err.code === 'invalid_client' && authorization && /^basic /i.test(authorization)) {
        res.setHeader('WWW-Authenticate', 'Basic realm="opentsp", error="invalid_client"');
      }
      if (err instanceof TokenFailureBudgetError) {
        const { points, seconds } = err.policy;
        res.setHeader('RateLimit-Policy', `"auth-failures";q=${points};w=${seconds}`);
        res.setHeader('RateLimit', `"auth-failures";r=0;t=${err.retryAfterSeconds}`);
        res.setHeader('Retry-After', String(err.retryAfterSeconds));
      }
      throw err;
    }
  });
  return router;
}
