/**
 * Starts an embedded MongoDB-compatible server when MONGODB_URI is not set, so that one
 * command runs the whole service on a fresh machine:
 *   1. a real `mongod`, if one is installed on the PATH;
 *   2. else mongo-java-server (Java 17, jars from Maven Central) with H2 file storage.
 * Binaries are never downloaded at run time from outside the package registries.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot, standInDir, standInLibDir } from '../paths.js';

export type LocalServerKind = 'mongod' | 'mongo-java-server';

export interface LocalServer {
  kind: LocalServerKind;
  uri: string;
  /** Where the data lives, or 'memory'. */
  dataPath: string;
  /** Called once if the server dies on its own (not through stop()). */
  onUnexpectedExit(listener: (code: number | null, signal: string | null) => void): void;
  stop(): Promise<void>;
}

export class LocalDatabaseError extends Error {
  override name = 'LocalDatabaseError';
}

const HOW_TO_FIX =
  'Set MONGODB_URI to a MongoDB 6+ server (e.g. mongodb://localhost:27017/suaradesa), or install a Java 17 JDK and Maven so the local stand-in can run (npm run standin:fetch).';

function commandExists(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

/** A TCP port free on 127.0.0.1 right now (for mongod here; tests use it for their servers too). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function stopChild(child: ChildProcess, closeStdin: boolean): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (closeStdin) child.stdin?.end();
    else child.kill('SIGTERM');
  });
}

async function startMongod(dataDir: string): Promise<LocalServer> {
  const dbPath = join(dataDir, 'mongod');
  mkdirSync(dbPath, { recursive: true });
  const port = await freePort();
  const child = spawn('mongod', ['--dbpath', dbPath, '--port', String(port), '--bind_ip', '127.0.0.1', '--quiet'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await waitForPort(port, child, 30_000);
  return { kind: 'mongod', uri: `mongodb://127.0.0.1:${port}/suaradesa`, dataPath: dbPath, ...supervise(child, false) };
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new LocalDatabaseError(`mongod exited with code ${child.exitCode}. ${HOW_TO_FIX}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new LocalDatabaseError(`mongod did not start within ${timeoutMs / 1000}s. ${HOW_TO_FIX}`);
}

function ensureStandInJars(): void {
  const present = () => existsSync(standInLibDir) && readdirSync(standInLibDir).some((f) => f.startsWith('mongo-java-server-core'));
  if (present()) return;
  if (!commandExists('mvn', ['-v'])) {
    throw new LocalDatabaseError(`The local MongoDB stand-in needs Maven to fetch it once, and mvn was not found. ${HOW_TO_FIX}`);
  }
  const result = spawnSync('node', [join(projectRoot, 'scripts', 'fetch-mongo-standin.mjs')], { stdio: 'inherit' });
  if (result.status !== 0 || !present()) throw new LocalDatabaseError(`Fetching the MongoDB stand-in failed. ${HOW_TO_FIX}`);
}

/**
 * Starts mongo-java-server. `dataFile` undefined keeps everything in memory (tests).
 * The child stops when its stdin closes, so it never outlives this process.
 */
export async function startStandIn(dataFile?: string, options: { port?: number; fsync?: boolean } = {}): Promise<LocalServer> {
  // StandIn.java runs through Java's single-file launcher, which compiles it: a JDK, not just a JRE.
  if (!commandExists('java', ['-version']) || !commandExists('javac', ['-version'])) {
    throw new LocalDatabaseError(`A Java 17 JDK (java and javac) was not found for the local MongoDB stand-in. ${HOW_TO_FIX}`);
  }
  ensureStandInJars();
  const args = ['-Xss4m', '-cp', join(standInLibDir, '*'), join(standInDir, 'StandIn.java'), String(options.port ?? 0)];
  if (dataFile) args.push(dataFile);
  if (options.fsync === false) args.push('--no-fsync');
  const child = spawn('java', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderrTail: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTail.push(chunk.toString());
    if (stderrTail.length > 20) stderrTail.shift();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new LocalDatabaseError(`The MongoDB stand-in did not start within 60s. ${HOW_TO_FIX}`)), 60_000);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const match = /^LISTENING (\d+)$/.exec(line.trim());
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
      if (line.startsWith('IN_USE ')) {
        clearTimeout(timer);
        reject(new LocalDatabaseError(`The data folder ${dirname(dataFile ?? '.')} is in use by another Suara Desa (a second npm start?). Stop that one, or set DATA_DIR to another folder.`));
      }
      if (line.startsWith('PORT_IN_USE ')) {
        clearTimeout(timer);
        reject(new LocalDatabaseError(`The local database could not listen on port ${line.slice(12)}: it is taken.`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      const detail = stderrTail.join('').split('\n').filter(Boolean).slice(-3).join(' | ');
      reject(new LocalDatabaseError(`The MongoDB stand-in exited with code ${code}${detail ? `: ${detail}` : ''}. ${HOW_TO_FIX}`));
    });
  });
  child.stdout?.resume();
  return {
    kind: 'mongo-java-server',
    uri: `mongodb://127.0.0.1:${port}/suaradesa`,
    dataPath: dataFile ?? 'memory',
    ...supervise(child, true),
  };
}

/** stop() for a child, and a way to hear when it dies on its own. */
function supervise(child: ChildProcess, closeStdin: boolean): Pick<LocalServer, 'stop' | 'onUnexpectedExit'> {
  let stopping = false;
  const listeners: ((code: number | null, signal: string | null) => void)[] = [];
  child.once('exit', (code, signal) => {
    if (!stopping) for (const l of listeners) l(code, signal);
  });
  return {
    onUnexpectedExit: (listener) => void listeners.push(listener),
    stop: () => {
      stopping = true;
      return stopChild(child, closeStdin);
    },
  };
}

/** Starts the best local server available, storing data under dataDir. */
export async function startLocalServer(dataDir: string, options: { port?: number; fsync?: boolean } = {}): Promise<LocalServer> {
  mkdirSync(dataDir, { recursive: true });
  if (commandExists('mongod', ['--version'])) return startMongod(dataDir);
  return startStandIn(join(dataDir, 'suaradesa.mv.db'), options);
}
