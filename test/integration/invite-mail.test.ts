/**
 * Invites are also mailed when the server has a mail server (SPEC §1 "Invites", KITH_SMTP_URL),
 * checked against a real SMTP server on loopback (smtp-server): the person gets a mail with the
 * same one-time link the owner sees, and the link from the mail works; a mail server that refuses
 * or is down leaves the invite standing with `mailed: false` and the reason; without one, nothing
 * is mailed and nothing is said to be.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, test } from 'vitest';
import { SMTPServer } from 'smtp-server';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface Received {
  from: string;
  to: string[];
  raw: string;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean();
  delete process.env.KITH_SMTP_URL;
  delete process.env.KITH_SMTP_FROM;
});

/** A real SMTP server on loopback that keeps what it receives, or refuses every recipient. */
async function smtpServer(options: { refuse?: boolean } = {}): Promise<{ port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      callback(options.refuse ? Object.assign(new Error(`mailbox ${address.address} unavailable`), { responseCode: 550 }) : undefined);
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      stream.on('end', () => {
        received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.server.address() as AddressInfo).port, received };
}

async function serverWithMail(url: string | null): Promise<TestServer> {
  if (url) {
    process.env.KITH_SMTP_URL = url;
    process.env.KITH_SMTP_FROM = 'Kith CRM <crm@example.com>';
  }
  const server = await startTestServer();
  cleanups.push(() => server.stop());
  return server;
}

/** The text of a mail, with quoted-printable soft line breaks and escapes undone. */
const bodyOf = (raw: string) => raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

describe('invite mail', () => {
  test('with a mail server, the person gets the same one-time link by mail, and it works', async () => {
    const smtp = await smtpServer();
    const server = await serverWithMail(`smtp://127.0.0.1:${smtp.port}`);
    const created = await server.api('POST', '/crm/workspace/invites', { email: 'dana@example.com', role: 'MEMBER' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.mailed, true);
    assert.equal(created.body.mailError, undefined);

    assert.equal(smtp.received.length, 1);
    const mail = smtp.received[0]!;
    assert.deepEqual([mail.from, mail.to], ['crm@example.com', ['dana@example.com']]);
    const body = bodyOf(mail.raw);
    assert.match(body, /Subject: .*invited you to Default workspace on Kith/);
    assert.match(body, /as member/);
    assert.ok(body.includes(created.body.url), 'the link in the mail is the one the owner sees');

    const token = new URL(created.body.url).hash.replace('#token=', '');
    const accepted = await fetch(`${server.url}/auth/invite/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.url },
      body: JSON.stringify({ token, name: 'Dana', password: 'correct horse battery' }),
    });
    assert.equal(accepted.status, 200, await accepted.text());
  });

  test('a mail server that refuses or is down leaves the invite standing, with the reason', async () => {
    const refusing = await smtpServer({ refuse: true });
    const server = await serverWithMail(`smtp://127.0.0.1:${refusing.port}`);
    const refused = await server.api('POST', '/crm/workspace/invites', { email: 'erin@example.com', role: 'VIEWER' });
    assert.equal(refused.status, 201);
    assert.equal(refused.body.mailed, false);
    assert.match(refused.body.mailError, /refused.*550/);
    assert.match(refused.body.url, /\/invite#token=kinv_/, 'the link is still shown to copy');
    const listed = (await server.api('GET', '/crm/workspace/invites')).body.data;
    assert.deepEqual(
      listed.map((i: { email: string; status: string }) => [i.email, i.status]),
      [['erin@example.com', 'pending']],
    );
  });

  test('a mail server that is down: the invite stands, mailed false with the reason', async () => {
    const gone = await smtpServer();
    const port = gone.port;
    await cleanups.pop()!(); // the SMTP server is closed before the invite
    const server = await serverWithMail(`smtp://127.0.0.1:${port}`);
    const created = await server.api('POST', '/crm/workspace/invites', { email: 'finn@example.com', role: 'MEMBER' });
    assert.equal(created.status, 201);
    assert.equal(created.body.mailed, false);
    assert.match(created.body.mailError, /ECONNREFUSED|connect/i);
  });

  test('without a mail server nothing is mailed and nothing is said to be', async () => {
    const server = await serverWithMail(null);
    const created = await server.api('POST', '/crm/workspace/invites', { email: 'gail@example.com', role: 'MEMBER' });
    assert.equal(created.status, 201);
    assert.equal(created.body.mailed, false);
    assert.equal(created.body.mailError, undefined);
  });
});
