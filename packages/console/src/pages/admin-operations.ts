import type { Schema } from '@opentsp/api-types';
import { allPages, api } from '../api';
import { announce, h, time } from '../dom';
import type { Route } from '../router';
import { confirmDialog } from '../components/confirm-dialog';
import { badge, errorBox, loadInto, pageHeader, table } from '../components/ui';

type Kek = Schema<'KekVersion'>;
type Rule = Schema<'RiskRule'>;
type Delivery = Schema<'WebhookDelivery'>;

/** Operators: vault key-encryption-key versions and the rotation in progress. */
export const keysPage: Route = {
  pattern: 'admin/keys',
  title: 'Keys',
  async render(main) {
    const body = h('section', {});
    main.append(pageHeader('Keys', 'Key-encryption-key versions of the vault and the progress of the current rotation. No key material is shown.'), body);
    await loadInto(body, async () => {
      const status = await api('get', '/v1/admin/keys');
      const r = status.rotation;
      return h(
        'div',
        {},
        table<Kek>(
          'KEK versions, newest first',
          [
            { label: 'Version', cell: (k) => `v${k.version}` },
            { label: 'Status', cell: (k) => badge(k.status) },
            { label: 'Data keys wrapped', cell: (k) => k.dekCount.toLocaleString() },
            { label: 'Created', cell: (k) => time(k.createdAt) },
            { label: 'Retired', cell: (k) => time(k.retiredAt) },
          ],
          status.keks,
        ),
        h('h2', {}, 'Rotation'),
        r
          ? h(
              'div',
              { class: 'card' },
              h('p', {}, `v${r.fromVersion} → v${r.toVersion} `, badge(r.status)),
              h('p', {}, h('meter', { min: 0, max: Math.max(1, r.deksTotal), value: r.deksRewrapped, 'aria-label': 'Data keys re-wrapped' }), ` ${r.deksRewrapped} of ${r.deksTotal} data keys re-wrapped`),
              h('p', {}, 'Started ', time(r.startedAt), r.completedAt ? h('span', {}, ', completed ', time(r.completedAt)) : ''),
              r.error ? h('p', { class: 'error' }, r.error) : null,
            )
          : h('p', {}, 'No rotation has run yet.'),
      );
    });
  },
};

/** Operators: risk rules (current versions) and, per rule, its published versions. */
export const riskPage: Route = {
  pattern: 'admin/risk',
  title: 'Risk rules',
  async render(main) {
    const body = h('section', {});
    main.append(pageHeader('Risk rules', 'Rules the risk engine runs at provisioning, push redemption and detokenization. Every change is a new version.'), body);
    await loadInto(body, async () => {
      const rules = await allPages((cursor) => api('get', '/v1/admin/risk/rules', { query: { limit: 200, cursor } }));
      const versions = h('section', { 'aria-live': 'polite' });
      const show = (rule: Rule): void => {
        void loadInto(versions, async () => {
          const list = await allPages((cursor) => api('get', '/v1/admin/risk/rules/{ruleId}/versions', { path: { ruleId: rule.ruleId }, query: { limit: 200, cursor } }));
          return h('div', {}, h('h2', { tabindex: -1 }, `Versions of “${rule.name}”`), ruleTable(`${list.length} versions`, list));
        }).then(() => versions.querySelector<HTMLElement>('h2')?.focus());
      };
      return h('div', {}, ruleTable(`${rules.length} rules`, rules, show), versions);
    });
  },
};

function ruleTable(caption: string, rules: Rule[], showVersions?: (rule: Rule) => void): HTMLElement {
  return table<Rule>(
    caption,
    [
      { label: 'Rule', cell: (r) => (showVersions ? h('button', { type: 'button', class: 'link', onclick: () => showVersions(r) }, r.name) : r.name) },
      { label: 'Version', cell: (r) => `v${r.version}` },
      { label: 'Applies to', cell: (r) => r.appliesTo.join(', ') },
      { label: 'Outcome', cell: (r) => `${r.outcome} (${r.reasonCode})` },
      { label: 'Priority', cell: (r) => r.priority },
      { label: 'Enabled', cell: (r) => (r.enabled ? 'yes' : 'no') },
      { label: 'Published', cell: (r) => h('span', {}, time(r.createdAt), ` by ${r.createdBy}`) },
    ],
    rules,
    'No risk rules.',
  );
}

/** Operators: webhook deliveries whose retries are spent, with redelivery by hand. */
export const webhooksPage: Route = {
  pattern: 'admin/webhooks',
  title: 'Dead webhooks',
  async render(main) {
    const body = h('section', {});
    main.append(pageHeader('Dead webhooks', 'Deliveries whose retry budget is spent. Redeliver once the recipient is fixed.'), body);
    const load = (): Promise<void> =>
      loadInto(body, async () => {
        const dead = await allPages((cursor) => api('get', '/v1/admin/webhooks/deliveries', { query: { status: 'dead', limit: 200, cursor } }));
        return table<Delivery>(
          `${dead.length} dead deliveries`,
          [
            { label: 'Event', cell: (d) => h('span', {}, h('code', {}, d.eventType), ` ${d.eventId}`) },
            { label: 'Recipient', cell: (d) => `${d.recipient.type} ${d.recipient.id}` },
            { label: 'Attempts', cell: (d) => d.attempts },
            { label: 'Last answer', cell: (d) => (d.lastResponseStatus ? `HTTP ${d.lastResponseStatus}` : d.lastError) },
            { label: 'Last attempt', cell: (d) => time(d.lastAttemptAt) },
            { label: 'Action', cell: (d) => h('button', { type: 'button', class: 'secondary', onclick: () => void redeliver(d) }, 'Redeliver') },
          ],
          dead,
          'No dead deliveries.',
        );
      });
    const redeliver = async (delivery: Delivery): Promise<void> => {
      const ok = await confirmDialog({
        title: 'Redeliver webhook',
        body: [h('p', {}, `Send ${delivery.eventType} (${delivery.eventId}) to ${delivery.recipient.type} ${delivery.recipient.id} again?`)],
        confirmLabel: 'Redeliver',
      });
      if (!ok) return;
      try {
        const result = await api('post', '/v1/admin/webhooks/deliveries/{deliveryId}/redeliver', { path: { deliveryId: delivery.deliveryId } });
        await load();
        announce(`Delivery queued again: ${result.status}.`);
      } catch (error) {
        body.prepend(errorBox(error));
      }
    };
    await load();
  },
};
