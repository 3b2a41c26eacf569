/**
 * A local stand-in for the WhatsApp Cloud API (Graph API), started in process on a free port. It
 * answers what the service's client calls, with the real response and error shapes, and rejects
 * what the real platform rejects (shared PLATFORMS.md): a lenient fake would prove nothing.
 *
 *   const wa = await startFakeWhatsApp({ token, appSecret, phoneNumberId, webhookUrl });
 *   // service: WHATSAPP_API_BASE_URL = wa.baseUrl
 *   const user = { phone: '6281234567001', name: 'Siti' };
 *   await wa.sendText(user, 'halo');                 // a signed webhook, as Meta sends it
 *   const reply = await wa.waitForBotMessage(user, (m) => /setuju/.test(wa.textOf(m)));
 *   await wa.press(user, 'Ya');                      // button_reply / list_reply by the shown title
 *
 * Enforced on POST /{version}/{phone-number-id}/messages: the bearer token (401, code 190), the
 * phone number id, messaging_product, an addressee (`to` or `recipient`) the fake knows; text
 * 1-4096; reply buttons 1-3, titles 1-20 and unique, ids 1-256 and unique, body 1-1024; lists
 * with 1-10 rows in all, row titles 1-24, descriptions 0-72, row ids 1-200 and unique, button
 * label 1-20, section titles when more than one section, body 1-4096; location requests; template
 * names, languages and text parameters (no newline or tab, at most 4 spaces in a row, 1024); the
 * 24-hour customer-service window (131047, as the HTTP answer or, with `windowErrorAs: 'status'`,
 * as a failed status webhook), 80 messages/s per number (130429) and, when asked, one person's
 * pace (131056). Media: GET /{version}/{media-id}
 * gives a short-lived URL that needs the token.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { messagePayload, metaJson, newWamid, sign, statusPayload, type Json, type Sender } from './whatsapp-payloads.js';

export interface FakeWhatsAppOptions {
  token?: string;
  appSecret?: string;
  phoneNumberId?: string;
  /** Where notifications are POSTed (the service's /whatsapp/webhook). */
  webhookUrl?: string;
  /** Messages per second per number (default 80). */
  perSecond?: number;
  /** The window's length (default 24 h). */
  windowMs?: number;
  /** How a send outside the window is refused: at once (HTTP 400, default) or later as a failed status. */
  windowErrorAs?: 'http' | 'status';
  /** Post sent and delivered statuses for every accepted message (default false). */
  statusWebhooks?: boolean;
  /** The fake's clock, for the window. */
  now?: () => number;
  /** Port to listen on (default a free one). */
  port?: number;
  /** One person's pace (pair rate limit, 131056): `burst` messages, then one per `everyMs`. Off by default. */
  pairLimit?: { burst: number; everyMs: number };
}

export interface SeenMessage {
  id: string;
  from: 'bot' | 'user';
  at: number;
  /** The request body (bot) or the message object (user). */
  payload: Json;
}

export interface FakeCall {
  path: string;
  status: number;
  body: Json;
  error?: { code: number; message: string };
}

export interface FakeWhatsApp {
  readonly baseUrl: string;
  readonly calls: FakeCall[];
  readonly tooManyRequests: number;
  close(): Promise<void>;
  /** What a person's chat shows, both sides, in order. */
  conversation(user: Sender | string): SeenMessage[];
  botMessages(user: Sender | string): SeenMessage[];
  /** The text a person reads in a bot message (body, text or template parameter). */
  textOf(message: SeenMessage): string;
  /** Titles of the buttons or list rows of a bot message. */
  optionsOf(message: SeenMessage): string[];
  waitFor<T>(predicate: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs?: number): Promise<T>;
  /** The next bot message to this person not returned before, matching. */
  expect(user: Sender, pattern: RegExp, timeoutMs?: number): Promise<SeenMessage>;
  /** The person writes: a signed webhook is posted; resolves with the HTTP status and the wamid. */
  sendText(user: Sender, text: string): Promise<{ status: number; id: string }>;
  /** Presses a reply button or list row, by its shown title, on the latest bot message that has it. */
  press(user: Sender, title: string, timeoutMs?: number): Promise<{ status: number; id: string }>;
  sendLocation(user: Sender, latitude: number, longitude: number): Promise<{ status: number; id: string }>;
  /** Sends a photo: the bytes become downloadable media. */
  sendImage(user: Sender, data: Buffer, caption?: string): Promise<{ status: number; id: string; mediaId: string }>;
  /** Sends a voice note (`voice: true`, Ogg Opus) or, with `voice: false`, an audio file: the bytes become downloadable media. */
  sendAudio(user: Sender, data: Buffer, opts?: { voice?: boolean; mimeType?: string }): Promise<{ status: number; id: string; mediaId: string }>;
  /** Any message object (type and its part). */
  sendMessage(user: Sender, message: Json & { type: string }, id?: string): Promise<{ status: number; id: string }>;
  /** Posts a raw body, signed with the app secret (or `signature`), and returns the status. */
  post(body: string, signature?: string | null): Promise<number>;
  postStatus(user: Sender | string, status: { id: string; status: string; errors?: { code: number; title: string }[] }): Promise<number>;
  /** The person's last message time, for the window (set by their messages). */
  setLastInbound(user: Sender | string, at: number): void;
  /** Media downloads served. */
  readonly mediaDownloads: number;
}

/** A person taps what they see: the title itself, without the ✅ or "1. " in front, or a shortened one ("Sedang (banyak yang…"). */
function titleMatches(shown: string, wanted: string): boolean {
  const bare = shown.replace(/^(✅ |\d+\. )/, '');
  if (shown === wanted || bare === wanted) return true;
  if (!bare.endsWith('…')) return false;
  const prefix = bare.slice(0, -1);
  return wanted.startsWith(prefix) || prefix.startsWith(wanted);
}

const keyOf = (u: Sender | string) => (typeof u === 'string' ? u : (u.phone ?? u.bsuid!));
const chars = (s: unknown) => (typeof s === 'string' ? [...s].length : -1);

class Refusal extends Error {
  constructor(readonly status: number, readonly code: number, message: string, readonly details?: string, readonly type = 'OAuthException') {
    super(message);
  }
}

export async function startFakeWhatsApp(options: FakeWhatsAppOptions = {}): Promise<FakeWhatsApp> {
  const token = options.token ?? 'EAAG-test-token';
  const appSecret = options.appSecret ?? 'test-app-secret';
  const phoneNumberId = options.phoneNumberId ?? '106540352242922';
  const windowMs = options.windowMs ?? 24 * 3600_000;
  const perSecond = options.perSecond ?? 80;
  const now = options.now ?? (() => Date.now());
  const conversations = new Map<string, SeenMessage[]>();
  const lastInbound = new Map<string, number>();
  const media = new Map<string, { data: Buffer; mime: string; urlToken: string }>();
  const calls: FakeCall[] = [];
  const read = new Map<string, Set<string>>();
  const lastPressed = new Map<string, string>();
  let tooMany = 0;
  let downloads = 0;
  let bucket = { tokens: perSecond, at: Date.now() };

  const convo = (key: string) => {
    let c = conversations.get(key);
    if (!c) conversations.set(key, (c = []));
    return c;
  };

  function check(cond: boolean, details: string, code = 131009): void {
    if (!cond) throw new Refusal(400, code, code === 131009 ? '(#131009) Parameter value is not valid' : '(#100) Invalid parameter', details);
  }

  function validateInteractive(i: Json): void {
    const body = (i.body as Json | undefined)?.text;
    const action = (i.action ?? {}) as Json;
    switch (i.type) {
      case 'button': {
        check(chars(body) >= 1 && chars(body) <= 1024, `body.text must be 1-1024 characters (got ${chars(body)})`);
        const buttons = (action.buttons ?? []) as Json[];
        check(Array.isArray(buttons) && buttons.length >= 1 && buttons.length <= 3, `buttons: 1-3 (got ${buttons.length})`);
        const titles = buttons.map((b) => (b.reply as Json | undefined)?.title);
        const ids = buttons.map((b) => (b.reply as Json | undefined)?.id);
        for (const t of titles) check(chars(t) >= 1 && chars(t) <= 20, `button title must be 1-20 characters: "${String(t)}"`);
        for (const id of ids) check(chars(id) >= 1 && chars(id) <= 256, 'button id must be 1-256 characters');
        check(new Set(titles).size === titles.length, 'button titles must be unique');
        check(new Set(ids).size === ids.length, 'button ids must be unique');
        return;
      }
      case 'list': {
        check(chars(body) >= 1 && chars(body) <= 4096, `body.text must be 1-4096 characters (got ${chars(body)})`);
        check(chars(action.button) >= 1 && chars(action.button) <= 20, `action.button must be 1-20 characters: "${String(action.button)}"`);
        const sections = (action.sections ?? []) as Json[];
        check(sections.length >= 1 && sections.length <= 10, 'sections: 1-10');
        const rows = sections.flatMap((s) => (s.rows ?? []) as Json[]);
        check(rows.length >= 1 && rows.length <= 10, `rows: 1-10 in all (got ${rows.length})`);
        if (sections.length > 1) for (const s of sections) check(chars(s.title) >= 1 && chars(s.title) <= 24, 'section title 1-24 needed with several sections');
        for (const r of rows) {
          check(chars(r.title) >= 1 && chars(r.title) <= 24, `row title must be 1-24 characters: "${String(r.title)}"`);
          check(r.description === undefined || chars(r.description) <= 72, `row description must be at most 72 characters: "${String(r.description)}"`);
          check(chars(r.id) >= 1 && chars(r.id) <= 200, 'row id must be 1-200 characters');
        }
        check(new Set(rows.map((r) => r.id)).size === rows.length, 'row ids must be unique');
        return;
      }
      case 'location_request_message':
        check(chars(body) >= 1 && chars(body) <= 1024, `body.text must be 1-1024 characters (got ${chars(body)})`);
        check(action.name === 'send_location', 'action.name must be send_location');
        return;
      default:
        check(false, `interactive type ${String(i.type)} is not supported`, 100);
    }
  }

  function validate(body: Json): 'template' | 'free' {
    check(body.messaging_product === 'whatsapp', 'messaging_product must be whatsapp', 100);
    const key = (body.to ?? body.recipient) as string | undefined;
    check(typeof key === 'string' && key.length > 0, 'to or recipient is required', 100);
    if (typeof body.to === 'string') check(/^\+?\d{5,20}$/.test(body.to), 'to must be a phone number; use recipient for a business-scoped user id', 100);
    check(conversations.has(key!), `no WhatsApp account for ${key}`, 131026);
    switch (body.type) {
      case 'text': {
        const t = (body.text as Json | undefined)?.body;
        check(chars(t) >= 1 && chars(t) <= 4096, `text.body must be 1-4096 characters (got ${chars(t)})`, 100);
        return 'free';
      }
      case 'interactive':
        validateInteractive((body.interactive ?? {}) as Json);
        return 'free';
      case 'image': {
        // Media by an uploaded id or a public http(s) link, never both; caption up to 1024.
        const image = (body.image ?? {}) as Json;
        check((typeof image.id === 'string') !== (typeof image.link === 'string'), 'image needs exactly one of id or link', 100);
        if (typeof image.link === 'string') check(/^https?:\/\/[^\s]+$/.test(image.link), 'image.link must be an http(s) URL', 131009);
        if (image.caption !== undefined) check(chars(image.caption) <= 1024, 'image.caption must be at most 1024 characters', 100);
        return 'free';
      }
      case 'template': {
        const tpl = (body.template ?? {}) as Json;
        check(typeof tpl.name === 'string' && /^[a-z0-9_]{1,512}$/.test(tpl.name), 'template.name', 132001);
        check(typeof (tpl.language as Json | undefined)?.code === 'string', 'template.language.code', 132001);
        for (const c of (tpl.components ?? []) as Json[]) {
          for (const p of (c.parameters ?? []) as Json[]) {
            if (p.type !== 'text') continue;
            const text = p.text as string;
            check(chars(text) >= 1 && chars(text) <= 1024 && !/[\n\t]| {5,}/.test(text), 'Param text cannot have new-line/tab characters or more than 4 consecutive spaces', 132018);
          }
        }
        return 'template';
      }
      default:
        check(false, `type ${String(body.type)} not supported here`, 100);
        return 'free';
    }
  }

  const pairs = new Map<string, { tokens: number; at: number }>();
  function takePairTurn(key: string, limit: { burst: number; everyMs: number }): boolean {
    const t = Date.now();
    const p = pairs.get(key) ?? { tokens: limit.burst, at: t };
    p.tokens = Math.min(limit.burst, p.tokens + (t - p.at) / limit.everyMs);
    p.at = t;
    pairs.set(key, p);
    if (p.tokens < 1) return false;
    p.tokens -= 1;
    return true;
  }

  function takeTurn(): boolean {
    const t = Date.now();
    bucket = { tokens: Math.min(perSecond, bucket.tokens + ((t - bucket.at) / 1000) * perSecond), at: t };
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  async function postWebhook(body: string, signature?: string | null): Promise<number> {
    if (!options.webhookUrl) throw new Error('fake whatsapp: no webhookUrl');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const sig = signature === undefined ? sign(body, appSecret) : signature;
    if (sig !== null) headers['x-hub-signature-256'] = sig;
    noteSenders(body);
    const res = await fetch(options.webhookUrl, { method: 'POST', headers, body });
    await res.arrayBuffer();
    return res.status;
  }

  /** A message posted by hand still comes from a WhatsApp account: its sender becomes known, its window opens. */
  function noteSenders(body: string): void {
    let parsed: { entry?: { changes?: { value?: { messages?: { from?: string; from_user_id?: string }[] } }[] }[] };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      return;
    }
    for (const e of parsed.entry ?? []) {
      for (const c of e.changes ?? []) {
        for (const m of c.value?.messages ?? []) {
          const key = m.from ?? m.from_user_id;
          if (typeof key !== 'string') continue;
          convo(key);
          lastInbound.set(key, now());
        }
      }
    }
  }

  async function sendMessage(user: Sender, message: Json & { type: string }, id = newWamid()) {
    const key = keyOf(user);
    const payload = messagePayload(phoneNumberId, user, message, id, Math.floor(now() / 1000));
    const seen = convo(key);
    if (!seen.some((m) => m.id === id)) seen.push({ id, from: 'user', at: now(), payload: message });
    lastInbound.set(key, now());
    const status = await postWebhook(metaJson(payload));
    return { status, id };
  }

  function postStatus(user: Sender | string, status: { id: string; status: string; errors?: { code: number; title: string }[] }) {
    return postWebhook(metaJson(statusPayload(phoneNumberId, { ...status, recipient: keyOf(user) }, Math.floor(now() / 1000))));
  }

  function handleMessages(body: Json): Json {
    const kind = validate(body);
    const key = (body.to ?? body.recipient) as string;
    const last = lastInbound.get(key);
    const open = last !== undefined && now() - last < windowMs;
    if (kind === 'free' && !open && options.windowErrorAs !== 'status') {
      throw new Refusal(400, 131047, 'Re-engagement message', 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.');
    }
    if (options.pairLimit && !takePairTurn(key, options.pairLimit)) {
      tooMany++;
      throw new Refusal(400, 131056, '(#131056) (Business Account, Consumer Account) pair rate limit hit', 'Too many messages sent from the sender phone number to the same recipient phone number in a short period of time.');
    }
    if (!takeTurn()) {
      tooMany++;
      throw new Refusal(400, 130429, '(#130429) Rate limit hit', 'Cloud API message throughput has been reached.');
    }
    const id = newWamid();
    if (kind === 'free' && !open) {
      // Accepted, then refused: the failed status comes as a webhook.
      setTimeout(() => void postStatus(key, { id, status: 'failed', errors: [{ code: 131047, title: 'Re-engagement message' }] }).catch(() => undefined), 5);
    } else {
      convo(key).push({ id, from: 'bot', at: now(), payload: body });
      if (options.statusWebhooks) {
        // Sent and delivered, in whichever order the network gives.
        setTimeout(() => void postStatus(key, { id, status: 'delivered' }).catch(() => undefined), 3);
        setTimeout(() => void postStatus(key, { id, status: 'sent' }).catch(() => undefined), 1);
      }
    }
    const contact = typeof body.to === 'string' ? { input: body.to, wa_id: body.to.replace(/^\+/, '') } : { input: key, user_id: key };
    return { messaging_product: 'whatsapp', contacts: [contact], messages: [{ id }] };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const answer = (status: number, json: Json) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      const download = /^\/media-download\/([^/]+)$/.exec(url.pathname);
      let body: Json = {};
      try {
        if (req.headers.authorization !== `Bearer ${token}`) throw new Refusal(401, 190, 'Invalid OAuth access token - Cannot parse access token');
        if (download) {
          const m = media.get(download[1]!);
          if (!m || url.searchParams.get('t') !== m.urlToken) throw new Refusal(404, 100, 'Media URL expired');
          downloads++;
          res.writeHead(200, { 'content-type': m.mime, 'content-length': String(m.data.length) });
          return void res.end(m.data);
        }
        const parts = url.pathname.split('/').filter(Boolean);
        if (!/^v\d+\.\d+$/.test(parts[0] ?? '')) throw new Refusal(400, 2500, 'Unknown path components', undefined, 'OAuthException');
        if (req.method === 'GET' && parts[1] === phoneNumberId) {
          return answer(200, { id: phoneNumberId, display_phone_number: '+62 811-0000-0000', verified_name: 'Suara Desa' });
        }
        if (req.method === 'GET' && parts.length === 2) {
          const m = media.get(parts[1]!);
          if (!m) throw new Refusal(400, 100, 'Unsupported get request. Object does not exist', undefined, 'GraphMethodException');
          m.urlToken = randomBytes(8).toString('hex');
          const address = server.address() as AddressInfo;
          return answer(200, {
            messaging_product: 'whatsapp', id: parts[1], mime_type: m.mime, sha256: createHash('sha256').update(m.data).digest('hex'), file_size: m.data.length,
            url: `http://127.0.0.1:${address.port}/media-download/${parts[1]}?t=${m.urlToken}`,
          });
        }
        if (req.method !== 'POST' || parts.length !== 3 || parts[2] !== 'messages') throw new Refusal(400, 100, 'Unsupported request');
        if (parts[1] !== phoneNumberId) throw new Refusal(400, 100, 'Unsupported post request. Object with ID does not exist');
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json;
        } catch {
          throw new Refusal(400, 100, 'Invalid JSON');
        }
        const ok = handleMessages(body);
        calls.push({ path: url.pathname, status: 200, body });
        answer(200, ok);
      } catch (err) {
        const r = err instanceof Refusal ? err : new Refusal(500, 1, (err as Error).message);
        calls.push({ path: url.pathname, status: r.status, body, error: { code: r.code, message: r.message } });
        answer(r.status, { error: { message: r.message, type: r.type, code: r.code, ...(r.details ? { error_data: { messaging_product: 'whatsapp', details: r.details } } : {}), fbtrace_id: randomBytes(9).toString('base64url') } });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;

  function textOf(m: SeenMessage): string {
    const p = m.payload;
    if (p.type === 'text') return String((p.text as Json).body);
    if (p.type === 'interactive') return String(((p.interactive as Json).body as Json | undefined)?.text ?? '');
    if (p.type === 'template') {
      const t = p.template as Json;
      const params = ((t.components ?? []) as Json[]).flatMap((c) => (c.parameters ?? []) as Json[]).map((x) => x.text);
      return `[template ${String(t.name)}] ${params.join(' ')}`;
    }
    return '';
  }

  function options_(m: SeenMessage): { id: string; title: string; kind: 'button_reply' | 'list_reply'; description?: string }[] {
    if (m.payload.type !== 'interactive') return [];
    const i = m.payload.interactive as Json;
    const action = (i.action ?? {}) as Json;
    if (i.type === 'button') return ((action.buttons ?? []) as Json[]).map((b) => ({ ...(b.reply as { id: string; title: string }), kind: 'button_reply' as const }));
    if (i.type === 'list') return ((action.sections ?? []) as Json[]).flatMap((s) => (s.rows ?? []) as { id: string; title: string; description?: string }[]).map((r) => ({ ...r, kind: 'list_reply' as const }));
    return [];
  }

  async function waitFor<T>(predicate: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const v = await predicate();
      if (v) return v;
      if (Date.now() > until) throw new Error(`fake whatsapp: waitFor timed out after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  const botMessages = (u: Sender | string) => (conversations.get(keyOf(u)) ?? []).filter((m) => m.from === 'bot');

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    calls,
    get tooManyRequests() {
      return tooMany;
    },
    get mediaDownloads() {
      return downloads;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    conversation: (u) => conversations.get(keyOf(u)) ?? [],
    botMessages,
    textOf,
    optionsOf: (m) => options_(m).map((o) => o.title),
    waitFor,
    async expect(user, pattern, timeoutMs = 8000) {
      const key = keyOf(user);
      const seen = read.get(key) ?? new Set<string>();
      read.set(key, seen);
      const found = await waitFor(() => botMessages(user).find((m) => !seen.has(m.id) && pattern.test(textOf(m))), timeoutMs).catch(() => {
        throw new Error(`fake whatsapp: no bot message matching ${pattern} for ${key}; the chat: ${botMessages(user).map((m) => JSON.stringify(textOf(m).slice(0, 80))).join(' | ')}`);
      });
      for (const m of botMessages(user)) {
        seen.add(m.id);
        if (m === found) break;
      }
      return found;
    },
    sendText: (user, text) => sendMessage(user, { type: 'text', text: { body: text } }),
    async press(user, title, timeoutMs = 8000) {
      // Waits for a message after the one pressed last that shows the title (a stale button is never pressed by mistake).
      const key = keyOf(user);
      const after = lastPressed.get(key);
      const find = () => {
        const all = botMessages(user);
        const from = after === undefined ? 0 : all.findIndex((m) => m.id === after) + 1;
        for (const m of all.slice(from).reverse()) {
          const option = options_(m).find((o) => titleMatches(o.title, title));
          if (option) return { m, option };
        }
        return undefined;
      };
      const hit = await waitFor(find, timeoutMs).catch(() => undefined);
      if (hit) {
        const { m, option } = hit;
        lastPressed.set(key, m.id);
        const reply = option.kind === 'button_reply' ? { id: option.id, title: option.title } : { id: option.id, title: option.title, ...(option.description ? { description: option.description } : {}) };
        return sendMessage(user, { type: 'interactive', context: { from: '6281100000000', id: m.id }, interactive: { type: option.kind, [option.kind]: reply } });
      }
      throw new Error(`fake whatsapp: no button or row "${title}" shown to ${key}; the chat: ${botMessages(user).slice(-3).map((m) => `${JSON.stringify(textOf(m).slice(0, 60))} [${options_(m).map((o) => o.title).join(', ')}]`).join(' | ')}`);
    },
    sendLocation: (user, latitude, longitude) => sendMessage(user, { type: 'location', location: { latitude, longitude } }),
    async sendImage(user, data, caption) {
      const mediaId = String(1_000_000_000_000 + Math.floor(Math.random() * 1e12));
      media.set(mediaId, { data, mime: 'image/jpeg', urlToken: '' });
      const image: Json = { id: mediaId, mime_type: 'image/jpeg', sha256: createHash('sha256').update(data).digest('base64') };
      if (caption) image.caption = caption;
      const r = await sendMessage(user, { type: 'image', image });
      return { ...r, mediaId };
    },
    async sendAudio(user, data, opts) {
      const mediaId = String(1_000_000_000_000 + Math.floor(Math.random() * 1e12));
      const voice = opts?.voice ?? true;
      const mime = opts?.mimeType ?? (voice ? 'audio/ogg; codecs=opus' : 'audio/mpeg');
      media.set(mediaId, { data, mime, urlToken: '' });
      const r = await sendMessage(user, { type: 'audio', audio: { id: mediaId, mime_type: mime, ...(voice ? { voice: true } : {}) } });
      return { ...r, mediaId };
    },
    sendMessage,
    post: postWebhook,
    postStatus,
    setLastInbound(user, at) {
      convo(keyOf(user));
      lastInbound.set(keyOf(user), at);
    },
  };
}
