/**
 * Outgoing mail (SPEC §1: invites are also mailed "when SMTP is configured"). Configured by
 * `KITH_SMTP_URL` (e.g. `smtps://user:pass@smtp.example.com:465` or `smtp://relay.local:25`) and
 * `KITH_SMTP_FROM` (default `Kith <kith@HOST>`); without them nothing is mailed and links are
 * only shown to copy. Sent with nodemailer. A failed send never undoes what it announces: the
 * caller is told (`mailed: false` with the reason) and the link is still shown.
 */
import os from 'node:os';
import nodemailer, { type Transporter } from 'nodemailer';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/** What happened to a mail: sent, not configured, or the server's refusal. */
export type MailOutcome = { mailed: true } | { mailed: false; reason: string };

export interface Mailer {
  readonly configured: boolean;
  send(mail: Mail): Promise<MailOutcome>;
}

const NOT_CONFIGURED: MailOutcome = { mailed: false, reason: 'no mail server is configured (KITH_SMTP_URL)' };

export function mailerFromEnv(env: NodeJS.ProcessEnv = process.env): Mailer {
  const url = env.KITH_SMTP_URL?.trim();
  if (!url) return { configured: false, send: async () => NOT_CONFIGURED };
  const from = env.KITH_SMTP_FROM?.trim() || `Kith <kith@${os.hostname()}>`;
  let transport: Transporter | null = null;
  return {
    configured: true,
    async send(mail) {
      transport ??= nodemailer.createTransport(url, { from });
      try {
        await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text });
        return { mailed: true };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        console.error(`[mail] could not send "${mail.subject}" to ${mail.to}: ${reason}`);
        return { mailed: false, reason: `the mail server refused it: ${reason}` };
      }
    },
  };
}

/** The invite mail: who invites, to which workspace and role, the link and its expiry. */
export function inviteMail(input: { to: string; inviter: string; workspace: string; role: string; url: string; expiresAt: string }): Mail {
  const until = new Date(input.expiresAt).toUTCString();
  return {
    to: input.to,
    subject: `${input.inviter} invited you to ${input.workspace} on Kith`,
    text: [
      `${input.inviter} invited you to the workspace "${input.workspace}" on Kith as ${input.role.toLowerCase()}.`,
      '',
      `Accept the invite (sign in, or create your account with a name and password):`,
      input.url,
      '',
      `The link works once and until ${until}. If you did not expect it, ignore this mail.`,
    ].join('\n'),
  };
}
