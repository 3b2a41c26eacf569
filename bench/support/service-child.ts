/**
 * The real service in a process of its own for the webhook benchmarks: `startService` with the
 * configuration in its environment (bench/support/telegram-load.ts sets it), driven over IPC:
 *   ready -> { databaseUri }   stats -> ServiceStats   drained   stop (exits 0, so --cpu-prof is written)
 */
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import mongoose from 'mongoose';
import { loadConfig } from '../../src/config/index.js';
import { InboxModel, MemberModel, OutboxModel, RunModel, SubmissionModel } from '../../src/db/models.js';
import { TELEGRAM_RATE_LIMITS } from '../../src/channels/telegram/outbound.js';
import { createLogger } from '../../src/logging/logger.js';
import { resolveDataDir } from '../../src/paths.js';
import { startService } from '../../src/service.js';
import type { MemberRecord, SeedOptions, ServiceStats } from './telegram-load.js';

// The benchmark's Bot API may allow more than Telegram's 30 msg/s (a faster drain): pace to it.
if (process.env.BENCH_API_RATE) TELEGRAM_RATE_LIMITS.perSecond = Number(process.env.BENCH_API_RATE);
// An unlimited Bot API (the peer comparison): no per-chat pacing either.
if (process.env.BENCH_API_PER_CHAT) {
  TELEGRAM_RATE_LIMITS.perChatPerSecond = Number(process.env.BENCH_API_PER_CHAT);
  TELEGRAM_RATE_LIMITS.perChatBurst = Number(process.env.BENCH_API_PER_CHAT);
}
// BENCH_DB_TRACE=1: every database command timed (driver command monitoring), summed by shape.
const trace = new Map<string, { n: number; ms: number }>();
if (process.env.BENCH_DB_TRACE === '1') {
  const connect = mongoose.connect.bind(mongoose);
  mongoose.connect = ((uri: string, options?: mongoose.ConnectOptions) => connect(uri, { ...options, monitorCommands: true })) as typeof mongoose.connect;
}
// process.memoryUsage() sampled every 100 ms (bench:memory): the peak of each part, and the
// breakdown at the moment RSS peaked, as seen from inside the process that serves the load.
type Usage = NodeJS.MemoryUsage;
const peaks: Usage = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
let atPeak: Usage = process.memoryUsage();
const sampleMemory = () => {
  const u = process.memoryUsage();
  for (const k of Object.keys(peaks) as (keyof Usage)[]) peaks[k] = Math.max(peaks[k], u[k]);
  if (u.rss >= atPeak.rss) atPeak = u;
  return u;
};
setInterval(sampleMemory, 100).unref();
/** A full GC on request, without starting the process with --expose-gc. */
const fullGc = () => {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
};
// BENCH_DB_POOL=n: the driver's connection pool capped at n (its default is 100), to see what the pool costs.
if (process.env.BENCH_DB_POOL) {
  const connect = mongoose.connect.bind(mongoose);
  const maxPoolSize = Number(process.env.BENCH_DB_POOL);
  mongoose.connect = ((uri: string, options?: mongoose.ConnectOptions) => connect(uri, { ...options, maxPoolSize })) as typeof mongoose.connect;
}
const config = loadConfig();
const logger = createLogger({ level: config.LOG_LEVEL });
process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
const service = await startService(config, logger);
// Replies sent at once go out without an outbox entry: recorded here by reply id, so what each
// chat was owed is the distinct replies of the outbox and of these. Appended to a file in the
// data directory as they go (a SIGKILL keeps what the OS has), so a restarted child still counts
// what its killed predecessors sent; a reply sent again after a kill counts once, as it is owed once.
const sentAtOnceFile = join(resolveDataDir(config.DATA_DIR), 'bench-sent-at-once.jsonl');
const sendAtOnce = service.dispatcher.sendAtOnce.bind(service.dispatcher);
service.dispatcher.sendAtOnce = async (item) => {
  const sent = await sendAtOnce(item);
  // A reply begun at once and finished from the outbox is counted there, whole (same id).
  if (sent) appendFileSync(sentAtOnceFile, `${JSON.stringify({ id: (item as { id?: string }).id, to: item.to, n: item.messages.length })}\n`);
  return sent;
};
if (process.env.BENCH_DB_TRACE === '1') {
  const shapes = new Map<number, string>();
  const client = mongoose.connection.getClient();
  client.on('commandStarted', (e) => {
    const c = e.command as Record<string, unknown>;
    const coll = String(c[e.commandName] ?? '');
    const filter = (c.filter ?? c.query ?? (c.updates as { q?: unknown }[] | undefined)?.[0]?.q ?? (c.deletes as { q?: unknown }[] | undefined)?.[0]?.q) as Record<string, unknown> | undefined;
    shapes.set(e.requestId, `${e.commandName} ${coll} ${filter ? Object.keys(filter).join(',') : ''}`);
  });
  const done = (e: { requestId: number; duration: number }) => {
    const key = shapes.get(e.requestId) ?? '?';
    shapes.delete(e.requestId);
    const t = trace.get(key) ?? { n: 0, ms: 0 };
    t.n++;
    t.ms += e.duration;
    trace.set(key, t);
  };
  client.on('commandSucceeded', done);
  client.on('commandFailed', done);
}
// People being handled at once (the inbox runs every person's queue as soon as it has one).
let handlingPeak = 0;
setInterval(() => {
  handlingPeak = Math.max(handlingPeak, (service.inbox as unknown as { running: Set<string> }).running.size);
}, 100).unref();
const databaseUri = service.db.localServer?.uri ?? config.MONGODB_URI ?? '';

const count = (rows: { _id: unknown; n: number }[]) => Object.fromEntries(rows.map((r) => [String(r._id), r.n]));

async function stats(): Promise<ServiceStats> {
  const inbox = count(await InboxModel.aggregate([{ $group: { _id: '$status', n: { $sum: 1 } } }]));
  const outbox = count(await OutboxModel.aggregate([{ $group: { _id: '$status', n: { $sum: 1 } } }]));
  const owed: Record<string, number> = {};
  const counted = new Set<string>();
  const owe = (id: string, to: string, n: number) => {
    if (counted.has(id)) return;
    counted.add(id);
    owed[to] = (owed[to] ?? 0) + n;
  };
  const sentCount: Record<string, number> = {};
  for await (const e of OutboxModel.collection.find({}, { projection: { to: 1, messages: 1, sentCount: 1 } })) {
    owe(String(e._id), e.to as string, (e.messages as unknown[]).length);
    sentCount[e.to as string] = (sentCount[e.to as string] ?? 0) + ((e.sentCount as number) ?? 0);
  }
  // Replies committed with their turn (member.owed) are owed whether or not they went out.
  for await (const m of MemberModel.collection.find({ 'owed.0': { $exists: true } }, { projection: { owed: 1, platformUserId: 1 } })) {
    for (const o of (m.owed ?? []) as { id: string; body: string }[]) {
      owe(o.id, m.platformUserId as string, (JSON.parse(o.body) as { messages: unknown[] }).messages.length);
    }
  }
  const lines = existsSync(sentAtOnceFile) ? readFileSync(sentAtOnceFile, 'utf8').split('\n') : [];
  for (const line of lines.filter(Boolean)) {
    try {
      const r = JSON.parse(line) as { id: string; to: string; n: number };
      owe(r.id, r.to, r.n);
    } catch {
      // the last line, cut by a kill
    }
  }
  const submissions = count(await SubmissionModel.aggregate([{ $group: { _id: '$flowId', n: { $sum: 1 } } }]));
  const perMember = await SubmissionModel.aggregate<{ n: number }>([{ $group: { _id: { m: '$memberId', f: '$flowId' }, n: { $sum: 1 } } }]);
  let dbBytes: number | null = null;
  if (service.db.localServer && service.db.localServer.dataPath !== 'memory') {
    try {
      dbBytes = statSync(service.db.localServer.dataPath).size;
    } catch {
      dbBytes = statSync(join(resolveDataDir(config.DATA_DIR), 'suaradesa.mv.db')).size;
    }
  } else if (mongoose.connection.db) {
    const s = (await mongoose.connection.db.stats()) as { dataSize?: number };
    dbBytes = s.dataSize ?? null;
  }
  return {
    inbox,
    outbox,
    owed,
    sentCount,
    members: await MemberModel.countDocuments({}),
    registered: await MemberModel.countDocuments({ registeredAt: { $ne: null } }),
    inRun: await MemberModel.countDocuments({ run: { $ne: null } }),
    submissions,
    duplicateSubmissions: perMember.reduce((s, r) => s + Math.max(0, r.n - 1), 0),
    runs: await RunModel.countDocuments({}),
    dbBytes,
  };
}

async function drained(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await service.inbox.drained();
    await service.dispatcher.drained();
    const pending = await InboxModel.countDocuments({ status: 'pending' });
    if (pending === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('not drained in time');
}

/** Per member: who they are and what was stored for them (the crash benchmark checks it answer by answer). */
async function members(): Promise<MemberRecord[]> {
  const subs = await SubmissionModel.collection.find({}, { projection: { memberId: 1, flowId: 1, answers: 1 } }).toArray();
  const byMember = new Map<string, { flowId: string; answers: Record<string, unknown> }[]>();
  for (const s of subs) {
    const list = byMember.get(String(s.memberId)) ?? [];
    list.push({ flowId: String(s.flowId), answers: s.answers as Record<string, unknown> });
    byMember.set(String(s.memberId), list);
  }
  const docs = await MemberModel.collection.find({}, { projection: { platformUserId: 1, name: 1, villageCode: 1, registeredAt: 1, run: 1 } }).toArray();
  return docs.map((m) => ({
    platformUserId: String(m.platformUserId),
    name: (m.name as string | null) ?? null,
    villageCode: (m.villageCode as string | null) ?? null,
    registered: m.registeredAt != null,
    inRun: m.run != null,
    submissions: byMember.get(String(m._id)) ?? [],
  }));
}

/**
 * Fills the database with history cloned from a member who walked through for real: members
 * (registered, idle or with the template's run in progress), their submissions, expired runs
 * (drafts), and the inbox and outbox traces of earlier messages (done, sent).
 */
async function seed(o: SeedOptions): Promise<{ ms: number }> {
  const t0 = Date.now();
  const tmpl = await MemberModel.collection.findOne({ platformUserId: o.template });
  if (!tmpl) throw new Error(`template member ${o.template} not found`);
  const subs = await SubmissionModel.collection.find({ memberId: tmpl._id }).toArray();
  const registration = subs.find((x) => x.flowId === 'daftar');
  const report = subs.find((x) => x.flowId === 'laporan-risiko');
  const now = Date.now();
  const batch = 500;
  const put = async (collection: { insertMany(docs: never[], o: object): Promise<unknown> }, docs: object[]) => {
    for (let i = 0; i < docs.length; i += batch) await collection.insertMany(docs.slice(i, i + batch) as never[], { ordered: false });
  };
  const memberIds = Array.from({ length: o.members }, () => new mongoose.Types.ObjectId());
  const userId = (k: number) => String(o.firstUserId + k);
  await put(MemberModel.collection, memberIds.map((_id, k) => ({
    ...tmpl, _id, platformUserId: userId(k), handled: [], rev: 0,
    run: o.inRun && tmpl.run ? { ...(tmpl.run as object), id: new mongoose.Types.ObjectId() } : null,
  })));
  const submissions: object[] = [];
  if (registration) for (const [k, memberId] of memberIds.entries()) submissions.push({ ...registration, _id: new mongoose.Types.ObjectId(), runId: new mongoose.Types.ObjectId(), memberId, createdAt: new Date(now - k * 1000) });
  if (report) for (let r = 0; r < o.reports; r++) submissions.push({ ...report, _id: new mongoose.Types.ObjectId(), runId: new mongoose.Types.ObjectId(), memberId: memberIds[r % memberIds.length], submittedAt: new Date(now - r * 60_000) });
  await put(SubmissionModel.collection, submissions);
  await put(RunModel.collection, Array.from({ length: o.expiredRuns }, (_, r) => ({
    _id: new mongoose.Types.ObjectId(), memberId: memberIds[r % memberIds.length], flowId: 'laporan-risiko', flowVersion: 1, status: 'expired',
    state: (tmpl.run as { state?: unknown } | null)?.state ?? { answers: {} }, startedAt: new Date(now - 9 * 86400_000), lastActivityAt: new Date(now - 8 * 86400_000), expiredAt: new Date(now - 86400_000),
  })));
  await put(InboxModel.collection, Array.from({ length: o.inboxDone }, (_, k) => ({
    _id: `telegram:tg:h${k}`, memberKey: `telegram:${userId(k % o.members)}`, message: null, status: 'done', seq: (now - 86400_000) * 1000 + k,
    receivedAt: new Date(now - 86400_000), leaseOwner: null, leaseUntil: null, attempts: 0, lastError: null, doneAt: new Date(now - 86400_000),
  })));
  await put(OutboxModel.collection, Array.from({ length: o.outboxSent }, (_, k) => ({
    _id: `reply:telegram:tg:h${k}`, kind: 'reply', channel: 'telegram', to: userId(k % o.members), memberId: memberIds[k % memberIds.length],
    messages: [{ text: 'Terima kasih, laporan Anda sudah tersimpan dan akan diperiksa fasilitator.' }], replyTo: null, status: 'sent', seq: (now - 86400_000) * 1000 + k,
    availableAt: new Date(now - 86400_000), leaseOwner: null, leaseUntil: null, attempts: 1, sentCount: 1, platformMessageIds: [String(k)], lastError: null,
    expiresAt: null, broadcastId: null, createdAt: new Date(now - 86400_000), doneAt: new Date(now - 86400_000),
  })));
  return { ms: Date.now() - t0 };
}

const handlers: Record<string, (data: never) => Promise<unknown>> = {
  members,
  seed,
  rss: async () => process.memoryUsage(),
  /** A heap snapshot written to `path` (bench:memory with BENCH_HEAP_SNAPSHOT=1). */
  snapshot: async (data: { path: string }) => writeHeapSnapshot(data.path),
  memory: async (data: { gc?: boolean; reset?: boolean } | undefined) => {
    if (data?.gc) fullGc();
    const now = sampleMemory();
    const result = { now, peaks: { ...peaks }, atPeak, handlingPeak, execArgv: process.execArgv, main: process.argv[1] ?? '', nodeOptions: process.env.NODE_OPTIONS ?? '' };
    if (data?.reset) {
      for (const k of Object.keys(peaks) as (keyof Usage)[]) peaks[k] = 0;
      atPeak = now;
      handlingPeak = 0;
    }
    return result;
  },
  ready: async () => ({ databaseUri }),
  /** Platform OK -> durable record of each send, ms (the dispatcher's last 10,000). */
  gaps: async () => [...service.dispatcher.sentRecordGapsMs],
  trace: async () => [...trace].sort((a, b) => b[1].ms - a[1].ms).map(([k, v]) => ({ command: k, ...v })),
  stats,
  drained: async (data: { timeoutMs: number }) => drained(data.timeoutMs),
  stop: async () => {
    await service.stop();
    process.exit(0);
  },
};

process.on('message', (m: { id: number; type: string; data?: unknown }) => {
  const handler = handlers[m.type];
  if (!handler) return void process.send?.({ id: m.id, error: `unknown request ${m.type}` });
  handler(m.data as never).then(
    (result) => process.send?.({ id: m.id, result }),
    (err: unknown) => process.send?.({ id: m.id, error: (err as Error).message }),
  );
});
process.on('disconnect', () => process.exit(0));
