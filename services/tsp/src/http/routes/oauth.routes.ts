import { Router } from 'express';
import type { Services } from '../../compose';
import { TspError } from '../../domain/errors';

/** `POST /oauth2/token` (RFC 6749 §4.4 client credentials; RFC 7523 client assertions). */
export function oauthRoutes(services: Services): Router {
  const router = Router();
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
        ...(requestId ? { requestId } : {}),
      });
      res.status(200).json(body);
    } catch (err) {
      // RFC 6749 §5.2: a 401 to a client that used the Authorization header carries its challenge.
      if (err instanceof TspError && err.code === 'invalid_client' && authorization && /^basic /i.test(authorization)) {
        res.setHeader('WWW-Authenticate', 'Basic realm="opentsp"');
      }
      throw err;
    }
  });
  return router;
}
