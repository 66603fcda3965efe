/**
 * Workspace members (id, name, email, role) for owner pickers and actor names. Read once per
 * session from GET /crm/workspace/members; offline, names fall back to ids.
 */
import { useEffect, useState } from 'react';
import { useSession } from '../app/session.js';
import { crmGet } from '../app/connection.js';

export interface Member {
  id: string;
  name: string | null;
  email: string;
  role: string;
}

const cache = new Map<string, Promise<Member[]>>();

export function useMembers(): { members: Member[]; byId: Map<string, Member> } {
  const { connection } = useSession();
  const cacheKey = `${connection.serverUrl}|${connection.apiKey}|${connection.workspace ?? ''}`;
  const [members, setMembers] = useState<Member[]>([]);
  useEffect(() => {
    let cancelled = false;
    let pending = cache.get(cacheKey);
    if (!pending) {
      pending = crmGet<{ data: Member[] }>(connection, '/workspace/members').then((r) => r.data);
      cache.set(cacheKey, pending);
      pending.catch(() => cache.delete(cacheKey));
    }
    pending.then((list) => !cancelled && setMembers(list)).catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [cacheKey, connection]);
  return { members, byId: new Map(members.map((m) => [m.id, m])) };
}

export function memberName(byId: Map<string, Member>, id: string | null | undefined): string {
  if (!id) return 'Nobody';
  const m = byId.get(id);
  return m ? m.name || m.email : 'Unknown user';
}
