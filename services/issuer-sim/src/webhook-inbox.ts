/** A webhook the simulated bank received and verified. */
export interface ReceivedWebhook {
  /** Which receiver path got it (`issuer` for `/webhooks`, else `/webhooks/<receiver>`). */
  receiver: string;
  receivedAt: string;
  /** The event body (`WebhookEvent`). */
  event: { id: string; type: string; createdAt: string; data: { token: { tokenRef: string; status: string } & Record<string, unknown> } & Record<string, unknown> };
  /** Always true here: unverified webhooks are refused, never stored. */
  signatureVerified: true;
}

/** Received webhooks in arrival order, deduplicated by event id per receiver (as receivers must). */
export class WebhookInbox {
  readonly #events: ReceivedWebhook[] = [];
  readonly #seen = new Set<string>();

  add(receiver: string, event: ReceivedWebhook['event']): boolean {
    const key = `${receiver}:${event.id}`;
    if (this.#seen.has(key)) return false;
    this.#seen.add(key);
    this.#events.push({ receiver, receivedAt: new Date().toISOString(), event, signatureVerified: true });
    return true;
  }

  list(filter: { type?: string; tokenRef?: string; receiver?: string } = {}): ReceivedWebhook[] {
    return this.#events.filter(
      (w) =>
        (!filter.type || w.event.type === filter.type) &&
        (!filter.tokenRef || w.event.data?.token?.tokenRef === filter.tokenRef) &&
        (!filter.receiver || w.receiver === filter.receiver),
    );
  }

  clear(): void {
    this.#events.length = 0;
    this.#seen.clear();
  }
}
