import { Router } from 'express';
import type { Services } from '../../compose';
import type { ServiceContext } from '../../context';

/** HTTP routes of the identity area. */
export function identityRoutes(_services: Services, _ctx: ServiceContext): Router {
  return Router();
}
