import { canTransition, nextStatus, type TokenStatus, type TokenTransition } from '../../src/domain/tokens/token-states';
import { StateError } from '../../src/errors';

const ALL: TokenStatus[] = ['INACTIVE', 'ACTIVE', 'SUSPENDED', 'DELETED'];

describe('token lifecycle transitions', () => {
  it.each<[TokenStatus, TokenTransition, TokenStatus]>([
    ['INACTIVE', 'activate', 'ACTIVE'],
    ['ACTIVE', 'suspend', 'SUSPENDED'],
    ['INACTIVE', 'suspend', 'SUSPENDED'],
    ['SUSPENDED', 'resume', 'ACTIVE'],
    ['INACTIVE', 'delete', 'DELETED'],
    ['ACTIVE', 'delete', 'DELETED'],
    ['SUSPENDED', 'delete', 'DELETED'],
  ])('%s --%s--> %s', (from, transition, to) => {
    expect(nextStatus(from, transition)).toBe(to);
  });

  it.each<[TokenStatus, TokenTransition]>([
    ['ACTIVE', 'activate'],
    ['SUSPENDED', 'activate'],
    ['SUSPENDED', 'suspend'],
    ['ACTIVE', 'resume'],
    ['INACTIVE', 'resume'],
  ])('refuses %s --%s--> with token_state_conflict', (from, transition) => {
    expect(() => nextStatus(from, transition)).toThrow(expect.objectContaining({ code: 'token_state_conflict' }));
  });

  it('makes deletion final: every transition from DELETED is token_deleted', () => {
    for (const transition of ['activate', 'suspend', 'resume', 'delete'] as const) {
      let error: unknown;
      try {
        nextStatus('DELETED', transition);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(StateError);
      expect((error as StateError).code).toBe('token_deleted');
      expect(canTransition('DELETED', transition)).toBe(false);
    }
  });

  it('agrees with canTransition everywhere', () => {
    for (const from of ALL) {
      for (const transition of ['activate', 'suspend', 'resume', 'delete'] as const) {
        const allowed = canTransition(from, transition);
        if (allowed) expect(() => nextStatus(from, transition)).not.toThrow();
        else expect(() => nextStatus(from, transition)).toThrow(StateError);
      }
    }
  });
});
