import { errorFromResponse } from '@opentsp/wallet-sdk/browser';
import { BASE } from '../router';

/*
 * What the sandbox TSP publishes for the demo (served by the TSP at /console/sandbox.json and
 * /console/sandbox/webhooks, sandbox mode only): the sandbox parties' credentials, demo cards
 * by reference (never a PAN) and the webhooks its sink received.
 */

export interface SandboxParty {
  clientId: string;
  clientSecret: string;
}

export interface DemoCard {
  cardRef: string;
  panLast4: string;
  expiry: { month: number; year: number };
  outcome: 'approve' | 'step_up' | 'decline';
}

export interface SandboxInfo {
  issuer: SandboxParty & { issuerId: string };
  wallet: SandboxParty & { trid: string };
  acquirer: SandboxParty & {
    merchantIds: string[];
    /** The acquirer's A256GCMKW response key, when the sandbox shares it (then checkout decrypts). */
    responseEncryptionKey?: { kty: 'oct'; kid: string; k: string };
  };
  admin: SandboxParty;
  demoCards: DemoCard[];
}

export interface ReceivedWebhook {
  seq: number;
  receivedAt: string;
  eventType: string;
  eventId: string;
  tokenRef?: string;
  signatureValid: boolean;
  body: unknown;
}

/**
 * The JSON body of a 2xx answer; otherwise the SDK's typed error for the answer (these sandbox
 * pages are the console's own, outside the API contract, so they are fetched directly).
 */
async function readAnswer<T>(response: Response): Promise<T> {
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) throw errorFromResponse(response.status, body, response.headers);
  return body as T;
}

/** The sandbox description, or `undefined` when this TSP is not in sandbox mode (404). */
export async function loadSandbox(): Promise<SandboxInfo | undefined> {
  const response = await fetch(`${BASE}/sandbox.json`, { headers: { accept: 'application/json' }, credentials: 'omit', cache: 'no-store' });
  if (response.status === 404) return undefined;
  return readAnswer<SandboxInfo>(response);
}

/** Webhooks the sandbox sink received after `after` (a `seq`), oldest first. */
export async function webhooksAfter(after: number): Promise<ReceivedWebhook[]> {
  const response = await fetch(`${BASE}/sandbox/webhooks?after=${after}`, { headers: { accept: 'application/json' }, credentials: 'omit', cache: 'no-store' });
  const page = await readAnswer<{ data: ReceivedWebhook[] }>(response);
  return [...page.data].sort((a, b) => a.seq - b.seq);
}

/** A code the sandbox bank "sent" to the cardholder (the issuer simulator's inbox). */
export interface PhoneMessage {
  to: string;
  channel: string;
  tokenRef: string;
  challengeId: string;
  code: string;
  expiresAt: string;
  text: string;
}

/** The sandbox phone's messages, newest first; `undefined` when this TSP has no sandbox phone (404). */
export async function phoneMessages(): Promise<PhoneMessage[] | undefined> {
  const response = await fetch(`${BASE}/sandbox/phone`, { headers: { accept: 'application/json' }, credentials: 'omit', cache: 'no-store' });
  if (response.status === 404) return undefined;
  return (await readAnswer<{ data: PhoneMessage[] }>(response)).data;
}
