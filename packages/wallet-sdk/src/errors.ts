import type { components } from '@opentsp/api-types';

/** Every stable error code the TSP can return (enum `ProblemCode` in openapi/tsp.yaml). */
export type ProblemCode = components['schemas']['ProblemCode'];
export type Problem = components['schemas']['Problem'];

/**
 * An error answered by the TSP as an RFC 9457 problem. Branch on `code` (a union the
 * compiler checks), never on `message`.
 *
 * @example
 * try { await wallet.getToken(ref); }
 * catch (err) {
 *   if (err instanceof OpenTspError && err.code === 'token_not_found') showMissingCard();
 * }
 */
export class OpenTspError extends Error {
  override readonly name = 'OpenTspError';
  readonly code: ProblemCode;
  readonly status: number;
  readonly requestId: string | undefined;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.problem = problem;
    this.code = problem.code;
    this.status = problem.status;
    this.requestId = problem.requestId;
  }
}

/** True when a response body is an RFC 9457 problem from the TSP. */
export function isProblem(body: unknown): body is Problem {
  const b = body as Partial<Problem> | null;
  return !!b && typeof b === 'object' && typeof b.code === 'string' && typeof b.status === 'number';
}
