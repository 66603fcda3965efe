/**
 * `kith` — the admin command line: workspaces, users, memberships and API keys, working directly
 * on the data directory (KITH_DATA_DIR or --data-dir), with or without a server running.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { backupJson, restoreBackup } from './domain/backup.js';
import { DomainError } from './domain/errors.js';
import { openServices, type Services } from './domain/services.js';
import { migrateStore, MigrateStoreError, type MigrateProgress } from './store/migrateStore.js';
import { redactUrl } from './store/pg/database.js';

const HELP = `kith — Kith admin command line

Usage: kith <command> [options]        (data: --data-dir DIR or KITH_DATA_DIR, default ./data)

  init [--email E] [--name N]                       first-start setup on an empty data dir (prints the owner key)
  workspace list
  workspace create <slug> [--name N] [--currency EUR] [--owner EMAIL]
  workspace feature <slug> <feature> on|off         e.g. crm.core
  user list
  user create <email> [--name N] [--admin]
  user password <email>                             set or reset a password: typed twice at a terminal, or the
                                                    first line of standard input (ends the user's sessions)
  member list <workspace>
  member add <workspace> <email> <OWNER|MEMBER|VIEWER>   (also changes a role)
  member remove <workspace> <email>
  key list [--user EMAIL]
  key create <email> [--workspace SLUG] [--read-only] [--expires ISO-DATE] [--name N]
  key revoke <key-id | key-prefix | raw key>
  backup <workspace> [--out FILE]                   the whole workspace as one JSON document (stdout unless --out)
  restore <file> --workspace <new-slug> [--name N] [--owner EMAIL]   into a new workspace (creates the data dir if needed)
  migrate-store --from <data dir> --to <postgres url>   copy a SQLite data dir (stop its server first) into an empty
                                                    PostgreSQL database: ids, versions, change sequence, audit, keys
                                                    kept (--from defaults to the data dir, --to to KITH_DATABASE_URL)

Options: --json prints machine-readable output.  The raw key of "key create" is shown once.`;

type Out = (value: unknown, human: () => string) => void;

function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((r) => columns.map((c) => (r[c] == null ? '' : String(r[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

async function workspaceId(services: Services, slug: string | undefined): Promise<string> {
  if (!slug) throw new DomainError('usage', 'name a workspace (slug or id)');
  const ws = await services.accounts.findWorkspace(slug);
  if (!ws) throw new DomainError('not_found', `workspace '${slug}' not found`);
  return ws.id;
}

async function run(services: Services, args: string[], flags: Record<string, string | boolean | undefined>, out: Out): Promise<void> {
  const { accounts } = services;
  const [group, action, ...rest] = args;
  const str = (name: string) => (typeof flags[name] === 'string' ? (flags[name] as string) : undefined);
  switch (group === 'backup' || group === 'restore' ? group : `${group} ${action ?? ''}`.trim()) {
    case 'init': {
      const result = await accounts.bootstrap({ email: str('email'), name: str('name') });
      if (!result) throw new DomainError('conflict', 'this data directory is already set up');
      return out(
        { key: result.key, email: result.user.email, workspace: result.workspace.slug, setupPath: `/setup#token=${result.setupToken}` },
        () =>
          `Owner key (shown once): ${result.key}\nowner: ${result.user.email}  workspace: ${result.workspace.slug}\n` +
          `Set the owner's name and password (one-time, 24 h): http://HOST:PORT/setup#token=${result.setupToken}`,
      );
    }
    case 'workspace list': {
      const list = await accounts.listWorkspaces();
      return out(list, () =>
        table(
          list.map((w) => ({
            ...w,
            features: Object.entries(w.features)
              .map(([k, v]) => `${k}:${v ? 'on' : 'off'}`)
              .join(','),
          })),
          ['slug', 'name', 'defaultCurrency', 'features', 'id'],
        ),
      );
    }
    case 'workspace create': {
      const owner = str('owner') ? await accounts.findUser(str('owner')!) : null;
      const ws = await accounts.createWorkspace({ slug: rest[0], name: str('name') ?? rest[0], ...(str('currency') ? { defaultCurrency: str('currency') } : {}) }, owner?.id);
      return out(ws, () => `Created workspace ${ws.slug} (${ws.id})${owner ? ` owned by ${owner.email}` : ''}`);
    }
    case 'workspace feature': {
      const [slug, feature, state] = rest;
      if (!feature || !['on', 'off'].includes(state ?? '')) throw new DomainError('usage', 'kith workspace feature <slug> <feature> on|off');
      const ctx = await accounts.ownerContext(slug, 'cli');
      const ws = await accounts.updateWorkspace(ctx, { features: { [feature]: state === 'on' } });
      return out(ws, () => `${ws.slug}: ${feature} ${state}`);
    }
    case 'user list': {
      const users = await accounts.listUsers();
      return out(users, () => table(users as unknown as Record<string, unknown>[], ['email', 'name', 'platformRole', 'id']));
    }
    case 'user create': {
      const user = await accounts.createUser({ email: rest[0], name: str('name') ?? rest[0]?.split('@')[0] ?? '', ...(flags.admin ? { platformRole: 'ADMIN' } : {}) });
      return out(user, () => `Created user ${user.email} (${user.id})`);
    }
    case 'user password': {
      const user = await accounts.findUser(rest[0] ?? '');
      const password = await readPassword(`New password for ${user.email}: `);
      await accounts.setPassword(user.id, password, { userId: null, source: 'cli' });
      return out({ email: user.email, passwordSet: true }, () => `Password set for ${user.email}; their sessions were ended.`);
    }
    case 'member list': {
      const members = await accounts.listMembers(await workspaceId(services, rest[0]));
      return out(members, () => table(members as unknown as Record<string, unknown>[], ['email', 'name', 'role', 'id']));
    }
    case 'member add': {
      const [slug, email, role] = rest;
      const wsId = await workspaceId(services, slug);
      const user = await accounts.findUser(email ?? '');
      await accounts.setMembership(wsId, user.id, (role ?? '').toUpperCase());
      return out({ workspace: slug, email: user.email, role: role?.toUpperCase() }, () => `${user.email} is ${role?.toUpperCase()} of ${slug}`);
    }
    case 'member remove': {
      const [slug, email] = rest;
      const user = await accounts.findUser(email ?? '');
      await accounts.removeMembership(await workspaceId(services, slug), user.id);
      return out({ removed: true }, () => `${user.email} removed from ${slug}`);
    }
    case 'key list': {
      const user = str('user') ? await accounts.findUser(str('user')!) : null;
      const keys = await accounts.listApiKeys(user?.id);
      const users = new Map((await accounts.listUsers()).map((u) => [u.id, u.email]));
      return out(keys, () =>
        table(
          keys.map((k) => ({
            ...k,
            user: users.get(k.userId),
            scope: k.readOnly ? 'read-only' : 'read-write',
            status: k.revokedAt ? 'revoked' : k.expiresAt && Date.parse(k.expiresAt) < Date.now() ? 'expired' : 'active',
          })),
          ['id', 'prefix', 'name', 'user', 'scope', 'workspaceId', 'expiresAt', 'lastUsedAt', 'status'],
        ),
      );
    }
    case 'key create': {
      const user = await accounts.findUser(rest[0] ?? '');
      const { key, info } = await accounts.createApiKey(
        {
          userId: user.id,
          ...(str('name') ? { name: str('name') } : {}),
          ...(str('workspace') ? { workspaceId: str('workspace') } : {}),
          ...(flags['read-only'] ? { readOnly: true } : {}),
          ...(str('expires') ? { expiresAt: new Date(str('expires')!).toISOString() } : {}),
        },
        { userId: null, source: 'cli' },
      );
      return out(
        { key, ...info },
        () =>
          `API key for ${user.email} (shown once — keep it):\n\n    ${key}\n\nid ${info.id}${info.readOnly ? ', read-only' : ''}${info.workspaceId ? `, workspace ${str('workspace')}` : ''}${info.expiresAt ? `, expires ${info.expiresAt}` : ''}`,
      );
    }
    case 'key revoke': {
      if (!rest[0]) throw new DomainError('usage', 'kith key revoke <key-id | key-prefix | raw key>');
      const info = await accounts.revokeApiKey(rest[0], { userId: null, source: 'cli' });
      return out(info, () => `Revoked key ${info.prefix}… (${info.id}) at ${info.revokedAt}`);
    }
    case 'backup': {
      const slug = action;
      const ctx = await services.accounts.ownerContext(slug ?? '', 'cli');
      const target: NodeJS.WritableStream = str('out') ? fs.createWriteStream(str('out')!) : process.stdout;
      for await (const chunk of backupJson(services.store, ctx)) if (!target.write(chunk)) await new Promise<void>((resolve) => target.once('drain', () => resolve()));
      if (target !== process.stdout) await new Promise<void>((resolve, reject) => (target as fs.WriteStream).end((error?: Error | null) => (error ? reject(error) : resolve())));
      else process.stdout.write('\n');
      return;
    }
    case 'restore': {
      const file = action;
      if (!file || !str('workspace')) throw new DomainError('usage', 'kith restore <file> --workspace <new-slug> [--name N] [--owner EMAIL]');
      const owner = str('owner') ? await accounts.findUser(str('owner')!) : null;
      const document: unknown = JSON.parse(await fs.promises.readFile(file, 'utf8'));
      const { workspace, restored } = await restoreBackup(services.store, document, { slug: str('workspace'), ...(str('name') ? { name: str('name') } : {}) }, owner?.id ?? null);
      return out(
        { workspace, restored },
        () =>
          `Restored into workspace ${workspace.slug} (${workspace.id}): ${Object.entries(restored)
            .map(([t, n]) => `${t} ${n}`)
            .join(', ')}`,
      );
    }
    default:
      throw new DomainError('usage', group ? `unknown command '${args.join(' ')}'\n\n${HELP}` : HELP);
  }
}

/** A password typed twice at a terminal (not echoed), or the first line of standard input. */
async function readPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    let text = '';
    for await (const chunk of process.stdin) text += chunk;
    const line = text.split(/\r?\n/)[0] ?? '';
    if (!line) throw new DomainError('usage', 'no password on standard input (pipe it, or run at a terminal to type it)');
    return line;
  }
  const ask = (question: string) =>
    new Promise<string>((resolve) => {
      process.stderr.write(question);
      const stdin = process.stdin;
      stdin.setRawMode(true);
      stdin.resume();
      let typed = '';
      const onData = (data: Buffer) => {
        for (const ch of data.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.setRawMode(false);
            stdin.pause();
            stdin.off('data', onData);
            process.stderr.write('\n');
            return resolve(typed);
          }
          if (ch === '\u0003') process.exit(130);
          typed = ch === '\u007f' ? typed.slice(0, -1) : typed + ch;
        }
      };
      stdin.on('data', onData);
    });
  const first = await ask(prompt);
  if ((await ask('Again: ')) !== first) throw new DomainError('usage', 'the two passwords differ');
  return first;
}

/** `kith migrate-store`: progress on stderr (a line per table, and every second on long ones), the summary on stdout. */
async function migrateStoreCommand(from: string, to: string | undefined, json: boolean): Promise<number> {
  if (!to || !/^postgres(ql)?:\/\//.test(to)) {
    process.stderr.write(`kith: migrate-store needs --to <postgres://user:password@host:5432/db> (or KITH_DATABASE_URL)${to ? `; got '${URL.canParse(to) ? redactUrl(to) : to}'` : ''}\n`);
    return 2;
  }
  const count = (n: number) => n.toLocaleString('en-US');
  let lastLine = 0;
  const progress = ({ table, copied, total }: MigrateProgress) => {
    const done = copied === total;
    if ((copied === 0 && total > 0) || (!done && Date.now() - lastLine < 1000)) return;
    lastLine = Date.now();
    process.stderr.write(`  ${table.padEnd(20)} ${count(copied).padStart(9)} / ${count(total)} rows${done ? '' : ' …'}\n`);
  };
  try {
    process.stderr.write(`kith: migrate-store from ${from} to ${redactUrl(to)}\n`);
    const result = await migrateStore(from, to, progress);
    const rate = result.copySeconds > 0 ? Math.round(result.rows / result.copySeconds) : result.rows;
    const summary =
      `Copied ${count(result.rows)} rows of ${result.tables.length} tables from ${result.from} to ${result.to} in ${result.seconds.toFixed(1)} s ` +
      `(the copy ${result.copySeconds.toFixed(1)} s, ${count(rate)} rows/s); change sequence ${count(result.changeSequence)}.`;
    process.stdout.write((json ? JSON.stringify(result, null, 2) : summary) + '\n');
    return 0;
  } catch (error) {
    if (!(error instanceof MigrateStoreError)) throw error;
    process.stderr.write(`kith: migrate-store: ${error.message}\n`);
    return 1;
  }
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: {
        'data-dir': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        name: { type: 'string' },
        email: { type: 'string' },
        currency: { type: 'string' },
        owner: { type: 'string' },
        admin: { type: 'boolean' },
        user: { type: 'string' },
        workspace: { type: 'string' },
        'read-only': { type: 'boolean' },
        expires: { type: 'string' },
        out: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
      },
    });
  } catch (error) {
    process.stderr.write(`kith: ${(error as Error).message}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    process.stdout.write(HELP + '\n');
    return positionals.length === 0 && !values.help ? 2 : 0;
  }
  const dataDir = path.resolve(values['data-dir'] ?? process.env.KITH_DATA_DIR ?? 'data');
  if (positionals[0] === 'migrate-store') return migrateStoreCommand(values.from ? path.resolve(values.from) : dataDir, values.to ?? process.env.KITH_DATABASE_URL, values.json === true);
  const services = await openServices(dataDir, { create: positionals[0] === 'init' || positionals[0] === 'restore' });
  try {
    const out: Out = (value, human) => process.stdout.write((values.json ? JSON.stringify(value, null, 2) : human()) + '\n');
    await run(services, positionals, values, out);
    return 0;
  } catch (error) {
    if (error instanceof DomainError) {
      const fields = error.errors.length ? error.errors.map((e) => `${e.path}: ${e.message}`).join('; ') : error.message;
      process.stderr.write(`kith: ${fields}\n`);
      return error.code === 'usage' ? 2 : 1; // 2: the command was used the wrong way
    }
    throw error;
  } finally {
    await services.store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`kith: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
