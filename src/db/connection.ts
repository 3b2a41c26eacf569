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
 * A service started with another DATA_DIR (or PORT) is found too: each also leaves a note in a
 * per-user folder of the machine (`<tmp>/suara-desa-<uid>/services/<pid>.json`, with its
 * DATA_DIR, port and PUBLIC_BASE_URL). A tool with no DATA_DIR of its own set uses the one
 * service running; otherwise it says plainly which database it used and that it is not the
 * running service's (`Database.source`).
 *
 * The service's client is watched (watchdog.ts): if it stays stuck while the database answers a
 * new connection, it is recreated in place (or, with DATABASE_STUCK_ACTION=exit, the process
 * exits for its supervisor). That holds for the embedded database, which the service also
 * restarts when it dies, and for MONGODB_URI, which something else restarts.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { resolveDataDir } from '../paths.js';
import { startLocalServer, type LocalServer } from './local-server.js';
import { DatabaseWatchdog, mainClientAnswers } from './watchdog.js';

/** Which database a command-line tool used, for it to say so. */
export interface DatabaseSource {
  kind: 'running-service' | 'own' | 'external';
  /** The data folder of the database used (own or the service's). */
  dataDir: string | null;
  /** The service whose database this is (running-service), or the ones running elsewhere (own). */
  services: RunningService[];
}

export interface Database {
  connection: mongoose.Connection;
  source: DatabaseSource;
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
  dataDir?: string;
  port?: number;
  publicBaseUrl?: string | null;
}

export interface RunningService {
  uri: string;
  dataDir: string;
  port: number | null;
  /** Where its workspace is opened: PUBLIC_BASE_URL, else http://localhost:<port>. */
  baseUrl: string | null;
}

/** The machine-wide notes of running services (one file per service process); SUARA_DESA_RUN_DIR moves them (tests). */
export function runningServicesDir(): string {
  return process.env.SUARA_DESA_RUN_DIR ?? join(tmpdir(), `suara-desa-${process.getuid?.() ?? 'user'}`, 'services');
}

export function runningDatabaseFile(dataDir: string): string {
  return join(dataDir, RUNNING_DATABASE_FILE);
}

interface ServiceAddress { port?: number; publicBaseUrl?: string | null }

/** Written whole (a temporary file renamed), readable by the owner only; in DATA_DIR and in the machine-wide folder. */
function publishRunning(dataDir: string, server: LocalServer, address: ServiceAddress): void {
  const entry: RunningDatabase = { uri: server.uri, pid: process.pid, kind: server.kind, startedAt: new Date().toISOString(), dataDir, ...address };
  const write = (file: string) => {
    writeFileSync(`${file}.${process.pid}.tmp`, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    renameSync(`${file}.${process.pid}.tmp`, file);
  };
  write(runningDatabaseFile(dataDir));
  try {
    mkdirSync(runningServicesDir(), { recursive: true, mode: 0o700 });
    write(join(runningServicesDir(), `${process.pid}.json`));
  } catch {
    // Only a convenience for the tools: the service runs without it.
  }
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
  try {
    unlinkSync(join(runningServicesDir(), `${process.pid}.json`));
  } catch {
    // Not there: nothing to remove.
  }
}

function readEntry(file: string): Partial<RunningDatabase> | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Partial<RunningDatabase>;
  } catch {
    return null;
  }
}

const LOCAL_URI = /^mongodb:\/\/(127\.0\.0\.1|localhost):\d+\//;

function serviceOf(entry: Partial<RunningDatabase>, dataDir: string): RunningService {
  const port = typeof entry.port === 'number' && entry.port > 0 ? entry.port : null;
  return { uri: entry.uri!, dataDir: entry.dataDir ?? dataDir, port, baseUrl: entry.publicBaseUrl ?? (port ? `http://localhost:${port}` : null) };
}

/** Services running on this machine (live process, embedded database), from the machine-wide notes; stale notes are removed. */
export function runningServices(): RunningService[] {
  let files: string[];
  try {
    files = readdirSync(runningServicesDir()).filter((f) => /^\d+\.json$/.test(f));
  } catch {
    return [];
  }
  return files.flatMap((f) => {
    const entry = readEntry(join(runningServicesDir(), f));
    if (!entry || typeof entry.uri !== 'string' || !LOCAL_URI.test(entry.uri) || typeof entry.dataDir !== 'string') return [];
    if (!processAlive(entry.pid)) {
      try { unlinkSync(join(runningServicesDir(), f)); } catch { /* another tool removed it */ }
      return [];
    }
    return [serviceOf(entry, entry.dataDir)];
  });
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
  const entry = readEntry(runningDatabaseFile(dataDir));
  if (!entry || typeof entry.uri !== 'string' || !LOCAL_URI.test(entry.uri) || !processAlive(entry.pid)) return null;
  return (await connectTo(entry.uri)) ? entry.uri : null;
}

async function connectTo(uri: string): Promise<boolean> {
  try {
    await mongoose.connect(uri, { serverSelectionTimeoutMS: 3_000 });
    await mongoose.connection.db!.admin().ping();
    return true;
  } catch {
    await mongoose.disconnect().catch(() => undefined);
    return false;
  }
}

export async function connectDatabase(
  config: Pick<Config, 'MONGODB_URI' | 'DATA_DIR'> & Partial<Pick<Config, 'PORT' | 'PUBLIC_BASE_URL' | 'DATABASE_STUCK_SECONDS' | 'DATABASE_STUCK_ACTION'>>,
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
  let elsewhere: RunningService[] = [];
  if (!uri && options.role === 'client') {
    const dataDir = resolveDataDir(config.DATA_DIR);
    const here = readEntry(runningDatabaseFile(dataDir));
    let running = await connectToRunning(dataDir) ? serviceOf(here!, dataDir) : null;
    elsewhere = runningServices().filter((s) => resolveDataDir(s.dataDir) !== dataDir);
    // No DATA_DIR of its own: the one service running elsewhere is the one meant.
    if (!running && process.env.DATA_DIR === undefined && elsewhere.length === 1 && (await connectTo(elsewhere[0]!.uri))) running = elsewhere[0]!;
    if (running) {
      await import('./models.js');
      await ensureIndexes();
      logger.info({ database: 'running', listening: running.uri }, `Using the database of the running service at ${running.uri}`);
      return databaseHandle(null, { kind: 'running-service', dataDir: running.dataDir, services: [running] }, async () => {
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
            if (published) publishRunning(published, restarted, { port: config.PORT, publicBaseUrl: config.PUBLIC_BASE_URL ?? null });
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
  const address: ServiceAddress = { port: config.PORT, publicBaseUrl: config.PUBLIC_BASE_URL ?? null };
  if (localServer && options.role !== 'client') {
    published = resolveDataDir(config.DATA_DIR);
    publishRunning(published, localServer, address);
  }
  const source: DatabaseSource = localServer ? { kind: 'own', dataDir: resolveDataDir(config.DATA_DIR), services: elsewhere } : { kind: 'external', dataDir: null, services: [] };
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

  return databaseHandle(localServer, source, async () => {
    closing = true;
    await watchdog?.stop();
    if (published) unpublishRunning(published);
    await mongoose.disconnect();
    await localServer?.stop();
  });
}

function databaseHandle(localServer: LocalServer | null, source: DatabaseSource, close: () => Promise<void>): Database {
  return {
    connection: mongoose.connection,
    source,
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
