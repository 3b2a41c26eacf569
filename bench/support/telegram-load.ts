/**
 * What the webhook benchmarks (bench/webhook.ts, bench/crash.ts, bench/history.ts,
 * bench/memory.ts) share:
 *   - realistic Telegram Update JSON for members walking /start -> registration (daftar) ->
 *     menu -> laporan-risiko, with the answers each question accepts (typed, as people do);
 *   - the real service (src/service.ts) in webhook mode in a child process of its own
 *     (bench/support/service-child.ts), on the embedded database or MONGODB_URI, talked to over IPC;
 *   - a bare grammY webhook bot with no database in a child process (the same load's yardstick);
 *   - peak RSS of a process (VmHWM) and of its children (the Java stand-in);
 *   - an autocannon run that posts each update once, with the secret header, and times every answer.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export const TOKEN = '606060:bench-webhook-token-abcdefghijklmnopqrstuvwxyz';
export const SECRET = 'bench_webhook_secret-1';
export const CHAT0 = 7_000_000;

export type Step =
  | { kind: 'text'; text: string; command?: boolean }
  | { kind: 'location'; latitude: number; longitude: number };

/** One member's walk: registration (8 updates), the menu pick, a complete risk report (10). */
export function walk(i: number): Step[] {
  return [
    { kind: 'text', text: '/start', command: true },
    { kind: 'text', text: 'ya' }, // consent
    { kind: 'text', text: 'tidak' }, // under 17?
    { kind: 'text', text: `Warga ${name(i)}` },
    { kind: 'text', text: 'Teluk Waru' }, // kecamatan
    { kind: 'text', text: 'Solang' }, // village
    { kind: 'text', text: 'Warga desa' }, // role
    { kind: 'text', text: 'Kirim' }, // check your answers -> send
    { kind: 'text', text: 'Laporan risiko' }, // menu
    { kind: 'text', text: 'Banjir rob' },
    { kind: 'text', text: 'kemarin' },
    { kind: 'text', text: `Dusun ${name(i)}` },
    { kind: 'location', latitude: -3.5 - (i % 100) / 1000, longitude: 130.6 + (i % 100) / 1000 },
    { kind: 'text', text: 'Sedang' },
    { kind: 'text', text: String(1 + (i % 400)) }, // households
    { kind: 'text', text: '1,4' }, // livelihoods: ikan, kopra
    { kind: 'text', text: `Perahu dan jaring ${name(i)}` }, // help needed
    { kind: 'text', text: 'lewati' }, // photo
    { kind: 'text', text: 'Kirim' },
  ];
}

/** Letters only (names must be letters): 0 -> "Aa", 1 -> "Ab", ... */
export function name(i: number): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  let s = '';
  let n = i;
  do {
    s = letters[n % 26] + s;
    n = Math.floor(n / 26);
  } while (n > 0);
  return `Ibu ${s.charAt(0).toUpperCase()}${s.slice(1)}`;
}

/** The Update JSON Telegram posts for one step of member `i`. */
export function updateFor(i: number, step: Step, updateId: number, messageId: number): Record<string, unknown> {
  const id = CHAT0 + i;
  const from = { id, is_bot: false, first_name: 'Ibu', last_name: name(i).slice(4), language_code: 'id' };
  const message: Record<string, unknown> = {
    message_id: messageId,
    from,
    chat: { id, first_name: 'Ibu', last_name: name(i).slice(4), type: 'private' },
    date: Math.floor(Date.now() / 1000),
  };
  if (step.kind === 'text') {
    message.text = step.text;
    if (step.command) message.entities = [{ offset: 0, length: step.text.length, type: 'bot_command' }];
  } else {
    message.location = { latitude: step.latitude, longitude: step.longitude };
  }
  return { update_id: updateId, message };
}

/** Every member's walk as update bodies, round-robin (each member's next answer comes `members` updates later). */
export function loadBodies(members: number, firstUpdateId = 1, from = 0): string[] {
  const walks = Array.from({ length: members }, (_, m) => walk(from + m));
  const bodies: string[] = [];
  let updateId = firstUpdateId;
  for (let s = 0; s < walks[0]!.length; s++) {
    for (let m = 0; m < members; m++) bodies.push(JSON.stringify(updateFor(from + m, walks[m]![s]!, updateId++, 100 + s)));
  }
  return bodies;
}

/**
 * Person p's k-th update in the peer comparison (bench/webhook.ts): /start, the seven answers
 * of registration (the peer's survey has the same length), then "menu" again and again.
 */
export function surveyThenMenu(p: number, k: number): Step {
  const registration = walk(p).slice(0, 8);
  return registration[k] ?? { kind: 'text', text: 'menu' };
}

// ---- load -----------------------------------------------------------------------------------

export interface LoadResult {
  sent: number;
  durationS: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
  timeouts: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/**
 * Posts every body once over `connections` keep-alive connections; times each answer. Bodies
 * are Telegram updates (with the secret header) unless they carry their own headers.
 */
export async function postAll(url: string, bodies: (string | { body: string; headers: Record<string, string> })[], connections = 20): Promise<LoadResult> {
  let next = 0;
  return timedLoad(autocannon({
    url,
    connections,
    amount: bodies.length,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
        setupRequest: (req) => {
          const item = bodies[Math.min(next++, bodies.length - 1)]!;
          return typeof item === 'string' ? { ...req, body: item } : { ...req, body: item.body, headers: item.headers };
        },
      },
    ],
  }));
}

/** Times every answer of an autocannon run. */
async function timedLoad(instance: ReturnType<typeof autocannon>): Promise<LoadResult> {
  const latencies: number[] = [];
  let non2xx = 0;
  const started = performance.now();
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    latencies.push(ms);
    if (status < 200 || status > 299) non2xx++;
  });
  const result = await instance;
  const durationS = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    sent: latencies.length,
    durationS,
    perSecond: latencies.length / durationS,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    errors: result.errors,
    non2xx,
    timeouts: result.timeouts,
  };
}

export async function postFor(url: string, people: number, stepOf: (p: number, k: number) => Step, connections: number, durationS: number): Promise<LoadResult> {
  let n = 0;
  const body = () => {
    const p = n % people;
    const k = Math.floor(n / people);
    n++;
    return JSON.stringify(updateFor(p, stepOf(p, k), n, 100 + k));
  };
  return timedLoad(autocannon({
    url,
    connections,
    duration: durationS,
    timeout: 30,
    requests: [{
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
      setupRequest: (req) => ({ ...req, body: body() }),
    }],
  }));
}

export function formatLoad(r: LoadResult): string {
  return (
    `${r.sent} updates in ${r.durationS.toFixed(1)} s = ${r.perSecond.toFixed(0)} upd/s; ` +
    `p50 ${r.p50.toFixed(0)} ms, p95 ${r.p95.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms, max ${r.max.toFixed(0)} ms; ` +
    `errors ${r.errors + r.non2xx + r.timeouts} (non-2xx ${r.non2xx}, socket ${r.errors}, timeouts ${r.timeouts})`
  );
}

// ---- processes ------------------------------------------------------------------------------

/** Peak and current RSS of a process, from /proc (Linux). */
export function rssOf(pid: number): { peakMb: number; nowMb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { peakMb: kb('VmHWM') / 1024, nowMb: kb('VmRSS') / 1024 };
  } catch {
    return null;
  }
}

/** Child process ids of `pid` (Linux). */
export function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) =>
      readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** What the service child reports of its own memory (process.memoryUsage(), sampled every 100 ms). */
export interface ChildMemory {
  now: NodeJS.MemoryUsage;
  /** The highest value of each part since the start (or the last reset). */
  peaks: NodeJS.MemoryUsage;
  /** The breakdown of the sample with the highest RSS. */
  atPeak: NodeJS.MemoryUsage;
  /** The most people whose messages were being handled at once (sampled with the memory). */
  handlingPeak: number;
  execArgv: string[];
  /** The script the child runs (src/.../service-child.ts under tsx, or its compiled .js). */
  main: string;
  nodeOptions: string;
}

export interface ServiceStats {
  inbox: Record<string, number>;
  outbox: Record<string, number>;
  /** Messages owed per chat: the sum of `messages` of the reply entries, by `to`. */
  owed: Record<string, number>;
  /** Messages the dispatcher recorded as sent, by `to` (sentCount). */
  sentCount: Record<string, number>;
  members: number;
  registered: number;
  inRun: number;
  submissions: Record<string, number>;
  /** Submissions per (member, flow) above one. */
  duplicateSubmissions: number;
  runs: number;
  dbBytes: number | null;
}

export interface SeedOptions {
  /** platformUserId of a member who walked through for real: cloned. */
  template: string;
  members: number;
  firstUserId: number;
  /** Clones keep the template's run in progress (else they are idle). */
  inRun: boolean;
  /** Finished risk reports (submissions), spread over the members; each member also has its registration. */
  reports: number;
  expiredRuns: number;
  inboxDone: number;
  outboxSent: number;
}

/** Posts one member's updates one after another (each answered before the next), as one person would. */
export async function walkOne(url: string, i: number, steps: number, firstUpdateId: number): Promise<void> {
  const all = walk(i).slice(0, steps);
  for (const [s, step] of all.entries()) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
      body: JSON.stringify(updateFor(i, step, firstUpdateId + s, 100 + s)),
    });
    if (res.status !== 200) throw new Error(`walkOne: ${res.status}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

export interface MemberRecord {
  platformUserId: string;
  name: string | null;
  villageCode: string | null;
  registered: boolean;
  inRun: boolean;
  submissions: { flowId: string; answers: Record<string, unknown> }[];
}

export interface ServiceChild {
  proc: ChildProcess;
  port: number;
  url: string;
  databaseUri: string;
  /** The embedded database's process, when there is one. */
  dbPid: number | null;
  request<T = unknown>(type: string, data?: unknown): Promise<T>;
  stats(): Promise<ServiceStats>;
  /** Resolves when the inbox and the outbox are both drained. */
  drained(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const SERVICE_CHILD = fileURLToPath(new URL('./service-child.ts', import.meta.url));
const BARE_CHILD = fileURLToPath(new URL('./bare-grammy.ts', import.meta.url));
const PEER_CHILD = fileURLToPath(new URL('./peer-grammy.ts', import.meta.url));

/**
 * How the service child runs:
 *   - 'tsx': the TypeScript sources through tsx's loader (quick to start; the loader, its
 *     esbuild service and the compiled-source cache add tens of MB of RSS);
 *   - 'compiled': what the Dockerfile runs: the sources compiled by tsc (tsconfig.build.json's
 *     settings) into bench/.scratch/dist, run by plain node with the production heap limit.
 */
export type ServiceRuntime = 'tsx' | 'compiled';

/** The Dockerfile's NODE_OPTIONS (keep in step with it). */
export const PRODUCTION_NODE_FLAGS = ['--max-old-space-size=128'];

const SCRATCH = fileURLToPath(new URL('../.scratch/', import.meta.url));
const COMPILED_CHILD = join(SCRATCH, 'dist', 'bench', 'support', 'service-child.js');

/**
 * Compiles src/ and the service child with tsc into bench/.scratch/dist (git-ignored; tsc is
 * incremental, so a second run only re-emits what changed). Returns the compiled child's path.
 */
export function compileServiceChild(): string {
  const config = join(SCRATCH, 'tsconfig.service-child.json');
  mkdirSync(dirname(config), { recursive: true });
  writeFileSync(config, JSON.stringify({
    extends: '../../tsconfig.build.json',
    compilerOptions: { outDir: 'dist', rootDir: '../..', sourceMap: false, incremental: true, tsBuildInfoFile: 'dist/.tsbuildinfo' },
    include: ['../../src', '../support/service-child.ts', '../support/autocannon.d.ts'],
  }, null, 2));
  const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
  execFileSync(process.execPath, [tsc, '-p', config], { stdio: 'inherit' });
  return COMPILED_CHILD;
}

export interface ServiceChildOptions {
  /** Default 'tsx'. 'compiled' runs compileServiceChild()'s output with PRODUCTION_NODE_FLAGS. */
  runtime?: ServiceRuntime;
  port: number;
  apiRoot: string;
  dataDir: string;
  /** Omit for the embedded database. */
  mongodbUri?: string;
  /** Extra node flags (e.g. --cpu-prof). */
  execArgv?: string[];
  /** Its own process group, so the whole group (with the embedded database) can be killed. */
  detached?: boolean;
  env?: Record<string, string>;
}

export async function startServiceChild(options: ServiceChildOptions): Promise<ServiceChild> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(options.port),
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
    DATA_DIR: options.dataDir,
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: options.apiRoot,
    TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${options.port}/telegram/webhook`,
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    SIMULATOR: 'off',
    MONGODB_URI: options.mongodbUri ?? '',
    ...options.env,
  };
  // The compiled child gets exactly the production flags, none inherited from the caller's shell.
  if (options.runtime === 'compiled') delete env.NODE_OPTIONS;
  const compiled = options.runtime === 'compiled';
  const proc = fork(compiled ? compileServiceChild() : SERVICE_CHILD, [], {
    execArgv: [...(compiled ? PRODUCTION_NODE_FLAGS : ['--import', 'tsx']), ...(options.execArgv ?? [])],
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: options.detached ?? false,
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  let seq = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  proc.on('message', (m: { id?: number; result?: unknown; error?: string }) => {
    const w = m.id !== undefined ? waiting.get(m.id) : undefined;
    if (!w) return;
    waiting.delete(m.id!);
    if (m.error) w.reject(new Error(m.error));
    else w.resolve(m.result);
  });
  void exited.then(({ code, signal }) => {
    for (const w of waiting.values()) w.reject(new Error(`service child exited (${signal ?? code})`));
    waiting.clear();
  });
  const request = <T>(type: string, data?: unknown) =>
    new Promise<T>((resolve, reject) => {
      const id = seq++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      proc.send({ id, type, data });
    });
  const ready = await Promise.race([
    request<{ databaseUri: string }>('ready'),
    exited.then(({ code, signal }) => Promise.reject(new Error(`service child exited before ready (${signal ?? code})`))),
  ]);
  // The embedded database among the children (tsx's esbuild service is one too).
  const dbPid = options.mongodbUri ? null : (childrenOf(proc.pid!).find((pid) => /StandIn|mongod/.test(cmdline(pid))) ?? null);
  return {
    proc,
    port: options.port,
    url: `http://127.0.0.1:${options.port}/telegram/webhook`,
    databaseUri: ready.databaseUri,
    dbPid,
    request,
    stats: () => request<ServiceStats>('stats'),
    drained: (timeoutMs = 3_600_000) => request<void>('drained', { timeoutMs }),
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.send({ id: seq++, type: 'stop' });
      await exited;
    },
    exited,
  };
}

export interface BareChild {
  proc: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

/** The yardstick: a minimal grammY webhook bot, no database; it answers in the webhook response. */
export function startBareGrammy(port: number, apiRoot: string): Promise<BareChild> {
  return startBotChild(BARE_CHILD, port, apiRoot, {});
}

/** The peer: grammY + conversations + storage-mongodb on `databaseUri` (bench/support/peer-grammy.ts). */
export function startPeerGrammy(port: number, apiRoot: string, databaseUri: string): Promise<BareChild> {
  return startBotChild(PEER_CHILD, port, apiRoot, { BENCH_PEER_DB: databaseUri });
}

async function startBotChild(script: string, port: number, apiRoot: string, env: Record<string, string>): Promise<BareChild> {
  const proc = fork(script, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env, PORT: String(port), BENCH_API_ROOT: apiRoot, BENCH_TOKEN: TOKEN, BENCH_SECRET: SECRET },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    proc.once('message', () => resolve());
    proc.once('exit', (code) => reject(new Error(`${script} exited (${code})`)));
  });
  return {
    proc,
    url: `http://127.0.0.1:${port}/`,
    async stop() {
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
    },
  };
}

export const mb = (n: number | undefined | null) => (n == null || Number.isNaN(n) ? 'n/a' : `${n.toFixed(0)} MB`);
