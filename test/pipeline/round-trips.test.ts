/**
 * Database round trips per message on the critical path (issue 12): from the webhook's update
 * to the step persisted. Counted with the MongoDB driver's command monitoring on the mongoose
 * connection, through the real Telegram inbound (schema, inbox) and the conversation service:
 *   first contact (/start):  inbox insert, member upsert, outbox insert, member update  <= 4
 *   (the member update is an update guarded by rev: the member after it is built in memory)
 *   an answer:               inbox insert, outbox insert, member update                 <= 3
 * Only the inbox insert comes before the webhook is answered. Villages and access codes are
 * cached (a warm-up member fills the caches first). The inbox's own "done" marks are off the
 * critical path: written together, one update for many messages (asserted separately).
 */
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandStartedEvent } from 'mongodb';
import { ConversationService } from '../../src/conversation/service.js';
import { createTelegramChannel, type TelegramChannel } from '../../src/channels/telegram/channel.js';
import { ensureIndexes } from '../../src/db/connection.js';
import { SubmissionModel } from '../../src/db/models.js';
import { seedVillages } from '../../src/db/seed.js';
import { loadFlowVersions } from '../../src/engine/versions.js';
import { createI18n } from '../../src/i18n.js';
import { flowsDir } from '../../src/paths.js';
import { Inbox } from '../../src/pipeline/inbox.js';
import { updateFor, walk } from '../../bench/support/telegram-load.js';
import { uniqueDatabaseUri } from '../helpers/db.js';
import { captureLogger } from './helpers.js';

const TOKEN = '313131:round-trip-token-abcdefghijklmnopqrstuvwxyz';

interface Command {
  name: string;
  collection: string;
  filter: string;
}

describe('database round trips per message (critical path)', () => {
  const commands: Command[] = [];
  let inbox: Inbox;
  let channel: TelegramChannel;
  let updateId = 1;
  // Which flow step each of walk()'s 19 updates is.
  const steps = ['/start', 'consent', 'minor', 'name', 'kecamatan', 'village', 'role', 'kirim (registration submitted)', 'menu: laporan risiko',
    'type', 'date', 'place', 'location', 'severity', 'households', 'livelihoods', 'help', 'photo (skipped)', 'kirim (report submitted)'];

  beforeAll(async () => {
    await mongoose.connect(uniqueDatabaseUri(), { serverSelectionTimeoutMS: 10_000, monitorCommands: true });
    await ensureIndexes();
    await seedVillages();
    mongoose.connection.getClient().on('commandStarted', (e: CommandStartedEvent) => {
      const c = e.command as Record<string, unknown>;
      const filter = (c.filter ?? (c.updates as { q?: object }[] | undefined)?.[0]?.q ?? c.query ?? {}) as object;
      commands.push({ name: e.commandName, collection: String(c[e.commandName] ?? ''), filter: Object.keys(filter).join(',') });
    });
    const versions = await loadFlowVersions(flowsDir);
    const { logger } = captureLogger();
    const conversations = new ConversationService({
      flows: versions.current, i18n: await createI18n(), logger: logger as never, timeZone: 'Asia/Jayapura', runExpiryHours: 168,
      flowForRun: (flowId, version) => versions.flowForRun(flowId, version),
    });
    inbox = new Inbox({ handle: (m) => conversations.handle(m), logger: logger as never, doneFlushMs: 60_000 });
    channel = createTelegramChannel({
      token: TOKEN, apiRoot: 'http://127.0.0.1:9', inbox, setBlocked: async () => undefined, logger, mode: 'webhook', webhookSecret: 'round_trips',
      botInfo: { id: 1, is_bot: true, first_name: 'Suara Desa', username: 'suara_desa_bot' } as never,
    });
  });

  afterAll(async () => {
    await inbox?.stop();
    await mongoose.connection.db?.dropDatabase();
    await mongoose.disconnect();
  });

  /** Sends one update as the webhook would; returns the commands before it could be answered and until the step was persisted. */
  async function send(member: number, step: number): Promise<{ beforeAnswer: Command[]; critical: Command[] }> {
    const stepDef = walk(member)[step]!;
    commands.length = 0;
    await channel.accept(updateFor(member, stepDef, updateId++, 100 + step));
    const beforeAnswer = [...commands];
    // Handled and persisted; the done marks wait for their batch (doneFlushMs is long here).
    // The commit: one update of the member guarded by its rev.
    while (commands.filter((c) => c.name === 'update' && c.collection === 'members' && c.filter.includes('rev')).length === 0) {
      await new Promise((r) => setTimeout(r, 2));
    }
    await waitIdle();
    const critical = commands.filter((c) => !(c.collection === 'inbox' && c.name === 'update'));
    return { beforeAnswer, critical };
  }

  async function waitIdle(): Promise<void> {
    // The queue for the member is empty once its handle() resolved; no flush (doneFlushMs is long).
    for (;;) {
      const before = commands.length;
      await new Promise((r) => setTimeout(r, 20));
      if (commands.length === before) return;
    }
  }

  it('a first contact takes at most 4 round trips and an answer at most 3; only the inbox insert before the webhook is answered', async () => {
    // Warm-up member: villages and access codes are read once and cached.
    for (let s = 0; s < walk(0).length; s++) await send(0, s);
    expect(await SubmissionModel.countDocuments({ flowId: 'laporan-risiko' })).toBe(1);

    const counts: { step: string; beforeAnswer: number; critical: number; what: string }[] = [];
    for (let s = 0; s < walk(1).length; s++) {
      const { beforeAnswer, critical } = await send(1, s);
      counts.push({ step: steps[s]!, beforeAnswer: beforeAnswer.length, critical: critical.length, what: critical.map((c) => `${c.name} ${c.collection}`).join(', ') });
    }
    // Printed for the README and the report.
    console.log(counts.map((c) => `${c.step.padEnd(32)} ${c.critical} (${c.what})`).join('\n'));
    expect(await SubmissionModel.countDocuments({ flowId: 'laporan-risiko' })).toBe(2);

    for (const c of counts) expect(c.beforeAnswer, c.step).toBe(1);
    expect(counts[0]!.critical).toBeLessThanOrEqual(4);
    expect(counts[0]!.what).toBe('insert inbox, findAndModify members, insert outbox, update members');
    const submits = new Set([7, 18]);
    for (const [i, c] of counts.entries()) {
      if (i === 0) continue;
      // The two steps that submit also write the submission (idempotent, keyed by the run): one more.
      expect(c.critical, `${c.step}: ${c.what}`).toBeLessThanOrEqual(submits.has(i) ? 4 : 3);
    }
  });

  it('finds documents only by _id or a unique key on the critical path', () => {
    // Filters seen while walking member 1: _id, (channel, platformUserId), runId, (_id, rev).
    const allowed = new Set(['', '_id', 'channel,platformUserId', '_id,rev', 'runId']);
    const shapes = new Set(commands.map((c) => c.filter));
    for (const shape of shapes) expect(allowed.has(shape), `filter on ${shape}`).toBe(true);
  });

  it('marks handled inbox items done together: one update for many messages, off the critical path', async () => {
    commands.length = 0;
    await inbox.flushDone();
    const updates = commands.filter((c) => c.collection === 'inbox' && c.name === 'update');
    expect(updates).toHaveLength(1);
    const { InboxModel } = await import('../../src/db/models.js');
    expect(await InboxModel.countDocuments({ status: 'pending' })).toBe(0);
    expect(await InboxModel.countDocuments({ status: 'done' })).toBe(38);
  });
});
