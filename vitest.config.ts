/**
 * vitest: three projects, each runnable alone — `npm run test:unit` (no build needed),
 * `npm run test:integration` (real servers on ephemeral ports, real SQLite, real MCP clients; some
 * spawn the built `dist/server` CLI and kith-mcp) and `npm run test:e2e` (headless Chromium against
 * the built web app). `npm test` builds, typechecks, lints, then runs all three.
 *
 * `integration-pg` runs the integration suites listed in PG_SUITES against PostgreSQL (a throwaway
 * cluster its global setup starts; test/helpers/postgres.ts): the same files, the store chosen by
 * KITH_TEST_STORE. `npm test` runs it too.
 *
 * Test files run in worker processes (the forks pool), two at a time on these 2-core machines.
 * Except in unit, files share their worker (`isolate: false`): the server, playwright-core and
 * their imports load once per worker instead of once per file (3–7 s of imports per file). Each
 * file starts its own servers, browsers, clients and data dirs and stops them in afterAll, so
 * nothing else carries over (free RxDB's limit of 13 collections counts open ones only).
 */
import { defineConfig } from 'vitest/config';

const shared = {
  environment: 'node' as const,
  pool: 'forks' as const,
  env: { KITH_TEST: '1' },
};

/** The integration suites that also run against PostgreSQL (SPEC §7); grow this list. */
const PG_SUITES = [
  'rest-pipeline',
  'rest-references',
  'rest-records',
  'store-concurrency',
  'mcp-http',
  'sync-protocol',
  'saved-views',
  'custom-fields',
  'merge-bulk',
  'mcp-sessions-shared',
  'computed-migration',
  'cli',
  'mcp-stdio',
  'mcp-protocol',
  'mcp-objects',
  'sync',
  'sync-access',
  'sync-first-load',
  'sync-dropped-resync',
  'rest-access',
  'rest-gate',
  'api-keys',
  'computed-fields',
  'webhooks',
  'automations',
  'import-export',
  'auth-sessions',
].map((name) => `test/integration/${name}.test.ts`);
/** Suites that need PostgreSQL (several server processes on one database): integration-pg only. */
const PG_ONLY_SUITES = ['multi-process', 'scale-out', 'migrate-store'].map((name) => `test/integration/${name}.test.ts`);

export default defineConfig({
  test: {
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      { test: { ...shared, name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 } },
      { test: { ...shared, name: 'integration', include: ['test/integration/**/*.test.ts'], exclude: PG_ONLY_SUITES, isolate: false, testTimeout: 240_000, hookTimeout: 120_000 } },
      {
        test: {
          ...shared,
          name: 'integration-pg',
          isolate: false,
          include: [...PG_SUITES, ...PG_ONLY_SUITES],
          env: { ...shared.env, KITH_TEST_STORE: 'postgres' },
          globalSetup: ['test/helpers/postgres-setup.ts'],
          testTimeout: 240_000,
          hookTimeout: 120_000,
        },
      },
      { test: { ...shared, name: 'e2e', include: ['test/e2e/**/*.test.ts'], isolate: false, testTimeout: 240_000, hookTimeout: 120_000 } },
    ],
  },
});
