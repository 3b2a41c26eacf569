/**
 * The stand-in's query planner and in-memory secondary indexes (tools/mongo-standin/StandIn.java)
 * must never change an answer, only how fast it comes. A differential test: the same random
 * writes go to a collection with indexes and to one without any, and every query must return
 * the same documents from both, before and after the server restarts on its file (the
 * secondary indexes are rebuilt from the data then).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { afterAll, describe, expect, it } from 'vitest';
import { startStandIn, type LocalServer } from '../../src/db/local-server.js';

type Doc = { _id: string; to: string; status: string; n: number; tags: string[]; a: number; b: string; sub?: { k: string } };

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

const dir = mkdtempSync(join(tmpdir(), 'standin-indexes-'));
let server: LocalServer | null = null;
let client: mongoose.mongo.MongoClient | null = null;

async function open(): Promise<mongoose.mongo.Db> {
  // No fsync: what is checked is the answers, and the indexes rebuilt from the file after a
  // clean stop, not durability through a crash.
  server = await startStandIn(join(dir, 'data.h2'), { fsync: false });
  client = new mongoose.mongo.MongoClient(server.uri);
  await client.connect();
  return client.db('planner');
}

async function close(): Promise<void> {
  await client?.close();
  await server?.stop();
  client = null;
  server = null;
}

afterAll(async () => {
  await close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the stand-in query planner', () => {
  it('answers every query as a collection without indexes does, before and after a restart', async () => {
    let db = await open();
    const indexed = () => db.collection<Doc>('indexed');
    const plain = () => db.collection<Doc>('plain');
    await indexed().createIndex({ to: 1, status: 1 });
    await indexed().createIndex({ tags: 1 });
    await indexed().createIndex({ 'sub.k': 1 });
    await indexed().createIndex({ a: 1, b: 1 }, { unique: true });

    const next = random(42);
    const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)]!;
    const people = ['p1', 'p2', 'p3', 'p4'];
    const statuses = ['pending', 'sending', 'sent', 'failed'];
    const tagSet = ['t1', 't2', 't3'];
    let counter = 0;

    // The two collections are written at once (each still one write after the other): half the round trips' waiting.
    async function both(write: (c: mongoose.mongo.Collection<Doc>) => Promise<unknown>): Promise<void> {
      const [fromIndexed, fromPlain] = await Promise.all([write(indexed()), write(plain())]);
      expect(fromIndexed, String(write)).toEqual(fromPlain);
    }

    async function randomWrites(count: number): Promise<void> {
      for (let i = 0; i < count; i++) {
        const r = next();
        if (r < 0.45) {
          counter++;
          const doc: Doc = {
            _id: `d${counter}`,
            to: pick(people),
            status: pick(statuses),
            n: pick([1, 2, 3]),
            tags: tagSet.filter(() => next() < 0.4),
            a: counter,
            b: pick(['x', 'y']),
            ...(next() < 0.5 ? { sub: { k: pick(['k1', 'k2']) } } : {}),
          };
          await both((c) => c.insertOne({ ...doc }));
        } else if (r < 0.65) {
          const id = `d${1 + Math.floor(next() * counter)}`;
          const status = pick(statuses);
          const to = pick(people);
          await both((c) => c.updateOne({ _id: id, status: { $ne: 'failed' } }, { $set: { status, to } }));
        } else if (r < 0.75) {
          const from = pick(statuses);
          const to = pick(statuses);
          const person = pick(people);
          await both((c) => c.updateMany({ to: person, status: from }, { $set: { status: to } }));
        } else if (r < 0.85) {
          const tag = pick(tagSet);
          const id = `d${1 + Math.floor(next() * counter)}`;
          const update = next() < 0.5 ? { $addToSet: { tags: tag } } : { $pull: { tags: tag } };
          await both((c) => c.updateOne({ _id: id }, update));
        } else if (r < 0.93) {
          const id = `d${1 + Math.floor(next() * counter)}`;
          await both((c) => c.deleteOne({ _id: id, n: { $gte: 1 } }));
        } else {
          const id = `d${1 + Math.floor(next() * counter)}`;
          await both((c) => c.findOneAndUpdate({ _id: id, status: 'pending' }, { $set: { status: 'sending' }, $inc: { n: 1 } }));
        }
      }
    }

    const queries = (): mongoose.mongo.Filter<Doc>[] => [
      { _id: `d${1 + Math.floor(next() * counter)}`, status: pick(statuses) },
      { _id: { $in: [`d1`, `d2`, `d${counter}`] }, to: pick(people) },
      { to: pick(people) },
      { to: pick(people), status: { $in: ['pending', 'sending'] } },
      { to: { $in: people.slice(0, 2) }, status: pick(statuses), n: { $lte: 2 } },
      { tags: pick(tagSet) },
      { tags: { $in: ['t1', 't3'] }, status: { $ne: 'sent' } },
      { 'sub.k': pick(['k1', 'k2']) },
      { n: 2.0 },
      { a: 3, b: 'x' },
      { a: 3, b: 'y', status: pick(statuses) },
      { $or: [{ to: 'p1', status: 'pending' }, { _id: 'd5' }] },
      { $or: [{ to: 'p2' }, { n: 3 }] },
      { status: pick(statuses), $or: [{ to: 'p4' }, { _id: { $in: [] } }] },
      { to: { $in: [] } },
      { $and: [{ to: 'p3' }, { status: { $in: ['sent', 'failed'] } }] },
      { status: pick(statuses), to: { $nin: ['p1'] } },
    ];

    async function compare(stage: string): Promise<number> {
      let compared = 0;
      // Drawn once: both collections get the very same queries, all asked at once (reads only).
      await Promise.all(queries().map(async (q) => {
        const [fromIndexed, fromPlain, firstIndexed, firstPlain] = await Promise.all([
          indexed().find(q).sort({ _id: 1 }).toArray(),
          plain().find(q).sort({ _id: 1 }).toArray(),
          indexed().findOne(q),
          plain().findOne(q),
        ]);
        expect(fromIndexed, `${stage}: ${JSON.stringify(q)}`).toEqual(fromPlain);
        // Natural order (no sort) is the same too: callers that read the first match rely on it.
        expect(firstIndexed?._id, `${stage}, first of ${JSON.stringify(q)}`).toEqual(firstPlain?._id);
        compared += fromPlain.length;
      }));
      return compared;
    }

    let matched = 0;
    for (let round = 0; round < 8; round++) {
      await randomWrites(60);
      matched += await compare(`round ${round}`);
    }
    expect(await indexed().countDocuments()).toBeGreaterThan(50);
    expect(matched).toBeGreaterThan(300); // the queries found plenty, not just empty answers

    await close();
    db = await open();
    matched = await compare('after a restart');
    expect(matched).toBeGreaterThan(30);
    await randomWrites(80);
    await compare('writes after a restart');
  }, 120_000);
});
