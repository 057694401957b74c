/** Jest runs TypeScript through SWC (type checking is `tsc --noEmit`, a separate step of the test command). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  // Integration tests start real Prometheus and PostgreSQL databases; give them room.
  testTimeout: 60000,
  maxWorkers: 2,
  // Tests count the PromQL requests their own queries cause: the background rollup pass (which
  // fires after each hour closes) is off unless a test turns it on.
  setupFiles: ['<rootDir>/test/setup-env.ts'],
};
