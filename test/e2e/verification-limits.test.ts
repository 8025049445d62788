import { createServer, type Server } from 'node:http';
import { buildTokenServices } from '../../services/tsp/src/composition/tokens';
import { bearer, createTestIssuer } from '../support/clients';
import { encryptCardFor, provisionBody, startProvisioningWorld, testPan, type ProvisioningWorld } from '../support/issuer-sim-harness';

/*
 * One-time code guessing is bounded per token (DESIGN §2 flow 3; issue 20): wallet → TSP (real
 * HTTP, real Postgres) → issuer-sim, which decides step-up and receives the codes. Wrong codes
 * count across every challenge and method; past the limit (5) the token is deleted for good.
 */

const FUTURE_YEAR = new Date().getUTCFullYear() + 2;

describe('one-time code limits', () => {
  let w: ProvisioningWorld;
  beforeAll(async () => {
    w = await startProvisioningWorld();
  });
  afterAll(async () => {
    await w?.close();
  });

  function post(path: string, body: unknown) {
    return fetch(`${w.tsp.url}${path}`, { method: 'POST', headers: { ...bearer(w.walletToken), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }
  async function answer(res: Response): Promise<string> {
    return `${res.status} ${((await res.json()) as { code?: string }).code ?? 'ok'}`;
  }
  async function steppedUpToken(pan = testPan(w.cardPrefix, '111')) {
    const encryptedCard = await encryptCardFor(w.tsp.url, { pan, expMonth: 12, expYear: FUTURE_YEAR, cvv2: '123' });
    const res = await fetch(`${w.tsp.url}/v1/tokens`, {
      method: 'POST',
      headers: { ...bearer(w.walletToken), 'content-type': 'application/json' },
      body: JSON.stringify(provisionBody(encryptedCard)),
    });
    const token = (await res.json()) as { tokenRef: string; status: string; verification: { methods: Array<{ id: string }> } };
    expect(token.status).toBe('INACTIVE');
    return token;
  }
  const wrongFor = (otp: string | undefined) => (otp === '000000' ? '111111' : '000000');

  it('thirty wrong codes spread over method switches lock the token after five: verification_locked, token deleted (fraud_suspected), webhooks sent', async () => {
    const token = await steppedUpToken();
    const methods = token.verification.methods.map((m) => m.id);
    expect(methods.length).toBeGreaterThan(1);
    const confirms: string[] = [];
    const starts: string[] = [];
    let challengeId = '';
    for (let i = 0; i < 30; i++) {
      // A fresh challenge on the other method every second code: each would have had fresh attempts.
      if (i % 2 === 0) {
        const started = await post(`/v1/tokens/${token.tokenRef}/verification`, { methodId: methods[(i / 2) % methods.length] });
        const body = (await started.json()) as { challengeId?: string; code?: string };
        starts.push(`${started.status} ${body.code ?? 'ok'}`);
        if (body.challengeId) challengeId = body.challengeId;
      }
      confirms.push(await answer(await post(`/v1/tokens/${token.tokenRef}/verification/confirm`, { challengeId, code: wrongFor(w.sim.latestOtp(token.tokenRef)) })));
    }
    expect(confirms).toEqual([...Array(4).fill('422 otp_invalid'), ...Array(26).fill('409 verification_locked')]);
    expect(starts).toEqual([...Array(3).fill('201 ok'), ...Array(12).fill('409 verification_locked')]);
    // Even the right code of the last challenge is refused: the token is gone for good.
    expect(await answer(await post(`/v1/tokens/${token.tokenRef}/verification/confirm`, { challengeId, code: w.sim.latestOtp(token.tokenRef) }))).toBe('409 verification_locked');

    const row = await w.tsp.db.db.selectFrom('tokens').select(['status', 'status_reason']).where('token_ref', '=', token.tokenRef).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'DELETED', status_reason: 'fraud_suspected' });
    const current = await (await fetch(`${w.tsp.url}/v1/tokens/${token.tokenRef}`, { headers: bearer(w.walletToken) })).json();
    expect(current).toMatchObject({ status: 'DELETED' });
    for (const receiver of ['issuer', 'wallet']) {
      const [deleted] = await w.sim.waitForWebhooks({ tokenRef: token.tokenRef, receiver, type: 'token.deleted' }, 1);
      expect(deleted?.signatureVerified).toBe(true);
      expect(deleted?.event.data).toMatchObject({ reason: 'fraud_suspected', previousStatus: 'INACTIVE', cause: { actor: 'tsp' } });
    }
    const audit = await w.tsp.db.db.selectFrom('audit_entries').select(['action', 'outcome']).where('subject_id', '=', token.tokenRef).orderBy('pk').execute();
    expect(audit.filter((a) => a.action === 'token.activate').map((a) => a.outcome)).toEqual(Array(5).fill('denied'));
    expect(audit.filter((a) => a.action === 'token.delete')).toEqual([{ action: 'token.delete', outcome: 'success' }]);
  }, 90_000); // 46 sequential calls and two webhook deliveries: ~10 s here, more on a loaded machine

  it('wrong codes sent at once each take their own place in the count: with two tries left, one is answered otp_invalid and the rest verification_locked', async () => {
    const token = await steppedUpToken();
    const challenge = (await (await post(`/v1/tokens/${token.tokenRef}/verification`, { methodId: token.verification.methods[0]?.id })).json()) as { challengeId: string };
    const wrong = wrongFor(w.sim.latestOtp(token.tokenRef));
    for (let i = 0; i < 3; i++) await post(`/v1/tokens/${token.tokenRef}/verification/confirm`, { challengeId: challenge.challengeId, code: wrong });
    const answers = await Promise.all(
      Array.from({ length: 6 }, async () => answer(await post(`/v1/tokens/${token.tokenRef}/verification/confirm`, { challengeId: challenge.challengeId, code: wrong }))),
    );
    expect(answers.sort()).toEqual(['409 verification_locked', '409 verification_locked', '409 verification_locked', '409 verification_locked', '409 verification_locked', '422 otp_invalid']);
    const provisioning = await w.tsp.db.db.selectFrom('token_provisioning').select('otp_failures').where('token_ref', '=', token.tokenRef).executeTakeFirstOrThrow();
    expect(provisioning.otp_failures).toBe(5);
    expect(await w.sim.waitForWebhooks({ tokenRef: token.tokenRef, receiver: 'issuer', type: 'token.deleted' }, 1)).toHaveLength(1);
  });

  it('new codes per token are rate-limited across starts, method switches and re-sends, in a window measured by the clock', async () => {
    let now = new Date('2031-03-01T12:00:00.000Z');
    const tokens = await buildTokenServices(
      { ...w.tsp.ctx, clock: () => now, config: { ...w.tsp.ctx.config, tokens: { ...w.tsp.ctx.config.tokens, otpSendLimit: 4, otpSendWindowSeconds: 600 } } },
      w.tsp.services,
    );
    const principal = w.tsp.services.identity.authenticator.authenticate(w.walletToken);
    const token = await steppedUpToken();
    const [sms, email] = token.verification.methods.map((m) => m.id) as [string, string];
    // start, re-send, switch, switch back: four codes in the window.
    for (const method of [sms, sms, email, sms]) await expect(tokens.startVerification(principal, token.tokenRef, method)).resolves.toMatchObject({ tokenRef: token.tokenRef });
    now = new Date('2031-03-01T12:09:59.000Z');
    await expect(tokens.startVerification(principal, token.tokenRef, email)).rejects.toMatchObject({ code: 'rate_limited', message: expect.stringContaining('1 seconds') });
    await expect(tokens.startVerification(principal, token.tokenRef, sms)).rejects.toMatchObject({ code: 'rate_limited' });
    now = new Date('2031-03-01T12:10:00.000Z');
    const challenge = await tokens.startVerification(principal, token.tokenRef, email);
    // The code still works once sent: the limit bounds sending, not confirming.
    await expect(tokens.confirmVerification(principal, token.tokenRef, { challengeId: challenge.challengeId, code: w.sim.latestOtp(token.tokenRef) as string })).resolves.toMatchObject({ status: 'ACTIVE' });
  });

  it('over HTTP, the sixth code within 15 minutes answers 429 rate_limited with Retry-After', async () => {
    const token = await steppedUpToken();
    const methods = token.verification.methods.map((m) => m.id);
    for (let i = 0; i < 5; i++) expect(await answer(await post(`/v1/tokens/${token.tokenRef}/verification`, { methodId: methods[i % methods.length] }))).toBe('201 ok');
    const limited = await post(`/v1/tokens/${token.tokenRef}/verification`, { methodId: methods[0] });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(800);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(900);
    expect(((await limited.json()) as { code: string }).code).toBe('rate_limited');
  });

  describe('with a bank whose code delivery fails', () => {
    let failing: Server;
    const received: Array<{ tokenRef: string; challengeId: string; otp: string }> = [];
    let pan = '';
    beforeAll(async () => {
      // Takes the request (so the test knows the code) and answers 500: the code never reached the cardholder.
      failing = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk) => (body += chunk));
        req.on('end', () => {
          received.push(JSON.parse(body));
          res.writeHead(500).end();
        });
      });
      await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
      const address = failing.address();
      const issuer = await createTestIssuer(w.tsp, {
        decisionUrl: `${w.sim.url}/decisions`,
        otpDeliveryUrl: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/otp`,
        webhookUrl: `${w.sim.url}/webhooks`,
        standInDecision: 'step_up',
      });
      pan = testPan(issuer.cardBinRanges[0]?.prefix as string, '111');
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => failing.close(() => resolve()));
    });

    it('a challenge whose code could not be delivered cannot be confirmed, even with the right code', async () => {
      const token = await steppedUpToken(pan);
      const started = await post(`/v1/tokens/${token.tokenRef}/verification`, { methodId: token.verification.methods[0]?.id });
      expect(await answer(started)).toBe('503 service_unavailable');
      const undelivered = received.find((r) => r.tokenRef === token.tokenRef);
      expect(undelivered?.otp).toMatch(/^[0-9]{6}$/);
      const confirmed = await post(`/v1/tokens/${token.tokenRef}/verification/confirm`, { challengeId: undelivered?.challengeId, code: undelivered?.otp });
      expect(await answer(confirmed)).toBe('404 challenge_not_found');
      const row = await w.tsp.db.db.selectFrom('tokens').select('status').where('token_ref', '=', token.tokenRef).executeTakeFirstOrThrow();
      expect(row.status).toBe('INACTIVE');
    });
  });
});
