/** Entry point: `npm start`. Reads configuration, starts the service, stops it on SIGTERM/SIGINT. */
import dotenv from 'dotenv';
import { ConfigError, loadConfig } from './config/index.js';
import { DatabaseConnectError } from './db/connection.js';
import { LocalDatabaseError } from './db/local-server.js';
import { createLogger } from './logging/logger.js';
import { startService } from './service.js';

dotenv.config({ quiet: true });

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger({ level: config.LOG_LEVEL });
  // No message may take the process down. A stray rejection is logged (redacted) and the service
  // goes on; an uncaught exception leaves state unknown, so it is logged and the process exits
  // non-zero for its supervisor to restart it (nothing acknowledged is lost: see the inbox).
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, 'Unhandled rejection (the service goes on)');
  });
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'Uncaught exception: exiting for a restart');
    process.exit(1);
  });
  let service;
  try {
    service = await startService(config, logger);
  } catch (err) {
    if (err instanceof LocalDatabaseError || err instanceof DatabaseConnectError || err instanceof Error) {
      logger.fatal(err.message);
      process.exit(1);
    }
    throw err;
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'Shutting down');
    service
      .stop()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err }, 'Shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
