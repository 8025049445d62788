import type { RequestHandler, Response } from 'express';
import { TspError, type ProblemCode } from '../errors';
import { PROBLEM_STATUS, PROBLEM_TITLE } from './problem-codes';

/**
 * RFC 9457 problem details. Every error the API returns has this shape and the
 * `application/problem+json` media type; `code` is the stable, machine-readable part.
 * The token endpoint is the exception: OAuth 2 clients read its errors as RFC 6749 §5.2
 * `application/json` with `error` / `error_description`, so there the same body carries
 * those members too and is sent as `application/json`.
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

/** Marks the response as the token endpoint's: its errors are sent as OAuth 2 errors. */
export const useOAuthErrors: RequestHandler = (req, res, next) => {
  // Mounted at /oauth2/token: `/` is the endpoint itself, not a longer path under it.
  if (req.path === '/') res.locals.oauthErrors = true;
  next();
};

/**
 * The RFC 6749 §5.2 `error` of a problem that has none (refused before the endpoint ran:
 * contract validation, body parsing, rate limits). 429 and 503 borrow `temporarily_unavailable`
 * and 500 `server_error` from §4.1.2.1, the codes OAuth 2 libraries know for those states.
 */
function oauthErrorOf(status: number): string {
  if (status === 429 || status === 503) return 'temporarily_unavailable';
  return status >= 500 ? 'server_error' : 'invalid_request';
}

// JSON escapes for markup characters: a JSON reader gets the text back unchanged, while a
// browser sniffing the body as HTML finds no tag to run. Nothing else is altered.
const MARKUP_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026' };

export function sendProblem(res: Response, problem: Problem): void {
  let body: Record<string, unknown> = problem;
  let type = 'application/problem+json';
  if (res.locals.oauthErrors === true) {
    const error = typeof problem.error === 'string' ? problem.error : oauthErrorOf(problem.status);
    body = { ...problem, error, error_description: problem.error_description ?? problem.detail ?? problem.title };
    type = 'application/json';
  }
  res.status(problem.status).type(type).send(JSON.stringify(body).replace(/[<>&]/g, (c) => MARKUP_ESCAPES[c] as string));
}

export function problemFromError(err: TspError, requestId: string | undefined, instance: string): Problem {
  return problemFor(err.code, err.message, { requestId, instance }, err.extensions);
}
