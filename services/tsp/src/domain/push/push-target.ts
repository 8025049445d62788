import { AccessError, ValidationError } from '../../errors';
import type { Principal } from '../principal';
import type { Client } from '../identity/records';
import type { PushPorts } from './ports';

/**
 * The token requestor an issuer pushes to, from the identity registry (the same set
 * `GET /v1/issuer/token-requestors` lists: every active wallet or card-on-file merchant).
 *
 * @throws ValidationError `requestor_not_found` (no token requestor has this TRID);
 * AccessError `requestor_not_eligible` (suspended, or, with `needsLink`, no app or web URI to
 * open the receipt in).
 */
export function pushTarget(ports: PushPorts, trid: string, options: { needsLink?: boolean } = {}): Client {
  const client = ports.registry.getRequestorByTrid(trid);
  if (!client || (client.role !== 'wallet' && client.role !== 'cof_merchant')) {
    throw new ValidationError('requestor_not_found', 'No token requestor has this TRID.');
  }
  if (client.status !== 'active') {
    throw new AccessError('requestor_not_eligible', 'This token requestor cannot receive pushed cards now.');
  }
  if (options.needsLink && !client.appUri && !client.webUri) {
    throw new AccessError('requestor_not_eligible', 'This token requestor registered no app or web URI to receive a push receipt.');
  }
  return client;
}

/** Only issuers push, and only as themselves. */
export function pushingIssuer(principal: Principal): string {
  if (principal.role !== 'issuer' || !principal.issuerId) throw new AccessError('forbidden', 'Only issuers push cards.');
  return principal.issuerId;
}
