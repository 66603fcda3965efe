/**
 * The web app's service worker (built by vite-plugin-pwa, see vite.web.config.ts): registered on
 * the web only — the desktop window loads its own files and has no worker. The worker precaches
 * the app shell and assets, so a reload without network opens the app on the local data. A new
 * version's worker takes over in the background; the page in use keeps running, and the next load
 * runs the new version and says so ("Kith was updated").
 */
import { notifications } from '@mantine/notifications';

/** Set by vite.web.config.ts at build time; absent in the desktop build. */
declare const __KITH_BUILD__: string | undefined;

const VERSION_KEY = 'kith.build';

export function buildId(): string | null {
  return typeof __KITH_BUILD__ === 'string' ? __KITH_BUILD__ : null;
}

/**
 * Remembers the build this page runs; true when a different one ran here before (an update).
 * `storage` is injectable for tests.
 */
export function noteBuild(current: string | null, storage: Pick<Storage, 'getItem' | 'setItem'> | null): boolean {
  if (!current || !storage) return false;
  let previous: string | null;
  try {
    previous = storage.getItem(VERSION_KEY);
    storage.setItem(VERSION_KEY, current);
  } catch {
    return false; // storage unavailable (private mode, quota): nothing to compare
  }
  return previous !== null && previous !== current;
}

function isDesktop(): boolean {
  return typeof window !== 'undefined' && 'kithDesktop' in window && !!(window as { kithDesktop?: unknown }).kithDesktop;
}

/** Registers the service worker (web only) and shows the "updated" notice when a new version runs. */
export function startOfflineShell(): void {
  if (typeof window === 'undefined' || isDesktop()) return;
  if (noteBuild(buildId(), window.localStorage)) {
    notifications.show({
      id: 'kith-updated',
      color: 'indigo',
      title: 'Kith was updated',
      message: 'You are using the new version.',
      autoClose: 8000,
      'data-testid': 'updated-notice',
    } as Parameters<typeof notifications.show>[0]);
  }
  if (!('serviceWorker' in navigator) || !/^https?:$/.test(location.protocol) || !buildId()) return;
  const hadController = !!navigator.serviceWorker.controller;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    // a new version was installed while this page was open: it runs from the next load
    if (!hadController) return;
    notifications.show({
      id: 'kith-update-ready',
      color: 'indigo',
      title: 'A new version of Kith is ready',
      message: 'It opens the next time you load the app.',
      autoClose: 8000,
    });
  });
  const register = () => void navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((error) => console.warn('Kith: the offline app shell could not be installed', error));
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register, { once: true });
}
