// Builds the renderer as a web app into dist/web; the server serves it at /.
// The web app is an installable PWA (SPEC §6): vite-plugin-pwa generates a Workbox service worker
// (dist/web/sw.js) that precaches the app shell and every asset, so a reload without network opens
// the app on the local data. A new worker takes over at once (skipWaiting + clientsClaim) without
// reloading the page; the new version runs from the next load, which says so (renderer/lib/pwa.ts).
// The desktop app builds with electron.vite.config.ts (no service worker) and registers none.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { VitePWA } from 'vite-plugin-pwa';

const BUILD_ID = new Date().toISOString();

export default defineConfig({
  root: 'renderer',
  base: '/',
  define: { __KITH_BUILD__: JSON.stringify(BUILD_ID) },
  plugins: [
    react(),
    VitePWA({
      // registered by renderer/lib/pwa.ts (no inline script: the server's CSP forbids it)
      injectRegister: false,
      registerType: 'autoUpdate',
      filename: 'sw.js',
      manifest: {
        name: 'Kith CRM',
        short_name: 'Kith',
        description: 'A lightweight, offline-first CRM',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#f8f9fa',
        theme_color: '#4c6ef5',
        icons: [
          { src: '/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,svg,png,ico,woff,woff2,webmanifest}'],
        // the main chunk is ~1.4 MB; precache it whatever it grows to
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
        navigateFallback: '/index.html',
        // the server's own paths are never answered with the app shell
        navigateFallbackDenylist: [/^\/health$/, /^\/crm(\/|$)/, /^\/sync(\/|$)/, /^\/mcp(\/|$)/, /^\/auth\//, /^\/oauth\//, /^\/\.well-known\//, /^\/docs(\/|$)/, /^\/openapi/],
        skipWaiting: true,
        clientsClaim: true,
        cleanupOutdatedCaches: true,
      },
    }),
  ],
  build: { outDir: '../dist/web', emptyOutDir: true, chunkSizeWarningLimit: 4000 },
});
