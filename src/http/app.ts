/** The express app: health, readiness, and the routers each part mounts (webhooks, simulator, API). */
import express, { type Request, type Response, type NextFunction } from 'express';
import type { Logger } from '../logging/logger.js';

export interface AppDeps {
  logger: Logger;
  isReady(): Promise<boolean>;
  /** Set while shutting down: readiness turns 503 so a load balancer stops sending work. */
  isShuttingDown(): boolean;
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    if (deps.isShuttingDown()) return void res.status(503).json({ status: 'shutting-down' });
    const ready = await deps.isReady();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'database-unreachable' });
  });

  return app;
}

/** Mounted last: unknown routes get 404, malformed JSON gets 400, anything else 500 without internals. */
export function finishApp(app: express.Express, logger: Logger): void {
  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'No such endpoint.' });
  });
  app.use((err: Error & { status?: number; type?: string }, req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'entity.parse.failed') {
      return void res.status(400).json({ error: 'bad_json', message: 'The request body is not valid JSON.' });
    }
    if (err.type === 'entity.too.large') {
      return void res.status(413).json({ error: 'too_large', message: 'The request body is too large.' });
    }
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) logger.error({ err, path: req.path }, 'Request failed');
    res.status(status).json({ error: status === 500 ? 'internal' : 'bad_request', message: status === 500 ? 'Something went wrong on our side.' : err.message });
  });
}
