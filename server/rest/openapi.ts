/**
 * OpenAPI 3.1 document generated from the route table and its zod schemas (SPEC §3: exact). What a
 * route can answer follows from what it is (routeStatuses); what zod cannot say in JSON Schema (ISO
 * 4217 codes, the shape of `custom`, the activity's at-least-one-reference rule) is added here,
 * keyed by the schema it describes, so the MCP tool schemas built from the same zod stay short.
 */
import { z } from 'zod';
import { ActivityCreate, ActivityUpdate, Currency, Custom, FIELD_KEY, isCurrencyCode } from '../../shared/schemas.js';
import { CRM_VERSION } from '../../shared/version.js';
import { queryOf, type RouteDef } from './routeTable.js';
import { IF_MATCH_PATTERN } from './routes.js';

const ProblemSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } } },
  },
};

/** Every ISO 4217 code the server accepts, upper case (Intl's list; the same list isCurrencyCode checks). */
function currencyCodes(): string[] {
  const codes: string[] = [];
  for (let a = 65; a <= 90; a++)
    for (let b = 65; b <= 90; b++)
      for (let c = 65; c <= 90; c++) {
        const code = String.fromCharCode(a, b, c);
        if (isCurrencyCode(code)) codes.push(code);
      }
  return codes;
}

/** A case-insensitive pattern of the codes (the server trims and upper-cases before checking). */
function currencyPattern(codes: string[]): string {
  const ci = (code: string) => [...code].map((ch) => `[${ch}${ch.toLowerCase()}]`).join('');
  return `^\\s*(${codes.map(ci).join('|')})\\s*$`;
}

type JsonSchema = Record<string, unknown>;

function replaceWith(target: JsonSchema, replacement: JsonSchema): void {
  for (const key of Object.keys(target)) delete target[key];
  Object.assign(target, replacement);
}

const ACTIVITY_REFERENCES = ['organizationId', 'personId', 'dealId'];

function jsonSchema(schema: z.ZodType, io: 'input' | 'output', codes: string[]): JsonSchema {
  const out = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    target: 'draft-2020-12',
    override: ({ zodSchema: node, jsonSchema }) => {
      const js = jsonSchema as JsonSchema;
      const zodSchema = node as unknown;
      if (zodSchema === Currency && io === 'input') {
        replaceWith(js, {
          type: 'string',
          pattern: currencyPattern(codes),
          description: 'ISO 4217 currency code (case-insensitive, stored upper case; surrounding spaces are trimmed)',
        });
      } else if (zodSchema === Custom) {
        replaceWith(js, {
          type: 'object',
          description:
            "Values of the workspace's custom fields of this entity, by key (GET /crm/fields, GET /crm/schema): each validated against its field's type, options and required flag; an unknown key is refused with 422 naming custom.<key>. In an update, keys not sent keep their values and null clears one.",
        });
      } else if (zodSchema === ActivityCreate) {
        js.anyOf = ACTIVITY_REFERENCES.map((key) => ({ required: [key], properties: { [key]: { type: 'string' } } }));
        js.description = `At least one of ${ACTIVITY_REFERENCES.join(', ')} must be set (not null).`;
      } else if (zodSchema === ActivityUpdate) {
        js.description = `The activity after the change must keep at least one of ${ACTIVITY_REFERENCES.join(', ')} (422 naming dealId otherwise).`;
      }
    },
  }) as JsonSchema;
  delete out.$schema;
  return out;
}

const PATH_PARAM = /:(\w+)/g;

/** The problem responses of a route, with what causes each; the success status (and 200 for a repeated create) besides. */
export function routeStatuses(route: RouteDef): Record<string, string> {
  const success = route.status ?? 200;
  const hasBody = ['post', 'patch', 'put'].includes(route.method);
  const statuses: Record<string, string> = {
    [String(success)]: success === 204 ? 'Done' : success === 201 ? 'Created' : 'OK',
  };
  if (success === 201) statuses['200'] = 'The same create repeated (same client id, same content): the record as it is, nothing written';
  statuses['400'] = [
    'Bad request: the key reaches several workspaces and none was named (X-Kith-Workspace)',
    ...(hasBody ? ['the body is not valid JSON'] : []),
    ...(route.query && 'shape' in route.query && 'cursor' in (route.query as z.ZodObject).shape ? ['the cursor is not a nextCursor of this list and sort (invalid or expired)'] : []),
  ].join('; ');
  statuses['401'] = 'Missing, malformed, unknown, revoked or expired API key';
  statuses['403'] = 'Role or read-only key may not do this, the key is restricted to another workspace, or the crm.core feature is disabled';
  statuses['404'] = [route.path.includes(':') ? 'No such record in this workspace' : null, 'the workspace named by X-Kith-Workspace or ?workspace= does not exist'].filter(Boolean).join('; ');
  if (success === 201 || route.method === 'delete') {
    statuses['409'] = success === 201 ? 'The id is taken by a record with other content, or the record already exists (a deal contact)' : 'Other records depend on it';
  }
  if (route.etag && route.method === 'patch') statuses['412'] = 'If-Match does not match the current version (checked after the body is valid)';
  if (hasBody && !route.largeBody) {
    statuses['413'] = 'Body larger than 1 MB';
    statuses['415'] = 'Body is not application/json';
  }
  statuses['422'] = 'Validation failed: errors[] names each field or query parameter (an unknown field or query parameter is refused)';
  return { ...statuses, ...route.statuses };
}

/** GET /health (server/http/app.ts): outside /crm, no credentials; for load balancers and monitors. */
const HEALTH = {
  get: {
    tags: ['Health'],
    summary: 'Whether this process can serve: its database answers a cheap read',
    operationId: 'getHealth',
    security: [],
    parameters: [],
    responses: {
      '200': {
        description: 'The process and its database answer',
        content: { 'application/json': { schema: { type: 'object', required: ['ok'], properties: { ok: { const: true } }, additionalProperties: false } } },
      },
      '503': {
        description: 'The database did not answer (unreachable, or no answer within 2 s); Retry-After: 1. A load balancer should take this process out.',
        content: {
          'application/json': {
            schema: { type: 'object', required: ['ok', 'reason'], properties: { ok: { const: false }, reason: { type: 'string' } }, additionalProperties: false },
          },
        },
      },
    },
  },
};

export function buildOpenApi(routes: RouteDef[], prefix = '/crm'): JsonSchema {
  const codes = currencyCodes();
  const paths: Record<string, Record<string, unknown>> = {};
  const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
  for (const route of routes) {
    const path = (prefix + route.path).replace(/\/$/, '').replace(PATH_PARAM, '{$1}') || '/';
    // ids are UUIDs; a custom object type and an automation secret are named by a key
    const pathParams = [...route.path.matchAll(PATH_PARAM)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: m[1] === 'type' || m[1] === 'name' ? { type: 'string', pattern: FIELD_KEY.source } : { type: 'string', format: 'uuid' },
    }));
    const success = route.status ?? 200;
    const responses: Record<string, unknown> = {};
    for (const [status, description] of Object.entries(routeStatuses(route))) {
      const code = Number(status);
      if (code === 204) responses[status] = { description };
      else if (code < 300) {
        responses[status] = {
          description,
          headers: {
            ...(route.etag ? { ETag: { description: 'The record version, for If-Match', schema: { type: 'string', pattern: '^"\\d+"$' } } } : {}),
            ...(code === 201 && success === 201 ? { Location: { description: 'URL of the new record', schema: { type: 'string' } } } : {}),
          },
          content: {
            'application/json': { schema: route.response ? jsonSchema(route.response, 'output', codes) : { type: 'object' } },
            ...(route.csvResponse ? { 'text/csv': { schema: { type: 'string', description: 'format=csv or Accept: text/csv: every matching record, a header row of field keys' } } } : {}),
          },
        };
      } else responses[status] = problemResponse(description);
    }
    const ifMatch = route.etag && route.method === 'patch';
    paths[path] ??= {};
    paths[path][route.method] = {
      tags: [route.tag],
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      operationId: `${route.method}${path.replace(/[{}]/g, '').replace(/[^a-zA-Z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      parameters: [
        ...pathParams,
        ...queryParameters(queryOf(route), codes),
        ...(ifMatch
          ? [
              {
                name: 'If-Match',
                in: 'header',
                required: false,
                schema: { type: 'string', pattern: IF_MATCH_PATTERN },
                description: 'An ETag from a GET ("42" or W/"42"), or * for any version. A stale one is 412; any other value is 412 too.',
              },
            ]
          : []),
        { name: 'X-Kith-Workspace', in: 'header', required: false, schema: { type: 'string' }, description: 'Workspace slug or id (implied when the key or user has one)' },
      ],
      // every query parameter is listed above: any other is refused with 422
      'x-additional-query-parameters': false,
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: {
                'application/json': { schema: jsonSchema(route.body, 'input', codes) },
                ...(route.csvBody ? { 'text/csv': { schema: { type: 'string', description: 'The file (UTF-8, a header row; options in the query)' } } } : {}),
              },
            },
          }
        : route.largeBody
          ? { requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', description: 'A backup document (GET /crm/workspace/backup)' } } } } }
          : {}),
      responses,
    };
  }
  paths['/health'] = HEALTH;
  return {
    openapi: '3.1.0',
    info: {
      title: 'Kith CRM API',
      version: CRM_VERSION,
      description: [
        'Workspace-scoped CRM REST API. Authenticate with `Authorization: Bearer kith_…` (or `X-API-Key`).',
        'Errors are application/problem+json (RFC 9457); validation errors list each field in `errors[]`.',
        'Unknown body fields and unknown query parameters are refused (422), never ignored (`x-additional-query-parameters: false` on every operation).',
        'A method a path does not answer is 405 with an `Allow` header naming those it does.',
        'Amounts are JSON numbers with at most 4 decimal places (`multipleOf: 0.0001`, checked exactly), summed exactly per currency.',
        'Text lengths (`maxLength`) count Unicode code points, as JSON Schema does: an emoji counts one.',
      ].join(' '),
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'kith_ + 32 base62 characters' } },
      schemas: { Problem: ProblemSchema },
    },
    paths,
  };
}

function queryParameters(schema: z.ZodType, codes: string[]) {
  const js = jsonSchema(schema, 'input', codes) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: js.required?.includes(name) ?? false,
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
    schema: s,
  }));
}
