/**
 * The crash drill shared by bench/crash.ts, test/pipeline/crash-app.test.ts and
 * test/pipeline/crash-database.test.ts: members walk /start -> registration -> laporan-risiko
 * through the real service's webhook while the service process (or its whole process group,
 * with the embedded database) is killed with SIGKILL at random moments and started again on the
 * same data and port; or (mode 'database') only its database is killed with SIGKILL, the
 * service lives on, and `/readyz` must answer 200 again within `readyWithinMs`.
 *
 * Each member behaves like a person and like Telegram: an update is posted until it is answered
 * 200 (a refused connection or a 503 is sent again, as Telegram re-delivers), and the next
 * answer is typed only once the bot's reply to the last one has arrived (or after `replyWaitMs`).
 * Afterwards every acknowledged answer is looked for where it belongs in the stored
 * registration and report: found there, lost (missing or wrong), or stored twice (a second
 * submission); and every chat's received messages are compared with what the outbox owed it.
 */
import { existsSync } from 'node:fs';
import type { FakeTelegram } from '../../test/fakes/telegram-bot-api.js';
import { CHAT0, SECRET, childrenOf, cmdline, name, updateFor, walk, startServiceChild, type MemberRecord, type ServiceChild, type ServiceChildOptions } from './telegram-load.js';

export interface CrashOptions {
  members: number;
  kills: number;
  /**
   * 'app': SIGKILL the service process; 'group': its whole process group (with the embedded
   * database); 'database': only the database (the embedded one, which the service restarts, or
   * through `killDatabase` an external one, which that restarts).
   */
  mode: 'app' | 'group' | 'database';
  /** Mode 'database' with MONGODB_URI: kills the external database with SIGKILL and starts it again on the same port and data. */
  killDatabase?: () => Promise<void>;
  /** Mode 'database': how soon after a kill `/readyz` must answer 200 (default 30 s); a later answer is counted as late. */
  readyWithinMs?: number;
  fake: FakeTelegram;
  child: Omit<ServiceChildOptions, 'detached'>;
  /** Kill after a random time in [min, max] ms from the previous (re)start. */
  killAfterMs?: [number, number];
  /** How long a member waits for the reply before typing on (default 90 s: longer than the inbox lease). */
  replyWaitMs?: number;
  log?: (line: string) => void;
}

export interface CrashResult {
  acknowledgedUpdates: number;
  /** Answers that store a value (14 per member), acknowledged. */
  acknowledgedAnswers: number;
  stored: number;
  lost: number;
  storedTwice: number;
  repliesOwed: number;
  repliesSent: number;
  repliesTwice: number;
  repliesMissing: number;
  /** Chats whose number of replies differs from the most common one (re-asked questions, or missing). */
  chatsOffWalk: number;
  /** downMs: until the service was started again (modes 'app', 'group') or until `/readyz` answered 200 (mode 'database'). */
  kills: { atMs: number; signal: string; downMs: number }[];
  /** Mode 'database': kills after which `/readyz` was not 200 within `readyWithinMs`. */
  readyLate: number;
  /** Milliseconds from each platform OK to its durable record in the service (gathered before each kill and at the end). */
  recordGapsMs: number[];
  /** For each reply sent twice: how long before the kill its first copy was accepted by the Bot API (ms). */
  twiceSentBeforeKillMs: number[];
  retries: number;
  replyWaitsTimedOut: number;
  durationS: number;
  lostDetail: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = ([a, b]: [number, number]) => a + Math.random() * (b - a);

/** The stored value each answering update of member i must leave (registration, then the report). */
export function expectedAnswers(i: number): { flowId: string; key: string; ok: (v: unknown) => boolean }[] {
  const eq = (x: unknown) => (v: unknown) => JSON.stringify(v) === JSON.stringify(x);
  const step = walk(i);
  const loc = step[12] as { latitude: number; longitude: number };
  return [
    { flowId: 'daftar', key: 'consent', ok: eq(true) },
    { flowId: 'daftar', key: 'minor', ok: eq(false) },
    { flowId: 'daftar', key: 'name', ok: eq(`Warga ${name(i)}`) },
    { flowId: 'daftar', key: 'kecamatan', ok: eq('Teluk Waru') },
    { flowId: 'daftar', key: 'village', ok: eq('81.05.15.2004') },
    { flowId: 'daftar', key: 'role', ok: eq('warga') },
    { flowId: 'laporan-risiko', key: 'type', ok: eq('rob') },
    { flowId: 'laporan-risiko', key: 'date', ok: (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) },
    { flowId: 'laporan-risiko', key: 'place', ok: eq(`Dusun ${name(i)}`) },
    { flowId: 'laporan-risiko', key: 'location', ok: (v) => (v as { latitude?: number })?.latitude === loc.latitude && (v as { longitude?: number })?.longitude === loc.longitude },
    { flowId: 'laporan-risiko', key: 'severity', ok: eq('sedang') },
    { flowId: 'laporan-risiko', key: 'households', ok: eq(1 + (i % 400)) },
    { flowId: 'laporan-risiko', key: 'livelihoods', ok: eq(['perikanan', 'kopra']) },
    { flowId: 'laporan-risiko', key: 'help', ok: eq(`Perahu dan jaring ${name(i)}`) },
  ];
}

export async function crashRun(options: CrashOptions): Promise<CrashResult> {
  const { fake, members } = options;
  const log = options.log ?? (() => undefined);
  const replyWaitMs = options.replyWaitMs ?? 90_000;
  for (let i = 0; i < members; i++) fake.addChat({ id: CHAT0 + i, first_name: 'Ibu' });
  const detached = options.mode === 'group';
  let child: ServiceChild = await startServiceChild({ ...options.child, detached });
  const url = child.url;
  const started = Date.now();
  let acknowledgedUpdates = 0;
  let retries = 0;
  let replyWaitsTimedOut = 0;

  async function post(body: string): Promise<boolean> {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  let updateId = 1;
  const walking = Array.from({ length: members }, async (_, i) => {
    const chatId = CHAT0 + i;
    await sleep(Math.random() * 1000);
    for (const [s, step] of walk(i).entries()) {
      const before = fake.chat(chatId).botMessages.length;
      const body = JSON.stringify(updateFor(i, step, updateId++, 100 + s));
      while (!(await post(body))) {
        retries++;
        await sleep(200 + Math.random() * 300);
      }
      acknowledgedUpdates++;
      try {
        await fake.waitFor(() => fake.chat(chatId).botMessages.length > before, replyWaitMs);
      } catch {
        replyWaitsTimedOut++;
      }
      await sleep(50 + Math.random() * 250); // reading and typing
    }
  });
  let walkingDone = false;
  const allWalked = Promise.all(walking).then(() => (walkingDone = true));

  const kills: CrashResult['kills'] = [];
  const recordGapsMs: number[] = [];
  let readyLate = 0;
  const readyWithinMs = options.readyWithinMs ?? 30_000;
  for (let k = 0; k < options.kills; k++) {
    await Promise.race([sleep(between(options.killAfterMs ?? [1500, 5000])), allWalked]);
    if (walkingDone) {
      log(`  (all members finished before kill ${k + 1})`);
      break;
    }
    if (options.mode !== 'database') recordGapsMs.push(...(await child.request<number[]>('gaps').catch(() => [])));
    const atMs = Date.now() - started;
    if (options.mode === 'database') {
      const t0 = Date.now();
      await (options.killDatabase ?? (() => killEmbeddedDatabase(child)))();
      // Counted from the kill (with MONGODB_URI, the supervisor's restart of the database is inside).
      const ready = await readyAgain(child.port, Math.max(0, readyWithinMs - (Date.now() - t0)));
      if (!ready) {
        readyLate++;
        log(`  kill ${k + 1} of the database: /readyz not 200 within ${readyWithinMs / 1000} s`);
        if (!(await readyAgain(child.port, 10 * readyWithinMs))) throw new Error(`the service did not get its database back within ${(11 * readyWithinMs) / 1000} s of kill ${k + 1}`);
      }
      kills.push({ atMs, signal: 'SIGKILL', downMs: Date.now() - t0 });
      log(`  kill ${k + 1} of the database at ${(atMs / 1000).toFixed(1)} s; /readyz 200 again after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      continue;
    }
    const dbPid = child.dbPid;
    if (options.mode === 'group') process.kill(-child.proc.pid!, 'SIGKILL');
    else child.proc.kill('SIGKILL');
    const { signal } = await child.exited;
    // The embedded database stops when its parent dies (stdin closed), or was killed with it: wait for it to be gone.
    while (dbPid && existsSync(`/proc/${dbPid}`)) await sleep(50);
    const t0 = Date.now();
    child = await startServiceChild({ ...options.child, detached });
    kills.push({ atMs, signal: signal ?? '?', downMs: Date.now() - t0 });
    log(`  kill ${k + 1} at ${(atMs / 1000).toFixed(1)} s (${options.mode === 'group' ? 'process group' : 'app'}: ${signal}); restarted in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  await allWalked;
  await child.drained();
  recordGapsMs.push(...(await child.request<number[]>('gaps')));
  const stats = await child.stats();
  const stored = await child.request<MemberRecord[]>('members');
  await child.stop();

  // Answer by answer.
  let acknowledgedAnswers = 0;
  let ok = 0;
  let lost = 0;
  let storedTwice = 0;
  const lostDetail: string[] = [];
  const transcripts = new Map<number, string>();
  for (let i = 0; i < members; i++) {
    const m = stored.find((r) => r.platformUserId === String(CHAT0 + i));
    for (const e of expectedAnswers(i)) {
      acknowledgedAnswers++;
      const subs = (m?.submissions ?? []).filter((s) => s.flowId === e.flowId);
      if (subs.length > 1) storedTwice++;
      if (subs[0] && e.ok(subs[0].answers[e.key])) ok++;
      else {
        lost++;
        if (lostDetail.length < 10) lostDetail.push(`member ${i} ${e.flowId}.${e.key} = ${JSON.stringify(subs[0]?.answers[e.key])}`);
        if (process.env.BENCH_TRANSCRIPT && !transcripts.has(i)) transcripts.set(i, fake.chat(CHAT0 + i).messages.map((x) => `${x.from}: ${(x.text ?? x.caption ?? (x.location ? 'location' : '?')).slice(0, 60).replace(/\n/g, ' / ')}`).join('\n      '));
      }
    }
  }
  for (const [i, t] of transcripts) lostDetail.push(`\n    transcript of member ${i}:\n      ${t}`);
  // Replies.
  const received = fake.receivedCounts();
  let repliesOwed = 0;
  let repliesSent = 0;
  let repliesTwice = 0;
  let repliesMissing = 0;
  const perChat: number[] = [];
  for (let i = 0; i < members; i++) {
    const chat = String(CHAT0 + i);
    const owed = stats.owed[chat] ?? 0;
    const got = received.get(CHAT0 + i) ?? 0;
    repliesOwed += owed;
    repliesSent += got;
    repliesTwice += Math.max(0, got - owed);
    repliesMissing += Math.max(0, owed - got);
    perChat.push(got);
  }
  const twiceSentBeforeKillMs = sentTwiceBeforeKill(fake, kills.map((k) => started + k.atMs));
  const freq = new Map<number, number>();
  for (const n of perChat) freq.set(n, (freq.get(n) ?? 0) + 1);
  const usual = [...freq].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0;
  return {
    acknowledgedUpdates,
    acknowledgedAnswers,
    stored: ok,
    lost,
    storedTwice,
    repliesOwed,
    repliesSent,
    repliesTwice,
    repliesMissing,
    chatsOffWalk: perChat.filter((n) => n !== usual).length,
    kills,
    readyLate,
    recordGapsMs,
    twiceSentBeforeKillMs,
    retries,
    replyWaitsTimedOut,
    durationS: (Date.now() - started) / 1000,
    lostDetail,
  };
}

/**
 * The replies the Bot API accepted twice (same chat, same text, one copy before a kill and one
 * after it): for each, how long before that kill the first copy was accepted (negative: after
 * it, a request already on its way).
 */
function sentTwiceBeforeKill(fake: FakeTelegram, killsAt: number[]): number[] {
  const firstAt = new Map<string, number>();
  const out: number[] = [];
  for (const call of fake.callsTo('sendMessage')) {
    if (!call.ok) continue;
    const key = `${String(call.params.chat_id)}\u0000${String(call.params.text)}`;
    const first = firstAt.get(key);
    if (first === undefined) {
      firstAt.set(key, call.at);
      continue;
    }
    // The kill that cut its record off: the first one after the first copy. A copy whose request
    // left before the kill can be accepted a moment after it (negative: in flight at the kill).
    const kill = killsAt.find((k) => k >= first - 500);
    if (kill !== undefined && kill <= call.at) out.push(kill - first);
  }
  return out;
}

/** SIGKILL of the embedded database the service runs (its child process now: a restarted one has a new pid). */
async function killEmbeddedDatabase(child: ServiceChild): Promise<void> {
  const pid = childrenOf(child.proc.pid!).find((p) => /StandIn|mongod/.test(cmdline(p)));
  if (!pid) throw new Error('no embedded database process under the service');
  process.kill(pid, 'SIGKILL');
  while (existsSync(`/proc/${pid}`)) await sleep(20);
}

/** Polls `/readyz` until it answers 200; false after `withinMs`. */
async function readyAgain(port: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(Math.max(100, Math.min(5000, deadline - Date.now()))) });
      await res.arrayBuffer();
      if (res.status === 200) return true;
    } catch {
      // refused, or no answer yet
    }
    await sleep(100);
  }
  return false;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** The send/record window: platform OK -> durable record, p50/p99/max over every send. */
export function formatGaps(r: CrashResult): string {
  const g = [...r.recordGapsMs].sort((a, b) => a - b);
  const before = [...r.twiceSentBeforeKillMs].sort((a, b) => a - b).map((ms) => `${ms} ms`);
  return (
    `platform OK -> durable record: p50 ${pct(g, 50).toFixed(1)} ms, p99 ${pct(g, 99).toFixed(1)} ms, max ${(g.at(-1) ?? NaN).toFixed(1)} ms (${g.length} sends); ` +
    `sent twice ${r.repliesTwice}${before.length ? ` (first copies accepted ${before.join(', ')} before the kill)` : ''}`
  );
}

export function formatCrash(r: CrashResult): string {
  return (
    `acknowledged updates ${r.acknowledgedUpdates} (answers ${r.acknowledgedAnswers}); answers stored ${r.stored}, lost ${r.lost}, stored twice ${r.storedTwice}; ` +
    `replies owed ${r.repliesOwed}, sent ${r.repliesSent} (${r.repliesTwice} twice, ${r.repliesMissing} missing; ${r.chatsOffWalk} chats off the usual count); ` +
    `${r.retries} re-deliveries, ${r.replyWaitsTimedOut} reply waits timed out; ${r.durationS.toFixed(0)} s`
  );
}
