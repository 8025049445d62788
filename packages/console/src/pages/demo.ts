import type { Schema } from '@opentsp/api-types';
import { announce, field, h, select } from '../dom';
import { expiry } from '../format';
import { maskPan } from '../mask';
import type { Route } from '../router';
import { errorBox, pageHeader } from '../components/ui';
import { demoClients, type DemoClients } from '../demo/demo-clients';
import { StepView } from '../demo/exchange-log';
import { loadSandbox, webhooksAfter, type SandboxInfo } from '../demo/sandbox';

type Token = Schema<'Token'>;

/** The wallet app's device in the demo (a phone with host card emulation). */
const DEMO_DEVICE: Schema<'Device'> = { id: 'dev_console_demo', type: 'phone', os: 'android', model: 'Demo phone', name: 'Demo phone' };
const WEBHOOK_POLL_MS = 1000;

/**
 * The one-tap flow, live against this sandbox TSP: the bank pushes a card (push receipt), the
 * wallet binds it with one tap (SDK verifies the TSP's signature, then redeems), checkout gets
 * payment credentials and the acquirer detokenizes. Each step shows its requests, responses
 * (masked) and the signed webhooks the sandbox sink received after it.
 */
export const demoPage: Route = {
  pattern: 'demo',
  title: 'One-tap demo',
  async render(main, { signal }) {
    main.append(
      pageHeader('One-tap demo', 'A bank pushes a sandbox card to a wallet, the wallet adds it with one tap, and a checkout pays with the token. Every call is real; card data is masked.'),
    );
    let sandbox: SandboxInfo | undefined;
    try {
      sandbox = await loadSandbox();
    } catch (error) {
      main.append(errorBox(error));
      return;
    }
    if (!sandbox) {
      main.append(h('p', { class: 'card' }, 'The demo runs only on a TSP in sandbox mode (start it with `pnpm start`).'));
      return;
    }
    new DemoFlow(main, sandbox, signal).mount();
  },
};

class DemoFlow {
  readonly #main: HTMLElement;
  readonly #sandbox: SandboxInfo;
  readonly #signal: AbortSignal;
  readonly #clients: DemoClients;
  /** The step calls and webhooks are shown under (the latest one started). */
  #step: StepView | undefined;
  #lastSeq = 0;
  readonly #walletAccountId = `wa_demo_${crypto.randomUUID().slice(0, 8)}`;
  #token: Token | undefined;

  readonly #bankSteps = h('ol', { class: 'steps' });
  readonly #walletBody = h('div', { class: 'wallet-body' }, h('p', { class: 'hint' }, 'Waiting for the bank to push a card…'));
  readonly #walletSteps = h('ol', { class: 'steps' });
  readonly #payButton = h('button', { type: 'button', class: 'primary', disabled: true }, 'Pay');
  readonly #checkoutSteps = h('ol', { class: 'steps' });

  constructor(main: HTMLElement, sandbox: SandboxInfo, signal: AbortSignal) {
    this.#main = main;
    this.#sandbox = sandbox;
    this.#signal = signal;
    this.#clients = demoClients(sandbox, (exchange) => this.#step?.record(exchange));
  }

  mount(): void {
    this.#main.append(h('div', { class: 'demo-grid' }, this.#bankPanel(), this.#walletPanel(), this.#checkoutPanel()));
    void this.#pollWebhooks();
  }

  #bankPanel(): HTMLElement {
    const cards = this.#sandbox.demoCards;
    const card = select(
      'demoCard',
      cards.map((c) => [c.cardRef, `${maskPan(c.panLast4)} exp ${expiry(c.expiry)} (issuer: ${c.outcome.replace('_', '-')})`] as const),
      cards.find((c) => c.outcome === 'approve')?.cardRef,
    );
    const push = h('button', { type: 'button', class: 'primary' }, 'Push card to wallet');
    push.addEventListener('click', () =>
      void this.#run(this.#bankSteps, 'Bank creates a push receipt', push, async () => {
        const receipt = await this.#clients.issuer.createPushReceipt(
          { cardRef: card.value },
          { trid: this.#sandbox.wallet.trid, walletAccountId: this.#walletAccountId, ttlSeconds: 600 },
        );
        this.#offerCard(receipt.deepLink);
        return `Push receipt ${receipt.receiptId} created; the bank app opens the wallet with its deep link.`;
      }),
    );
    return this.#panel('bank', 'Bank app', [
      h('p', { class: 'hint' }, `Sandbox Bank (${this.#sandbox.issuer.issuerId}) pushes to the Sandbox Wallet, TRID ${this.#sandbox.wallet.trid}, account ${this.#walletAccountId}.`),
      field('Sandbox card', card),
      h('div', { class: 'actions' }, push),
      this.#bankSteps,
    ]);
  }

  #walletPanel(): HTMLElement {
    return this.#panel('wallet', 'Wallet app', [h('p', { class: 'hint' }, 'Uses @opentsp/wallet-sdk (browser entry).'), this.#walletBody, this.#walletSteps]);
  }

  /** The wallet verifies the push (the TSP's signature) and offers the one tap. */
  #offerCard(deepLink: string): void {
    void this.#run(this.#walletSteps, 'Wallet verifies the push', undefined, async () => {
      const push = await this.#clients.wallet.previewPushReceipt(deepLink, this.#walletAccountId);
      const { card } = push.claims;
      const add = h('button', { type: 'button', class: 'primary one-tap' }, `Add ${card.issuerName} ${maskPan(card.panLast4)}`);
      add.addEventListener('click', () =>
        void this.#run(this.#walletSteps, 'Cardholder taps “Add”: the wallet redeems the receipt', add, async () => {
          const token = await this.#clients.wallet.bindWithPushReceipt(push, { walletAccountId: this.#walletAccountId, device: DEMO_DEVICE });
          this.#token = token;
          this.#walletBody.replaceChildren(this.#cardTile(token));
          this.#payButton.disabled = false;
          this.#payButton.textContent = `Pay with ${maskPan(token.tokenLast4)}`;
          return `Token ${token.tokenRef} is ${token.status} (token number ${maskPan(token.tokenLast4)}, assurance ${token.assuranceMethod}).`;
        }),
      );
      this.#walletBody.replaceChildren(h('p', {}, `${card.issuerName} offers card ${maskPan(card.panLast4)}. Signature checked against the TSP’s published keys.`), add);
      return `Push verified: ${card.issuerName} ${maskPan(card.panLast4)}.`;
    });
  }

  #cardTile(token: Token): HTMLElement {
    return h(
      'div',
      { class: 'card-tile', 'aria-label': 'Card in wallet' },
      h('strong', {}, token.card.issuerName),
      h('span', { class: 'digits' }, maskPan(token.tokenLast4)),
      h('span', {}, `token exp ${expiry(token.tokenExpiry)} · ${token.status}`),
      h('span', { class: 'hint-light' }, `for card ${maskPan(token.card.panLast4)}`),
    );
  }

  #checkoutPanel(): HTMLElement {
    const amount = h('input', { name: 'amount', inputmode: 'decimal', value: '128.00', pattern: '[0-9]+(\\.[0-9]{1,2})?' });
    const merchant = select('merchant', this.#sandbox.acquirer.merchantIds.map((m) => [m, m] as const));
    this.#payButton.addEventListener('click', () => {
      const token = this.#token;
      if (!token) return;
      const minor = Math.round(Number.parseFloat(amount.value) * 100);
      if (!Number.isFinite(minor) || minor <= 0) {
        announce('Enter an amount.');
        amount.focus();
        return;
      }
      void this.#pay(token, minor, merchant.value);
    });
    return this.#panel('checkout', 'Checkout', [
      h('div', { class: 'grid' }, field('Amount (CNY)', amount), field('Merchant', merchant)),
      h('div', { class: 'actions' }, this.#payButton),
      this.#checkoutSteps,
    ]);
  }

  async #pay(token: Token, amount: number, merchantId: string): Promise<void> {
    let credentials: Schema<'PaymentCredentials'> | undefined;
    await this.#run(this.#checkoutSteps, 'Wallet gets payment credentials', this.#payButton, async () => {
      credentials = await this.#clients.wallet.getPaymentCredentials(token.tokenRef, { amount, currency: 'CNY', merchantId, channel: 'nfc' });
      return `Token ${maskPan(credentials.tokenPan)}, cryptogram for ATC ${credentials.atc}, valid until ${new Date(credentials.expiresAt).toLocaleTimeString()}.`;
    });
    const creds = credentials;
    if (!creds) return;
    await this.#run(this.#checkoutSteps, 'Acquirer detokenizes', this.#payButton, async () => {
      const { tokenPan, tokenExpiry, cryptogram, atc, transaction } = creds;
      const answer = await this.#clients.detokenize({ tokenPan, tokenExpiry, cryptogram, atc, transaction });
      if ('decrypted' in answer) {
        const { card, par } = answer.decrypted;
        return `Approved: funding card ${maskPan(card.pan.last4)} exp ${expiry({ month: card.expMonth, year: card.expYear })} (PAR ${par}) goes into the authorization.`;
      }
      return `Approved: the funding card (PAR ${answer.encrypted.par}) comes back encrypted to the acquirer’s key for its authorization.`;
    });
  }

  #panel(id: string, title: string, children: Node[]): HTMLElement {
    return h('section', { class: 'panel card', id: `panel-${id}`, 'aria-labelledby': `panel-${id}-h` }, h('h2', { id: `panel-${id}-h` }, title), ...children);
  }

  /** Runs one step: shows it, routes its calls and webhooks to it, reports success or the problem. */
  async #run(list: HTMLElement, title: string, button: HTMLButtonElement | undefined, work: () => Promise<string>): Promise<void> {
    const step = new StepView(title);
    list.append(step.element);
    this.#step = step;
    if (button) button.disabled = true;
    try {
      const text = await work();
      step.succeed(text);
      announce(text);
      if (button && button !== this.#payButton) button.remove();
    } catch (error) {
      step.fail(errorBox(error));
      announce(`${title} failed.`);
    } finally {
      if (button === this.#payButton) button.disabled = !this.#token;
    }
  }

  /** Webhooks the sandbox sink received; each goes to the step that was current when it came. */
  async #pollWebhooks(): Promise<void> {
    try {
      const existing = await webhooksAfter(0);
      this.#lastSeq = existing.at(-1)?.seq ?? 0;
    } catch {
      return;
    }
    while (!this.#signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, WEBHOOK_POLL_MS));
      try {
        for (const event of await webhooksAfter(this.#lastSeq)) {
          this.#lastSeq = Math.max(this.#lastSeq, event.seq);
          this.#step?.webhook(event);
        }
      } catch {
        // A missed poll is retried on the next tick.
      }
    }
  }
}
