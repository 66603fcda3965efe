/**
 * Automations (SPEC §3), owners only: `GET|POST /crm/automations`, `GET|PATCH|DELETE
 * /crm/automations/:id`, `GET /crm/automations/:id/runs`, `POST /crm/automations/:id/run
 * {recordId}` (a manual run), and the step secrets: `GET /crm/automation-secrets`, `PUT|DELETE
 * /crm/automation-secrets/:name` (values are never answered). The domain service is
 * server/domain/automations/service.ts.
 */
import type { Request } from 'express';
import { z } from 'zod';
import { AutomationCreate, AutomationUpdate, STEP_TYPES } from '../domain/automations/definition.js';
import { ManualRun, RunQuery, SecretValue } from '../domain/automations/service.js';
import type { Services } from '../domain/services.js';
import type { RouteDef } from './routeTable.js';

const Json = z.json();
const Automation = z.object({
  id: z.string(),
  name: z.string(),
  active: z.boolean(),
  trigger: z.record(z.string(), Json),
  conditions: z.array(z.record(z.string(), Json)),
  steps: z.array(z.record(z.string(), Json)),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const StepResult = z.object({
  index: z.number(),
  type: z.string(),
  status: z.enum(['ok', 'failed', 'retrying']),
  result: z.record(z.string(), z.unknown()).optional().describe('What the step did: fields set, the record created, the HTTP status'),
  error: z.string().optional(),
  attempts: z.number().optional(),
  notes: z.array(z.string()).optional(),
});
const Run = z.object({
  id: z.string(),
  automationId: z.string(),
  trigger: z.enum(['event', 'schedule', 'manual']),
  eventType: z.string().nullable(),
  recordId: z.string(),
  depth: z.number().describe('1 for a change made by a person or agent; one more for each automation in between'),
  state: z.enum(['pending', 'succeeded', 'failed', 'skipped']),
  steps: z.array(StepResult),
  attempts: z.number().describe('Failed attempts of the HTTP step being retried'),
  nextAttemptAt: z.string().nullable(),
  note: z.string().nullable().describe('e.g. that the recursion limit stopped the automations this run would have triggered'),
  error: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
const Secret = z.object({ name: z.string(), createdAt: z.string(), updatedAt: z.string() });

const param = (req: Request, name: string) => String(req.params[name]);
const HELP = `Steps: ${STEP_TYPES.join(', ')}. Placeholders such as {{record.title}}, {{record.organization.name}}, {{secret.name}} are substituted as JSON values, never evaluated. Problems are answered 422 naming the value (conditions.0.op, steps.1.url). HTTP targets must be public addresses unless the server sets KITH_WEBHOOK_ALLOW_PRIVATE=1.`;

export function automationRoutes(services: Services): RouteDef[] {
  const { automations } = services;
  return [
    { method: 'get', path: '/automations', tag: 'Automations', summary: 'Automations (owners)', response: z.object({ data: z.array(Automation) }), handler: (ctx) => automations.list(ctx) },
    {
      method: 'post',
      path: '/automations',
      tag: 'Automations',
      summary: 'Add an automation: a trigger (a record event or a daily schedule), conditions, steps',
      description: HELP,
      body: AutomationCreate,
      response: Automation,
      status: 201,
      handler: (ctx, req) => automations.create(ctx, req.body),
    },
    { method: 'get', path: '/automations/:id', tag: 'Automations', summary: 'One automation', response: Automation, handler: (ctx, req) => automations.get(ctx, param(req, 'id')) },
    {
      method: 'patch',
      path: '/automations/:id',
      tag: 'Automations',
      summary: 'Change an automation (name, active, trigger, conditions, steps); checked as a whole',
      description: HELP,
      body: AutomationUpdate,
      response: Automation,
      handler: (ctx, req) => automations.update(ctx, param(req, 'id'), req.body),
    },
    {
      method: 'delete',
      path: '/automations/:id',
      tag: 'Automations',
      summary: 'Delete an automation and its runs',
      status: 204,
      handler: (ctx, req) => automations.remove(ctx, param(req, 'id')),
    },
    {
      method: 'get',
      path: '/automations/:id/runs',
      tag: 'Automations',
      summary: "The automation's runs, newest first, with each step's result",
      query: RunQuery,
      response: z.object({ data: z.array(Run) }),
      handler: (ctx, req) => automations.runs(ctx, param(req, 'id'), req.query),
    },
    {
      method: 'post',
      path: '/automations/:id/run',
      tag: 'Automations',
      summary: 'Run the automation on a record now (queued; skipped when the record does not meet the conditions)',
      body: ManualRun,
      response: Run,
      status: 202,
      handler: (ctx, req) => automations.runNow(ctx, param(req, 'id'), req.body),
    },
    {
      method: 'get',
      path: '/automation-secrets',
      tag: 'Automations',
      summary: 'Step secrets by name (values are never shown)',
      response: z.object({ data: z.array(Secret) }),
      handler: (ctx) => automations.secrets(ctx),
    },
    {
      method: 'put',
      path: '/automation-secrets/:name',
      tag: 'Automations',
      summary: 'Set a step secret, used as {{secret.<name>}}; the value is stored server-side and never shown again',
      body: SecretValue,
      response: Secret,
      handler: (ctx, req) => automations.putSecret(ctx, param(req, 'name'), req.body),
    },
    {
      method: 'delete',
      path: '/automation-secrets/:name',
      tag: 'Automations',
      summary: 'Delete a step secret',
      status: 204,
      handler: (ctx, req) => automations.removeSecret(ctx, param(req, 'name')),
    },
  ];
}
