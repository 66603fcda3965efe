/**
 * Electron main entry (built by electron-vite to out/main/index.js, package.json `main`).
 * Everything but the wiring lives in desktop.ts so it can be tested with a fake `electron`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, safeStorage, session, shell } from 'electron';
import { createDesktop } from './desktop.js';

const here = path.dirname(fileURLToPath(import.meta.url)); // out/main

/** The bundled stdio MCP server; outside the asar archive when packaged, so a plain Node can run it. */
function mcpScript(): string {
  const script = path.join(app.getAppPath(), 'dist', 'server', 'mcp-stdio.js');
  return app.isPackaged ? script.replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`) : script;
}

/** Main-process log: stdout and <userData>/logs/main.log (a packaged app has no visible console). */
function log(line: string): void {
  const stamped = `${new Date().toISOString()} ${line}`;
  console.log(`[kith] ${stamped}`);
  try {
    const dir = path.join(app.getPath('userData'), 'logs');
    fs.mkdirSync(dir, { recursive: true });
    fs.appendFileSync(path.join(dir, 'main.log'), stamped + '\n');
  } catch {
    // logging must never take the app down
  }
}

const desktop = createDesktop({
  electron: { app, BrowserWindow, ipcMain, safeStorage, shell, session, dialog },
  preloadPath: path.join(here, '../preload/preload.cjs'),
  uiDir: path.join(here, '../renderer'),
  mcpScript: mcpScript(),
  argv: process.argv.slice(1),
  log,
});

desktop.start().catch((error: Error) => {
  log(`could not start: ${error.stack ?? error.message}`);
  dialog.showErrorBox('Kith could not start', error.stack ?? error.message);
  void desktop.shutdown().finally(() => app.exit(1));
});
