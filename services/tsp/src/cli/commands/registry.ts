import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { createAuditLog } from '../../audit/audit-log';
import type { ClientRole } from '../../domain/principal';
import type { Channel } from '../../domain/identity/records';
import { createRegistryAdmin } from '../../domain/identity';
import type { AdminContext } from '../../domain/identity';
import type { CreateClientRequest } from '../../domain/identity/clients';
import type { CreateIssuerRequest } from '../../domain/identity/issuers';
import { TspError } from '../../errors';
import { createVaultServices } from '../../vault';
import { withServiceContext } from '../cli-context';

/**
 * `opentsp clients …` and `opentsp issuers …`: the client registry from the command line, for
 * operators onboarding the first admin or working without the admin API. Output is JSON;
 * secrets appear once, in the output of `clients create` and `clients rotate-secret`.
 */
const CLI_ACTOR: AdminContext = { actor: { type: 'cli' } };
const ROLES: ClientRole[] = ['issuer', 'wallet', 'cof_merchant', 'acquirer', 'admin'];
const CHANNELS = ['nfc', 'in_app', 'ecom', 'cof'];

function range(kind: 'card' | 'token') {
  const pattern = kind === 'card' ? /^([0-9]{6,11}):(1[6-9])$/ : /^(62[0-9]{4,9}):(1[6-9])$/;
  return (value: string, previous: Array<{ prefix: string; length: number }> = []) => {
    const match = pattern.exec(value);
    if (!match) throw new InvalidArgumentError(`expected <prefix>:<length> such as ${kind === 'card' ? '621234:16' : '628812:16'}`);
    return [...previous, { prefix: match[1] as string, length: Number(match[2]) }];
  };
}

function list(allowed?: readonly string[]) {
  return (value: string) => {
    const items = value.split(',').map((v) => v.trim()).filter(Boolean);
    const bad = allowed ? items.filter((v) => !allowed.includes(v)) : [];
    if (bad.length || items.length === 0) throw new InvalidArgumentError(`expected a comma-separated list${allowed ? ` of ${allowed.join(', ')}` : ''}`);
    return items;
  };
}

async function run<T>(
  options: { sandbox?: boolean; vault?: boolean },
  work: (admin: Awaited<ReturnType<typeof createRegistryAdmin>>) => Promise<T>,
): Promise<void> {
  try {
    const result = await withServiceContext(options, async (ctx) => {
      const audit = createAuditLog(ctx.database.db, ctx.logger);
      // Only secrets to seal (A256GCMKW response keys) need the vault and its keystore.
      const sealer = options.vault ? (await createVaultServices(ctx, audit)).envelope : undefined;
      return work(await createRegistryAdmin(ctx, audit, sealer));
    });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } catch (err) {
    if (!(err instanceof TspError)) throw err;
    const errors = (err.extensions.errors as Array<{ path: string; message: string }> | undefined) ?? [];
    process.stderr.write(`opentsp: ${err.code}: ${err.message}${errors.map((e) => `\n  ${e.path} ${e.message}`).join('')}\n`);
    process.exitCode = 1;
  }
}

export function registerRegistryCommands(program: Command): void {
  const sandbox = ['--sandbox', 'use the embedded sandbox Postgres when DATABASE_URL is unset'] as const;
  const issuers = program.command('issuers').description('issuers (banks) and their BIN ranges');
  issuers
    .command('create')
    .description('register an issuer; prints it as JSON')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--country <CC>', 'ISO 3166-1 alpha-2 country', (v) => {
      if (!/^[A-Z]{2}$/.test(v)) throw new InvalidArgumentError('expected two upper-case letters');
      return v;
    })
    .requiredOption('--card-bin <prefix:length>', 'card BIN range (repeatable)', range('card'))
    .requiredOption('--token-bin <prefix:length>', 'token BIN range, starts with 62 (repeatable)', range('token'))
    .option('--stand-in <decision>', 'approve | step_up | decline when the issuer does not answer', 'step_up')
    .option('--decision-url <url>', 'token activation request endpoint')
    .option('--otp-url <url>', 'OTP delivery endpoint')
    .option('--webhook-url <url>', 'lifecycle webhook URL')
    .option('--bin-controller-id <id>', '4-character BIN controller id (PAR prefix)')
    .option('--jwks-file <path>', "public JWKS with the bank's enc key: card data (PAN, expiry, CVV2) in decision requests is encrypted to it")
    .option(...sandbox)
    .action(async (o: Record<string, unknown> & { cardBin: Array<{ prefix: string; length: number }>; tokenBin: Array<{ prefix: string; length: number }> }) => {
      const request: CreateIssuerRequest = {
        name: String(o.name),
        country: String(o.country),
        cardBinRanges: o.cardBin.map((r) => ({ prefix: r.prefix, panLength: r.length })),
        tokenBinRanges: o.tokenBin.map((r) => ({ prefix: r.prefix, tokenLength: r.length })),
        standInDecision: o.standIn as CreateIssuerRequest['standInDecision'],
        ...(o.decisionUrl ? { decisionUrl: String(o.decisionUrl) } : {}),
        ...(o.otpUrl ? { otpDeliveryUrl: String(o.otpUrl) } : {}),
        ...(o.webhookUrl ? { webhookUrl: String(o.webhookUrl) } : {}),
        ...(o.binControllerId ? { binControllerId: String(o.binControllerId) } : {}),
        ...(o.jwksFile ? { jwks: JSON.parse(readFileSync(String(o.jwksFile), 'utf8')) as CreateIssuerRequest['jwks'] } : {}),
      };
      await run({ sandbox: o.sandbox === true }, (admin) => admin.issuers.create(CLI_ACTOR, request));
    });
  issuers.command('list').description('list issuers (first 200)').option(...sandbox).action((o: { sandbox?: boolean }) => run(o, (admin) => admin.issuers.list({ limit: 200 })));

  const clients = program.command('clients').description('OAuth2 clients: issuers, wallets, merchants, acquirers, admins');
  clients
    .command('create')
    .description('register a client; prints it with its secret (shown once)')
    .requiredOption('--role <role>', ROLES.join(' | '), (v) => {
      if (!ROLES.includes(v as ClientRole)) throw new InvalidArgumentError(`expected one of ${ROLES.join(', ')}`);
      return v;
    })
    .requiredOption('--name <name>', 'display name')
    .option('--issuer-id <id>', 'with role issuer: the issuer it acts for')
    .option('--channels <list>', 'token requestors: allowed channels', list(CHANNELS))
    .option('--merchant-ids <list>', 'acquirers and cof merchants: merchant ids', list())
    .option('--webhook-url <url>', 'webhook URL')
    .option('--app-uri <uri>', 'token requestors: app deep link base')
    .option('--web-uri <uri>', 'token requestors: web page to add a card')
    .option('--jwks-file <path>', 'public JWKS (required with private_key_jwt)')
    .option('--auth-method <method>', 'client_secret_basic | private_key_jwt', 'client_secret_basic')
    .option('--response-encryption <alg>', 'acquirers: A256GCMKW | RSA-OAEP-256')
    .option(...sandbox)
    .action(async (o: Record<string, unknown>) => {
      const request: CreateClientRequest = {
        role: o.role as ClientRole,
        name: String(o.name),
        tokenEndpointAuthMethod: o.authMethod as CreateClientRequest['tokenEndpointAuthMethod'],
        ...(o.issuerId ? { issuerId: String(o.issuerId) } : {}),
        ...(o.channels ? { allowedChannels: o.channels as Channel[] } : {}),
        ...(o.merchantIds ? { merchantIds: o.merchantIds as string[] } : {}),
        ...(o.webhookUrl ? { webhookUrl: String(o.webhookUrl) } : {}),
        ...(o.appUri ? { appUri: String(o.appUri) } : {}),
        ...(o.webUri ? { webUri: String(o.webUri) } : {}),
        ...(o.jwksFile ? { jwks: JSON.parse(readFileSync(String(o.jwksFile), 'utf8')) as CreateClientRequest['jwks'] } : {}),
        ...(o.responseEncryption ? { responseEncryption: { alg: o.responseEncryption as 'A256GCMKW' | 'RSA-OAEP-256' } } : {}),
      };
      const vault = request.responseEncryption?.alg === 'A256GCMKW';
      await run({ sandbox: o.sandbox === true, vault }, (admin) => admin.clients.create(CLI_ACTOR, request));
    });
  clients
    .command('list')
    .description('list clients (first 200)')
    .option('--role <role>', 'only this role')
    .option(...sandbox)
    .action((o: { sandbox?: boolean; role?: ClientRole }) => run(o, (admin) => admin.clients.list({ limit: 200, ...(o.role ? { role: o.role } : {}) })));
  for (const [name, description] of [
    ['suspend', 'suspend a client: its access tokens stop working at once'],
    ['resume', 'resume a suspended client'],
  ] as const) {
    clients
      .command(`${name} <clientId>`)
      .description(description)
      .option('--comment <text>', 'note for the audit log')
      .option(...sandbox)
      .action((clientId: string, o: { sandbox?: boolean; comment?: string }) => run(o, (admin) => admin.clients[name](CLI_ACTOR, clientId, o.comment)));
  }
  clients
    .command('rotate-secret <clientId>')
    .description('issue a new secret; the previous one stays valid for --previous-ttl seconds')
    .option('--previous-ttl <seconds>', 'overlap window (0 revokes the old secret now)', (v) => Number.parseInt(v, 10), 86_400)
    .option(...sandbox)
    .action((clientId: string, o: { sandbox?: boolean; previousTtl: number }) => run(o, (admin) => admin.clients.rotateSecret(CLI_ACTOR, clientId, o.previousTtl)));
}
