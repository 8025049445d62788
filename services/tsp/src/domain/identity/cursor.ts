import { ValidationError } from '../../errors';

/**
 * Opaque list cursors of the identity lists (DESIGN §7a: `?limit=&cursor=` →
 * `{ data, nextCursor }`, stable order). A cursor names its list and filters, so one from
 * another list or other filters is refused with `cursor_invalid`.
 */
export function encodeCursor(list: string, position: readonly [string, string]): string {
  return Buffer.from(JSON.stringify([list, ...position])).toString('base64url');
}

/** The position after which the page starts, or undefined for the first page. */
export function decodeCursor(list: string, cursor: string | undefined): [string, string] | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 3 && parsed[0] === list && parsed.every((p) => typeof p === 'string')) {
      return [parsed[1] as string, parsed[2] as string];
    }
  } catch {
    // fall through: not ours
  }
  throw new ValidationError('cursor_invalid', 'The cursor is malformed or was issued for another list or other filters.');
}

/** `{ data, nextCursor }` from a page fetched with `limit + 1` rows. */
export function pageOf<Row, Item>(
  rows: readonly Row[],
  limit: number,
  map: (row: Row) => Item,
  positionOf: (row: Row) => readonly [string, string],
  list: string,
): { data: Item[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    data: page.map(map),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(list, positionOf(last)) : null,
  };
}
