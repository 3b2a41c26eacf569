/**
 * What the sending benchmarks (bench/dispatch.ts, bench/broadcast.ts) share: a dispatcher on
 * the Telegram outbound, the same dispatcher in a child process (to kill with SIGKILL), and a
 * database of its own on MONGODB_URI or the stand-in.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Api } from 'grammy';
import mongoose from 'mongoose';
import { ChannelRegistry } from '../../src/channels/channel.js';
import { createTelegramOutbound } from '../../src/channels/telegram/outbound.js';
import { ensureIndexes } from '../../src/db/connection.js';
import { startStandIn, type LocalServer } from '../../src/db/local-server.js';
import { Dispatcher } from '../../src/pipeline/dispatcher.js';

export const silent = { debug() {}, info() {}, warn() {}, error() {} };

export function dispatcherFor(token: string, apiRoot: string, leaseMs?: number): Dispatcher {
  const channels = new ChannelRegistry();
  channels.register(createTelegramOutbound({ api: new Api(token, { apiRoot, timeoutSeconds: 10 }), logger: silent }));
  return new Dispatcher({ channels, logger: silent, pollIntervalMs: 200, ...(leaseMs ? { leaseMs } : {}) });
}

/**
 * Call first thing in a benchmark script: when the script was started by spawnDispatcher, it
 * runs one dispatcher until the outbox is drained (or it is killed) and exits.
 */
export async function runDispatcherChildIfAsked(token: string): Promise<void> {
  if (!process.argv.includes('--child')) return;
  await mongoose.connect(process.env.BENCH_DB_URI!);
  const d = dispatcherFor(token, process.env.BENCH_API_ROOT!, Number(process.env.BENCH_LEASE_MS ?? 30_000));
  d.start();
  d.wake();
  process.stdout.write('ready\n');
  await d.drained();
  await d.stop();
  await mongoose.disconnect();
  process.exit(0);
}

/** Starts `script` (a benchmark's own file) as a dispatcher child on the database `uri`. */
export function spawnDispatcher(script: string, uri: string, apiRoot: string, leaseMs = 30_000): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script, '--child'], {
    env: { ...process.env, BENCH_DB_URI: uri, BENCH_API_ROOT: apiRoot, BENCH_LEASE_MS: String(leaseMs) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** Resolves when the child's dispatcher has started (process start-up and tsx are not the dispatcher's time). */
export const started = (p: ChildProcess) => new Promise<void>((r) => p.stdout!.on('data', (b: Buffer) => b.toString().includes('ready') && r()));
export const exited = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));

/** Connects mongoose to a fresh database; `close()` drops it and stops the stand-in if one was started. */
export async function benchDatabase(name: string): Promise<{ uri: string; label: string; close(): Promise<void> }> {
  let server: LocalServer | null = null;
  let base = process.env.MONGODB_URI?.trim();
  if (!base) {
    server = await startStandIn();
    base = server.uri;
  }
  const url = new URL(base);
  url.pathname = `/${name}_${randomUUID().slice(0, 8)}`;
  const uri = url.toString();
  await mongoose.connect(uri);
  await ensureIndexes();
  return {
    uri,
    label: server ? 'stand-in (memory)' : 'MONGODB_URI',
    async close() {
      await mongoose.connection.db?.dropDatabase();
      await mongoose.disconnect();
      await server?.stop();
    },
  };
}
