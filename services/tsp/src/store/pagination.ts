import { ValidationError } from '../errors';

/**
 * Opaque list cursors (DESIGN §7a: `?limit=&cursor=` → `{ data, nextCursor }`, stable order).
 * A cursor encodes the sort key of the last row returned plus which list it belongs to, so a
 * cursor from one list (or other filters) is refused with `cursor_invalid`.
 */
export interface CursorPosition {
  /** ISO timestamp of the last row's sort time. */
  at: string;
  /** Its id, the tie-breaker. */
  id: string;
}

export function encodeCursor(list: string, position: CursorPosition): string {
  return Buffer.from(JSON.stringify({ l: list, a: position.at, i: position.id })).toString('base64url');
}

export function decodeCursor(list: string, cursor: string | undefined): CursorPosition | undefined {
  if (!cursor) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { l?: string; a?: string; i?: string };
    if (parsed.l === list && typeof parsed.a === 'string' && typeof parsed.i === 'string' && !Number.isNaN(Date.parse(parsed.a))) {
      return { at: parsed.a, id: parsed.i };
    }
  } catch {
    // fall through
  }
  throw new ValidationError('cursor_invalid', 'The cursor is malformed or belongs to another list.');
}
