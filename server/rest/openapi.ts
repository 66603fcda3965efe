/**
 * OpenAPI 3.1 document generated from the route table and its zod schemas.
 */
import { z } from 'zod';
import type { RouteDef } from './routeTable.js';
import { CRM_VERSION } from '../../shared/version.js';

const ProblemSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
  },
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

function queryParameters(schema: z.ZodType | undefined) {
  if (!schema) return [];
  const js = jsonSchema(schema, 'input') as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: js.required?.includes(name) ?? false,
    description: typeof s.description === 'string' ? s.description : undefined,
    schema: s,
  }));
}

export function buildOpenApi(routes: RouteDef[], prefix = '/crm'): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
  for (const route of routes) {
    const path = (prefix + route.path).replace(/\/$/, '').replace(/:(\w+)/g, '{$1}') || '/';
    const pathParams = [...route.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const status = String(route.status ?? 200);
    const responses: Record<string, unknown> = {
      [status]:
        status === '204' ? { description: 'Done' } : { description: 'OK', content: { 'application/json': { schema: route.response ? jsonSchema(route.response, 'output') : { type: 'object' } } } },
      '401': problemResponse('Missing, invalid, expired or revoked API key'),
      '403': problemResponse('Role, read-only key, workspace restriction or disabled feature'),
    };
    if (route.body) {
      responses['413'] = problemResponse('Body larger than 1 MB');
      responses['415'] = problemResponse('Body is not application/json');
      responses['422'] = problemResponse('Validation failed: errors[] names each field');
    }
    if (pathParams.length) responses['404'] = problemResponse('Not found');
    if (route.etag && route.method === 'patch') responses['412'] = problemResponse('If-Match does not match the current version');
    paths[path] ??= {};
    paths[path][route.method] = {
      tags: [route.tag],
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      operationId: `${route.method}${path.replace(/[{}]/g, '').replace(/[^a-zA-Z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      parameters: [
        ...pathParams,
        ...queryParameters(route.query),
        ...(route.etag && route.method === 'patch' ? [{ name: 'If-Match', in: 'header', required: false, schema: { type: 'string' }, description: 'ETag from a GET' }] : []),
        { name: 'X-Kith-Workspace', in: 'header', required: false, schema: { type: 'string' }, description: 'Workspace slug or id (implied when the key or user has one)' },
      ],
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Kith CRM API',
      version: CRM_VERSION,
      description:
        'Workspace-scoped CRM REST API. Authenticate with `Authorization: Bearer kith_…` (or `X-API-Key`). Errors are application/problem+json (RFC 9457); validation errors list each field in `errors[]` and unknown fields are rejected. Amounts are JSON numbers with at most 4 decimal places, summed exactly per currency.',
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
