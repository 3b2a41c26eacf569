/**
 * A local stand-in for the Telegram Bot API (https://core.telegram.org/bots/api), started in
 * process on a free port. It speaks the HTTP API grammY uses and enforces the platform's
 * documented limits (see shared PLATFORMS.md): a lenient fake would prove nothing.
 *
 *   const fake = await startFakeTelegram({ token });
 *   const bot = new Bot(token, { client: { apiRoot: fake.apiRoot } });
 *   fake.sendText(1001, 'halo');              // the user writes
 *   const reply = await fake.nextBotMessage(1001);
 *   await fake.close();
 *
 * Enforced: token (401), unknown method (404), getUpdates vs webhook (409) and concurrent
 * getUpdates (409), text 1-4096 after entity parsing, caption 0-1024, HTML parse mode (tags,
 * nesting, entities), callback_data 1-64 bytes, answerCallbackQuery text 0-200 and query
 * validity, "message is not modified", rate limits (429 with retry_after), blocked chats (403),
 * unknown chats (400), secret_token syntax. Deliberately not enforced: HTTPS-only webhook URLs
 * (opt in with `webhook.requireHttps`), group limits, file sizes.
 *
 * For the outbox and dispatcher tests: `limits.retryAfter: false` answers 429 without
 * `retry_after`; `tooManyRequests` counts the 429s given; `goDown('refuse' | '502')` and
 * `comeBack()` take the API away and back; `received(chatId)` / `receivedCounts()` count every
 * message each chat received (exactly-once checks); `addChat()` makes a chat known without an update.
 */
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

// ---------------------------------------------------------------------------------------------
// Types

export type Json = Record<string, unknown>;
export type Update = { update_id: number } & Json;

export interface FakeTelegramOptions {
  /** Bot token; requests with another token get 401. Default `123456:TEST-TOKEN`. */
  token?: string;
  bot?: { id?: number; username?: string; first_name?: string };
  host?: string;
  port?: number;
  limits?: {
    /** Turn rate limiting off entirely (default on). */
    enabled?: boolean;
    /** Messages per second across all chats (default 30). */
    globalPerSecond?: number;
    /** Sustained messages per second to one chat (default 1). */
    perChatPerSecond?: number;
    /** Burst allowance per chat (token bucket capacity, default 3). */
    perChatBurst?: number;
    /** Include `parameters.retry_after` in 429 answers (default true; false = a bare "Too Many Requests"). */
    retryAfter?: boolean;
  };
  webhook?: {
    /** First retry delay after a failed delivery (default 1000 ms, doubling). */
    retryBaseMs?: number;
    /** Cap of the retry delay (default 60000 ms). */
    retryMaxMs?: number;
    /** How long to wait for the webhook's answer before counting a failure (default 30000 ms). */
    timeoutMs?: number;
    /** Reject non-HTTPS webhook URLs like Telegram does (default false so tests can use http). */
    requireHttps?: boolean;
  };
  /** How long a callback query may be answered (default 15000 ms). */
  callbackQueryTtlMs?: number;
  /**
   * How long an idle client connection is kept open (default 1000 ms: tests end quickly). The
   * benchmarks pass a minute, as the real Bot API's servers keep connections alive; at 1 s a
   * client sending in bursts reconnects over and over.
   */
  keepAliveTimeoutMs?: number;
}

export type UserRef =
  | number
  | { id: number; first_name?: string; last_name?: string; username?: string; language_code?: string };

export interface FakeUser {
  id: number;
  is_bot: false;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export interface InlineButton {
  text: string;
  callback_data?: string;
  url?: string;
  [k: string]: unknown;
}

/** One message as the user sees it now (bot messages are updated in place by edits). */
export interface FakeChatMessage {
  message_id: number;
  from: 'user' | 'bot';
  date: number;
  /** Visible text (after HTML entity parsing for bot messages). */
  text?: string;
  /** The text exactly as the bot sent it (with markup). */
  rawText?: string;
  parseMode?: string;
  entities?: Json[];
  caption?: string;
  photo?: Json[];
  location?: { latitude: number; longitude: number; horizontal_accuracy?: number };
  /** Current inline keyboard (undefined when none / removed). */
  inlineKeyboard?: InlineButton[][];
  /** The reply_markup as sent with the message (reply keyboards, remove_keyboard...). */
  replyMarkup?: Json;
  editCount: number;
  /** The Telegram `Message` object as it is now. */
  raw: Json;
}

export interface FakeChat {
  id: number;
  user: FakeUser;
  messages: FakeChatMessage[];
  /** The reply keyboard currently shown under the input field, if any. */
  replyKeyboard?: Json;
  blocked: boolean;
  /** Bot messages only. */
  readonly botMessages: FakeChatMessage[];
  readonly lastBotMessage: FakeChatMessage | undefined;
}

export interface FakeCall {
  method: string;
  params: Json;
  status: number;
  ok: boolean;
  description?: string;
  result?: unknown;
  at: number;
}

export interface WebhookDelivery {
  update_id: number;
  attempt: number;
  status?: number;
  error?: string;
  at: number;
  /** How long the webhook took to answer. */
  durationMs?: number;
}

export interface CallbackAnswer {
  id: string;
  text?: string;
  show_alert?: boolean;
  at: number;
}

export interface FakeTelegram {
  /** Pass to grammY as `client.apiRoot`. */
  apiRoot: string;
  token: string;
  port: number;
  botInfo: { id: number; is_bot: true; first_name: string; username: string; can_join_groups: boolean; can_read_all_group_messages: boolean; supports_inline_queries: boolean; can_connect_to_business: boolean; has_main_web_app: boolean };
  /** Every API call, accepted or rejected, in order. */
  calls: FakeCall[];
  /** Every update produced (including injected ones). */
  updates: Update[];
  webhookDeliveries: WebhookDelivery[];
  callbackAnswers: CallbackAnswer[];
  close(): Promise<void>;

  // playing the user
  sendText(user: UserRef, text: string): Update;
  sendCommand(user: UserRef, command: string, payload?: string): Update;
  pressButton(user: UserRef, messageId: number, callbackData: string, opts?: { force?: boolean }): Update;
  /** Press the first visible inline button whose text equals (or, failing that, contains) `label`. */
  pressButtonText(user: UserRef, label: string, opts?: { messageId?: number }): Update;
  sendLocation(user: UserRef, latitude: number, longitude: number, opts?: { horizontal_accuracy?: number }): Update;
  sendPhoto(user: UserRef, opts?: { caption?: string; width?: number; height?: number }): Update;
  /**
   * A recorded voice note (`message.voice`), or with `asAudio` a sent audio file (`message.audio`):
   * the bytes become a file for getFile. `fileSize` claims another size than the bytes (a big file without the bytes).
   */
  sendVoice(user: UserRef, data: Buffer, opts: { duration: number; asAudio?: boolean; mimeType?: string; fileSize?: number }): Update;
  blockBot(user: UserRef): Update;
  unblockBot(user: UserRef): Update;
  /** Mark a chat blocked without an update: sends to it fail with 403. */
  blockUser(chatId: number): void;
  /** Put a raw update in the queue as it is (a missing update_id is assigned). Repeats are allowed. */
  injectUpdate(raw: Json): Update;
  /** Make the next call(s) of `method` fail with the given error (e.g. a forced 429 or 500). */
  failNext(method: string, error: { error_code: number; description: string; parameters?: Json }, times?: number): void;
  /**
   * Holds every call of `method` from now on, unanswered and not yet carried out, until the
   * returned function is called: a platform that stalls, for acting while sends are on the wire.
   */
  hold(method: string): () => void;

  // observing
  chat(userId: number): FakeChat;
  /** Resolves when `predicate` returns truthy (re-checked on every state change); fails after `timeoutMs` (default 10 s). */
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  /** The next bot message in this chat not yet returned by nextBotMessage (a per-chat cursor). */
  nextBotMessage(userId: number, timeoutMs?: number): Promise<FakeChatMessage>;
  /** Number of updates not yet confirmed (polling) or delivered (webhook). */
  pendingUpdateCount(): number;
  webhookInfo(): Json;
  callsTo(method: string): FakeCall[];
  readonly limits: FakeLimits;
  /** Change the rate limits (buckets start full again). */
  setLimits(limits: Partial<FakeLimits>): void;

  // outbound checks
  /** How many 429 answers the server gave (rate limits and forced ones). */
  readonly tooManyRequests: number;
  /** Messages (sendMessage, sendPhoto) this chat received; edits and refused sends don't count. */
  received(chatId: number): number;
  /** Every chat's received-message count. */
  receivedCounts(): Map<number, number>;
  /** Make a chat known (as if the user had started the bot) without producing an update. */
  addChat(user: UserRef): void;
  /** Go away: 'refuse' stops listening (connection refused), '502' answers every request with a proxy's 502 page. Requests already being handled finish. */
  goDown(mode: 'refuse' | '502'): Promise<void>;
  /** Listen again on the same port / stop answering 502. */
  comeBack(): Promise<void>;
  readonly down: false | 'refuse' | '502';
}

export interface FakeLimits {
  enabled: boolean;
  globalPerSecond: number;
  perChatPerSecond: number;
  perChatBurst: number;
  retryAfter: boolean;
}

// ---------------------------------------------------------------------------------------------
// Errors

class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly description: string,
    readonly parameters?: Json,
  ) {
    super(description);
  }
}

const bad = (what: string) => new ApiFailure(400, `Bad Request: ${what}`);
const TOO_OLD = 'query is too old and response timeout expired or query ID is invalid';
const NOT_MODIFIED =
  'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';

// ---------------------------------------------------------------------------------------------
// HTML parse mode (the subset Telegram supports)

const HTML_TAGS = new Set([
  'b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'a', 'code', 'pre', 'tg-spoiler', 'span', 'blockquote',
]);
const ENTITY_TYPE: Record<string, string> = {
  b: 'bold', strong: 'bold', i: 'italic', em: 'italic', u: 'underline', ins: 'underline',
  s: 'strikethrough', strike: 'strikethrough', del: 'strikethrough', a: 'text_link', code: 'code',
  pre: 'pre', 'tg-spoiler': 'spoiler', span: 'spoiler', blockquote: 'blockquote',
};
const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

export class HtmlParseError extends Error {}

function byteOffset(s: string, i: number): number {
  return Buffer.byteLength(s.slice(0, i), 'utf8');
}

function decodeEntityAt(s: string, i: number): { ch: string; end: number } {
  const m = /^&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|[a-zA-Z][a-zA-Z0-9]{0,31});/.exec(s.slice(i, i + 40));
  if (!m) throw new HtmlParseError(`Character entity expected at byte offset ${byteOffset(s, i)}`);
  const body = m[1]!;
  let ch: string | undefined;
  if (body.startsWith('#')) {
    const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    if (code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)) ch = String.fromCodePoint(code);
  } else {
    ch = NAMED_ENTITIES[body];
  }
  if (ch === undefined) throw new HtmlParseError(`Unsupported HTML entity "&${body};" at byte offset ${byteOffset(s, i)}`);
  return { ch, end: i + m[0].length };
}

function decodeAttr(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; ) {
    if (v[i] === '&') {
      const { ch, end } = decodeEntityAt(v, i);
      out += ch;
      i = end;
    } else out += v[i++];
  }
  return out;
}

/** Parses Telegram HTML; throws HtmlParseError with Telegram's kind of message. */
export function parseTelegramHtml(input: string): { text: string; entities: Json[] } {
  let text = '';
  const entities: Json[] = [];
  const stack: { name: string; start: number; attrs: Record<string, string> }[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === '&') {
      const { ch, end } = decodeEntityAt(input, i);
      text += ch;
      i = end;
      continue;
    }
    if (c !== '<') {
      text += c;
      i++;
      continue;
    }
    const close = input.indexOf('>', i + 1);
    if (close < 0) throw new HtmlParseError(`Unclosed start tag at byte offset ${byteOffset(input, i)}`);
    const inner = input.slice(i + 1, close);
    if (inner.startsWith('/')) {
      const name = inner.slice(1).trim().toLowerCase();
      const top = stack.pop();
      if (!top) throw new HtmlParseError(`Unexpected end tag at byte offset ${byteOffset(input, i)}`);
      if (top.name !== name) {
        throw new HtmlParseError(
          `Unmatched end tag at byte offset ${byteOffset(input, i)}, expected "</${top.name}>", found "</${name}>"`,
        );
      }
      const length = text.length - top.start;
      if (length > 0) {
        const e: Json = { type: ENTITY_TYPE[top.name], offset: top.start, length };
        if (top.name === 'a') e.url = top.attrs.href ?? '';
        entities.push(e);
      }
    } else {
      const nm = /^([a-zA-Z][a-zA-Z0-9-]*)/.exec(inner);
      const name = nm?.[1]?.toLowerCase();
      if (!name || !HTML_TAGS.has(name)) {
        throw new HtmlParseError(`Unsupported start tag "${name ?? inner}" at byte offset ${byteOffset(input, i)}`);
      }
      const attrs: Record<string, string> = {};
      const rest = inner.slice(nm![1]!.length);
      const attrRe = /\s*([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/gy;
      let m: RegExpExecArray | null;
      let pos = 0;
      while (pos < rest.length && (m = attrRe.exec(rest))) {
        attrs[m[1]!.toLowerCase()] = decodeAttr(m[2] ?? m[3] ?? m[4] ?? '');
        pos = attrRe.lastIndex;
      }
      if (rest.slice(pos).trim() !== '' && rest.slice(pos).trim() !== '/') {
        throw new HtmlParseError(`Unclosed start tag at byte offset ${byteOffset(input, i)}`);
      }
      if (name === 'span' && attrs.class !== 'tg-spoiler') {
        throw new HtmlParseError(`Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(input, i)}`);
      }
      stack.push({ name, start: text.length, attrs });
    }
    i = close + 1;
  }
  const open = stack.pop();
  if (open) throw new HtmlParseError(`Can't find end tag corresponding to start tag "${open.name}"`);
  return { text, entities };
}

// ---------------------------------------------------------------------------------------------
// Body parsing (JSON, urlencoded, multipart as grammY sends it)

interface UploadedFile {
  field: string;
  filename: string;
  data: Buffer;
}

function parseMultipart(body: Buffer, boundary: string): { fields: Json; files: UploadedFile[] } {
  const fields: Json = {};
  const files: UploadedFile[] = [];
  const delim = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delim);
  while (pos >= 0) {
    let start = pos + delim.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    if (body.subarray(start, start + 2).toString() === '\r\n') start += 2;
    const next = body.indexOf(delim, start);
    if (next < 0) break;
    let part = body.subarray(start, next);
    if (part.subarray(part.length - 2).toString() === '\r\n') part = part.subarray(0, part.length - 2);
    const headEnd = part.indexOf('\r\n\r\n');
    if (headEnd >= 0) {
      const head = part.subarray(0, headEnd).toString('utf8');
      const data = part.subarray(headEnd + 4);
      const name = /name="?([^";\r\n]+)"?/i.exec(head)?.[1];
      const filename = /filename="?([^";\r\n]+)"?/i.exec(head)?.[1];
      if (name) {
        if (filename !== undefined) files.push({ field: name, filename, data: Buffer.from(data) });
        else fields[name] = data.toString('utf8');
      }
    }
    pos = next;
  }
  return { fields, files };
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function parseRequest(req: http.IncomingMessage, url: URL): Promise<{ params: Json; files: UploadedFile[] }> {
  const params: Json = {};
  for (const [k, v] of url.searchParams) params[k] = v;
  const body = await readBody(req);
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (body.length === 0) return { params, files: [] };
  if (type.startsWith('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw bad("can't parse JSON body");
    }
    if (parsed && typeof parsed === 'object') Object.assign(params, parsed);
    return { params, files: [] };
  }
  if (type.startsWith('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params[k] = v;
    return { params, files: [] };
  }
  if (type.startsWith('multipart/form-data')) {
    const boundary = /boundary=("?)([^";]+)\1/i.exec(req.headers['content-type'] ?? '')?.[2];
    if (!boundary) throw bad('wrong multipart boundary');
    const { fields, files } = parseMultipart(body, boundary);
    Object.assign(params, fields);
    return { params, files };
  }
  return { params, files: [] };
}

/** Form bodies carry objects as JSON strings; JSON bodies carry them as is. */
function objParam(params: Json, key: string): unknown {
  const v = params[key];
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    throw bad(`can't parse ${key} JSON object`);
  }
}

function numParam(params: Json, key: string): number | undefined {
  const v = params[key];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw bad(`field "${key}" must be a number`);
  return n;
}

function boolParam(params: Json, key: string): boolean {
  const v = params[key];
  return v === true || v === 'true' || v === '1' || v === 1;
}

function strParam(params: Json, key: string): string | undefined {
  const v = params[key];
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : String(v);
}

// ---------------------------------------------------------------------------------------------
// Rate limiting

/** How long waitFor and nextBotMessage wait by default: a reply on a loaded machine can take seconds. */
const WAIT_MS = 10_000;

class TokenBucket {
  private tokens: number;
  private last = Date.now();
  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
  ) {
    this.tokens = capacity;
  }
  /** Takes one token; returns 0 when allowed, else the seconds to wait. */
  take(now = Date.now()): number {
    // A request judged at a moment before the bucket was (re)made refills nothing, and takes nothing away.
    this.tokens = Math.min(this.capacity, this.tokens + (Math.max(0, now - this.last) / 1000) * this.perSecond);
    this.last = Math.max(this.last, now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.perSecond));
  }
}

// ---------------------------------------------------------------------------------------------
// The server

const UPDATE_TYPES_DEFAULT_EXCLUDED = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);
const SECRET_RE = /^[A-Za-z0-9_-]{1,256}$/;

function updateType(u: Update): string {
  return Object.keys(u).find((k) => k !== 'update_id') ?? 'unknown';
}

function updateChatKey(u: Update): string {
  const body = u[updateType(u)] as Json | undefined;
  const chat = (body?.chat ?? (body?.message as Json | undefined)?.chat) as Json | undefined;
  const from = body?.from as Json | undefined;
  return String(chat?.id ?? from?.id ?? 'none');
}

interface ChatState {
  id: number;
  user: FakeUser;
  messages: FakeChatMessage[];
  nextMessageId: number;
  replyKeyboard?: Json;
  blocked: boolean;
  bucket?: TokenBucket;
}

interface QueuedUpdate {
  update: Update;
  delivered: boolean;
}

interface Waiter {
  res: http.ServerResponse;
  offset?: number;
  limit: number;
  timer?: NodeJS.Timeout;
  done: boolean;
}

export async function startFakeTelegram(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  const token = options.token ?? '123456:TEST-TOKEN';
  const botId = options.bot?.id ?? Number(token.split(':')[0]);
  const botInfo = {
    id: Number.isFinite(botId) ? botId : 123456,
    is_bot: true as const,
    first_name: options.bot?.first_name ?? 'Suara Desa',
    username: options.bot?.username ?? 'SuaraDesaTestBot',
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
  };
  const botUser = { id: botInfo.id, is_bot: true, first_name: botInfo.first_name, username: botInfo.username };
  const limits: FakeLimits = {
    enabled: options.limits?.enabled ?? true,
    globalPerSecond: options.limits?.globalPerSecond ?? 30,
    perChatPerSecond: options.limits?.perChatPerSecond ?? 1,
    perChatBurst: options.limits?.perChatBurst ?? 3,
    retryAfter: options.limits?.retryAfter ?? true,
  };
  const hookOpts = {
    retryBaseMs: options.webhook?.retryBaseMs ?? 1000,
    retryMaxMs: options.webhook?.retryMaxMs ?? 60_000,
    timeoutMs: options.webhook?.timeoutMs ?? 30_000,
    requireHttps: options.webhook?.requireHttps ?? false,
  };
  const callbackTtl = options.callbackQueryTtlMs ?? 15_000;

  const events = new EventEmitter();
  events.setMaxListeners(0);
  const changed = () => events.emit('change');

  const calls: FakeCall[] = [];
  const updates: Update[] = [];
  const webhookDeliveries: WebhookDelivery[] = [];
  const callbackAnswers: CallbackAnswer[] = [];
  const chats = new Map<number, ChatState>();
  /** nextBotMessage's read position per chat. */
  const cursors = new Map<number, number>();
  const files = new Map<string, { file_id: string; file_unique_id: string; file_size: number; file_path: string; data: Buffer; mime?: string }>();
  /** The Bot API serves files up to 20 MB; getFile refuses bigger ones. */
  const MAX_DOWNLOAD = 20 * 1024 * 1024;
  const callbackQueries = new Map<string, { chatId: number; createdAt: number; answered: boolean }>();
  const forcedFailures = new Map<string, { error: { error_code: number; description: string; parameters?: Json }; times: number }>();
  const held = new Map<string, { until: Promise<void>; release: () => void }>();
  /**
   * The moment the call being handled is judged: its rate limit and its record read the same
   * clock reading (two readings can be tens of ms apart when the process loses the processor).
   */
  let judgedAt: number | null = null;
  let globalBucket = new TokenBucket(limits.globalPerSecond, limits.globalPerSecond);
  let nextUpdateId = 100_000 + Math.floor(Math.random() * 1000);
  let closed = false;
  let tooManyRequests = 0;
  const receivedCounts = new Map<number, number>();
  let down: false | 'refuse' | '502' = false;

  // polling state
  let queue: QueuedUpdate[] = [];
  let waiter: Waiter | undefined;
  let pollAllowed: string[] | undefined;

  // webhook state
  let webhook:
    | { url: string; secret?: string; allowed?: string[]; maxConnections: number; generation: number; lastErrorDate?: number; lastErrorMessage?: string }
    | undefined;
  let webhookGeneration = 0;
  const hookQueues = new Map<string, { items: Update[]; running: boolean }>();
  const timers = new Set<NodeJS.Timeout>();
  const inflight = new Set<AbortController>();

  const now = () => Math.floor(Date.now() / 1000);

  function toUser(ref: UserRef): FakeUser {
    const r = typeof ref === 'number' ? { id: ref } : ref;
    const existing = chats.get(r.id)?.user;
    const u: FakeUser = {
      id: r.id,
      is_bot: false,
      first_name: r.first_name ?? existing?.first_name ?? `User${r.id}`,
      language_code: r.language_code ?? existing?.language_code ?? 'id',
    };
    const last = r.last_name ?? existing?.last_name;
    if (last) u.last_name = last;
    const username = r.username ?? existing?.username;
    if (username) u.username = username;
    return u;
  }

  function chatState(ref: UserRef): ChatState {
    const user = toUser(ref);
    let c = chats.get(user.id);
    if (!c) {
      c = { id: user.id, user, messages: [], nextMessageId: 1, blocked: false };
      chats.set(user.id, c);
    } else c.user = user;
    return c;
  }

  function chatObj(c: ChatState): Json {
    const o: Json = { id: c.id, type: 'private', first_name: c.user.first_name };
    if (c.user.last_name) o.last_name = c.user.last_name;
    if (c.user.username) o.username = c.user.username;
    return o;
  }

  function allowedFor(list: string[] | undefined, type: string): boolean {
    if (!list || list.length === 0) return !UPDATE_TYPES_DEFAULT_EXCLUDED.has(type);
    return list.includes(type);
  }

  // ---- update queue -------------------------------------------------------------------------

  function enqueue(update: Update): Update {
    updates.push(update);
    if (webhook) {
      if (allowedFor(webhook.allowed, updateType(update))) hookEnqueue(update);
    } else {
      queue.push({ update, delivered: false });
      serveWaiter();
    }
    changed();
    return update;
  }

  function newUpdate(body: Json): Update {
    return enqueue({ update_id: nextUpdateId++, ...body });
  }

  function availableFor(offset: number | undefined, limit: number): Update[] {
    return queue
      .filter((q) => (offset === undefined || q.update.update_id >= offset || !q.delivered) && allowedFor(pollAllowed, updateType(q.update)))
      .slice(0, limit)
      .map((q) => {
        q.delivered = true;
        return q.update;
      });
  }

  function respond(res: http.ServerResponse, status: number, body: unknown) {
    if (res.writableEnded || res.destroyed) return;
    const data = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
    res.end(data);
  }

  function finishWaiter(w: Waiter, result: Update[]) {
    if (w.done) return;
    w.done = true;
    if (w.timer) clearTimeout(w.timer);
    if (waiter === w) waiter = undefined;
    calls.push({ method: 'getUpdates', params: { offset: w.offset, limit: w.limit }, status: 200, ok: true, result, at: Date.now() });
    respond(w.res, 200, { ok: true, result });
    changed();
  }

  function serveWaiter() {
    if (!waiter) return;
    const got = availableFor(waiter.offset, waiter.limit);
    if (got.length > 0) finishWaiter(waiter, got);
  }

  // ---- webhook delivery ---------------------------------------------------------------------

  function hookEnqueue(update: Update) {
    const key = updateChatKey(update);
    let q = hookQueues.get(key);
    if (!q) {
      q = { items: [], running: false };
      hookQueues.set(key, q);
    }
    q.items.push(update);
    if (!q.running) void pump(q);
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });
  }

  async function pump(q: { items: Update[]; running: boolean }) {
    q.running = true;
    try {
      let attempt = 0;
      while (!closed && webhook && q.items.length > 0) {
        const hook = webhook;
        const update = q.items[0]!;
        const rec: WebhookDelivery = { update_id: update.update_id, attempt: attempt + 1, at: Date.now() };
        const ac = new AbortController();
        inflight.add(ac);
        const timer = setTimeout(() => ac.abort(), hookOpts.timeoutMs);
        let ok = false;
        try {
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (hook.secret) headers['X-Telegram-Bot-Api-Secret-Token'] = hook.secret;
          const res = await fetch(hook.url, { method: 'POST', headers, body: JSON.stringify(update), signal: ac.signal });
          rec.status = res.status;
          await res.arrayBuffer().catch(() => undefined);
          ok = res.status >= 200 && res.status < 300;
          if (!ok) {
            hook.lastErrorDate = now();
            hook.lastErrorMessage = `Wrong response from the webhook: ${res.status} ${res.statusText}`;
          }
        } catch (e) {
          rec.error = (e as Error).message;
          hook.lastErrorDate = now();
          hook.lastErrorMessage = ac.signal.aborted ? 'Read timeout expired' : 'Connection refused';
        } finally {
          clearTimeout(timer);
          inflight.delete(ac);
        }
        rec.durationMs = Date.now() - rec.at;
        webhookDeliveries.push(rec);
        changed();
        if (closed || webhook !== hook) break;
        if (ok) {
          q.items.shift();
          attempt = 0;
          changed();
        } else {
          const delay = Math.min(hookOpts.retryMaxMs, hookOpts.retryBaseMs * 2 ** attempt);
          attempt++;
          await sleep(delay);
        }
      }
    } finally {
      q.running = false;
      // A webhook replaced while this queue was busy: continue with the new one.
      if (!closed && webhook && q.items.length > 0 && hookQueues.get(updateChatKeyOf(q)) === q) void pump(q);
    }
  }

  function updateChatKeyOf(q: { items: Update[] }): string {
    return q.items.length ? updateChatKey(q.items[0]!) : '';
  }

  function hookPending(): Update[] {
    return [...hookQueues.values()].flatMap((q) => q.items);
  }

  // ---- views --------------------------------------------------------------------------------

  /** A live view: looks the chat up on every access, so it may be taken before the chat exists. */
  function viewOf(id: number): FakeChat {
    const c = () => chats.get(id);
    const bot = () => (c()?.messages ?? []).filter((m) => m.from === 'bot');
    return {
      id,
      get user() {
        return c()?.user ?? toUser(id);
      },
      get messages() {
        return c()?.messages ?? [];
      },
      get replyKeyboard() {
        return c()?.replyKeyboard;
      },
      get blocked() {
        return c()?.blocked ?? false;
      },
      get botMessages() {
        return bot();
      },
      get lastBotMessage() {
        const b = bot();
        return b[b.length - 1];
      },
    };
  }

  function waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs = WAIT_MS): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        let v: T | undefined | null | false;
        try {
          v = predicate();
        } catch (e) {
          cleanup();
          reject(e as Error);
          return true;
        }
        if (v) {
          cleanup();
          resolve(v);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`fake telegram: waitFor timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        events.off('change', check);
      };
      if (!check()) events.on('change', check);
    });
  }

  // ---- user actions -------------------------------------------------------------------------

  function addUserMessage(c: ChatState, extra: Json, view: Partial<FakeChatMessage>): Json {
    const message: Json = { message_id: c.nextMessageId++, from: { ...c.user }, chat: chatObj(c), date: now(), ...extra };
    c.messages.push({ message_id: message.message_id as number, from: 'user', date: message.date as number, editCount: 0, raw: message, ...view });
    // A one-time reply keyboard hides once used; any message from the user counts here.
    if (c.replyKeyboard && (c.replyKeyboard as Json).one_time_keyboard) c.replyKeyboard = undefined;
    return message;
  }

  function commandEntities(text: string): Json[] | undefined {
    const out: Json[] = [];
    const re = /(^|\s)(\/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text))) out.push({ type: 'bot_command', offset: m.index + m[1]!.length, length: m[2]!.length });
    return out.length ? out : undefined;
  }

  function sendText(user: UserRef, text: string): Update {
    const c = chatState(user);
    const entities = commandEntities(text);
    const message = addUserMessage(c, { text, ...(entities ? { entities } : {}) }, { text });
    return newUpdate({ message });
  }

  function findButton(c: ChatState, messageId: number, data: string): boolean {
    const m = c.messages.find((x) => x.message_id === messageId && x.from === 'bot');
    return !!m?.inlineKeyboard?.some((row) => row.some((b) => b.callback_data === data));
  }

  function pressButton(user: UserRef, messageId: number, callbackData: string, opts?: { force?: boolean }): Update {
    const c = chatState(user);
    const msg = c.messages.find((x) => x.message_id === messageId && x.from === 'bot');
    if (!opts?.force && !findButton(c, messageId, callbackData)) {
      throw new Error(`fake telegram: chat ${c.id} has no visible button "${callbackData}" on message ${messageId}`);
    }
    const id = BigInt('0x' + randomBytes(7).toString('hex')).toString();
    callbackQueries.set(id, { chatId: c.id, createdAt: Date.now(), answered: false });
    const cq: Json = {
      id,
      from: { ...c.user },
      chat_instance: String(-(c.id * 7919 + botInfo.id)),
      data: callbackData,
    };
    if (msg) cq.message = structuredClone(msg.raw);
    return newUpdate({ callback_query: cq });
  }

  function pressButtonText(user: UserRef, label: string, opts?: { messageId?: number }): Update {
    const c = chatState(user);
    const candidates = c.messages.filter((m) => m.from === 'bot' && m.inlineKeyboard && (opts?.messageId === undefined || m.message_id === opts.messageId)).reverse();
    for (const exact of [true, false]) {
      for (const m of candidates) {
        for (const row of m.inlineKeyboard!) {
          for (const b of row) {
            if (b.callback_data && (exact ? b.text === label : b.text.includes(label))) {
              return pressButton(user, m.message_id, b.callback_data);
            }
          }
        }
      }
    }
    throw new Error(`fake telegram: no visible button labelled "${label}" in chat ${c.id}`);
  }

  function sendLocation(user: UserRef, latitude: number, longitude: number, opts?: { horizontal_accuracy?: number }): Update {
    const c = chatState(user);
    const location: Json = { latitude, longitude };
    if (opts?.horizontal_accuracy !== undefined) location.horizontal_accuracy = opts.horizontal_accuracy;
    const message = addUserMessage(c, { location }, { location: location as FakeChatMessage['location'] });
    return newUpdate({ message });
  }

  function makePhotoSizes(width: number, height: number): Json[] {
    const uniq = randomBytes(6).toString('hex');
    const sizes: Json[] = [];
    for (const w of [90, 320, 800, 1280]) {
      if (w > width && sizes.length > 0) break;
      const sw = Math.min(w, width);
      const sh = Math.round((height * sw) / width);
      const file_id = `AgACAgUAAxkBAAI${uniq}${sw}x${sh}`;
      const file_unique_id = `AQAD${uniq}${sw}`;
      const data = randomBytes(Math.max(64, Math.round((sw * sh) / 20)));
      files.set(file_id, { file_id, file_unique_id, file_size: data.length, file_path: `photos/file_${files.size}.jpg`, data });
      sizes.push({ file_id, file_unique_id, file_size: data.length, width: sw, height: sh });
    }
    return sizes;
  }

  function sendPhotoAsUser(user: UserRef, opts?: { caption?: string; width?: number; height?: number }): Update {
    const c = chatState(user);
    const photo = makePhotoSizes(opts?.width ?? 1280, opts?.height ?? 960);
    const extra: Json = { photo };
    if (opts?.caption !== undefined) extra.caption = opts.caption;
    const message = addUserMessage(c, extra, { photo, ...(opts?.caption !== undefined ? { caption: opts.caption } : {}) });
    return newUpdate({ message });
  }

  function sendVoiceAsUser(user: UserRef, data: Buffer, opts: { duration: number; asAudio?: boolean; mimeType?: string; fileSize?: number }): Update {
    const c = chatState(user);
    const uniq = randomBytes(6).toString('hex');
    const file_id = `AwACAgUAAxkBAAI${uniq}voice`;
    const file_unique_id = `AgAD${uniq}`;
    const mime_type = opts.mimeType ?? (opts.asAudio ? 'audio/mpeg' : 'audio/ogg');
    const file_size = opts.fileSize ?? data.length;
    files.set(file_id, { file_id, file_unique_id, file_size, file_path: `${opts.asAudio ? 'music' : 'voice'}/file_${files.size}.${opts.asAudio ? 'mp3' : 'oga'}`, data, mime: mime_type });
    const sound: Json = { file_id, file_unique_id, duration: opts.duration, mime_type, file_size };
    if (opts.asAudio) Object.assign(sound, { title: 'Rekaman', performer: 'Warga', file_name: 'rekaman.mp3' });
    const key = opts.asAudio ? 'audio' : 'voice';
    const message = addUserMessage(c, { [key]: sound }, {});
    return newUpdate({ message });
  }

  function memberUpdate(user: UserRef, oldStatus: string, newStatus: string): Update {
    const c = chatState(user);
    const newMember: Json = { user: { ...botUser }, status: newStatus };
    if (newStatus === 'kicked') newMember.until_date = 0;
    return newUpdate({
      my_chat_member: {
        chat: chatObj(c),
        from: { ...c.user },
        date: now(),
        old_chat_member: { user: { ...botUser }, status: oldStatus },
        new_chat_member: newMember,
      },
    });
  }

  // ---- API methods --------------------------------------------------------------------------

  function knownChat(params: Json): ChatState {
    const raw = params.chat_id;
    if (raw === undefined || raw === null || raw === '') throw bad('chat_id is empty');
    const id = Number(raw);
    const c = Number.isFinite(id) ? chats.get(id) : undefined;
    if (!c) throw bad('chat not found');
    if (c.blocked) throw new ApiFailure(403, 'Forbidden: bot was blocked by the user');
    return c;
  }

  function rateLimit(c: ChatState) {
    if (!limits.enabled) return;
    c.bucket ??= new TokenBucket(limits.perChatBurst, limits.perChatPerSecond);
    const t = judgedAt ?? Date.now();
    const waitChat = c.bucket.take(t);
    if (waitChat > 0) throw tooMany(waitChat);
    const waitAll = globalBucket.take(t);
    if (waitAll > 0) throw tooMany(waitAll);
  }

  function tooMany(seconds: number): ApiFailure {
    return limits.retryAfter
      ? new ApiFailure(429, `Too Many Requests: retry after ${seconds}`, { retry_after: seconds })
      : new ApiFailure(429, 'Too Many Requests');
  }

  function parseText(raw: string | undefined, parseMode: string | undefined): { text: string; entities: Json[] } {
    const input = raw ?? '';
    if (!parseMode) return { text: input, entities: [] };
    if (parseMode.toLowerCase() !== 'html') throw bad(`unsupported parse_mode "${parseMode}" in this fake (the project uses HTML)`);
    try {
      return parseTelegramHtml(input);
    } catch (e) {
      if (e instanceof HtmlParseError) throw bad(`can't parse entities: ${e.message}`);
      throw e;
    }
  }

  function validateInlineKeyboard(markup: Json): InlineButton[][] {
    const kb = markup.inline_keyboard;
    if (!Array.isArray(kb)) throw bad('field "inline_keyboard" must be an Array');
    let count = 0;
    for (const row of kb) {
      if (!Array.isArray(row)) throw bad('field "inline_keyboard" must be an Array of Arrays');
      if (row.length > 8) throw bad('too many buttons in a row');
      for (const b of row as Json[]) {
        count++;
        if (typeof b !== 'object' || b === null || typeof b.text !== 'string') throw bad("can't parse inline keyboard button: Text must be a String");
        if (b.text.trim() === '') throw bad('BUTTON_TEXT_INVALID');
        const kinds = ['callback_data', 'url', 'login_url', 'switch_inline_query', 'switch_inline_query_current_chat', 'callback_game', 'pay', 'web_app', 'copy_text', 'switch_inline_query_chosen_chat'].filter((k) => b[k] !== undefined);
        if (kinds.length === 0) throw bad('text buttons are unallowed in the inline keyboard');
        if (kinds.length > 1) throw bad("can't parse inline keyboard button: only one of the optional fields must be used");
        if (b.callback_data !== undefined) {
          const d = b.callback_data;
          const bytes = typeof d === 'string' ? Buffer.byteLength(d, 'utf8') : 0;
          if (typeof d !== 'string' || bytes < 1 || bytes > 64) throw bad('BUTTON_DATA_INVALID');
        }
        if (b.url !== undefined && (typeof b.url !== 'string' || !/^(https?|tg):\/\//.test(b.url))) throw bad('BUTTON_URL_INVALID');
      }
    }
    if (count > 100) throw bad('reply markup is too long');
    return kb as InlineButton[][];
  }

  function validateReplyMarkup(params: Json, inlineOnly: boolean): { markup?: Json; inline?: InlineButton[][] } {
    if (params.reply_markup === undefined || params.reply_markup === null) return {};
    const markup = objParam(params, 'reply_markup');
    if (typeof markup !== 'object' || markup === null) throw bad("can't parse reply keyboard markup JSON object");
    const m = markup as Json;
    if (m.inline_keyboard !== undefined) {
      const inline = validateInlineKeyboard(m);
      return { markup: m, inline: inline.length > 0 && inline.some((r) => r.length > 0) ? inline : undefined };
    }
    if (inlineOnly) throw bad('inline keyboard expected');
    if (m.keyboard !== undefined) {
      if (!Array.isArray(m.keyboard) || !m.keyboard.every((r) => Array.isArray(r))) throw bad('field "keyboard" must be an Array of Arrays');
      for (const row of m.keyboard as unknown[][]) {
        for (const b of row) {
          const text = typeof b === 'string' ? b : (b as Json | null)?.text;
          if (typeof text !== 'string' || text.trim() === '') throw bad('keyboard button text must be non-empty');
          if (typeof b === 'object' && b !== null) {
            const kinds = ['request_location', 'request_contact', 'request_poll', 'request_users', 'request_chat', 'web_app'].filter((k) => (b as Json)[k] !== undefined && (b as Json)[k] !== false);
            if (kinds.length > 1) throw bad("can't parse keyboard button: only one of the optional fields must be used");
          }
        }
      }
      const ph = m.input_field_placeholder;
      if (ph !== undefined && (typeof ph !== 'string' || ph.length > 64)) throw bad('input field placeholder must be 0-64 characters');
      return { markup: m };
    }
    if (m.remove_keyboard === true || m.force_reply === true) return { markup: m };
    throw bad("can't find field \"inline_keyboard\"");
  }

  function addBotMessage(c: ChatState, extra: Json, view: Partial<FakeChatMessage>, markup: { markup?: Json; inline?: InlineButton[][] }): Json {
    const message: Json = { message_id: c.nextMessageId++, from: { ...botUser }, chat: chatObj(c), date: now(), ...extra };
    if (markup.inline) message.reply_markup = { inline_keyboard: structuredClone(markup.inline) };
    c.messages.push({
      message_id: message.message_id as number,
      from: 'bot',
      date: message.date as number,
      editCount: 0,
      raw: message,
      ...(markup.inline ? { inlineKeyboard: structuredClone(markup.inline) } : {}),
      ...(markup.markup ? { replyMarkup: markup.markup } : {}),
      ...view,
    });
    if (markup.markup?.keyboard) c.replyKeyboard = markup.markup;
    else if (markup.markup?.remove_keyboard) c.replyKeyboard = undefined;
    receivedCounts.set(c.id, (receivedCounts.get(c.id) ?? 0) + 1);
    return message;
  }

  function botMessageFor(params: Json): { c: ChatState; m: FakeChatMessage } {
    if (params.inline_message_id !== undefined) throw bad('inline messages are not supported by this fake');
    const c = knownChat(params);
    const id = numParam(params, 'message_id');
    if (id === undefined) throw bad('message identifier is not specified');
    const m = c.messages.find((x) => x.message_id === id);
    if (!m) throw bad('message to edit not found');
    if (m.from !== 'bot') throw bad("message can't be edited");
    return { c, m };
  }

  const sameKeyboard = (a?: InlineButton[][], b?: InlineButton[][]) => JSON.stringify(a ?? []) === JSON.stringify(b ?? []);

  function setKeyboard(m: FakeChatMessage, inline: InlineButton[][] | undefined) {
    if (inline) {
      m.inlineKeyboard = structuredClone(inline);
      m.raw.reply_markup = { inline_keyboard: structuredClone(inline) };
    } else {
      delete m.inlineKeyboard;
      delete m.raw.reply_markup;
    }
  }

  const methods: Record<string, (params: Json, files: UploadedFile[]) => unknown> = {
    getme: () => botInfo,

    logout: () => true,
    close: () => true,

    setwebhook: (params) => {
      const url = strParam(params, 'url') ?? '';
      const dropPending = boolParam(params, 'drop_pending_updates');
      if (url === '') {
        deleteWebhook(dropPending);
        return true;
      }
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw bad('bad webhook: invalid URL');
      }
      if (hookOpts.requireHttps && parsed.protocol !== 'https:') throw bad('bad webhook: An HTTPS URL must be provided for webhook');
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw bad('bad webhook: Unsupported URL protocol');
      const secret = strParam(params, 'secret_token');
      if (secret !== undefined && !SECRET_RE.test(secret)) throw bad('secret token contains unallowed characters');
      let allowed: string[] | undefined;
      if (params.allowed_updates !== undefined) {
        const a = objParam(params, 'allowed_updates');
        if (!Array.isArray(a)) throw bad('field "allowed_updates" must be an Array');
        allowed = a.map(String);
      }
      const maxConnections = numParam(params, 'max_connections') ?? 40;
      if (maxConnections < 1 || maxConnections > 100) throw bad('bad webhook: max_connections must be 1-100');
      if (dropPending) {
        queue = [];
        for (const q of hookQueues.values()) q.items.length = 0;
        hookQueues.clear();
      }
      webhook = { url, ...(secret ? { secret } : {}), ...(allowed ? { allowed } : {}), maxConnections, generation: ++webhookGeneration };
      if (waiter) {
        respond(waiter.res, 409, { ok: false, error_code: 409, description: 'Conflict: terminated by setWebhook request' });
        waiter.done = true;
        if (waiter.timer) clearTimeout(waiter.timer);
        waiter = undefined;
      }
      // Undelivered updates move to the webhook (and those queued for a previous hook restart).
      const pending = queue.map((q) => q.update);
      queue = [];
      for (const u of pending) if (allowedFor(webhook.allowed, updateType(u))) hookEnqueue(u);
      for (const q of hookQueues.values()) if (!q.running && q.items.length) void pump(q);
      return true;
    },

    deletewebhook: (params) => {
      deleteWebhook(boolParam(params, 'drop_pending_updates'));
      return true;
    },

    getwebhookinfo: () => webhookInfo(),

    getupdates: () => {
      throw new Error('handled separately');
    },

    sendmessage: (params) => {
      const c = knownChat(params);
      const raw = strParam(params, 'text');
      const { text, entities } = parseText(raw, strParam(params, 'parse_mode'));
      if (text.trim().length === 0) throw bad('message text is empty');
      if (text.length > 4096) throw bad('message is too long');
      const markup = validateReplyMarkup(params, false);
      rateLimit(c);
      const extra: Json = { text };
      if (entities.length) extra.entities = entities;
      return addBotMessage(c, extra, { text, rawText: raw, parseMode: strParam(params, 'parse_mode'), entities }, markup);
    },

    sendphoto: (params, upload) => {
      const c = knownChat(params);
      const photoParam = strParam(params, 'photo');
      if (!photoParam) throw bad('there is no photo in the request');
      let photo: Json[];
      if (photoParam.startsWith('attach://')) {
        const f = upload.find((x) => x.field === photoParam.slice('attach://'.length));
        if (!f || f.data.length === 0) throw bad('wrong file identifier/HTTP URL specified');
        photo = makePhotoSizes(800, 600);
      } else if (/^https?:\/\//.test(photoParam)) {
        photo = makePhotoSizes(800, 600);
      } else {
        if (!files.has(photoParam)) throw bad('wrong file identifier/HTTP URL specified');
        photo = makePhotoSizes(800, 600);
      }
      const { text: caption, entities } = parseText(strParam(params, 'caption'), strParam(params, 'parse_mode'));
      if (caption.length > 1024) throw bad('message caption is too long');
      const markup = validateReplyMarkup(params, false);
      rateLimit(c);
      const extra: Json = { photo };
      if (caption) extra.caption = caption;
      if (entities.length) extra.caption_entities = entities;
      return addBotMessage(c, extra, { photo, ...(caption ? { caption } : {}) }, markup);
    },

    editmessagetext: (params) => {
      const { m } = botMessageFor(params);
      if (m.text === undefined) throw bad('there is no text in the message to edit');
      const raw = strParam(params, 'text');
      const { text, entities } = parseText(raw, strParam(params, 'parse_mode'));
      if (text.trim().length === 0) throw bad('message text is empty');
      if (text.length > 4096) throw bad('message is too long');
      const markup = validateReplyMarkup(params, true);
      if (text === m.text && JSON.stringify(entities) === JSON.stringify(m.entities ?? []) && sameKeyboard(markup.inline, m.inlineKeyboard)) {
        throw bad(NOT_MODIFIED);
      }
      m.text = text;
      m.rawText = raw;
      m.entities = entities;
      m.raw.text = text;
      if (entities.length) m.raw.entities = entities;
      else delete m.raw.entities;
      m.raw.edit_date = now();
      setKeyboard(m, markup.inline);
      m.editCount++;
      return m.raw;
    },

    editmessagereplymarkup: (params) => {
      const { m } = botMessageFor(params);
      const markup = validateReplyMarkup(params, true);
      if (sameKeyboard(markup.inline, m.inlineKeyboard)) throw bad(NOT_MODIFIED);
      setKeyboard(m, markup.inline);
      m.raw.edit_date = now();
      m.editCount++;
      return m.raw;
    },

    answercallbackquery: (params) => {
      const id = strParam(params, 'callback_query_id');
      if (!id) throw bad('callback_query_id is empty');
      const text = strParam(params, 'text');
      if (text !== undefined && text.length > 200) throw bad('MESSAGE_TOO_LONG');
      const q = callbackQueries.get(id);
      if (!q || q.answered || Date.now() - q.createdAt > callbackTtl) throw bad(TOO_OLD);
      q.answered = true;
      callbackAnswers.push({ id, ...(text !== undefined ? { text } : {}), ...(params.show_alert !== undefined ? { show_alert: boolParam(params, 'show_alert') } : {}), at: Date.now() });
      return true;
    },

    getfile: (params) => {
      const id = strParam(params, 'file_id');
      const f = id ? files.get(id) : undefined;
      if (!f) throw bad('invalid file_id');
      if (f.file_size > MAX_DOWNLOAD) throw bad('file is too big');
      return { file_id: f.file_id, file_unique_id: f.file_unique_id, file_size: f.file_size, file_path: f.file_path };
    },
  };

  function deleteWebhook(dropPending: boolean) {
    if (webhook) {
      const left = hookPending();
      for (const q of hookQueues.values()) q.items.length = 0;
      hookQueues.clear();
      webhook = undefined;
      if (!dropPending) {
        queue = left.sort((a, b) => a.update_id - b.update_id).map((update) => ({ update, delivered: false }));
      }
    }
    if (dropPending) queue = [];
    changed();
  }

  function webhookInfo(): Json {
    const info: Json = { url: webhook?.url ?? '', has_custom_certificate: false, pending_update_count: pendingUpdateCount() };
    if (webhook) {
      info.max_connections = webhook.maxConnections;
      if (webhook.allowed) info.allowed_updates = webhook.allowed;
      if (webhook.lastErrorDate) {
        info.last_error_date = webhook.lastErrorDate;
        info.last_error_message = webhook.lastErrorMessage;
      }
    }
    return info;
  }

  function pendingUpdateCount(): number {
    return webhook ? hookPending().length : queue.length;
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  function handleGetUpdates(params: Json, res: http.ServerResponse) {
    if (webhook) {
      throw new ApiFailure(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
    }
    const offset = numParam(params, 'offset');
    const limit = Math.min(100, Math.max(1, numParam(params, 'limit') ?? 100));
    const timeout = Math.max(0, numParam(params, 'timeout') ?? 0);
    if (params.allowed_updates !== undefined) {
      const a = objParam(params, 'allowed_updates');
      if (Array.isArray(a)) pollAllowed = a.map(String);
    }
    if (offset !== undefined && offset > 0) {
      // Confirm every update delivered before with an id below the offset.
      queue = queue.filter((q) => !(q.delivered && q.update.update_id < offset));
    } else if (offset !== undefined && offset < 0) {
      queue = queue.slice(queue.length + offset);
    }
    if (waiter) {
      const old = waiter;
      old.done = true;
      if (old.timer) clearTimeout(old.timer);
      waiter = undefined;
      respond(old.res, 409, { ok: false, error_code: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' });
    }
    const w: Waiter = { res, ...(offset !== undefined ? { offset } : {}), limit, done: false };
    const got = availableFor(offset, limit);
    if (got.length > 0 || timeout === 0 || closed) {
      finishWaiter(w, got);
      return;
    }
    waiter = w;
    w.timer = setTimeout(() => finishWaiter(w, []), timeout * 1000);
    res.on('close', () => {
      if (!w.done) {
        w.done = true;
        if (w.timer) clearTimeout(w.timer);
        if (waiter === w) waiter = undefined;
      }
    });
    changed();
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const fileMatch = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (fileMatch && req.method === 'GET') {
      if (fileMatch[1] !== token) return respond(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
      const f = [...files.values()].find((x) => x.file_path === fileMatch[2]);
      if (!f) return respond(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
      res.writeHead(200, { 'content-type': f.mime ?? 'image/jpeg', 'content-length': f.data.length });
      return res.end(f.data);
    }
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!m || (req.method !== 'GET' && req.method !== 'POST')) {
      return respond(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    }
    const [, reqToken, methodName] = m as unknown as [string, string, string];
    let params: Json = {};
    const record = (status: number, body: Json) => {
      if (status === 429) tooManyRequests++;
      calls.push({
        method: methodName,
        params,
        status,
        ok: body.ok === true,
        ...(typeof body.description === 'string' ? { description: body.description } : {}),
        ...(body.result !== undefined ? { result: body.result } : {}),
        at: judgedAt ?? Date.now(),
      });
      respond(res, status, body);
      changed();
    };
    if (reqToken !== token) {
      await readBody(req).catch(() => undefined);
      return record(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    }
    const key = methodName.toLowerCase();
    const fn = methods[key];
    if (!fn) {
      await readBody(req).catch(() => undefined);
      return record(404, { ok: false, error_code: 404, description: 'Not Found' });
    }
    try {
      const parsed = await parseRequest(req, url);
      params = parsed.params;
      const gate = held.get(key);
      if (gate) await gate.until;
      judgedAt = Date.now();
      const forced = forcedFailures.get(key);
      if (forced && forced.times > 0) {
        forced.times--;
        if (forced.times === 0) forcedFailures.delete(key);
        throw new ApiFailure(forced.error.error_code, forced.error.description, forced.error.parameters);
      }
      if (key === 'getupdates') return handleGetUpdates(params, res);
      const result = fn(params, parsed.files);
      record(200, { ok: true, result });
    } catch (e) {
      if (e instanceof ApiFailure) {
        const body: Json = { ok: false, error_code: e.status, description: e.description };
        if (e.parameters) body.parameters = e.parameters;
        return record(e.status, body);
      }
      record(500, { ok: false, error_code: 500, description: `Internal Server Error: ${(e as Error).message}` });
    } finally {
      judgedAt = null;
    }
  }

  const server = http.createServer((req, res) => {
    if (down === '502') {
      // What a reverse proxy says when the Bot API behind it is gone: HTML, not JSON.
      req.resume();
      const page = '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>';
      res.writeHead(502, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(page) });
      return void res.end(page);
    }
    handle(req, res).catch((e) => respond(res, 500, { ok: false, error_code: 500, description: String(e) }));
  });
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';

  const fake: FakeTelegram = {
    apiRoot: `http://${host}:${port}`,
    token,
    port,
    botInfo,
    calls,
    updates,
    webhookDeliveries,
    callbackAnswers,
    limits,
    setLimits(l) {
      Object.assign(limits, l);
      globalBucket = new TokenBucket(limits.globalPerSecond, limits.globalPerSecond);
      for (const c of chats.values()) delete c.bucket;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const h of held.values()) h.release();
      if (waiter) finishWaiter(waiter, []);
      for (const t of timers) clearTimeout(t);
      for (const ac of inflight) ac.abort();
      if (!server.listening) return;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    get tooManyRequests() {
      return tooManyRequests;
    },
    received: (chatId) => receivedCounts.get(chatId) ?? 0,
    receivedCounts: () => new Map(receivedCounts),
    addChat(user) {
      chatState(user);
      changed();
    },
    get down() {
      return down;
    },
    async goDown(mode) {
      if (down) await fake.comeBack();
      down = mode;
      if (mode === 'refuse') {
        if (waiter) finishWaiter(waiter, []);
        // Stop accepting; idle keep-alive sockets go now, requests being handled finish first.
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
      }
      changed();
    },
    async comeBack() {
      const was = down;
      down = false;
      if (was === 'refuse' && !closed) {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, host, () => {
            server.off('error', reject);
            resolve();
          });
        });
      }
      changed();
    },
    sendText,
    sendCommand: (user, command, payload) => sendText(user, `/${command.replace(/^\//, '')}${payload !== undefined ? ` ${payload}` : ''}`),
    pressButton,
    pressButtonText,
    sendLocation,
    sendPhoto: sendPhotoAsUser,
    sendVoice: sendVoiceAsUser,
    blockBot(user) {
      const c = chatState(user);
      c.blocked = true;
      return memberUpdate(user, 'member', 'kicked');
    },
    unblockBot(user) {
      const c = chatState(user);
      c.blocked = false;
      return memberUpdate(user, 'kicked', 'member');
    },
    blockUser(chatId) {
      chatState(chatId).blocked = true;
      changed();
    },
    injectUpdate(raw) {
      const u = { ...raw } as Update;
      if (typeof u.update_id !== 'number') u.update_id = nextUpdateId++;
      else nextUpdateId = Math.max(nextUpdateId, u.update_id + 1);
      return enqueue(u);
    },
    hold(method) {
      const key = method.toLowerCase();
      let release = () => undefined as void;
      const until = new Promise<void>((resolve) => (release = resolve));
      held.set(key, { until, release });
      return () => {
        if (held.get(key)?.until === until) held.delete(key);
        release();
      };
    },
    failNext(method, error, times = 1) {
      forcedFailures.set(method.toLowerCase(), { error, times });
    },
    chat(userId) {
      return viewOf(userId);
    },
    waitFor,
    async nextBotMessage(userId, timeoutMs = WAIT_MS) {
      const cursor = () => cursors.get(userId) ?? 0;
      const m = await waitFor(() => viewOf(userId).botMessages[cursor()], timeoutMs).catch(() => {
        throw new Error(`fake telegram: no new bot message in chat ${userId} within ${timeoutMs} ms`);
      });
      cursors.set(userId, cursor() + 1);
      return m;
    },
    pendingUpdateCount,
    webhookInfo,
    callsTo: (method) => calls.filter((c) => c.method.toLowerCase() === method.toLowerCase()),
  };
  return fake;
}
