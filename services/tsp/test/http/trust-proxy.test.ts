import { ConfigError, loadConfig } from '../../src/config';

const base = { OPENTSP_MODE: 'sandbox' };

describe('OPENTSP_TRUST_PROXY (which proxies name the caller for the token endpoint limits)', () => {
  it('trusts no proxy by default: X-Forwarded-For is ignored', () => {
    expect(loadConfig(base).trustProxy).toBe(false);
    expect(loadConfig({ ...base, OPENTSP_TRUST_PROXY: '0' }).trustProxy).toBe(false);
  });

  it('accepts a hop count or proxy addresses and CIDR blocks', () => {
    expect(loadConfig({ ...base, OPENTSP_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ ...base, OPENTSP_TRUST_PROXY: '10.0.0.0/8, 192.0.2.10, fd00::/8, loopback' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.0.2.10',
      'fd00::/8',
      'loopback',
    ]);
  });

  it.each(['true', '11', '10.0.0.0/33', 'proxy.internal', '-1'])('refuses %p at start-up with a clear message', (value) => {
    expect(() => loadConfig({ ...base, OPENTSP_TRUST_PROXY: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, OPENTSP_TRUST_PROXY: value })).toThrow(/OPENTSP_TRUST_PROXY must be/);
  });
});
