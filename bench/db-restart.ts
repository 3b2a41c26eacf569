/**
 * `npm run bench:db-restart`: BENCH_MEMBERS (default 30) members answering through the real
 * service's webhook (registration, then a risk report) while its database is killed with
 * SIGKILL BENCH_KILLS times (default 10) at random moments; the service itself lives on.
 *   round 1: the embedded database (the service's own child: the service starts it again on
 *            the same port and data file);
 *   round 2: an external database through MONGODB_URI (a stand-in this script runs on a fixed
 *            port and file, killed and started again by this script, as its supervisor would).
 * After each kill `/readyz` must answer 200 within 30 s (the database's watchdog reconnects a
 * client that stays stuck: src/db/watchdog.ts), and afterwards every acknowledged answer must be
 * stored exactly once and every owed reply sent. Prints, per round, the seconds from each kill
 * to `/readyz` 200 (median, max), kills answered late, and the crash drill's counts.
 * BENCH_ROUNDS=1 or =2 runs one round.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startStandIn, type LocalServer } from '../src/db/local-server.js';
import { startFakeTelegram } from '../test/fakes/telegram-bot-api.js';
import { crashRun, formatCrash } from './support/crash-run.js';
import { TOKEN } from './support/telegram-load.js';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 30);
const KILLS = Number(process.env.BENCH_KILLS ?? 10);
const READY_WITHIN_MS = 30_000;

async function round(label: string, external: boolean): Promise<void> {
  const fake = await startFakeTelegram({ token: TOKEN, keepAliveTimeoutMs: 60_000 });
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-db-restart-'));
  let database: LocalServer | null = null;
  try {
    console.log(`${label}:`);
    let mongodbUri: string | undefined;
    let killDatabase: (() => Promise<void>) | undefined;
    if (external) {
      const port = await freePort();
      const file = join(dataDir, 'external.mv.db');
      database = await startStandIn(file, { port });
      mongodbUri = `mongodb://127.0.0.1:${port}/bench_db_restart`;
      killDatabase = async () => {
        const pid = database!.pid!;
        process.kill(pid, 'SIGKILL');
        while (existsSync(`/proc/${pid}`)) await new Promise((r) => setTimeout(r, 20));
        database = await startStandIn(file, { port });
      };
    }
    const r = await crashRun({
      members: MEMBERS,
      kills: KILLS,
      mode: 'database',
      fake,
      child: { port: await freePort(), apiRoot: fake.apiRoot, dataDir, ...(mongodbUri ? { mongodbUri } : {}) },
      ...(killDatabase ? { killDatabase } : {}),
      readyWithinMs: READY_WITHIN_MS,
      killAfterMs: [3000, 6000],
      log: (line) => console.log(line),
    });
    const downs = r.kills.map((k) => k.downMs / 1000).sort((a, b) => a - b);
    const median = downs[Math.floor(downs.length / 2)] ?? NaN;
    console.log(
      `  ${r.kills.length} kills: /readyz 200 again after median ${median.toFixed(1)} s, max ${(downs.at(-1) ?? NaN).toFixed(1)} s; ` +
        `${r.readyLate} later than ${READY_WITHIN_MS / 1000} s`,
    );
    console.log(`  ${formatCrash(r)}`);
    if (r.lostDetail.length) console.log(`  lost, e.g.: ${r.lostDetail.join('; ')}`);
    const met = r.readyLate === 0 && r.lost === 0 && r.storedTwice === 0 && r.repliesMissing === 0;
    console.log(`  target (ready within ${READY_WITHIN_MS / 1000} s after every kill, 0 lost, 0 stored twice, no reply missing): ${met ? 'met' : 'NOT met'}`);
  } finally {
    await fake.close();
    await database?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log(`bench:db-restart: ${MEMBERS} members, ${KILLS} kills of the database with SIGKILL per round, local Bot API at 30 msg/s`);
const only = process.env.BENCH_ROUNDS?.split(',').map(Number);
const want = (n: number) => !only || only.includes(n);
if (want(1)) await round('1. embedded database (restarted by the service), SIGKILL of the database', false);
if (want(2)) await round('2. MONGODB_URI (an external stand-in, restarted by its supervisor), SIGKILL of the database', true);
