import { ValidationError } from '../errors';

/**
 * Opaque list cursors (DESIGN §7a: `?limit=&cursor=` → `{ data, nextCursor }`, stable order),
 * one codec for every paginated list: base64url of JSON `{ "l": list, …position }`. The
 * position is the sort key of the last row returned, in short fields (cursors travel in
 * URLs); `l` names the list and its filters, so a cursor from another list or other filters
 * is refused with `cursor_invalid`.
 */
export type CursorFields = Record<string, string | number>;

/** How each position field is checked when a cursor comes back (`timestamp`: an ISO time). */
export type CursorShape = Record<string, 'integer' | 'string' | 'timestamp'>;

/** The position a shape describes: `{ p: 'integer', i: 'string' }` → `{ p: number; i: string }`. */
export type PositionOf<S extends CursorShape> = { [K in keyof S]: S[K] extends 'integer' ? number : string };

export function encodeListCursor(list: string, position: CursorFields): string {
  return Buffer.from(JSON.stringify({ l: list, ...position })).toString('base64url');
}

/**
 * The position after which the page starts, or undefined for the first page.
 *
 * @throws ValidationError `cursor_invalid` when the cursor is not one of this list's.
 */
export function decodeListCursor<S extends CursorShape>(list: string, cursor: string | undefined, shape: S): PositionOf<S> | undefined {
  if (!cursor) return undefined;
  const parsed = parse(cursor);
  if (parsed?.l === list && Object.entries(shape).every(([field, kind]) => fits(parsed[field], kind))) {
    return Object.fromEntries(Object.keys(shape).map((field) => [field, parsed[field]])) as PositionOf<S>;
  }
  throw new ValidationError('cursor_invalid', 'The cursor is malformed or was issued for another list or other filters.');
}

function parse(cursor: string): Record<string, unknown> | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  // Two forms issued before this codec was shared are still read: `audit:<seq>` (the audit
  // log) and `[list, createdAt | name, id | trid]` (the identity lists).
  const audit = /^audit:(\d+)$/.exec(text);
  if (audit) return { l: 'audit', s: Number(audit[1]) };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (Array.isArray(value) && value.length === 3) return { l: value[0], a: value[1], i: value[2] };
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}

function fits(value: unknown, kind: string): boolean {
  if (kind === 'integer') return Number.isSafeInteger(value);
  if (typeof value !== 'string') return false;
  return kind !== 'timestamp' || !Number.isNaN(Date.parse(value));
}

/** A position in a list ordered by time, then id (most lists). */
export interface CursorPosition {
  /** ISO timestamp of the last row's sort time. */
  at: string;
  /** Its id, the tie-breaker. */
  id: string;
}

export function encodeCursor(list: string, position: CursorPosition): string {
  return encodeListCursor(list, { a: position.at, i: position.id });
}

export function decodeCursor(list: string, cursor: string | undefined): CursorPosition | undefined {
  const position = decodeListCursor(list, cursor, { a: 'timestamp', i: 'string' });
  return position && { at: position.a, id: position.i };
}

/**
 * `{ data, nextCursor }` from rows fetched with `limit + 1`: the extra row only says whether
 * there is a next page.
 */
export function pageOf<Row, Item>(
  rows: readonly Row[],
  limit: number,
  map: (row: Row) => Item,
  list: string,
  positionOf: (row: Row) => CursorFields,
): { data: Item[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    data: page.map(map),
    nextCursor: rows.length > limit && last !== undefined ? encodeListCursor(list, positionOf(last)) : null,
  };
}
