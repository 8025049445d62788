import { Router } from 'express';
import type { Services } from '../../compose';
import type { ServiceContext } from '../../context';

/** HTTP routes of the vault area. */
export function vaultRoutes(_services: Services, _ctx: ServiceContext): Router {
  return Router();
}
