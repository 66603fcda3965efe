/**
 * PostgreSQL for the `integration-pg` vitest project: a throwaway cluster (initdb + pg_ctl on a temp
 * dir and a free loopback port, as the `postgres` user when running as root; stopped and removed at
 * the end), and one database per test data directory, so the integration suites run unchanged
 * against PostgreSQL (SPEC §7: the same suites pass on each store).
 *
 * KITH_TEST_STORE=postgres selects it; KITH_TEST_PG_URL (set by the global setup, or by you to
 * use an existing server) is the URL of a database to connect to for creating the others.
 *
 * Migrating a new database takes a few seconds of PostgreSQL's time, and the suites start dozens of
 * in-process servers: the global setup migrates one template database per run (KITH_TEST_PG_TEMPLATE,
 * the same migrations any new database gets) and `startTestServer` starts on a copy of it. Every
 * other database (the CLI's, kith-mcp's and spawned servers' through `storeEnv`, `openTestStore`'s,
 * scale-out's processes racing to migrate one) starts empty and is migrated by the process opening it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/** Whether this test run uses PostgreSQL (the integration-pg project). */
export const onPostgres = process.env.KITH_TEST_STORE === 'postgres';

function findBinary(name: string): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), ...globVersions()]) {
    const candidate = path.join(dir, name);
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}

function globVersions(): string[] {
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) return [];
  return fs
    .readdirSync(base)
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => path.join(base, v, 'bin'));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Cluster {
  url: string;
  stop(): void;
}

/** Starts a throwaway cluster; throws (naming what to install) when PostgreSQL is missing. */
export async function startCluster(): Promise<Cluster> {
  const initdb = findBinary('initdb');
  const pgCtl = findBinary('pg_ctl');
  if (!initdb || !pgCtl) throw new Error('the integration-pg tests need PostgreSQL (initdb, pg_ctl): apt-get install -y postgresql');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kith-pg-'));
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const run = (command: string, args: string[]) => {
    const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
    const result = spawnSync(cmd, argv, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  };
  if (asRoot) execFileSync('chown', ['postgres', dir]);
  const data = path.join(dir, 'data');
  run(initdb, ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-locale', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const options = [`-p ${port}`, `-k ${dir}`, '-c listen_addresses=127.0.0.1', '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off', '-c max_connections=400'];
  run(pgCtl, ['-D', data, '-l', path.join(dir, 'log'), '-o', options.join(' '), '-w', 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        run(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function adminUrl(): string {
  const url = process.env.KITH_TEST_PG_URL;
  if (!url) throw new Error('KITH_TEST_PG_URL is not set: run the integration-pg project (its global setup starts PostgreSQL)');
  return url;
}

function databaseName(dataDir: string): string {
  return `kith_${crypto.createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 24)}`;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const CREATE_OPTIONS = `encoding 'UTF8' lc_collate 'C' lc_ctype 'C'`;

/**
 * The database of a test data directory (created on first use; the same one on a restart): empty,
 * or with `migrated` a copy of the run's migrated template (when the global setup made one).
 */
export async function testDatabaseUrl(dataDir: string, options: { migrated?: boolean } = {}): Promise<string> {
  const name = databaseName(dataDir);
  const template = options.migrated ? process.env.KITH_TEST_PG_TEMPLATE : undefined;
  await admin(async (client) => {
    const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
    // file_copy (PostgreSQL 15+): copying the files beats logging each block (measured ~0.2 s less a server)
    const copy = template ? `"${template}"${process.env.KITH_TEST_PG_FILE_COPY ? ' strategy file_copy' : ''}` : 'template0';
    if (exists.rowCount === 0) await client.query(`create database "${name}" template ${copy} ${CREATE_OPTIONS}`);
  });
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Creates the run's migrated template database (`migrate` opens and closes the store on its URL)
 * and returns its name for KITH_TEST_PG_TEMPLATE; `dropTemplate` removes it at the end.
 */
export async function createMigratedTemplate(migrate: (url: string) => Promise<void>): Promise<string> {
  const name = `kith_template_${process.pid}_${Date.now()}`;
  await admin((client) => client.query(`create database "${name}" template template0 ${CREATE_OPTIONS}`));
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  await migrate(url.toString());
  // no connection may stay open on a template while it is copied
  await admin(async (client) => {
    await client.query(`alter database "${name}" with is_template true allow_connections false`);
    const version = await client.query('show server_version_num');
    if (Number(version.rows[0].server_version_num) >= 150000) process.env.KITH_TEST_PG_FILE_COPY = '1';
  });
  return name;
}

export async function dropTemplate(name: string): Promise<void> {
  await admin(async (client) => {
    await client.query(`alter database "${name}" with is_template false`);
    await client.query(`drop database if exists "${name}" with (force)`);
  });
}

/** Drops a test data directory's database. */
export async function dropTestDatabase(dataDir: string): Promise<void> {
  await admin((client) => client.query(`drop database if exists "${databaseName(dataDir)}" with (force)`));
}

/** Environment for a child process (CLI, kith-mcp) on a test data directory: its database on PostgreSQL runs. */
export async function storeEnv(dataDir: string): Promise<Record<string, string>> {
  return onPostgres ? { KITH_DATABASE_URL: await testDatabaseUrl(dataDir) } : {};
}
