/**
 * The local chat simulator: a web page (public/simulator/) that talks to the real
 * conversation service and database, as the "web" channel. It is the newcomer's first
 * experience and the facilitators' place to try a flow before it reaches the villages.
 * Only served when enabled (no platform tokens, or SIMULATOR=on): it has no login, so
 * it sends strict security headers, hands out its own session ids (the page keeps one in
 * localStorage), refuses ids it did not issue, and limits sends per session and per address.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import compression from 'compression';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import rateLimit from 'express-rate-limit';
import type { i18n as I18n } from 'i18next';
import { z } from 'zod';
import { ROLES } from '../../vocabulary.js';
import { ensureSimulatorCode } from '../../db/repositories/access-codes.js';
import { findMemberLanguage, findMemberProfile } from '../../db/repositories/members.js';
import { findReplyMessages } from '../../db/repositories/sent-messages.js';
import type { InboundContent, InboundHandler } from '../../messages/index.js';
import type { ChannelCapabilities, ChannelRateLimits, OutboundChannel, SendRequest, SendResult } from '../channel.js';
import { securityHeaders } from '../../http/security.js';
import { SUPPORTED_LANGUAGES, translatorFor, type SupportedLanguage } from '../../i18n.js';
import { projectRoot } from '../../paths.js';
import { sharp } from '../../heavy-modules.js';
import { DEFAULT_MEDIA_MAX_BYTES, hasMedia, mediaIdFor, storeMedia } from '../../media/store.js';
import {
  addressOf, appendEntries, botEntry, choiceLabel, issueSession, readTranscript, touchSession, type TranscriptEntry,
} from './sessions.js';

const pageDir = join(projectRoot, 'public', 'simulator');

const contentSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('text'), text: z.string().min(1, 'text must not be empty').max(10_000, 'text is longer than 10000 characters') }),
  z.object({ kind: z.literal('choice'), promptSeq: z.number().int(), choiceId: z.string().min(1).max(200) }),
  z.object({ kind: z.literal('location'), latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180), name: z.string().max(200).optional() }),
  z.object({ kind: z.literal('photo'), fileId: z.string().min(1).max(200), caption: z.string().max(1024).optional() }),
]);

const language = z.enum(SUPPORTED_LANGUAGES);

const sendSchema = z.object({
  sessionId: z.string(),
  /** Client-made id, so a resend after a network error is handled once. */
  messageId: z.string().regex(/^[A-Za-z0-9-]{8,64}$/, 'messageId must be 8-64 letters, digits or dashes'),
  content: contentSchema,
  language: language.optional(),
});

export interface SimulatorLimits {
  /** Sends per session per window. */
  perSession: number;
  /** API requests per address (IP) per window: sends, polls, reloads. */
  perAddress: number;
  windowMs: number;
  /** New sessions per address per sessionWindowMs. */
  sessionsPerAddress: number;
  sessionWindowMs: number;
}

/** A person taps at most about once a second; a workshop of 20 testers may share one address. */
export const DEFAULT_SIMULATOR_LIMITS: SimulatorLimits = {
  perSession: 60, perAddress: 1200, windowMs: 60_000, sessionsPerAddress: 60, sessionWindowMs: 3600_000,
};

export interface SimulatorDeps {
  handler: InboundHandler;
  i18n: I18n;
  limits?: Partial<SimulatorLimits>;
  now?: () => Date;
  /** Hand out Pokja and facilitator codes (config simulatorRoleCodes: only with no real channel configured). */
  roleCodes: boolean;
}

/**
 * The web channel's outbound side. Replies reach the page in the answer to its POST (and the
 * transcript), so the dispatcher's copy of a reply is only acknowledged here; proactive
 * messages (reminders, broadcasts) are added to the session's transcript, where the page
 * fetches them.
 */
export class WebInbox implements OutboundChannel {
  readonly name = 'web' as const;
  readonly capabilities: ChannelCapabilities = {
    buttons: true, maxButtons: 50, lists: false, maxListRows: 0, editing: false, maxButtonTitle: 200, maxText: 10_000, templates: false,
  };
  readonly rateLimits: ChannelRateLimits = { perSecond: 1000, perChatPerSecond: 100, perChatBurst: 100 };

  constructor(private readonly now: () => Date = () => new Date()) {}

  async send(request: SendRequest): Promise<SendResult> {
    if (request.kind !== 'reply') {
      const at = this.now();
      await appendEntries({ address: request.to }, request.messages.slice(request.alreadySent).map((m) => botEntry(m, at, true)));
    }
    return { ok: true, platformMessageIds: [] };
  }
}

type Translate = ReturnType<typeof translatorFor>;

/** The file ids of a session's uploads start with a digest of the session: another session's photo is not theirs to send. */
function photoPrefix(session: string): string {
  return `web-photo-${createHash('sha256').update(session).digest('hex').slice(0, 16)}-`;
}

/** jpeg, png or webp as sharp reads the bytes; null for anything else (or no image at all). */
async function imageFormat(data: Buffer): Promise<string | null> {
  try {
    const { format } = await sharp()(data).metadata();
    return format === 'jpeg' || format === 'png' || format === 'webp' ? format : null;
  } catch {
    return null;
  }
}

/** A photo this session uploaded gets its GridFS reference, as a Telegram photo does; others are kept as named. */
async function withUploadedPhoto(content: InboundContent, session: string): Promise<InboundContent> {
  if (content.kind !== 'photo' || !content.fileId.startsWith(photoPrefix(session)) || !(await hasMedia('web', content.fileId))) return content;
  return { ...content, mediaId: mediaIdFor('web', content.fileId) };
}

function requestLanguage(req: Request): SupportedLanguage {
  const wanted = (req.body as { language?: unknown } | undefined)?.language ?? req.query.lang;
  return language.safeParse(wanted).data ?? 'id';
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** What the person sent, as their bubble reads. */
function personText(content: InboundContent, entries: TranscriptEntry[], t: Translate): string {
  switch (content.kind) {
    case 'text': return content.text;
    case 'choice': return choiceLabel(entries, content.promptSeq, content.choiceId) ?? content.choiceId;
    case 'location': return t('simulator:sharedLocation');
    case 'photo': return content.caption ? `${t('simulator:photo')}: ${content.caption}` : t('simulator:photo');
    default: return '';
  }
}

export function createSimulatorRouter(deps: SimulatorDeps): Router {
  const { handler, i18n } = deps;
  const now = deps.now ?? (() => new Date());
  const limits = { ...DEFAULT_SIMULATOR_LIMITS, ...deps.limits };
  const t = (req: Request) => translatorFor(i18n, requestLanguage(req));
  const router = express.Router();
  router.use(compression());

  const fail = (res: Response, status: number, error: string, message: string) => void res.status(status).json({ error, message });
  const badRequest = (res: Response, error: z.ZodError) =>
    fail(res, 400, 'invalid_request', error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  const limiter = (options: { limit: number; windowMs: number; error: string; key?: (req: Request) => string }) => rateLimit({
    limit: options.limit,
    windowMs: options.windowMs,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    ...(options.key ? { keyGenerator: options.key } : {}),
    handler: (req, res, _next, used) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      res.status(used.statusCode).json({
        error: 'rate_limited',
        message: t(req)(`simulator:errors.${options.error}`),
        retryAfterSeconds: Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + options.windowMs) - Date.now()) / 1000)),
      });
    },
  });

  router.use('/simulator', securityHeaders());

  router.get('/', securityHeaders(), async (req, res, next) => {
    try {
      // Indonesian first; the page switches its words itself when the person picks English.
      const texts = i18n.getResourceBundle('id', 'simulator') as Record<string, unknown>;
      const page = await readFile(join(pageDir, 'simulator.html'), 'utf8');
      res.type('html').setHeader('cache-control', 'no-store');
      res.send(page.replace(/\{\{(\w+)\}\}/g, (_m, key: string) => escapeHtml(typeof texts[key] === 'string' ? texts[key] : key)));
    } catch (err) {
      next(err);
    }
  });
  for (const file of ['simulator.js', 'simulator.css']) {
    router.get(`/simulator/static/${file}`, (_req, res) => res.sendFile(join(pageDir, file), { maxAge: 0 }));
  }

  router.get('/simulator/api/texts', (_req, res) => {
    res.json(Object.fromEntries(SUPPORTED_LANGUAGES.map((lang) => [lang, i18n.getResourceBundle(lang, 'simulator')])));
  });

  router.use('/simulator/api', express.json({ limit: '32kb' }));
  router.use('/simulator/api', limiter({ limit: limits.perAddress, windowMs: limits.windowMs, error: 'rate_limited' }));

  router.post(
    '/simulator/api/session',
    limiter({ limit: limits.sessionsPerAddress, windowMs: limits.sessionWindowMs, error: 'too_many_sessions' }),
    async (_req, res, next) => {
      try {
        res.status(201).json({ sessionId: await issueSession(now()) });
      } catch (err) {
        next(err);
      }
    },
  );

  /** Every other API call names a session the server issued. */
  const sessionOf = (req: Request): unknown => (req.method === 'GET' || req.path === '/photo' ? req.query.sessionId : (req.body as { sessionId?: unknown } | undefined)?.sessionId);
  router.use('/simulator/api', async (req: Request, res: Response, next: NextFunction) => {
    const session = sessionOf(req);
    if (typeof session !== 'string' || !session) {
      return fail(res, 400, 'invalid_request', 'sessionId: required; ask POST /simulator/api/session for one');
    }
    try {
      if (!(await touchSession(session, now()))) return fail(res, 401, 'unknown_session', t(req)('simulator:errors.unknown_session'));
      res.locals.session = session;
      next();
    } catch (err) {
      next(err);
    }
  });
  const session = (res: Response) => res.locals.session as string;

  /**
   * A photo chosen in the page, stored as a Telegram photo is (GridFS, src/media/store.ts); the
   * answer names it by the file id returned here, which only this session may use.
   */
  const rawPhoto = express.raw({ type: () => true, limit: DEFAULT_MEDIA_MAX_BYTES });
  router.post(
    '/simulator/api/photo',
    limiter({ limit: limits.perSession, windowMs: limits.windowMs, error: 'rate_limited', key: (req) => `session:${String(sessionOf(req))}` }),
    (req, res, next) => rawPhoto(req, res, (err?: unknown) => (err ? fail(res, 413, 'not_a_photo', t(req)('simulator:errors.not_a_photo')) : next())),
    async (req, res, next) => {
      try {
        const data = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const format = data.length ? await imageFormat(data) : null;
        if (!format) return fail(res, 415, 'not_a_photo', t(req)('simulator:errors.not_a_photo'));
        const fileId = `${photoPrefix(session(res))}${randomUUID()}`;
        await storeMedia({ channel: 'web', fileId, fetch: async () => ({ data, contentType: `image/${format}` }) }, DEFAULT_MEDIA_MAX_BYTES);
        res.status(201).json({ fileId });
      } catch (err) {
        next(err);
      }
    },
  );

  router.post(
    '/simulator/api/send',
    limiter({ limit: limits.perSession, windowMs: limits.windowMs, error: 'rate_limited', key: (req) => `session:${String(sessionOf(req))}` }),
    async (req, res, next) => {
      const parsed = sendSchema.safeParse(req.body);
      if (!parsed.success) return badRequest(res, parsed.error);
      const { messageId, language: lang } = parsed.data;
      const id = session(res);
      try {
        const content = await withUploadedPhoto(parsed.data.content, id);
        const transcript = (await readTranscript(id))?.entries ?? [];
        const inboundId = `web:${id}:${messageId}`;
        const handled = await handler.handle({
          channel: 'web',
          platformUserId: addressOf(id),
          messageId: inboundId,
          receivedAt: now(),
          ...(lang ? { languageHint: lang } : {}),
          content,
        }, { acknowledgedAfter: true }); // the page gets the answer only after this
        // A resend of a message already handled (the answer was lost on the way): the same replies again.
        const replies = handled ?? (await findReplyMessages({ channel: 'web', platformUserId: addressOf(id) }, `reply:web:${inboundId}`));
        const at = now();
        const entries = replies.map((m) => botEntry(m, at));
        if (!transcript.some((e) => e.from === 'person' && e.messageId === messageId)) {
          await appendEntries({ _id: id }, [{ from: 'person', text: personText(content, transcript, t(req)), messageId, at }, ...entries]);
        }
        res.json({ duplicate: handled === null, replies: entries.map((e) => (e.from === 'bot' ? e.message : null)) });
      } catch (err) {
        next(err);
      }
    },
  );

  /** The conversation so far (a reload shows it), and the member's language for the picker. */
  router.get('/simulator/api/transcript', async (_req, res, next) => {
    try {
      const id = session(res);
      const transcript = await readTranscript(id);
      const member = await findMemberLanguage({ channel: 'web', platformUserId: addressOf(id) });
      res.json({ entries: transcript?.entries ?? [], lastSeq: transcript?.lastSeq ?? 0, language: member?.language ?? null });
    } catch (err) {
      next(err);
    }
  });

  /** Reminders and broadcasts that arrived after `after` (a sequence number of the transcript). */
  router.get('/simulator/api/inbox', async (req, res, next) => {
    try {
      const after = Number(req.query.after ?? 0);
      const transcript = await readTranscript(session(res));
      const messages = (transcript?.entries ?? []).filter((e) => e.from === 'bot' && e.proactive && e.seq > (Number.isFinite(after) ? after : 0));
      res.json({ messages, lastSeq: transcript?.lastSeq ?? 0 });
    } catch (err) {
      next(err);
    }
  });

  /**
   * Trying a flow "as a member of any role": the simulator hands out a working access code
   * for the role, to type at the registration's code question. Not available on platforms, and
   * not at all where a real channel is configured. Staff who registered in the simulator stay in
   * it: no workspace, and only the simulator's people and reports (SIMULATOR_PEOPLE).
   */
  router.post('/simulator/api/role-code', async (req, res, next) => {
    if (!deps.roleCodes) return fail(res, 404, 'role_codes_off', t(req)('simulator:errors.role_codes_off'));
    const parsed = z.object({ role: z.enum(ROLES).exclude(['warga', 'admin']) }).safeParse(req.body);
    if (!parsed.success) return badRequest(res, parsed.error);
    try {
      const { role } = parsed.data;
      const code = `SIM-${role.toUpperCase()}`;
      await ensureSimulatorCode(code, role);
      const text = t(req)('simulator:roleCode', { role, code });
      await appendEntries({ _id: session(res) }, [{ from: 'note', text, at: now() }]);
      res.json({ role, code, text });
    } catch (err) {
      next(err);
    }
  });

  router.get('/simulator/api/me', async (_req, res, next) => {
    try {
      const member = await findMemberProfile({ channel: 'web', platformUserId: addressOf(session(res)) });
      res.json({ member });
    } catch (err) {
      next(err);
    }
  });

  return router;
}
