/**
 * The local chat simulator: a web page (public/simulator.html) that talks to the real
 * conversation service and database, as the "web" channel. It is the newcomer's first
 * experience and the facilitators' place to try a flow before it reaches the villages.
 * Only served when enabled (no platform tokens, or SIMULATOR=on): it has no login.
 */
import { join } from 'node:path';
import express, { type Router } from 'express';
import { z } from 'zod';
import { AccessCodeModel, MemberModel, ROLES } from '../../db/models.js';
import type { InboundHandler, OutboundMessage } from '../../chat/types.js';
import type { ChannelCapabilities, ChannelRateLimits, OutboundChannel, SendRequest, SendResult } from '../channel.js';
import { projectRoot } from '../../paths.js';

const sessionId = z.string().regex(/^[A-Za-z0-9-]{8,64}$/, 'sessionId must be 8-64 letters, digits or dashes');

const contentSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('text'), text: z.string().min(1, 'text must not be empty').max(10_000, 'text is longer than 10000 characters') }),
  z.object({ kind: z.literal('choice'), promptSeq: z.number().int(), choiceId: z.string().min(1).max(200) }),
  z.object({ kind: z.literal('location'), latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180), name: z.string().max(200).optional() }),
  z.object({ kind: z.literal('photo'), fileId: z.string().min(1).max(200), caption: z.string().max(1024).optional() }),
]);

const sendSchema = z.object({
  sessionId,
  /** Client-made id, so a resend after a network error is handled once. */
  messageId: z.string().regex(/^[A-Za-z0-9-]{8,64}$/, 'messageId must be 8-64 letters, digits or dashes'),
  content: contentSchema,
  language: z.enum(['id', 'en']).optional(),
});

/**
 * The web channel's outbound side. Replies reach the page in the answer to its POST, so the
 * dispatcher's copy of a reply is only acknowledged here; proactive messages (reminders,
 * broadcasts) are kept until the page fetches them.
 */
export class WebInbox implements OutboundChannel {
  readonly name = 'web' as const;
  readonly capabilities: ChannelCapabilities = {
    buttons: true, maxButtons: 50, lists: false, maxListRows: 0, editing: false, maxButtonTitle: 200, maxText: 10_000, templates: false,
  };
  readonly rateLimits: ChannelRateLimits = { perSecond: 1000, perChatPerSecond: 100, perChatBurst: 100 };
  private readonly boxes = new Map<string, { seq: number; message: OutboundMessage }[]>();
  private seq = 0;

  async send(request: SendRequest): Promise<SendResult> {
    if (request.kind !== 'reply') {
      const box = this.boxes.get(request.to) ?? [];
      for (const message of request.messages.slice(request.alreadySent)) box.push({ seq: ++this.seq, message });
      this.boxes.set(request.to, box.slice(-100));
    }
    return { ok: true, platformMessageIds: [] };
  }

  since(platformUserId: string, after: number): { seq: number; message: OutboundMessage }[] {
    return (this.boxes.get(platformUserId) ?? []).filter((m) => m.seq > after);
  }
}

function platformUserId(session: string): string {
  return `sim-${session}`;
}

export function createSimulatorRouter(handler: InboundHandler, inbox: WebInbox): Router {
  const router = express.Router();
  const badRequest = (res: express.Response, error: z.ZodError) =>
    res.status(400).json({ error: 'invalid_request', message: error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });

  router.get('/', (_req, res) => res.sendFile(join(projectRoot, 'public', 'simulator.html')));

  router.post('/simulator/api/send', express.json({ limit: '32kb' }), async (req, res, next) => {
    const parsed = sendSchema.safeParse(req.body);
    if (!parsed.success) return void badRequest(res, parsed.error);
    const { sessionId: session, messageId, content, language } = parsed.data;
    try {
      const replies = await handler.handle({
        channel: 'web',
        platformUserId: platformUserId(session),
        messageId: `web:${session}:${messageId}`,
        receivedAt: new Date(),
        ...(language ? { languageHint: language } : {}),
        content,
      });
      res.json({ duplicate: replies === null, replies: replies ?? [] });
    } catch (err) {
      next(err);
    }
  });

  router.get('/simulator/api/inbox', async (req, res) => {
    const parsed = sessionId.safeParse(req.query.sessionId);
    if (!parsed.success) return void badRequest(res, parsed.error);
    const after = Number(req.query.after ?? 0);
    res.json({ messages: inbox.since(platformUserId(parsed.data), Number.isFinite(after) ? after : 0) });
  });

  /**
   * Trying a flow "as a member of any role": the simulator hands out a working access code
   * for the role, to type at the registration's code question. Not available on platforms.
   */
  router.post('/simulator/api/role-code', express.json({ limit: '4kb' }), async (req, res, next) => {
    const parsed = z.object({ role: z.enum(ROLES).exclude(['warga', 'admin']) }).safeParse(req.body);
    if (!parsed.success) return void badRequest(res, parsed.error);
    try {
      const code = `SIM-${parsed.data.role.toUpperCase()}`;
      await AccessCodeModel.updateOne({ code }, { $setOnInsert: { code, role: parsed.data.role, simulatorOnly: true } }, { upsert: true });
      res.json({ role: parsed.data.role, code });
    } catch (err) {
      next(err);
    }
  });

  router.get('/simulator/api/me', async (req, res) => {
    const parsed = sessionId.safeParse(req.query.sessionId);
    if (!parsed.success) return void badRequest(res, parsed.error);
    const member = await MemberModel.findOne({ channel: 'web', platformUserId: platformUserId(parsed.data) }, { name: 1, role: 1, villageCode: 1, language: 1 }).lean();
    res.json({ member });
  });

  return router;
}
