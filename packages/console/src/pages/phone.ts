import { h, replaceChildren } from '../dom';
import type { Route } from '../router';
import { errorBox, pageHeader } from '../components/ui';
import { phoneMessages, type PhoneMessage } from '../demo/sandbox';

const POLL_MS = 2000;

/**
 * The sandbox phone: the one-time codes the sandbox bank (issuer simulator) "sent" to the
 * cardholder of a step-up card, as the messages would read on the masked destination. Only a
 * sandbox TSP has one; elsewhere the page says so.
 */
export const phonePage: Route = {
  pattern: 'phone',
  title: 'Sandbox phone',
  render(main, { signal }) {
    main.append(
      pageHeader('Sandbox phone', 'Codes the Sandbox Bank sends when a wallet asks for step-up verification (the stepUp test card). Type the newest one into the wallet.'),
    );
    const list = h('div', { 'aria-live': 'polite' }, h('p', { class: 'hint' }, 'Loading…'));
    main.append(list);
    // Polls in the background: the router renders the navigation once this returns.
    void poll(list, signal);
  },
};

async function poll(list: HTMLElement, signal: AbortSignal): Promise<void> {
  let shown = '';
  while (!signal.aborted) {
    try {
      const messages = await phoneMessages();
      if (!messages) {
        replaceChildren(list, h('p', { class: 'card' }, 'Only a TSP in sandbox mode (started with `pnpm start`) has a sandbox phone.'));
        return;
      }
      const key = JSON.stringify(messages);
      if (key !== shown) {
        shown = key;
        replaceChildren(list, messages.length ? h('ol', { class: 'steps' }, ...messages.map(message)) : h('p', { class: 'empty' }, 'No messages yet: provision the stepUp test card and choose a method.'));
      }
    } catch (error) {
      replaceChildren(list, errorBox(error));
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function message(m: PhoneMessage): HTMLElement {
  return h(
    'li',
    { class: 'card' },
    h('strong', {}, `To ${m.to} (${m.channel})`),
    h('p', {}, m.text),
    h('p', { class: 'hint' }, `Code `, h('code', {}, m.code), ` for token ${m.tokenRef}, valid until ${new Date(m.expiresAt).toLocaleTimeString()}.`),
  );
}
