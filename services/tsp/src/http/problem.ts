import type { Response } from 'express';
import { TspError, type ProblemCode } from '../domain/errors';
import { PROBLEM_STATUS, PROBLEM_TITLE } from './problem-codes';

/**
 * RFC 9457 problem details. Every error the API returns has this shape and the
 * `application/problem+json` media type; `code` is the stable, machine-readable part.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: ProblemCode;
  requestId?: string;
  [extension: string]: unknown;
}

export function problemFor(
  code: ProblemCode,
  detail: string | undefined,
  context: { requestId?: string; instance?: string },
  extensions: Readonly<Record<string, unknown>> = {},
): Problem {
  return {
    ...extensions,
    type: `urn:opentsp:problem:${code}`,
    title: PROBLEM_TITLE[code],
    status: PROBLEM_STATUS[code],
    ...(detail ? { detail } : {}),
    ...(context.instance ? { instance: context.instance } : {}),
    code,
    ...(context.requestId ? { requestId: context.requestId } : {}),
  };
}

export function sendProblem(res: Response, problem: Problem): void {
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

export function problemFromError(err: TspError, requestId: string | undefined, instance: string): Problem {
  return problemFor(err.code, err.message, { requestId, instance }, err.extensions);
}
