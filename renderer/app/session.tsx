/**
 * The signed-in session: the connection in use, and how to change it (switch workspace, sign out).
 */
import { createContext, useContext } from 'react';
import type { Connection } from '../data/index.js';

export interface Session {
  connection: Connection;
  /** Close the store and open it again with another connection (server, key or workspace). */
  switchConnection(next: Connection): Promise<void>;
  /** Close the store, forget the key, back to the sign-in screen. */
  signOut(): Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession() used outside the signed-in app');
  return session;
}
