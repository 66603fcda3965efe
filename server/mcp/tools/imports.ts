/**
 * crm.import.validate|inspect|commit (SPEC §4): the two-step import of SPEC §3 over the same domain
 * service as /crm/imports (server/domain/imports/service.ts). Results are the session (counts,
 * state, progress) plus the rows asked for; a commit waits a while for its end.
 */
import { z } from 'zod';
import { Id } from '../../../shared/schemas.js';
import { READ, type ToolDef } from './tool.js';

/** The session (id, state, counts, progress) and, where asked, rows: one compact shape for the three. */
const Out = z.looseObject({});
const ERROR_ROWS = 20;

export function importTools(): ToolDef[] {
  return [
    {
      name: 'crm.import.validate',
      title: 'Check an import',
      description:
        'Step 1 of an import into organizations, people, deals, activities or an object type: csv text or rows, columns named by field key or label (organization, stage by name). mode create|update|upsert, match email|domain|id|custom key. Answers id, counts, rows in error.',
      input: z.strictObject({ entity: z.string(), csv: z.string().optional(), rows: z.array(z.looseObject({})).optional(), mode: z.string().optional(), match: z.string().optional() }),
      output: Out,
      writeRole: 'MEMBER',
      destructive: false,
      idempotent: false,
      run: async ({ imports }, ctx, { csv, rows, ...options }) => {
        const session = await imports.validate(ctx, options, rows ? { rows } : { csv: csv ?? '' });
        return { ...session, errorRows: session.counts.error ? (await imports.rows(ctx, session.id, { outcome: 'error', limit: ERROR_ROWS })).data : [] };
      },
    },
    {
      name: 'crm.import.inspect',
      title: 'Import status',
      description: 'An import by id: state, counts, commit progress and a page of its rows (outcome create, update, skip or error) with errors by column.',
      input: z.strictObject({ id: Id, outcome: z.string().optional(), cursor: z.string().optional() }),
      output: Out,
      ...READ,
      run: async ({ imports }, ctx, { id, outcome, cursor }) => {
        const session = await imports.get(ctx, id);
        const page = await imports.rows(ctx, id, { outcome, cursor, limit: ERROR_ROWS });
        return { ...session, data: page.data, nextCursor: page.nextCursor };
      },
    },
    {
      name: 'crm.import.commit',
      title: 'Commit an import',
      description: 'Step 2: write a validated import by id. rows valid (default) leaves out rows in error; all writes nothing if any has one. Waits up to 20 s, then inspect.',
      input: z.strictObject({ id: Id, rows: z.enum(['valid', 'all']).optional() }),
      output: Out,
      writeRole: 'MEMBER',
      idempotent: false,
      run: async ({ imports }, ctx, { id, rows }) => {
        await imports.commit(ctx, id, rows ? { rows } : {});
        await imports.settle(id, 20_000);
        return { ...(await imports.get(ctx, id)) };
      },
    },
  ];
}
