/**
 * `npm run bench:broadcast`: a facilitator's broadcast (src/facilitator) to BENCH_MEMBERS (default
 * 2,000) Telegram members, from confirm to the last message, through the outbox and the real
 * dispatcher to the local Bot API, which enforces 30 msg/s overall and about 1/s per chat and
 * answers 429 with retry_after above that. Rounds:
 *   1. one dispatcher;  2. two dispatchers;  3. one dispatcher process killed with SIGKILL half
 *   way, then started again.
 * Prints messages/s, 429s, duplicates, losses, the time from confirm to the first message and
 * the report the facilitator gets. Targets: >= 28.5 messages/s, 0 duplicates, 0 losses.
 * Database: MONGODB_URI, else the stand-in in memory. Quiet hours are off here (a bench at 22:00
 * WIT would otherwise wait for 06:00).
 */
import { fileURLToPath } from 'node:url';
import { broadcastProgress, confirmBroadcast, createBroadcastDraft, runBroadcasts } from '../src/facilitator/broadcasts.js';
import { DEFAULT_REMINDERS, type FacilitatorDeps } from '../src/facilitator/deps.js';
import { BroadcastModel, MemberModel, OutboxModel } from '../src/db/models.js';
import { seedVillages } from '../src/db/seed.js';
import { createI18n } from '../src/i18n.js';
import { benchDatabase, dispatcherFor as dispatcherWith, exited, runDispatcherChildIfAsked, spawnDispatcher } from './support/dispatchers.js';
import { startFakeTelegram, type FakeTelegram } from '../test/fakes/telegram-bot-api.js';

const TOKEN = '555002:bench-broadcast-token-abcdefghijklmnopqrstuvwxyz';
const N = Number(process.env.BENCH_MEMBERS ?? 2000);
const CHAT0 = 2_000_000;
const FACILITATOR_CHAT = CHAT0 - 1;
const VILLAGE = '81.05.15.2004'; // Solang

await runDispatcherChildIfAsked(TOKEN);

const dispatcherFor = (apiRoot: string, leaseMs?: number) => dispatcherWith(TOKEN, apiRoot, leaseMs);
const child = (uri: string, apiRoot: string, leaseMs?: number) => spawnDispatcher(fileURLToPath(import.meta.url), uri, apiRoot, leaseMs);

interface Round {
  name: string;
  /** Confirms through `confirm` (which queues and wakes), then returns once everything is sent. */
  run(fake: FakeTelegram, confirm: (wake: () => void) => Promise<void>): Promise<void>;
}

async function main() {
  const db = await benchDatabase('bench_broadcast');
  const uri = db.uri;
  await seedVillages();
  const consent = { version: 'daftar v1', givenAt: new Date() };
  const facilitator = await MemberModel.create({
    channel: 'telegram', platformUserId: String(FACILITATOR_CHAT), name: 'Bu Rina', villageCode: VILLAGE, role: 'fasilitator', consent, registeredAt: new Date(),
  });
  await MemberModel.insertMany(
    Array.from({ length: N }, (_, i) => ({ channel: 'telegram', platformUserId: String(CHAT0 + i), name: `Warga ${i}`, villageCode: VILLAGE, role: 'warga', language: i % 10 === 0 ? 'en' : 'id', consent, registeredAt: new Date() })),
  );
  const deps: FacilitatorDeps = { i18n: await createI18n(), timeZone: 'Asia/Jayapura', quietHours: null, reminders: DEFAULT_REMINDERS };
  console.log(`bench:broadcast: a broadcast to ${N} Telegram members (+ the facilitator), local Bot API at 30 msg/s overall, 1/s per chat; database: ${db.label}`);

  const rounds: Round[] = [
    {
      name: 'one dispatcher',
      async run(_fake, confirm) {
        const d = dispatcherFor(_fake.apiRoot);
        d.start();
        await confirm(() => d.wake());
        await d.drained();
        await d.stop();
      },
    },
    {
      name: 'two dispatchers',
      async run(fake, confirm) {
        const a = dispatcherFor(fake.apiRoot);
        const b = dispatcherFor(fake.apiRoot);
        a.start();
        b.start();
        await confirm(() => {
          a.wake();
          b.wake();
        });
        await Promise.all([a.drained(), b.drained()]);
        await Promise.all([a.stop(), b.stop()]);
      },
    },
    {
      name: 'dispatcher process SIGKILLed half way, restarted',
      async run(fake, confirm) {
        const leaseMs = 3000;
        const first = child(uri, fake.apiRoot, leaseMs);
        await confirm(() => undefined);
        await fake.waitFor(() => fake.receivedCounts().size >= (N + 1) / 2, 600_000);
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
    await BroadcastModel.deleteMany({});
    const fake = await startFakeTelegram({ token: TOKEN });
    fake.addChat(FACILITATOR_CHAT);
    for (let c = 0; c < N; c++) fake.addChat(CHAT0 + c);
    const { id } = await createBroadcastDraft(
      { text: { id: 'Lokakarya pemutakhiran rencana desa diundur ke Senin depan. Mohon hadir jam 09.00 WIT di balai desa.' }, villageCodes: [VILLAGE], createdBy: facilitator._id, createdByName: 'Bu Rina' },
      deps,
    );
    let confirmedAt = 0;
    let queueMs = 0;
    const started = Date.now();
    await round.run(fake, async (wake) => {
      confirmedAt = Date.now();
      await confirmBroadcast(id, { ...deps, wake });
      queueMs = Date.now() - confirmedAt;
    });
    const ok = fake.callsTo('sendMessage').filter((c) => c.ok);
    const counts = fake.receivedCounts();
    const duplicates = [...counts.values()].reduce((s, n) => s + Math.max(0, n - 1), 0);
    const losses = N + 1 - counts.size;
    const first = ok[0]?.at ?? NaN;
    const last = ok.at(-1)?.at ?? NaN;
    const rate = (ok.length - 1) / ((last - first) / 1000);
    const progress = await broadcastProgress(id);
    // The facilitator's report: queued by the broadcasts job once nothing is left.
    await runBroadcasts(deps);
    const report = await OutboxModel.findById(`bc-report:${String(id)}`).lean();
    console.log(
      `${i + 1}. ${round.name.padEnd(48)} ${rate.toFixed(1).padStart(5)} msg/s  429s ${String(fake.tooManyRequests).padStart(3)}  ` +
        `duplicates ${duplicates}  losses ${losses}  confirm->first message ${first - confirmedAt} ms (queueing ${queueMs} ms)  ` +
        `total ${((Date.now() - started) / 1000).toFixed(1)} s  outbox: sent ${progress.sent}, failed ${progress.failed}, pending ${progress.pending}  ` +
        `report queued: ${report ? 'yes' : 'no'}`,
    );
    await fake.close();
  }
  await db.close();
}

await main();
