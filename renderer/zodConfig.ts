/**
 * Imported first by the entry: the server's Content-Security-Policy allows no eval, so zod is told
 * not to compile validators (and not to probe whether it may, a probe the browser reports as a
 * violation) before any schema is built or used.
 */
import { z } from 'zod';

z.config({ jitless: true });
