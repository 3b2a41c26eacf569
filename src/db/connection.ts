/**
 * Opens the database: MONGODB_URI when set, else an embedded local server (see local-server.ts).
 * Builds the indexes the code relies on (unique keys are how idempotency is enforced).
 *
 * The embedded server's files are locked while it runs, so a second process can't open them.
 * The service therefore publishes the running server's address in DATA_DIR
 * (`local-database.json`, removed on stop), and the command-line tools (`npm run access-code`,
 * `npm run admin`, `npm run seed`) connect to that server when it answers; they start their
 * own only when no service runs.
 *
 * The service's client is watched (watchdog.ts): if it stays stuck while the database answers a
 * new connection, it is recreated in place (or, with DATABASE_STUCK_ACTION=exit, the process
 * exits for its supervisor). That holds for the embedded database, which the service also
 * restarts when it dies, and for MONGODB_URI, which something else restarts.
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mongoose from 'mongoose';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { resolveDataDir } from '../paths.js';
import { startLocalServer, type LocalServer } from './local-server.js';
import { DatabaseWatchdog, mainClientAnswers } from './watchdog.js';

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

/** Where a running service says which embedded database it runs (in DATA_DIR). */
export const RUNNING_DATABASE_FILE = 'local-database.json';

interface RunningDatabase {
  uri: string;
  pid: number;
  kind: string;
  startedAt: string;
}

export function runningDatabaseFile(dataDir: string): string {
  return join(dataDir, RUNNING_DATABASE_FILE);
}

/** Written whole (a temporary file renamed), readable by the owner only. */
function publishRunning(dataDir: string, server: LocalServer): void {
  const file = runningDatabaseFile(dataDir);
  const entry: RunningDatabase = { uri: server.uri, pid: process.pid, kind: server.kind, startedAt: new Date().toISOString() };
  writeFileSync(`${file}.${process.pid}.tmp`, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
  renameSync(`${file}.${process.pid}.tmp`, file);
}

/** Removes the address, if it is still this process's (another service may have taken over). */
function unpublishRunning(dataDir: string): void {
  const file = runningDatabaseFile(dataDir);
  try {
    const entry = JSON.parse(readFileSync(file, 'utf8')) as Partial<RunningDatabase>;
    if (entry.pid === process.pid) unlinkSync(file);
  } catch {
    // Not there, or not readable: nothing to remove.
  }
}

function processAlive(pid: unknown): boolean {
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, but another user's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Connects to the embedded database a running service published, if its process lives and
 * the server answers a ping. Returns its URI, connected; null when none runs (a stale file,
 * left by a service that was killed, is ignored).
 */
export async function connectToRunning(dataDir: string): Promise<string | null> {
  let entry: Partial<RunningDatabase>;
  try {
    entry = JSON.parse(readFileSync(runningDatabaseFile(dataDir), 'utf8')) as Partial<RunningDatabase>;
  } catch {
    return null;
  }
  if (typeof entry.uri !== 'string' || !/^mongodb:\/\/(127\.0\.0\.1|localhost):\d+\//.test(entry.uri) || !processAlive(entry.pid)) return null;
  try {
    await mongoose.connect(entry.uri, { serverSelectionTimeoutMS: 3_000 });
    await mongoose.connection.db!.admin().ping();
    return entry.uri;
  } catch {
    await mongoose.disconnect().catch(() => undefined);
    return null;
  }
}

export async function connectDatabase(
  config: Pick<Config, 'MONGODB_URI' | 'DATA_DIR'> & Partial<Pick<Config, 'DATABASE_STUCK_SECONDS' | 'DATABASE_STUCK_ACTION'>>,
  logger: Logger,
  options: {
    onFatal?: (message: string) => void;
    /**
     * 'service' (default) runs the embedded database and publishes its address; 'client'
     * (the command-line tools) uses the running service's database when there is one.
     */
    role?: 'service' | 'client';
  } = {},
): Promise<Database> {
  let localServer: LocalServer | null = null;
  let uri = config.MONGODB_URI;
  let closing = false;
  let published: string | null = null;
  if (!uri && options.role === 'client') {
    const dataDir = resolveDataDir(config.DATA_DIR);
    const running = await connectToRunning(dataDir);
    if (running) {
      await import('./models.js');
      await ensureIndexes();
      logger.info({ database: 'running', listening: running }, `Using the database of the running service at ${running}`);
      return databaseHandle(null, async () => {
        await mongoose.disconnect();
      });
    }
  }
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
            if (published) publishRunning(published, restarted);
            logger.info({ database: restarted.kind }, 'The local database is running again');
          },
          (err: unknown) => fatal(`The local database stopped and could not be started again: ${(err as Error).message}`),
        );
      });
    watch(localServer);
  }
  // Models are registered on import; importing here makes sure they exist before ensureIndexes.
  await import('./models.js');
  const connectOptions: mongoose.ConnectOptions = { serverSelectionTimeoutMS: 10_000 };
  try {
    await mongoose.connect(uri, connectOptions);
  } catch (err) {
    await localServer?.stop();
    const host = safeHost(uri);
    throw new DatabaseConnectError(`Cannot reach MongoDB at ${host}: ${(err as Error).message}. Check MONGODB_URI.`);
  }
  await ensureIndexes();
  if (!localServer) logger.info({ database: 'external', host: safeHost(uri) }, `Connected to MongoDB at ${safeHost(uri)}`);
  if (localServer && options.role !== 'client') {
    published = resolveDataDir(config.DATA_DIR);
    publishRunning(published, localServer);
  }
  const watchdog =
    options.role === 'client'
      ? null
      : new DatabaseWatchdog({
          uri,
          connectOptions,
          logger,
          stuckAfterMs: (config.DATABASE_STUCK_SECONDS ?? 10) * 1000,
          onStuck: config.DATABASE_STUCK_ACTION ?? 'reconnect',
        });
  watchdog?.start();

  return databaseHandle(localServer, async () => {
    closing = true;
    await watchdog?.stop();
    if (published) unpublishRunning(published);
    await mongoose.disconnect();
    await localServer?.stop();
  });
}

function databaseHandle(localServer: LocalServer | null, close: () => Promise<void>): Database {
  return {
    connection: mongoose.connection,
    localServer,
    // A client that does not answer within 3 s is not ready (readiness never hangs).
    isReady: () => mainClientAnswers(3_000),
    close,
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
