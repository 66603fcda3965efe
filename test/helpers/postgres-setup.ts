/**
 * vitest global setup of the integration-pg project: a throwaway PostgreSQL cluster for the run
 * (unless KITH_TEST_PG_URL names a server to use), stopped and removed at the end.
 */
import { startCluster } from './postgres.js';

export default async function setup(): Promise<() => void> {
  if (process.env.KITH_TEST_PG_URL) return () => {};
  const cluster = await startCluster();
  process.env.KITH_TEST_PG_URL = cluster.url;
  return () => cluster.stop();
}
