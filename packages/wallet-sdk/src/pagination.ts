import type { WithLastResponse } from './last-response';

/** One page of a list (`{ data, nextCursor }` in the contract; `nextCursor` null on the last page). */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Fetches the page after `cursor` (the first page when undefined), with the answer's `lastResponse`. */
export type PageFetcher<T> = (cursor: string | undefined) => Promise<WithLastResponse<Page<T>>>;

/**
 * A list that fetches its pages as you iterate (`?limit=&cursor=` → `{ data, nextCursor }`),
 * one page at a time and only as far as you read. Nothing is fetched until you iterate.
 *
 * @example
 * ```ts
 * for await (const card of wallet.listCards('wa_8842a1c7')) {
 *   render(card);
 *   if (enough()) break; // no further page is fetched
 * }
 * const all = await wallet.listCards('wa_8842a1c7').toArray();
 * ```
 */
export class AutoPager<T> implements AsyncIterable<T> {
  readonly #fetchPage: PageFetcher<T>;

  constructor(fetchPage: PageFetcher<T>) {
    this.#fetchPage = fetchPage;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for await (const page of this.pages()) yield* page.data;
  }

  /**
   * Iterates page by page (for UIs that render a page at a time).
   *
   * @example
   * ```ts
   * for await (const page of wallet.listCards(account).pages()) show(page.data);
   * ```
   */
  async *pages(): AsyncGenerator<WithLastResponse<Page<T>>, void, undefined> {
    let cursor: string | undefined;
    const seen = new Set<string>();
    for (;;) {
      const page = await this.#fetchPage(cursor);
      yield page;
      if (!page.nextCursor) return;
      // A server that hands back a cursor twice would loop forever; stop instead.
      if (seen.has(page.nextCursor)) throw new Error('The TSP returned the same pagination cursor twice');
      seen.add(page.nextCursor);
      cursor = page.nextCursor;
    }
  }

  /**
   * Only the first page.
   *
   * @example
   * ```ts
   * const { data, nextCursor } = await wallet.listCards(account, { limit: 20 }).firstPage();
   * ```
   */
  firstPage(): Promise<WithLastResponse<Page<T>>> {
    return this.#fetchPage(undefined);
  }

  /**
   * Every item, up to `limit` (default 10 000) so a runaway list cannot exhaust memory.
   *
   * @example
   * ```ts
   * const cards = await wallet.listCards(account).toArray({ limit: 100 });
   * ```
   */
  async toArray(options: { limit?: number } = {}): Promise<T[]> {
    const limit = options.limit ?? 10_000;
    const out: T[] = [];
    for await (const item of this) {
      if (out.length >= limit) break;
      out.push(item);
    }
    return out;
  }
}
