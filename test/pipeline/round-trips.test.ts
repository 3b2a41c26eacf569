/**
 * Database round trips per message (issues 12 and 21): from the webhook's update to the step
 * persisted, all before the webhook is answered (the fast path handles at once: nothing is
 * recorded in the inbox). Counted with the MongoDB driver's command monitoring on the mongoose
 * connection, through the real Telegram inbound (schema, inbox) and the conversation service:
 *   first contact (/start):  member lookup by any address, member insert
 *                            (with the first turn's state)                = 2 (the lookup finds a linked
 *                            account: issue 22)
 *   an answer:               member update                                = 1 (+1 for a submission)
 *   a message that changes nothing (the menu):                           = 0
 * The member update is guarded by rev and carries the reply owed; the member after it is built
 * in memory, and the dispatcher sends the reply at once (a local Bot API), with no outbox entry.
 * Villages and access codes are cached (a warm-up member fills the caches first). Without a
 * dispatcher to send it, the reply is written to the outbox after the member update (+1).
 */
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandStartedEvent } from 'mongodb';
import { ConversationService } from '../../src/conversation/service.js';
import { createTelegramChannel, type TelegramChannel } from '../../src/channels/telegram/channel.js';
import { ensureIndexes } from '../../src/db/connection.js';
import { InboxModel, OutboxModel, SubmissionModel } from '../../src/db/models.js';
import { seedVillages } from '../../src/db/seed.js';
import { loadFlowVersions } from '../../src/engine/versions.js';
import { createI18n } from '../../src/i18n.js';
import { flowsDir } from '../../src/paths.js';
import { Inbox } from '../../src/pipeline/inbox.js';
import { updateFor, walk, type Step } from '../../bench/support/telegram-load.js';
import { uniqueDatabaseUri } from '../helpers/db.js';
import { Dispatcher } from '../../src/pipeline/dispatcher.js';
import { CHAT0 } from '../../bench/support/telegram-load.js';
import { captureLogger, telegramSetup, type TelegramSetup } from './helpers.js';

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
  let tg: TelegramSetup;
  let dispatcher: Dispatcher;
  let conversations: ConversationService;
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
    // A real dispatcher on the local Bot API (no polls during the test: it is woken in memory).
    // Answers follow each other faster than a person types: the per-chat pace is lifted (a reply
    // that must wait its turn goes through the outbox, as the last test shows).
    tg = await telegramSetup({ fake: { limits: { enabled: false } }, rateLimits: { perSecond: 1000, perChatPerSecond: 1000, perChatBurst: 1000 } });
    for (const i of [0, 1]) tg.fake.addChat({ id: CHAT0 + i, first_name: 'Ibu' });
    dispatcher = new Dispatcher({ channels: tg.channels, logger: logger as never, pollIntervalMs: 600_000 });
    dispatcher.start();
    conversations = new ConversationService({
      flows: versions.current, i18n: await createI18n(), logger: logger as never, timeZone: 'Asia/Jayapura', runExpiryHours: 168,
      flowForRun: (flowId, version) => versions.flowForRun(flowId, version),
      outbox: { claimFor: dispatcher.claimFor, onEnqueued: (ids) => dispatcher.wake(ids), sendAtOnce: (item) => dispatcher.sendAtOnce(item) },
    });
    inbox = new Inbox({ handle: (m, how) => conversations.handle(m, how), logger: logger as never, doneFlushMs: 60_000 });
    channel = createTelegramChannel({
      token: TOKEN, apiRoot: 'http://127.0.0.1:9', inbox, setBlocked: async () => undefined, logger, mode: 'webhook', webhookSecret: 'round_trips',
      botInfo: { id: 1, is_bot: true, first_name: 'Suara Desa', username: 'suara_desa_bot' } as never,
    });
  });

  afterAll(async () => {
    await inbox?.stop();
    await dispatcher?.stop();
    await tg?.close();
    await mongoose.connection.db?.dropDatabase();
    await mongoose.disconnect();
  });

  /** Sends one update as the webhook would; returns the commands made before it could be answered, and after. */
  async function send(member: number, step: Step): Promise<{ beforeAnswer: Command[]; after: Command[] }> {
    commands.length = 0;
    await channel.accept(updateFor(member, step, updateId++, updateId));
    const beforeAnswer = [...commands];
    await inbox.drained();
    return { beforeAnswer, after: commands.slice(beforeAnswer.length) };
  }

  it('a first contact takes 2 round trips and an answer 1, all before the webhook is answered, none in the inbox', async () => {
    // Warm-up member: villages and access codes are read once and cached.
    for (const step of walk(0)) await send(0, step);
    expect(await SubmissionModel.countDocuments({ flowId: 'laporan-risiko' })).toBe(1);

    const counts: { step: string; before: number; after: number; what: string }[] = [];
    for (const [s, step] of walk(1).entries()) {
      const { beforeAnswer, after } = await send(1, step);
      counts.push({ step: steps[s]!, before: beforeAnswer.length, after: after.length, what: beforeAnswer.map((c) => `${c.name} ${c.collection}`).join(', ') });
    }
    // Printed for the README and the report.
    console.log(counts.map((c) => `${c.step.padEnd(32)} ${c.before} (${c.what})`).join('\n'));
    expect(await SubmissionModel.countDocuments({ flowId: 'laporan-risiko' })).toBe(2);

    for (const c of counts) {
      expect(c.after, `${c.step}: nothing left after the answer`).toBe(0);
      expect(c.what, c.step).not.toContain('inbox');
    }
    expect(counts[0]!.what).toBe('find members, insert members');
    const submits = new Set([7, 18]);
    for (const [i, c] of counts.entries()) {
      if (i === 0) continue;
      // The two steps that submit also write the submission (idempotent, keyed by the run): one more.
      expect(c.before, `${c.step}: ${c.what}`).toBe(submits.has(i) ? 2 : 1);
    }
    // Every reply reached the chat, none through the outbox.
    expect(await OutboxModel.countDocuments({ to: String(CHAT0 + 1) })).toBe(0);
    expect(tg.fake.chat(CHAT0 + 1).botMessages.slice(-3).map((m) => m.text).join('\n')).toMatch(/Terima kasih/);
  });

  it('a message that changes nothing (the menu) writes nothing, and a repeat sends it once', async () => {
    const before = tg.fake.received(CHAT0 + 1);
    const { beforeAnswer } = await send(1, { kind: 'text', text: 'menu' });
    expect(beforeAnswer.map((c) => `${c.name} ${c.collection}`)).toEqual([]);
    expect(tg.fake.received(CHAT0 + 1)).toBe(before + 1);
    // A repeat of it (Telegram sending it again) sends no second reply.
    const repeat = updateFor(1, { kind: 'text', text: 'menu' }, 9_000, 9_000);
    await channel.accept(repeat);
    await channel.accept(structuredClone(repeat));
    expect(tg.fake.received(CHAT0 + 1)).toBe(before + 2);
  });

  it('without a dispatcher to send it, the reply is written to the outbox after the member update', async () => {
    const alone = new ConversationService({ ...(conversations as unknown as { options: ConstructorParameters<typeof ConversationService>[0] }).options, outbox: undefined });
    commands.length = 0;
    const replies = await alone.handle({ channel: 'telegram', platformUserId: String(CHAT0 + 1), messageId: 'tg:9100', receivedAt: new Date(), content: { kind: 'text', text: 'Laporan risiko' } }, { acknowledgedAfter: true });
    expect(replies?.length).toBeGreaterThan(0);
    // This service has read nothing yet: the member (by address), then the villages for the flow's choices.
    expect(commands.map((c) => `${c.name} ${c.collection}`)).toEqual(['find members', 'find villages', 'update members', 'insert outbox']);
    expect(await OutboxModel.countDocuments({ _id: 'reply:telegram:tg:9100' })).toBe(1);
  });

  it('finds documents only by _id or a unique key on the critical path', () => {
    // Filters seen while walking member 1: _id, (channel, platformUserId), runId, (_id, rev), and the
    // lookup by any address: $or of (channel, platformUserId) and links.key, each branch on its index.
    const allowed = new Set(['', '_id', 'channel,platformUserId', '_id,rev', 'runId', '$or']);
    const shapes = new Set(commands.map((c) => c.filter));
    for (const shape of shapes) expect(allowed.has(shape), `filter on ${shape}`).toBe(true);
  });

  it('keeps nothing in the inbox on the fast path', async () => {
    expect(await InboxModel.countDocuments({})).toBe(0);
  });
});
