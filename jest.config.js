// @ts-check
/**
 * The test suite in four jest projects (docs/testing.md). `pnpm test` runs them all;
 * `pnpm exec jest --selectProjects unit` (or a path) runs part of it. `.ci/run` runs all four
 * in one run with one worker per core: the reliability quick forms' waits leave room for the rest.
 *
 * Every project shares the global setup (test/support/global-setup.ts): one Postgres, one
 * migrated template database that each test file's database is copied from, and the compiled
 * TSP the CLI tests spawn.
 */

/** @type {import('jest').Config} */
const common = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(\\.pnpm|otplib|@otplib|@scure|@noble|jose|openid-client|oauth4webapi)/)'],
  testPathIgnorePatterns: [
    '/node_modules/',
    // Needs the Patroni cluster (`pnpm ha:up`); run by `pnpm test:failover`.
    '<rootDir>/test/reliability/failover.test.ts',
  ],
};

/** @type {import('jest').Config} */
module.exports = {
  // A run-wide option: jest reads it from here, not from the projects.
  testTimeout: 30_000,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // Per-file wall and CPU time to $OPENTSP_TEST_TIMINGS when set (docs/testing.md, "Where the time goes").
  reporters: ['default', '<rootDir>/test/support/timing-reporter.js'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      // The packages' and services' own tests (most on a real database of their own).
      testMatch: ['<rootDir>/packages/*/test/**/*.test.ts', '<rootDir>/services/*/test/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      // SDK <-> TSP <-> issuer-sim over real HTTP; the doc walk-throughs; the first-run clone.
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'reliability-quick',
      // The quick forms of the reliability suite (docs/reliability.md); `pnpm test:reliability`
      // runs the long ones.
      testMatch: ['<rootDir>/test/reliability/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'browser',
      // The console in Chromium (playwright-core); skipped without a Chromium unless CI=true.
      testMatch: ['<rootDir>/test/console/**/*.test.ts'],
    },
  ],
};
