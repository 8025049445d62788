/**
 * Types of the OpenTSP REST API, generated from openapi/tsp.yaml (see schema.d.ts).
 * Import `paths`, `components`, `operations` and `webhooks`; never hand-write API shapes.
 */
export type { paths, components, operations, webhooks } from './schema';

import type { components } from './schema';

/** Shorthand for a named schema of the contract: `Schema<'Token'>`. */
export type Schema<Name extends keyof components['schemas']> = components['schemas'][Name];
