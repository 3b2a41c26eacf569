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
): Promise<Database> {
  let localServer: LocalServer | null = null;
  let uri = config.MONGODB_URI;
  if (!uri) {
    localServer = await startLocalServer(resolveDataDir(config.DATA_DIR));
    uri = localServer.uri;
    logger.info({ database: localServer.kind, dataPath: localServer.dataPath }, `Started local database (${localServer.kind}), data in ${localServer.dataPath}`);
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
