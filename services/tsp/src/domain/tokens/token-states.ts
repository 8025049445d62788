import { StateError } from '../../errors';

export type TokenStatus = 'INACTIVE' | 'ACTIVE' | 'SUSPENDED' | 'DELETED';
export type TokenTransition = 'activate' | 'suspend' | 'resume' | 'delete';

/**
 * Every allowed status change, in one table (EMVCo Technical Framework §8 token lifecycle):
 * an INACTIVE token is activated by ID&V; ACTIVE and SUSPENDED alternate by suspend/resume;
 * any token can be deleted; DELETED is final.
 */
const TRANSITIONS: Record<TokenTransition, { from: readonly TokenStatus[]; to: TokenStatus }> = {
  activate: { from: ['INACTIVE'], to: 'ACTIVE' },
  suspend: { from: ['ACTIVE', 'INACTIVE'], to: 'SUSPENDED' },
  resume: { from: ['SUSPENDED'], to: 'ACTIVE' },
  delete: { from: ['INACTIVE', 'ACTIVE', 'SUSPENDED'], to: 'DELETED' },
};

/** The status after `transition`, or a `StateError` saying why it is not allowed. */
export function nextStatus(current: TokenStatus, transition: TokenTransition): TokenStatus {
  if (current === 'DELETED') throw new StateError('token_deleted', 'The token is deleted; deletion is final.');
  const rule = TRANSITIONS[transition];
  if (!rule.from.includes(current)) {
    throw new StateError('token_state_conflict', `A ${current} token cannot be ${pastTense(transition)}.`);
  }
  return rule.to;
}

export function canTransition(current: TokenStatus, transition: TokenTransition): boolean {
  return current !== 'DELETED' && TRANSITIONS[transition].from.includes(current);
}

function pastTense(transition: TokenTransition): string {
  return { activate: 'activated', suspend: 'suspended', resume: 'resumed', delete: 'deleted' }[transition];
}
