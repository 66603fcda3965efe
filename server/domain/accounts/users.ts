/**
 * Users: who holds API keys and belongs to workspaces. The email is unique, stored lower-case.
 */
import { z } from 'zod';
import { newId } from '../../../shared/ids.js';
import { PLATFORM_ROLES } from '../../../shared/schemas.js';
import type { Db } from '../../store/database.js';
import { nowIso } from '../context.js';
import { conflict, notFound, parseInput } from '../errors.js';

export interface User {
  id: string;
  email: string;
  name: string;
  platformRole: 'USER' | 'ADMIN';
  createdAt: string;
}

/** The columns of a User (never the password hash). */
export const USER_COLUMNS = ['id', 'email', 'name', 'platformRole', 'createdAt'] as const;

const UserCreate = z.strictObject({
  email: z.email({ error: 'must be an email address' }).trim().toLowerCase(),
  name: z.string().trim().min(1, { error: 'must not be empty' }).max(200),
  platformRole: z.enum(PLATFORM_ROLES).optional(),
});

export async function createUser(db: Db, input: unknown): Promise<User> {
  const data = parseInput(UserCreate, input);
  const existing = await db.selectFrom('users').select('id').where('email', '=', data.email).executeTakeFirst();
  if (existing) throw conflict(`a user with email ${data.email} already exists`, { id: existing.id });
  const user: User = { id: newId(), email: data.email, name: data.name, platformRole: data.platformRole ?? 'USER', createdAt: nowIso() };
  await db.insertInto('users').values(user).execute();
  return user;
}

export async function listUsers(db: Db): Promise<User[]> {
  return (await db.selectFrom('users').select(USER_COLUMNS).orderBy('createdAt').execute()) as User[];
}

/** A user by id or email. */
export async function findUser(db: Db, idOrEmail: string): Promise<User> {
  const row = await db
    .selectFrom('users')
    .select(USER_COLUMNS)
    .where((eb) => eb.or([eb('id', '=', idOrEmail), eb('email', '=', idOrEmail.toLowerCase())]))
    .executeTakeFirst();
  if (!row) throw notFound('user', idOrEmail);
  return row as User;
}
