/**
 * `npm run bench:export`: 100,000 generated risk reports exported through the workspace API
 * as CSV and as XLSX. Prints rows/s, time to first byte and this process's peak RSS
 * (targets: peak RSS under 250 MB, first byte under 1 s). The database is MONGODB_URI, or the
 * stand-in in memory (its JVM is a separate process and not counted). BENCH_EXPORT_ROWS
 * changes the number of rows. The data is generated in a child process first.
 *
 * The export's working set is bounded (cursor batches of 1,000, backpressure on the
 * response); with V8's default heap limits the RSS still climbs while garbage waits for a
 * major GC. NODE_OPTIONS=--max-old-space-size=128 shows the bound (what a small container sets).
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import mongoose, { Types } from 'mongoose';
import { ensureIndexes } from '../src/db/connection.js';
import { startStandIn, type LocalServer } from '../src/db/local-server.js';
import { MemberModel, SubmissionModel } from '../src/db/models.js';
import { seedVillages } from '../src/db/seed.js';
import { loadFlows } from '../src/engine/index.js';
import { createApp, finishApp } from '../src/http/app.js';
import { createI18n } from '../src/i18n.js';
import { createLogger } from '../src/logging/logger.js';
import { flowsDir } from '../src/paths.js';
import { createApiKey } from '../src/workspace/auth.js';
import { createWorkspace } from '../src/workspace/index.js';

const ROWS = Number(process.env.BENCH_EXPORT_ROWS ?? 100_000);
const TYPES = ['banjir', 'rob', 'gelombang', 'kekeringan', 'cuaca', 'harga_turun', 'hama', 'gagal_panen', 'kapal_bbm'];
const VILLAGES = ['81.05.15.2004', '81.05.09.2001', '81.05.09.2002', '81.05.15.2001', '81.05.15.2002'];

const generateOnly = process.argv.includes('--generate');
let standIn: LocalServer | null = null;
const uri = process.env.BENCH_EXPORT_URI ?? (process.env.MONGODB_URI?.trim()
  ? `${process.env.MONGODB_URI.trim().replace(/\/[^/?]*(\?.*)?$/, '')}/bench_export`
  : `${(standIn = await startStandIn()).uri.replace(/\/[^/]*$/, '')}/bench_export`);

if (!generateOnly) {
  // The data is made in a child process, so this process's RSS is the export's alone.
  const child = fork(fileURLToPath(import.meta.url), ['--generate'], { env: { ...process.env, BENCH_EXPORT_URI: uri }, stdio: 'inherit' });
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`generating the data failed (${code})`);
}
await mongoose.connect(uri);
if (generateOnly) await generate();

async function generate(): Promise<void> {
await mongoose.connection.db!.dropDatabase();
await ensureIndexes();
await seedVillages();
const members = await MemberModel.insertMany(Array.from({ length: 500 }, (_, i) => ({
  channel: 'telegram', platformUserId: `bench-${i}`, name: `Warga ${i}`, role: 'warga', villageCode: VILLAGES[i % VILLAGES.length], registeredAt: new Date(),
})));

const t0 = performance.now();
const start = Date.UTC(2025, 0, 1);
for (let done = 0; done < ROWS; done += 5000) {
  const batch = Array.from({ length: Math.min(5000, ROWS - done) }, (_, j) => {
    const i = done + j;
    const m = members[i % members.length]!;
    const at = new Date(start + i * 60_000);
    return {
      runId: new Types.ObjectId(), memberId: m._id, villageCode: m.villageCode, flowId: 'laporan-risiko', flowVersion: 1, channel: 'telegram', submittedAt: at,
      answers: {
        type: TYPES[i % TYPES.length], date: at.toISOString().slice(0, 10), place: `Dusun ${i % 7}`, severity: ['ringan', 'sedang', 'berat'][i % 3],
        households: i % 80, livelihoods: ['perikanan', 'cengkeh'].slice(0, 1 + (i % 2)), help: i % 5 === 0 ? 'Beras dan terpal untuk keluarga yang terdampak' : undefined,
        ...(i % 3 === 0 ? { location: { latitude: -3.9 - (i % 100) / 1000, longitude: 131.1 + (i % 100) / 1000 } } : {}),
      },
    };
  });
  await SubmissionModel.collection.insertMany(batch.map((b) => ({ ...b, review: { status: 'baru', notes: [] }, demo: false })), { ordered: false });
}
console.log(`export bench: ${ROWS} submissions generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
await mongoose.disconnect();
process.exit(0);
}

const admin = await MemberModel.create({ channel: 'web', platformUserId: 'bench-admin', name: 'Admin', role: 'admin', registeredAt: new Date() });
const { key } = await createApiKey(String(admin._id), 'bench', String(admin._id));

const logger = createLogger({ level: 'silent' });
const [flows, i18n] = await Promise.all([loadFlows(flowsDir), createI18n()]);
const ws = createWorkspace({ logger, flows, i18n, publicBaseUrl: 'http://127.0.0.1', notifyMember: async () => {} });
const app = createApp({ logger, isReady: async () => true, isShuttingDown: () => false });
app.use(ws.router);
finishApp(app, logger);
const server = app.listen(0, '127.0.0.1');
await once(server, 'listening');
const port = (server.address() as AddressInfo).port;

let peak = process.memoryUsage().rss;
const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 25);

console.log(`export bench: RSS before the exports ${Math.round(process.memoryUsage().rss / 1e6)} MB`);

async function run(format: 'csv' | 'xlsx'): Promise<void> {
  const began = performance.now();
  let firstByte = 0;
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: `/api/exports/${format}?flow=laporan-risiko`, headers: { authorization: `Bearer ${key}` } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}`));
      res.on('data', (chunk: Buffer) => {
        if (!firstByte) firstByte = performance.now() - began;
        bytes += chunk.length;
      });
      res.on('end', () => resolve());
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  const seconds = (performance.now() - began) / 1000;
  console.log(`export bench ${format.padEnd(4)}: ${ROWS} rows in ${seconds.toFixed(1)} s = ${Math.round(ROWS / seconds)} rows/s; first byte ${Math.round(firstByte)} ms; `
    + `${(bytes / 1e6).toFixed(1)} MB; peak RSS ${Math.round(peak / 1e6)} MB (target < 250 MB, first byte < 1000 ms)`);
}

try {
  await run('csv');
  await run('xlsx');
} finally {
  clearInterval(sampler);
  server.close();
  await mongoose.connection.db!.dropDatabase();
  await mongoose.disconnect();
  await standIn?.stop();
}
