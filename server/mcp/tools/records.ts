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
import { compactOrganizations, compactPeople, OrganizationCompact, OrganizationOut, page, PersonCompact, PersonOut } from '../shapes.js';
import { ID_HINT, ifVersion, listInput, listQuery, nameRef, recordId } from './inputs.js';
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
  compact: z.ZodObject;
  listExtra: z.ZodRawShape;
  listKeys: string[];
  refs: { nameField: string; idField: string; collection: 'organizations' }[];
  present(services: Services, ctx: Ctx, records: AnyRecord[], full: boolean): Promise<Record<string, unknown>[]>;
}

function entityTools(spec: EntitySpec): ToolDef[] {
  const { collection, noun, plural } = spec;
  const refExtra = Object.fromEntries(spec.refs.map((r) => [r.nameField, nameRef('organization', r.idField)]));
  return [
    {
      name: `crm.${noun}.list`,
      title: `List ${plural}`,
      description: `List ${plural} (${spec.what}), newest first, as compact records. Filter with q (text search), label and the other fields; page with limit and cursor (pass nextCursor back). Archived ${plural} are left out unless archived is "only" or "include". Use crm.${noun}.get or crm.context.${noun} for one ${noun} in full. ${ID_HINT}`,
      input: listInput(collection, spec.listExtra),
      output: page(spec.compact),
      ...READ,
      async run(services, ctx, args) {
        const result = await services.records.list(ctx, collection, listQuery(args, spec.listKeys));
        return { data: await spec.present(services, ctx, result.data, args.full === true), nextCursor: result.nextCursor };
      },
    },
    {
      name: `crm.${noun}.get`,
      title: `Get ${an(noun)}`,
      description: `Get one ${noun} by id, with every field. For the ${noun} together with related deals, people and activities use crm.context.${noun}. ${ID_HINT}`,
      input: z.strictObject({ id: recordId(noun) }),
      output: spec.out,
      ...READ,
      run: (services, ctx, args) => services.records.get(ctx, collection, args.id),
    },
    {
      name: `crm.${noun}.create`,
      title: `Create ${an(noun)}`,
      description: `Create ${an(noun)}. Only name is required. ${spec.refs.length ? 'Link an organization by organizationId or by its exact name (organization). ' : ''}Check first with crm.${noun}.list (q=…) or crm.search that the ${noun} does not exist yet. To make retries safe, pass your own id (a UUIDv7): repeating the same create then returns the existing record instead of a duplicate. Returns the new ${noun}.`,
      input: z.strictObject({ ...spec.create.shape, ...refExtra }),
      output: spec.out,
      writeRole: 'MEMBER',
      destructive: false,
      idempotent: false,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', `create ${plural}`);
        const input = await resolveNamedRefs(services, ctx, args, spec.refs);
        return (await services.records.create(ctx, collection, input)).record;
      },
    },
    {
      name: `crm.${noun}.update`,
      title: `Update ${an(noun)}`,
      description: `Change fields of ${an(noun)}: pass its id and only the fields to change (null clears an optional field; labels replaces the whole list). ${spec.refs.length ? 'The organization may be given by exact name (organization). ' : ''}Returns the updated ${noun}. ${ID_HINT}`,
      input: z.strictObject({ id: recordId(noun), ...spec.update.shape, ...refExtra, ifVersion }),
      output: spec.out,
      writeRole: 'MEMBER',
      destructive: true,
      idempotent: true,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', `change ${plural}`);
        const { id, ifVersion: version, ...rest } = await resolveNamedRefs(services, ctx, args, spec.refs);
        return services.records.update(ctx, collection, id as string, rest, { ifVersion: version as number | undefined });
      },
    },
    archiveTool(collection, noun, plural, spec.out, (_s, _c, r) => Promise.resolve(r)),
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
    description: `Archive ${an(noun)} (it disappears from lists and the board but nothing is deleted), or restore an archived one with restore: true. Archiving an already archived ${noun} changes nothing. Returns the ${noun}. ${ID_HINT}`,
    input: z.strictObject({ id: recordId(noun), restore: z.boolean().optional().describe('true restores an archived record instead of archiving it') }),
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
      what: 'companies and other organizations',
      create: OrganizationCreate,
      update: OrganizationUpdate,
      out: OrganizationOut,
      compact: OrganizationCompact,
      listExtra: { ownerId: Id.optional().describe('Only organizations owned by this user') },
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
      out: PersonOut,
      compact: PersonCompact,
      listExtra: { organizationId: Id.optional().describe('Only people of this organization'), ownerId: Id.optional() },
      listKeys: ['organizationId', 'ownerId'],
      refs: [{ nameField: 'organization', idField: 'organizationId', collection: 'organizations' }],
      present: (services, ctx, records, full) => compactPeople(services, ctx, records, full),
    }),
  ];
}
