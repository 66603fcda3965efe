/**
 * Builds an SDK `McpServer` serving the tool catalogue for one caller. The hosted /mcp endpoint
 * makes one per session; the direct-mode stdio process makes one for its lifetime.
 *
 * Every tool is registered with `registerTool`. The tools/list answer is filtered by the
 * caller's context as it is *now* (crm.core enabled? may this role/key write?), so a role or
 * feature change applies to the next listing, and clients are told with list_changed. Calls to
 * tools the caller may not use still reach the tool, whose domain check answers with a precise
 * isError result ("your role VIEWER cannot …") rather than "unknown tool".
 */
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { normalizeObjectSchema } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import { toJsonSchemaCompat } from '@modelcontextprotocol/sdk/server/zod-json-schema-compat.js';
import { ListToolsRequestSchema, type CallToolResult, type Tool, type ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { featureEnabled, type Ctx } from '../domain/context.js';
import { DomainError, parseInput, type ErrorCode } from '../domain/errors.js';
import type { Services } from '../domain/services.js';
import { catalogue, visibleTools, type ToolDef } from './catalogue.js';
import { IF_VERSION_NOTE } from './tools/inputs.js';

export const SERVER_INFO = { name: 'kith', title: 'Kith CRM', version: '0.1.0' };

const INSTRUCTIONS =
  'Kith is a CRM: organizations, people, deals in pipeline stages, activities (notes, calls, emails, meetings, follow-ups). ' +
  'Call crm.addon.info to learn your workspace, role and tools. Find records with crm.search or the crm.*.list tools, read one ' +
  'thing with everything around it with crm.context.*, and write with the create/update tools. Stages, people and organizations ' +
  'may be named by exact name where a tool has a name field. Ids are UUIDs.';

/**
 * The hints a client acts on. For a read tool, destructiveHint and idempotentHint are left out:
 * the MCP spec gives them meaning only when readOnlyHint is false. For a write tool, a hint equal
 * to the spec's default (destructiveHint true, idempotentHint false) is left out too: it says the
 * same, in about 22 characters less per tool of the catalogue's budget (docs/mcp.md).
 */
function annotationsOf(tool: ToolDef): ToolAnnotations {
  if (tool.writeRole === null) return { readOnlyHint: true, openWorldHint: false };
  return {
    readOnlyHint: false,
    ...((tool.destructive ?? true) ? {} : { destructiveHint: false }),
    ...((tool.idempotent ?? false) ? { idempotentHint: true } : {}),
    openWorldHint: false,
  };
}

const definitions = new Map<string, Tool>();

/**
 * The field descriptions a schema keeps: what neither the schema nor the tool's description says.
 * The others (from the shared entity schemas, written for REST) repeat the schema ("Record id
 * (UUID, usually v7)"), a field's name ("Full name") or the tool's description ("Defaults to the
 * first stage of the pipeline").
 */
const KEPT_DESCRIPTIONS = new Set([IF_VERSION_NOTE, 'Date as YYYY-MM-DD']);

/**
 * Trims a generated JSON Schema for a model's context. What a call may send is checked by the tool's
 * own schema (server-side, with errors naming the field), so the listing may be looser than the check:
 * `format` already says email or date-time, so the long regex `pattern` beside it goes, and
 * `format: uuid` too (the tool's description says ids are UUIDs);
 * so do the `$schema` line, `propertyNames: {type: string}` and `additionalProperties: {}` (JSON
 * keys are strings, and any extra property is the default), empty `properties`/`items`, field
 * descriptions other than KEPT_DESCRIPTIONS, length/count/precision limits and far-off numeric bounds. A nullable `{anyOf: [X, {type: 'null'}]}` becomes X with `type: [t, 'null']`.
 */
export function slimSchema<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(slimSchema) as T;
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  const record = schema as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (key === '$schema') continue;
    if (key === 'pattern' && typeof record.format === 'string') continue;
    // ids: the descriptions say "Ids are UUIDs" once a tool rather than 16 characters an id field (77 of them)
    if (key === 'format' && value === 'uuid') continue;
    if (key === 'description' && typeof value === 'string' && !KEPT_DESCRIPTIONS.has(value)) continue;
    if (key === 'propertyNames' && isBare(value, 'string')) continue;
    // {} allows anything: as additionalProperties or items it is the default, as properties it names none
    if ((key === 'additionalProperties' || key === 'items' || key === 'properties') && value && typeof value === 'object' && Object.keys(value).length === 0) continue;
    // length, count and precision limits: the domain enforces them and its error names the field and the limit,
    // so they cost every listing context without changing what a model sends (a title is not 300 characters)
    if (key === 'minLength' || key === 'maxLength' || key === 'maxItems' || key === 'multipleOf') continue;
    // bounds no real value nears (z.number().int()'s safe-integer range, an amount's 99,999,999,999)
    if ((key === 'minimum' || key === 'maximum') && typeof value === 'number' && Math.abs(value) >= 1e9) continue;
    out[key] = slimSchema(value);
  }
  const anyOf = out.anyOf;
  if (Array.isArray(anyOf) && out.type === undefined) {
    // {anyOf: [{type: 'string'}, {type: 'null'}]} → {type: ['string', 'null']}
    if (anyOf.every((b) => b && typeof b === 'object' && Object.keys(b).length === 1 && typeof (b as { type?: unknown }).type === 'string')) {
      delete out.anyOf;
      out.type = anyOf.map((b) => (b as { type: string }).type);
    } else if (anyOf.length === 2 && isBare(anyOf[1], 'null') && typeof (anyOf[0] as { type?: unknown })?.type === 'string') {
      // {anyOf: [{type: 'string', format: 'uuid'}, {type: 'null'}]} → {type: ['string', 'null'], format: 'uuid'}
      const { type, enum: values, ...rest } = anyOf[0] as { type: string; enum?: unknown[] };
      delete out.anyOf;
      Object.assign(out, { ...rest, ...out, type: [type, 'null'], ...(values ? { enum: [...values, null] } : {}) });
    }
  }
  return out as T;
}

const isBare = (value: unknown, type: string) => !!value && typeof value === 'object' && Object.keys(value).length === 1 && (value as { type?: unknown }).type === type;

const outputJson = (schema: z.ZodType) =>
  slimSchema(toJsonSchemaCompat(normalizeObjectSchema(schema as z.ZodObject)!, { strictUnions: true, pipeStrategy: 'output' })) as { properties: Record<string, unknown> };

const withoutClosed = ({ additionalProperties, ...schema }: Tool['inputSchema'] & { additionalProperties?: unknown }) =>
  additionalProperties === false ? schema : { ...schema, additionalProperties };

/**
 * A tool that only adds (a create) lists its nullable fields without null: leaving one out says
 * the same, in 9 fewer characters a field. Null is still accepted.
 */
function withoutNull(properties: Record<string, object> | undefined): Record<string, object> | undefined {
  if (!properties) return properties;
  const out: Record<string, object> = {};
  for (const [key, schema] of Object.entries(properties)) {
    const type = (schema as { type?: unknown }).type;
    if (!(Array.isArray(type) && type.length === 2 && type[1] === 'null')) {
      out[key] = schema;
      continue;
    }
    const values = (schema as { enum?: unknown[] }).enum;
    out[key] = { ...schema, type: type[0], ...(values ? { enum: values.filter((v) => v !== null) } : {}) };
  }
  return out;
}

/** The tools/list entry of a tool (JSON Schemas converted once per process). */
function definitionOf(tool: ToolDef): Tool {
  let def = definitions.get(tool.name);
  if (!def) {
    const inputSchema = slimSchema(toJsonSchemaCompat(normalizeObjectSchema(tool.input)!, { strictUnions: true, pipeStrategy: 'input' })) as Tool['inputSchema'];
    def = {
      name: tool.name,
      description: tool.description,
      // a tool without parameters still lists none; `additionalProperties: false` is left out (28 characters a tool):
      // the call is checked strictly all the same, and an unknown field is refused by name ("colour: unknown field")
      inputSchema: { ...withoutClosed(inputSchema), properties: (tool.destructive === false ? withoutNull(inputSchema.properties) : inputSchema.properties) ?? {} },
      outputSchema: outputJson(tool.output) as Tool['outputSchema'],
      annotations: annotationsOf(tool),
    };
    definitions.set(tool.name, def);
  }
  return def;
}

/** What a failed call's text starts with, per domain error code. */
const ERROR_LABELS: Record<ErrorCode, string> = {
  invalid: 'Validation failed',
  not_found: 'Not found',
  conflict: 'Conflict',
  precondition_failed: 'Precondition failed',
  role_forbidden: 'Forbidden',
  not_a_member: 'Forbidden',
  key_workspace_restriction: 'Forbidden',
  workspace_required: 'Workspace required',
  server_only: 'Method not allowed',
  usage: 'Bad request',
};

/** A failed call as a model sees it: what went wrong, which field, what was expected. */
export function errorText(error: unknown): string {
  if (error instanceof DomainError) {
    const fields = error.errors.length ? error.errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ') : error.message;
    return `${ERROR_LABELS[error.code]}: ${fields}`;
  }
  console.error('[mcp] tool failed:', error);
  return 'Internal error: an unexpected error occurred in the CRM; it has been logged. Retrying may help; if not, report it.';
}

function errorResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

function disabledText(ctx: Ctx): string {
  return `Feature disabled: the CRM (feature crm.core) is disabled for workspace '${ctx.workspace.slug}', so only crm.addon.info is available. A workspace owner can enable it.`;
}

const ANY_ARGUMENTS = z.looseObject({});

/** Runs a catalogue tool for a context and shapes the MCP result (structuredContent + the same JSON as text). */
async function runTool(services: Services, tool: ToolDef, ctx: Ctx, args: unknown): Promise<CallToolResult> {
  if (!tool.ungated && !featureEnabled(ctx)) return errorResult(disabledText(ctx));
  try {
    const result = await tool.run(services, ctx, parseInput(tool.input, args));
    return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result };
  } catch (error) {
    return errorResult(errorText(error));
  }
}

export interface CatalogueServer {
  mcp: McpServer;
  /** Tells the client the tool list changed if what this context may see differs from the last listing. */
  refresh(ctx: Ctx): void;
}

/**
 * An McpServer with the whole catalogue. `getCtx` returns the caller's current context; it is
 * read for every listing and every call.
 */
export function createCatalogueServer(services: Services, getCtx: () => Ctx | Promise<Ctx>): CatalogueServer {
  const mcp = new McpServer(SERVER_INFO, { capabilities: { tools: { listChanged: true } }, instructions: INSTRUCTIONS });
  const tools = catalogue();
  for (const tool of tools) {
    // The SDK is given an input schema that takes any object: runTool validates with the tool's own,
    // so a wrong argument reads like the domain's errors ("Validation failed: stage: must not be
    // empty") instead of the SDK's "Input validation error: …" with zod's issue list as JSON.
    mcp.registerTool(tool.name, { title: tool.title, description: tool.description, inputSchema: ANY_ARGUMENTS, outputSchema: tool.output, annotations: annotationsOf(tool) }, (async (
      args: unknown,
    ) => {
      let ctx: Ctx;
      try {
        ctx = await getCtx();
      } catch (error) {
        return errorResult(errorText(error));
      }
      return runTool(services, tool, ctx, args);
    }) as never);
  }

  let listed: string | null = null;
  const signature = (ctx: Ctx) =>
    visibleTools(tools, ctx)
      .map((t) => t.name)
      .join(',');

  // The SDK lists every registered tool; this listing shows only what the caller may use now.
  mcp.server.setRequestHandler(ListToolsRequestSchema, async () => {
    const ctx = await getCtx();
    const visible = visibleTools(tools, ctx);
    listed = visible.map((t) => t.name).join(',');
    return { tools: visible.map(definitionOf) };
  });

  return {
    mcp,
    refresh(ctx) {
      if (listed === null || !mcp.isConnected()) return;
      if (signature(ctx) !== listed) {
        listed = signature(ctx);
        mcp.sendToolListChanged();
      }
    },
  };
}
