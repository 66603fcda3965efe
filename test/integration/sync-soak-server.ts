/**
 * The Kith server as its own process for the randomized fault test (sync-soak): started from
 * the source on a fixed data dir and port, killed with SIGKILL and started again on the same
 * ones. Env: KITH_DATA_DIR, KITH_PORT, KITH_HOST (127.0.0.1), KITH_UI_DIR (optional, e.g. the
 * browser harness). Prints `owner key <key>` on the first start and `listening <url>` once up.
 */
import { startServer } from '../../server/server.js';

const server = await startServer({
  dataDir: process.env.KITH_DATA_DIR!,
  host: process.env.KITH_HOST ?? '127.0.0.1',
  port: Number(process.env.KITH_PORT),
  uiDir: process.env.KITH_UI_DIR || null,
  log: null,
  onFirstStart: ({ key }) => process.stdout.write(`owner key ${key}\n`),
});
process.stdout.write(`listening ${server.url}\n`);
process.on('SIGTERM', () => {
  void server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
