import type { Migration } from 'kysely';
import * as foundation from './0001-foundation';
import * as audit from './0002-audit';

/**
 * Every migration, in order. Listed here rather than read from the folder so the bundle,
 * tsx and jest all see the same set; names sort in application order.
 */
export const migrations: Record<string, Migration> = {
  '0001-foundation': foundation,
  '0002-audit': audit,
};
