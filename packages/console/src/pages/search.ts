import type { Schema } from '@opentsp/api-types';
import { api, type QueryOf } from '../api';
import { field, h, select, time } from '../dom';
import { cardLabel, deviceLabel } from '../format';
import { maskPan } from '../mask';
import { href, navigate, type Route } from '../router';
import { badge, errorBox, loadInto, pageHeader, table } from '../components/ui';

type Token = Schema<'Token'>;
type Query = QueryOf<'get', '/v1/issuer/tokens'>;

/** The search fields, in form order; each maps to one query parameter of listIssuerTokens. */
const FIELDS = [
  { name: 'cardRef', label: 'Card reference', placeholder: 'card_…' },
  { name: 'panLast4', label: 'Card last 4', placeholder: '1232', inputmode: 'numeric', pattern: '[0-9]{4}', maxlength: 4 },
  { name: 'cardExpiry', label: 'Card expiry (MM/YY)', placeholder: '12/29', pattern: '(0[1-9]|1[0-2])/[0-9]{2}', maxlength: 5 },
  { name: 'tokenRef', label: 'Token reference', placeholder: 'tok_…' },
  { name: 'trid', label: 'Token requestor id (TRID)', placeholder: '90000000001', inputmode: 'numeric' },
  { name: 'walletAccountId', label: 'Wallet account', placeholder: 'wa_…' },
] as const;

const STATUSES = [['', 'Any status'], ['ACTIVE', 'Active'], ['SUSPENDED', 'Suspended'], ['INACTIVE', 'Inactive'], ['DELETED', 'Deleted']] as const;

/**
 * Token search for customer service: by card reference, last 4 + expiry (a caller on the phone
 * reads these off the card), token reference, TRID or wallet account. Filters combine (AND).
 * The criteria live in the URL, so back / forward and a shared link repeat the search.
 */
export const searchPage: Route = {
  pattern: 'tokens',
  title: 'Token search',
  async render(main, { query }) {
    const inputs = FIELDS.map((f) => {
      const { name, label, ...attrs } = f;
      const input = h('input', { name, ...attrs, value: query.get(name) ?? '', spellcheck: false, autocapitalize: 'off' });
      return { name, label, input };
    });
    const status = select('status', STATUSES, query.get('status') ?? '');
    const form = h(
      'form',
      { class: 'card search-form', role: 'search', 'aria-label': 'Token search' },
      h('div', { class: 'grid' }, ...inputs.map((i) => field(i.label, i.input)), field('Status', status)),
      h('p', { class: 'hint' }, 'Fill one or more fields; last 4 and expiry go together.'),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Search')),
    );
    const results = h('section', { 'aria-live': 'polite', 'aria-label': 'Search results' });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const params = new URLSearchParams();
      for (const { name, input } of inputs) if (input.value.trim()) params.set(name, input.value.trim());
      if (status.value) params.set('status', status.value);
      navigate(`tokens?${params}`);
    });
    main.append(pageHeader('Token search', 'Find a cardholder’s tokens, then open one to see its history or to suspend, resume or delete it.'), form, results);

    const criteria: Record<string, string> = {};
    for (const { name } of FIELDS) {
      const value = query.get(name);
      if (value) criteria[name] = value;
    }
    if (query.get('status')) criteria.status = query.get('status') as string;
    if (Object.keys(criteria).length === 0) return;
    if (!!criteria.panLast4 !== !!criteria.cardExpiry) {
      results.replaceChildren(errorBox(new Error('Give the card’s last 4 digits and its expiry together.')));
      return;
    }
    await loadInto(results, async () => {
      const page = await api('get', '/v1/issuer/tokens', { query: { ...criteria, limit: 50 } as Query });
      return resultsTable(page.data, !!page.nextCursor);
    });
  },
};

function resultsTable(tokens: Token[], more: boolean): HTMLElement {
  const caption = `${tokens.length}${more ? '+' : ''} token${tokens.length === 1 ? '' : 's'} found`;
  return h(
    'div',
    {},
    table<Token>(
      caption,
      [
        { label: 'Token', cell: (t) => h('a', { href: href(`tokens/${encodeURIComponent(t.tokenRef)}`) }, t.tokenRef) },
        { label: 'Token number', cell: (t) => maskPan(t.tokenLast4) },
        { label: 'Card', cell: (t) => cardLabel(t.card) },
        { label: 'Wallet', cell: (t) => `TRID ${t.trid} · ${t.walletAccountId}` },
        { label: 'Device', cell: (t) => deviceLabel(t.device) },
        { label: 'Status', cell: (t) => badge(t.status) },
        { label: 'Created', cell: (t) => time(t.createdAt) },
      ],
      tokens,
      'No token matches these criteria.',
    ),
    more ? h('p', { class: 'hint' }, 'More tokens match: narrow the search.') : null,
  );
}
