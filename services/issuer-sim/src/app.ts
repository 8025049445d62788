import express, { type Express } from 'express';
import type { components } from '@opentsp/api-types';
import { decide, DEFAULT_DECISION_RULES, type DecisionRule } from './decision-rules';

type TokenActivationRequest = components['schemas']['TokenActivationRequest'];
type OtpDeliveryRequest = components['schemas']['OtpDeliveryRequest'];

export interface IssuerSimOptions {
  rules?: readonly DecisionRule[];
}

/**
 * The bank side of the OpenTSP contract, small enough to read in one sitting:
 * - `POST /decisions` answers token activation requests (approve / step-up / decline);
 * - `POST /otp-deliveries` receives one-time codes the TSP asks the bank to send, and
 *   `GET /otp-deliveries/latest?tokenRef=` hands the last one to tests and the demo, standing
 *   in for the cardholder's phone.
 * A real bank implements the first two against its own systems.
 */
export function createIssuerSimApp(options: IssuerSimOptions = {}): Express {
  const rules = options.rules ?? DEFAULT_DECISION_RULES;
  const otpInbox = new Map<string, OtpDeliveryRequest>();
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '64kb' }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.post('/decisions', (req, res) => {
    const request = req.body as TokenActivationRequest;
    if (typeof request?.panLast4 !== 'string' || !/^[0-9]{4}$/.test(request.panLast4)) {
      res.status(400).json({ error: 'panLast4 is required' });
      return;
    }
    res.json(decide(request, rules));
  });

  app.post('/otp-deliveries', (req, res) => {
    const delivery = req.body as OtpDeliveryRequest;
    if (typeof delivery?.tokenRef !== 'string' || typeof delivery.otp !== 'string') {
      res.status(400).json({ error: 'tokenRef and otp are required' });
      return;
    }
    otpInbox.set(delivery.tokenRef, delivery);
    res.status(204).end();
  });

  app.get('/otp-deliveries/latest', (req, res) => {
    const delivery = otpInbox.get(String(req.query.tokenRef ?? ''));
    if (!delivery) {
      res.status(404).json({ error: 'no code delivered for this token' });
      return;
    }
    res.json(delivery);
  });

  return app;
}
