import type { AuditLog } from '../audit/audit-log';
import type { ServiceContext } from '../context';
import { createEphemeralKeyRing, type TspKeyRing } from './tsp-key-ring';

/** What the vault area provides to the rest of the service. */
export interface VaultServices {
  keyRing: TspKeyRing;
}

export async function createVaultServices(_ctx: ServiceContext, _audit: AuditLog): Promise<VaultServices> {
  return { keyRing: await createEphemeralKeyRing() };
}
