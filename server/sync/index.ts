/** Mounts /sync on an app and registers the closer that ends open streams on shutdown. */
import type { Express } from 'express';
import type { Services } from '../domain/services.js';
import { syncRouter } from './router.js';

export function mountSync(app: Express, services: Services, closers: (() => Promise<void> | void)[]): void {
  const { router, hub } = syncRouter(services);
  app.use('/sync', router);
  closers.push(() => hub.closeAll());
}
