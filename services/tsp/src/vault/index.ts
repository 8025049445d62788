import type { ServiceContext } from '../context';
import { createEphemeralKeyRing, type TspKeyRing } from './tsp-key-ring';

/** What the vault area provides to the rest of the service. */
export interface VaultServices {
  keyRing: TspKeyRing;
}

export async function createVaultServices(_ctx: ServiceContext): Promise<VaultServices> {
  return { keyRing: await createEphemeralKeyRing() };
}
