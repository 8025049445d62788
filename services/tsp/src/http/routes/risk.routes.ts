import { Router } from 'express';
import type { Services } from '../../compose';
import type { ServiceContext } from '../../context';

/** HTTP routes of the risk area. */
export function riskRoutes(_services: Services, _ctx: ServiceContext): Router {
  return Router();
}
