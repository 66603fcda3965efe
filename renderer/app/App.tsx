/**
 * Top level: find the saved connection, open the local store, and show either the sign-in screen
 * or the app shell. The store is opened once per connection (never twice for one mount).
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Center, Loader, Stack, Text } from '@mantine/core';
import { KithConnectionError, openKithStore, type Connection, type KithStore } from '../data/index.js';
import { KithProvider } from './KithContext.js';
import { SessionContext, type Session } from './session.js';
import { clearConnection, desktopBridge, isSessionConnection, loadConnection, saveConnection, signOutSession } from './connection.js';
import { LinkPage, linkFromLocation, type LinkKind } from './LinkPage.js';
import { SignIn } from './SignIn.js';
import { Shell } from './Shell.js';
import { errorMessage } from '../components/forms.js';
import { Unreachable } from './Unreachable.js';

type Phase =
  | { kind: 'loading'; message: string }
  | { kind: 'unreachable'; error: string; connection: Connection }
  | { kind: 'signin'; error: string | null; connection: Connection | null }
  | { kind: 'link'; link: LinkKind; token: string }
  | { kind: 'ready'; store: KithStore; connection: Connection };

export function App() {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading', message: 'Starting…' });
  const storeRef = useRef<KithStore | null>(null);
  const openSeq = useRef(0);

  const open = useCallback(async (connection: Connection, quiet = false) => {
    const seq = ++openSeq.current;
    if (!quiet) setPhase({ kind: 'loading', message: 'Opening your workspace…' });
    const previous = storeRef.current;
    storeRef.current = null;
    if (previous) await previous.close().catch((e) => console.error('closing the store failed', e));
    try {
      const store = await openKithStore(connection);
      if (seq !== openSeq.current) {
        await store.close();
        return;
      }
      storeRef.current = store;
      setPhase({ kind: 'ready', store, connection });
    } catch (error) {
      if (seq !== openSeq.current) return;
      // Server down or network gone: keep the saved connection and retry, rather than asking for a key again.
      if (error instanceof KithConnectionError && error.status === null) setPhase({ kind: 'unreachable', error: errorMessage(error), connection });
      else setPhase({ kind: 'signin', error: `Could not open the workspace: ${errorMessage(error)}`, connection });
    }
  }, []);

  useEffect(() => {
    let cancelled = false;
    const link = desktopBridge() ? null : linkFromLocation();
    if (link) {
      setPhase({ kind: 'link', link: link.kind, token: link.token });
      return;
    }
    loadConnection()
      .then((connection) => {
        if (cancelled) return;
        if (connection) void open(connection);
        else setPhase({ kind: 'signin', error: null, connection: null });
      })
      .catch((error) => !cancelled && setPhase({ kind: 'signin', error: errorMessage(error), connection: null }));
    return () => {
      cancelled = true;
    };
  }, [open]);

  const signIn = useCallback(
    async (connection: Connection) => {
      saveConnection(connection);
      await open(connection);
    },
    [open],
  );

  const session = useMemo<Session | null>(() => {
    if (phase.kind !== 'ready') return null;
    return {
      connection: phase.connection,
      switchConnection: signIn,
      signOut: async () => {
        openSeq.current++;
        const store = storeRef.current;
        storeRef.current = null;
        if (store) await store.close().catch((e) => console.error('closing the store failed', e));
        if (isSessionConnection(phase.connection)) await signOutSession();
        if (!desktopBridge()) clearConnection();
        setPhase({ kind: 'signin', error: null, connection: null });
      },
    };
  }, [phase, signIn]);

  if (phase.kind === 'loading') {
    return (
      <Center h="100vh" data-testid="app-loading">
        <Stack align="center" gap="xs">
          <Loader />
          <Text c="dimmed" size="sm">
            {phase.message}
          </Text>
        </Stack>
      </Center>
    );
  }
  if (phase.kind === 'unreachable') {
    return (
      <Unreachable
        error={phase.error}
        onRetry={() => void open(phase.connection, true)}
        onSignOut={() => {
          if (isSessionConnection(phase.connection)) void signOutSession();
          if (!desktopBridge()) clearConnection();
          setPhase({ kind: 'signin', error: null, connection: null });
        }}
      />
    );
  }
  if (phase.kind === 'link') return <LinkPage kind={phase.link} token={phase.token} onConnect={signIn} />;
  if (phase.kind === 'signin') return <SignIn error={phase.error} initial={phase.connection} onConnect={signIn} />;
  return (
    <SessionContext.Provider value={session}>
      <KithProvider store={phase.store}>
        <Shell />
      </KithProvider>
    </SessionContext.Provider>
  );
}
