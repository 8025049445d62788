import type { Schema } from '@opentsp/api-types';
import { allPages, api } from '../api';
import { announce, h, time } from '../dom';
import { ASSURANCE_METHODS, TOKEN_LOCATIONS, cardLabel, deviceLabel, expiry } from '../format';
import { maskPan } from '../mask';
import { href, type Route } from '../router';
import { badge, errorBox, loadInto, pageHeader, table } from '../components/ui';
import { lifecycleActions } from './token-actions';

type Token = Schema<'Token'>;
type HistoryEntry = Schema<'TokenHistoryEntry'>;

/**
 * One token as customer service needs it: status, domain, assurance, device, PAR, the card,
 * the full history (lifecycle, detokenizations, risk decisions, webhooks) and the actions.
 */
export const tokenPage: Route = {
  pattern: 'tokens/:tokenRef',
  title: 'Token',
  async render(main, { params }) {
    const tokenRef = params.tokenRef as string;
    const details = h('section', { 'aria-labelledby': 'details-h' });
    const actions = h('section', { 'aria-labelledby': 'actions-h' });
    const history = h('section', { 'aria-labelledby': 'history-h' });
    main.append(
      h('p', { class: 'crumbs' }, h('a', { href: href('tokens') }, '← Token search')),
      pageHeader(`Token ${tokenRef}`),
      details,
      actions,
      history,
    );

    const refresh = async (): Promise<void> => {
      let token: Token;
      try {
        token = await api('get', '/v1/issuer/tokens/{tokenRef}', { path: { tokenRef } });
      } catch (error) {
        details.replaceChildren(errorBox(error));
        actions.replaceChildren();
        history.replaceChildren();
        return;
      }
      details.replaceChildren(h('h2', { id: 'details-h' }, 'Details'), detailsList(token));
      actions.replaceChildren(
        h('h2', { id: 'actions-h' }, 'Actions'),
        lifecycleActions(token, async (message) => {
          await refresh();
          announce(message);
        }),
      );
      const list = h('div', {});
      history.replaceChildren(h('h2', { id: 'history-h' }, 'History'), list);
      await loadInto(list, async () => historyTable(await loadHistory(tokenRef)));
    };
    await refresh();
  },
};

function loadHistory(tokenRef: string): Promise<HistoryEntry[]> {
  return allPages((cursor) => api('get', '/v1/issuer/tokens/{tokenRef}/history', { path: { tokenRef }, query: { limit: 100, cursor } }));
}

function detailsList(token: Token): HTMLElement {
  const rows: [string, Node | string][] = [
    ['Status', h('span', {}, badge(token.status), token.statusReason ? ` (${token.statusReason})` : '')],
    ['Token number', `${maskPan(token.tokenLast4)} · exp ${expiry(token.tokenExpiry)}`],
    ['Card', cardLabel(token.card)],
    ['Card reference', token.card.cardRef],
    ['Product', token.card.product ? `${token.card.product.name ?? ''} ${token.card.product.type}`.trim() : '—'],
    ['PAR', token.par],
    ['Token requestor', `TRID ${token.trid}`],
    ['Wallet account', token.walletAccountId],
    ['Device', deviceLabel(token.device)],
    ['Domain', `${token.domain.channels.join(', ')}${token.domain.merchantIds?.length ? ` · merchants ${token.domain.merchantIds.join(', ')}` : ''}`],
    ['Token location', `${token.domain.tokenLocation} ${TOKEN_LOCATIONS[token.domain.tokenLocation] ?? ''}`.trim()],
    ['Assurance method', `${token.assuranceMethod} ${ASSURANCE_METHODS[token.assuranceMethod] ?? ''}`.trim()],
    ['Created', time(token.createdAt)],
    ['Updated', time(token.updatedAt)],
  ];
  return h('dl', { class: 'details' }, ...rows.flatMap(([label, value]) => [h('dt', {}, label), h('dd', {}, value)]));
}

function historyTable(entries: HistoryEntry[]): HTMLElement {
  return table<HistoryEntry>(
    `${entries.length} event${entries.length === 1 ? '' : 's'}, oldest first`,
    [
      { label: 'When', cell: (e) => time(e.at) },
      { label: 'Category', cell: (e) => e.category },
      { label: 'Event', cell: (e) => h('span', {}, h('code', {}, e.action), ' ', e.summary) },
      { label: 'Outcome', cell: (e) => badge(e.outcome) },
      { label: 'By', cell: (e) => (e.actor.clientId ? `${e.actor.type} ${e.actor.clientId}` : e.actor.type) },
      { label: 'Reason', cell: (e) => e.reasonCode },
      { label: 'Details', cell: (e) => extra(e) },
    ],
    entries,
    'No history yet.',
  );
}

function extra(entry: HistoryEntry): string | undefined {
  const parts: string[] = [];
  if (entry.riskDecision) {
    const d = entry.riskDecision;
    parts.push(`risk ${d.decision}${d.reasons.length ? `: ${d.reasons.join(', ')}` : ''} (${d.decisionId})`);
  }
  if (entry.webhookDelivery) {
    const w = entry.webhookDelivery;
    parts.push(`${w.eventType} → ${w.status} after ${w.attempts} attempt${w.attempts === 1 ? '' : 's'}${w.lastHttpStatus ? `, HTTP ${w.lastHttpStatus}` : ''}`);
  }
  if (entry.requestId) parts.push(`request ${entry.requestId}`);
  return parts.length ? parts.join(' · ') : undefined;
}
