import { ECHO_MARKERS } from './hostile-inputs';
import type { FuzzRequest } from './request-arbitrary';

/** What came back for one fuzzed request. */
export interface FuzzResponse {
  status: number;
  contentType: string;
  requestIdHeader: string | null;
  body: string;
  ms: number;
}

/**
 * Judges one response against the robustness rules of issue 11. Returns the broken rules
 * (empty = fine). `not_implemented` (501) is reported apart by the caller, not here.
 */
export function judge(req: FuzzRequest, res: FuzzResponse, problemCodes: ReadonlySet<string>, pans: readonly string[]): string[] {
  const broken: string[] = [];
  if (res.status >= 500 && !(res.status === 501 && parseCode(res.body) === 'not_implemented')) broken.push(`5xx: ${res.status} ${parseCode(res.body) ?? ''}`);
  if (res.status >= 400) {
    // The token endpoint answers RFC 6749 §5.2 errors (application/json with `error`), the problem members alongside.
    const oauth = req.url.split('?')[0] === '/oauth2/token';
    if (!(oauth ? /^application\/json/ : /^application\/problem\+json/).test(res.contentType)) broken.push(`error of the wrong media type (${res.contentType})`);
    let problem: Record<string, unknown> | undefined;
    try {
      problem = JSON.parse(res.body) as Record<string, unknown>;
    } catch {
      broken.push('error body is not JSON');
    }
    if (problem) {
      if (typeof problem.code !== 'string' || !problemCodes.has(problem.code)) broken.push(`problem code not in the enum: ${String(problem.code)}`);
      if (problem.status !== res.status) broken.push(`problem.status ${String(problem.status)} != ${res.status}`);
      if (typeof problem.type !== 'string' || typeof problem.title !== 'string') broken.push('problem without type/title');
      if (oauth && (typeof problem.error !== 'string' || typeof problem.error_description !== 'string')) broken.push('token endpoint error without error/error_description');
      if (!problem.requestId || problem.requestId !== res.requestIdHeader) broken.push('problem.requestId != X-Request-Id');
      if (/\bat .+\.(ts|js):\d+|node_modules|\bSELECT\b.+\bFROM\b|\bINSERT INTO\b|\bUPDATE\b.+\bSET\b/i.test(res.body)) broken.push('internals (stack/SQL) in a problem');
    }
  }
  for (const marker of ECHO_MARKERS) {
    if (res.body.includes(marker)) broken.push(`echo of ${JSON.stringify(marker)}`);
  }
  const digitsOnly = res.body.replace(/[ -]/g, '');
  for (const pan of pans) {
    if (digitsOnly.includes(pan)) broken.push('card number in the body');
  }
  if (req.method === 'HEAD' && res.body) broken.push('body on HEAD');
  return broken;
}

function parseCode(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { code?: string }).code;
  } catch {
    return undefined;
  }
}
