/**
 * A dispatcher in another OS process killed with SIGKILL mid-broadcast: this process's
 * dispatcher takes over once the leases expire; nothing is lost and nothing goes twice beyond
 * the sends the killed process had in flight (at most its maxInFlight, 4).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { OutboxModel } from '../../src/db/models.js';
import { Dispatcher } from '../../src/pipeline/dispatcher.js';
import { enqueue } from '../../src/pipeline/outbox.js';
import { useTestDatabase } from '../helpers/db.js';
import { captureLogger, telegramSetup, textItem, type TelegramSetup } from './helpers.js';

const db = useTestDatabase();
let tg: TelegramSetup;
afterAll(async () => {
  await tg?.close();
});

it('SIGKILL of a dispatcher process mid-broadcast: another finishes, each message once but for the killed one\'s sends in flight', async () => {
  tg = await telegramSetup({ fake: { limits: { globalPerSecond: 200 } }, rateLimits: { perSecond: 100 } });
  const n = 150;
  for (let c = 0; c < n; c++) tg.fake.addChat(80_000 + c);
  await enqueue(Array.from({ length: n }, (_, c) => textItem(`kill${c}`, 80_000 + c)));
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./child-dispatcher.ts', import.meta.url)), db.uri(), tg.fake.apiRoot], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const gone = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
  // Started (a node process with tsx: seconds, on a loaded machine tens of them), then sending.
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => void (/ready/.test(chunk.toString()) && resolve()));
    child.once('exit', (code) => reject(new Error(`the dispatcher process exited (${code}) before it was ready`)));
  });
  await tg.fake.waitFor(() => tg.fake.receivedCounts().size >= 40, 15_000);
  child.kill('SIGKILL');
  expect(await gone).toBe('SIGKILL');
  expect(await OutboxModel.countDocuments({ status: { $ne: 'sent' } })).toBeGreaterThan(0);

  const d = new Dispatcher({ channels: tg.channels, logger: captureLogger().logger, pollIntervalMs: 25 });
  d.start();
  await d.drained();
  await d.stop();
  const counts = tg.fake.receivedCounts();
  const twice = [...counts.values()].filter((x) => x > 1).length;
  expect(counts.size).toBe(n);
  expect(twice).toBeLessThanOrEqual(4);
  expect(await OutboxModel.countDocuments({ status: 'sent' })).toBe(n);
}, 120_000);
