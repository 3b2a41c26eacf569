/**
 * Opens the database: MONGODB_URI when set, else an embedded local server (see local-server.ts).
 * Builds the indexes the code relies on (unique keys are how idempotency is enforced).
 */
import mongoose from 'mongoose';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { resolveDataDir } from '../paths.js';
import { startLocalServer, type LocalServer } from './local-server.js';

export interface Database {
  connection: mongoose.Connection;
  /** The embedded server, when one was started. */
  localServer: LocalServer | null;
  isReady(): Promise<boolean>;
  close(): Promise<void>;
}

export class DatabaseConnectError extends Error {
  override name = 'DatabaseConnectError';
}

/** Ensures every model's indexes exist (awaited, so unique keys are in force before work starts). */
export async function ensureIndexes(): Promise<void> {
  await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
}

export async function connectDatabase(
  config: Pick<Config, 'MONGODB_URI' | 'DATA_DIR'>,
  logger: Logger,
  options: { onFatal?: (message: string) => void } = {},
): Promise<Database> {
  let localServer: LocalServer | null = null;
  let uri = config.MONGODB_URI;
  let closing = false;
  if (!uri) {
    const dataDir = resolveDataDir(config.DATA_DIR);
    localServer = await startLocalServer(dataDir);
    uri = localServer.uri;
    logger.info(
      { database: localServer.kind, dataPath: localServer.dataPath, listening: uri },
      `Started local database (${localServer.kind}) at ${uri} (open it with mongosh or Compass), data in ${localServer.dataPath}`,
    );
    // Supervised: if the local database dies, it is started again on the same port (the driver
    // reconnects by itself); if that fails, one clear line and a non-zero exit for a supervisor.
    const port = Number(new URL(uri.replace(/^mongodb:/, 'http:')).port);
    const fatal = options.onFatal ?? ((message: string) => {
      logger.fatal(message);
      process.exit(1);
    });
    const watch = (server: LocalServer) =>
      server.onUnexpectedExit((code, signal) => {
        if (closing) return;
        logger.error({ code, signal }, 'The local database stopped unexpectedly; starting it again');
        startLocalServer(dataDir, { port }).then(
          (restarted) => {
            localServer = restarted;
            watch(restarted);
            logger.info({ database: restarted.kind }, 'The local database is running again');
          },
          (err: unknown) => fatal(`The local database stopped and could not be started again: ${(err as Error).message}`),
        );
      });
    watch(localServer);
  }
  // Models are registered on import; importing here makes sure they exist before ensureIndexes.
  await import('./models.js');
  try {
    await mongoose.connect(uri, { serverSelectionTimeoutMS: 10_000 });
  } catch (err) {
    await localServer?.stop();
    const host = safeHost(uri);
    throw new DatabaseConnectError(`Cannot reach MongoDB at ${host}: ${(err as Error).message}. Check MONGODB_URI.`);
  }
  await ensureIndexes();
  if (!localServer) logger.info({ database: 'external', host: safeHost(uri) }, `Connected to MongoDB at ${safeHost(uri)}`);

  return {
    connection: mongoose.connection,
    localServer,
    async isReady() {
      try {
        if (mongoose.connection.readyState !== 1 || !mongoose.connection.db) return false;
        await mongoose.connection.db.admin().ping();
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      closing = true;
      await mongoose.disconnect();
      await localServer?.stop();
    },
  };
}

/** Host part of a connection string, without credentials, for logs and error messages. */
function safeHost(uri: string): string {
  try {
    const parsed = new URL(uri.replace(/^mongodb(\+srv)?:/, 'http:'));
    return parsed.host;
  } catch {
    return '(unparseable URI)';
  }
}
