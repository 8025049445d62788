import { ConflictError, ConnectionError, RateLimitError, ServerError, WalletClient } from '../src';
import { sleep, type Sleep } from '../src/retry';
import { CREDENTIALS, FAST_RETRY, StandIn, problem, tokenBody } from './support/stand-in';

const REF = 'tok_7Qm2vXk9LpR4sT8wZa1B';
const SUSPEND = `/v1/tokens/${REF}/suspend`;

describe('transport reliability against a TSP stand-in', () => {
  let tsp: StandIn;
  let wallet: WalletClient;
  beforeEach(async () => {
    tsp = await StandIn.start();
    wallet = new WalletClient({ baseUrl: tsp.url, credentials: CREDENTIALS, retry: FAST_RETRY });
  });
  afterEach(() => tsp.close());

  it('succeeds after two 503s, sending the same Idempotency-Key on every try', async () => {
    tsp.sequence('POST', SUSPEND, [
      { status: 503, body: problem('service_unavailable', 503) },
      { status: 503, body: problem('service_unavailable', 503) },
      { status: 200, body: tokenBody({ status: 'SUSPENDED' }) },
    ]);
    const token = await wallet.suspend(REF, { reason: 'device_lost' });
    expect(token.status).toBe('SUSPENDED');
    const tries = tsp.calls(SUSPEND);
    expect(tries).toHaveLength(3);
    const keys = new Set(tries.map((t) => t.headers['idempotency-key']));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(tries[0]!.body)).toEqual({ reason: 'device_lost' });
  });

  /** A wallet whose waits are recorded instead of slept: no test waits for a real Retry-After. */
  function walletRecordingWaits(clock?: () => number): { wallet: WalletClient; waits: number[] } {
    const waits: number[] = [];
    const sleep = async (ms: number): Promise<void> => void waits.push(ms);
    return { wallet: new WalletClient({ baseUrl: tsp.url, credentials: CREDENTIALS, retry: FAST_RETRY, sleep, clock }), waits };
  }

  it('waits for Retry-After on a 503 before trying again', async () => {
    tsp.sequence('POST', SUSPEND, [
      { status: 503, body: problem('service_unavailable', 503), headers: { 'retry-after': '1' } },
      { status: 200, body: tokenBody() },
    ]);
    const { wallet, waits } = walletRecordingWaits();
    await wallet.suspend(REF);
    expect(tsp.calls(SUSPEND)).toHaveLength(2);
    expect(waits).toEqual([1000]);
  });

  it('waits until a Retry-After HTTP-date by the injected clock', async () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    tsp.sequence('GET', `/v1/tokens/${REF}`, [
      { status: 503, body: problem('service_unavailable', 503), headers: { 'retry-after': 'Sun, 01 Mar 2026 12:00:07 GMT' } },
      { status: 200, body: tokenBody() },
    ]);
    const { wallet, waits } = walletRecordingWaits(() => now);
    await expect(wallet.getCard(REF)).resolves.toMatchObject({ tokenRef: REF });
    expect(waits).toEqual([7000]);
  });

  it('retries a 429 after its Retry-After, and gives up with RateLimitError when tries run out', async () => {
    tsp.sequence('GET', `/v1/tokens/${REF}`, [
      { status: 429, body: problem('rate_limited', 429), headers: { 'retry-after': '1' } },
      { status: 200, body: tokenBody() },
    ]);
    const recording = walletRecordingWaits();
    await expect(recording.wallet.getCard(REF)).resolves.toMatchObject({ tokenRef: REF });
    expect(tsp.calls(`/v1/tokens/${REF}`)).toHaveLength(2);
    expect(recording.waits).toEqual([1000]);

    tsp.sequence('GET', `/v1/tokens/${REF}`, [{ status: 429, body: problem('rate_limited', 429), headers: { 'retry-after': '0' } }]);
    const err = await wallet.getCard(REF, { maxRetries: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err).toMatchObject({ code: 'rate_limited', status: 429, retryAfterSeconds: 0 });
  });

  it('does not wait for a Retry-After longer than maxRetryAfterMs: the caller gets it', async () => {
    tsp.sequence('GET', `/v1/tokens/${REF}`, [{ status: 503, body: problem('service_unavailable', 503), headers: { 'retry-after': '3600' } }]);
    const err = await wallet.getCard(REF).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect(err).toMatchObject({ code: 'service_unavailable', retryAfterSeconds: 3600 });
    expect(tsp.calls(`/v1/tokens/${REF}`)).toHaveLength(1);
  });

  it('retries when the server closes the socket without answering', async () => {
    tsp.sequence('POST', SUSPEND, ['destroy', { status: 200, body: tokenBody({ status: 'SUSPENDED' }) }]);
    await expect(wallet.suspend(REF)).resolves.toMatchObject({ status: 'SUSPENDED' });
    const tries = tsp.calls(SUSPEND);
    expect(tries).toHaveLength(2);
    expect(tries[0]!.headers['idempotency-key']).toBe(tries[1]!.headers['idempotency-key']);
  });

  it('reports a network failure as ConnectionError network_error after the retries', async () => {
    tsp.sequence('POST', SUSPEND, ['destroy']);
    const err = await wallet.suspend(REF).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ code: 'network_error', status: undefined });
    expect(tsp.calls(SUSPEND)).toHaveLength(3);
  });

  it.each(['receipt_already_redeemed', 'atc_replayed', 'token_state_conflict'])('never retries the final 409 %s', async (code) => {
    tsp.sequence('POST', SUSPEND, [{ status: 409, body: problem(code, 409) }]);
    const err = await wallet.suspend(REF).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ code, status: 409, requestId: `req-problem-${code}` });
    expect(tsp.calls(SUSPEND)).toHaveLength(1);
  });

  it('retries 409 idempotency_in_progress with the same key until the first answer is replayed', async () => {
    tsp.sequence('POST', SUSPEND, [
      { status: 409, body: problem('idempotency_in_progress', 409) },
      { status: 200, body: tokenBody({ status: 'SUSPENDED' }), headers: { 'idempotent-replayed': 'true' } },
    ]);
    const { data, replayed } = await wallet.http.call(
      'post',
      '/v1/tokens/{tokenRef}/suspend',
      { path: { tokenRef: REF }, body: { reason: 'lost' } },
      { idempotencyKey: 'my-key-1' },
    );
    expect(data.status).toBe('SUSPENDED');
    expect(replayed).toBe(true);
    expect(tsp.calls(SUSPEND).map((t) => t.headers['idempotency-key'])).toEqual(['my-key-1', 'my-key-1']);
  });

  it("lets the caller's Idempotency-Key win, and sends none on GET", async () => {
    tsp.on('POST', SUSPEND, () => ({ status: 200, body: tokenBody() }));
    tsp.on('GET', `/v1/tokens/${REF}`, () => ({ status: 200, body: tokenBody() }));
    await wallet.suspend(REF, { idempotencyKey: 'order-42-suspend' });
    await wallet.getCard(REF);
    expect(tsp.calls(SUSPEND)[0]!.headers['idempotency-key']).toBe('order-42-suspend');
    expect(tsp.calls(`/v1/tokens/${REF}`)[0]!.headers['idempotency-key']).toBeUndefined();
  });

  it('times out a try that gets no answer, retries it, then fails with ConnectionError timeout', async () => {
    tsp.sequence('GET', `/v1/tokens/${REF}`, ['hang']);
    const started = Date.now();
    const err = await wallet.getCard(REF, { timeoutMs: 100, maxRetries: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ code: 'timeout' });
    expect(tsp.calls(`/v1/tokens/${REF}`)).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("stops at once, without retrying, when the caller's AbortSignal fires", async () => {
    const controller = new AbortController();
    // Abort once the try is in flight at the TSP (deterministic however loaded the machine is).
    tsp.on('GET', `/v1/tokens/${REF}`, () => {
      controller.abort();
      return 'hang';
    });
    const err = await wallet.getCard(REF, { signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ code: 'aborted' });
    expect(tsp.calls(`/v1/tokens/${REF}`)).toHaveLength(1);
  });

  it('aborts during the backoff wait too', async () => {
    tsp.sequence('GET', `/v1/tokens/${REF}`, [{ status: 503, body: problem('service_unavailable', 503), headers: { 'retry-after': '5' } }]);
    const controller = new AbortController();
    // The SDK's own sleep, aborted once the 5 s wait has begun (not after a guessed delay).
    const waits: number[] = [];
    const abortingWhileWaiting: Sleep = (ms, signal) => {
      waits.push(ms);
      const waiting = sleep(ms, signal);
      setImmediate(() => controller.abort());
      return waiting;
    };
    const wallet = new WalletClient({ baseUrl: tsp.url, credentials: CREDENTIALS, retry: FAST_RETRY, sleep: abortingWhileWaiting });
    const started = Date.now();
    await expect(wallet.getCard(REF, { signal: controller.signal })).rejects.toMatchObject({ code: 'aborted' });
    expect(waits).toEqual([5000]);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('does not retry 501 not_implemented', async () => {
    tsp.sequence('GET', `/v1/tokens/${REF}`, [{ status: 501, body: problem('not_implemented', 501) }]);
    await expect(wallet.getCard(REF)).rejects.toMatchObject({ code: 'not_implemented', status: 501 });
    expect(tsp.calls(`/v1/tokens/${REF}`)).toHaveLength(1);
  });
});
