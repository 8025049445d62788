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

  it('takes an owner URL for migrations beside the service URL, and refuses one that cannot separate the roles', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://svc:pw@db/tsp', DATABASE_OWNER_URL: 'postgres://owner:pw@db/tsp' });
    expect(config).toMatchObject({ databaseUrl: 'postgres://svc:pw@db/tsp', databaseOwnerUrl: 'postgres://owner:pw@db/tsp' });
    expect(() => loadConfig({ DATABASE_URL: 'postgres://svc@db/tsp', DATABASE_OWNER_URL: 'mysql://owner@db/tsp' })).toThrow(/DATABASE_OWNER_URL must be a postgres/);
    expect(() => loadConfig({ OPENTSP_MODE: 'sandbox', DATABASE_OWNER_URL: 'postgres://owner@db/tsp' })).toThrow(/DATABASE_URL \(the service role\) is not/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://owner:a@db/tsp', DATABASE_OWNER_URL: 'postgres://owner:b@db/tsp' })).toThrow(/different roles/);
  });

  it('takes a read replica URL with a lag bound (2 s) sampled every second, and refuses one it cannot use', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://localhost/x' })).toMatchObject({ readMaxLagMs: 2_000, readLagCheckMs: 1_000 });
    expect(loadConfig({ DATABASE_URL: 'postgres://localhost/x' }).databaseReadUrl).toBeUndefined();
    const config = loadConfig({ DATABASE_URL: 'postgres://db1/x', DATABASE_READ_URL: 'postgres://db2/x', OPENTSP_READ_MAX_LAG_MS: '500', OPENTSP_READ_LAG_CHECK_MS: '250' });
    expect(config).toMatchObject({ databaseReadUrl: 'postgres://db2/x', readMaxLagMs: 500, readLagCheckMs: 250 });
    expect(() => loadConfig({ DATABASE_URL: 'postgres://db1/x', DATABASE_READ_URL: 'http://db2/x' })).toThrow(/DATABASE_READ_URL must be a postgres/);
    expect(() => loadConfig({ OPENTSP_MODE: 'sandbox', DATABASE_READ_URL: 'postgres://db2/x' })).toThrow(/DATABASE_URL \(the leader\) is not/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://db1/x', OPENTSP_READ_LAG_CHECK_MS: '10' })).toThrow(/OPENTSP_READ_LAG_CHECK_MS/);
  });

  it('writes audit checkpoints every 5 minutes unless told otherwise (0 = on demand only)', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://localhost/x' }).audit).toEqual({ checkpointIntervalMs: 300_000, checkpointFile: undefined });
    expect(loadConfig({ DATABASE_URL: 'postgres://localhost/x', OPENTSP_AUDIT_CHECKPOINT_INTERVAL_SECONDS: '0' }).audit.checkpointIntervalMs).toBe(0);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://localhost/x', OPENTSP_AUDIT_CHECKPOINT_INTERVAL_SECONDS: '-1' })).toThrow(/OPENTSP_AUDIT_CHECKPOINT_INTERVAL_SECONDS/);
  });
});
