/**
 * The embedded database killed with SIGKILL under the real service (webhook mode, in a child
 * process) while people answer: the service starts its database again on the same port and
 * file, its client reconnects (or the watchdog recreates it), `/readyz` answers 200 within 30 s
 * of each kill, and afterwards every acknowledged answer is stored exactly once and every owed
 * reply sent. The drill is bench/support/crash-run.ts; `npm run bench:db-restart` runs it with
 * 10 kills, and again with MONGODB_URI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { crashRun } from '../../bench/support/crash-run.js';
import { TOKEN } from '../../bench/support/telegram-load.js';
import { freePort } from '../../src/db/local-server.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-bot-api.js';

let fake: FakeTelegram | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'suaradesa-crash-database-'));
afterAll(async () => {
  await fake?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it('SIGKILL of the embedded database mid-conversation, twice: ready again within 30 s each time, nothing acknowledged lost or doubled, every owed reply sent', async () => {
  fake = await startFakeTelegram({ token: TOKEN, limits: { perChatBurst: 10 } });
  const r = await crashRun({
    members: 6,
    kills: 2,
    mode: 'database',
    fake,
    child: { port: await freePort(), apiRoot: fake.apiRoot, dataDir },
    killAfterMs: [1500, 3000],
    readyWithinMs: 30_000,
  });
  expect(r.kills).toHaveLength(2);
  expect(r.readyLate, `seconds from each kill to /readyz 200: ${r.kills.map((k) => (k.downMs / 1000).toFixed(1)).join(', ')}`).toBe(0);
  expect(r.acknowledgedUpdates).toBe(6 * 19);
  expect(r.lostDetail).toEqual([]);
  expect({ stored: r.stored, lost: r.lost, twice: r.storedTwice }).toEqual({ stored: 6 * 14, lost: 0, twice: 0 });
  expect(r.repliesMissing).toBe(0);
  // The service was not killed: nothing it sent can have lost its record, so nothing goes twice.
  expect(r.repliesTwice).toBe(0);
}, 240_000);
