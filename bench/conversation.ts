/**
 * Benchmark: how fast a conversation moves.
 *   1. the pure engine: complete laporan-risiko runs, steps per second;
 *   2. the whole service on a real database (the stand-in in memory, or MONGODB_URI):
 *      many villagers filing reports at once, messages per second and latency per message.
 * Prints its figures; run with `npm run bench`.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import mongoose from 'mongoose';
import { ConversationService } from '../src/conversation/service.js';
import type { InboundContent, OutboundMessage } from '../src/messages/index.js';
import { ensureIndexes } from '../src/db/connection.js';
import { startStandIn } from '../src/db/local-server.js';
import { seedVillages } from '../src/db/seed.js';
import { loadFlows, startRun, step, type EngineInput, type RunState, type StepContext } from '../src/engine/index.js';
import { createI18n, translatorFor } from '../src/i18n.js';
import { createLogger } from '../src/logging/logger.js';
import { flowsDir } from '../src/paths.js';

const ENGINE_RUNS = Number(process.env.BENCH_ENGINE_RUNS ?? 2000);
const USERS = Number(process.env.BENCH_USERS ?? 50);

/** A complete risk report as a villager answers it (after the menu). */
const REPORT: Exclude<EngineInput, { kind: 'back' }>[] = [
  { kind: 'text', text: '2' }, // Banjir rob
  { kind: 'text', text: 'kemarin' },
  { kind: 'text', text: 'Dusun Pantai' },
  { kind: 'location', latitude: -3.5167, longitude: 130.6667 },
  { kind: 'text', text: '2' }, // sedang
  { kind: 'text', text: '12' },
  { kind: 'text', text: '1,4' },
  { kind: 'text', text: 'Beras' },
  { kind: 'text', text: 'lewati' },
  { kind: 'text', text: '1' }, // kirim
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function benchEngine(): Promise<void> {
  const flows = await loadFlows(flowsDir);
  const flow = flows.get('laporan-risiko')!;
  const i18n = await createI18n();
  const ctx: StepContext = { now: new Date(), timeZone: 'Asia/Jayapura', t: translatorFor(i18n, 'id'), data: { villages: [], activities: [] } };
  let steps = 0;
  const started = performance.now();
  for (let r = 0; r < ENGINE_RUNS; r++) {
    let state: RunState = startRun(flow, ctx).state;
    for (const input of REPORT) {
      const result = step(flow, state, input, ctx);
      state = result.state;
      steps++;
    }
    if (state.status !== 'done') throw new Error('engine run did not finish');
  }
  const ms = performance.now() - started;
  console.log(`engine: ${ENGINE_RUNS} complete reports, ${steps} steps in ${ms.toFixed(0)} ms = ${Math.round(steps / (ms / 1000))} steps/s, ${((ms * 1000) / steps).toFixed(1)} µs/step`);
}

async function benchService(): Promise<void> {
  const standIn = process.env.MONGODB_URI ? null : await startStandIn();
  const uri = process.env.MONGODB_URI ?? `${standIn!.uri.replace(/\/[^/]*$/, '')}/bench_${randomUUID().slice(0, 8)}`;
  await mongoose.connect(uri);
  await ensureIndexes();
  await seedVillages();
  const flows = await loadFlows(flowsDir);
  const service = new ConversationService({ flows, i18n: await createI18n(), logger: createLogger({ level: 'silent' }), timeZone: 'Asia/Jayapura', runExpiryHours: 168 });

  const latencies: number[] = [];
  const send = async (user: string, content: InboundContent): Promise<OutboundMessage[]> => {
    const t0 = performance.now();
    const replies = await service.handle({ channel: 'web', platformUserId: user, messageId: randomUUID(), receivedAt: new Date(), content });
    latencies.push(performance.now() - t0);
    if (!replies) throw new Error('unexpected duplicate');
    return replies;
  };
  const registration: InboundContent[] = ['halo', 'ya', 'tidak', 'Ibu Bench', '3', 'Solang', '1', '1'].map((text) => ({ kind: 'text', text }));

  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: USERS }, async (_, i) => {
      const user = `bench-${i}`;
      for (const c of registration) await send(user, c);
      await send(user, { kind: 'text', text: '1' }); // menu: laporan risiko
      let last: OutboundMessage[] = [];
      for (const c of REPORT) last = await send(user, c);
      if (!last.some((m) => m.text.includes('sudah tersimpan'))) throw new Error(`report of ${user} not sent: ${last.map((m) => m.text).join(' | ')}`);
    }),
  );
  const ms = performance.now() - started;
  const submissions = await mongoose.connection.db!.collection('submissions').countDocuments({ flowId: 'laporan-risiko' });
  latencies.sort((a, b) => a - b);
  console.log(
    `service+db (${standIn ? 'mongo-java-server stand-in' : 'MONGODB_URI'}): ${USERS} villagers at once, ${latencies.length} messages in ${ms.toFixed(0)} ms = ` +
      `${Math.round(latencies.length / (ms / 1000))} messages/s; latency p50 ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms; ` +
      `${submissions} reports stored; RSS ${mb(process.memoryUsage().rss)} (+${mb(process.memoryUsage().rss - rssBefore)}), heap ${mb(process.memoryUsage().heapUsed)}`,
  );
  if (submissions !== USERS) throw new Error(`expected ${USERS} reports, found ${submissions}`);
  await mongoose.connection.db!.dropDatabase();
  await mongoose.disconnect();
  await standIn?.stop();
}

await benchEngine();
await benchService();
