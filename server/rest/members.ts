/**
 * Members and invites of the caller's workspace (SPEC §1): `GET|PATCH|DELETE
 * /crm/workspace/members[/:userId]`, `GET|POST /crm/workspace/invites`, `DELETE
 * /crm/workspace/invites/:id`, and an owner's one-time password reset link for a member. Owners
 * manage; the last owner cannot be demoted or removed; every change is audited.
 */
import type { Request } from 'express';
import { z } from 'zod';
import { Role } from '../../shared/schemas.js';
import { InviteCreate, MemberUpdate } from '../domain/accounts.js';
import { inviteMail, type MailOutcome } from '../domain/mail/mailer.js';
import type { Services } from '../domain/services.js';
import { publicOrigin } from '../http/publicUrl.js';
import type { RouteDef } from './routeTable.js';

const Member = z.object({ id: z.string(), name: z.string(), email: z.string(), role: Role });
const Invite = z.object({
  id: z.string(),
  email: z.string(),
  role: Role,
  status: z.enum(['pending', 'accepted', 'revoked', 'expired']),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string(),
  revokedAt: z.string().nullable(),
  acceptedAt: z.string().nullable(),
  acceptedBy: z.string().nullable(),
});
const Link = z.object({ token: z.string(), url: z.string().describe('The one-time link to hand over (shown once)'), expiresAt: z.string() });

const param = (req: Request, name: string) => String(req.params[name]);
/** The origin the caller reached this server at, for the links it hands out. */
const member = (m: { id: string; name: string; email: string; role: string }) => ({ id: m.id, name: m.name, email: m.email, role: m.role as Role });
const invite = ({ workspaceId: _ws, ...rest }: z.infer<typeof Invite> & { workspaceId: string }) => rest;

export function memberRoutes(services: Services): RouteDef[] {
  const { accounts } = services;
  return [
    {
      method: 'get',
      path: '/workspace/members',
      tag: 'Workspace',
      summary: 'Members of the workspace with their roles',
      response: z.object({ data: z.array(Member) }),
      handler: async (ctx) => ({ data: (await accounts.listMembers(ctx.workspaceId)).map(member) }),
    },
    {
      method: 'patch',
      path: '/workspace/members/:userId',
      tag: 'Workspace',
      summary: "Change a member's role (owners)",
      description: 'The last owner cannot be demoted (409). The change is audited and applies at once to every session and key of that member.',
      ungated: true,
      body: MemberUpdate,
      response: Member,
      statuses: { '409': 'The member is the last owner of the workspace' },
      handler: async (ctx, req) => member(await accounts.changeMemberRole(ctx, param(req, 'userId'), req.body)),
    },
    {
      method: 'delete',
      path: '/workspace/members/:userId',
      tag: 'Workspace',
      summary: 'Remove a member (owners), or leave the workspace (your own id)',
      description: 'The last owner cannot be removed (409). Their sessions and keys lose access to this workspace at once. Audited.',
      ungated: true,
      status: 204,
      statuses: { '409': 'The member is the last owner of the workspace' },
      handler: async (ctx, req) => {
        await accounts.removeMember(ctx, param(req, 'userId'));
      },
    },
    {
      method: 'post',
      path: '/workspace/members/:userId/reset-link',
      tag: 'Workspace',
      summary: 'Make a one-time password reset link for a member (owners)',
      description: 'Valid 24 hours, used once at /setup#token=…; using it ends the member’s sessions. Audited.',
      ungated: true,
      response: Link,
      status: 201,
      handler: async (ctx, req) => {
        const link = await accounts.createResetLink(ctx, param(req, 'userId'));
        return { ...link, url: `${publicOrigin(req)}/setup#token=${link.token}` };
      },
    },
    {
      method: 'get',
      path: '/workspace/invites',
      tag: 'Workspace',
      summary: 'Invites of the workspace, newest first (owners)',
      ungated: true,
      response: z.object({ data: z.array(Invite) }),
      handler: async (ctx) => ({ data: (await accounts.listInvites(ctx)).map(invite) }),
    },
    {
      method: 'post',
      path: '/workspace/invites',
      tag: 'Workspace',
      summary: 'Invite someone by email with a role (owners): returns the one-time link, valid 7 days',
      description:
        'The link (`/invite#token=…`) is shown once: copy it to the person; when the server has a mail server (KITH_SMTP_URL) it is also mailed to them (`mailed`). Accepting it — signed in as that email, or creating the account with name and password — adds the membership.',
      ungated: true,
      body: InviteCreate,
      response: Invite.extend({
        token: z.string(),
        url: z.string(),
        mailed: z.boolean().describe('Whether the link was also mailed to the person (only when the server has KITH_SMTP_URL)'),
        mailError: z.string().optional().describe('Why a configured mail server did not take it; the invite stands and the link still works'),
      }),
      status: 201,
      handler: async (ctx, req) => {
        const created = await accounts.createInvite(ctx, req.body);
        const url = `${publicOrigin(req)}/invite#token=${created.token}`;
        let mailed: MailOutcome = { mailed: false, reason: '' };
        if (services.mail.configured) {
          const inviter = ctx.userId ? (await accounts.findUser(ctx.userId)).name : 'An owner';
          mailed = await services.mail.send(inviteMail({ to: created.invite.email, inviter, workspace: ctx.workspace.name, role: created.invite.role, url, expiresAt: created.invite.expiresAt }));
        }
        return { ...invite(created.invite), token: created.token, url, mailed: mailed.mailed, ...(!mailed.mailed && services.mail.configured ? { mailError: mailed.reason } : {}) };
      },
    },
    {
      method: 'delete',
      path: '/workspace/invites/:inviteId',
      tag: 'Workspace',
      summary: 'Revoke an invite (owners); its link stops working at once',
      ungated: true,
      status: 204,
      statuses: { '409': 'The invite was accepted already' },
      handler: async (ctx, req) => {
        await accounts.revokeInvite(ctx, param(req, 'inviteId'));
      },
    },
  ];
}
