/** Jest runs TypeScript through SWC (type checking is `tsc --noEmit`, a separate step of the test command). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }],
    // hyparquet (the Parquet reader) ships ES modules only; jest's runtime loads CommonJS.
    '/node_modules/(hyparquet|hyparquet-compressors|hyparquet-writer|hysnappy|fzstd|@seriousme/openapi-schema-validator)/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(hyparquet|hyparquet-compressors|hyparquet-writer|hysnappy|fzstd|@seriousme/openapi-schema-validator)/)'],
  // Integration tests start real Prometheus and PostgreSQL databases; give them room.
  testTimeout: 60000,
  maxWorkers: 2,
  // A worker that has grown past this after a test file is replaced: what one file's PGlite
  // instances and Prometheus payloads left behind must not count against the next file's
  // memory bounds (the ingest fuzz asserts on its own growth).
  workerIdleMemoryLimit: '1GB',
  // Tests count the PromQL requests their own queries cause: the background rollup pass (which
  // fires after each hour closes) is off unless a test turns it on.
  setupFiles: ['<rootDir>/test/setup-env.ts'],
};
