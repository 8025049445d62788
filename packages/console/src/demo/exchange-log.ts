import { h } from '../dom';
import { maskText } from '../mask';
import { badge, jsonBlock } from '../components/ui';
import type { ReceivedWebhook } from './sandbox';

/*
 * The demo shows what goes over the wire. The SDK clients get a recording `fetch`: it passes
 * every call through and hands a copy of the request and response bodies (never headers, so
 * no Authorization) to the step being shown. Everything displayed is masked.
 */

export interface Exchange {
  method: string;
  path: string;
  status: number;
  request?: unknown;
  response?: unknown;
}

/** Calls the SDK makes on the side of a step (access token, the TSP's public keys). */
const PLUMBING = /^\/(oauth2\/token|\.well-known\/jwks\.json)$/;

function parseBody(body: BodyInit | null | undefined): unknown {
  if (typeof body !== 'string') return body instanceof URLSearchParams ? Object.fromEntries(body) : undefined;
  try {
    return JSON.parse(body);
  } catch {
    return Object.fromEntries(new URLSearchParams(body));
  }
}

/** A `fetch` that reports each exchange to whichever step is listening at the time. */
export function recordingFetch(report: (exchange: Exchange) => void): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const response = await fetch(input, init);
    let body: unknown;
    try {
      const text = await response.clone().text();
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    report({ method: request.method, path: new URL(request.url).pathname, status: response.status, request: parseBody(init?.body), response: body });
    return response;
  };
}

/**
 * One step of the demo on screen: its title, the main request and response, the plumbing
 * calls in one line each, its outcome and the webhooks that arrived while it was the latest
 * step.
 */
export class StepView {
  readonly element: HTMLElement;
  readonly #exchanges = h('div', { class: 'exchanges' });
  readonly #plumbing = h('ul', { class: 'plumbing' });
  readonly #outcome = h('div', { class: 'outcome', role: 'status' });
  readonly #webhooks = h('ul', { class: 'webhooks' });
  readonly #noWebhook = h('p', { class: 'hint' }, 'No webhook yet.');

  constructor(title: string) {
    this.element = h(
      'li',
      { class: 'step' },
      h('h4', {}, title),
      this.#outcome,
      this.#exchanges,
      this.#plumbing,
      h('div', { class: 'webhook-box' }, h('h5', {}, 'Webhooks that followed'), this.#noWebhook, this.#webhooks),
    );
  }

  record(exchange: Exchange): void {
    const line = `${exchange.method} ${exchange.path} → ${exchange.status}`;
    if (PLUMBING.test(exchange.path)) {
      this.#plumbing.append(h('li', {}, line));
      return;
    }
    this.#exchanges.append(
      h(
        'details',
        { class: 'exchange', open: true },
        h('summary', {}, h('code', {}, line)),
        exchange.request !== undefined ? h('div', {}, h('h6', {}, 'Request'), jsonBlock(`Request of ${line}`, exchange.request)) : null,
        exchange.response !== undefined ? h('div', {}, h('h6', {}, 'Response'), jsonBlock(`Response of ${line}`, exchange.response)) : null,
      ),
    );
  }

  succeed(text: string): void {
    this.#outcome.className = 'outcome ok';
    this.#outcome.textContent = maskText(text);
  }

  fail(node: Node): void {
    this.#outcome.className = 'outcome failed';
    this.#outcome.replaceChildren(node);
  }

  webhook(event: ReceivedWebhook): void {
    this.#noWebhook.remove();
    this.#webhooks.append(
      h(
        'li',
        { class: 'webhook', 'data-event-type': event.eventType },
        h(
          'details',
          {},
          h(
            'summary',
            {},
            h('code', {}, event.eventType),
            ' ',
            badge(event.signatureValid ? 'signature valid' : 'signature INVALID'),
            event.tokenRef ? ` ${event.tokenRef}` : '',
          ),
          jsonBlock(`Webhook ${event.eventType}`, event.body),
        ),
      ),
    );
  }
}
