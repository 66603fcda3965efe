// ESLint flat config: typescript-eslint's recommended rules, React hooks in the renderer, Prettier
// for formatting (eslint-config-prettier turns off rules that would fight it), and the import
// boundaries that encode the architecture (AGENTS.md, "Layers"). `npm run lint` must be clean with
// zero warnings.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** A `no-restricted-imports` rule forbidding the given path patterns (gitignore-style) with a reason. */
const forbid = (...groups) => ({
  'no-restricted-imports': ['error', { patterns: groups.map(([group, message]) => ({ group, message })) }],
});

const ANY = (dir) => [`**/${dir}`, `**/${dir}/**`];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', 'data/', 'test-results/', 'scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // the codebase crosses untyped boundaries (RxDB documents, JSON bodies) on purpose, at the edges
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },

  // ---- layers (see AGENTS.md)
  {
    files: ['shared/**/*.ts'],
    rules: forbid(
      [[...ANY('server'), ...ANY('renderer'), ...ANY('main')], 'shared/ is isomorphic: it imports nothing from server/, renderer/ or main/.'],
      [['node:*', 'fs', 'path', 'crypto', 'react', 'react-dom'], 'shared/ runs in Node and the browser: no Node built-ins, no UI.'],
    ),
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    rules: forbid(
      [ANY('server'), 'The renderer talks to the server over HTTP (/crm, /sync) only; share code through shared/.'],
      [ANY('main'), 'The renderer reaches the desktop shell through the preload bridge (window.kith), not main/.'],
    ),
  },
  {
    files: ['server/domain/**/*.ts'],
    rules: forbid([[...ANY('http'), ...ANY('rest'), ...ANY('mcp'), ...ANY('sync')], 'The domain knows no transport: REST, MCP, sync and HTTP are adapters over it.']),
  },
  {
    files: ['server/rest/**/*.ts'],
    rules: forbid(
      [ANY('store'), 'Adapters reach data through the domain services (or a read port the domain exposes), never server/store/.'],
      [[...ANY('mcp'), ...ANY('sync')], 'Adapters do not import each other; shared HTTP pieces live in server/http/.'],
    ),
  },
  {
    files: ['server/mcp/**/*.ts'],
    rules: forbid(
      [ANY('store'), 'Adapters reach data through the domain services (or a read port the domain exposes), never server/store/.'],
      [[...ANY('rest'), ...ANY('sync')], 'Adapters do not import each other; shared HTTP pieces live in server/http/.'],
    ),
  },
  {
    files: ['server/sync/**/*.ts'],
    rules: forbid(
      [ANY('store'), 'Adapters reach data through the domain services (or a read port the domain exposes), never server/store/.'],
      [[...ANY('rest'), ...ANY('mcp')], 'Adapters do not import each other; shared HTTP pieces live in server/http/.'],
    ),
  },
  {
    files: ['server/oauth/**/*.ts'],
    rules: forbid(
      [ANY('store'), 'Adapters reach data through the domain services (or a read port the domain exposes), never server/store/.'],
      [[...ANY('rest'), ...ANY('mcp'), ...ANY('sync')], 'Adapters do not import each other; shared HTTP pieces live in server/http/.'],
    ),
  },
  {
    files: ['server/store/**/*.ts'],
    rules: forbid([[...ANY('domain'), ...ANY('http'), ...ANY('rest'), ...ANY('mcp'), ...ANY('sync')], 'The store is the bottom layer: it imports shared/ only.']),
  },
  {
    files: ['main/**/*.ts'],
    rules: forbid(
      [['**/server/**', '!**/server/server.js', '!**/server/api.js'], "main/ uses only the server's public API (server/server.ts, server/api.ts)."],
      [ANY('renderer'), 'main/ does not import the renderer; it loads it.'],
    ),
  },
);
