/**
 * `npm run bench:webhook`: the real service (src/service.ts) in webhook mode, in a process of
 * its own, on the embedded database (and again on MONGODB_URI when it is set), with the local
 * Bot API (test/fakes/telegram-bot-api.ts: 30 msg/s overall, about 1/s per chat, 429 with
 * retry_after above that). autocannon posts realistic Telegram updates with the secret header
 * for BENCH_MEMBERS (default 1,000) members walking /start -> registration -> laporan-risiko
 * (19 updates each, round-robin over the members, 20 keep-alive connections). Then the same
 * load goes to a minimal grammY webhook bot with no database, in the same run, for the ratio.
 *
 * Prints updates/s, p50/p95/p99 of the webhook answer, errors, replies owed vs delivered
 * exactly once after draining, 429s, peak RSS of the node process and of the database process.
 * Targets (2 cores, embedded database): >= 300 upd/s, >= 20% of bare grammY, p99 < 250 ms,
 * 0 errors, every owed reply delivered exactly once, node RSS < 250 MB.
 *
 * Then the WhatsApp webhook (signed payloads, bench/support/whatsapp-load.ts): median and p99 of
 * its answer (targets: median < 50 ms, p99 < 250 ms). BENCH_ONLY=whatsapp or =telegram runs one
 * part; BENCH_WA_MEMBERS (default 300) and BENCH_WA_CONNECTIONS (default 4).
 *
 * The service child runs compiled with the Dockerfile's node flags, as production runs it
 * (BENCH_RUNTIME=tsx: under tsx instead).
 *
 * BENCH_API_RATE changes the Bot API's overall limit (default 30 msg/s: draining 1,000 members'
 * replies then takes about 15 minutes). BENCH_CONNECTIONS (default 20). BENCH_CPU_PROF=1 writes
 * a CPU profile of the service process to bench/.profiles/ (see bench/profile-summary.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/db/local-server.js';
import { startFakeTelegram, type FakeTelegram } from '../test/fakes/telegram-bot-api.js';
import {
  CHAT0, TOKEN, formatLoad, loadBodies, mb, postAll, postFor, rssOf, startBareGrammy, startPeerGrammy, startServiceChild, surveyThenMenu,
  type LoadResult, type ServiceChild, type ServiceRuntime,
} from './support/telegram-load.js';
import { whatsappRound } from './support/whatsapp-load.js';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 1000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const API_RATE = Number(process.env.BENCH_API_RATE ?? 30);
const PROFILE = process.env.BENCH_CPU_PROF === '1';
/** As production runs it (compiled, the Dockerfile's node flags) unless BENCH_RUNTIME=tsx. */
const RUNTIME: ServiceRuntime = process.env.BENCH_RUNTIME === 'tsx' ? 'tsx' : 'compiled';

export interface Delivery {
  owed: number;
  delivered: number;
  exactlyOnce: number;
  chats: number;
  duplicates: number;
  missing: number;
  tooMany: number;
}

/** Messages each chat received against what the outbox owed it. */
export function compareDelivery(fake: FakeTelegram, owedByChat: Record<string, number>, tooManyBefore = 0, onlyChats?: (chat: number) => boolean): Delivery {
  const received = new Map([...fake.receivedCounts()].filter(([chat]) => !onlyChats || onlyChats(chat)));
  if (onlyChats) owedByChat = Object.fromEntries(Object.entries(owedByChat).filter(([chat]) => onlyChats(Number(chat))));
  let owed = 0;
  let delivered = 0;
  let exactlyOnce = 0;
  let duplicates = 0;
  let missing = 0;
  const chats = new Set([...Object.keys(owedByChat), ...[...received.keys()].map(String)]);
  for (const chat of chats) {
    const o = owedByChat[chat] ?? 0;
    const r = received.get(Number(chat)) ?? 0;
    owed += o;
    delivered += r;
    exactlyOnce += Math.min(o, r);
    duplicates += Math.max(0, r - o);
    missing += Math.max(0, o - r);
  }
  return { owed, delivered, exactlyOnce, chats: chats.size, duplicates, missing, tooMany: fake.tooManyRequests - tooManyBefore };
}

export interface ServiceRound {
  label: string;
  load: LoadResult;
  drainS: number;
  delivery: Delivery;
  nodePeak: number | null;
  dbPeak: number | null;
  reports: number;
  registered: number;
  dbBytes: number | null;
}

/** One service run: start, load, drain, compare, stop. */
export async function serviceRound(
  label: string,
  mongodbUri: string | undefined,
  options: { members?: number; apiRate?: number; before?: (child: ServiceChild, fake: FakeTelegram) => Promise<void> } = {},
): Promise<ServiceRound> {
  const members = options.members ?? MEMBERS;
  const apiRate = options.apiRate ?? API_RATE;
  const fake = await startFakeTelegram({ token: TOKEN, limits: { globalPerSecond: apiRate }, keepAliveTimeoutMs: 60_000 });
  for (let i = 0; i < members; i++) fake.addChat({ id: CHAT0 + i, first_name: 'Ibu' });
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-webhook-'));
  const port = await freePort();
  const child = await startServiceChild({
    port,
    apiRoot: fake.apiRoot,
    dataDir,
    ...(mongodbUri ? { mongodbUri } : {}),
    runtime: RUNTIME,
    execArgv: PROFILE ? ['--cpu-prof', '--cpu-prof-dir', join(import.meta.dirname, '.profiles')] : [],
    // Each run's own database on an external server.
    ...(mongodbUri ? { mongodbUri: withDatabase(mongodbUri, `bench_webhook_${Date.now()}`) } : {}),
    // The service's own dispatcher paces itself to the Bot API's limit.
    env: { BENCH_API_RATE: String(apiRate) },
  });
  try {
    await options.before?.(child, fake);
    const baseline = options.before ? await child.stats() : null;
    const bodies = loadBodies(members);
    const load = await postAll(child.url, bodies, CONNECTIONS);
    const t0 = performance.now();
    await child.drained();
    const drainS = (performance.now() - t0) / 1000;
    const stats = await child.stats();
    // The load's own chats (a benchmark may have seeded others).
    const delivery = compareDelivery(fake, stats.owed, 0, (chat) => chat >= CHAT0 && chat < CHAT0 + members);
    if (process.env.BENCH_DB_TRACE === '1') await printTrace(child, bodies.length);
    const nodePeak = rssOf(child.proc.pid!)?.peakMb ?? null;
    const dbPeak = child.dbPid ? (rssOf(child.dbPid)?.peakMb ?? null) : null;
    return {
      label, load, drainS, delivery, nodePeak, dbPeak,
      reports: (stats.submissions['laporan-risiko'] ?? 0) - (baseline?.submissions['laporan-risiko'] ?? 0),
      registered: stats.registered - (baseline?.registered ?? 0),
      dbBytes: stats.dbBytes,
    };
  } finally {
    await child.stop();
    await fake.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** BENCH_DB_TRACE=1: the service's database commands, by shape, with their mean time. */
async function printTrace(child: ServiceChild, updates: number): Promise<void> {
  const trace = await child.request<{ command: string; n: number; ms: number }[]>('trace');
  console.log(`  database commands (${trace.reduce((s, t) => s + t.n, 0)} for ${updates} updates):`);
  for (const t of trace.slice(0, 25)) console.log(`    ${String(t.n).padStart(7)} x ${(t.ms / t.n).toFixed(2).padStart(7)} ms = ${(t.ms / 1000).toFixed(1).padStart(6)} s  ${t.command}`);
}

export function withDatabase(uri: string, name: string): string {
  const url = new URL(uri);
  url.pathname = `/${name}`;
  return url.toString();
}

export function printRound(r: ServiceRound, members: number): void {
  const d = r.delivery;
  console.log(`  ${r.label}: ${formatLoad(r.load)}`);
  console.log(
    `    drained ${r.drainS.toFixed(1)} s after the load; replies owed ${d.owed}, delivered ${d.delivered}, exactly once ${d.exactlyOnce} ` +
      `(${d.duplicates} twice, ${d.missing} missing) to ${d.chats} chats; 429s ${d.tooMany}; ` +
      `${r.registered}/${members} registered, ${r.reports}/${members} reports stored`,
  );
  console.log(`    peak RSS: node ${mb(r.nodePeak)}, database ${r.dbPeak == null ? '(external)' : mb(r.dbPeak)}`);
}

async function bareRound(members: number): Promise<LoadResult> {
  const fake = await startFakeTelegram({ token: TOKEN, limits: { globalPerSecond: API_RATE }, keepAliveTimeoutMs: 60_000 });
  const bare = await startBareGrammy(await freePort(), fake.apiRoot);
  try {
    return await postAll(bare.url, loadBodies(members), CONNECTIONS);
  } finally {
    await bare.stop();
    await fake.close();
  }
}

/** The WhatsApp webhook under signed load (bench/support/whatsapp-load.ts). */
async function whatsapp(): Promise<void> {
  const members = Number(process.env.BENCH_WA_MEMBERS ?? 300);
  const connections = Number(process.env.BENCH_WA_CONNECTIONS ?? 4);
  console.log(`bench:webhook (WhatsApp): ${members} people x 5 signed text messages, ${connections} connections, embedded database`);
  const r = await whatsappRound(members, connections);
  const ok = (b: boolean) => (b ? 'met' : 'NOT met');
  console.log(`  WhatsApp webhook: ${formatLoad(r.load)}; recorded ${r.recorded}, handled ${r.handled}`);
  console.log(`  Targets: median < 50 ms ${ok(r.load.p50 < 50)}; p99 < 250 ms ${ok(r.load.p99 < 250)}; every message recorded once ${ok(r.recorded === r.load.sent && r.load.non2xx === 0)}`);
}

/**
 * The peer comparison (issue 21): Suara Desa against what a developer would build instead
 * (bench/support/peer-grammy.ts: grammY + conversations + storage-mongodb, on the database the
 * service started) and against bare grammY, in one run, for two loads: many people mostly
 * registering, and few people whose surveys are done in seconds, then mostly `menu`. Each
 * person: /start, seven answers, then "menu" again and again; BENCH_PEER_CONNECTIONS (default
 * 20) keep-alive connections for BENCH_PEER_SECONDS (default 15) s; replies go to an unlimited
 * local Bot API. Targets: >= 1.0x the peer's upd/s, p99 < 250 ms, 0 errors, >= 20% of bare grammY.
 */
async function peerComparison(): Promise<void> {
  const seconds = Number(process.env.BENCH_PEER_SECONDS ?? 15);
  const connections = Number(process.env.BENCH_PEER_CONNECTIONS ?? 20);
  const loads = (process.env.BENCH_PEER_PEOPLE ?? '2000,200').split(',').map(Number);
  console.log(`bench:webhook (peer comparison): /start, 7 answers, then "menu" again and again; ${connections} connections for ${seconds} s; unlimited local Bot API`);
  const ok = (b: boolean) => (b ? 'met' : 'NOT met');
  const errorsOf = (r: LoadResult) => r.errors + r.non2xx + r.timeouts;
  for (const people of loads) {
    const unlimited = () => startFakeTelegram({ token: TOKEN, limits: { enabled: false }, keepAliveTimeoutMs: 60_000 });
    const withFake = async <T>(fn: (fake: FakeTelegram) => Promise<T>): Promise<T> => {
      const fake = await unlimited();
      for (let i = 0; i < people; i++) fake.addChat({ id: CHAT0 + i, first_name: 'Ibu' });
      try {
        return await fn(fake);
      } finally {
        await fake.close();
      }
    };
    const bare = await withFake(async (fake) => {
      const bot = await startBareGrammy(await freePort(), fake.apiRoot);
      try {
        return await postFor(bot.url, people, surveyThenMenu, connections, seconds);
      } finally {
        await bot.stop();
      }
    });
    const dataDir = mkdtempSync(join(tmpdir(), 'bench-peer-'));
    const fake = await unlimited();
    for (let i = 0; i < people; i++) fake.addChat({ id: CHAT0 + i, first_name: 'Ibu' });
    const child = await startServiceChild({
      port: await freePort(), apiRoot: fake.apiRoot, dataDir, runtime: RUNTIME,
      execArgv: PROFILE ? ['--cpu-prof', '--cpu-prof-dir', join(import.meta.dirname, '.profiles')] : [],
      env: { BENCH_API_RATE: '1000000', BENCH_API_PER_CHAT: '1000000' },
    });
    let ours: LoadResult;
    let peer: LoadResult;
    let drainS: number;
    let delivery: Delivery;
    try {
      ours = await postFor(child.url, people, surveyThenMenu, connections, seconds);
      const t0 = performance.now();
      await child.drained();
      drainS = (performance.now() - t0) / 1000;
      delivery = compareDelivery(fake, (await child.stats()).owed);
      if (process.env.BENCH_DB_TRACE === '1') {
        const calls = ['sendMessage', 'editMessageReplyMarkup', 'editMessageText', 'answerCallbackQuery', 'deleteMessage'].map((m) => `${m} ${fake.callsTo(m).length}`);
        console.log(`  Bot API calls for ${ours.sent} updates: ${calls.join(', ')}`);
      }
      if (process.env.BENCH_DB_TRACE === '1') await printTrace(child, ours.sent);
      // The peer on the same database server, in a database of its own.
      peer = await withFake(async (peerFake) => {
        const bot = await startPeerGrammy(await freePort(), peerFake.apiRoot, withDatabase(child.databaseUri, 'bench_peer'));
        try {
          return await postFor(bot.url, people, surveyThenMenu, connections, seconds);
        } finally {
          await bot.stop();
        }
      });
    } finally {
      await child.stop();
      await fake.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
    const ratio = ours.perSecond / peer.perSecond;
    const ofBare = ours.perSecond / bare.perSecond;
    console.log(`  ${people} people:`);
    console.log(`    bare grammY, no database: ${formatLoad(bare)}`);
    console.log(`    peer (grammY + conversations + storage-mongodb): ${formatLoad(peer)}`);
    console.log(`    Suara Desa: ${formatLoad(ours)}`);
    console.log(`      replies owed ${delivery.owed}, delivered exactly once ${delivery.exactlyOnce} (${delivery.duplicates} twice, ${delivery.missing} missing), all out ${drainS.toFixed(1)} s after the load`);
    console.log(
      `    ratio to the peer ${ratio.toFixed(2)}x (${ok(ratio >= 1)}); p99 < 250 ms ${ok(ours.p99 < 250)}; 0 errors ${ok(errorsOf(ours) === 0)}; ` +
        `${(ofBare * 100).toFixed(0)}% of bare grammY (>= 20% ${ok(ofBare >= 0.2)}); exactly once ${ok(delivery.duplicates === 0 && delivery.missing === 0)}`,
    );
  }
}

async function main() {
  if (process.env.BENCH_ONLY === 'whatsapp') return whatsapp();
  if (process.env.BENCH_ONLY === 'peer') return peerComparison();
  console.log(
    `bench:webhook: ${MEMBERS} members x 19 updates (/start, registration, risk report), ${CONNECTIONS} connections; ` +
      `local Bot API at ${API_RATE} msg/s overall, 1/s per chat; the service ${RUNTIME === 'compiled' ? 'compiled (node --max-old-space-size=128, as in the image)' : 'under tsx'}`,
  );
  const bare = await bareRound(MEMBERS);
  console.log(`  bare grammY, no database: ${formatLoad(bare)}`);
  const rounds: ServiceRound[] = [];
  const only = process.env.BENCH_DB; // 'embedded' | 'mongodb'
  if (only !== 'mongodb') rounds.push(await serviceRound('Suara Desa, embedded database', undefined));
  if (rounds[0]) printRound(rounds[0], MEMBERS);
  if (process.env.MONGODB_URI && only !== 'embedded') {
    const r = await serviceRound('Suara Desa, MONGODB_URI', process.env.MONGODB_URI);
    rounds.push(r);
    printRound(r, MEMBERS);
  }
  const bareAgain = await bareRound(MEMBERS);
  console.log(`  bare grammY again (after): ${formatLoad(bareAgain)}`);
  const bareRate = (bare.perSecond + bareAgain.perSecond) / 2;
  for (const r of rounds) {
    const ratio = r.load.perSecond / bareRate;
    const errors = r.load.errors + r.load.non2xx + r.load.timeouts;
    const ok = (b: boolean) => (b ? 'met' : 'NOT met');
    console.log(
      `  ${r.label}: ${(ratio * 100).toFixed(0)}% of bare grammY (${bareRate.toFixed(0)} upd/s, mean of before and after). Targets: ` +
        `>= 300 upd/s ${ok(r.load.perSecond >= 300)}; >= 20% ${ok(ratio >= 0.2)}; p99 < 250 ms ${ok(r.load.p99 < 250)}; 0 errors ${ok(errors === 0)}; ` +
        `exactly once ${ok(r.delivery.duplicates === 0 && r.delivery.missing === 0)}; node RSS < 250 MB ${ok((r.nodePeak ?? Infinity) < 250)}`,
    );
  }
  if (process.env.BENCH_ONLY !== 'telegram') await whatsapp();
  if (process.env.BENCH_ONLY !== 'telegram') await peerComparison();
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
