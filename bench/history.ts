/**
 * `npm run bench:history`: does the service slow down as history piles up? The webhook load of
 * bench/webhook.ts (BENCH_MEMBERS new members, default 300, walking /start -> registration ->
 * laporan-risiko) runs twice in one run: on an empty embedded database, and on one that already
 * holds 5,000 registered members, 20,000 finished runs (5,000 registrations and 15,000 risk
 * reports), 2,000 expired drafts, and the inbox and outbox traces of 20,000 earlier messages.
 * Target: the second round's figures within 20% of the first's. The Bot API allows
 * BENCH_API_RATE msg/s (default 1,000 here, so draining is quick; the dispatcher paces to it).
 */
import { CHAT0, walkOne, type SeedOptions } from './support/telegram-load.js';
import { printRound, serviceRound } from './webhook.js';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 300);
const API_RATE = Number(process.env.BENCH_API_RATE ?? 1000);
const TEMPLATE = 999_999; // walk() index of the member whose data is cloned

async function main() {
  console.log(`bench:history: ${MEMBERS} new members x 19 updates, empty database vs 5,000 members and 20,000 finished runs; Bot API ${API_RATE} msg/s`);
  const empty = await serviceRound('empty database', process.env.MONGODB_URI, { members: MEMBERS, apiRate: API_RATE });
  printRound(empty, MEMBERS);
  let seededIn = 0;
  const full = await serviceRound('with history', process.env.MONGODB_URI, {
    members: MEMBERS,
    apiRate: API_RATE,
    async before(child, fake) {
      fake.addChat({ id: CHAT0 + TEMPLATE, first_name: 'Ibu' });
      await walkOne(child.url, TEMPLATE, 19, 10_000_000);
      await child.drained();
      const options: SeedOptions = {
        template: String(CHAT0 + TEMPLATE), members: 5000, firstUserId: 8_000_000, inRun: false,
        reports: 15_000, expiredRuns: 2000, inboxDone: 20_000, outboxSent: 20_000,
      };
      seededIn = (await child.request<{ ms: number }>('seed', options)).ms;
      const stats = await child.stats();
      console.log(
        `  seeded in ${(seededIn / 1000).toFixed(1)} s: ${stats.members} members, ${Object.values(stats.submissions).reduce((a, b) => a + b, 0)} submissions, ` +
          `${stats.runs} drafts, inbox ${JSON.stringify(stats.inbox)}, outbox ${JSON.stringify(stats.outbox)}; database ${((stats.dbBytes ?? 0) / 1e6).toFixed(0)} MB`,
      );
    },
  });
  printRound(full, MEMBERS);
  const change = (a: number, b: number) => `${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(0)}%`;
  const within = (a: number, b: number, higherIsBetter: boolean) => (higherIsBetter ? b >= a * 0.8 : b <= a * 1.2);
  const e = empty.load;
  const f = full.load;
  const ok = within(e.perSecond, f.perSecond, true) && within(e.p50, f.p50, false) && within(e.p99, f.p99, false);
  console.log(
    `  with history vs empty: upd/s ${change(e.perSecond, f.perSecond)}, p50 ${change(e.p50, f.p50)}, p95 ${change(e.p95, f.p95)}, p99 ${change(e.p99, f.p99)}. ` +
      `Target within 20%: ${ok ? 'met' : 'NOT met'}`,
  );
}

await main();
