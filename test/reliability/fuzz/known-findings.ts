import type { FuzzResponse } from './oracle';
import type { FuzzRequest } from './request-arbitrary';
import type { Operation } from './spec-model';

/**
 * Findings in other areas' code that the fuzzer reproduces and the lead has not fixed yet.
 * Each entry is counted in the summary (never dropped silently) and names its owner. Remove an
 * entry when its fix lands: the fuzz test then enforces the rule for that case again.
 */
export interface KnownFinding {
  id: string;
  owner: string;
  description: string;
  matches(op: Operation, req: FuzzRequest, res: FuzzResponse): boolean;
}

export const KNOWN_FINDINGS: readonly KnownFinding[] = [];
