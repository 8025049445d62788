import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createIssuerSim, httpJwksSource, type IssuerSimState, type JwksSource } from '@opentsp/issuer-sim';
import type { PhoneMessage, SandboxPhone } from './http/routes/console-sandbox';
import type { Logger } from './observability/logger';

/**
 * The sandbox's bank: the issuer simulator (services/issuer-sim) run inside `opentsp serve
 * --sandbox`, on a free loopback port, so the sandbox test cards get real decisions and
 * step-up codes with nothing else to start. It checks `OpenTSP-Signature` on every call
 * against the TSP's JWKS, fetched over HTTP like a real bank would once the TSP listens.
 * The codes it "sends" land in the sandbox phone the console shows.
 */
export interface SandboxIssuerHost {
  readonly url: string;
  /** The sandbox issuer's `decisionUrl` and `otpDeliveryUrl` (registered at each start). */
  readonly endpoints: { decisionUrl: string; otpDeliveryUrl: string };
  readonly phone: SandboxPhone;
  /** The TSP listens at `tspUrl`: signatures are verified against its JWKS from now on. */
  verifyWith(tspUrl: string): void;
  stop(): Promise<void>;
}

export async function startSandboxIssuer(logger: Logger): Promise<SandboxIssuerHost> {
  let jwks: JwksSource | undefined;
  const notYet = (): never => {
    throw new Error('the TSP is not listening yet');
  };
  // Until the TSP listens there is no JWKS to fetch; a call then fails verification (401).
  const lazyJwks: JwksSource = {
    get: () => (jwks ?? notYet()).get(),
    refresh: () => (jwks ?? notYet()).refresh(),
  };
  const sim = createIssuerSim({ jwks: lazyJwks });
  const server = createServer(sim.app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  logger.info({ url }, 'issuer simulator listening (sandbox bank)');
  return {
    url,
    endpoints: { decisionUrl: `${url}/decisions`, otpDeliveryUrl: `${url}/otp-deliveries` },
    phone: phoneOf(sim.state),
    verifyWith(tspUrl) {
      jwks = httpJwksSource(loopbackUrl(tspUrl));
    },
    stop: () => closeServer(server),
  };
}

/** The simulator keeps the last code per token; the phone shows them newest first. */
function phoneOf(state: IssuerSimState): SandboxPhone {
  return {
    messages: () =>
      [...state.otpInbox.values()].reverse().map(
        (d): PhoneMessage => ({
          to: d.method.maskedDestination ?? d.method.type,
          channel: d.method.type,
          tokenRef: d.tokenRef,
          challengeId: d.challengeId,
          code: d.otp,
          expiresAt: d.expiresAt,
          text: `Sandbox Bank: ${d.otp} is your code to add your card to a wallet. Never share it.`,
        }),
      ),
  };
}

/** A wildcard listen address is not a place to connect to: the simulator reaches the TSP over loopback. */
function loopbackUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.hostname === '0.0.0.0' || parsed.hostname === '') parsed.hostname = '127.0.0.1';
  if (parsed.hostname === '[::]') parsed.hostname = '[::1]';
  return parsed.origin;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
