// electron-vite: main process (main/index.ts → out/main/index.js), the sandboxed preload
// (main/preload.ts → out/preload/preload.cjs; sandboxed preloads must be CommonJS and
// self-contained) and the renderer (renderer/index.html → out/renderer, served to the window by
// the in-process server).
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: { input: { index: resolve('main/index.ts') } },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: false,
      rollupOptions: {
        input: { preload: resolve('main/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'renderer',
    // Absolute asset URLs: the window loads the UI from the server at / with a history fallback
    // (/deals/:id …), where electron-vite's file:// default ('./') would break on nested routes.
    plugins: [react(), { name: 'kith-absolute-base', enforce: 'post', config: () => ({ base: '/' }) }],
    build: {
      outDir: 'out/renderer',
      chunkSizeWarningLimit: 4000,
      rollupOptions: { input: { index: resolve('renderer/index.html') } },
    },
  },
});
