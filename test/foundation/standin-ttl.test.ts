/**
 * TTL indexes on the embedded database (tools/mongo-standin/StandIn.java): as mongod's TTL
 * monitor does, documents whose indexed date is older than `expireAfterSeconds` are deleted in
 * the background (every 60 s in the service; every 200 ms here). Every model with a TTL index
 * is covered: sign-in links, workspace sessions, proxy drafts, processed messages, the inbox,
 * Telegram prompts, delivery statuses, simulator sessions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureIndexes } from '../../src/db/connection.js';
import { startStandIn, type LocalServer } from '../../src/db/local-server.js';
import '../../src/db/models.js';

const dir = mkdtempSync(join(tmpdir(), 'standin-ttl-'));
let server: LocalServer;

beforeAll(async () => {
  server = await startStandIn(join(dir, 'data.h2'), { ttlMonitorMs: 200 });
  await mongoose.connect(server.uri, { serverSelectionTimeoutMS: 10_000 });
  await ensureIndexes();
});

afterAll(async () => {
  await mongoose.disconnect();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Polls until `condition` holds (a condition, not a fixed sleep); fails after `ms`. */
async function until(condition: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every model's TTL index: collection, date field, seconds. */
function ttlIndexes(): { model: string; collection: mongoose.Collection; field: string; seconds: number; unique: string[] }[] {
  return Object.values(mongoose.models).flatMap((model) =>
    model.schema
      .indexes()
      .filter(([, options]) => typeof options?.expireAfterSeconds === 'number')
      .map(([fields, options]) => ({
        model: model.modelName,
        collection: model.collection,
        field: Object.keys(fields)[0]!,
        seconds: options!.expireAfterSeconds as number,
        // Fields of the model's unique indexes: each test document gets its own value there.
        unique: model.schema.indexes().filter(([, o]) => o?.unique).flatMap(([f]) => Object.keys(f)),
      })),
  );
}

describe('TTL indexes on the stand-in', () => {
  it('every collection with a TTL index loses its expired documents by itself, and keeps the rest', async () => {
    const ttl = ttlIndexes();
    expect(ttl.map((t) => t.model)).toEqual(
      expect.arrayContaining(['LoginLink', 'WorkspaceSession', 'ProxyDraft', 'ProcessedMessage', 'Inbox']),
    );
    const now = Date.now();
    for (const t of ttl) {
      const doc = (id: string, at: unknown) => ({ _id: id, ...Object.fromEntries(t.unique.map((f) => [f, id])), [t.field]: at });
      await t.collection.insertMany([
        doc(`expired-${t.model}`, new Date(now - t.seconds * 1000 - 60_000)),
        doc(`fresh-${t.model}`, new Date(now - t.seconds * 1000 + 3600_000)),
        // As on mongod: a value that is not a date never expires.
        doc(`not-a-date-${t.model}`, 'kemarin'),
      ] as never[]);
    }
    for (const t of ttl) {
      await until(async () => (await t.collection.countDocuments({ _id: `expired-${t.model}` } as never)) === 0, 15_000, `${t.model}: the expired document deleted`);
    }
    for (const t of ttl) {
      const left = (await t.collection.find({}, { projection: { _id: 1 } }).toArray()).map((d) => String(d._id)).sort();
      expect(left, t.model).toEqual([`fresh-${t.model}`, `not-a-date-${t.model}`]);
    }
  }, 30_000);

  it('a document becomes expired while the server runs: it goes once its time has passed, not before', async () => {
    const links = mongoose.model('LoginLink').collection;
    const inboxes = mongoose.model('Inbox').collection;
    const dayAgo = Date.now() - 24 * 3600_000;
    // The sign-in link's index keeps it a day after `expiresAt`: this one has 1.5 s left.
    await links.insertOne({ _id: 'soon', tokenHash: 'soon', expiresAt: new Date(dayAgo + 1500) } as never);
    await inboxes.insertOne({ _id: 'soon', receivedAt: new Date() } as never);
    const t0 = Date.now();
    expect(await links.countDocuments({ _id: 'soon' } as never)).toBe(1);
    await until(async () => (await links.countDocuments({ _id: 'soon' } as never)) === 0, 15_000, 'the link deleted once expired');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(await inboxes.countDocuments({ _id: 'soon' } as never)).toBe(1);
  }, 30_000);

  it('the planner answers a date range on an indexed field as a scan does (the monitor uses it)', async () => {
    const db = mongoose.connection.db!;
    const indexed = db.collection('range_indexed');
    const plain = db.collection('range_plain');
    await indexed.createIndex({ at: 1 });
    const base = Date.UTC(2026, 0, 1);
    const docs = Array.from({ length: 60 }, (_, i) => ({
      _id: i,
      at: i % 6 === 0 ? `text ${i}` : i % 6 === 1 ? i : i % 6 === 2 ? [new Date(base + i * 60_000), new Date(base + 1e9)] : i % 6 === 3 ? null : new Date(base + i * 60_000),
      ...(i % 6 === 5 ? { other: 1 } : {}),
    }));
    await indexed.insertMany(docs as never[]);
    await plain.insertMany(docs as never[]);
    for (const cutoff of [base, base + 20 * 60_000, base + 30 * 60_000 + 1, base + 2e9]) {
      for (const op of ['$lt', '$lte'] as const) {
        const q = { at: { [op]: new Date(cutoff) } };
        const a = await indexed.find(q).toArray();
        const b = await plain.find(q).toArray();
        expect(a, `${op} ${cutoff}`).toEqual(b);
        expect(await indexed.find({ ...q, other: 1 }).toArray()).toEqual(await plain.find({ ...q, other: 1 }).toArray());
      }
    }
  });
});
