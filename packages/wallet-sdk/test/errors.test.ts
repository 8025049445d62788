import { isProblem, OpenTspError } from '../src';
import { startTestTsp, type TestTsp } from '../../../test/support/tsp-harness';

describe('OpenTspError from a real TSP problem', () => {
  let tsp: TestTsp;
  beforeAll(async () => {
    tsp = await startTestTsp();
  });
  afterAll(async () => {
    await tsp.close();
  });

  it('carries the stable code, status and request id of the problem', async () => {
    const res = await fetch(`${tsp.url}/v1/detokenize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"tokenPan": 1}',
    });
    const body: unknown = await res.json();
    expect(isProblem(body)).toBe(true);
    if (!isProblem(body)) return;
    const err = new OpenTspError(body);
    expect(err.code).toBe('validation_failed');
    expect(err.status).toBe(400);
    expect(err.requestId).toBe(res.headers.get('x-request-id'));
    expect(err.message).toMatch(/contract/);
  });

  it('does not mistake an ordinary JSON body for a problem', () => {
    expect(isProblem({ status: 'ok' })).toBe(false);
    expect(isProblem(null)).toBe(false);
  });
});
