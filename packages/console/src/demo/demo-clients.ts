import {
  AcquirerClient,
  ClientCredentialsAuth,
  HttpClient,
  IssuerClient,
  WalletClient,
  type DetokenizeResult,
} from '@opentsp/wallet-sdk/browser';
import type { Schema } from '@opentsp/api-types';
import type { Exchange } from './exchange-log';
import { recordingFetch } from './exchange-log';
import type { SandboxInfo } from './sandbox';

/*
 * The three sandbox parties as the SDK's browser entry builds them: the bank (IssuerClient),
 * the wallet app (WalletClient) and the merchant's acquirer (AcquirerClient). Each gets the
 * recording fetch so the demo can show its calls. Retries are off: a demo step either works or
 * shows its problem at once.
 */

type DetokenizeAnswer = { decrypted: DetokenizeResult } | { encrypted: Schema<'DetokenizeResponse'> };

export interface DemoClients {
  issuer: IssuerClient;
  wallet: WalletClient;
  /** Detokenize; decrypts the card when the sandbox shares the acquirer's response key. */
  detokenize(request: Schema<'DetokenizeRequest'>): Promise<DetokenizeAnswer>;
}

export function demoClients(sandbox: SandboxInfo, report: (exchange: Exchange) => void): DemoClients {
  const transport = { baseUrl: location.origin, fetch: recordingFetch(report), retry: { maxRetries: 0 } };
  const issuer = new IssuerClient({ ...transport, credentials: { clientId: sandbox.issuer.clientId, clientSecret: sandbox.issuer.clientSecret } });
  const wallet = new WalletClient({
    ...transport,
    credentials: { clientId: sandbox.wallet.clientId, clientSecret: sandbox.wallet.clientSecret },
    trid: sandbox.wallet.trid,
  });
  const credentials = { clientId: sandbox.acquirer.clientId, clientSecret: sandbox.acquirer.clientSecret };
  const key = sandbox.acquirer.responseEncryptionKey;
  if (key) {
    const acquirer = new AcquirerClient({ ...transport, credentials, responseKey: key });
    return { issuer, wallet, detokenize: async (request) => ({ decrypted: await acquirer.detokenize(request) }) };
  }
  // Without the response key the card stays encrypted for the acquirer's back end: the demo
  // uses the SDK's transport for the same call and shows the JWE.
  const http = new HttpClient(transport);
  http.useAuth(new ClientCredentialsAuth(http, credentials));
  return {
    issuer,
    wallet,
    detokenize: async (request) => ({ encrypted: (await http.call('post', '/v1/detokenize', { body: request })).data }),
  };
}
