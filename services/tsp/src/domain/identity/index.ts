import type { AuditLog } from '../../audit/audit-log';
import type { ServiceContext } from '../../context';
import type { Authenticator } from '../../http/auth';
import type { VaultServices } from '../../vault';
import { AccessError } from '../errors';

/** What the identity area provides: authentication of access tokens (and, later, the registry). */
export interface IdentityServices {
  authenticator: Authenticator;
}

export async function createIdentityServices(_ctx: ServiceContext, _vault: VaultServices, _audit: AuditLog): Promise<IdentityServices> {
  return {
    authenticator: {
      authenticate() {
        throw new AccessError('token_invalid', 'Access tokens are not issued by this build yet.');
      },
    },
  };
}
