import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tracingRequested } from '../../src/observability/tracing';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';

interface SpanRecord {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  scope: string;
  attributes: Record<string, unknown>;
}

const SERVER = 1; // SpanKind.SERVER

describe('OpenTelemetry traces', () => {
  it.each([
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, true],
    [{ OTEL_TRACES_EXPORTER: 'otlp' }, true],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, false],
    [{ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }, false],
  ])('are off unless the standard variables ask for them: %j → %s', (env, want) => {
    expect(tracingRequested(env)).toBe(want);
  });

  describe('a traced TSP process', () => {
    let db: TestDatabase;
    let dir: string;
    let spans: SpanRecord[];
    let logs: string;

    beforeAll(async () => {
      db = await createTestDatabase();
      dir = mkdtempSync(path.join(tmpdir(), 'opentsp-tracing-'));
      const spansFile = path.join(dir, 'spans.json');
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'support', 'traced-tsp.ts')], {
        cwd: path.resolve(__dirname, '..', '..'),
        env: {
          ...process.env,
          DATABASE_URL: db.url,
          OPENTSP_MODE: 'sandbox',
          OPENTSP_DATA_DIR: dir,
          OPENTSP_KEYSTORE_PATH: path.join(dir, 'keystore.jwe'),
          LOG_LEVEL: 'info',
          SPANS_FILE: spansFile,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      if (code !== 0) throw new Error(`traced TSP exited ${code}: ${err.slice(-2000)}`);
      logs = out;
      spans = JSON.parse(readFileSync(spansFile, 'utf8')) as SpanRecord[];
    }, 60_000);

    afterAll(async () => {
      await db?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('records the incoming request as a server span named by its route', () => {
      const list = spans.find((s) => s.kind === SERVER && s.attributes['http.route'] === '/v1/tokens');
      expect(list).toBeDefined();
      expect(list?.name).toBe('GET /v1/tokens');
      expect(list?.attributes['http.status_code'] ?? list?.attributes['http.response.status_code']).toBe(200);
    });

    it('puts the Postgres queries of a request under that request’s trace, without bound values', () => {
      const list = spans.find((s) => s.kind === SERVER && s.attributes['http.route'] === '/v1/tokens') as SpanRecord;
      const queries = spans.filter((s) => s.scope.includes('pg') && s.traceId === list.traceId);
      expect(queries.length).toBeGreaterThan(0);
      for (const q of queries) expect(q.attributes['db.postgresql.values']).toBeUndefined();
    });

    it('traces the token endpoint, and leaves the health probes out', () => {
      expect(spans.some((s) => s.kind === SERVER && s.attributes['http.route'] === '/oauth2/token')).toBe(true);
      expect(spans.some((s) => s.kind === SERVER && String(s.attributes['http.target'] ?? s.attributes['url.path']).startsWith('/healthz'))).toBe(false);
    });

    it('writes the trace id of the request into its log lines', () => {
      const list = spans.find((s) => s.kind === SERVER && s.attributes['http.route'] === '/v1/tokens') as SpanRecord;
      const lines = logs.split('\n').filter((l) => l.includes(list.traceId));
      expect(lines.length).toBeGreaterThan(0);
      expect(JSON.parse(lines[0] as string)).toMatchObject({ trace_id: list.traceId });
    });
  });
});
