import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import path from 'node:path';

/** One webhook POST as the receiver got it (every attempt, duplicates included). */
export interface ReceivedDelivery {
  /** `issuer` or `wallet`: the path the TSP posted to. */
  receiver: string;
  eventId: string;
  type: string;
  tokenRef: string;
  signed: boolean;
  at: number;
}

export interface WebhookReceiver {
  /** `https://127.0.0.1:<port>`: production mode accepts https webhook URLs only. */
  readonly url: string;
  /** The receiver's self-signed certificate: give it to the TSP as `NODE_EXTRA_CA_CERTS`. */
  readonly caFile: string;
  readonly deliveries: ReceivedDelivery[];
  /** Emits `delivery` (a `ReceivedDelivery`) when a POST arrives, before it is answered. */
  readonly events: EventEmitter;
  /** The one-time code the TSP asked the bank to deliver for a verification challenge. */
  otpFor(challengeId: string): string | undefined;
  /** Distinct `receiver:eventId` pairs seen (what a receiver that deduplicates by event id keeps). */
  seen(): Set<string>;
  close(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1 (openssl), written to `dir`. */
function selfSignedCertificate(dir: string): { keyFile: string; certFile: string } {
  const keyFile = path.join(dir, 'receiver-key.pem');
  const certFile = path.join(dir, 'receiver-cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'ignore' });
  return { keyFile, certFile };
}

/**
 * A webhook receiver on https://127.0.0.1 (certificate made in `dir`) that records every delivery attempt. It answers 200 after
 * `answerDelayMs` (random up to that), so a kill of the TSP can land while a delivery is in
 * flight: the TSP sent it, the receiver has it, the TSP has not recorded the outcome. Such a
 * delivery must come again (at least once), and the receiver deduplicates by event id.
 */
export async function startWebhookReceiver(dir: string, options: { answerDelayMs?: number } = {}): Promise<WebhookReceiver> {
  const { keyFile, certFile } = selfSignedCertificate(dir);
  const deliveries: ReceivedDelivery[] = [];
  const otps = new Map<string, string>();
  const events = new EventEmitter();
  const maxDelay = options.answerDelayMs ?? 80;
  const server: Server = createServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const match = /^\/webhooks\/([a-z]+)$/.exec(req.url ?? '');
      let body: { id?: unknown; type?: unknown; data?: { token?: { tokenRef?: unknown } }; challengeId?: unknown; otp?: unknown } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        // recorded as unparsable below
      }
      // The bank's OTP delivery endpoint (it would text the code to the cardholder).
      if (req.method === 'POST' && req.url === '/otp-deliveries' && typeof body.challengeId === 'string' && typeof body.otp === 'string') {
        otps.set(body.challengeId, body.otp);
        res.writeHead(204).end();
        return;
      }
      if (req.method !== 'POST' || !match || typeof body.id !== 'string') {
        res.writeHead(400).end();
        return;
      }
      const delivery: ReceivedDelivery = {
        receiver: match[1] as string,
        eventId: body.id,
        type: String(body.type),
        tokenRef: String(body.data?.token?.tokenRef ?? ''),
        signed: typeof req.headers['opentsp-signature'] === 'string',
        at: Date.now(),
      };
      deliveries.push(delivery);
      events.emit('delivery', delivery);
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'), Math.floor(Math.random() * maxDelay));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `https://127.0.0.1:${port}`,
    caFile: certFile,
    deliveries,
    events,
    otpFor: (challengeId) => otps.get(challengeId),
    seen: () => new Set(deliveries.map((d) => `${d.receiver}:${d.eventId}`)),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
