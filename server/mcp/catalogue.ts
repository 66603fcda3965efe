/**
 * The one MCP tool catalogue (SPEC §4), defined over the domain services. The hosted /mcp
 * endpoint and the stdio `kith-mcp` both serve exactly these tools (see ./server.ts).
 *
 * The tools live by area in ./tools/ — what a tool is and who may use it (tool.ts), the input
 * pieces they share (inputs.ts), then one file per area. This file only puts them in order.
 */
import { activityTools } from './tools/activities.js';
import { addonInfoTool } from './tools/addon.js';
import { auditTool } from './tools/audit.js';
import { automationTools } from './tools/automations.js';
import { mergeTools } from './tools/merge.js';
import { contextTools } from './tools/context.js';
import { importTools } from './tools/imports.js';
import { dealContactTools, dealTools } from './tools/deals.js';
import { objectTools } from './tools/objects.js';
import { pipelineTools } from './tools/pipelines.js';
import { recordTools } from './tools/records.js';
import { schemaTools } from './tools/schema.js';
import { searchTool } from './tools/search.js';
import type { ToolDef } from './tools/tool.js';
import { webhookTools } from './tools/webhooks.js';

export { visibleTools, type ToolDef } from './tools/tool.js';

let cached: ToolDef[] | null = null;

/** Every tool of SPEC §4, in a stable order. */
export function catalogue(): ToolDef[] {
  if (cached) return cached;
  const tools: ToolDef[] = [];
  tools.push(
    addonInfoTool(() => tools), // crm.addon.info lists the tools of this very catalogue
    ...recordTools(), // crm.organization.*, crm.person.*
    ...dealTools(),
    ...activityTools(),
    ...pipelineTools(), // crm.pipeline.*, crm.stage.*
    ...dealContactTools(),
    searchTool(),
    ...contextTools(),
    auditTool(),
    ...schemaTools(), // crm.schema.describe, crm.field.*
    ...objectTools(), // crm.object.*, crm.record.* (custom object types)
    ...webhookTools(),
    ...automationTools(),
    ...importTools(),
    ...mergeTools(), // crm.duplicates.list, crm.merge, crm.bulk, crm.person|organization.upsert, crm.activity.update
  );
  cached = tools;
  return tools;
}
