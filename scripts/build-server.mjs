// Bundles the server entry points to plain ES-module JavaScript in dist/server/ (dependencies
// stay in node_modules), so `node dist/server/main.js` and the `kith-mcp` bin run directly.
import { build } from 'esbuild';
import fs from 'node:fs';

const entryPoints = { main: 'server/main.ts', cli: 'server/cli.ts', 'mcp-stdio': 'server/mcp/stdio.ts' };
for (const [name, file] of Object.entries(entryPoints)) if (!fs.existsSync(file)) delete entryPoints[name];

await build({
  entryPoints,
  outdir: 'dist/server',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});
for (const name of Object.keys(entryPoints)) fs.chmodSync(`dist/server/${name}.js`, 0o755);
console.log(`built dist/server/{${Object.keys(entryPoints).join(',')}}.js`);
