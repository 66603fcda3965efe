/**
 * The open local store (RxDB + replication) for the signed-in workspace, available to every view.
 * Views read and write only through this store (see renderer/data).
 */
import { createContext, useContext, type ReactNode } from 'react';
import type { KithStore } from '../data/index.js';

const KithContext = createContext<KithStore | null>(null);

export function KithProvider({ store, children }: { store: KithStore; children: ReactNode }) {
  return <KithContext.Provider value={store}>{children}</KithContext.Provider>;
}

/** The open store. Throws outside a KithProvider (i.e. before sign-in). */
export function useKith(): KithStore {
  const store = useContext(KithContext);
  if (!store) throw new Error('useKith() used outside <KithProvider>: the store is not open yet');
  return store;
}
