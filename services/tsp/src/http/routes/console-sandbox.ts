import type { Config } from '../../config';
import type { DemoCard, SandboxCredentials } from '../../domain/identity/sandbox-bootstrap';
import type { WebhookTarget, WebhookTargetResolver } from '../../domain/webhooks/webhook-target';
import { WebhookSink, type SinkJwksSource } from './console-webhook-sink';

/** `GET /console/sandbox.json` (console contract): the demo parties and cards, never a PAN. */
export interface SandboxView {
  issuer: { clientId: string; clientSecret: string; issuerId: string };
  wallet: { clientId: string; clientSecret: string; trid: string };
  acquirer: { clientId: string; clientSecret: string; merchantIds: string[] };
  admin: { clientId: string; clientSecret: string };
  demoCards: DemoCard[];
}

export const SINK_PATH = '/console/sandbox/webhooks';

/** A one-time code the sandbox bank "sent" (`GET /console/sandbox/phone`): no card data, only refs. */
export interface PhoneMessage {
  /** The masked destination the cardholder picked (e.g. `+86 *** **** 1234`). */
  to: string;
  channel: string;
  tokenRef: string;
  challengeId: string;
  code: string;
  expiresAt: string;
  text: string;
}

/** The cardholder's phone in the sandbox: what the issuer simulator delivered, newest first. */
export interface SandboxPhone {
  messages(): PhoneMessage[];
}

/**
 * What the console needs of a sandbox TSP: the parties and demo cards made at start (see
 * compose.ts `bootstrapSandboxServices`) and the webhook sink their deliveries go to.
 * Exists in sandbox mode only; production has none, so nothing here can route a production
 * webhook to a loopback address.
 */
export class SandboxConsole {
  readonly sink: WebhookSink;
  #view: SandboxView | undefined;
  #sinkBase: string | undefined;
  #phone: SandboxPhone | undefined;

  constructor(config: Pick<Config, 'host' | 'port'>, jwks: SinkJwksSource) {
    this.sink = new WebhookSink(jwks);
    // Until the server says where it really listens, assume the configured port (unknown for port 0).
    this.#sinkBase = config.port === 0 ? undefined : localBaseUrl(`http://${hostForUrl(config.host)}:${config.port}`);
  }

  /** The demo is ready: parties and demo cards are registered. */
  ready(credentials: SandboxCredentials, demoCards: DemoCard[]): void {
    this.#view = viewOf(credentials, demoCards);
  }

  /** The in-process issuer simulator's inbox (`opentsp serve --sandbox`); absent in test harnesses. */
  attachPhone(phone: SandboxPhone): void {
    this.#phone = phone;
  }

  phone(): SandboxPhone | undefined {
    return this.#phone;
  }

  /** Where the HTTP server actually listens (its URL once `listen()` returned). */
  listening(url: string): void {
    this.#sinkBase = localBaseUrl(url);
  }

  /** The sandbox.json view, or `undefined` while the sandbox is not bootstrapped yet. */
  view(): SandboxView | undefined {
    return this.#view;
  }

  sinkUrl(): string | undefined {
    return this.#sinkBase && `${this.#sinkBase}${SINK_PATH}`;
  }

  /**
   * The webhook resolver with the sink as the sandbox wallet's and bank's URL when they have
   * none registered. Done at send time rather than stored in the registry because the listening
   * port can change between runs (and with PORT=0 is only known after listen()); a URL an
   * operator registered for them still wins.
   */
  webhookTargets(registered: WebhookTargetResolver): WebhookTargetResolver {
    return {
      urlFor: async (target) => (await registered.urlFor(target)) ?? (this.#isDemoParty(target) ? this.sinkUrl() : undefined),
    };
  }

  #isDemoParty(target: WebhookTarget): boolean {
    const view = this.#view;
    if (!view) return false;
    return target.kind === 'requestor' ? target.clientId === view.wallet.clientId : target.issuerId === view.issuer.issuerId;
  }
}

// Field by field, so nothing of sandbox.json's file form (test PANs, the acquirer's response key) leaks.
function viewOf(c: SandboxCredentials, demoCards: DemoCard[]): SandboxView {
  return {
    issuer: { clientId: c.issuer.clientId, clientSecret: c.issuer.clientSecret, issuerId: c.issuer.issuerId },
    wallet: { clientId: c.wallet.clientId, clientSecret: c.wallet.clientSecret, trid: c.wallet.trid },
    acquirer: { clientId: c.acquirer.clientId, clientSecret: c.acquirer.clientSecret, merchantIds: [...c.acquirer.merchantIds] },
    admin: { clientId: c.admin.clientId, clientSecret: c.admin.clientSecret },
    demoCards: demoCards.map((d) => ({ cardRef: d.cardRef, panLast4: d.panLast4, expiry: { month: d.expiry.month, year: d.expiry.year }, outcome: d.outcome })),
  };
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** A wildcard listen address is not a place to post to: the TSP reaches itself over loopback. */
function localBaseUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.hostname === '0.0.0.0' || parsed.hostname === '') parsed.hostname = '127.0.0.1';
  if (parsed.hostname === '[::]') parsed.hostname = '[::1]';
  return parsed.origin;
}
