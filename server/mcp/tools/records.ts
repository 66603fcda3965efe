/**
 * Organizations and people: the same five tools over each — list, get, create, update, archive
 * (or restore). Deals have their own (./deals.ts) and reuse the archive tool.
 */
import { z } from 'zod';
import type { CollectionName } from '../../../shared/collections.js';
import { Id, OrganizationCreate, OrganizationUpdate, PersonCreate, PersonUpdate } from '../../../shared/schemas.js';
import { requireWrite, type Ctx } from '../../domain/context.js';
import type { AnyRecord } from '../../domain/reads.js';
import type { Services } from '../../domain/services.js';
import { resolveNamedRefs } from '../names.js';
import { compactOrganizations, compactPeople, page, present, RecordOut } from '../shapes.js';
import { FILTER_HINT, ID_HINT, ifVersion, listInput, listQuery, nameRef, recordId } from './inputs.js';
import { READ, type ToolDef } from './tool.js';

/** "an organization", "a person". */
const an = (noun: string) => `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`;

interface EntitySpec {
  collection: 'organizations' | 'people';
  noun: string;
  plural: string;
  what: string;
  create: z.ZodObject;
  update: z.ZodObject;
  out: z.ZodObject;
  listExtra: z.ZodRawShape;
  listKeys: string[];
  refs: { nameField: string; idField: string; collection: 'organizations' }[];
  present(services: Services, ctx: Ctx, records: AnyRecord[], full: boolean): Promise<Record<string, unknown>[]>;
}

function entityTools(spec: EntitySpec): ToolDef[] {
  const { collection, noun, plural } = spec;
  const refExtra = Object.fromEntries(spec.refs.map((r) => [r.nameField, nameRef()]));
  return [
    {
      name: `crm.${noun}.list`,
      title: `List ${plural}`,
      description: `Find ${plural} by text, label or ${spec.listKeys.join(', ')}: compact records, newest first, paged by cursor. ${ID_HINT} ${FILTER_HINT}`,
      input: listInput(collection, spec.listExtra),
      output: page(spec.out),
      ...READ,
      async run(services, ctx, args) {
        const result = await services.records.list(ctx, collection, listQuery(args, spec.listKeys, collection));
        return { data: await spec.present(services, ctx, result.data, args.full === true), nextCursor: result.nextCursor, ...(result.total === undefined ? {} : { total: result.total }) };
      },
    },
    {
      name: `crm.${noun}.get`,
      title: `Get ${an(noun)}`,
      description: `One ${noun} by id with all fields; with related records and activities too, use crm.context.${noun}. ${ID_HINT}`,
      input: z.strictObject({ id: recordId(noun) }),
      output: spec.out,
      ...READ,
      run: async (services, ctx, args) => present(await services.records.get(ctx, collection, args.id)),
    },
    {
      name: `crm.${noun}.create`,
      title: `Create ${an(noun)}`,
      description: `Create ${an(noun)} (name required${spec.refs.length ? '; organization by id or exact name' : ''}) after checking crm.search; your own UUIDv7 id makes a retry safe.`,
      input: z.strictObject({ ...spec.create.shape, ...refExtra }),
      output: spec.out,
      writeRole: 'MEMBER',
      destructive: false,
      idempotent: false,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', `create ${plural}`);
        const input = await resolveNamedRefs(services, ctx, args, spec.refs);
        const { record, created } = await services.records.create(ctx, collection, input);
        // created all the same; the result says which record it likely duplicates
        const warnings = created ? await services.merge.duplicateWarnings(ctx, collection, record) : [];
        return { ...present(record), ...(warnings.length > 0 ? { warnings } : {}) };
      },
    },
    {
      name: `crm.${noun}.update`,
      title: `Update ${an(noun)}`,
      description: `Change ${an(noun)} by id, sending only the fields to change (null clears one, labels replaces the list)${spec.refs.length ? '; organization by id or exact name' : ''}. ${ID_HINT}`,
      input: z.strictObject({ id: recordId(noun), ...spec.update.shape, ...refExtra, ifVersion }),
      output: spec.out,
      writeRole: 'MEMBER',
      destructive: true,
      idempotent: true,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', `change ${plural}`);
        const { id, ifVersion: version, ...rest } = await resolveNamedRefs(services, ctx, args, spec.refs);
        return present(await services.records.update(ctx, collection, id as string, rest, { ifVersion: version as number | undefined }));
      },
    },
    archiveTool(collection, noun, plural, spec.out, (_s, _c, r) => Promise.resolve(present(r))),
  ];
}

export function archiveTool(
  collection: CollectionName,
  noun: string,
  plural: string,
  out: z.ZodObject,
  present: (services: Services, ctx: Ctx, record: AnyRecord) => Promise<Record<string, unknown>>,
): ToolDef {
  return {
    name: `crm.${noun}.archive`,
    title: `Archive or restore ${an(noun)}`,
    description: `Archive ${an(noun)} by id (hidden from lists, nothing deleted), or restore: true to bring it back. ${ID_HINT}`,
    input: z.strictObject({ id: recordId(noun), restore: z.boolean().optional() }),
    output: out,
    writeRole: 'MEMBER',
    destructive: true,
    idempotent: true,
    async run(services, ctx, args) {
      requireWrite(ctx, 'MEMBER', `${args.restore ? 'restore' : 'archive'} ${plural}`);
      return present(services, ctx, await services.records.setArchived(ctx, collection, args.id, args.restore !== true));
    },
  };
}

/** crm.organization.* and crm.person.*. */
export function recordTools(): ToolDef[] {
  return [
    ...entityTools({
      collection: 'organizations',
      noun: 'organization',
      plural: 'organizations',
      what: 'companies',
      create: OrganizationCreate,
      update: OrganizationUpdate,
      out: RecordOut,
      listExtra: { ownerId: Id.optional() },
      listKeys: ['ownerId'],
      refs: [],
      present: async (_s, _c, records, full) => compactOrganizations(records, full),
    }),
    ...entityTools({
      collection: 'people',
      noun: 'person',
      plural: 'people',
      what: 'contacts',
      create: PersonCreate,
      update: PersonUpdate,
      out: RecordOut,
      listExtra: { organizationId: Id.optional(), ownerId: Id.optional() },
      listKeys: ['organizationId', 'ownerId'],
      refs: [{ nameField: 'organization', idField: 'organizationId', collection: 'organizations' }],
      present: (services, ctx, records, full) => compactPeople(services, ctx, records, full),
    }),
  ];
}
