import type { components } from '@opentsp/api-types';
import { generateOctKey } from '@opentsp/crypto';
import type { AuditLog } from '../../audit/audit-log';
import type { AuditActor } from '../../store/audit-entries.table';
import { clientsRepository, type ClientRow, type NewClientRow } from '../../store/clients.repository';
import { issuersRepository } from '../../store/issuers.repository';
import { decodeCursor, pageOf } from '../../store/pagination';
import type { Executor, UnitOfWork } from '../../store/transaction';
import { NotFoundError, StateError } from '../../errors';
import { generateClientSecret, hashClientSecret, type ScryptCost } from './client-secrets';
import { randomId } from './ids';
import { clientFromRow, type Channel, type Client } from './records';
import type { RegistryCache } from './registry';
import { isRequestorRole, ROLE_SCOPES } from './scopes';
import { hasKey, jwksErrors, throwIfInvalid, urlErrors, type FieldError } from './validation';

export type { Client } from './records';
export type CreateClientRequest = components['schemas']['CreateClientRequest'];
export type CreateClientResult = components['schemas']['CreateClientResult'];
export type ClientList = components['schemas']['ClientList'];
export type ClientSecretRotation = components['schemas']['ClientSecretRotation'];

/** Who makes an admin change, and the request it came with (for the audit log). */
export interface AdminContext {
  actor: AuditActor;
  requestId?: string;
}

/** Seals a secret for a row (the vault's envelope; see vault/envelope.ts). */
export interface SecretSealer {
  seal(tx: Executor, context: { purpose: string; ownerRef: string }, plaintext: string): Promise<string>;
}

export interface ClientAdminDeps {
  /** Seals A256GCMKW response keys; without it such clients cannot be registered. */
  sealer: SecretSealer | undefined;
  uow: UnitOfWork;
  audit: AuditLog;
  cache: RegistryCache;
  scryptCost: ScryptCost;
  tspCode: string;
  sandbox: boolean;
}

const ALL_CHANNELS: Channel[] = ['nfc', 'in_app', 'ecom', 'cof'];
const DEFAULT_PREVIOUS_SECRET_TTL_SECONDS = 86_400;

/**
 * The client registry's admin operations (`/v1/admin/clients`, `opentsp clients …`). Every
 * change is audited in its own transaction and applied to this process's registry at once;
 * other processes follow through NOTIFY.
 */
export class ClientAdmin {
  constructor(private readonly deps: ClientAdminDeps) {}

  /** Registers a client; its secret and A256GCMKW response key are returned here only. */
  async create(context: AdminContext, input: CreateClientRequest): Promise<CreateClientResult> {
    await this.#validate(input);
    const secret = input.tokenEndpointAuthMethod === 'client_secret_basic' ? generateClientSecret() : undefined;
    const secretHash = secret ? await hashClientSecret(secret, this.deps.scryptCost) : null;
    const id = randomId('cli_');
    const responseKey = input.responseEncryption?.alg === 'A256GCMKW' ? generateOctKey(`${id}-response-1`) : undefined;
    const requestor = isRequestorRole(input.role);
    const row = await this.deps.uow.transaction(async (tx) => {
      const trid = requestor ? await clientsRepository.nextTrid(tx, this.deps.tspCode) : null;
      const newRow: NewClientRow = {
        id,
        role: input.role,
        name: input.name,
        status: 'active',
        trid,
        issuer_id: input.issuerId ?? null,
        scopes: [...ROLE_SCOPES[input.role]],
        allowed_channels: requestor ? (input.allowedChannels ?? ALL_CHANNELS) : null,
        merchant_ids: input.merchantIds ?? null,
        webhook_url: input.webhookUrl ?? null,
        app_uri: input.appUri ?? null,
        web_uri: input.webUri ?? null,
        jwks: (input.jwks as NewClientRow['jwks']) ?? null,
        token_endpoint_auth_method: input.tokenEndpointAuthMethod,
        secret_hash: secretHash,
        previous_secret_hash: null,
        previous_secret_expires_at: null,
        response_encryption_alg: input.responseEncryption?.alg ?? null,
        // Sealed by the vault envelope, bound to this client (AAD `client-key:<id>:data`).
        response_key_sealed: responseKey ? await this.#sealResponseKey(tx, id, JSON.stringify(responseKey)) : null,
      };
      await clientsRepository.insert(tx, newRow, new Date());
      await this.deps.audit.append(tx, {
        actor: context.actor,
        action: 'client.create',
        subject: { type: 'client', id },
        outcome: 'success',
        details: { role: input.role, name: input.name, ...(trid ? { trid } : {}), ...(input.issuerId ? { issuerId: input.issuerId } : {}) },
        ...(context.requestId ? { requestId: context.requestId } : {}),
      });
      return (await clientsRepository.get(tx, id)) as ClientRow;
    });
    const client = this.#remember(row);
    return {
      client,
      ...(secret ? { clientSecret: secret } : {}),
      ...(responseKey ? { responseEncryptionKey: { ...responseKey, use: 'enc', alg: 'A256GCMKW', kty: 'oct' } } : {}),
    };
  }

  /** @throws NotFoundError `client_not_found`. */
  async get(clientId: string): Promise<Client> {
    const row = await clientsRepository.get(this.deps.uow.executor, clientId);
    if (!row) throw new NotFoundError('client_not_found', 'No client with this id.');
    return clientFromRow(row);
  }

  /** A page of clients in `createdAt`, `clientId` order. */
  async list(query: { role?: Client['role']; status?: Client['status']; limit?: number; cursor?: string }): Promise<ClientList> {
    const limit = query.limit ?? 50;
    const listName = `clients:${query.role ?? ''}:${query.status ?? ''}`;
    const after = decodeCursor(listName, query.cursor);
    const rows = await clientsRepository.page(this.deps.uow.executor, {
      ...(query.role ? { role: query.role } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(after ? { after } : {}),
      limit: limit + 1,
    });
    return pageOf(rows, limit, clientFromRow, listName, (r) => ({ a: r.created_at.toISOString(), i: r.id }));
  }

  /** Suspends a client: no new access tokens, and its unexpired ones are refused at once. */
  suspend(context: AdminContext, clientId: string, comment?: string): Promise<Client> {
    return this.#setStatus(context, clientId, 'suspended', comment);
  }

  resume(context: AdminContext, clientId: string, comment?: string): Promise<Client> {
    return this.#setStatus(context, clientId, 'active', comment);
  }

  /**
   * A new secret; the previous one stays valid for `previousSecretTtlSeconds` (default one
   * day) so the client can roll over without downtime.
   * @throws NotFoundError `client_not_found`; StateError `client_auth_method_mismatch`.
   */
  async rotateSecret(context: AdminContext, clientId: string, previousSecretTtlSeconds = DEFAULT_PREVIOUS_SECRET_TTL_SECONDS): Promise<ClientSecretRotation> {
    const secret = generateClientSecret();
    const secretHash = await hashClientSecret(secret, this.deps.scryptCost);
    const previousSecretExpiresAt = new Date(Date.now() + previousSecretTtlSeconds * 1000);
    const row = await this.deps.uow.transaction(async (tx) => {
      const current = await clientsRepository.getForUpdate(tx, clientId);
      if (!current) throw new NotFoundError('client_not_found', 'No client with this id.');
      if (current.token_endpoint_auth_method !== 'client_secret_basic') {
        throw new StateError('client_auth_method_mismatch', 'The client authenticates with private_key_jwt and has no secret.');
      }
      const keepPrevious = previousSecretTtlSeconds > 0 && current.secret_hash !== null;
      await clientsRepository.setSecrets(tx, clientId, {
        secretHash,
        previousSecretHash: keepPrevious ? current.secret_hash : null,
        previousSecretExpiresAt: keepPrevious ? previousSecretExpiresAt : null,
      });
      await this.deps.audit.append(tx, {
        actor: context.actor,
        action: 'client.secret_rotate',
        subject: { type: 'client', id: clientId },
        outcome: 'success',
        details: { previousSecretTtlSeconds },
        ...(context.requestId ? { requestId: context.requestId } : {}),
      });
      return (await clientsRepository.get(tx, clientId)) as ClientRow;
    });
    this.#remember(row);
    return { clientId, clientSecret: secret, previousSecretExpiresAt: previousSecretExpiresAt.toISOString() };
  }

  async #setStatus(context: AdminContext, clientId: string, status: Client['status'], comment?: string): Promise<Client> {
    const row = await this.deps.uow.transaction(async (tx) => {
      const current = await clientsRepository.getForUpdate(tx, clientId);
      if (!current) throw new NotFoundError('client_not_found', 'No client with this id.');
      if (current.status !== status) {
        await clientsRepository.setStatus(tx, clientId, status);
        await this.deps.audit.append(tx, {
          actor: context.actor,
          action: status === 'suspended' ? 'client.suspend' : 'client.resume',
          subject: { type: 'client', id: clientId },
          outcome: 'success',
          details: comment ? { comment } : {},
          ...(context.requestId ? { requestId: context.requestId } : {}),
        });
      }
      return (await clientsRepository.get(tx, clientId)) as ClientRow;
    });
    return this.#remember(row);
  }

  async #sealResponseKey(tx: Executor, clientId: string, jwkJson: string): Promise<string> {
    if (!this.deps.sealer) throw new Error('A256GCMKW response keys need the vault envelope to be sealed');
    return this.deps.sealer.seal(tx, { purpose: 'client-key', ownerRef: clientId }, jwkJson);
  }

  #remember(row: ClientRow): Client {
    const client = clientFromRow(row);
    this.deps.cache.putClient(client.clientId, clientFromRow(row));
    return client;
  }

  async #validate(input: CreateClientRequest): Promise<void> {
    const errors: FieldError[] = [];
    const requestor = isRequestorRole(input.role);
    if (input.role === 'issuer' && !input.issuerId) errors.push({ path: '/body/issuerId', message: 'is required with role issuer' });
    if (input.role !== 'issuer' && input.issuerId) errors.push({ path: '/body/issuerId', message: 'is only allowed with role issuer' });
    if (input.tokenEndpointAuthMethod === 'private_key_jwt' && !hasKey(input.jwks, 'ES256', 'sig')) {
      errors.push({ path: '/body/jwks', message: 'must hold an ES256 signing key with private_key_jwt' });
    }
    if (input.responseEncryption?.alg === 'RSA-OAEP-256' && !hasKey(input.jwks, 'RSA-OAEP-256', 'enc')) {
      errors.push({ path: '/body/jwks', message: 'must hold an RSA-OAEP-256 encryption key with RSA-OAEP-256 response encryption' });
    }
    if (input.allowedChannels && !requestor) errors.push({ path: '/body/allowedChannels', message: 'is only allowed with wallet and cof_merchant' });
    if (input.merchantIds && input.role !== 'acquirer' && input.role !== 'cof_merchant') {
      errors.push({ path: '/body/merchantIds', message: 'is only allowed with acquirer and cof_merchant' });
    }
    if (input.responseEncryption && input.role !== 'acquirer') errors.push({ path: '/body/responseEncryption', message: 'is only allowed with acquirer' });
    errors.push(...urlErrors({ '/body/webhookUrl': input.webhookUrl }, this.deps.sandbox));
    errors.push(...(await jwksErrors(input.jwks, '/body/jwks')));
    throwIfInvalid(errors);
    if (input.issuerId && !this.deps.cache.getIssuer(input.issuerId)) {
      const [exists] = await issuersRepository.load(this.deps.uow.executor, [input.issuerId]);
      if (!exists) throw new NotFoundError('issuer_not_found', 'No issuer with this issuerId.');
    }
  }
}
