import { AccessError, TspError } from '../../src/errors';
import {
  assertAcquirerInDomain,
  assertIssuerOwnsPan,
  assertIssuerOwnsToken,
  assertRequestorOwnsToken,
  tokenTenantFilter,
  type TenantToken,
} from '../../src/domain/identity/tenancy';
import { RegistryCache } from '../../src/domain/identity/registry';
import type { Issuer } from '../../src/domain/identity/records';
import type { Principal } from '../../src/domain/principal';

/** Tenancy is enforced in the domain: the functions every token operation calls. */
const walletA: Principal = { clientId: 'cli_walletA', role: 'wallet', scopes: ['tokens:read'], trid: '40100000001' };
const walletB: Principal = { clientId: 'cli_walletB', role: 'wallet', scopes: ['tokens:read'], trid: '40100000002' };
const issuerA: Principal = { clientId: 'cli_issuerA', role: 'issuer', scopes: ['issuer:tokens'], issuerId: 'iss_A' };
const issuerB: Principal = { clientId: 'cli_issuerB', role: 'issuer', scopes: ['issuer:tokens'], issuerId: 'iss_B' };
const acquirer: Principal = { clientId: 'cli_acq', role: 'acquirer', scopes: ['detokenize'], merchantIds: ['m-1', 'm-2'] };
const admin: Principal = { clientId: 'cli_admin', role: 'admin', scopes: ['admin'] };

const tokenOfA: TenantToken = { trid: '40100000001', issuerId: 'iss_A' };
const cofTokenOfA: TenantToken = { trid: '40100000001', issuerId: 'iss_A', merchantIds: ['m-2'] };

function codeOf(fn: () => void): string {
  try {
    fn();
    return 'allowed';
  } catch (err) {
    if (err instanceof TspError) return err.code;
    throw err;
  }
}

describe('domain tenancy guards', () => {
  const cases: Array<[string, string, () => void]> = [
    ['a wallet on its own token', 'allowed', () => assertRequestorOwnsToken(walletA, tokenOfA)],
    ["wallet B on wallet A's token", 'cross_tenant_access', () => assertRequestorOwnsToken(walletB, tokenOfA)],
    ['an issuer acting as a requestor', 'forbidden', () => assertRequestorOwnsToken(issuerA, tokenOfA)],
    ['an issuer on a token of its card', 'allowed', () => assertIssuerOwnsToken(issuerA, tokenOfA)],
    ["issuer B on issuer A's token", 'cross_tenant_access', () => assertIssuerOwnsToken(issuerB, tokenOfA)],
    ['a wallet acting as an issuer', 'forbidden', () => assertIssuerOwnsToken(walletA, tokenOfA)],
    ['an acquirer for a merchant it serves', 'allowed', () => assertAcquirerInDomain(acquirer, tokenOfA, 'm-1')],
    ['an acquirer for a merchant it does not serve', 'domain_merchant_not_allowed', () => assertAcquirerInDomain(acquirer, tokenOfA, 'm-9')],
    ["an acquirer for a merchant outside the token's domain", 'domain_merchant_not_allowed', () => assertAcquirerInDomain(acquirer, cofTokenOfA, 'm-1')],
    ["an acquirer for the token domain's merchant", 'allowed', () => assertAcquirerInDomain(acquirer, cofTokenOfA, 'm-2')],
    ['an admin detokenizing', 'forbidden', () => assertAcquirerInDomain(admin, tokenOfA, 'm-1')],
  ];
  it.each(cases)('%s → %s', (_name, want, attempt) => {
    expect(codeOf(attempt)).toBe(want);
  });

  it('gives distinct codes to the distinct refusals', () => {
    const codes = new Set(cases.map(([, , attempt]) => codeOf(attempt)).filter((c) => c !== 'allowed'));
    expect([...codes].sort()).toEqual(['cross_tenant_access', 'domain_merchant_not_allowed', 'forbidden']);
  });

  it('scopes token lists to the caller: a requestor by TRID, an issuer by issuer id, nobody else', () => {
    expect(tokenTenantFilter(walletA)).toEqual({ trid: '40100000001' });
    expect(tokenTenantFilter(issuerB)).toEqual({ issuerId: 'iss_B' });
    expect(() => tokenTenantFilter(acquirer)).toThrow(AccessError);
  });

  it('lets an issuer register only cards of its own BIN ranges', () => {
    const registry = new RegistryCache();
    const issuer = (id: string, prefix: string): Issuer => ({
      issuerId: id,
      name: id,
      country: 'CN',
      status: 'active',
      cardBinRanges: [{ prefix, panLength: 16 }],
      tokenBinRanges: [],
      standInDecision: 'approve',
      binControllerId: 'T401',
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
    });
    registry.replaceAll([], [issuer('iss_A', '621234'), issuer('iss_B', '6212349')]);
    expect(codeOf(() => assertIssuerOwnsPan(issuerA, '6212341000012345', registry))).toBe('allowed');
    // Longest prefix wins: 6212349… belongs to B even though it also starts with A's 621234.
    expect(codeOf(() => assertIssuerOwnsPan(issuerA, '6212349000012345', registry))).toBe('cross_tenant_access');
    expect(codeOf(() => assertIssuerOwnsPan(issuerA, '6299990000012345', registry))).toBe('card_bin_unknown');
    expect(codeOf(() => assertIssuerOwnsPan(issuerA, '621234100001234', registry))).toBe('card_bin_unknown'); // 15 digits
  });
});
