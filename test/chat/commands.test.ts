/**
 * The conversation service around the flows: global commands in the middle of a flow, help,
 * cancel and delete with their confirmations, the menu, stale buttons, expiry and reminders,
 * and exactly-once handling (repeats, replays after a crash, another writer in between).
 * Assertions use the bot's own texts (locales/<lang>/bot.json, read through i18n) and what is
 * stored; flow questions are recognised by the run's position, not by their wording.
 */
import mongoose from 'mongoose';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseGlobalCommand, type GlobalCommand } from '../../src/conversation/commands.js';
import {
  AccessCodeModel, DataRequestModel, HelpRequestModel, InboxModel, MemberModel, OutboxModel, RunModel, SubmissionModel, TelegramPromptModel,
} from '../../src/db/models.js';
import { seedVillages } from '../../src/db/seed.js';
import { SEND_ID } from '../../src/engine/index.js';
import { createLogger } from '../../src/logging/logger.js';
import { sweepRuns } from '../../src/conversation/run-sweep.js';
import { ChatUser, createService, loadRealFlows, register, registerAsWarga, TestClock, translator } from '../helpers/chat.js';
import { useTestDatabase } from '../helpers/db.js';

const database = useTestDatabase();
beforeAll(async () => {
  await seedVillages();
});

const SOLANG = '81.05.15.2004';

async function answers(user: ChatUser): Promise<Record<string, unknown> | undefined> {
  return (await user.run())?.state.answers as Record<string, unknown> | undefined;
}

/** The question the last reply asks (the flow's words, whatever they are today). */
function lastQuestion(user: ChatUser): string | undefined {
  return user.last.at(-1)?.prompt?.question;
}

let placeQuestion = '';

/** A registered resident half-way through a risk report (type and date answered, at "place"). */
async function midReport(clock = new TestClock(), channel: 'web' | 'telegram' = 'web') {
  const user = new ChatUser(await createService(clock), undefined, 'id', channel);
  await registerAsWarga(user);
  await user.pressId('laporan-risiko');
  await user.pressId('rob');
  await user.say('kemarin');
  expect(await user.at()).toBe('place');
  placeQuestion = lastQuestion(user)!;
  expect(placeQuestion).toBeTruthy();
  return user;
}

/** Answers the risk report by the run's position until its summary. */
async function reportUntilSummary(user: ChatUser) {
  for (let i = 0; i < 30; i++) {
    const at = await user.at();
    if (at === 'summary') return;
    if (at === 'type') await user.pressId('rob');
    else if (at === 'date') await user.say('kemarin');
    else if (at === 'place') await user.say('Dusun Kilbat');
    else if (at === 'severity') await user.pressId('sedang');
    else await user.say('lewati');
  }
  throw new Error(`no summary; the bot said: ${user.lastText}`);
}

/** Files one risk report from the menu; returns the stored submission. */
async function fileRiskReport(user: ChatUser) {
  await user.pressId('laporan-risiko');
  await reportUntilSummary(user);
  const runId = (await user.run())!.id;
  await user.pressId(SEND_ID);
  const report = await SubmissionModel.findOne({ runId }).lean();
  expect(report?.flowId).toBe('laporan-risiko');
  return report!;
}

async function flowTitle(flowId: string, language = 'id') {
  const flow = (await loadRealFlows()).flows.get(flowId)!;
  return (await translator(language))(`${flow.namespace}:${flow.title}`);
}

describe('global commands mid-flow', () => {
  it('bantuan explains the bot and offers "Minta dihubungi"; "Lanjutkan" shows the same question, answers kept', async () => {
    const t = await translator();
    const user = await midReport();
    await user.say('Bantuan');
    expect(user.lastText).toContain(t('bot:help.text'));
    expect(user.prompt.promptSeq).toBe(-3);
    expect(user.prompt.choices?.map((c) => c.id)).toEqual(['contact', 'continue']);
    expect(user.prompt.choices?.[0]?.label).toBe(t('bot:help.contact'));
    await user.pressId('continue');
    expect(lastQuestion(user)).toBe(placeQuestion);
    expect(await answers(user)).toMatchObject({ type: 'rob' });
  });

  it('"Minta dihubungi" stores one help request with the flow and question the person was at', async () => {
    const t = await translator();
    const user = await midReport();
    await user.say('bantuan');
    await user.pressId('contact');
    const id = `help:web:${user.lastMessageId}`;
    expect(user.lastText).toContain(t('bot:help.requested'));
    expect(lastQuestion(user)).toBe(placeQuestion); // and on with the report
    const member = await user.member();
    const request = await HelpRequestModel.findById(id).lean();
    expect(request).toMatchObject({ memberId: member?._id, villageCode: SOLANG, channel: 'web', context: 'laporan-risiko/place', status: 'baru' });
    expect(request?.requestedAt).toBeInstanceOf(Date);
    // The same tap delivered again files nothing more.
    expect(await user.send({ kind: 'choice', promptSeq: -3, choiceId: 'contact' }, user.lastMessageId)).toBeNull();
    expect(await HelpRequestModel.countDocuments({ memberId: member?._id })).toBe(1);
    expect(await answers(user)).toMatchObject({ type: 'rob' });
  });

  it('kembali goes back to the previous question', async () => {
    const user = await midReport();
    await user.say('/kembali');
    expect(await user.at()).toBe('date');
    await user.say('hari ini');
    expect(await user.at()).toBe('place');
    expect(lastQuestion(user)).toBe(placeQuestion);
  });

  it('batal with answers asks to confirm: "tidak" keeps the answers, "ya" cancels and keeps nothing', async () => {
    const t = await translator();
    const flow = await flowTitle('laporan-risiko');
    const user = await midReport();
    await user.say('BATAL');
    expect(user.lastText).toBe(t('bot:cancel.confirm', { flow }));
    expect(user.prompt.promptSeq).toBe(-1);
    expect(user.prompt.choices).toEqual([{ id: 'yes', label: t('bot:cancel.yes') }, { id: 'no', label: t('bot:cancel.no') }]);
    expect(await answers(user)).toMatchObject({ type: 'rob' }); // nothing lost yet

    await user.no();
    expect(user.lastText).toContain(t('bot:cancel.kept'));
    expect(lastQuestion(user)).toBe(placeQuestion);
    expect(await answers(user)).toMatchObject({ type: 'rob' });
    expect((await user.member())?.pendingConfirmation).toBeNull();

    await user.say('batal');
    await user.say('ya'); // typed works as well as the button
    expect(user.lastText).toContain(t('bot:cancel.done', { flow }));
    expect(user.prompt.choices?.map((c) => c.id)).toContain('laporan-risiko'); // the menu follows
    const member = await user.member();
    expect(member?.run).toBeNull();
    expect(member?.pendingConfirmation).toBeNull();
    expect(await RunModel.countDocuments({ memberId: member?._id })).toBe(0); // a cancelled run keeps nothing
    expect(await SubmissionModel.countDocuments({ memberId: member?._id, flowId: 'laporan-risiko' })).toBe(0);
  });

  it('batal before any answer cancels at once, without asking', async () => {
    const t = await translator();
    const user = new ChatUser(await createService());
    await registerAsWarga(user);
    await user.pressId('laporan-risiko');
    await user.say('batal');
    expect(user.lastText).toContain(t('bot:cancel.done', { flow: await flowTitle('laporan-risiko') }));
    expect(await user.run()).toBeNull();
  });

  it('menu pauses the flow; picking it again continues where it was', async () => {
    const t = await translator();
    const flow = await flowTitle('laporan-risiko');
    const user = await midReport();
    await user.say('menu');
    expect(user.lastText).toContain(t('bot:menu.runPaused', { flow }));
    await user.pressId('profil-desa');
    expect(user.lastText).toContain(t('bot:menu.finishFirst', { flow }));
    expect(lastQuestion(user)).toBe(placeQuestion);
    await user.say('menu');
    await user.pressId('laporan-risiko');
    expect(user.lastText).not.toContain(t('bot:menu.finishFirst', { flow }));
    expect(lastQuestion(user)).toBe(placeQuestion);
    expect(await answers(user)).toMatchObject({ type: 'rob' });
  });

  it('bahasa switches to English and repeats the question in English', async () => {
    const user = await midReport();
    await user.say('bahasa');
    expect(user.lastText).toContain((await translator('en'))('bot:language.changed'));
    expect(await user.at()).toBe('place');
    expect(lastQuestion(user)).toBeTruthy();
    expect(lastQuestion(user)).not.toBe(placeQuestion);
    expect(user.last.every((m) => m.language === 'en')).toBe(true);
    expect((await user.member())?.language).toBe('en');
    await user.say('/language');
    expect(user.lastText).toContain((await translator('id'))('bot:language.changed'));
    expect(lastQuestion(user)).toBe(placeQuestion);
  });

  it('berhenti opts out of announcements, mulai opts back in and continues the flow', async () => {
    const t = await translator();
    const user = await midReport();
    await user.say('berhenti');
    expect(user.lastText).toContain(t('bot:stop.done'));
    expect((await user.member())?.optedOut).toBe(true);
    await user.say('Mulai');
    expect(user.lastText).toContain(t('bot:start.resumed'));
    expect(lastQuestion(user)).toBe(placeQuestion);
    expect((await user.member())?.optedOut).toBe(false);
  });

  it('datasaya shows what is stored and records the request, then goes on with the flow', async () => {
    const user = await midReport();
    await user.say('datasaya');
    expect(user.lastText).toContain('Nama: Ibu Siti');
    expect(user.lastText).toContain('Desa: Solang (Teluk Waru)');
    expect(lastQuestion(user)).toBe(placeQuestion);
    const member = await user.member();
    expect(await DataRequestModel.countDocuments({ kind: 'access', memberRef: String(member?._id) })).toBe(1);
  });

  it('privasi shows the full consent text, then the same question', async () => {
    const t = await translator();
    const user = await midReport();
    await user.say('privasi');
    const full = t('daftar:consent.full');
    expect(full.length).toBeGreaterThan(t('bot:privacy.text').length);
    expect(user.lastText).toContain(full);
    expect(lastQuestion(user)).toBe(placeQuestion);
  });

  it('a word inside an answer is an answer, not a command', async () => {
    const t = await translator();
    const user = await midReport();
    await user.say('Dusun batal, dekat pantai');
    expect(user.lastText).not.toContain(t('bot:cancel.confirm', { flow: await flowTitle('laporan-risiko') }));
    expect((await user.member())?.run?.state.answers).toMatchObject({ place: 'Dusun batal, dekat pantai' });
  });

  it('Object.prototype names are ordinary words: at the menu they are not understood, never an error', async () => {
    const t = await translator();
    const user = new ChatUser(await createService());
    await registerAsWarga(user);
    for (const word of ['constructor', '__proto__', '/toString', 'HasOwnProperty', '/__defineGetter__']) {
      const replies = await user.say(word);
      expect(replies?.[0]?.text, word).toContain(t('bot:menu.notUnderstood'));
      expect(user.prompt.choices?.map((c) => c.id), word).toContain('laporan-risiko');
    }
  });
});

describe('the command parser', () => {
  const known = new Set<GlobalCommand['name']>(['menu', 'cancel', 'back', 'help', 'language', 'stop', 'start', 'mydata', 'deletedata', 'privacy']);

  /** mulberry32: the same "random" strings on every run, so a failure can be replayed. */
  function seeded(seed: number) {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function randomCase(word: string, random: () => number): string {
    return [...word].map((c) => (random() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join('');
  }

  function check(text: string): GlobalCommand | null {
    let result: GlobalCommand | null = null;
    expect(() => (result = parseGlobalCommand(text)), JSON.stringify(text)).not.toThrow();
    if (result !== null) expect(known.has((result as GlobalCommand).name), JSON.stringify(text)).toBe(true);
    return result;
  }

  it('no Object.prototype name is a command, with or without "/", in any case', () => {
    const random = seeded(7);
    const names = Object.getOwnPropertyNames(Object.prototype);
    expect(names).toEqual(expect.arrayContaining(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']));
    for (const name of names) {
      for (const form of [name, `/${name}`, name.toUpperCase(), `/${name.toUpperCase()}`, randomCase(name, random), ` /${randomCase(name, random)}. `, `${name}@suaradesabot`]) {
        expect(check(form), JSON.stringify(form)).toBeNull();
      }
    }
  });

  it('random strings never throw and give null or a known command', () => {
    const random = seeded(20261127);
    const pieces = [
      ...'abcdefghijklmnopqrstuvwxyzABCZ0123456789 /@._-!?,:;\'"\\\n\téàü', '🙂', '\u0000', '\u200b',
      'batal', 'menu', 'start', 'hapus data', '__proto__', 'constructor', 'prototype', '@bot', '/start ', 'toString',
    ];
    let commands = 0;
    for (let i = 0; i < 5000; i++) {
      const length = Math.floor(random() * 12);
      let text = '';
      for (let j = 0; j < length; j++) text += pieces[Math.floor(random() * pieces.length)];
      if (check(text)) commands++;
    }
    expect(commands).toBeGreaterThan(0); // the generator does reach real commands
    // The real words still work.
    expect(check('/Batal')).toEqual({ name: 'cancel' });
    expect(check('HAPUS DATA')).toEqual({ name: 'deletedata' });
    expect(check('/start 81_05_15_2004')).toEqual({ name: 'start', payload: '81_05_15_2004' });
  });
});

describe('hapusdata', () => {
  it('asks to confirm; "tidak" keeps everything', async () => {
    const t = await translator();
    const user = await midReport();
    await user.say('hapusdata');
    expect(user.lastText).toBe(t('bot:delete.confirm'));
    expect(user.prompt.promptSeq).toBe(-1);
    await user.no();
    expect(user.lastText).toContain(t('bot:delete.kept'));
    expect(lastQuestion(user)).toBe(placeQuestion);
    expect(await answers(user)).toMatchObject({ type: 'rob' });
  });

  it('keeps risk reports without the reporter, deletes the rest, and records counts without a link', async () => {
    const t = await translator();
    const clock = new TestClock();
    const user = new ChatUser(await createService(clock), undefined, 'id', 'telegram');
    const other = new ChatUser(user.service, undefined, 'id', 'telegram');
    await registerAsWarga(user, 'Ibu Siti Rumalutur');
    await registerAsWarga(other, 'Pak Lain');
    const member = (await user.member())!;
    const registration = await SubmissionModel.findOne({ memberId: member._id, flowId: 'daftar' }).lean();
    expect(registration).not.toBeNull();
    const report = await fileRiskReport(user);
    // A draft: a report left unfinished until it expired.
    await user.pressId('laporan-risiko');
    await user.pressId('banjir');
    clock.advanceHours(169);
    await user.say('halo');
    expect(user.lastText).toContain(t('bot:run.expired'));
    expect(await RunModel.countDocuments({ memberId: member._id })).toBe(1);
    // A help request, an access request, a Telegram prompt and an inbox entry of the person (and of someone else).
    await user.say('bantuan');
    await user.pressId('contact');
    await user.say('datasaya');
    for (const who of [user, other]) {
      await TelegramPromptModel.create({ _id: `${who.id}:77`, prompt: { question: 'x' }, savedAt: clock.now() });
      await InboxModel.create({ _id: `telegram:${who.id}-old`, memberKey: `telegram:${who.id}`, status: 'done', seq: 1, receivedAt: clock.now() });
    }
    expect((await user.outbox()).length).toBeGreaterThan(3);
    const othersOutbox = (await other.outbox()).length;

    await user.say('/hapusdata');
    expect(user.lastText).toBe(t('bot:delete.confirm'));
    await user.yes();
    expect(user.lastText).toContain(t('bot:delete.done'));

    // Gone: the member, the registration, drafts, help requests, messages and prompts.
    expect(await MemberModel.countDocuments({ _id: member._id })).toBe(0);
    expect(await SubmissionModel.countDocuments({ _id: registration!._id })).toBe(0);
    expect(await SubmissionModel.countDocuments({ memberId: member._id })).toBe(0);
    expect(await RunModel.countDocuments({ memberId: member._id })).toBe(0);
    expect(await HelpRequestModel.countDocuments({ memberId: member._id })).toBe(0);
    expect(await InboxModel.countDocuments({ memberKey: `telegram:${user.id}` })).toBe(0);
    expect(await TelegramPromptModel.countDocuments({ _id: `${user.id}:77` })).toBe(0);
    // Only the answer to "ya, hapus" is still to be sent to them.
    expect((await user.outbox()).map((o) => o._id)).toEqual([`reply:telegram:${user.lastMessageId}`]);
    // Someone else's are untouched.
    expect(await TelegramPromptModel.countDocuments({ _id: `${other.id}:77` })).toBe(1);
    expect(await InboxModel.countDocuments({ memberKey: `telegram:${other.id}` })).toBe(1);
    expect((await other.outbox()).length).toBe(othersOutbox);
    expect(await other.member()).not.toBeNull();

    // Kept: the report, as a village fact without the reporter.
    const kept = await SubmissionModel.findById(report._id).lean();
    expect(kept).toMatchObject({ memberId: null, flowId: 'laporan-risiko', villageCode: SOLANG, answers: { type: 'rob', place: 'Dusun Kilbat' } });
    expect(kept?.reporterRemovedAt).toBeInstanceOf(Date);
    const everything = JSON.stringify(await SubmissionModel.find({}).lean());
    expect(everything).not.toContain('Rumalutur');
    expect(everything).not.toContain(user.id);

    // The record: what was done, in counts, linked to nobody.
    expect(await DataRequestModel.countDocuments({ memberRef: String(member._id) })).toBe(0);
    const request = await DataRequestModel.findOne({ kind: 'delete' }).lean();
    expect(request).toMatchObject({ memberRef: 'deleted', channel: 'telegram' });
    expect(request?.completedAt).toBeInstanceOf(Date);
    expect(request?.detail).toMatchObject({ reportsAnonymised: 1, deleted: { registrations: 1, drafts: 1, helpRequests: 1 } });
    expect((request?.detail as { deleted: { messages: number } }).deleted.messages).toBeGreaterThan(0);
    expect(JSON.stringify(request)).not.toContain(user.id);
    expect(await DataRequestModel.countDocuments({ kind: 'access', memberRef: 'deleted' })).toBe(1);

    // Writing again starts afresh.
    await user.say('halo');
    expect(user.prompt.choices?.map((c) => c.id)).toEqual(['yes', 'no']);
    expect((await user.member())?.consent).toBeNull();
  }, 30_000);
});

describe('long pauses and restarts', () => {
  it('continues after a restart with a new service instance on the same database', async () => {
    const clock = new TestClock();
    const user = await midReport(clock);
    user.service = await createService(clock); // a new process would build exactly this
    clock.advanceHours(48); // two days later, weak signal
    await user.say('Dusun Air Besar');
    expect(await user.at()).toBe('location');
    expect(await answers(user)).toMatchObject({ type: 'rob', place: 'Dusun Air Besar' });
  });

  it('sweepRuns queues one reminder per run in the member\'s language, then archives the expired run with its answers', async () => {
    const clock = new TestClock();
    const user = await midReport(clock);
    await user.say('bahasa'); // the reminder must come in English
    const member = (await user.member())!;
    const runId = member.run!.id;
    const { flows, i18n } = await loadRealFlows();
    const changed: string[][] = [];
    const deps = {
      i18n, flows, timeZone: 'Asia/Jayapura', logger: createLogger({ level: 'silent' }),
      onChanged: (keys: string[], outboxIds: string[]) => {
        changed.push([...keys, ...outboxIds]);
        user.service.invalidate();
      },
    };
    const reminders = () => OutboxModel.find({ to: user.id, kind: 'reminder' }).lean();

    clock.advanceHours(100);
    // (Other tests' members share this database: only this person's outcome is asserted.)
    await sweepRuns(clock.now(), deps);
    expect(await reminders()).toHaveLength(0);
    expect((await user.member())?.run?.reminderSentAt).toBeNull();
    clock.advanceHours(50); // 150 h: within a day of the 168 h expiry
    expect((await sweepRuns(clock.now(), deps)).reminded).toBeGreaterThanOrEqual(1);
    expect(await sweepRuns(clock.now(), deps)).toMatchObject({ reminded: 0 }); // a second sweep (or instance) does not remind twice
    const mine = await reminders();
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ _id: `runrem:${String(runId)}`, kind: 'reminder', channel: 'web', status: 'pending' });
    const reminder = mine[0]!.messages[0] as { text: string; language: string };
    expect(reminder.language).toBe('en');
    const en = await translator('en');
    const [pre, post] = en('bot:run.reminder', { flow: await flowTitle('laporan-risiko', 'en'), when: '@@WHEN@@' }).split('@@WHEN@@');
    expect(reminder.text.startsWith(pre!)).toBe(true);
    expect(reminder.text.endsWith(post!)).toBe(true);
    expect(reminder.text.length).toBeGreaterThan(pre!.length + post!.length); // the closing time is said
    expect((await user.member())?.run?.reminderSentAt).toBeInstanceOf(Date);
    expect(changed.flat()).toContain(`runrem:${String(runId)}`);

    clock.advanceHours(20);
    expect((await sweepRuns(clock.now(), deps)).expired).toBeGreaterThanOrEqual(1);
    expect(await sweepRuns(clock.now(), deps)).toMatchObject({ expired: 0, reminded: 0 });
    expect((await user.member())?.run).toBeNull();
    const drafts = await RunModel.find({ memberId: member._id }).lean();
    expect(drafts).toHaveLength(1);
    expect(drafts[0]).toMatchObject({ _id: runId, status: 'expired', flowId: 'laporan-risiko' });
    expect(drafts[0]?.state.answers).toMatchObject({ type: 'rob' });
    expect(drafts[0]?.expiredAt).toBeInstanceOf(Date);
    expect(await reminders()).toHaveLength(1);

    // The person's next message finds the menu, not the old question.
    await user.say('hello');
    expect(user.prompt.choices?.map((c) => c.id)).toContain('laporan-risiko');
    expect(await user.run()).toBeNull();
  });

  it('tells the person when their next message finds the run expired, and keeps it as a draft', async () => {
    const t = await translator();
    const clock = new TestClock();
    const user = await midReport(clock);
    const runId = (await user.run())!.id;
    clock.advanceHours(169);
    await user.say('Dusun Air Besar');
    expect(user.lastText).toContain(t('bot:run.expired'));
    expect(user.prompt.choices?.map((c) => c.id)).toContain('laporan-risiko');
    expect((await RunModel.findById(runId).lean())?.state.answers).toMatchObject({ type: 'rob' });
    expect(await user.run()).toBeNull();
  });
});

describe('exactly once', () => {
  it('a repeated message id: one reply, one stored answer, one outbox entry', async () => {
    const user = await midReport();
    const before = (await user.outbox()).length;
    const first = await user.send({ kind: 'text', text: 'Dusun Air Besar' }, 'same-id-1');
    const again = await user.send({ kind: 'text', text: 'Dusun Air Besar' }, 'same-id-1');
    expect(first?.length).toBeGreaterThan(0);
    expect(again).toBeNull();
    // Also when this process has forgotten the member (another instance, a restart).
    user.service.invalidate();
    expect(await user.send({ kind: 'text', text: 'Dusun Air Besar' }, 'same-id-1')).toBeNull();
    const run = await user.run();
    expect(run?.state.answers).toMatchObject({ place: 'Dusun Air Besar' });
    expect(run?.state.history.filter((p: { id?: string }) => p.id === 'place')).toHaveLength(1);
    expect(await user.at()).toBe('location');
    const outbox = await user.outbox();
    expect(outbox).toHaveLength(before + 1);
    const reply = outbox.find((o) => o._id === 'reply:web:same-id-1');
    expect(reply).toMatchObject({ kind: 'reply', status: 'pending', memberId: (await user.member())?._id });
    expect((reply?.messages as { text: string }[]).map((m) => m.text)).toEqual(first?.map((m) => m.text));
  });

  it('a replay after a crash between the submission and the member update stores the submission once', async () => {
    const user = new ChatUser(await createService());
    await registerAsWarga(user);
    await user.pressId('laporan-risiko');
    await reportUntilSummary(user);
    const member = (await user.member())!;
    const runId = member.run!.id;
    const beforeCrash = await MemberModel.collection.findOne({ _id: member._id });

    const first = await user.send({ kind: 'choice', promptSeq: user.prompt.promptSeq!, choiceId: SEND_ID }, 'send-1');
    expect(await SubmissionModel.countDocuments({ runId })).toBe(1);
    // The crash: the submission and the reply were written, the member update was not.
    await MemberModel.collection.replaceOne({ _id: member._id }, beforeCrash!);
    user.service.invalidate();
    expect(await user.run()).not.toBeNull();

    const replay = await user.send({ kind: 'choice', promptSeq: member.run!.state.promptSeq, choiceId: SEND_ID }, 'send-1');
    expect(replay?.map((m) => m.text)).toEqual(first?.map((m) => m.text));
    expect(await SubmissionModel.countDocuments({ runId })).toBe(1);
    expect(await SubmissionModel.countDocuments({ memberId: member._id, flowId: 'laporan-risiko' })).toBe(1);
    expect(await OutboxModel.countDocuments({ _id: 'reply:web:send-1' })).toBe(1);
    const after = await user.member();
    expect(after?.run).toBeNull();
    expect(after?.handled).toContain('send-1');
    // And a third delivery is a repeat.
    expect(await user.send({ kind: 'choice', promptSeq: member.run!.state.promptSeq, choiceId: SEND_ID }, 'send-1')).toBeNull();
  });

  it('when the member changed underneath (rev moved on), the step is redone: one submission, one reply', async () => {
    const user = new ChatUser(await createService());
    await registerAsWarga(user);
    await user.pressId('laporan-risiko');
    await reportUntilSummary(user);
    const member = (await user.member())!;
    // Another writer (a sweep, another instance) touched the member: the cached copy is stale.
    await MemberModel.updateOne({ _id: member._id }, { $inc: { rev: 1 } });
    const replies = await user.send({ kind: 'choice', promptSeq: user.prompt.promptSeq!, choiceId: SEND_ID }, 'send-2');
    expect(replies?.at(-1)?.choices?.map((c) => c.id)).toContain('laporan-risiko'); // the menu after the thanks
    expect(await SubmissionModel.countDocuments({ runId: member.run!.id })).toBe(1);
    const outbox = await OutboxModel.find({ _id: 'reply:web:send-2' }).lean();
    expect(outbox).toHaveLength(1);
    expect((outbox[0]?.messages as { text: string }[]).map((m) => m.text)).toEqual(replies?.map((m) => m.text));
    const after = await user.member();
    expect(after?.run).toBeNull();
    expect(after?.rev).toBe(member.rev + 2);
  });

  it('two service instances: a stale copy in one never undoes what the other stored', async () => {
    const user = await midReport();
    const instanceA = user.service;
    const instanceB = await createService();
    user.service = instanceB;
    await user.say('Dusun Air Besar'); // B moves the run on to "location"
    user.service = instanceA; // A still holds the member as it was at "place"
    await user.say('lewati'); // skips the optional location
    expect(await answers(user)).toMatchObject({ type: 'rob', place: 'Dusun Air Besar' });
    expect(await user.at()).toBe('severity');
    const history = (await user.run())?.state.history.map((p: { id?: string }) => p.id);
    expect(history).toEqual(['type', 'date', 'place', 'location']);
  });

  it('one message handled by two workers at once (a lease ran out mid-step): the loser never takes back the reply the winner relies on', async () => {
    const user = await midReport();
    const winner = await createService();
    const loser = user.service as unknown as { commit: (...args: unknown[]) => Promise<unknown> };
    const commit = loser.commit.bind(loser);
    // The loser has written the reply entry; before its own commit the winner handles the same
    // message (its reply write finds the loser's entry) and commits first.
    loser.commit = async (...args) => {
      await winner.handle({ channel: 'web', platformUserId: user.id, messageId: 'twice-1', receivedAt: new Date(), languageHint: 'id', content: { kind: 'text', text: 'Dusun Air Besar' } });
      return commit(...args);
    };
    expect(await user.send({ kind: 'text', text: 'Dusun Air Besar' }, 'twice-1')).toBeNull();
    loser.commit = commit;
    expect(await user.at()).toBe('location');
    const reply = await OutboxModel.findById('reply:web:twice-1').lean();
    expect((reply?.messages as { text: string }[] | undefined)?.some((m) => /kirim lokasinya/.test(m.text))).toBe(true);
  });

  it('handles two messages of one person sent at once in order', async () => {
    const user = await midReport();
    await Promise.all([user.say('Dusun Air Besar'), user.say('lewati')]);
    expect(await answers(user)).toMatchObject({ place: 'Dusun Air Besar' });
    expect(await user.at()).toBe('severity');
  });
});

describe('stale buttons', () => {
  it('a button of a finished run is refused with the current question; nothing is answered', async () => {
    const t = await translator();
    const user = new ChatUser(await createService());
    await registerAsWarga(user);
    await user.pressId('laporan-risiko');
    const oldPrompt = user.prompt;
    expect(oldPrompt.choices?.map((c) => c.id)).toContain('gempa');
    await user.say('batal'); // nothing answered yet: the run ends at once
    expect(await user.run()).toBeNull();
    await user.pressId('laporan-risiko');
    const current = user.prompt;
    expect(current.promptSeq).toBeGreaterThan(oldPrompt.promptSeq!); // prompt numbers count on across runs

    await user.send({ kind: 'choice', promptSeq: oldPrompt.promptSeq!, choiceId: 'gempa' });
    expect(user.lastText).toMatch(/tombol/i);
    expect(user.lastText).toContain(t('engine:stale'));
    expect(lastQuestion(user)).toBe(current.prompt?.question);
    expect(user.prompt.choices?.map((c) => c.id)).toEqual(current.choices?.map((c) => c.id));
    expect(await answers(user)).toEqual({});
    expect(await user.at()).toBe('type');

    // The current button still works.
    await user.pressId('gempa');
    expect(await answers(user)).toMatchObject({ type: 'gempa' });
  });

  it('a button of the finished registration, tapped at the menu, "tidak berlaku"', async () => {
    const t = await translator();
    const user = new ChatUser(await createService());
    await registerAsWarga(user);
    const sendSeq = user.seen.filter((m) => m.choices?.some((c) => c.id === SEND_ID)).at(-1)!.promptSeq!;
    await user.send({ kind: 'choice', promptSeq: sendSeq, choiceId: SEND_ID });
    expect(user.lastText).toContain(t('bot:menu.staleButton'));
    expect(user.prompt.choices?.map((c) => c.id)).toContain('laporan-risiko');
    expect(await user.run()).toBeNull();
    expect(await SubmissionModel.countDocuments({ memberId: (await user.member())?._id })).toBe(1);
  });

  it('a yes/no button of a confirmation already answered "tidak berlaku" and deletes nothing', async () => {
    const t = await translator();
    const user = await midReport();
    await user.say('hapusdata');
    const confirm = user.prompt;
    await user.no();
    await user.send({ kind: 'choice', promptSeq: confirm.promptSeq!, choiceId: 'yes' });
    expect(user.lastText).toContain(t('bot:menu.staleButton'));
    expect(lastQuestion(user)).toBe(placeQuestion);
    expect(await user.member()).not.toBeNull();
  });
});

describe('the menu', () => {
  it('numbers every role\'s items 1, 2, 3 without gaps, and a typed number starts it', async () => {
    const t = await translator();
    await AccessCodeModel.create({ code: 'POKJA-MENU', role: 'pokja', villageCode: SOLANG, maxUses: 5 });
    const service = await createService();
    const warga = new ChatUser(service);
    const pokja = new ChatUser(service);
    await registerAsWarga(warga);
    await register(pokja, { name: 'Pak Amir', role: 'pokja', code: 'POKJA-MENU' });
    expect((await pokja.member())?.role).toBe('pokja');

    const numbers = (user: ChatUser) => new Map(user.prompt.choices!.map((c) => [c.id, Number(/^(\d+)\. /.exec(c.label)?.[1])]));
    const w = numbers(warga);
    const p = numbers(pokja);
    expect([...w.keys()]).toEqual(['profil-desa', 'laporan-risiko', 'daftar']);
    expect(w.get('profil-desa')).toBe(1);
    expect(w.get('laporan-risiko')).toBe(2);
    expect(p.get('profil-desa')).toBe(1);
    expect(p.get('laporan-risiko')).toBe(2);
    expect(p.get('kemajuan-kegiatan')).toBe(3);
    // No gaps where another role's flows sit (a resident saw 1, 2, 5 before).
    expect([...w.values()]).toEqual([1, 2, 3]);
    expect([...p.values()]).toEqual([...p.values()].map((_, i) => i + 1));
    // The numbers are in the text, in front of each item.
    const menuText = warga.prompt.text;
    expect(menuText).toContain(t('bot:menu.prompt'));
    expect(menuText).toContain(`1. ${await flowTitle('profil-desa')}`);
    expect(menuText).toContain(`2. ${await flowTitle('laporan-risiko')}`);
    expect(menuText).toContain(`${w.get('daftar')}. ${t('bot:menu.reregister')}`);
    expect(menuText).not.toContain(await flowTitle('kemajuan-kegiatan'));
    expect(pokja.prompt.text).toContain(`3. ${await flowTitle('kemajuan-kegiatan')}`);

    // A resident typing 4 gets the menu again (there is no 4); typing 2 starts the risk report.
    await warga.say('4');
    expect(warga.lastText).toContain(t('bot:menu.notUnderstood'));
    expect(await warga.run()).toBeNull();
    await warga.say('2');
    expect((await warga.run())?.flowId).toBe('laporan-risiko');
    await pokja.say('3.');
    expect((await pokja.run())?.flowId).toBe('kemajuan-kegiatan');
  });

  it('is not offered kemajuan-kegiatan as a resident, by name either', async () => {
    const t = await translator();
    const user = new ChatUser(await createService());
    await registerAsWarga(user);
    expect(user.prompt.choices?.some((c) => c.id === 'kemajuan-kegiatan')).toBe(false);
    await user.say('kemajuan-kegiatan');
    expect(user.lastText).toContain(t('bot:menu.notUnderstood'));
    expect(await user.run()).toBeNull();
  });
});

describe('failures', () => {
  it('a database failure rejects the message and commits nothing; the same message works once it is back', async () => {
    const user = await midReport();
    await mongoose.connection.close();
    try {
      await expect(user.send({ kind: 'text', text: 'Dusun Air Besar' }, 'retry-me')).rejects.toThrow();
    } finally {
      await mongoose.connection.openUri(database.uri());
    }
    expect(await user.at()).toBe('place');
    expect(await OutboxModel.countDocuments({ _id: 'reply:web:retry-me' })).toBe(0);
    const again = await user.send({ kind: 'text', text: 'Dusun Air Besar' }, 'retry-me');
    expect(again?.length).toBeGreaterThan(0);
    expect(await user.at()).toBe('location');
    expect(await answers(user)).toMatchObject({ type: 'rob', place: 'Dusun Air Besar' });
    expect(await OutboxModel.countDocuments({ _id: 'reply:web:retry-me' })).toBe(1);
  });
});

describe('unreadable messages', () => {
  it('a sticker gets a kind answer and the same question again, with nothing lost', async () => {
    const t = await translator();
    const user = await midReport();
    await user.send({ kind: 'unsupported', what: 'sticker' });
    expect(user.last[0]?.text).toBe(t('bot:errors.unsupported'));
    expect(lastQuestion(user)).toBe(placeQuestion);
    expect(await answers(user)).toMatchObject({ type: 'rob' });
  });
});
