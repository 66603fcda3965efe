/**
 * "Last synced" that survives a reload: the live status says when this session last caught up;
 * before it has (offline after a reload, say) the time kept from an earlier session is shown.
 * Kept per workspace in localStorage.
 */
import { useEffect, useMemo } from 'react';
import { useKith } from '../app/KithContext.js';

const key = (workspaceId: string) => `kith.lastSynced.${workspaceId}`;

function stored(workspaceId: string): string | null {
  try {
    return window.localStorage.getItem(key(workspaceId));
  } catch {
    return null;
  }
}

export function useLastSynced(live: string | null): string | null {
  const { workspaceId } = useKith().info;
  const kept = useMemo(() => stored(workspaceId), [workspaceId]);
  useEffect(() => {
    if (!live) return;
    try {
      window.localStorage.setItem(key(workspaceId), live);
    } catch {
      // storage unavailable: only this session knows
    }
  }, [live, workspaceId]);
  return live ?? kept;
}
