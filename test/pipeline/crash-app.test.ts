/**
 * The real service (webhook mode) in a child process, killed with SIGKILL mid-conversation and
 * started again on the same database: people keep answering (Telegram sends what was not
 * answered 200 again), and afterwards every acknowledged answer is stored exactly once where
 * it belongs, and every reply the outbox owed was sent once. The drill itself is
 * bench/support/crash-run.ts (also `npm run bench:crash`, with more people and kills).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { crashRun } from '../../bench/support/crash-run.js';
import { TOKEN } from '../../bench/support/telegram-load.js';
import { freePort } from '../../src/db/local-server.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-bot-api.js';
import { uniqueDatabaseUri } from '../helpers/db.js';

let fake: FakeTelegram | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'suaradesa-crash-app-'));
afterAll(async () => {
  await fake?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it('SIGKILL of the app mid-conversation, twice: nothing acknowledged is lost or doubled, every owed reply is sent (twice only for a send the kill cut off from its record)', async () => {
  fake = await startFakeTelegram({ token: TOKEN, limits: { perChatBurst: 10 } });
  const r = await crashRun({
    members: 6,
    kills: 2,
    mode: 'app',
    fake,
    child: { port: await freePort(), apiRoot: fake.apiRoot, dataDir, mongodbUri: uniqueDatabaseUri() },
    killAfterMs: [1500, 3500],
  });
  expect(r.kills).toHaveLength(2);
  expect(r.kills.every((k) => k.signal === 'SIGKILL')).toBe(true);
  expect(r.acknowledgedUpdates).toBe(6 * 19);
  expect(r.lostDetail).toEqual([]);
  expect({ stored: r.stored, lost: r.lost, twice: r.storedTwice }).toEqual({ stored: 6 * 14, lost: 0, twice: 0 });
  // Every owed reply went out. A reply can go out twice only if the kill fell between the Bot
  // API's OK and the dispatcher's record of it (Telegram has no idempotency key): at most the
  // sends in flight at that moment, one per chat.
  expect(r.repliesMissing).toBe(0);
  expect(r.repliesSent).toBe(r.repliesOwed + r.repliesTwice);
  expect(r.repliesTwice).toBeLessThanOrEqual(r.kills.length * 6);
  // Every walk got the same replies, but for those doubled sends.
  expect(r.chatsOffWalk).toBeLessThanOrEqual(r.repliesTwice);
}, 240_000);
