/**
 * The database going away under the dispatcher and coming back: mongoose talks to the test
 * database through a TCP proxy the test can cut (connections dropped, new ones refused).
 */
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureIndexes } from '../../src/db/connection.js';
import { OutboxModel } from '../../src/db/models.js';
import { Dispatcher } from '../../src/pipeline/dispatcher.js';
import { enqueue } from '../../src/pipeline/outbox.js';
import { proxiedTestDatabase, type TcpProxy } from '../helpers/tcp-proxy.js';
import { captureLogger, telegramSetup, textItem, type TelegramSetup } from './helpers.js';

let proxy: TcpProxy;
let tg: TelegramSetup;

beforeAll(async () => {
  const db = await proxiedTestDatabase();
  proxy = db.proxy;
  // A short server selection, so that calls fail fast while the proxy is cut; the first
  // connection is tried until it is made (on a loaded machine it can take longer than that).
  await vi.waitFor(() => mongoose.connect(db.uri, { serverSelectionTimeoutMS: 1000, heartbeatFrequencyMS: 500 }), { timeout: 30_000, interval: 100 });
  await ensureIndexes();
});
afterAll(async () => {
  await mongoose.connection.db?.dropDatabase().catch(() => undefined);
  await mongoose.disconnect();
  await proxy.close();
  await tg?.close();
});

describe('the database going away', () => {
  it('mid-broadcast: sends already claimed finish, their results wait; claims back off; all resumes by itself, each sent once', async () => {
    tg = await telegramSetup({ rateLimits: { perSecond: 10 } });
    for (let c = 0; c < 30; c++) tg.fake.addChat(60_000 + c);
    await enqueue(Array.from({ length: 30 }, (_, c) => textItem(`db${c}`, 60_000 + c)));
    const log = captureLogger();
    // A lease longer than the test: an entry left claimed and unknown to the dispatcher (a
    // claim cut before it was read back) would wait for it, and the test would time out.
    const d = new Dispatcher({ channels: tg.channels, logger: log.logger, pollIntervalMs: 25, leaseMs: 120_000 });
    d.start();
    d.wake();
    await tg.fake.waitFor(() => tg.fake.receivedCounts().size >= 5, 10_000);
    await proxy.cut();
    const before = tg.fake.receivedCounts().size;
    // Sends claimed before the cut still go out; their results (and new claims) can't be written.
    await vi.waitFor(() => expect(d.stats.dbErrors).toBeGreaterThanOrEqual(2), { timeout: 10_000, interval: 20 });
    await tg.fake.waitFor(() => tg.fake.receivedCounts().size > before, 10_000);
    expect(await OutboxModel.countDocuments({}).catch((e: Error) => e)).toBeInstanceOf(Error);
    expect(log.lines.some((l) => l.level === 'warn' && /database away/.test(l.msg))).toBe(true);

    await proxy.restore();
    await d.drained();
    const counts = tg.fake.receivedCounts();
    expect(counts.size).toBe(30);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(await OutboxModel.countDocuments({ status: 'sent' })).toBe(30);
    expect(log.lines.some((l) => /sending resumes/.test(l.msg))).toBe(true);
    await d.stop();
  });

  it('down before the dispatcher starts: nothing is lost, it sends once the database is back', async () => {
    await OutboxModel.deleteMany({});
    for (let c = 0; c < 5; c++) tg.fake.addChat(61_000 + c);
    await enqueue(Array.from({ length: 5 }, (_, c) => textItem(`late${c}`, 61_000 + c)));
    await proxy.cut();
    const d = new Dispatcher({ channels: tg.channels, logger: captureLogger().logger, pollIntervalMs: 25 });
    d.start();
    d.wake(['late0']);
    await vi.waitFor(() => expect(d.stats.dbErrors).toBeGreaterThanOrEqual(2), { timeout: 10_000, interval: 20 });
    expect(tg.fake.received(61_000)).toBe(0);
    await proxy.restore();
    await d.drained();
    for (let c = 0; c < 5; c++) expect(tg.fake.received(61_000 + c)).toBe(1);
    await d.stop();
  });
});
