/**
 * crm.automation.list|create|update|delete|run (SPEC §4): the workspace's automations, for owners.
 * The domain service is server/domain/automations/service.ts; step secrets are set over REST
 * (PUT /crm/automation-secrets/:name) so their values never pass through a model's context.
 */
import { z } from 'zod';
import { Id } from '../../../shared/schemas.js';
import { RecordOut, page } from '../shapes.js';
import { READ, type ToolDef } from './tool.js';

const OWNER = { writeRole: 'OWNER' as const };
const Obj = z.record(z.string(), z.unknown());
/** The listed input stays small; the service checks each part in depth and names the value at fault. */
const Definition = {
  name: z.string(),
  active: z.boolean().optional(),
  trigger: Obj.describe('{"event":"deal.won"} or {"schedule":"daily","at":"08:00","entity":"deal"}'),
  conditions: z.array(Obj).optional().describe('[{"field":"status","op":"eq","value":"open"}, {"changed":["stageId"]}]'),
  steps: z.array(Obj).describe('set_field, add_label, remove_label, create_activity, move_stage, create_record, send_webhook, http_request'),
};

export function automationTools(): ToolDef[] {
  return [
    {
      name: 'crm.automation.list',
      title: 'Automations',
      description: "Automations of the workspace (owners): trigger, conditions, steps. With id: that one and its last runs with each step's result.",
      input: z.strictObject({ id: Id.optional() }),
      output: page(RecordOut).extend({ runs: z.array(z.looseObject({})).optional() }),
      ...READ,
      readRole: 'OWNER',
      run: async ({ automations }, ctx, { id }) =>
        id ? { data: [await automations.get(ctx, id)], nextCursor: null, runs: (await automations.runs(ctx, id, { limit: 10 })).data } : { ...(await automations.list(ctx)), nextCursor: null },
    },
    {
      name: 'crm.automation.create',
      title: 'Add automation',
      description:
        'Run steps on a record event ({"event":"deal.won"}) or daily ({"schedule":"daily","at":"08:00","entity":"deal"}) for records meeting conditions ([{"field":"lastActivityAt","op":"lt","value":"now-14d"}]). Steps: set_field{field,value}, add_label{label}, create_activity{activity:{type,subject,dueInDays}}, move_stage{stage}, http_request{url,body,saveResponse:{path,field}}, …; strings take {{record.title}}.',
      input: z.strictObject(Definition),
      output: RecordOut,
      ...OWNER,
      run: async ({ automations }, ctx, args) => ({ ...(await automations.create(ctx, args)) }),
    },
    {
      name: 'crm.automation.update',
      title: 'Change automation',
      description: 'Change an automation by id (a UUID): name, active (false pauses it), trigger, conditions or steps; checked as a whole.',
      input: z.strictObject({ id: Id, ...z.object(Definition).partial().shape }),
      output: RecordOut,
      ...OWNER,
      destructive: true,
      idempotent: true,
      run: async ({ automations }, ctx, { id, ...patch }) => ({ ...(await automations.update(ctx, id, patch)) }),
    },
    {
      name: 'crm.automation.delete',
      title: 'Delete automation',
      description: 'Delete an automation by id (a UUID) with its runs, pending ones included; to pause it, update active: false.',
      input: z.strictObject({ id: Id }),
      output: z.looseObject({ deleted: z.string() }),
      ...OWNER,
      destructive: true,
      idempotent: true,
      run: async ({ automations }, ctx, { id }) => (await automations.remove(ctx, id), { deleted: id }),
    },
    {
      name: 'crm.automation.run',
      title: 'Run automation',
      description: "Try an automation now on one record (recordId, of its trigger's entity): answers the queued run, or skipped when conditions fail.",
      input: z.strictObject({ id: Id, recordId: Id }),
      output: RecordOut,
      ...OWNER,
      destructive: true,
      idempotent: false,
      run: async ({ automations }, ctx, { id, recordId }) => ({ ...(await automations.runNow(ctx, id, { recordId })) }),
    },
  ];
}
