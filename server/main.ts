/**
 * `npm start`: the Kith server with the web UI, on KITH_HOST:KITH_PORT (127.0.0.1:4317), data in
 * KITH_DATA_DIR (./data). Prints the owner key once, on first start.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const uiDir = [path.resolve(here, '../web'), path.resolve(here, '../../dist/web')].find((d) => fs.existsSync(path.join(d, 'index.html'))) ?? null;
const dataDir = path.resolve(process.env.KITH_DATA_DIR ?? 'data');

const server = await startServer({
  dataDir,
  host: process.env.KITH_HOST ?? '127.0.0.1',
  port: Number(process.env.KITH_PORT ?? 4317),
  uiDir,
  log: (line) => process.stdout.write(line + '\n'),
  onFirstStart: ({ key, email, workspace, setupUrl }) => {
    process.stdout.write(
      [
        '',
        '  Kith is set up. This owner API key is shown only once — keep it:',
        '',
        `      ${key}`,
        '',
        `  owner: ${email}   workspace: ${workspace}`,
        '',
        "  Set the owner's name and password (one-time link, valid 24 h):",
        '',
        `      ${setupUrl}`,
        '',
      ].join('\n') + '\n',
    );
  },
}).catch((error: Error) => {
  // a bad setting or a busy port is said in one line; anything else keeps its stack
  const known = error.message.startsWith('KITH_') || error.message.includes('already in use');
  process.stderr.write(`Kith could not start: ${known ? error.message : (error.stack ?? error.message)}\n`);
  process.exit(1);
});

process.stdout.write(`Kith listening on ${server.url}  (data: ${dataDir}${uiDir ? '' : ', web UI not built'})\n`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: shutting down…\n`);
    server.close().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
