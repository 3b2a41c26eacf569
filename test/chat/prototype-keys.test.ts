/**
 * Prototype keys (issue 20, point 4): every name Object.prototype has ("constructor",
 * "__proto__", "toString", "hasOwnProperty", ...) sent as text, as a button id and as a list id,
 * through every channel's real inbound path (Telegram text and callbacks `c:<seq>:<name>` from
 * the local Bot API; WhatsApp text, button_reply and list_reply, signed, with `c:<seq>:<name>`
 * ids and bare ones; the web simulator's HTTP API), at registration, the menu, a single choice,
 * a date, and two optional questions. Each must be handled at the first try (never given up,
 * never "ada gangguan"), move nothing (no skip, no answer), and the report the person then
 * sends holds exactly what they said.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressOf } from '../../src/channels/web/sessions.js';
import { loadConfig } from '../../src/config/index.js';
import { freePort } from '../../src/db/local-server.js';
import { InboxModel, MemberModel, OutboxModel, SubmissionModel } from '../../src/db/models.js';
import { NO_ID, SEND_ID, YES_ID } from '../../src/engine/index.js';
import { createI18n, translatorFor } from '../../src/i18n.js';
import { createLogger } from '../../src/logging/logger.js';
import { startService, type RunningService } from '../../src/service.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-bot-api.js';
import { startFakeWhatsApp, type FakeWhatsApp } from '../fakes/whatsapp-graph-api.js';
import { uniqueDatabaseUri } from '../helpers/db.js';

const NAMES = Object.getOwnPropertyNames(Object.prototype);
const TG_TOKEN = '777000:proto-keys-token-abcdefghijklmnopqrstuvwxyz';
const WA = { token: 'EAAG-proto-token', secret: 'proto-app-secret', phoneId: '106540352242977' };

/**
 * A person on one channel. `say` and `choose` wait until the message is handled. `shapes` sends a
 * name in every form that needs no prompt number (text; WhatsApp's bare ids) without waiting and
 * returns the inbox ids to wait for; `choices` presses it as a button of the current prompt in
 * every form the channel has (each waits, and reads the prompt number afresh).
 */
interface Person {
  channel: 'telegram' | 'whatsapp' | 'web';
  platformUserId: string;
  say(text: string): Promise<void>;
  choose(seq: number, id: string): Promise<void>;
  shapes(name: string): Promise<string[]>;
  choices(seq: () => Promise<number>, name: string): Promise<void>;
  /** Every text the person was shown, in order (what reached their app, or the simulator's transcript). */
  told(): Promise<string[]>;
}

let service: RunningService;
let tg: FakeTelegram;
let wa: FakeWhatsApp;
let base: string;
let gaveUp: string;
let check: string;
let saidNot: string[];

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // Hundreds of replies to one chat: this test is about what comes in, so the per-chat pace is lifted.
  tg = await startFakeTelegram({ token: TG_TOKEN, limits: { enabled: false } });
  wa = await startFakeWhatsApp({ token: WA.token, appSecret: WA.secret, phoneNumberId: WA.phoneId, webhookUrl: `${base}/whatsapp/webhook` });
  service = await startService(loadConfig({
    MONGODB_URI: uniqueDatabaseUri(), PORT: String(port), SIMULATOR: 'on',
    TELEGRAM_BOT_TOKEN: TG_TOKEN, TELEGRAM_API_ROOT: tg.apiRoot,
    WHATSAPP_ACCESS_TOKEN: WA.token, WHATSAPP_APP_SECRET: WA.secret, WHATSAPP_VERIFY_TOKEN: 'verify', WHATSAPP_PHONE_NUMBER_ID: WA.phoneId, WHATSAPP_API_BASE_URL: wa.baseUrl,
  }), createLogger({ level: 'silent' }), { cron: false, simulatorLimits: { perSession: 10_000 }, telegramRateLimits: { perSecond: 1000, perChatPerSecond: 1000, perChatBurst: 1000 } });
  const t = translatorFor(await createI18n(), 'id');
  gaveUp = t('bot:errors.gaveUp');
  check = t('engine:summary.title');
  saidNot = [t('engine:summary.skipped_unknown'), t('engine:summary.skipped_none')];
});

afterAll(async () => {
  await service?.stop();
  await tg?.close();
  await wa?.close();
});

/**
 * Waits until these messages are handled, and says each was handled at the first try. Telegram
 * messages are handled before they are acknowledged (the inbox's fast path): once the Bot API
 * has none pending they are done, and a fault of ours would have recorded them in the inbox.
 * The others are recorded in the inbox first and handled from there.
 */
async function handled(...inboxIds: string[]): Promise<void> {
  if (inboxIds.some((id) => id.startsWith('telegram:'))) await expect.poll(() => tg.pendingUpdateCount(), { timeout: 60_000, interval: 20 }).toBe(0);
  const recorded = inboxIds.filter((id) => !id.startsWith('telegram:'));
  const waiting = () => InboxModel.countDocuments({ _id: { $in: recorded }, status: { $nin: ['done', 'failed', 'ignored'] } });
  await expect.poll(async () => (await InboxModel.countDocuments({ _id: { $in: recorded } })) - (await waiting()), { timeout: 60_000, interval: 20 })
    .toBe(recorded.length);
  const docs = await InboxModel.find({ _id: { $in: inboxIds } }, { status: 1, lastError: 1 }).lean();
  expect(docs.filter((d) => d.status !== 'done' || d.lastError !== null)).toEqual([]);
}

function telegramPerson(id: number): Person {
  const user = { id, first_name: 'Siti', language_code: 'id' };
  const lastBotMessage = () => tg.chat(id).botMessages.at(-1)?.message_id ?? 1;
  const text = (t: string) => `telegram:tg:${tg.sendText(user, t).update_id}`;
  const press = async (seq: number, choiceId: string) => handled(`telegram:tg:${tg.pressButton(user, lastBotMessage(), `c:${seq}:${choiceId}`, { force: true }).update_id}`);
  return {
    channel: 'telegram', platformUserId: String(id),
    say: async (t) => handled(text(t)),
    choose: press,
    shapes: async (name) => [text(name)],
    choices: async (seq, name) => press(await seq(), name),
    told: async () => tg.chat(id).botMessages.map((m) => m.text ?? ''),
  };
}

function whatsappPerson(phone: string): Person {
  const user = { phone, name: 'Ibu Sari' };
  const recorded = async (sending: Promise<{ status: number; id: string }>) => {
    const sent = await sending;
    expect(sent.status).toBe(200);
    return `whatsapp:${sent.id}`;
  };
  const reply = (kind: 'button_reply' | 'list_reply', id: string, title: string) =>
    recorded(wa.sendMessage(user, { type: 'interactive', interactive: { type: kind, [kind]: { id, title } } }));
  return {
    channel: 'whatsapp', platformUserId: phone,
    say: async (text) => handled(await recorded(wa.sendText(user, text))),
    choose: async (seq, id) => handled(await reply('button_reply', `c:${seq}:${id}`, id)),
    // Text, and bare ids, as another client (or a hand-made webhook) might send them.
    shapes: async (name) => [await recorded(wa.sendText(user, name)), await reply('button_reply', name, name), await reply('list_reply', name, name)],
    async choices(seq, name) {
      await handled(await reply('button_reply', `c:${await seq()}:${name}`, name));
      await handled(await reply('list_reply', `c:${await seq()}:${name}`, name));
    },
    // What reached the app, then what waits its turn in the outbox (WhatsApp's pace is one message a second per person).
    told: async () => [
      ...wa.botMessages(phone).map((m) => wa.textOf(m)),
      ...(await OutboxModel.find({ channel: 'whatsapp', to: phone, status: { $in: ['pending', 'sending'] } }, { messages: 1, sentCount: 1 }).sort({ seq: 1 }).lean())
        .flatMap((e) => (e.messages as { text?: string }[]).slice(e.sentCount ?? 0).map((m) => m.text ?? '')),
    ],
  };
}

async function webPerson(): Promise<Person> {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const session = String((await post('/simulator/api/session', {})).json.sessionId);
  let n = 0;
  const send = async (content: unknown) => {
    const res = await post('/simulator/api/send', { sessionId: session, messageId: `proto-${String(++n).padStart(6, '0')}`, content });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
  };
  const choose = (promptSeq: number, choiceId: string) => send({ kind: 'choice', promptSeq, choiceId });
  return {
    channel: 'web', platformUserId: addressOf(session),
    say: (text) => send({ kind: 'text', text }),
    choose,
    shapes: async (name) => {
      await send({ kind: 'text', text: name });
      return [];
    },
    choices: async (seq, name) => choose(await seq(), name),
    told: async () => {
      const res = await fetch(`${base}/simulator/api/transcript?sessionId=${encodeURIComponent(session)}`);
      const entries = ((await res.json()) as { entries: { from: string; message?: { text?: string } }[] }).entries;
      return entries.filter((e) => e.from === 'bot').map((e) => e.message?.text ?? '');
    },
  };
}

const memberOf = (p: Person) => MemberModel.findOne({ channel: p.channel, platformUserId: p.platformUserId }).lean();
/** The prompt a button must belong to: the run's, or the menu's (0). */
const seqOf = (p: Person) => async () => ((await memberOf(p))?.run?.state as { promptSeq?: number } | undefined)?.promptSeq ?? 0;

/** Where the person stands and what they said so far. */
async function standing(p: Person) {
  const m = await memberOf(p);
  const state = m?.run?.state as { position?: unknown; answers?: unknown; skipped?: unknown } | undefined;
  return { registered: !!m?.registeredAt, flow: m?.run?.flowId ?? null, position: state?.position ?? null, answers: state?.answers ?? {}, skipped: state?.skipped ?? {} };
}

/** Every prototype name as text, as a button and as a list row, in every form the channel has: nothing moves. */
async function feed(p: Person, at: string) {
  const before = await standing(p);
  expect(before.position === null ? 'menu' : (before.position as { id?: string }).id, `${p.channel} stands at ${at}`).toBe(at);
  const sent: string[] = [];
  for (const name of NAMES) sent.push(...(await p.shapes(name)));
  await handled(...sent);
  expect(await standing(p), `${p.channel}: the names as text at ${at}`).toEqual(before);
  for (const name of NAMES) {
    await p.choices(seqOf(p), name);
    expect(await standing(p), `${p.channel}: "${name}" pressed at ${at}`).toEqual(before);
  }
}

async function walk(p: Person) {
  const press = async (id: string) => p.choose(await seqOf(p)(), id);
  await p.say('halo');
  await feed(p, 'consent');
  await press(YES_ID);
  await press(NO_ID); // not under 17
  await p.say('Ibu Sari');
  await press('Teluk Waru');
  await p.say('Solang');
  await press('warga');
  await press(SEND_ID);
  await feed(p, 'menu');
  await press('laporan-risiko');
  await feed(p, 'type');
  await press('banjir');
  await feed(p, 'date');
  await p.say('kemarin');
  await p.say('Dusun Kota');
  await feed(p, 'location'); // optional, with "tidak tahu" buttons
  await p.say('lewati');
  await press('sedang');
  await feed(p, 'households'); // optional number: words are read as numbers here
  await p.say('12');
  await p.say('lewati'); // livelihoods
  await p.say('lewati'); // help
  await p.say('lewati'); // photo
  expect((await standing(p)).position).toMatchObject({ at: 'summary' });
  await press(SEND_ID);

  const member = await memberOf(p);
  const [report] = await SubmissionModel.find({ memberId: member!._id, flowId: 'laporan-risiko' }).lean();
  expect(report?.answers).toMatchObject({ type: 'banjir', place: 'Dusun Kota', severity: 'sedang', households: 12 });
  for (const id of ['location', 'livelihoods', 'help', 'photo']) expect(report?.answers[id] ?? null, id).toBeNull();
  // The summary the person confirmed, and what was kept, hold only what they said (replies the
  // dispatcher could not send at once come through the outbox a moment later).
  const summaryTold = async () => (await p.told()).filter((t) => t.includes(check)).at(-1) ?? '';
  await expect.poll(summaryTold, { timeout: 10_000, interval: 20 }).toContain('Dusun Kota');
  const summary = await summaryTold();
  const told = await p.told();
  for (const text of [summary, JSON.stringify({ answers: report?.answers, display: report?.display })]) {
    for (const name of NAMES) expect(text).not.toContain(name);
    expect(text).not.toMatch(/function|\[object|undefined|NaN/);
  }
  // Skipped only as said ("lewati"): never "tidak tahu" or "tidak ada", which nobody said.
  for (const said of saidNot) expect(summary).not.toContain(said);
  // Never the give-up message.
  expect(told.filter((t) => t.includes(gaveUp))).toEqual([]);
}

describe('every Object.prototype name, through every channel', () => {
  it('on Telegram: text and callbacks', async () => {
    await walk(telegramPerson(5_100_001));
  }, 600_000);

  it('on WhatsApp: text, button_reply and list_reply, signed', async () => {
    await walk(whatsappPerson('6281234567001'));
  }, 600_000);

  it('in the web simulator', async () => {
    await walk(await webPerson());
  }, 600_000);
});
