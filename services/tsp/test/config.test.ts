import { ConfigError, loadConfig } from '../src/config';

describe('configuration', () => {
  it('refuses production mode without DATABASE_URL, naming the fix', () => {
    expect(() => loadConfig({})).toThrow(ConfigError);
    expect(() => loadConfig({})).toThrow(/DATABASE_URL is required.*--sandbox/);
  });

  it('allows sandbox mode without DATABASE_URL (embedded Postgres)', () => {
    const config = loadConfig({ OPENTSP_MODE: 'sandbox' });
    expect(config.mode).toBe('sandbox');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.port).toBe(8080);
  });

  it.each([
    [{ OPENTSP_MODE: 'sandbox', PORT: 'eighty' }, /PORT must be an integer/],
    [{ OPENTSP_MODE: 'sandbox', PORT: '70000' }, /PORT must be an integer/],
    [{ OPENTSP_MODE: 'staging' }, /OPENTSP_MODE must be/],
    [{ DATABASE_URL: 'mysql://x' }, /postgres:\/\//],
    [{ OPENTSP_MODE: 'sandbox', OPENTSP_TSP_CODE: '12' }, /3 digits/],
    [{ OPENTSP_MODE: 'sandbox', OPENTSP_VALIDATE_RESPONSES: 'maybe' }, /true or false/],
  ])('rejects %p with a clear message', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('is frozen', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://localhost/x' });
    expect(Object.isFrozen(config)).toBe(true);
  });
});
