/**
 * Group commit (src/db/coalesce.ts): concurrent writes leave as one command, each caller gets
 * its own outcome, and a write is never reported done when the database did not take it.
 */
import mongoose from 'mongoose';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Coalescer, DuplicateKey, WriteTimeout, bulkWriteEach, insertIgnoringDuplicates } from '../../src/db/coalesce.js';
import { useTestDatabase } from '../helpers/db.js';
import { proxiedTestDatabase, type TcpProxy } from '../helpers/tcp-proxy.js';

useTestDatabase();

type Doc = { _id: string; n?: number };

describe('Coalescer', () => {
  it('sends what arrives together as one command, and each caller learns its own outcome', async () => {
    const collection = mongoose.connection.db!.collection<Doc>('coalesce_inserts');
    await collection.insertOne({ _id: 'taken' });
    const batches: number[] = [];
    const inserts = new Coalescer(async (docs: Doc[]) => {
      batches.push(docs.length);
      return insertIgnoringDuplicates(collection, docs);
    });
    const ids = ['a', 'b', 'taken', 'c', 'a', 'd'];
    const outcomes = await Promise.allSettled(ids.map((_id) => inserts.submit({ _id })));
    expect(batches).toEqual([6]);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).name))).toEqual([
      'inserted', 'inserted', 'DuplicateKey', 'inserted', 'DuplicateKey', 'inserted',
    ]);
    expect((await collection.find().sort({ _id: 1 }).toArray()).map((d) => d._id)).toEqual(['a', 'b', 'c', 'd', 'taken']);
  });

  it('while a command is in flight, newcomers queue and go together in the next', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const c = new Coalescer(
      async (items: number[]) => {
        batches.push(items);
        if (batches.length === 1) await gate;
        return items.map((i) => i * 10);
      },
      { concurrency: 1 },
    );
    const first = c.submit(1);
    await new Promise((r) => setImmediate(r));
    const later = [2, 3, 4].map((i) => c.submit(i));
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1]]); // the newcomers wait: one command at a time here
    release();
    expect(await Promise.all([first, ...later])).toEqual([10, 20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('a command that never answers fails its callers after the timeout and frees its place', async () => {
    let calls = 0;
    const c = new Coalescer(
      async (items: string[]) => {
        calls++;
        if (calls === 1) return new Promise<string[]>(() => undefined); // a connection cut mid-command
        return items.map((i) => `${i} written`);
      },
      { concurrency: 1, timeoutMs: 200 },
    );
    const stuck = c.submit('first');
    const next = c.submit('second');
    await expect(stuck).rejects.toBeInstanceOf(WriteTimeout);
    await expect(next).rejects.toBeInstanceOf(WriteTimeout); // it went in the same batch
    expect(await c.submit('third')).toBe('third written');
  });

  it('bulk updates report each operation, and leave undefined fields out as mongoose does', async () => {
    const collection = mongoose.connection.db!.collection<Doc & { note?: string | null }>('coalesce_updates');
    await collection.insertMany([{ _id: 'x', n: 1 }, { _id: 'y', n: 1 }]);
    const updates = new Coalescer((ops: object[]) => bulkWriteEach(collection, ops as never[]));
    const results = await Promise.all([
      updates.submit({ updateOne: { filter: { _id: 'x', n: 1 }, update: { $set: { n: 2, note: undefined } } } }),
      updates.submit({ updateOne: { filter: { _id: 'y', n: 99 }, update: { $set: { n: 3 } } } }), // guard not met: no error, no change
      updates.submit({ updateOne: { filter: { _id: 'z' }, update: { $set: { n: 4 } }, upsert: true } }),
    ]);
    expect(results).toEqual(['ok', 'ok', 'ok']);
    expect(await collection.find().sort({ _id: 1 }).toArray()).toEqual([{ _id: 'x', n: 2 }, { _id: 'y', n: 1 }, { _id: 'z', n: 4 }]);
  });
});

describe('with the database gone', () => {
  let proxy: TcpProxy | null = null;
  let client: mongoose.mongo.MongoClient | null = null;
  afterAll(async () => {
    await client?.close();
    await proxy?.close();
  });

  it('inserts and updates fail for every caller: nothing is reported written', async () => {
    const db = await proxiedTestDatabase();
    proxy = db.proxy;
    // A short server selection, so the calls after the cut fail fast; the first waits for the database to answer.
    client = new mongoose.mongo.MongoClient(db.uri, { serverSelectionTimeoutMS: 1000 });
    await vi.waitFor(() => client!.db('admin').command({ ping: 1 }), { timeout: 20_000, interval: 100 });
    const collection = client.db().collection<Doc>('things');
    expect(await insertIgnoringDuplicates(collection, [{ _id: 'before' }])).toEqual(['inserted']);
    await proxy.cut();
    // The driver reports a lost connection during insertMany as a bulk error with no write errors:
    // that must read as "not written", never as "all written".
    const inserts = new Coalescer((docs: Doc[]) => insertIgnoringDuplicates(collection, docs));
    const outcomes = await Promise.allSettled([inserts.submit({ _id: 'p' }), inserts.submit({ _id: 'q' })]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(outcomes.some((o) => o.status === 'rejected' && o.reason instanceof DuplicateKey)).toBe(false);
    await expect(bulkWriteEach(collection, [{ updateOne: { filter: { _id: 'before' }, update: { $set: { n: 1 } } } }])).rejects.toThrow();
  }, 30_000);
});
