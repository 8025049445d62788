import express, { type Express, type Request, type RequestHandler } from 'express';
import type { components } from '@opentsp/api-types';
import { KeySet, type Jwk } from '@opentsp/crypto';
import { CardBook, openCardData, publicJwksOf, SANDBOX_CARDS, type CardRecord } from './card-records';
import { decide, DEFAULT_DECISION_RULES, DEFAULT_IDV_METHODS, type DecisionRule } from './decision-rules';
import { SANDBOX_CARD_KEY } from './sandbox-card-key';
import { verifyTspSignature } from './signature';
import { httpJwksSource, type JwksSource } from './tsp-jwks';
import { WebhookInbox, type ReceivedWebhook } from './webhook-inbox';

type TokenActivationRequest = components['schemas']['TokenActivationRequest'];
type OtpDeliveryRequest = components['schemas']['OtpDeliveryRequest'];

/** Decision requests kept in `state.decisionRequests` (the newest). */
const MAX_KEPT_DECISION_REQUESTS = 10_000;

/** How the simulated bank answers the TSP: normally, with 503s, or not at all (hang). */
export type Availability = 'up' | 'down' | 'hang';

export interface IssuerSimOptions {
  rules?: readonly DecisionRule[];
  /** Base URL of the TSP: its JWKS verifies `OpenTSP-Signature` on every call from it. */
  tspUrl?: string;
  /** Or a JWKS source directly (tests). Without either, signatures are not checked (demo only). */
  jwks?: JwksSource;
  /** The bank's card records (default: the sandbox test cards, CVV2 `123`). */
  cards?: readonly CardRecord[];
  /** Private keys the TSP encrypts card data to (default: the published sandbox key, sandbox-card-key.ts). */
  cardKeys?: readonly Jwk[];
}

/** The simulator's state, for tests and the demo. */
export interface IssuerSimState {
  availability: Availability;
  readonly webhooks: WebhookInbox;
  /** Last code per token (stands in for the cardholder's phone). */
  readonly otpInbox: Map<string, OtpDeliveryRequest>;
  /** The decision requests received, the newest 10,000 (card data only as the JWE to the bank's key). */
  readonly decisionRequests: TokenActivationRequest[];
  /** The bank's card records, checked against the card data of each decision request. */
  readonly cards: CardBook;
}

export interface IssuerSim {
  app: Express;
  state: IssuerSimState;
  /** The public halves of the card-data keys: register them as the issuer's `jwks`. */
  publicJwks: components['schemas']['Jwks'];
}

/**
 * The bank side of the OpenTSP contract, small enough to read in one sitting:
 * - `POST /decisions` answers token activation requests (approve / step-up / decline), after
 *   decrypting the card data (PAN, expiry, CVV2) with its own key and checking it against its
 *   card records (`expiryResult`, `cvv2Result`; a `no_match` declines);
 * - `POST /otp-deliveries` receives one-time codes the TSP asks the bank to send, and
 *   `GET /otp-deliveries/latest?tokenRef=` hands the last one to tests and the demo, standing
 *   in for the cardholder's phone;
 * - `POST /webhooks` (and `/webhooks/<receiver>`, e.g. a wallet's) receives token events,
 *   `GET /webhooks/received` lists them;
 * - `POST /control/availability` `{ "mode": "up" | "down" | "hang" }` simulates an outage
 *   (for the TSP's stand-in decision).
 * Every call from the TSP must carry a valid `OpenTSP-Signature` when a JWKS is configured.
 * A real bank implements the first three against its own systems.
 */
export function createIssuerSim(options: IssuerSimOptions = {}): IssuerSim {
  const rules = options.rules ?? DEFAULT_DECISION_RULES;
  const jwks = options.jwks ?? (options.tspUrl ? httpJwksSource(options.tspUrl) : undefined);
  const cardKeys = options.cardKeys ?? [SANDBOX_CARD_KEY];
  const keySet = KeySet.fromJson({ keys: cardKeys });
  keySet.catch(() => undefined); // reported on the first decision request instead
  const state: IssuerSimState = {
    availability: 'up',
    webhooks: new WebhookInbox(),
    otpInbox: new Map(),
    decisionRequests: [],
    cards: new CardBook(options.cards ?? SANDBOX_CARDS),
  };
  const signed: RequestHandler = jwks ? verifyTspSignature(jwks) : (_req, _res, next) => next();
  const available: RequestHandler = (_req, res, next) => {
    if (state.availability === 'down') {
      res.status(503).json({ error: 'issuer host unavailable (simulated)' });
      return;
    }
    if (state.availability === 'hang') return; // never answers: the TSP's timeout must fire
    next();
  };

  const app = express();
  app.disable('x-powered-by');
  // Keep the exact body bytes: the signature covers them, not a re-serialisation.
  app.use(
    express.json({
      limit: '256kb',
      verify: (req, _res, buf) => {
        (req as unknown as { rawBody: Buffer }).rawBody = Buffer.from(buf);
      },
    }),
  );

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.post('/control/availability', (req, res) => {
    const mode = (req.body as { mode?: string })?.mode;
    if (mode !== 'up' && mode !== 'down' && mode !== 'hang') {
      res.status(400).json({ error: 'mode must be up, down or hang' });
      return;
    }
    state.availability = mode;
    res.json({ availability: mode });
  });

  app.post('/decisions', available, signed, async (req, res) => {
    const request = req.body as TokenActivationRequest;
    if (typeof request?.panLast4 !== 'string' || !/^[0-9]{4}$/.test(request.panLast4)) {
      res.status(400).json({ error: 'panLast4 is required' });
      return;
    }
    state.decisionRequests.push(request);
    // The newest ones only: a long benchmark (hundreds a second) must not grow the simulator without bound.
    if (state.decisionRequests.length > MAX_KEPT_DECISION_REQUESTS) state.decisionRequests.splice(0, state.decisionRequests.length - MAX_KEPT_DECISION_REQUESTS);
    if (!request.encryptedCard) {
      res.json(decide(request, rules));
      return;
    }
    // The card data is for the bank's eyes only: decrypt, check against the record, forget.
    const card = await openCardData(request.encryptedCard, await keySet);
    if (!card || !card.pan.endsWith(request.panLast4)) {
      res.json({ decision: 'decline', reasonCode: 'card_data_unreadable', expiryResult: 'not_checked', cvv2Result: 'not_checked' });
      return;
    }
    res.json(decide(request, rules, DEFAULT_IDV_METHODS, state.cards.check(card)));
  });

  app.post('/otp-deliveries', available, signed, (req, res) => {
    const delivery = req.body as OtpDeliveryRequest;
    if (typeof delivery?.tokenRef !== 'string' || typeof delivery.otp !== 'string') {
      res.status(400).json({ error: 'tokenRef and otp are required' });
      return;
    }
    // A real bank sends the code by SMS / e-mail / its app and never logs or stores it.
    state.otpInbox.set(delivery.tokenRef, delivery);
    res.status(204).end();
  });

  app.get('/otp-deliveries/latest', (req, res) => {
    const delivery = state.otpInbox.get(String(req.query.tokenRef ?? ''));
    if (!delivery) {
      res.status(404).json({ error: 'no code delivered for this token' });
      return;
    }
    res.json(delivery);
  });

  const receive = (receiverOf: (req: Request) => string): RequestHandler => (req, res) => {
    const event = req.body as ReceivedWebhook['event'];
    if (!event || typeof event.id !== 'string' || typeof event.type !== 'string') {
      res.status(400).json({ error: 'not a webhook event' });
      return;
    }
    state.webhooks.add(receiverOf(req), event);
    res.status(204).end();
  };
  app.post('/webhooks', signed, receive(() => 'issuer'));
  app.post('/webhooks/:receiver', signed, receive((req) => String(req.params.receiver)));

  app.get('/webhooks/received', (req, res) => {
    const q = req.query as Record<string, unknown>;
    res.json({
      data: state.webhooks.list({
        ...(typeof q.type === 'string' ? { type: q.type } : {}),
        ...(typeof q.tokenRef === 'string' ? { tokenRef: q.tokenRef } : {}),
        ...(typeof q.receiver === 'string' ? { receiver: q.receiver } : {}),
      }),
    });
  });

  return { app, state, publicJwks: publicJwksOf(cardKeys) };
}

/** The simulator's Express app alone (see {@link createIssuerSim} for its state). */
export function createIssuerSimApp(options: IssuerSimOptions = {}): Express {
  return createIssuerSim(options).app;
}
