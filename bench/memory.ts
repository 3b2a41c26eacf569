/**
 * `npm run bench:memory`: 5,000 members (BENCH_MEMBERS) with a run in progress (a risk report at
 * its location question, cloned from a member who walked there for real), each sending one
 * answer through the webhook, so every one of them is read, stepped, written and cached. Prints
 * the RSS of the node process (peak and after) and of the embedded database, before and after.
 * Target: node under 250 MB. The Bot API allows 1,000 msg/s here (the replies drain quickly).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/db/local-server.js';
import { startFakeTelegram } from '../test/fakes/telegram-bot-api.js';
import { withDatabase } from './webhook.js';
import { CHAT0, TOKEN, formatLoad, mb, postAll, rssOf, startServiceChild, updateFor, walk, walkOne, type SeedOptions } from './support/telegram-load.js';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 5000);
const TEMPLATE = 999_999;

async function main() {
  const fake = await startFakeTelegram({ token: TOKEN, limits: { globalPerSecond: 1000 } });
  for (let i = 0; i < MEMBERS; i++) fake.addChat({ id: CHAT0 + i, first_name: 'Ibu' });
  fake.addChat({ id: CHAT0 + TEMPLATE, first_name: 'Ibu' });
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-memory-'));
  const child = await startServiceChild({
    port: await freePort(), apiRoot: fake.apiRoot, dataDir,
    ...(process.env.MONGODB_URI ? { mongodbUri: withDatabase(process.env.MONGODB_URI, `bench_memory_${Date.now()}`) } : {}),
    env: { BENCH_API_RATE: '1000' },
  });
  const show = (when: string) => {
    const node = rssOf(child.proc.pid!);
    const db = child.dbPid ? rssOf(child.dbPid) : null;
    console.log(`  ${when.padEnd(44)} node RSS ${mb(node?.nowMb)} (peak ${mb(node?.peakMb)}), database ${db ? `${mb(db.nowMb)} (peak ${mb(db.peakMb)})` : '(external)'}`);
    return node;
  };
  try {
    console.log(`bench:memory: ${MEMBERS} members with a risk report in progress, one answer each through the webhook; database: ${process.env.MONGODB_URI ? 'MONGODB_URI' : 'embedded'}`);
    show('started, idle');
    await walkOne(child.url, TEMPLATE, 12, 50_000_000); // registered, report at its location question
    await child.drained();
    const options: SeedOptions = { template: String(CHAT0 + TEMPLATE), members: MEMBERS, firstUserId: CHAT0, inRun: true, reports: 0, expiredRuns: 0, inboxDone: 0, outboxSent: 0 };
    const { ms } = await child.request<{ ms: number }>('seed', options);
    show(`${MEMBERS} members stored (${(ms / 1000).toFixed(1)} s)`);
    const bodies = Array.from({ length: MEMBERS }, (_, i) => JSON.stringify(updateFor(i, walk(i)[12]!, 60_000_000 + i, 112)));
    const load = await postAll(child.url, bodies, 20);
    console.log(`  load: ${formatLoad(load)}`);
    await child.drained();
    const stats = await child.stats();
    const heap = await child.request<NodeJS.MemoryUsage>('rss');
    const node = show(`after one answer each (all ${MEMBERS} cached)`);
    console.log(`  node heap used ${mb(heap.heapUsed / 1048576)}, external ${mb(heap.external / 1048576)}; ${stats.inRun} members in a run; database file ${((stats.dbBytes ?? 0) / 1e6).toFixed(0)} MB`);
    console.log(`  target node RSS < 250 MB: ${(node?.peakMb ?? Infinity) < 250 ? 'met' : 'NOT met'} (peak ${mb(node?.peakMb)})`);
  } finally {
    await child.stop();
    await fake.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
