import type { Schema } from '@opentsp/api-types';
import { allPages, api, type ResponseOf } from '../api';
import { h, time } from '../dom';
import type { Route } from '../router';
import { badge, loadInto, pageHeader, table } from '../components/ui';

type Client = Schema<'Client'>;
type Issuer = Schema<'Issuer'>;

/** Operators: every registered client (wallets, issuers, acquirers, admins) and its state. */
export const clientsPage: Route = {
  pattern: 'admin/clients',
  title: 'Clients',
  async render(main) {
    const body = h('section', {});
    main.append(pageHeader('Clients', 'Every party that can call this TSP, with its role, scopes and state.'), body);
    await loadInto(body, async () => {
      const clients = await allPages((cursor) => api('get', '/v1/admin/clients', { query: { limit: 200, cursor } }));
      return table<Client>(
        `${clients.length} clients`,
        [
          { label: 'Name', cell: (c) => c.name },
          { label: 'Client id', cell: (c) => h('code', {}, c.clientId) },
          { label: 'Role', cell: (c) => c.role },
          { label: 'Identifies', cell: (c) => (c.trid ? `TRID ${c.trid}` : c.issuerId ? `issuer ${c.issuerId}` : c.merchantIds?.length ? `merchants ${c.merchantIds.join(', ')}` : undefined) },
          { label: 'Scopes', cell: (c) => c.scopes.join(' ') },
          { label: 'Auth', cell: (c) => c.tokenEndpointAuthMethod },
          { label: 'Status', cell: (c) => badge(c.status) },
          { label: 'Created', cell: (c) => time(c.createdAt) },
        ],
        clients,
      );
    });
  },
};

/**
 * Operators: issuers with their BIN ranges and, per token BIN range, how full it is (capacity,
 * numbers allocated, tokens not deleted) — a range that fills up stops provisioning.
 */
export const issuersPage: Route = {
  pattern: 'admin/issuers',
  title: 'Issuers',
  async render(main) {
    const body = h('section', {});
    main.append(pageHeader('Issuers', 'Banks on this TSP, their card and token BIN ranges, and how much of each token range is used.'), body);
    await loadInto(body, async () => {
      const issuers = await allPages((cursor) => api('get', '/v1/admin/issuers', { query: { limit: 200, cursor } }));
      const usages = await Promise.all(
        issuers.map((i) => api('get', '/v1/admin/issuers/{issuerId}/token-bin-usage', { path: { issuerId: i.issuerId } }).then((u) => u.data)),
      );
      return h(
        'div',
        {},
        table<Issuer>(
          `${issuers.length} issuers`,
          [
            { label: 'Name', cell: (i) => i.name },
            { label: 'Issuer id', cell: (i) => h('code', {}, i.issuerId) },
            { label: 'Country', cell: (i) => i.country },
            { label: 'Card BINs', cell: (i) => i.cardBinRanges.map((r) => `${r.prefix} (${r.panLength})`).join(', ') },
            { label: 'Stand-in', cell: (i) => i.standInDecision },
            { label: 'Status', cell: (i) => badge(i.status) },
          ],
          issuers,
        ),
        h('h2', {}, 'Token BIN range usage'),
        ...issuers.map((issuer, n) => binUsage(issuer, usages[n] ?? [])),
      );
    });
  },
};

type Usage = ResponseOf<'get', '/v1/admin/issuers/{issuerId}/token-bin-usage'>['data'][number];

function binUsage(issuer: Issuer, usage: Usage[]): HTMLElement {
  return table<Usage>(
    issuer.name,
    [
      { label: 'Token BIN', cell: (u) => `${u.prefix} (${u.tokenLength} digits)` },
      { label: 'Capacity', cell: (u) => u.capacity.toLocaleString() },
      { label: 'Allocated', cell: (u) => u.allocated.toLocaleString() },
      { label: 'Live tokens', cell: (u) => u.liveTokens.toLocaleString() },
      { label: 'Used', cell: (u) => meter(u.allocated, u.capacity) },
    ],
    usage,
    `${issuer.name}: no token BIN range.`,
  );
}

function meter(value: number, max: number): HTMLElement {
  const share = max > 0 ? value / max : 0;
  const percent = share < 0.0001 && value > 0 ? '< 0.01 %' : `${(share * 100).toFixed(2)} %`;
  return h('span', { class: 'meter-wrap' }, h('meter', { min: 0, max: 1, value: share, 'aria-label': `${percent} used` }), ` ${percent}`);
}
