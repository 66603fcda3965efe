/**
 * The desktop packaging configuration (issue 15, item 8), checked with electron-builder's own
 * loader and schema validator (the Electron binary cannot be fetched here, so nothing is packaged
 * in tests): the targets per platform, better-sqlite3 rebuilt for Electron and unpacked from the
 * asar, and the files a packaged app needs — the main entry, the preload, the renderer and the
 * bundled kith-mcp — all inside what the package includes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'vitest';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { DebugLogger } from 'builder-util';
import { minimatch } from 'minimatch';

const root = path.resolve('.');
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { main: string; scripts: Record<string, string> };

describe('electron-builder configuration', () => {
  test('is valid for electron-builder and targets AppImage/deb, dmg and NSIS', async () => {
    const config = await getConfig(root, 'electron-builder.yml', null);
    await validateConfiguration(config, new DebugLogger(false)); // throws on an unknown or mistyped option
    assert.deepEqual(config.linux?.target, ['AppImage', 'deb']);
    assert.deepEqual(config.mac?.target, ['dmg']);
    assert.deepEqual(config.win?.target, ['nsis']);
    assert.match(pkg.scripts.dist!, /electron-vite build && electron-builder --config electron-builder\.yml/);
    assert.match(pkg.scripts.dist!, /build:server/, 'the bundled kith-mcp is built first');
  });

  test('rebuilds better-sqlite3 for Electron and keeps it out of the asar archive', async () => {
    const config = await getConfig(root, 'electron-builder.yml', null);
    assert.equal(config.npmRebuild, true);
    const unpacked = ([] as string[]).concat(config.asarUnpack ?? []);
    assert.ok(
      unpacked.some((p) => minimatch('node_modules/better-sqlite3/build/Release/better_sqlite3.node', p)),
      'the native module is unpacked',
    );
  });

  test('packages the main entry, the preload, the renderer and the bundled kith-mcp', async () => {
    const config = await getConfig(root, 'electron-builder.yml', null);
    // electron-builder normalizes `files` to [{filter: [...]}]
    const patterns = ([] as unknown[]).concat(config.files).flatMap((f) => (typeof f === 'string' ? [f] : ((f as { filter?: string[] }).filter ?? [])));
    const included = (file: string) =>
      patterns.filter((p) => !p.startsWith('!')).some((p) => minimatch(file, p)) && !patterns.filter((p) => p.startsWith('!')).some((p) => minimatch(file, p.slice(1)));
    // the outputs of electron-vite (electron.vite.config.ts) and of the server build (scripts/build-server.mjs)
    for (const file of [pkg.main, 'out/preload/preload.cjs', 'out/renderer/index.html', 'dist/server/mcp-stdio.js', 'package.json']) assert.ok(included(file), `${file} is packaged`);
    assert.ok(!included('out/main/index.js.map'), 'source maps are left out');
    const viteConfig = fs.readFileSync('electron.vite.config.ts', 'utf8');
    for (const dir of ['out/main', 'out/preload', 'out/renderer']) assert.ok(viteConfig.includes(`'${dir}'`), `electron-vite writes ${dir}`);
    assert.ok(fs.existsSync(config.icon as string), 'the icon exists');
  });
});
