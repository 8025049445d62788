import path from 'node:path';
import type { Config } from './config';
import type { DemoCard, SandboxCredentials } from './domain/identity/sandbox-bootstrap';

export interface SandboxGuideInput {
  config: Pick<Config, 'port' | 'publicUrl' | 'dataDir'>;
  /** Where the TSP listens (its real port, also with PORT=0). */
  url: string;
  issuerUrl: string;
  credentials: SandboxCredentials;
  demoCards: DemoCard[];
}

const OUTCOMES: Record<DemoCard['outcome'], { name: keyof SandboxCredentials['issuer']['testCards']; result: string }> = {
  approve: { name: 'approve', result: 'token ACTIVE at once' },
  step_up: { name: 'stepUp', result: 'token INACTIVE until the code from the sandbox phone is entered' },
  decline: { name: 'decline', result: '403 provisioning_declined' },
};

/**
 * The second half of the sandbox start banner, printed once the TSP listens: what runs where,
 * where to click first, and the three test cards by last four (the full numbers, expiry and
 * CVV2 are only in sandbox.json: a PAN-shaped number is never printed).
 */
export function sandboxGuide({ config, url, issuerUrl, credentials, demoCards }: SandboxGuideInput): string {
  const base = config.port === 0 ? loopback(url) : config.publicUrl;
  const file = path.join(config.dataDir, 'sandbox.json');
  const cards = demoCards.map((card) => {
    const { name, result } = OUTCOMES[card.outcome];
    return `    ${name.padEnd(8)} card ending ${card.panLast4}  → ${result}`;
  });
  return [
    '',
    '  OpenTSP sandbox is running (Ctrl-C stops all of it):',
    `    TSP API        ${base}  (reference: ${base}/docs)`,
    `    Token console  ${base}/console/  ← start here: the Demo page binds a card with one tap`,
    `    Sandbox phone  ${base}/console/phone  (codes the bank sends; API: ${base}/console/sandbox/phone)`,
    `    Issuer sim     ${issuerUrl}  (the Sandbox Bank ${credentials.issuer.issuerId}: decisions and OTP delivery, signatures checked)`,
    '',
    `  Test cards (numbers, expiry and CVV2 in ${file}):`,
    ...cards,
    '',
  ].join('\n');
}

function loopback(url: string): string {
  const parsed = new URL(url);
  if (parsed.hostname === '0.0.0.0' || parsed.hostname === '[::]') parsed.hostname = '127.0.0.1';
  return parsed.origin;
}
