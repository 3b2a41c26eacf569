/**
 * kill -9 of the stand-in (tools/mongo-standin/StandIn.java) in the middle of writes, again and
 * again, on one data file: after each restart every document is found by its `_id`. A commit
 * used to take other commands' changes half-way (an insert's document without its index
 * entries): after a kill the document was there, found by a scan, and not by `_id`, so the
 * service could neither see it nor write it again (a Telegram update stuck for good in
 * bench:db-restart).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { afterAll, expect, it } from 'vitest';
import { startStandIn, type LocalServer } from '../../src/db/local-server.js';

type Doc = { _id: string; a: number; b: string };

const dir = mkdtempSync(join(tmpdir(), 'standin-durability-'));
let server: LocalServer | null = null;
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The documents the writes before the last kill left (found by a scan), each looked up by its _id: "found of all". */
async function lookUpById(docs: mongoose.mongo.Collection<Doc>, cycle: number): Promise<string> {
  const ids = (await docs.find({}, { projection: { _id: 1 } }).toArray()).map((d) => d._id).filter((id) => id.startsWith(`${cycle}-`));
  let found = 0;
  for (const _id of ids) if (await docs.findOne({ _id }, { projection: { _id: 1 } })) found++;
  return `${found} of ${ids.length}`;
}

it('every document is found by _id after each kill -9 in the middle of concurrent writes', async () => {
  const file = join(dir, 'data.h2');
  const pad = 'x'.repeat(2000);
  const found: string[] = [];
  for (let cycle = 0; cycle < 6; cycle++) {
    server = await startStandIn(file);
    const client = new mongoose.mongo.MongoClient(server.uri, { serverSelectionTimeoutMS: 10_000, retryWrites: false });
    await client.connect();
    const db = client.db('durability');
    const docs = db.collection<Doc>('docs');
    await docs.createIndex({ a: 1 });
    found.push(await lookUpById(docs, cycle - 1));

    // Inserts into one collection while small writes to another commit all the time.
    let writing = true;
    let inserted = 0;
    const writers = [
      ...Array.from({ length: 6 }, async (_, w) => {
        for (let i = 0; writing; i++) {
          await docs.insertMany(Array.from({ length: 20 }, (_, k) => ({ _id: `${cycle}-${w}-${i}-${k}`, a: k, b: pad })), { ordered: false }).then(
            () => void (inserted += 20),
            () => undefined,
          );
        }
      }),
      ...Array.from({ length: 6 }, async (_, w) => {
        for (let i = 0; writing; i++) await db.collection<{ _id: number; i: number }>('ticks').updateOne({ _id: w }, { $set: { i } }, { upsert: true }).catch(() => undefined);
      }),
    ];
    // Killed once writes are under way (a condition, then a random moment within the next batches).
    while (inserted < 100 + Math.floor(Math.random() * 200)) await new Promise((r) => setTimeout(r, 5));
    const pid = server.pid!;
    process.kill(pid, 'SIGKILL');
    while (existsSync(`/proc/${pid}`)) await new Promise((r) => setTimeout(r, 20));
    writing = false;
    await Promise.allSettled(writers);
    await client.close(true).catch(() => undefined);
    server = null;
  }
  server = await startStandIn(file);
  const client = new mongoose.mongo.MongoClient(server.uri);
  await client.connect();
  found.push(await lookUpById(client.db('durability').collection<Doc>('docs'), 5));
  await client.close();
  expect(found.every((f) => /^(\d+) of \1$/.test(f)), `found by _id after each kill: ${found.join(', ')}`).toBe(true);
}, 120_000);
