/**
 * `npm run bench:crash`: BENCH_MEMBERS (default 50) members answering through the real
 * service's webhook (registration, then a risk report) while the service is killed with
 * SIGKILL at random moments three times and started again on the same data:
 *   round 1: the app process only (the embedded database, its child, stops cleanly with it);
 *   round 2: the whole process group, the embedded database included (kill -9 of everything).
 * Prints acknowledged answers, answers stored, lost, stored twice, replies owed vs sent, and the
 * window a kill can double a reply in: milliseconds from each platform OK to the dispatcher's
 * durable record of it (p50/p99/max), and for each reply sent twice how long before the kill
 * its first copy went out.
 * Target: 0 lost, 0 stored twice; every owed reply sent (a reply whose send had succeeded just
 * before the kill, with its result not yet written, goes out again: the platform has no
 * idempotency key, so that gap can be narrowed, not closed). With MONGODB_URI set, round 1
 * runs again on it. See bench/support/crash-run.ts for how members behave and what is checked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/db/local-server.js';
import { startFakeTelegram } from '../test/fakes/telegram-bot-api.js';
import { crashRun, formatCrash, formatGaps } from './support/crash-run.js';
import { TOKEN } from './support/telegram-load.js';
import { withDatabase } from './webhook.js';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 50);
const KILLS = Number(process.env.BENCH_KILLS ?? 3);

async function round(label: string, mode: 'app' | 'group', mongodbUri?: string) {
  const fake = await startFakeTelegram({ token: TOKEN, keepAliveTimeoutMs: 60_000 });
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-crash-'));
  try {
    console.log(`${label}:`);
    const r = await crashRun({
      members: MEMBERS,
      kills: KILLS,
      mode,
      fake,
      child: { port: await freePort(), apiRoot: fake.apiRoot, dataDir, ...(mongodbUri ? { mongodbUri } : {}) },
      log: (line) => console.log(line),
    });
    console.log(`  ${formatCrash(r)}`);
    console.log(`  ${formatGaps(r)}`);
    if (r.lostDetail.length) console.log(`  lost, e.g.: ${r.lostDetail.join('; ')}`);
    const met = r.lost === 0 && r.storedTwice === 0;
    console.log(
      `  target 0 lost, 0 stored twice: ${met ? 'met' : 'NOT met'}; replies: ${r.repliesMissing === 0 ? 'none missing' : `${r.repliesMissing} MISSING`}, ` +
        `${r.repliesTwice} sent twice (a send whose OK came back just before the kill, before its result was written: sent again after the lease)`,
    );
  } finally {
    await fake.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log(`bench:crash: ${MEMBERS} members, ${KILLS} kills with SIGKILL per round, local Bot API at 30 msg/s`);
const only = process.env.BENCH_ROUNDS?.split(',').map(Number);
const want = (n: number) => !only || only.includes(n);
if (want(1)) await round('1. embedded database, SIGKILL of the app', 'app');
if (want(2)) await round('2. embedded database, SIGKILL of the whole process group (app and database)', 'group');
if (want(3) && process.env.MONGODB_URI) await round('3. MONGODB_URI, SIGKILL of the app', 'app', withDatabase(process.env.MONGODB_URI, `bench_crash_${Date.now()}`));
