/**
 * `npm run bench:memory`: 5,000 members (BENCH_MEMBERS) with a run in progress (a risk report at
 * its location question, cloned from a member who walked there for real), each sending one
 * answer through the webhook, so every one of them is read, stepped, written and cached. Prints
 * the RSS of the node process (peak and after) and of the embedded database, before and after.
 * Target: node under 250 MB. The Bot API allows 1,000 msg/s here (the replies drain quickly).
 *
 * The service child runs as production runs it (BENCH_RUNTIME=compiled, the default): compiled
 * by tsc, plain node, the Dockerfile's --max-old-space-size=128. BENCH_RUNTIME=tsx runs the
 * sources under tsx instead (its loader adds RSS). The child samples process.memoryUsage()
 * itself; the breakdown at its RSS peak is printed. BENCH_HEAP_SNAPSHOT=1 writes a heap
 * snapshot of the child after the load to bench/.profiles/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/db/local-server.js';
import { startFakeTelegram } from '../test/fakes/telegram-bot-api.js';
import { withDatabase } from './webhook.js';
import {
  CHAT0, TOKEN, formatLoad, mb, postAll, rssOf, startServiceChild, updateFor, walk, walkOne, type ChildMemory, type SeedOptions, type ServiceRuntime,
} from './support/telegram-load.js';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 5000);
const RUNTIME: ServiceRuntime = process.env.BENCH_RUNTIME === 'tsx' ? 'tsx' : 'compiled';
const MiB = (n: number) => mb(n / 1048576);
const breakdown = (u: NodeJS.MemoryUsage) =>
  `rss ${MiB(u.rss)} = heap ${MiB(u.heapTotal)} (used ${MiB(u.heapUsed)}) + external ${MiB(u.external)} (array buffers ${MiB(u.arrayBuffers)}) + other ${MiB(Math.max(0, u.rss - u.heapTotal - u.external))}`;
const TEMPLATE = 999_999;

async function main() {
  const fake = await startFakeTelegram({ token: TOKEN, limits: { globalPerSecond: 1000 }, keepAliveTimeoutMs: 60_000 });
  for (let i = 0; i < MEMBERS; i++) fake.addChat({ id: CHAT0 + i, first_name: 'Ibu' });
  fake.addChat({ id: CHAT0 + TEMPLATE, first_name: 'Ibu' });
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-memory-'));
  const child = await startServiceChild({
    port: await freePort(), apiRoot: fake.apiRoot, dataDir,
    ...(process.env.MONGODB_URI ? { mongodbUri: withDatabase(process.env.MONGODB_URI, `bench_memory_${Date.now()}`) } : {}),
    env: { BENCH_API_RATE: '1000' },
    runtime: RUNTIME,
  });
  const memory = (data?: { gc?: boolean; reset?: boolean }) => child.request<ChildMemory>('memory', data);
  const show = (when: string) => {
    const node = rssOf(child.proc.pid!);
    const db = child.dbPid ? rssOf(child.dbPid) : null;
    console.log(`  ${when.padEnd(44)} node RSS ${mb(node?.nowMb)} (peak ${mb(node?.peakMb)}), database ${db ? `${mb(db.nowMb)} (peak ${mb(db.peakMb)})` : '(external)'}`);
    return node;
  };
  try {
    console.log(`bench:memory: ${MEMBERS} members with a risk report in progress, one answer each through the webhook; database: ${process.env.MONGODB_URI ? 'MONGODB_URI' : 'embedded'}`);
    const m0 = await memory();
    console.log(`  service child: ${RUNTIME} — node ${[...m0.execArgv, m0.main].join(' ')}${m0.nodeOptions ? ` (NODE_OPTIONS=${m0.nodeOptions})` : ''}; ${process.version} (the image runs Node 22)`);
    show('started, idle');
    console.log(`    ${breakdown(m0.now)}`);
    await walkOne(child.url, TEMPLATE, 12, 50_000_000); // registered, report at its location question
    await child.drained();
    const options: SeedOptions = { template: String(CHAT0 + TEMPLATE), members: MEMBERS, firstUserId: CHAT0, inRun: true, reports: 0, expiredRuns: 0, inboxDone: 0, outboxSent: 0 };
    const { ms } = await child.request<{ ms: number }>('seed', options);
    show(`${MEMBERS} members stored (${(ms / 1000).toFixed(1)} s)`);
    const seeded = await memory({ reset: true }); // the load's peaks from here on
    console.log(`    ${breakdown(seeded.now)}; seeding peak ${MiB(seeded.peaks.rss)}`);
    const bodies = Array.from({ length: MEMBERS }, (_, i) => JSON.stringify(updateFor(i, walk(i)[12]!, 60_000_000 + i, 112)));
    const load = await postAll(child.url, bodies, 20);
    console.log(`  load: ${formatLoad(load)}`);
    await child.drained();
    const stats = await child.stats();
    const after = await memory();
    const node = show(`after one answer each (all ${MEMBERS} cached)`);
    console.log(`    now:             ${breakdown(after.now)}`);
    console.log(`    at the RSS peak: ${breakdown(after.atPeak)} (sampled every 100 ms)`);
    console.log(`    peaks of each:   heap ${MiB(after.peaks.heapTotal)} (used ${MiB(after.peaks.heapUsed)}), external ${MiB(after.peaks.external)} (array buffers ${MiB(after.peaks.arrayBuffers)}); up to ${after.handlingPeak} people handled at once`);
    const settled = await memory({ gc: true });
    console.log(`    after a full GC: ${breakdown(settled.now)}`);
    console.log(`  ${stats.inRun} members in a run; database file ${((stats.dbBytes ?? 0) / 1e6).toFixed(0)} MB`);
    if (process.env.BENCH_HEAP_SNAPSHOT === '1') {
      const dir = fileURLToPath(new URL('./.profiles/', import.meta.url));
      mkdirSync(dir, { recursive: true });
      console.log(`  heap snapshot: ${await child.request<string>('snapshot', { path: join(dir, `memory-${RUNTIME}-${Date.now()}.heapsnapshot`) })}`);
    }
    console.log(`  target node RSS < 250 MB: ${(node?.peakMb ?? Infinity) < 250 ? 'met' : 'NOT met'} (peak ${mb(node?.peakMb)}, ${RUNTIME})`);
  } finally {
    await child.stop();
    await fake.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
