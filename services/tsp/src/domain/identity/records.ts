import type { components } from '@opentsp/api-types';
import type { ClientRow } from '../../store/clients.repository';
import type { IssuerWithRanges } from '../../store/issuers.repository';
import type { Scope } from '../principal';

/** API shapes of the identity area (openapi/tsp.yaml), used as the registry's records too. */
export type Client = components['schemas']['Client'];
export type Issuer = components['schemas']['Issuer'];
export type TokenRequestor = components['schemas']['TokenRequestor'];
export type CardBinRange = components['schemas']['CardBinRange'];
export type TokenBinRange = components['schemas']['TokenBinRange'];
export type Channel = components['schemas']['Channel'];
export type Jwks = components['schemas']['Jwks'];

/** A card BIN range with the issuer that owns it (for BIN lookup by other areas). */
export interface OwnedCardBinRange extends CardBinRange {
  issuerId: string;
}

/** The registry's view of a stored client (never its secrets). */
export function clientFromRow(row: ClientRow): Client {
  const client: Client = {
    clientId: row.id,
    role: row.role,
    name: row.name,
    status: row.status,
    scopes: row.scopes as Scope[],
    tokenEndpointAuthMethod: row.token_endpoint_auth_method,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
  if (row.trid) client.trid = row.trid;
  if (row.issuer_id) client.issuerId = row.issuer_id;
  if (row.allowed_channels) client.allowedChannels = row.allowed_channels as Channel[];
  if (row.merchant_ids) client.merchantIds = row.merchant_ids;
  if (row.webhook_url) client.webhookUrl = row.webhook_url;
  if (row.app_uri) client.appUri = row.app_uri;
  if (row.web_uri) client.webUri = row.web_uri;
  if (row.jwks) client.jwks = row.jwks as unknown as Jwks;
  if (row.response_encryption_alg) client.responseEncryption = { alg: row.response_encryption_alg };
  return client;
}

/** The registry's view of a stored issuer. */
export function issuerFromRow(row: IssuerWithRanges): Issuer {
  const issuer: Issuer = {
    issuerId: row.id,
    name: row.name,
    country: row.country,
    status: row.status,
    cardBinRanges: row.cardBinRanges.map((r) => ({ prefix: r.prefix, panLength: r.length })),
    tokenBinRanges: row.tokenBinRanges.map((r) => ({ prefix: r.prefix, tokenLength: r.length })),
    standInDecision: row.stand_in_decision,
    binControllerId: row.bin_controller_id,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
  if (row.decision_url) issuer.decisionUrl = row.decision_url;
  if (row.otp_delivery_url) issuer.otpDeliveryUrl = row.otp_delivery_url;
  if (row.webhook_url) issuer.webhookUrl = row.webhook_url;
  if (row.jwks) issuer.jwks = row.jwks as unknown as Jwks;
  return issuer;
}

/** What an issuer's back end sees of a token requestor it may push to. */
export function requestorFromClient(client: Client): TokenRequestor {
  const requestor: TokenRequestor = { trid: client.trid ?? '', name: client.name, kind: client.role === 'cof_merchant' ? 'cof_merchant' : 'wallet' };
  if (client.appUri) requestor.appUri = client.appUri;
  if (client.webUri) requestor.webUri = client.webUri;
  return requestor;
}
