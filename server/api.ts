/**
 * The server's public API for code outside server/ (the desktop main process): start a server,
 * the shape of a running one, and the few contract constants a shell needs. main/ imports only
 * this file and server/server.ts (the linter enforces it).
 */
export { startServer, type RunningServer, type ServerOptions } from './server.js';
export type { Services } from './domain/services.js';
export { API_KEY_PATTERN } from './domain/accounts.js';
