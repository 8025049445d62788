import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';

const MONITORING = path.resolve(__dirname, '..', '..', 'monitoring');

interface AlertRule {
  alert: string;
  expr: string;
  labels?: { severity?: string };
  annotations?: { summary?: string; description?: string };
}

function dashboardExpressions(): string[] {
  const dashboard = JSON.parse(readFileSync(path.join(MONITORING, 'grafana-dashboard.json'), 'utf8')) as {
    panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
  };
  return dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
}

function alertRules(): AlertRule[] {
  const file = parse(readFileSync(path.join(MONITORING, 'prometheus-alerts.yaml'), 'utf8')) as { groups: Array<{ rules: AlertRule[] }> };
  return file.groups.flatMap((g) => g.rules);
}

/** Metric names an expression reads, with a histogram's `_bucket` / `_count` / `_sum` taken back to its family. */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\bopentsp_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, ''));
}

describe('the Grafana dashboard and the alert rules', () => {
  let tsp: TestTsp;
  let exported: Set<string>;

  beforeAll(async () => {
    tsp = await startTestTsp();
    const text = await (await fetch(`${tsp.url}/metrics`)).text();
    exported = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] as string));
  });
  afterAll(() => tsp?.close());

  it('read only metrics a TSP process exports (no drift after a rename)', () => {
    const read = [...dashboardExpressions(), ...alertRules().map((r) => r.expr)].flatMap(metricsIn);
    expect(read.length).toBeGreaterThan(10);
    const missing = [...new Set(read)].filter((name) => !exported.has(name));
    expect(missing).toEqual([]);
  });

  it('alert on each failure mode docs/reliability.md names, each with a severity and a summary', () => {
    const rules = alertRules();
    const byName = new Map(rules.map((r) => [r.alert, r]));
    expect(byName.get('OpenTspDatabaseUnavailable')?.expr).toContain('status="503"');
    expect(byName.get('OpenTspWebhookDeadLetters')?.expr).toContain('outcome="dead"');
    expect(byName.get('OpenTspDetokenizeRefusalsSpiking')?.expr).toContain('opentsp_detokenize_total');
    expect(byName.get('OpenTspRiskDeclinesSpiking')?.expr).toContain('outcome="decline"');
    for (const rule of rules) {
      expect(['critical', 'warning']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toBeTruthy();
    }
  });

  it('count risk decisions by kind and outcome, which the declines alert reads', async () => {
    const before = await tsp.ctx.metrics.riskDecisions.get();
    const total = (v: typeof before) => v.values.reduce((sum, s) => sum + s.value, 0);
    await tsp.services.risk.decide(tsp.db.db, {
      kind: 'provisioning',
      subject: { clientId: 'cli_monitoring', walletAccountId: 'wa-monitoring' },
      signals: { device: { id: 'dev-monitoring-1' } },
    });
    const after = await tsp.ctx.metrics.riskDecisions.get();
    expect(total(after)).toBe(total(before) + 1);
    expect(after.values.some((s) => s.labels.kind === 'provisioning' && typeof s.labels.outcome === 'string')).toBe(true);
  });
});
