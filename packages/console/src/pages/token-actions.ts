import type { Schema } from '@opentsp/api-types';
import { api } from '../api';
import { field, h, select } from '../dom';
import { LIFECYCLE_REASONS } from '../format';
import { maskPan } from '../mask';
import { confirmDialog } from '../components/confirm-dialog';
import { errorBox } from '../components/ui';

type Token = Schema<'Token'>;
type Action = 'suspend' | 'resume' | 'delete';

const PATHS = {
  suspend: '/v1/issuer/cards/{cardRef}/suspend',
  resume: '/v1/issuer/cards/{cardRef}/resume',
  delete: '/v1/issuer/cards/{cardRef}/delete',
} as const;

const VERBS: Record<Action, { label: string; past: string }> = {
  suspend: { label: 'Suspend', past: 'suspended' },
  resume: { label: 'Resume', past: 'resumed' },
  delete: { label: 'Delete', past: 'deleted' },
};

/** Which actions make sense for this token's status (the TSP refuses the others anyway). */
function allowed(token: Token): Action[] {
  switch (token.status) {
    case 'ACTIVE':
      return ['suspend', 'delete'];
    case 'SUSPENDED':
      return ['resume', 'delete'];
    case 'INACTIVE':
      return ['delete'];
    case 'DELETED':
      return [];
  }
}

/**
 * Suspend, resume or delete: this token or every token of its card, with a reason code and an
 * optional note, after a confirmation dialog that says exactly what will change.
 */
export function lifecycleActions(token: Token, done: (message: string) => Promise<void>): HTMLElement {
  const actions = allowed(token);
  if (actions.length === 0) return h('p', {}, 'This token is deleted; nothing more can be done with it.');
  const scope = select('scope', [
    ['token', `This token only (${maskPan(token.tokenLast4)})`],
    ['card', `Every token of card ${maskPan(token.card.panLast4)}`],
  ]);
  const reason = select('reason', LIFECYCLE_REASONS, 'cardholder_request');
  const comment = h('input', { name: 'comment', maxlength: 500, autocomplete: 'off' });
  const message = h('div', { class: 'form-message' });
  const buttons = actions.map((action) =>
    h(
      'button',
      { type: 'button', class: action === 'delete' ? 'danger' : 'primary', 'data-action': action, onclick: () => void run(action) },
      VERBS[action].label,
    ),
  );

  const run = async (action: Action): Promise<void> => {
    const wholeCard = scope.value === 'card';
    const reasonLabel = reason.selectedOptions[0]?.textContent ?? reason.value;
    const what = wholeCard ? `every token of card ${maskPan(token.card.panLast4)}` : `token ${maskPan(token.tokenLast4)} (${token.tokenRef})`;
    const body: (Node | string)[] = [h('p', {}, `${VERBS[action].label} ${what}?`), h('p', {}, `Reason: ${reasonLabel}.`)];
    if (action === 'delete') {
      body.push(h('p', { class: 'warning' }, wholeCard ? 'Deleting every token also removes the card from the vault. This cannot be undone.' : 'A deleted token cannot be used again. This cannot be undone.'));
    }
    const ok = await confirmDialog({ title: `${VERBS[action].label} ${wholeCard ? 'card tokens' : 'token'}`, body, confirmLabel: VERBS[action].label, danger: action === 'delete' });
    if (!ok) return;
    for (const b of buttons) b.disabled = true;
    message.replaceChildren();
    try {
      const result = await api('post', PATHS[action], {
        path: { cardRef: token.card.cardRef },
        body: {
          reason: reason.value as Schema<'LifecycleReason'>,
          comment: comment.value.trim() || undefined,
          tokenRefs: wholeCard ? undefined : [token.tokenRef],
        },
      });
      await done(`${result.tokens.length} token${result.tokens.length === 1 ? '' : 's'} ${VERBS[action].past}.`);
    } catch (error) {
      message.replaceChildren(errorBox(error));
      for (const b of buttons) b.disabled = false;
    }
  };

  return h(
    'form',
    { class: 'card actions-form', 'aria-label': 'Token actions', onsubmit: (e: Event) => e.preventDefault() },
    h('div', { class: 'grid' }, field('Apply to', scope), field('Reason', reason), field('Note (optional, no card data)', comment)),
    message,
    h('div', { class: 'actions' }, ...buttons),
  );
}
