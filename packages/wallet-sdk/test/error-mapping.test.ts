import {
  AuthenticationError,
  ConflictError,
  DeclinedError,
  GoneError,
  NotFoundError,
  OpenTspError,
  PermissionError,
  RateLimitError,
  ServerError,
  ValidationError,
  WalletClient,
  isOpenTspError,
  type AnyOpenTspError,
} from '../src';
import { CREDENTIALS, StandIn, problem } from './support/stand-in';

const REF = 'tok_7Qm2vXk9LpR4sT8wZa1B';

type Case = { given: { status: number; body: unknown; contentType?: string }; want: { cls: abstract new (...a: never[]) => OpenTspError; code: string } };

const CASES: Case[] = [
  { given: { status: 400, body: problem('validation_failed', 400, { errors: [{ path: '/body/channel', message: 'bad' }] }) }, want: { cls: ValidationError, code: 'validation_failed' } },
  { given: { status: 422, body: problem('card_invalid_luhn', 422) }, want: { cls: ValidationError, code: 'card_invalid_luhn' } },
  { given: { status: 422, body: problem('otp_invalid', 422, { attemptsRemaining: 2 }) }, want: { cls: ValidationError, code: 'otp_invalid' } },
  { given: { status: 401, body: problem('client_suspended', 401) }, want: { cls: AuthenticationError, code: 'client_suspended' } },
  { given: { status: 403, body: problem('insufficient_scope', 403) }, want: { cls: PermissionError, code: 'insufficient_scope' } },
  { given: { status: 403, body: problem('provisioning_declined', 403, { reasonCodes: ['device_rooted'], decisionId: 'dec_1' }) }, want: { cls: DeclinedError, code: 'provisioning_declined' } },
  { given: { status: 404, body: problem('token_not_found', 404) }, want: { cls: NotFoundError, code: 'token_not_found' } },
  { given: { status: 409, body: problem('token_deleted', 409) }, want: { cls: ConflictError, code: 'token_deleted' } },
  { given: { status: 410, body: problem('receipt_expired', 410) }, want: { cls: GoneError, code: 'receipt_expired' } },
  { given: { status: 429, body: problem('rate_limited', 429) }, want: { cls: RateLimitError, code: 'rate_limited' } },
  { given: { status: 500, body: problem('internal_error', 500) }, want: { cls: ServerError, code: 'internal_error' } },
  // Not a problem document (a proxy's HTML page): classified by status.
  { given: { status: 502, body: '<html>bad gateway</html>', contentType: 'text/html' }, want: { cls: ServerError, code: 'service_unavailable' } },
  // A code newer than this SDK: classified by status, code kept as sent.
  { given: { status: 409, body: problem('some_future_conflict', 409) }, want: { cls: ConflictError, code: 'some_future_conflict' } },
];

describe('problem+json answers become typed errors', () => {
  let tsp: StandIn;
  let wallet: WalletClient;
  beforeAll(async () => {
    tsp = await StandIn.start();
    wallet = new WalletClient({ baseUrl: tsp.url, credentials: CREDENTIALS, retry: { maxRetries: 0 } });
  });
  afterAll(() => tsp.close());

  it.each(CASES)('HTTP $given.status → $want.code', async ({ given, want }) => {
    tsp.on('GET', `/v1/tokens/${REF}`, () => ({ status: given.status, body: given.body, contentType: given.contentType }));
    const err = await wallet.getCard(REF).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(want.cls);
    expect(err).toBeInstanceOf(OpenTspError);
    expect(err).toMatchObject({ code: want.code, status: given.status });
    expect((err as OpenTspError).requestId).toMatch(/^req-/);
  });

  it('exposes the family extras: reasonCodes, decisionId, errors, attemptsRemaining', async () => {
    tsp.on('GET', `/v1/tokens/${REF}`, () => ({ status: 403, body: problem('provisioning_declined', 403, { reasonCodes: ['issuer_declined', 'device_rooted'], decisionId: 'dec_Hq2Wm8Rt4Yv6Zb1Nc3Xk' }) }));
    const declined = (await wallet.getCard(REF).catch((e: unknown) => e)) as DeclinedError;
    expect(declined.reasonCodes).toEqual(['issuer_declined', 'device_rooted']);
    expect(declined.decisionId).toBe('dec_Hq2Wm8Rt4Yv6Zb1Nc3Xk');

    tsp.on('GET', `/v1/tokens/${REF}`, () => ({ status: 422, body: problem('otp_invalid', 422, { attemptsRemaining: 1 }) }));
    const otp = (await wallet.getCard(REF).catch((e: unknown) => e)) as ValidationError;
    expect(otp.attemptsRemaining).toBe(1);
    expect(otp.errors).toEqual([]);
  });

  it('lets the caller switch on code over the union, each branch knowing its class', async () => {
    tsp.on('GET', `/v1/tokens/${REF}`, () => ({ status: 403, body: problem('provisioning_declined', 403, { reasonCodes: ['velocity_card_24h'] }) }));
    const caught = await wallet.getCard(REF).catch((e: unknown) => e);
    const describe = (err: AnyOpenTspError): string => {
      switch (err.code) {
        case 'provisioning_declined':
          return `declined: ${err.reasonCodes.join(',')}`; // err is DeclinedError here
        case 'rate_limited':
          return `retry in ${err.retryAfterSeconds ?? '?'}`;
        default:
          return err.code;
      }
    };
    expect(isOpenTspError(caught)).toBe(true);
    if (isOpenTspError(caught)) expect(describe(caught)).toBe('declined: velocity_card_24h');
  });
});
