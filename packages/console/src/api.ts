import { AuthenticationError, HttpClient, type PathsWith, type ResponseOf } from '@opentsp/wallet-sdk/browser';
import { session } from './session';

export type { QueryOf, ResponseOf } from '@opentsp/wallet-sdk/browser';

/*
 * The console calls the TSP through the SDK's transport (the browser entry): same origin, the
 * signed-in session's access token, one Idempotency-Key per user action (a double-click or a
 * retried request changes the token once), problems as the SDK's typed errors (`OpenTspError`:
 * `code`, `status`, `requestId`, shown by `errorBox`). Paths, parameters, bodies and answers
 * are typed from openapi/tsp.yaml, so a contract change that breaks a page fails `typecheck`.
 */
const http = new HttpClient({ baseUrl: location.origin, accessToken: () => session.accessToken() });

/**
 * One operation of the contract with the session's access token; a refused token (401) ends
 * the session, so the next page asks to sign in.
 *
 * @example
 * ```ts
 * const page = await api('get', '/v1/issuer/tokens', { query: { cardRef } });
 * ```
 */
export async function api<M extends 'get' | 'post', P extends PathsWith<M>>(
  method: M,
  path: P,
  init?: Parameters<typeof http.call<M, P>>[2],
): Promise<ResponseOf<M, P>> {
  try {
    return (await http.call(method, path, init)).data as ResponseOf<M, P>;
  } catch (error) {
    if (error instanceof AuthenticationError) session.expire();
    throw error;
  }
}

/** Every page of a cursor-paginated list (`{ data, nextCursor }`), up to `max` items. */
export async function allPages<T>(fetchPage: (cursor?: string) => Promise<{ data: T[]; nextCursor?: string | null }>, max = 500): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    items.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && items.length < max);
  return items;
}
