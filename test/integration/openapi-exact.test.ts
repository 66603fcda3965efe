/**
 * Issue 11, item 3: /crm/openapi.json describes exactly what the router does. Every route of the
 * route table is in the document with its path ids (format: uuid), exactly the query parameters it
 * accepts (per collection for lists, `sort` as an enum) and the If-Match format; then every route is
 * driven over real HTTP through its error cases (no key, a viewer, an unknown query parameter, an
 * unknown workspace, unknown ids, bad bodies, stale versions, repeats, another method) and every
 * status it answers must be one the document lists for it, every 2xx body must match the response
 * schema, and a 405's Allow must name exactly the document's methods for the path.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { z } from 'zod';
import { COLLECTIONS, isCollectionName } from '../../shared/collections.js';
import { newId } from '../../shared/ids.js';
import { DERIVED_FILTERS, operatorParams, sortValues } from '../../shared/listQuery.js';
import { IF_MATCH_PATTERN, crmRoutes } from '../../server/rest/routes.js';
import { queryOf, type RouteDef } from '../../server/rest/routeTable.js';
import { startTestServer, type ApiResponse, type TestServer } from '../helpers/server.js';

let server: TestServer;
let doc: any;
let routes: RouteDef[];
let viewerKey: string;
const ids: Record<string, string> = {};

const docPath = (route: RouteDef) => ('/crm' + route.path).replace(/\/$/, '').replace(/:(\w+)/g, '{$1}');
const operation = (route: RouteDef) => doc.paths[docPath(route)]?.[route.method];

/** Every (route, status) this file provoked, checked against the document at the end. */
const observed: { route: RouteDef; status: number; what: string }[] = [];

async function hit(
  route: RouteDef,
  what: string,
  options: { ids?: Record<string, string>; query?: string; body?: unknown; key?: string | null; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const url = '/crm' + route.path.replace(/:(\w+)/g, (_m, name: string) => (options.ids ?? fixtureIds(route))[name]) + (options.query ? `?${options.query}` : '');
  const res = await server.api(route.method.toUpperCase(), url, options.body, { key: options.key, headers: options.headers });
  observed.push({ route, status: res.status, what });
  assert.ok(res.status < 500, `${route.method} ${route.path} (${what}): ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

/** The real records a route's path ids name. */
function fixtureIds(route: RouteDef): Record<string, string> {
  const collection = route.path.split('/')[1];
  const id =
    {
      organizations: ids.org,
      people: ids.person,
      deals: ids.deal,
      pipelines: ids.pipeline,
      activities: ids.activity,
      stages: ids.stage,
      fields: ids.field,
      webhooks: ids.webhook,
      automations: ids.automation,
      objects: ids.record,
      keys: ids.key,
      imports: ids.import,
      views: ids.view,
    }[collection] ?? '';
  return { id, personId: ids.person, deliveryId: ids.delivery, type: 'fixture_project', name: 'fixture_secret' };
}

beforeAll(async () => {
  server = await startTestServer();
  routes = crmRoutes(server.services);
  doc = (await server.api('GET', '/crm/openapi.json')).body;
  const { accounts } = server.services;
  const ws = (await accounts.findWorkspace('default'))!;
  const viewer = await accounts.createUser({ email: 'viewer@openapi.test', name: 'Viewer' });
  await accounts.setMembership(ws.id, viewer.id, 'VIEWER');
  viewerKey = (await accounts.createApiKey({ userId: viewer.id })).key;
  const post = async (path: string, body: unknown) => {
    const res = await server.api('POST', path, body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id as string;
  };
  ids.pipeline = await post('/crm/pipelines', { name: 'Fixture pipeline', stages: [{ name: 'One' }, { name: 'Two' }] });
  ids.stage = (await server.api('GET', `/crm/pipelines/${ids.pipeline}/stages`)).body.data[0].id;
  ids.org = await post('/crm/organizations', { name: 'Fixture org' });
  ids.person = await post('/crm/people', { name: 'Fixture person', organizationId: ids.org });
  ids.deal = await post('/crm/deals', { title: 'Fixture deal', pipelineId: ids.pipeline, amount: 10 });
  ids.activity = await post('/crm/activities', { type: 'note', dealId: ids.deal, body: 'Fixture' });
  await post(`/crm/deals/${ids.deal}/contacts`, { personId: ids.person });
  await post('/crm/objects', { key: 'fixture_project', singular: 'Project', plural: 'Projects' });
  ids.record = await post('/crm/objects/fixture_project/records', { name: 'Fixture project' });
  ids.view = await post('/crm/views', { name: 'Fixture view', table: 'deals', filters: { status: 'open' }, sort: [{ key: 'amount', direction: 'desc' }], columns: ['title'] });
  ids.field = await post('/crm/fields', { entity: 'deals', key: 'tier', label: 'Tier', type: 'select', options: [{ value: 'gold' }, { value: 'silver' }] });
  assert.equal((await server.api('PATCH', `/crm/deals/${ids.deal}`, { custom: { tier: 'gold' } })).status, 200);
  ids.webhook = await post('/crm/webhooks', { url: 'https://hooks.example.invalid/kith', events: ['deal.won'], active: false });
  ids.delivery = (await server.api('POST', `/crm/webhooks/${ids.webhook}/test`)).body.id;
  ids.key = await post('/crm/keys', { name: 'Fixture key' });
  ids.import = (await server.api('POST', '/crm/imports', { entity: 'organizations', rows: [{ name: 'Imported fixture' }] })).body.id;
  ids.automation = await post('/crm/automations', { name: 'Fixture automation', active: false, trigger: { event: 'deal.won' }, steps: [{ type: 'add_label', label: 'won' }] });
  assert.equal((await server.api('PUT', '/crm/automation-secrets/fixture_secret', { value: 'fixture' })).status, 200);
});
afterAll(async () => {
  await server.stop();
});

describe('the document lists every route with its parameters', () => {
  test('one operation per route, and no other', () => {
    // plus GET /health, outside /crm (server/http/app.ts)
    const fromRoutes = [...routes.map((r) => `${r.method} ${docPath(r)}`), 'get /health'].sort();
    const fromDoc = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`))
      .sort();
    assert.deepEqual(fromDoc, fromRoutes);
  });

  test('path ids are uuids; query parameters are exactly those the route accepts; unknown ones are declared refused', () => {
    for (const route of routes) {
      const op = operation(route);
      const params = op.parameters as { name: string; in: string; schema: any }[];
      const where = `${route.method} ${route.path}`;
      for (const name of [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1])) {
        const p = params.find((x) => x.in === 'path' && x.name === name);
        // ids are UUIDs; a custom object type and an automation secret are named by a key
        if (name === 'type' || name === 'name') assert.equal(p?.schema.pattern, '^[a-z][a-z0-9_]{0,62}$', where);
        else assert.equal(p?.schema.format, 'uuid', `${where} ${name}`);
      }
      const accepted = Object.keys((queryOf(route) as z.ZodObject).shape).sort();
      assert.deepEqual(
        params
          .filter((p) => p.in === 'query')
          .map((p) => p.name)
          .sort(),
        accepted,
        where,
      );
      assert.equal(op['x-additional-query-parameters'], false, where);
      for (const status of ['400', '401', '403', '404', '422']) assert.ok(op.responses[status], `${where} documents ${status}`);
      if (route.etag && route.method === 'patch') {
        const ifMatch = params.find((p) => p.in === 'header' && p.name === 'If-Match');
        assert.equal(ifMatch?.schema.pattern, IF_MATCH_PATTERN, where);
        assert.ok(op.responses['412'], where);
      }
      if (route.status === 201) assert.ok(op.responses['200'] && op.responses['409'], `${where}: a repeated create is 200, another content 409`);
    }
  });

  test('each list documents its own filters and its sorts as an enum', () => {
    for (const route of routes.filter((r) => r.method === 'get' && isCollectionName(r.path.slice(1)))) {
      const collection = route.path.slice(1) as keyof typeof COLLECTIONS;
      const params = operation(route).parameters as { name: string; in: string; schema: any }[];
      const names = params.filter((p) => p.in === 'query').map((p) => p.name);
      const filters = [...COLLECTIONS[collection].filterFields, ...Object.keys(DERIVED_FILTERS[collection] ?? {}), ...Object.keys(operatorParams(collection))];
      const common = ['limit', 'cursor', 'q', 'sort', 'label', 'updatedSince', 'archived', 'workspace', 'count', 'format'];
      assert.deepEqual(names.filter((n) => !common.includes(n)).sort(), [...filters].sort(), collection);
      assert.deepEqual(params.find((p) => p.name === 'sort')!.schema.enum, sortValues(collection), collection);
    }
    const deals = doc.paths['/crm/deals'].get.parameters.map((p: { name: string }) => p.name);
    assert.ok(deals.includes('personId') && !doc.paths['/crm/organizations'].get.parameters.some((p: { name: string }) => p.name === 'personId'));
    assert.ok(
      ['amount[gte]', 'expectedCloseDate[lt]', 'title[contains]', 'organizationId[empty]', 'count'].every((n) => deals.includes(n)),
      'query operators are documented per field',
    );
    assert.ok(!deals.includes('title[gt]') && !deals.includes('status[contains]'), 'only the operators a field takes');
  });

  test('constraints validation enforces: 4-decimal multipleOf, ISO 4217, the shape of custom, at least one reference', () => {
    const deal = doc.paths['/crm/deals'].post.requestBody.content['application/json'].schema;
    const amount = deal.properties.amount.anyOf[0];
    assert.equal(amount.multipleOf, 0.0001);
    assert.equal(deal.properties.probability.anyOf[0].multipleOf, 0.0001);
    const currency = new RegExp(deal.properties.currency.pattern);
    assert.ok(currency.test('EUR') && currency.test('usd') && !currency.test('ABC') && !currency.test('EURO'));
    assert.equal(deal.properties.custom.type, 'object');
    assert.match(deal.properties.custom.description, /custom fields .*GET \/crm\/fields.*custom\.<key>/);
    assert.equal(deal.properties.title.maxLength, 300);
    const activity = doc.paths['/crm/activities'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(
      activity.anyOf.map((a: { required: string[] }) => a.required[0]),
      ['organizationId', 'personId', 'dealId'],
    );
  });
});

describe('every status a route answers is documented for it', () => {
  test('error cases of every route', async () => {
    const big = JSON.stringify({ notes: 'x'.repeat(1_100_000) });
    for (const route of routes) {
      const where = `${route.method} ${route.path}`;
      const op = operation(route);
      await hit(route, 'no key', { key: null });
      await hit(route, 'viewer', { key: viewerKey, body: ['post', 'patch', 'put'].includes(route.method) ? {} : undefined });
      await hit(route, 'unknown query parameter', { query: 'colour=red' });
      await hit(route, 'repeated query parameter', { query: 'workspace=a&workspace=b' });
      await hit(route, 'unknown workspace', { headers: { 'x-kith-workspace': 'no-such-workspace' } });
      if (route.path.includes(':')) {
        await hit(route, 'unknown ids', { ids: { id: newId(), personId: newId(), deliveryId: newId() }, body: route.body ? {} : undefined });
        await hit(route, 'ids that are not uuids', { ids: { id: 'not-a-uuid', personId: '1', deliveryId: 'x' } });
      }
      if (['post', 'patch', 'put'].includes(route.method)) {
        await hit(route, 'malformed JSON', { body: '{"name": ' });
        await hit(route, 'not JSON', { body: 'name=x', headers: { 'content-type': 'text/plain' } });
        await hit(route, 'too large', { body: big });
        if (route.body) await hit(route, 'unknown field', { body: { zzz: 1 } });
      }
      if (route.query && 'cursor' in (route.query as z.ZodObject).shape) {
        assert.equal((await hit(route, 'tampered cursor', { query: 'cursor=abc' })).status, 400, where);
        await hit(route, 'limit out of range', { query: 'limit=0' });
      }
      // another method on the same path: 405 naming exactly the document's methods
      const methods = Object.keys(doc.paths[docPath(route)]);
      const other = ['get', 'post', 'put', 'patch', 'delete'].find((m) => !methods.includes(m));
      if (other) {
        const res = await server.api(other.toUpperCase(), '/crm' + route.path.replace(/:(\w+)/g, (_m, name: string) => fixtureIds(route)[name]));
        assert.equal(res.status, 405, `${other} ${route.path}`);
        const allow = res.headers.get('allow')!.split(', ');
        assert.deepEqual(
          allow
            .filter((m) => m !== 'HEAD')
            .map((m) => m.toLowerCase())
            .sort(),
          [...methods].sort(),
          route.path,
        );
      }
      assert.ok(op, where);
    }
  });

  test('success and the write outcomes: created, repeated, conflicting, stale, in use', async () => {
    const find = (method: string, path: string) => routes.find((r) => r.method === method && r.path === path)!;
    // every read with the real records, its body as documented
    for (const route of routes.filter((r) => r.method === 'get')) {
      const query = route.path === '/search' ? 'q=Fixture' : route.path === '/audit' ? `entityId=${ids.deal}` : undefined;
      const res = await hit(route, 'success', { query });
      assert.equal(res.status, 200, `${route.path}: ${JSON.stringify(res.body)}`);
      if (route.response)
        assert.ok(route.response.safeParse(res.body).success, `${route.path} body matches its schema: ${JSON.stringify(route.response.safeParse(res.body).error?.issues.slice(0, 2))}`);
    }
    const createOrg = find('post', '/organizations');
    const id = newId();
    assert.equal((await hit(createOrg, 'create', { body: { id, name: 'Once' } })).status, 201);
    assert.equal((await hit(createOrg, 'repeat', { body: { id, name: 'Once' } })).status, 200);
    assert.equal((await hit(createOrg, 'id reused', { body: { id, name: 'Other' } })).status, 409);
    const contact = find('post', '/deals/:id/contacts');
    assert.equal((await hit(contact, 'duplicate contact', { body: { personId: ids.person } })).status, 409);
    const patch = find('patch', '/organizations/:id');
    const orgId = { id, personId: ids.person };
    assert.equal((await hit(patch, 'stale If-Match', { ids: orgId, body: { name: 'New' }, headers: { 'if-match': '"1"' } })).status, 412);
    assert.equal((await hit(patch, 'invalid body, stale If-Match', { ids: orgId, body: { name: '' }, headers: { 'if-match': '"1"' } })).status, 422);
    assert.equal((await hit(patch, 'update', { ids: orgId, body: { name: 'New' } })).status, 200);
    assert.equal(
      (
        await hit(find('post', '/pipelines/:id/archive'), 'archive the default pipeline', {
          ids: { id: (await server.api('GET', '/crm/pipelines?sort=position')).body.data.find((p: { isDefault: boolean }) => p.isDefault).id },
        })
      ).status,
      422,
    );
    assert.equal((await hit(find('delete', '/stages/:id'), 'stage in use', { ids: { id: ids.stage } })).status, 409);
    assert.equal((await hit(find('delete', '/pipelines/:id'), 'pipeline in use', { ids: { id: ids.pipeline } })).status, 409);
    assert.equal((await hit(find('delete', '/organizations/:id'), 'delete', { ids: orgId })).status, 204);
    assert.equal((await hit(find('post', '/activities'), 'activity without a reference', { body: { type: 'note' } })).status, 422);
    // custom fields: a duplicate key, a type change the values would not convert to, a bad custom value
    const fieldIds = { id: ids.field, personId: ids.person };
    assert.equal((await hit(find('post', '/fields'), 'duplicate key', { body: { entity: 'deals', key: 'tier', label: 'Again', type: 'text' } })).status, 409);
    assert.equal((await hit(find('patch', '/fields/:id'), 'type change refused', { ids: fieldIds, body: { type: 'number' } })).status, 409);
    assert.equal((await hit(find('patch', '/fields/:id'), 'stale If-Match', { ids: fieldIds, body: { label: 'T' }, headers: { 'if-match': '"1"' } })).status, 412);
    assert.equal((await hit(find('post', '/fields/:id/archive'), 'archive a field', { ids: fieldIds })).status, 200);
    assert.equal((await hit(find('post', '/fields/:id/restore'), 'restore a field', { ids: fieldIds })).status, 200);
    assert.equal((await hit(find('post', '/deals'), 'bad custom value', { body: { title: 'T', custom: { tier: 'bronze' } } })).status, 422);
    // custom objects: a reserved or repeated type key, a record of an unknown type, a stale record, a delete
    const objectIds = { type: 'fixture_project', id: ids.record, personId: ids.person };
    assert.equal((await hit(find('post', '/objects'), 'repeated type key', { body: { key: 'fixture_project', singular: 'P', plural: 'Ps' } })).status, 409);
    assert.equal((await hit(find('post', '/objects/:type/records'), 'unknown type', { ids: { ...objectIds, type: 'no_such_type' }, body: { name: 'X' } })).status, 404);
    assert.equal((await hit(find('patch', '/objects/:type/records/:id'), 'stale If-Match', { ids: objectIds, body: { name: 'Y' }, headers: { 'if-match': '"1"' } })).status, 412);
    assert.equal((await hit(find('patch', '/objects/:type'), 'rename a type', { ids: objectIds, body: { plural: 'All projects' } })).status, 200);
    assert.equal((await hit(find('delete', '/objects/:type/records/:id'), 'delete a record', { ids: objectIds })).status, 204);
  });

  test('every observed status is in the document for its route', () => {
    assert.ok(observed.length > routes.length * 5);
    const missing = observed.filter(({ route, status }) => !operation(route).responses[String(status)]).map(({ route, status, what }) => `${route.method} ${route.path} ${status} (${what})`);
    assert.deepEqual([...new Set(missing)], []);
  });
});
