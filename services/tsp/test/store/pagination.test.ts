import { decodeCursor, decodeListCursor, encodeCursor, encodeListCursor, pageOf } from '../../src/store/pagination';

const b64 = (text: string) => Buffer.from(text).toString('base64url');

describe('list cursors', () => {
  it('round-trips a position, and refuses it for another list or other filters', () => {
    const cursor = encodeCursor('tokens:active', { at: '2026-12-07T10:00:00.000Z', id: 'tok_1' });
    expect(decodeCursor('tokens:active', cursor)).toEqual({ at: '2026-12-07T10:00:00.000Z', id: 'tok_1' });
    expect(() => decodeCursor('tokens:suspended', cursor)).toThrow(expect.objectContaining({ code: 'cursor_invalid' }));
    expect(decodeCursor('tokens:active', undefined)).toBeUndefined();
  });

  it.each([
    ['not base64 JSON', 'zzz'],
    ['a number field given as text', encodeListCursor('rules', { p: '3', i: 'rul_1' })],
    ['a missing field', encodeListCursor('rules', { p: 3 })],
    ['JSON that is no object', b64('"rules"')],
  ])('refuses %s with cursor_invalid', (_name, cursor) => {
    expect(() => decodeListCursor('rules', cursor, { p: 'integer', i: 'string' })).toThrow(
      expect.objectContaining({ code: 'cursor_invalid' }),
    );
  });

  it('refuses a time-ordered cursor whose time is not one', () => {
    expect(() => decodeCursor('issuers', encodeListCursor('issuers', { a: 'yesterday', i: 'iss_1' }))).toThrow(
      expect.objectContaining({ code: 'cursor_invalid' }),
    );
  });

  it('reads the cursors issued before the codec was shared (identity lists, the audit log) and keeps the others’ format', () => {
    expect(decodeCursor('issuers', b64(JSON.stringify(['issuers', '2026-12-07T10:00:00.000Z', 'iss_1'])))).toEqual({ at: '2026-12-07T10:00:00.000Z', id: 'iss_1' });
    expect(decodeListCursor('token-requestors', b64(JSON.stringify(['token-requestors', 'Acme Pay', '40012345678'])), { a: 'string', i: 'string' })).toEqual({ a: 'Acme Pay', i: '40012345678' });
    expect(decodeListCursor('audit', b64('audit:42'), { s: 'integer' })).toEqual({ s: 42 });
    expect(encodeCursor('tokens', { at: '2026-12-07T10:00:00.000Z', id: 'tok_1' })).toBe(b64('{"l":"tokens","a":"2026-12-07T10:00:00.000Z","i":"tok_1"}'));
    expect(encodeListCursor('versions:rul_1', { v: 3 })).toBe(b64('{"l":"versions:rul_1","v":3}'));
  });

  it('pages rows fetched with limit + 1', () => {
    const rows = [1, 2, 3];
    const full = pageOf(rows, 2, (n) => n * 10, 'numbers', (n) => ({ v: n }));
    expect(full.data).toEqual([10, 20]);
    expect(decodeListCursor('numbers', full.nextCursor!, { v: 'integer' })).toEqual({ v: 2 });
    expect(pageOf(rows, 3, (n) => n, 'numbers', (n) => ({ v: n })).nextCursor).toBeNull();
  });
});
