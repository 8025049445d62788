import type { RequestHandler } from 'express';
import { CryptoError, verifyCompact } from '@opentsp/crypto';
import type { JwksSource } from './tsp-jwks';

/** The contract gives `OpenTSP-Signature` an `iat` window of 5 minutes. */
export const SIGNATURE_MAX_AGE_SECONDS = 300;

/**
 * Verifies `OpenTSP-Signature` (compact JWS, detached payload, RFC 7515 Appendix F) over the
 * exact raw body bytes against the TSP's JWKS; an unknown `kid` refreshes the JWKS once.
 * Anything else answers 401 before the handler runs. Needs `req.rawBody` (see app.ts).
 */
export function verifyTspSignature(jwks: JwksSource): RequestHandler {
  return async (req, res, next) => {
    const signature = req.get('opentsp-signature');
    const raw = (req as { rawBody?: Buffer }).rawBody;
    if (!signature || !raw) {
      res.status(401).json({ error: 'OpenTSP-Signature is required' });
      return;
    }
    const verify = async (keys: Awaited<ReturnType<JwksSource['get']>>) =>
      verifyCompact(signature, keys, { detachedPayload: raw, maxAgeSeconds: SIGNATURE_MAX_AGE_SECONDS });
    try {
      try {
        await verify(await jwks.get());
      } catch (err) {
        if (!(err instanceof CryptoError && err.code === 'key_not_found')) throw err;
        await verify(await jwks.refresh());
      }
    } catch {
      res.status(401).json({ error: 'signature does not verify' });
      return;
    }
    next();
  };
}
