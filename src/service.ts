/**
 * The composition root: wires configuration, database, seed, HTTP and channels into one
 * running service, and takes it down gracefully.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config/index.js';
import { connectDatabase, type Database } from './db/connection.js';
import { seedVillages } from './db/seed.js';
import { createApp, finishApp } from './http/app.js';
import type { Logger } from './logging/logger.js';

export interface RunningService {
  port: number;
  db: Database;
  stop(): Promise<void>;
}

export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  const db = await connectDatabase(config, logger);
  const seeded = await seedVillages();
  logger.info({ inserted: seeded.inserted, total: seeded.total }, `Villages: ${seeded.total} in the seed, ${seeded.inserted} newly added`);

  let shuttingDown = false;
  const app = createApp({ logger, isReady: () => db.isReady(), isShuttingDown: () => shuttingDown });
  finishApp(app, logger);

  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.PORT, () => resolve(s));
    s.once('error', reject);
  }).catch(async (err: NodeJS.ErrnoException) => {
    await db.close();
    throw new Error(err.code === 'EADDRINUSE' ? `PORT ${config.PORT} is already in use; set PORT to a free port` : err.message);
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port }, `Listening on http://localhost:${port}`);

  return {
    port,
    db,
    async stop() {
      if (shuttingDown) return;
      shuttingDown = true;
      // Stop taking new connections, let in-flight requests finish, then close the database.
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await db.close();
      logger.info('Stopped');
    },
  };
}
