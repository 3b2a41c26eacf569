/**
 * DATABASE_STUCK_ACTION=exit: where a supervisor restarts the process, the watchdog leaves the
 * recovery to it: one fatal line and exit code 1 once the client is stuck while the database
 * answers new connections (and not while the database itself is away).
 */
import mongoose from 'mongoose';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { DatabaseWatchdog } from '../../src/db/watchdog.js';
import { proxiedTestDatabase, type TcpProxy } from '../helpers/tcp-proxy.js';

let proxy: TcpProxy;
let uri: string;
let watchdog: DatabaseWatchdog | undefined;

beforeAll(async () => {
  ({ proxy, uri } = await proxiedTestDatabase());
  // One connection: when it goes silent, the client has none that answers (the service's own has
  // many, and the watchdog's service test freezes them all).
  await mongoose.connect(uri, { serverSelectionTimeoutMS: 1000, maxPoolSize: 1 });
});
afterAll(async () => {
  await watchdog?.stop();
  await mongoose.disconnect().catch(() => undefined);
  await proxy.close();
});

it('exits with code 1 for its supervisor once the client stays stuck while the database answers new connections', async () => {
  const exits: number[] = [];
  const fatal: string[] = [];
  const logger = { info: () => undefined, warn: () => undefined, error: () => undefined, fatal: (m: unknown) => void fatal.push(String(m)) };
  watchdog = new DatabaseWatchdog({ uri, connectOptions: {}, logger: logger as never, onStuck: 'exit', stuckAfterMs: 1000, intervalMs: 300, pingTimeoutMs: 2000, exit: (code) => void exits.push(code) });
  watchdog.start();

  // The database away altogether: nothing a restart of this process would fix, so no exit.
  await proxy.cut();
  const before = watchdog.checks;
  // Enough checks for it to have acted, were it going to (4 checks of a second or more, against 1 s).
  await vi.waitFor(() => expect(watchdog!.checks).toBeGreaterThanOrEqual(before + 4), { timeout: 30_000, interval: 100 });
  expect(exits).toEqual([]);

  // Back, but this client's connections silent: exit.
  await proxy.restore();
  await vi.waitFor(async () => expect((await mongoose.connection.db!.admin().ping()).ok).toBe(1), { timeout: 15_000, interval: 200 });
  proxy.freeze();
  await vi.waitFor(() => expect(exits).toEqual([1]), { timeout: 15_000, interval: 100 });
  expect(fatal[0]).toMatch(/answers a new connection but not this service's.*exiting for a restart/);
}, 60_000);
