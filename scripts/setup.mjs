// The README's two commands, with their set-up: `npm start` and `npm test` run this first, so a
// fresh clone needs nothing else. Node built-ins only (it runs before node_modules exists).
//
//   node scripts/setup.mjs start   dependencies, build, then the server + web UI
//   node scripts/setup.mjs test    dependencies, a browser for the e2e tests, PostgreSQL for the
//                                  integration-pg project, build, typecheck, lint, then every
//                                  vitest project (extra arguments go to vitest)
//
// The checks before the tests (the commands of the build, typecheck and lint scripts: bundling,
// each tsc project, eslint, prettier) are independent single-threaded programs: `test` runs them
// side by side, one per core, and prints each one's output when it ends.
//
// Dependencies: `npm ci` when node_modules is missing or was installed from another lock file
// (Electron's binary is never downloaded: ELECTRON_SKIP_BINARY_DOWNLOAD=1); never when node_modules
// is a link to another checkout's install (a git worktree's), which npm ci would empty.
// Browser: $KITH_CHROMIUM, else Debian's chromium, else a Chrome/Chromium on the PATH; when none
// is there and we are root on Debian, `apt-get install chromium`; otherwise one line saying what
// to install, and the tests do not run (never a silent skip).
// PostgreSQL (initdb and pg_ctl; the integration-pg project starts a throwaway cluster): on the
// PATH or in /usr/lib/postgresql/<version>/bin, else as root on Debian `apt-get install postgresql`,
// else one line saying what to install.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const env = { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: process.env.ELECTRON_SKIP_BINARY_DOWNLOAD ?? '1' };
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', env, ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function step(label, command, args) {
  console.log(`\n▶ ${label}`);
  const status = run(command, args);
  if (status !== 0) {
    console.error(`✖ ${label} failed (exit ${status})`);
    process.exit(status);
  }
}

/** The commands an npm script runs (`a && b && npm run c` → a, b and c's own commands). */
function scriptCommands(name) {
  const scripts = JSON.parse(fs.readFileSync('package.json', 'utf8')).scripts;
  return scripts[name].split(' && ').flatMap((command) => {
    const nested = /^npm run ([\w:-]+)$/.exec(command.trim());
    return nested ? scriptCommands(nested[1]) : [command.trim()];
  });
}

/**
 * Runs the commands of these npm scripts side by side (as many at a time as there are cores), in
 * the order given; each command's output is printed when it ends. Exits when any failed, after
 * all have ended.
 */
async function parallelSteps(label, scriptNames) {
  const queue = scriptNames.flatMap(scriptCommands);
  const lanes = Math.max(1, Math.min(queue.length, os.availableParallelism?.() ?? os.cpus().length));
  console.log(`\n▶ ${label}: ${queue.length} commands, ${lanes} at a time`);
  const binPath = path.join(root, 'node_modules', '.bin') + path.delimiter + (env.PATH ?? '');
  const failed = [];
  const runOne = (command) =>
    new Promise((resolve) => {
      const started = Date.now();
      const child = spawn(command, { shell: true, env: { ...env, PATH: binPath, FORCE_COLOR: env.FORCE_COLOR ?? (process.stdout.isTTY ? '1' : '0') } });
      const output = [];
      child.stdout.on('data', (chunk) => output.push(chunk));
      child.stderr.on('data', (chunk) => output.push(chunk));
      child.on('close', (code, signal) => {
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        const ok = code === 0;
        if (!ok) failed.push(command);
        console.log(`${ok ? '✔' : '✖'} ${command} (${seconds} s${ok ? '' : `, exit ${code ?? signal}`})`);
        const text = Buffer.concat(output).toString().trimEnd();
        if (text) console.log(text.replace(/^/gm, '  '));
        resolve();
      });
    });
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      for (let command = queue.shift(); command; command = queue.shift()) await runOne(command);
    }),
  );
  if (failed.length) {
    console.error(`✖ ${label} failed: ${failed.join('; ')}`);
    process.exit(1);
  }
}

/** npm ci unless node_modules was installed from exactly this package-lock.json. */
function ensureDependencies() {
  const lock = crypto.createHash('sha256').update(fs.readFileSync('package-lock.json')).digest('hex');
  const stamp = path.join('node_modules', '.kith-lock-sha256');
  const installed = fs.existsSync(stamp) ? fs.readFileSync(stamp, 'utf8').trim() : null;
  if (installed === lock && fs.existsSync(path.join('node_modules', '.bin'))) return;
  // a worktree sharing another checkout's install: npm ci would empty that install through the link
  if (fs.lstatSync('node_modules', { throwIfNoEntry: false })?.isSymbolicLink()) {
    console.warn(
      `node_modules links to ${fs.realpathSync('node_modules')}, installed from another package-lock.json (or not by this script): not reinstalling through the link; run npm ci there if it is stale`,
    );
    return;
  }
  step(fs.existsSync('node_modules') ? 'dependencies changed: npm ci' : 'installing dependencies: npm ci', npm, ['ci', '--no-audit', '--no-fund']);
  fs.writeFileSync(stamp, lock + '\n');
}

const which = (name) => {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
};

function findBrowser() {
  if (process.env.KITH_CHROMIUM) return fs.existsSync(process.env.KITH_CHROMIUM) ? process.env.KITH_CHROMIUM : null;
  const fixed = [
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    '/Applications/Chromium.app/Contents/MacOS/Chromium',
  ];
  return fixed.find((p) => fs.existsSync(p)) ?? ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'].map(which).find(Boolean) ?? null;
}

function ensureBrowser() {
  let browser = findBrowser();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!browser && isRoot && fs.existsSync('/etc/debian_version') && which('apt-get')) {
    step('installing Chromium for the e2e tests: apt-get install chromium', 'sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null']);
    browser = findBrowser();
  }
  if (!browser) {
    console.error('✖ the e2e tests need Chromium or Chrome: install it (Debian/Ubuntu: `sudo apt-get install chromium`) or set KITH_CHROMIUM=/path/to/chrome, then run `npm test` again.');
    process.exit(1);
  }
  env.KITH_CHROMIUM = browser;
  console.log(`browser for the e2e tests: ${browser}`);
}

function findInitdb() {
  const versions = fs.existsSync('/usr/lib/postgresql') ? fs.readdirSync('/usr/lib/postgresql').map((v) => path.join('/usr/lib/postgresql', v, 'bin', 'initdb')) : [];
  return which('initdb') ?? versions.find((p) => fs.existsSync(p)) ?? null;
}

function ensurePostgres() {
  let initdb = findInitdb();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!initdb && isRoot && fs.existsSync('/etc/debian_version') && which('apt-get')) {
    step('installing PostgreSQL for the integration-pg tests: apt-get install postgresql', 'sh', [
      '-c',
      'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null',
    ]);
    initdb = findInitdb();
  }
  if (!initdb) {
    console.error('✖ the integration-pg tests need PostgreSQL (initdb, pg_ctl): install it (Debian/Ubuntu: `sudo apt-get install postgresql`), then run `npm test` again.');
    process.exit(1);
  }
  console.log(`PostgreSQL for the integration-pg tests: ${path.dirname(initdb)}`);
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'start') {
  ensureDependencies();
  step('build', npm, ['run', 'build']);
  process.exit(run(process.execPath, ['dist/server/main.js', ...rest]));
} else if (command === 'test') {
  ensureDependencies();
  ensureBrowser();
  ensurePostgres();
  await parallelSteps('build, typecheck, lint', ['typecheck', 'lint', 'build']);
  step('tests (vitest: unit, integration, integration-pg, e2e)', 'npx', ['vitest', 'run', ...rest]);
} else {
  console.error('usage: node scripts/setup.mjs start|test [args…]');
  process.exit(2);
}
