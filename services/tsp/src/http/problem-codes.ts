import { PROBLEM_CODE_TABLE } from '@opentsp/api-types/contract-tables';
import type { ProblemCode } from '../errors';

/*
 * HTTP status and short title of every problem code, read from the table generated from the
 * contract (`x-opentsp-problem-codes` in openapi/tsp.yaml, `pnpm gen`): a new code gets its
 * status there, once, for the TSP and the SDK alike.
 */

// `satisfies`: a code in the `ProblemCode` enum but missing from the table fails to compile.
const TABLE = PROBLEM_CODE_TABLE satisfies Record<ProblemCode, { status: number; title: string }>;
const CODES = Object.keys(TABLE) as ProblemCode[];

export const PROBLEM_STATUS = Object.fromEntries(CODES.map((code) => [code, TABLE[code].status])) as Record<ProblemCode, number>;

export const PROBLEM_TITLE = Object.fromEntries(CODES.map((code) => [code, TABLE[code].title])) as Record<ProblemCode, string>;
