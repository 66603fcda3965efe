/**
 * vitest global setup of the integration-pg project: a throwaway PostgreSQL cluster for the run
 * (unless KITH_TEST_PG_URL names a server to use), stopped and removed at the end; and the run's
 * migrated template database (KITH_TEST_PG_TEMPLATE, see postgres.ts), dropped at the end.
 */
import { openStore } from '../../server/store/store.js';
import { createMigratedTemplate, dropTemplate, startCluster } from './postgres.js';

export default async function setup(): Promise<() => Promise<void>> {
  const cluster = process.env.KITH_TEST_PG_URL ? null : await startCluster();
  if (cluster) process.env.KITH_TEST_PG_URL = cluster.url;
  const template = await createMigratedTemplate(async (databaseUrl) => {
    const store = await openStore('', { databaseUrl });
    await store.close();
  });
  process.env.KITH_TEST_PG_TEMPLATE = template;
  return async () => {
    if (cluster) cluster.stop();
    else await dropTemplate(template);
  };
}
