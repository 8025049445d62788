import { compactDecrypt, importJWK, type JWK } from 'jose';
import { createTokenFixture } from '../../services/tsp/test/payments/payment-fixtures';
import { createTestParties, tokenFor, type TestParties } from '../support/clients';
import { startTestTsp, type TestTsp } from '../support/tsp-harness';

// The merchant's checkout as docs/payments.md shows it: the wallet gets payment credentials,
// the acquirer detokenizes over plain HTTP and opens the JWE with panva `jose`.

let tsp: TestTsp;
let parties: TestParties;

beforeAll(async () => {
  tsp = await startTestTsp();
  parties = await createTestParties(tsp);
});

afterAll(async () => {
  await tsp?.services.identity.close();
  await tsp?.close();
});

it('a wallet pays and the acquirer gets the card number, once, as docs/payments.md shows', async () => {
  const token = await createTokenFixture(tsp, parties.issuer, { trid: parties.wallet.client.trid!, requestorClientId: parties.wallet.clientId });
  const walletToken = await tokenFor(tsp, parties.wallet);
  const credentialsRes = await fetch(`${tsp.url}/v1/tokens/${token.tokenRef}/cryptograms`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${walletToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ amount: 12800, currency: 'CNY', merchantId: '898310048160001', channel: 'in_app' }),
  });
  expect(credentialsRes.status).toBe(201);
  const { tokenPan, tokenExpiry, cryptogram, atc, transaction } = await credentialsRes.json();

  // --- the snippet of docs/payments.md ---
  const tspUrl = tsp.url;
  const accessToken = await tokenFor(tsp, parties.acquirer);
  const responseEncryptionKey = parties.acquirer.responseEncryptionKey as JWK;
  const key = await importJWK(responseEncryptionKey, 'A256GCMKW');
  const res = await fetch(`${tspUrl}/v1/detokenize`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ tokenPan, tokenExpiry, cryptogram, atc, transaction }),
  });
  const answer = await res.json();
  if (!res.ok) throw new Error(`detokenize refused: ${answer.code}`);
  const { plaintext } = await compactDecrypt(answer.encryptedCard, key);
  const { pan, expMonth, expYear } = JSON.parse(new TextDecoder().decode(plaintext));
  // ---

  expect({ pan, expMonth, expYear }).toEqual({ pan: token.pan, expMonth: 11, expYear: 2032 });
  expect(JSON.stringify(answer)).not.toContain(token.pan);

  const again = await fetch(`${tspUrl}/v1/detokenize`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ tokenPan, tokenExpiry, cryptogram, atc, transaction }),
  });
  expect({ status: again.status, code: (await again.json()).code }).toEqual({ status: 409, code: 'atc_replayed' });
  expect(tsp.logs.text()).not.toContain(token.pan);
});
