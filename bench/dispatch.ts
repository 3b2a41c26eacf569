/**
 * `npm run bench:dispatch`: the dispatcher sending a broadcast of BENCH_MESSAGES (default 2,000)
 * messages to as many Telegram chats through the local Bot API, which enforces 30 msg/s overall
 * and about 1/s per chat and answers 429 with retry_after above that. Rounds:
 *   1. one dispatcher;  2. two dispatchers in one process;  3. two dispatcher processes;
 *   4. one dispatcher process killed with SIGKILL half way, then started again.
 * Prints messages/s, 429s, duplicates, losses and the time from wake to the first message.
 * Targets: >= 28.5 messages/s, 0 duplicates, 0 losses. Database: MONGODB_URI, else the stand-in.
 */
import { fileURLToPath } from 'node:url';
import { OutboxModel } from '../src/db/models.js';
import { enqueue, type OutboxItem } from '../src/pipeline/outbox.js';
import { benchDatabase, dispatcherFor as dispatcherWith, exited, runDispatcherChildIfAsked, spawnDispatcher, started } from './support/dispatchers.js';
import { startFakeTelegram, type FakeTelegram } from '../test/fakes/telegram-bot-api.js';

const TOKEN = '555001:bench-dispatch-token-abcdefghijklmnopqrstuvwxyz';
const N = Number(process.env.BENCH_MESSAGES ?? 2000);
const CHAT0 = 1_000_000;

await runDispatcherChildIfAsked(TOKEN);

const dispatcherFor = (apiRoot: string, leaseMs?: number) => dispatcherWith(TOKEN, apiRoot, leaseMs);
const child = (uri: string, apiRoot: string, leaseMs?: number) => spawnDispatcher(fileURLToPath(import.meta.url), uri, apiRoot, leaseMs);

interface Round {
  name: string;
  run(fake: FakeTelegram, wokenAt: () => void): Promise<void>;
}

async function main() {
  const db = await benchDatabase('bench_dispatch');
  const uri = db.uri;
  console.log(`bench:dispatch: ${N} messages to ${N} chats, local Bot API at 30 msg/s overall, 1/s per chat (burst 3); database: ${db.label}`);

  const rounds: Round[] = [
    {
      name: 'one dispatcher',
      async run(fake, woken) {
        const d = dispatcherFor(fake.apiRoot);
        d.start();
        woken();
        d.wake();
        await d.drained();
        await d.stop();
      },
    },
    {
      name: 'two dispatchers, one process',
      async run(fake, woken) {
        const a = dispatcherFor(fake.apiRoot);
        const b = dispatcherFor(fake.apiRoot);
        a.start();
        b.start();
        woken();
        a.wake();
        b.wake();
        await Promise.all([a.drained(), b.drained()]);
        await Promise.all([a.stop(), b.stop()]);
      },
    },
    {
      name: 'two dispatcher processes',
      async run(fake, woken) {
        const ps = [child(uri, fake.apiRoot), child(uri, fake.apiRoot)];
        await Promise.race(ps.map(started));
        woken();
        await Promise.all(ps.map(exited));
      },
    },
    {
      name: 'one process, SIGKILL half way, restarted',
      async run(fake, woken) {
        const leaseMs = 3000;
        const first = child(uri, fake.apiRoot, leaseMs);
        await started(first);
        woken();
        await fake.waitFor(() => fake.receivedCounts().size >= N / 2, 600_000);
        first.kill('SIGKILL');
        await exited(first);
        const second = child(uri, fake.apiRoot, leaseMs);
        await exited(second);
      },
    },
  ];

  const only = process.env.BENCH_ROUNDS?.split(',').map(Number);
  for (const [i, round] of rounds.entries()) {
    if (only && !only.includes(i + 1)) continue;
    await OutboxModel.deleteMany({});
    const fake = await startFakeTelegram({ token: TOKEN });
    for (let c = 0; c < N; c++) fake.addChat(CHAT0 + c);
    const items: OutboxItem[] = Array.from({ length: N }, (_, c) => ({
      id: `bc:bench:${c}`,
      kind: 'broadcast',
      channel: 'telegram',
      to: String(CHAT0 + c),
      messages: [{ text: `Lokakarya pemutakhiran rencana desa: pesan ${c}` }],
    }));
    const t0 = performance.now();
    await enqueue(items);
    const enqueueMs = performance.now() - t0;
    let wokeAt = 0;
    const started = Date.now();
    await round.run(fake, () => (wokeAt = Date.now()));
    const ok = fake.callsTo('sendMessage').filter((c) => c.ok);
    const counts = fake.receivedCounts();
    const duplicates = [...counts.values()].reduce((s, n) => s + Math.max(0, n - 1), 0);
    const losses = N - counts.size;
    const first = ok[0]?.at ?? NaN;
    const last = ok.at(-1)?.at ?? NaN;
    const rate = (ok.length - 1) / ((last - first) / 1000);
    const statuses = await OutboxModel.aggregate<{ _id: string; n: number }>([{ $group: { _id: '$status', n: { $sum: 1 } } }]);
    console.log(
      `${i + 1}. ${round.name.padEnd(42)} ${rate.toFixed(1).padStart(5)} msg/s  429s ${String(fake.tooManyRequests).padStart(3)}  ` +
        `duplicates ${duplicates}  losses ${losses}  first send ${first - wokeAt} ms after wake  ` +
        `total ${((Date.now() - started) / 1000).toFixed(1)} s  enqueue ${enqueueMs.toFixed(0)} ms  ` +
        `outbox ${statuses.map((s) => `${s._id} ${s.n}`).join(', ')}`,
    );
    await fake.close();
  }
  await db.close();
}

await main();
